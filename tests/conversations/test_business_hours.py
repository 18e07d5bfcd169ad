"""Working time in a mission's zone, across weekends and clock changes: Paris moves its
clocks on a Sunday night, Cairo (Sunday to Thursday) at midnight on a Thursday or Friday."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from conversations.business_hours import (
    Hours,
    add_clock_time,
    add_working_time,
    clock_time_between,
    is_open,
    working_time_between,
)

PARIS = Hours.of(time_zone="Europe/Paris", days=[1, 2, 3, 4, 5], opens=time(9), closes=time(17))
CAIRO = Hours.of(time_zone="Africa/Cairo", days=[7, 1, 2, 3, 4], opens=time(9), closes=time(17))


def paris(*args) -> datetime:
    return datetime(*args, tzinfo=ZoneInfo("Europe/Paris"))


def cairo(*args) -> datetime:
    return datetime(*args, tzinfo=ZoneInfo("Africa/Cairo"))


def test_within_one_working_day():
    assert add_working_time(paris(2026, 3, 10, 10, 0), timedelta(hours=4), PARIS) == paris(2026, 3, 10, 14, 0)


def test_the_rest_carries_over_the_weekend_and_across_the_spring_clock_change():
    # Friday 27 March 2026, 15:00 in Paris (UTC+1); the clocks go forward on Sunday the
    # 29th; two hours are left on Friday, two more on Monday morning, now UTC+2.
    due = add_working_time(paris(2026, 3, 27, 15, 0), timedelta(hours=4), PARIS)
    assert due == datetime(2026, 3, 30, 9, 0, tzinfo=UTC)  # 11:00 in Paris, summer time
    assert due.astimezone(ZoneInfo("Europe/Paris")).hour == 11


def test_the_autumn_clock_change_gives_no_hour_away():
    # Friday 23 October 2026 16:00 (UTC+2) + 8 working hours: 1 on Friday, 7 on Monday
    # 26 October (UTC+1): 16:00 Paris time, 15:00 UTC.
    due = add_working_time(paris(2026, 10, 23, 16, 0), timedelta(hours=8), PARIS)
    assert due == datetime(2026, 10, 26, 15, 0, tzinfo=UTC)


def test_cairo_works_sunday_to_thursday_and_keeps_its_summer_time():
    # Thursday 30 April 2026 at 16:00 in Cairo: Egypt's summer time starts at midnight
    # that night (the last Friday of April). One hour on Thursday, the rest on Sunday.
    start = cairo(2026, 4, 30, 16, 0)
    due = add_working_time(start, timedelta(hours=3), CAIRO)
    assert due.astimezone(ZoneInfo("Africa/Cairo")).replace(tzinfo=None) == datetime(2026, 5, 3, 11, 0)
    assert due == datetime(2026, 5, 3, 8, 0, tzinfo=UTC)  # UTC+3 from then on
    assert not is_open(cairo(2026, 5, 1, 11, 0), CAIRO)  # Friday
    assert is_open(cairo(2026, 5, 3, 11, 0), CAIRO)  # Sunday


def test_starting_outside_hours_counts_from_the_next_opening():
    # Saturday night in Paris: a one-hour target ends on Monday at 10:00.
    assert add_working_time(paris(2026, 3, 14, 22, 0), timedelta(hours=1), PARIS) == paris(2026, 3, 16, 10, 0)


def test_around_the_clock_counts_real_time_through_the_night_the_clocks_jump():
    # 01:30 in Paris on 29 March 2026; at 02:00 the clocks jump to 03:00: an hour later
    # is 03:30 by the wall clock.
    start = paris(2026, 3, 29, 1, 30)
    due = add_clock_time(start, timedelta(hours=1), None)
    assert due.astimezone(ZoneInfo("Europe/Paris")).replace(tzinfo=None) == datetime(2026, 3, 29, 3, 30)


@pytest.mark.parametrize("length", [timedelta(0), timedelta(minutes=-5)])
def test_nothing_to_wait_ends_at_the_start(length):
    start = paris(2026, 3, 14, 22, 0)
    assert add_working_time(start, length, PARIS) == start


def test_no_working_day_is_refused():
    closed = Hours.of(time_zone="UTC", days=[], opens=time(9), closes=time(17))
    with pytest.raises(ValueError, match="business days"):
        add_working_time(datetime(2026, 1, 1, tzinfo=UTC), timedelta(hours=1), closed)


# --- Measuring back: how long an answer took ------------------------------------------------------


def test_the_working_time_between_two_moments_skips_nights_and_the_weekend():
    # Friday 16:00 to Monday 10:00 in Paris: one hour on Friday, one on Monday.
    assert working_time_between(paris(2026, 3, 13, 16, 0), paris(2026, 3, 16, 10, 0), PARIS) == timedelta(hours=2)
    # Cairo's Friday and Saturday do not count; Thursday 16:00 to Sunday 10:00 is two hours.
    assert working_time_between(cairo(2026, 12, 3, 16, 0), cairo(2026, 12, 6, 10, 0), CAIRO) == timedelta(hours=2)
    # Asked and answered at night: no working time at all.
    assert working_time_between(paris(2026, 3, 10, 20, 0), paris(2026, 3, 10, 23, 0), PARIS) == timedelta(0)


def test_the_working_time_between_spans_the_clock_change_by_the_wall_clock():
    # Friday 27 March 15:00 (UTC+1) to Monday 30 March 11:00 (UTC+2): 2 + 2 working hours.
    assert working_time_between(paris(2026, 3, 27, 15, 0), paris(2026, 3, 30, 11, 0), PARIS) == timedelta(hours=4)


@pytest.mark.parametrize(
    ("start", "hours"),
    [(paris(2026, 3, 27, 15, 0), 4), (paris(2026, 10, 23, 16, 0), 8), (paris(2026, 3, 10, 20, 0), 3)],
)
def test_measuring_back_undoes_adding_working_time(start, hours):
    due = add_working_time(start, timedelta(hours=hours), PARIS)
    assert working_time_between(start, due, PARIS) == timedelta(hours=hours)


def test_around_the_clock_the_time_between_is_the_real_time_and_never_negative():
    start = datetime(2026, 3, 28, 23, 0, tzinfo=UTC)
    assert clock_time_between(start, start + timedelta(hours=5), None) == timedelta(hours=5)
    assert clock_time_between(start, start - timedelta(hours=1), None) == timedelta(0)
    assert clock_time_between(start, start - timedelta(hours=1), PARIS) == timedelta(0)
