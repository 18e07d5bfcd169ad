"""A desk's roster against its hours: gaps, overlaps and shifts outside the hours are found
with their exact hours; who is on duty follows the desk's wall clock across a clock change."""

from __future__ import annotations

from datetime import UTC, datetime, time
from zoneinfo import ZoneInfo

from globaltime import roster
from globaltime.roster import Shift

MON, TUE, SUN = 0, 1, 6
PARIS = ZoneInfo("Europe/Paris")
NEW_YORK = ZoneInfo("America/New_York")


def hours(days=(MON, TUE), opens=time(8), closes=time(20)):
    return roster.desk_hours(days, opens, closes)


def problems(hours_, shifts):
    return [(s.kind, s.weekday, *s.clock(), s.who) for s in roster.roster_problems(hours_, shifts)]


def test_a_roster_that_covers_the_hours_exactly_once_has_no_problem():
    shifts = [
        Shift(MON, time(8), time(14), "Alice"),
        Shift(MON, time(14), time(20), "Bob"),
        Shift(TUE, time(8), time(20), "Alice"),
    ]
    assert problems(hours(), shifts) == []


def test_a_gap_is_named_with_its_day_and_hours():
    shifts = [
        Shift(MON, time(8), time(12), "Alice"),
        Shift(MON, time(13), time(20), "Bob"),
        Shift(TUE, time(8), time(20), "Alice"),
    ]
    assert problems(hours(), shifts) == [("gap", MON, "12:00", "13:00", ())]


def test_an_overlap_is_named_with_who_is_on_duty_twice():
    shifts = [
        Shift(MON, time(8), time(14), "Alice"),
        Shift(MON, time(13, 30), time(20), "Bob"),
        Shift(TUE, time(8), time(20), "Carol"),
    ]
    assert problems(hours(), shifts) == [("overlap", MON, "13:30", "14:00", ("Alice", "Bob"))]


def test_a_shift_while_the_desk_is_closed_is_refused_and_an_empty_day_is_a_gap():
    shifts = [Shift(MON, time(7), time(20), "Alice")]
    assert problems(hours(), shifts) == [
        ("outside", MON, "07:00", "08:00", ("Alice",)),
        ("gap", TUE, "08:00", "20:00", ()),
    ]


def test_a_night_desk_runs_past_midnight_and_sunday_night_into_monday():
    night = hours(days=(SUN,), opens=time(22), closes=time(6))
    assert problems(night, [Shift(SUN, time(22), time(2), "Ana"), Shift(MON, time(2), time(6), "Ben")]) == []
    found = problems(night, [Shift(SUN, time(22), time(2), "Ana")])
    assert found == [("gap", MON, "02:00", "06:00", ())]


def test_a_whole_day_desk_ends_at_24_00():
    whole = hours(days=(MON,), opens=time(0), closes=time(0))
    assert problems(whole, [Shift(MON, time(0), time(12), "Ana")]) == [("gap", MON, "12:00", "24:00", ())]


def test_on_duty_follows_the_wall_clock_across_the_spring_clock_change():
    # Paris moved from UTC+1 to UTC+2 on Sunday 29 March 2026. A desk open from 08:00 local:
    # on Monday 30 March it opens at 06:00 UTC, on Monday 23 March at 07:00 UTC.
    paris_hours = hours(days=(MON,))
    before = datetime(2026, 3, 23, 6, 30, tzinfo=UTC)
    after = datetime(2026, 3, 30, 6, 30, tzinfo=UTC)
    assert not roster.covers(paris_hours, roster.minute_of_week(before, PARIS))
    assert roster.covers(paris_hours, roster.minute_of_week(after, PARIS))


def test_until_counts_in_wall_clock_time_across_the_autumn_clock_change():
    # New York moved back an hour at 02:00 on Sunday 1 November 2026: a night desk from
    # Saturday 22:00 to Sunday 06:00 local runs nine hours of real time that night.
    night = hours(days=(5,), opens=time(22), closes=time(6))
    start = datetime(2026, 11, 1, 2, 0, tzinfo=UTC)  # Saturday 22:00 in New York (UTC-4)
    end = roster.until(night, start, NEW_YORK)
    assert end is not None
    assert end.astimezone(NEW_YORK).strftime("%a %H:%M") == "Sun 06:00"
    assert (end - start).total_seconds() == 9 * 3600


def test_until_joins_touching_stretches_and_a_whole_week_is_around_the_clock():
    weekdays = hours(days=(MON, TUE), opens=time(0), closes=time(0))
    monday_noon = datetime(2026, 12, 7, 11, 0, tzinfo=UTC)  # 12:00 in Paris
    end = roster.until(weekdays, monday_noon, PARIS)
    assert end is not None
    assert end.astimezone(PARIS).strftime("%a %H:%M") == "Wed 00:00"
    always = hours(days=range(7), opens=time(0), closes=time(0))
    assert roster.until(always, monday_noon, PARIS) is None
