"""Forms of the missions and staff pages, and the base of every list page's filter form
(missions, staff, social accounts, the audit log)."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy

from embassies import selectors
from embassies.models import Mission
from embassies.roles import Role

# A search is a few words: a longer one is refused with the limit said, never run.
SEARCH_MAX = 200


class ListFilterForm(forms.Form):
    """A list page's GET filters (rendered by the `filter_bar` tag)."""

    def filters(self) -> dict:
        """The valid filters; an invalid value is ignored, and shown with its error, rather
        than failing the page. An unbound form filters nothing."""
        if not self.is_bound:
            return {}
        self.is_valid()  # cleaned_data then holds only the fields that validated
        return {name: value for name, value in self.cleaned_data.items() if value}


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


class _ConfirmationForm(forms.Form):
    """A staff change's form: acted on once the confirmation page is posted (`confirmed=yes`)."""

    def confirmed(self) -> bool:
        return self.data.get("confirmed") == "yes"


class MembershipForm(_ConfirmationForm):
    mission = forms.ChoiceField(label=gettext_lazy("Mission"))

    def __init__(self, *args, exclude: set[int] | None = None, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        groups: dict[str, list[tuple[str, str]]] = {}
        for mission in selectors.missions_to_attach(exclude=exclude):
            groups.setdefault(str(mission.get_region_display()), []).append(
                (mission.code, f"{mission.name} ({mission.city})")
            )
        self.fields["mission"].choices = [("", gettext_lazy("Choose a mission")), *groups.items()]

    def clean_mission(self) -> Mission:
        # The choice field already limited the code to the missions offered.
        return selectors.missions_to_attach().get(code=self.cleaned_data["mission"])


class RoleForm(_ConfirmationForm):
    role = forms.ChoiceField(label=gettext_lazy("Role"), choices=Role.choices, widget=forms.HiddenInput)


class RemoveMembershipForm(_ConfirmationForm):
    mission = forms.SlugField(widget=forms.HiddenInput)
