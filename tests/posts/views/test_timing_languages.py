"""The calendar's days in the reader's language (issue 18 §2, §4): host countries' holidays
as the holidays library names them in the reader's language where it can (else in English),
the UN's international days from the data file's five names, and what people typed as typed."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
import time_machine
from django.test import Client
from django.urls import reverse
from django.utils import translation

from globaltime import days
from globaltime.models import Occasion
from tests.posts.factories import mission, officer, press_officer
from tests.security.otp import force_verified_login

pytestmark = pytest.mark.django_db

WOMENS_DAY = {
    "en": "International Women's Day",
    "fr": "Journée internationale des femmes",
    "es": "Día Internacional de la Mujer",
    "de": "Internationaler Frauentag",
    "ar": "اليوم الدولي للمرأة",
}


def client_for(user) -> Client:
    return force_verified_login(Client(), user)


@pytest.mark.parametrize("language", sorted(WOMENS_DAY))
def test_un_days_are_named_in_the_readers_language(language):
    with translation.override(language):
        names = [o.name for _, o in days.observances_between(date(2026, 3, 8), date(2026, 3, 8))]
    assert names == [WOMENS_DAY[language]]


def test_every_un_day_has_a_name_in_every_language_and_no_english_left_in_them():
    for observance in days.observances():
        names = dict(observance.names)
        assert set(names) == set(days.OBSERVANCE_LANGUAGES)
        assert all(names.values()), observance.name_en
        assert names["ar"] != observance.name_en
        assert names["es"] != observance.name_en


@pytest.mark.parametrize(
    ("language", "country", "day", "name"),
    [
        ("de", "DE", date(2026, 5, 1), "Erster Mai"),
        ("es", "MX", date(2026, 2, 2), "Día de la Constitución"),
        ("ar", "EG", date(2026, 5, 1), "عيد العمال"),  # the library's Egyptian Arabic (ar_EG)
        ("fr", "EG", date(2026, 5, 1), "Fête du Travail"),
        ("en", "DE", date(2026, 5, 1), "Labor Day"),
        # The library has no German for Japan: its English name, not a Japanese one.
        ("de", "JP", date(2026, 5, 5), "Children's Day"),
    ],
)
def test_holidays_are_named_in_the_readers_language_where_the_library_has_it(language, country, day, name):
    with translation.override(language):
        found = days.public_holidays(country, day, day)
    assert found is not None
    assert [holiday.name for holiday in found] == [name]


def test_the_national_day_is_known_whatever_the_readers_language():
    """Told from its English name, whatever the language it is shown in."""
    for language in ("fr", "es", "de", "ar"):
        with translation.override(language):
            found = days.public_holidays("SN", date(2026, 4, 4), date(2026, 4, 4))
        assert found is not None
        assert found[0].national, language


@pytest.mark.parametrize(
    ("language", "holiday", "un_day"),
    [
        ("de", "Gesetzlicher Feiertag in Deutschland: Erster Mai", "Internationaler Tag der Pressefreiheit"),
        # The library names Germany's holidays in German and English only: English for them.
        ("es", "Día festivo en Alemania: Labor Day", "Día Mundial de la Libertad de Prensa"),
        ("ar", "Labor Day", "اليوم العالمي لحرية الصحافة"),
    ],
)
def test_the_calendar_shows_holidays_and_un_days_in_the_readers_language(language, holiday, un_day):
    berlin = mission("emb-de-berlin")
    press = press_officer()
    Occasion.objects.create(mission=berlin, title="Tag der offenen Tür", day=date(2026, 5, 2), created_by=press)
    html = (
        client_for(press)
        .get(
            reverse("posts:calendar"),
            {"date": "2026-05-01", "view": "week", "mission": str(berlin.pk)},
            headers={"accept-language": language},
        )
        .text
    )
    assert holiday in html
    assert un_day in html
    assert "World Press Freedom Day" not in html
    assert "Tag der offenen Tür" in html  # typed by a person: as typed


@pytest.mark.parametrize(
    ("language", "expected"),
    [
        ("de", "Internationaler Frauentag"),
        ("es", "Día Internacional de la Mujer"),
        ("ar", "اليوم الدولي للمرأة"),
    ],
)
def test_compose_names_the_days_in_the_readers_language(language, expected):
    berlin = mission("emb-de-berlin")
    author = officer(berlin)
    response = client_for(author).get(
        reverse("posts:time_in_hq"),
        {"mission": str(berlin.pk), "desired_at": "2026-03-08T10:00"},
        headers={"accept-language": language},
    )
    assert expected in response.text
    assert "International Women's Day" not in response.text


def test_the_compose_pages_coming_days_are_named_in_the_readers_language():
    berlin = mission("emb-de-berlin")
    with time_machine.travel(datetime(2026, 3, 5, 9, 0, tzinfo=UTC), tick=False):
        page = (
            client_for(officer(berlin))
            .get(reverse("posts:message_create"), {"mission": berlin.pk}, headers={"accept-language": "de"})
            .text
        )
    assert "Internationaler Frauentag" in page
    assert "International Women's Day" not in page
