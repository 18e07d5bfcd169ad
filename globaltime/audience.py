"""When a mission's audience is awake (its local day, `Mission.audience_wakes` to
`audience_sleeps`), and the time to suggest for publishing: the time asked for when they
are awake, else the next morning, in wall-clock time in the mission's zone."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, timedelta

from globaltime import roster


def awake_intervals(wakes: time, sleeps: time) -> list[tuple[int, int]]:
    return roster.desk_hours(range(7), wakes, sleeps)


def is_awake(mission, moment: datetime) -> bool:
    return roster.covers(
        awake_intervals(mission.audience_wakes, mission.audience_sleeps), roster.minute_of_week(moment, mission.zone)
    )


@dataclass(frozen=True)
class Suggestion:
    at: datetime  # aware
    moved: bool  # False: the time asked for is already in the audience's day


def suggest_time(mission, wanted: datetime) -> Suggestion:
    """`wanted` if the mission's audience is awake then, else when they next wake (local)."""
    if is_awake(mission, wanted):
        return Suggestion(at=wanted, moved=False)
    zone = mission.zone
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
