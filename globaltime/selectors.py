"""Reads on desks and their rosters: who is on duty now at each desk, and the desks to offer
a mission's message to, in order (by region, then the hour)."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date, datetime

from django.db.models import Q
from django.shortcuts import get_object_or_404

from globaltime import roster
from globaltime.models import Desk, Occasion


def _name(user) -> str:
    return user.get_full_name() or user.get_username()


def shifts_of(desk: Desk) -> list[roster.Shift]:
    """The desk's roster as plain shifts (from the prefetched `shifts` when there are some)."""
    return [
        roster.Shift(weekday=s.weekday, starts=s.starts_at, ends=s.ends_at, who=_name(s.officer))
        for s in desk.shifts.all()
    ]


def hours_of(desk: Desk) -> list[tuple[int, int]]:
    return roster.desk_hours(desk.weekdays, desk.opens_at, desk.closes_at)


def is_on_duty(desk: Desk, at: datetime) -> bool:
    return roster.covers(hours_of(desk), roster.minute_of_week(at, desk.zone))


def active_desks() -> list[Desk]:
    return list(Desk.objects.filter(is_active=True).select_related("lead").prefetch_related("shifts__officer"))


def desk_get(*, pk: int) -> Desk:
    return get_object_or_404(Desk.objects.select_related("lead").prefetch_related("shifts__officer"), pk=pk)


def all_desks() -> list[Desk]:
    return list(Desk.objects.select_related("lead").prefetch_related("shifts__officer"))


@dataclass(frozen=True)
class DeskNow:
    desk: Desk
    local: datetime
    on_duty: bool
    officer: str | None  # who is on duty, by the roster
    until: datetime | None  # when the desk's stretch on duty ends


def duty_board(*, at: datetime) -> list[DeskNow]:
    """Every active desk, its local time, whether it is on duty and who is, now."""
    board = []
    for desk in active_desks():
        minute = roster.minute_of_week(at, desk.zone)
        hours = hours_of(desk)
        on = roster.covers(hours, minute)
        shift = roster.on_duty(shifts_of(desk), minute) if on else None
        board.append(
            DeskNow(
                desk=desk,
                local=at.astimezone(desk.zone),
                on_duty=on,
                officer=shift.who if shift else None,
                until=roster.until(hours, at, desk.zone) if on else None,
            )
        )
    return board


def desks_in_order(*, region: str | None, at: datetime, desks: Iterable[Desk] | None = None) -> list[Desk]:
    """The desks to offer a message of a mission in `region` to, best first: the desks on
    duty that cover its region, then headquarters if on duty, then any other desk on duty;
    when none is on duty, headquarters, then the region's desks (a crisis alert has no
    region: headquarters first)."""
    desks = list(active_desks() if desks is None else desks)

    def rank(desk: Desk) -> tuple[int, str]:
        covers_region = region is not None and region in desk.regions
        if is_on_duty(desk, at):
            order = 0 if covers_region else 1 if desk.is_headquarters else 2
        else:
            order = 3 if desk.is_headquarters else 4 if covers_region else 5
        return order, desk.name

    return sorted(desks, key=rank)


# --- Occasions ------------------------------------------------------------------------------


def occasions_between(*, start: date, end: date, mission_ids: Iterable[int] | None) -> list[tuple[date, Occasion]]:
    """The ministry's commemorations and the missions' events falling on a day in
    [start, end]: (day, occasion), recurring ones on their day of each year. With
    `mission_ids`, only those missions' events (and the ministry's)."""
    rows = Occasion.objects.select_related("mission")
    if mission_ids is not None:
        rows = rows.filter(Q(mission__isnull=True) | Q(mission_id__in=list(mission_ids)))
    one_off = Q(recurring=False, day__gte=start, day__lte=end)
    rows = rows.filter(one_off | Q(recurring=True, day__lte=end))
    found = [(day, occasion) for occasion in rows for day in _days_of(occasion, start, end)]
    return sorted(found, key=lambda pair: (pair[0], pair[1].title))


def _days_of(occasion: Occasion, start: date, end: date) -> Iterator[date]:
    if not occasion.recurring:
        if start <= occasion.day <= end:
            yield occasion.day
        return
    for year in range(start.year, end.year + 1):
        try:
            day = occasion.day.replace(year=year)
        except ValueError:  # 29 February in a common year: the 28th
            day = occasion.day.replace(year=year, day=28)
        if start <= day <= end and day >= occasion.day:
            yield day
