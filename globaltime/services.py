"""Writes of global time: desks and their rosters (administrators), the calendar's own days
(the press office, and a mission's officers for its events). Each change is audited in its
own transaction."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, time
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from audit.services import record as audit_record
from diplomacy_hub import policy
from embassies.models import Mission
from globaltime import roster
from globaltime.models import Desk, DutyShift, Occasion, Weekday


@dataclass(frozen=True)
class ShiftLine:
    weekday: int
    starts: time
    ends: time
    officer: Any  # a user


def stretch_words(stretch: roster.Stretch) -> str:
    """ "Tuesday 12:00–13:00: nobody is on duty." and the like, in the reader's language."""
    start, end = stretch.clock()
    values = {"day": Weekday(stretch.weekday).label, "start": start, "end": end, "who": ", ".join(stretch.who)}
    if stretch.kind == "gap":
        return _("%(day)s %(start)s–%(end)s: nobody is on duty.") % values
    if stretch.kind == "overlap":
        return _("%(day)s %(start)s–%(end)s: on duty twice (%(who)s).") % values
    return _("%(day)s %(start)s–%(end)s: %(who)s is on duty while the desk is closed.") % values


def check_roster(desk: Desk, lines: Sequence[ShiftLine]) -> list[str]:
    """The roster's problems against the desk's hours, worded with the exact hours."""
    shifts = [
        roster.Shift(weekday=line.weekday, starts=line.starts, ends=line.ends, who=_who(line.officer)) for line in lines
    ]
    hours = roster.desk_hours(desk.weekdays, desk.opens_at, desk.closes_at)
    return [stretch_words(stretch) for stretch in roster.roster_problems(hours, shifts)]


def _who(user) -> str:
    return user.get_full_name() or user.get_username()


def _check_desk(*, name: str, regions: Sequence[str], weekdays: Sequence[int], is_headquarters: bool, pk=None) -> None:
    errors: dict[str, str] = {}
    if not name.strip():
        errors["name"] = _("Give the desk a name.")
    elif Desk.objects.filter(name__iexact=name.strip()).exclude(pk=pk).exists():
        errors["name"] = _("A desk of that name exists.")
    unknown = [region for region in regions if region not in Mission.Region.values]
    if unknown:
        errors["regions"] = _("Unknown regions: %(regions)s.") % {"regions": ", ".join(unknown)}
    if not weekdays or any(day not in Weekday.values for day in weekdays):
        errors["weekdays"] = _("Choose the days the desk is on duty.")
    if is_headquarters and Desk.objects.filter(is_headquarters=True).exclude(pk=pk).exists():
        errors["is_headquarters"] = _("There is already a headquarters desk.")
    if errors:
        raise ValidationError(errors)


def desk_save(
    *,
    actor,
    desk_id: int | None = None,
    name: str,
    is_headquarters: bool,
    regions: Sequence[str],
    time_zone: str,
    opens_at: time,
    closes_at: time,
    weekdays: Sequence[int],
    lead=None,
    is_active: bool = True,
) -> Desk:
    """Create a desk, or change one. A change of hours that its roster no longer fits is
    refused with the roster's problems."""
    policy.require(actor, "desk.manage")
    _check_desk(name=name, regions=regions, weekdays=weekdays, is_headquarters=is_headquarters, pk=desk_id)
    with transaction.atomic():
        desk = Desk() if desk_id is None else Desk.objects.select_for_update().get(pk=desk_id)
        desk.name = name.strip()
        desk.is_headquarters = is_headquarters
        desk.regions = sorted(set(regions))
        desk.time_zone = time_zone
        desk.opens_at, desk.closes_at = opens_at, closes_at
        desk.weekdays = sorted(set(weekdays))
        desk.lead = lead
        desk.is_active = is_active
        desk.full_clean()
        if desk_id is not None:
            current = [
                ShiftLine(s.weekday, s.starts_at, s.ends_at, s.officer) for s in desk.shifts.select_related("officer")
            ]
            problems = check_roster(desk, current) if current else []
            if problems:
                raise ValidationError({"__all__": [_("Its roster no longer fits these hours:"), *problems]})
        desk.save()
        audit_record(
            action="desk.create" if desk_id is None else "desk.change",
            actor=actor,
            obj=desk,
            details={
                "name": desk.name,
                "headquarters": desk.is_headquarters,
                "regions": desk.regions,
                "time_zone": desk.time_zone,
                "hours": f"{opens_at:%H:%M}-{closes_at:%H:%M}",
                "weekdays": desk.weekdays,
                "lead": getattr(lead, "pk", None),
                "active": desk.is_active,
            },
        )
    return desk


def roster_replace(*, actor, desk_id: int, lines: Sequence[ShiftLine]) -> Desk:
    """Replace a desk's roster. Refused, with the exact hours, when it leaves part of the
    desk's hours with nobody on duty, has two people on duty at once, or puts someone on
    duty while the desk is closed."""
    policy.require(actor, "desk.manage")
    with transaction.atomic():
        desk = Desk.objects.select_for_update().get(pk=desk_id)
        problems = check_roster(desk, lines)
        if problems:
            raise ValidationError({"roster": problems})
        DutyShift.objects.filter(desk=desk).delete()
        DutyShift.objects.bulk_create(
            [
                DutyShift(
                    desk=desk, weekday=line.weekday, starts_at=line.starts, ends_at=line.ends, officer=line.officer
                )
                for line in lines
            ]
        )
        audit_record(
            action="desk.roster",
            actor=actor,
            obj=desk,
            details={
                "shifts": [
                    f"{Weekday(line.weekday).name.lower()} {line.starts:%H:%M}-{line.ends:%H:%M} {line.officer.pk}"
                    for line in lines
                ]
            },
        )
    return desk


# --- Occasions ---------------------------------------------------------------------------------


def occasion_create(
    *,
    actor,
    mission: Mission | None,
    title: str,
    day: date,
    recurring: bool,
    remind_days_before: int | None,
    note: str = "",
) -> Occasion:
    """A commemoration of the ministry (no mission) or a mission's event."""
    policy.require(actor, "occasion.manage", mission)
    title = (title or "").strip()
    if not title:
        raise ValidationError({"title": _("Give it a title.")})
    if remind_days_before is not None and not recurring:
        raise ValidationError({"remind_days_before": _("Only a day that comes back every year has reminders.")})
    if remind_days_before is not None and not 1 <= remind_days_before <= 90:
        raise ValidationError({"remind_days_before": _("Remind between 1 and 90 days before.")})
    with transaction.atomic():
        occasion = Occasion.objects.create(
            mission=mission,
            title=title,
            day=day,
            recurring=recurring,
            remind_days_before=remind_days_before,
            note=note.strip(),
            created_by=actor,
        )
        audit_record(
            action="occasion.create",
            actor=actor,
            obj=occasion,
            details={"mission": getattr(mission, "code", None), "title": title, "day": day, "recurring": recurring},
        )
    return occasion


def occasion_delete(*, actor, occasion: Occasion) -> None:
    policy.require(actor, "occasion.manage", occasion.mission)
    with transaction.atomic():
        audit_record(
            action="occasion.delete",
            actor=actor,
            obj=occasion,
            details={"mission": getattr(occasion.mission, "code", None), "title": occasion.title, "day": occasion.day},
        )
        occasion.delete()
