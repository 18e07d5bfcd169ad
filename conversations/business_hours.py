"""Business hours in a mission's zone: is it open at a moment, and when a number of working
minutes from a moment ends. Pure (no models): the service clocks and their tests use it.

Every length is measured between UTC instants: Python subtracts two datetimes that share a
tzinfo by their wall clocks, which a clock change would make an hour wrong."""

from __future__ import annotations

import zoneinfo
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

# A mission is open at least one day a week; this bounds the search for working time.
_MAX_DAYS = 366 * 5


@dataclass(frozen=True)
class Hours:
    zone: zoneinfo.ZoneInfo
    days: frozenset[int]  # ISO weekdays, 1 is Monday
    opens: time
    closes: time

    @classmethod
    def of(cls, *, time_zone: str, days, opens: time, closes: time) -> Hours:
        return cls(zoneinfo.ZoneInfo(time_zone), frozenset(int(day) for day in days), opens, closes)


def _instant(day: date, wall: time, zone: zoneinfo.ZoneInfo) -> datetime:
    """The UTC instant of a wall time on a day (a time skipped by a clock change counts as
    the same wall time before the change)."""
    return datetime.combine(day, wall, tzinfo=zone).astimezone(UTC)


def is_open(moment: datetime, hours: Hours) -> bool:
    local = moment.astimezone(hours.zone)
    return local.isoweekday() in hours.days and hours.opens <= local.time() < hours.closes


def add_working_time(start: datetime, length: timedelta, hours: Hours) -> datetime:
    """The instant at which `length` of working time after `start` has passed (`start`
    itself when the length is zero or less)."""
    remaining = length
    cursor = start.astimezone(UTC)
    if remaining <= timedelta(0):
        return cursor
    day = start.astimezone(hours.zone).date()
    for _ in range(_MAX_DAYS):
        if day.isoweekday() in hours.days:
            begin = max(cursor, _instant(day, hours.opens, hours.zone))
            end = _instant(day, hours.closes, hours.zone)
            if begin < end:
                if remaining <= end - begin:
                    return begin + remaining
                remaining -= end - begin
        day += timedelta(days=1)
    raise ValueError("No working day in five years: the mission's business days are empty.")


def add_clock_time(start: datetime, length: timedelta, hours: Hours | None) -> datetime:
    """Around the clock (no hours) or in working time."""
    if hours is None:
        return start.astimezone(UTC) + length
    return add_working_time(start, length, hours)


def working_time_between(start: datetime, end: datetime, hours: Hours) -> timedelta:
    """The working time from `start` to `end` (zero when `end` is not after `start`): the
    inverse of `add_working_time`, for measuring how long an answer took."""
    begin_at, end_at = start.astimezone(UTC), end.astimezone(UTC)
    total = timedelta(0)
    if end_at <= begin_at:
        return total
    day = begin_at.astimezone(hours.zone).date()
    last = end_at.astimezone(hours.zone).date()
    while day <= last:
        if day.isoweekday() in hours.days:
            opens = max(begin_at, _instant(day, hours.opens, hours.zone))
            closes = min(end_at, _instant(day, hours.closes, hours.zone))
            if opens < closes:
                total += closes - opens
        day += timedelta(days=1)
    return total


def clock_time_between(start: datetime, end: datetime, hours: Hours | None) -> timedelta:
    """Around the clock (no hours) or in working time: as `add_clock_time` counts."""
    if hours is None:
        return max(end.astimezone(UTC) - start.astimezone(UTC), timedelta(0))
    return working_time_between(start, end, hours)
