"""When a mission's audience is awake (its local day, `Mission.audience_wakes` to
`audience_sleeps`) and when it engaged most, and the time to suggest for publishing: the
hour it engaged most where analytics know it, else the time asked for when they are awake,
else the next morning, in wall-clock time in the mission's zone.

Engagement is read by analytics, which sits above posts (it reads deliveries); posts asks
for it here, through `engaged_hour`, and analytics registers its reader at start-up
(`read_engagement_with`), so that imports keep running one way."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from functools import lru_cache
from typing import Any

from globaltime import roster


@lru_cache(maxsize=256)
def awake_intervals(wakes: time, sleeps: time) -> tuple[tuple[int, int], ...]:
    """The week's minutes when the audience is awake (a few pairs of times are shared by all
    the missions: kept per process, the calendar asks for each of its entries)."""
    return tuple(roster.desk_hours(range(7), wakes, sleeps))


def is_awake(mission, moment: datetime) -> bool:
    return roster.covers(
        awake_intervals(mission.audience_wakes, mission.audience_sleeps), roster.minute_of_week(moment, mission.zone)
    )


def awake_at_hour(mission, hour: int) -> bool:
    """Whether the hour starting at `hour`:00 (local) is in the audience's day."""
    minute = hour * 60
    return roster.covers(awake_intervals(mission.audience_wakes, mission.audience_sleeps), minute)


@dataclass(frozen=True)
class EngagedHour:
    """The local hour (0 to 23, in the mission's zone) of its audience's day whose published
    messages earned the most reactions, replies and shares per view, over `weeks` weeks and
    `messages` messages read."""

    hour: int
    weeks: int
    messages: int

    @property
    def starts(self) -> time:
        return time(self.hour)


EngagementReader = Callable[[Any, datetime], EngagedHour | None]
_readers: list[EngagementReader] = []


def read_engagement_with(reader: EngagementReader) -> None:
    """Have `reader(mission, now)` answer `engaged_hour` (analytics, at start-up). Once only:
    a second reader replaces the first, so that a reloaded app does not ask twice."""
    _readers[:] = [reader]


def engaged_hour(mission, now: datetime) -> EngagedHour | None:
    """The hour its audience engaged most, or None: no reader, or too few messages to trust."""
    return _readers[0](mission, now) if _readers else None


@dataclass(frozen=True)
class Suggestion:
    at: datetime  # aware
    moved: bool  # False: the time asked for is already a good one
    engaged: EngagedHour | None = None  # why: the hour its audience engaged most, when known


def suggest_time(mission, wanted: datetime, engaged: EngagedHour | None = None) -> Suggestion:
    """With `engaged`: `wanted` if it falls in that hour (local), else that hour's next start
    after `wanted`. Without: `wanted` if the mission's audience is awake then, else when they
    next wake (local)."""
    zone = mission.zone
    if engaged is not None:
        local = wanted.astimezone(zone)
        if local.hour == engaged.hour:
            return Suggestion(at=wanted, moved=False, engaged=engaged)
        day = local.date() if local.hour < engaged.hour else local.date() + timedelta(days=1)
        return Suggestion(at=datetime.combine(day, engaged.starts, tzinfo=zone), moved=True, engaged=engaged)
    if is_awake(mission, wanted):
        return Suggestion(at=wanted, moved=False)
    local = wanted.astimezone(zone)
    day = local.date()
    if local.time() >= mission.audience_wakes:
        day += timedelta(days=1)
    morning = datetime.combine(day, mission.audience_wakes, tzinfo=zone)
    return Suggestion(at=morning, moved=True)


def night_hours(mission) -> list[tuple[int, int]]:
    """The hours of a local day (0 to 24) when the audience sleeps, as (from, to) hours for
    shading a day's row: [(0, 7), (23, 24)] for 07:00 to 23:00."""
    wakes = mission.audience_wakes.hour + mission.audience_wakes.minute / 60
    sleeps = mission.audience_sleeps.hour + mission.audience_sleeps.minute / 60
    if wakes == sleeps:
        return []
    if wakes < sleeps:
        return [(hour_from, hour_to) for hour_from, hour_to in ((0, wakes), (sleeps, 24)) if hour_from < hour_to]
    return [(sleeps, wakes)]
