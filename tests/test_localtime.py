"""Local times (diplomacy_hub/localtime.py) typed in a mission's zone: converted on the
server with zoneinfo; a time that does not exist or happens twice is refused rather than
guessed, by every form that takes one; and every date lies within one bound."""

from __future__ import annotations

import zoneinfo
from datetime import UTC, date, datetime

import pytest
from django.core.exceptions import ValidationError
from django.utils import translation

from diplomacy_hub.localtime import (
    EARLIEST_DATE,
    LATEST_DATE,
    BoundedDateField,
    LocalDateTimeField,
    local_to_aware,
    parse_local,
)
from posts.forms_operations import ReleaseForm

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


# --- Every local-time field refuses the DST nights: the compose form's and the release form's ---------

SPRING_NIGHT = "2030-03-31T02:30"  # Paris: the clocks go from 02:00 to 03:00
AUTUMN_NIGHT = "2030-10-27T02:30"  # Paris: 02:00-03:00 happens twice


def _release_form(publish_at: str, zone=PARIS) -> ReleaseForm:
    return ReleaseForm({"when": "at", "publish_at": publish_at, "deliveries": ""}, zone=zone, zone_label="Paris")


@pytest.mark.parametrize(("value", "code"), [(SPRING_NIGHT, "nonexistent"), (AUTUMN_NIGHT, "ambiguous")])
def test_the_release_form_refuses_a_time_that_does_not_exist_or_happens_twice(value, code):
    form = _release_form(value)
    assert not form.is_valid()
    assert form.errors.as_data()["publish_at"][0].code == code
    assert "Paris" in form.errors["publish_at"][0]


def test_the_release_form_takes_a_time_in_its_zone():
    form = _release_form("2030-03-31T03:30")
    assert form.is_valid(), form.errors
    assert form.release_time() == datetime(2030, 3, 31, 1, 30, tzinfo=UTC)


def test_the_release_form_reads_headquarters_time_by_default():
    form = ReleaseForm({"when": "at", "publish_at": "2030-07-01T09:00"})
    assert form.is_valid(), form.errors
    assert form.release_time() == datetime(2030, 7, 1, 7, 0, tzinfo=UTC)  # Paris, summer: UTC+2


@pytest.mark.parametrize(("value", "code"), [(SPRING_NIGHT, "nonexistent"), (AUTUMN_NIGHT, "ambiguous")])
def test_the_field_refuses_the_dst_nights_in_french_too(value, code):
    field = LocalDateTimeField(zone=PARIS, place="Paris")
    with translation.override("fr"):
        with pytest.raises(ValidationError) as error:
            field.clean(value)
        words = error.value.messages[0]
    assert error.value.code == code
    assert "Paris" in words
    assert ("n’existe pas" if code == "nonexistent" else "deux fois") in words


# --- The bound on dates --------------------------------------------------------------------------


@pytest.mark.parametrize("value", ["0001-01-01T00:00", "9999-12-31T23:59", "1999-12-31T23:59", "2100-01-01T00:00"])
@pytest.mark.parametrize("zone", [TOKYO, zoneinfo.ZoneInfo("America/Los_Angeles"), zoneinfo.ZoneInfo("UTC")])
def test_a_time_out_of_the_bound_is_refused_with_the_bound_said(value, zone):
    field = LocalDateTimeField(zone=zone, place="Here")
    with pytest.raises(ValidationError) as error:
        field.clean(value)
    assert error.value.code == "out_of_range"
    assert f"{EARLIEST_DATE.isoformat()} and {LATEST_DATE.isoformat()}" in error.value.messages[0]


def test_the_edges_of_the_bound_are_taken_in_every_zone():
    for zone in (TOKYO, zoneinfo.ZoneInfo("Pacific/Kiritimati"), zoneinfo.ZoneInfo("Pacific/Pago_Pago")):
        field = LocalDateTimeField(zone=zone, place="Here")
        assert field.clean("2000-01-01T00:00") is not None
        assert field.clean("2099-12-31T23:59") is not None


@pytest.mark.parametrize("value", ["0001-01-01", "9999-12-31", "1999-12-31", "2100-01-01"])
def test_a_date_out_of_the_bound_is_refused(value):
    with pytest.raises(ValidationError) as error:
        BoundedDateField().clean(value)
    assert error.value.code == "out_of_range"
    assert BoundedDateField().clean("2099-12-31") == date(2099, 12, 31)


def test_the_date_inputs_carry_the_bound():
    attrs = BoundedDateField().widget.attrs
    assert (attrs["min"], attrs["max"]) == ("2000-01-01", "2099-12-31")
