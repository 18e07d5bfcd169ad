"""The week of a desk, in minutes from Monday 00:00 in its zone: its hours, its roster's
shifts, who is on duty at a moment, and what a roster leaves uncovered or covers twice.

Pure functions of plain values: the forms, the services and the dashboards share them.
Times are wall-clock times in the desk's zone, so a desk open 08:00 to 20:00 is open from
08:00 to 20:00 local on both sides of a clock change.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

DAY = 24 * 60
WEEK = 7 * DAY


def _minutes(value: time) -> int:
    return value.hour * 60 + value.minute


def span(weekday: int, starts: time, ends: time) -> list[tuple[int, int]]:
    """The minutes of the week from `starts` on `weekday` to `ends` (the next day when it
    is at or before `starts`; equal means the whole day), as one or two half-open
    intervals within [0, WEEK) (Sunday night runs into Monday)."""
    start = weekday * DAY + _minutes(starts)
    length = (_minutes(ends) - _minutes(starts)) % DAY or DAY
    end = start + length
    if end <= WEEK:
        return [(start, end)]
    return [(start, WEEK), (0, end - WEEK)]


def desk_hours(weekdays: Iterable[int], opens_at: time, closes_at: time) -> list[tuple[int, int]]:
    return [interval for day in sorted(set(weekdays)) for interval in span(day, opens_at, closes_at)]


def minute_of_week(moment: datetime, zone: ZoneInfo) -> int:
    local = moment.astimezone(zone)
    return local.weekday() * DAY + local.hour * 60 + local.minute


def covers(intervals: Iterable[tuple[int, int]], minute: int) -> bool:
    return any(start <= minute < end for start, end in intervals)


@dataclass(frozen=True)
class Shift:
    weekday: int
    starts: time
    ends: time
    who: str  # a name, for the problems' words

    def intervals(self) -> list[tuple[int, int]]:
        return span(self.weekday, self.starts, self.ends)


@dataclass(frozen=True)
class Stretch:
    """Part of the week: from `start` to `end` minutes, and who is in it (overlaps)."""

    kind: str  # "gap" | "overlap" | "outside"
    start: int
    end: int
    who: tuple[str, ...] = ()

    @property
    def weekday(self) -> int:
        return self.start // DAY

    def clock(self) -> tuple[str, str]:
        """("10:00", "11:00"); an end at midnight reads "24:00"."""

        def hhmm(minute: int, *, end: bool) -> str:
            of_day = minute % DAY
            if end and of_day == 0:
                return "24:00"
            return f"{of_day // 60:02d}:{of_day % 60:02d}"

        return hhmm(self.start, end=False), hhmm(self.end, end=True)


def roster_problems(hours: Sequence[tuple[int, int]], shifts: Sequence[Shift]) -> list[Stretch]:
    """What a roster gets wrong against the desk's hours: minutes of its hours nobody is on
    duty (gaps), minutes two or more people are (overlaps), and minutes someone is on duty
    while the desk is closed (outside). Each stretch is cut at midnight, so that it names
    one day, and stretches follow the week's order."""
    cuts = {0, WEEK, *range(0, WEEK, DAY)}
    covered: list[tuple[int, int, str]] = []
    for shift in shifts:
        for start, end in shift.intervals():
            covered.append((start, end, shift.who))
            cuts.update((start, end))
    for start, end in hours:
        cuts.update((start, end))
    points = sorted(cuts)
    stretches: list[Stretch] = []
    for start, end in itertools.pairwise(points):
        if start >= end:
            continue
        on_duty = tuple(sorted({who for s, e, who in covered if s <= start and end <= e}))
        count = sum(1 for s, e, _ in covered if s <= start and end <= e)
        open_ = covers(hours, start)
        kind = ""
        if open_ and count == 0:
            kind = "gap"
        elif count > 1:
            kind = "overlap"
        elif not open_ and count:
            kind = "outside"
        if not kind:
            continue
        last = stretches[-1] if stretches else None
        if last is not None and last.kind == kind and last.end == start and last.who == on_duty and start % DAY != 0:
            stretches[-1] = Stretch(kind, last.start, end, on_duty)
        else:
            stretches.append(Stretch(kind, start, end, on_duty))
    return stretches


def on_duty(shifts: Iterable[Shift], minute: int) -> Shift | None:
    for shift in shifts:
        if covers(shift.intervals(), minute):
            return shift
    return None


def merged(intervals: Iterable[tuple[int, int]]) -> list[tuple[int, int]]:
    """Intervals joined where they touch or overlap, in the week's order."""
    joined: list[tuple[int, int]] = []
    for start, end in sorted(intervals):
        if joined and start <= joined[-1][1]:
            joined[-1] = (joined[-1][0], max(joined[-1][1], end))
        else:
            joined.append((start, end))
    return joined


def until(intervals: Sequence[tuple[int, int]], moment: datetime, zone: ZoneInfo) -> datetime | None:
    """When the stretch of `intervals` that holds `moment` ends, counted in wall-clock time
    in `zone` (a shift to 20:00 ends at 20:00 local whatever the clocks did that morning);
    stretches that touch are one, Sunday night running into Monday too. None when no
    stretch holds it, or when one covers the whole week (around the clock)."""
    minute = minute_of_week(moment, zone)
    joined = merged(intervals)
    if joined == [(0, WEEK)]:
        return None
    holding = [(start, end) for start, end in joined if start <= minute < end]
    if not holding:
        return None
    end = holding[0][1]
    if end == WEEK and joined[0][0] == 0:
        end += joined[0][1]
    local = moment.astimezone(zone).replace(tzinfo=None, second=0, microsecond=0)
    week_start = local - timedelta(minutes=minute)
    return (week_start + timedelta(minutes=end)).replace(tzinfo=zone)
