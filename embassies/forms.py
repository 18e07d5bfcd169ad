"""Forms of the missions and staff pages."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy

from diplomacy_hub.forms import ListFilterForm
from embassies import selectors
from embassies.models import Mission
from embassies.roles import Role

# A search is a few words: a longer one is refused with the limit said, never run.
SEARCH_MAX = 200


class MissionFilterForm(ListFilterForm):
    q = forms.CharField(
        label=gettext_lazy("Search"),
        required=False,
        max_length=SEARCH_MAX,
        widget=forms.SearchInput(attrs={"placeholder": gettext_lazy("Name, city, code or country code (JP)")}),
    )
    region = forms.ChoiceField(
        label=gettext_lazy("Region"),
        required=False,
        choices=[("", gettext_lazy("All regions")), *Mission.Region.choices],
    )
    kind = forms.ChoiceField(
        label=gettext_lazy("Kind"), required=False, choices=[("", gettext_lazy("All kinds")), *Mission.Kind.choices]
    )


class StaffFilterForm(ListFilterForm):
    q = forms.CharField(
        label=gettext_lazy("Search"),
        required=False,
        max_length=SEARCH_MAX,
        widget=forms.SearchInput(attrs={"placeholder": gettext_lazy("Name, username, e-mail or mission")}),
    )
    role = forms.ChoiceField(
        label=gettext_lazy("Role"),
        required=False,
        choices=[("", gettext_lazy("All roles")), *Role.choices, ("none", gettext_lazy("No role"))],
    )


def searchable(field: forms.Field, *, placeholder: str) -> forms.Field:
    """Make a long select (the 271 missions) a searchable picker: static/js/combobox.js
    puts a text box in front of it; without JavaScript it stays a plain select."""
    field.widget.attrs.update(
        {
            "data-combobox": "",
            "data-combobox-placeholder": placeholder,
            "data-combobox-empty": gettext_lazy("Nothing matches: try a city, a country or fewer letters."),
        }
    )
    return field


class ConfirmationForm(forms.Form):
    """An administrator's change: acted on once the confirmation page is posted
    (`confirmed=yes`). With no fields of its own, a bare confirmation."""

    def confirmed(self) -> bool:
        return self.data.get("confirmed") == "yes"


class MembershipForm(ConfirmationForm):
    mission = forms.ChoiceField(label=gettext_lazy("Mission"))

    def __init__(self, *args, exclude: set[int] | None = None, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        groups: dict[str, list[tuple[str, str]]] = {}
        for mission in selectors.missions_to_attach(exclude=exclude):
            groups.setdefault(str(mission.get_region_display()), []).append(
                (mission.code, f"{mission.display_name} ({mission.display_city})")
            )
        self.fields["mission"].choices = [("", gettext_lazy("Choose a mission")), *groups.items()]
        searchable(self.fields["mission"], placeholder=gettext_lazy("Type to find a mission"))

    def clean_mission(self) -> Mission:
        # The choice field already limited the code to the missions offered.
        return selectors.mission_to_attach(code=self.cleaned_data["mission"])


class RoleForm(ConfirmationForm):
    role = forms.ChoiceField(label=gettext_lazy("Role"), choices=Role.choices, widget=forms.HiddenInput)


class RemoveMembershipForm(ConfirmationForm):
    mission = forms.SlugField(widget=forms.HiddenInput)
