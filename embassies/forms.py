"""Forms of the missions and staff pages."""

from __future__ import annotations

from django import forms
from django.utils.dates import WEEKDAYS
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


class MissionHoursForm(forms.Form):
    """A mission's working days and opening hours, in its own zone."""

    business_days = forms.TypedMultipleChoiceField(
        label=gettext_lazy("Working days"),
        choices=[(day, WEEKDAYS[day - 1]) for day in range(1, 8)],
        coerce=int,
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": gettext_lazy("Choose at least one working day.")},
    )
    opens_at = forms.TimeField(
        label=gettext_lazy("Opens at"),
        widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
        error_messages={"required": gettext_lazy("Give the time the mission opens.")},
    )
    closes_at = forms.TimeField(
        label=gettext_lazy("Closes at"),
        widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
        error_messages={"required": gettext_lazy("Give the time the mission closes.")},
    )

    def clean(self) -> dict:
        cleaned = super().clean() or {}
        opens, closes = cleaned.get("opens_at"), cleaned.get("closes_at")
        if opens and closes and closes <= opens:
            self.add_error(
                "closes_at",
                gettext_lazy("The mission closes after it opens: give a closing time later than %(opens)s.")
                % {"opens": opens.strftime("%H:%M")},
            )
        return cleaned


class StaffLanguagesForm(forms.Form):
    """One field per member of the mission's staff: the languages they read."""

    def __init__(self, *args, memberships, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.memberships = list(memberships)
        for membership in self.memberships:
            name = membership.user.get_full_name() or membership.user.get_username()
            self.fields[f"languages-{membership.pk}"] = forms.CharField(
                label=name,
                required=False,
                max_length=200,
                initial=", ".join(membership.languages or []),
                help_text=gettext_lazy("ISO 639-1 codes separated by commas, for example: ar, fr, en."),
            )

    def languages(self) -> dict[int, list[str]]:
        return {
            int(name.removeprefix("languages-")): [code for code in value.replace(";", ",").split(",") if code.strip()]
            for name, value in self.cleaned_data.items()
        }
