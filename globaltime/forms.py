"""Forms of global time: a desk, its roster (one shift a line), a day for the calendar."""

from __future__ import annotations

import re
from datetime import time

from django import forms
from django.contrib.auth import get_user_model
from django.utils.translation import gettext_lazy as _

from diplomacy_hub.localtime import BoundedDateField
from embassies.models import Mission
from embassies.roles import Role
from embassies.validators import validate_time_zone
from globaltime.models import Desk, DutyShift, Weekday
from globaltime.services import ShiftLine

ROSTER_MAX_LINES = 200
# "Monday 08:00-14:00 alice" (or "mon 8:00 – 14:00 alice"; French day names too).
SHIFT_LINE = re.compile(
    r"^\s*(?P<day>\S+)\s+(?P<start>\d{1,2}:\d{2})\s*[-–]\s*(?P<end>\d{1,2}:\d{2})\s+(?P<who>\S+)\s*$"
)
DAY_NAMES = {
    **{
        name: day
        for day, name in enumerate(["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"])
    },
    **{name: day for day, name in enumerate(["mon", "tue", "wed", "thu", "fri", "sat", "sun"])},
    **{name: day for day, name in enumerate(["lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche"])},
    **{name: day for day, name in enumerate(["lun", "mar", "mer", "jeu", "ven", "sam", "dim"])},
}


def press_officers():
    return (
        get_user_model()
        .objects.filter(is_active=True, groups__name__in=[Role.PRESS_OFFICE, Role.CRISIS_UNIT])
        .distinct()
        .order_by("last_name", "first_name", "username")
    )


class DeskForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=100)
    is_headquarters = forms.BooleanField(label=_("Headquarters desk"), required=False)
    regions = forms.MultipleChoiceField(
        label=_("Regions it reviews first"),
        choices=Mission.Region.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    time_zone = forms.CharField(
        label=_("Time zone"),
        max_length=64,
        validators=[validate_time_zone],
        help_text=_("For example America/New_York."),
    )
    opens_at = forms.TimeField(label=_("On duty from"), initial=time(8), widget=forms.TimeInput(attrs={"type": "time"}))
    closes_at = forms.TimeField(
        label=_("On duty until"),
        initial=time(20),
        widget=forms.TimeInput(attrs={"type": "time"}),
        help_text=_("At or before the start: past midnight. The same as the start: the whole day."),
    )
    weekdays = forms.TypedMultipleChoiceField(
        label=_("Days on duty"),
        choices=Weekday.choices,
        coerce=int,
        initial=[0, 1, 2, 3, 4],
        widget=forms.CheckboxSelectMultiple,
    )
    lead = forms.ModelChoiceField(label=_("Lead"), queryset=press_officers(), required=False)
    is_active = forms.BooleanField(label=_("Active"), required=False, initial=True)

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["lead"].queryset = press_officers()

    @classmethod
    def initial_of(cls, desk: Desk) -> dict:
        return {
            "name": desk.name,
            "is_headquarters": desk.is_headquarters,
            "regions": desk.regions,
            "time_zone": desk.time_zone,
            "opens_at": desk.opens_at,
            "closes_at": desk.closes_at,
            "weekdays": desk.weekdays,
            "lead": desk.lead_id,
            "is_active": desk.is_active,
        }


class RosterForm(forms.Form):
    roster = forms.CharField(
        label=_("Roster"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 14, "spellcheck": "false"}),
        help_text=_("One shift a line: day, from–until, user name. For example: Monday 08:00-14:00 cdupont"),
    )

    @staticmethod
    def text_of(shifts: list[DutyShift]) -> str:
        names = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]
        return "\n".join(
            f"{names[s.weekday]} {s.starts_at:%H:%M}-{s.ends_at:%H:%M} {s.officer.get_username()}" for s in shifts
        )

    def clean_roster(self) -> list[ShiftLine]:
        text = self.cleaned_data.get("roster") or ""
        lines = [(number, line) for number, line in enumerate(text.splitlines(), start=1) if line.strip()]
        if len(lines) > ROSTER_MAX_LINES:
            raise forms.ValidationError(_("At most %(max)s shifts.") % {"max": ROSTER_MAX_LINES})
        people = {user.get_username().lower(): user for user in press_officers()}
        shifts, errors = [], []
        for number, line in lines:
            found = SHIFT_LINE.match(line)
            day = DAY_NAMES.get(found.group("day").lower().rstrip(".")) if found else None
            if not found or day is None:
                errors.append(
                    _("Line %(number)s: write “day from-until user”, for example Monday 08:00-14:00 cdupont.")
                    % {"number": number}
                )
                continue
            try:
                starts, ends = (time(*map(int, found.group(part).split(":"))) for part in ("start", "end"))
            except ValueError:
                errors.append(_("Line %(number)s: a time is not a time of day.") % {"number": number})
                continue
            who = people.get(found.group("who").lower())
            if who is None:
                errors.append(
                    _("Line %(number)s: no press officer is called “%(who)s”.")
                    % {"number": number, "who": found.group("who")}
                )
                continue
            shifts.append(ShiftLine(weekday=day, starts=starts, ends=ends, officer=who))
        if errors:
            raise forms.ValidationError(errors)
        return shifts


class OccasionForm(forms.Form):
    mission = forms.ChoiceField(label=_("Whose"), required=False)
    title = forms.CharField(label=_("Title"), max_length=200)
    day = BoundedDateField(label=_("Day"))
    recurring = forms.BooleanField(label=_("Every year"), required=False)
    remind_days_before = forms.IntegerField(
        label=_("Remind days before"),
        required=False,
        min_value=1,
        max_value=90,
        help_text=_("For a day that comes back every year: its mission is told, with last year's message."),
    )
    note = forms.CharField(label=_("Note"), required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 3}))

    def __init__(self, *args, missions=(), ministry: bool = False, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        choices = [("", _("The ministry (a commemoration)"))] if ministry else []
        choices += [(str(mission.pk), mission.display_name) for mission in missions]
        self.fields["mission"].choices = choices
        self.missions = {str(mission.pk): mission for mission in missions}
        self.ministry = ministry

    def clean_mission(self) -> Mission | None:
        value = self.cleaned_data.get("mission") or ""
        if not value and not self.ministry:
            raise forms.ValidationError(_("Choose one of your missions."))
        return self.missions.get(value)
