"""Local times typed in a mission's zone: converted on the server with zoneinfo, and a time
that does not exist or happens twice is refused rather than guessed."""

from __future__ import annotations

import zoneinfo
from datetime import UTC, datetime

import pytest
from django.core.exceptions import ValidationError

from posts.forms import LocalDateTimeField, local_to_aware, parse_local

TOKYO = zoneinfo.ZoneInfo("Asia/Tokyo")
PARIS = zoneinfo.ZoneInfo("Europe/Paris")


def test_a_tokyo_time_is_the_instant_nine_hours_earlier_in_utc():
    assert local_to_aware(datetime(2030, 7, 1, 9, 0), TOKYO, place="Tokyo") == datetime(2030, 7, 1, 0, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("wall", "utc"),
    [
        (datetime(2030, 3, 31, 1, 59), datetime(2030, 3, 31, 0, 59, tzinfo=UTC)),  # before the change: UTC+1
        (datetime(2030, 3, 31, 3, 0), datetime(2030, 3, 31, 1, 0, tzinfo=UTC)),  # after: UTC+2
    ],
)
def test_paris_times_around_the_spring_change(wall, utc):
    assert local_to_aware(wall, PARIS, place="Paris") == utc


def test_a_time_skipped_by_the_clocks_going_forward_is_refused():
    with pytest.raises(ValidationError) as error:
        local_to_aware(datetime(2030, 3, 31, 2, 30), PARIS, place="Paris")
    assert error.value.code == "nonexistent"
    assert "does not exist in Paris" in error.value.messages[0]


def test_a_time_repeated_by_the_clocks_going_back_is_refused():
    with pytest.raises(ValidationError) as error:
        local_to_aware(datetime(2030, 10, 27, 2, 30), PARIS, place="Paris")
    assert error.value.code == "ambiguous"
    assert "happens twice in Paris" in error.value.messages[0]


def test_the_field_reads_what_a_datetime_local_input_sends_and_shows_it_back_in_the_zone():
    field = LocalDateTimeField(zone=TOKYO, place="Tokyo", required=False)
    assert field.clean("2030-07-01T09:00") == datetime(2030, 7, 1, 0, 0, tzinfo=UTC)
    assert field.clean("") is None
    assert field.prepare_value(datetime(2030, 7, 1, 0, 0, tzinfo=UTC)) == "2030-07-01T09:00"
    with pytest.raises(ValidationError):
        field.clean("tomorrow morning")


def test_parse_local_takes_the_browser_formats_only():
    assert parse_local("2030-07-01T09:00") == datetime(2030, 7, 1, 9, 0)
    assert parse_local("2030-07-01 09:00:30") == datetime(2030, 7, 1, 9, 0, 30)
    assert parse_local("01/07/2030") is None
