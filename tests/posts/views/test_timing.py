"""What a day and a moment mean for a mission, on the calendar, compose and approve: host
countries' public holidays (the holidays library; a country it does not cover is said to be
unknown), the UN's international days, the missions' events, planned silences, and night
for the mission's audience, with a suggested time when it is awake."""

from __future__ import annotations

from datetime import UTC, date, datetime, time

import pytest
import time_machine
from django.test import Client
from django.urls import reverse

from globaltime import audience, days
from globaltime.models import Occasion
from posts.models import PublishingPause
from tests.factories import MissionFactory
from tests.posts.factories import approved_message, mission, officer, press_officer, submitted_message
from tests.security.otp import force_verified_login

pytestmark = pytest.mark.django_db


def client_for(user) -> Client:
    return force_verified_login(Client(), user)


def test_the_library_knows_egypts_holidays_and_says_unknown_for_a_country_it_does_not_cover():
    may = days.public_holidays("EG", date(2026, 5, 1), date(2026, 5, 31))
    assert may is not None
    assert (may[0].day, may[0].name) == (date(2026, 5, 1), "Labor Day")
    assert days.public_holidays("ZZ", date(2026, 5, 1), date(2026, 5, 31)) is None
    senegal = days.public_holidays("SN", date(2026, 4, 4), date(2026, 4, 4))
    assert senegal is not None
    assert senegal[0].national


def test_the_un_days_come_from_the_data_file_with_its_source():
    assert days.OBSERVANCES_SOURCE in days.OBSERVANCES_FILE.read_text(encoding="utf-8")
    assert [o.name_en for _, o in days.observances_between(date(2026, 5, 3), date(2026, 5, 3))] == [
        "World Press Freedom Day"
    ]


def test_the_calendar_shows_holidays_un_days_events_and_silences_filtered_by_region():
    press = press_officer()
    cairo = mission("emb-eg-cairo")
    Occasion.objects.create(mission=cairo, title="Cairo book fair", day=date(2026, 5, 2), created_by=press)
    PublishingPause.objects.create(
        kind="mourning",
        scope="country",
        value="EG",
        reason="Three days of mourning",
        started_by=press,
        starts_at=datetime(2026, 5, 2, 8, tzinfo=UTC),
        ends_at=datetime(2026, 5, 3, 8, tzinfo=UTC),
    )
    client = client_for(press)
    mena = client.get(
        reverse("posts:calendar"), {"date": "2026-05-01", "view": "week", "region": "Middle East & North Africa"}
    ).text
    assert "Public holiday in Egypt: Labor Day" in mena
    assert "World Press Freedom Day" in mena
    assert "Cairo book fair (Cairo)" in mena
    assert "National mourning: Egypt (Three days of mourning)" in mena
    europe = client.get(reverse("posts:calendar"), {"date": "2026-05-01", "view": "week", "region": "Europe"}).text
    assert "Public holiday in Egypt" not in europe
    assert "Cairo book fair" not in europe
    assert "National mourning" not in europe


def test_the_calendar_says_which_countries_holidays_are_unknown():
    press = press_officer()
    MissionFactory(code="emb-zz-nowhere", country_code="ZZ", region="Europe", time_zone="Europe/Paris")
    html = client_for(press).get(reverse("posts:calendar"), {"date": "2026-05-01", "region": "Europe"}).text
    assert "Public holidays unknown to the calendar for: ZZ." in html


def test_the_week_of_one_mission_shades_its_audiences_night_and_marks_night_messages():
    press = press_officer()
    cairo = mission("emb-eg-cairo")
    night = approved_message(
        author=officer("emb-eg-cairo"),
        approver=press,
        publish_at=datetime(2030, 3, 12, 1, 0, tzinfo=UTC),
        in_hours=None,
    )  # 03:00 in Cairo
    html = (
        client_for(press)
        .get(reverse("posts:calendar"), {"date": "2030-03-12", "view": "week", "mission": str(cairo.pk)})
        .text
    )
    assert "Shaded: night in Cairo" in html
    assert '<rect class="day-strip__night" x="0" y="0" width="7.0" height="1">' in html
    assert "night for its audience" in html
    assert night.title in html


def test_audience_hours_follow_the_local_clock_and_suggest_the_next_morning():
    cairo = mission("emb-eg-cairo")
    late = datetime(2026, 12, 7, 22, 30, tzinfo=UTC)  # 00:30 in Cairo
    assert not audience.is_awake(cairo, late)
    suggestion = audience.suggest_time(cairo, late)
    assert suggestion.moved
    assert suggestion.at.astimezone(cairo.zone).strftime("%Y-%m-%d %H:%M") == "2026-12-08 07:00"
    noon = datetime(2026, 12, 7, 10, 0, tzinfo=UTC)
    assert audience.suggest_time(cairo, noon) == audience.Suggestion(at=noon, moved=False)
    cairo.audience_wakes, cairo.audience_sleeps = time(9), time(21)
    assert audience.night_hours(cairo) == [(0, 9.0), (21.0, 24)]


def test_compose_says_friday_is_a_public_holiday_in_egypt_and_suggests_a_waking_hour():
    author = officer("emb-eg-cairo")
    cairo = mission("emb-eg-cairo")
    response = client_for(author).get(
        reverse("posts:time_in_hq"), {"mission": str(cairo.pk), "desired_at": "2026-05-01T03:00"}
    )
    assert "Friday is a public holiday in Egypt (Labor Day)." in response.text
    assert "Its audience is asleep then in Cairo. Suggested time:" in response.text
    french = client_for(author).get(
        reverse("posts:time_in_hq"),
        {"mission": str(cairo.pk), "desired_at": "2026-05-01T10:00"},
        headers={"accept-language": "fr"},
    )
    assert "vendredi\u00a0: jour férié (Égypte) (Fête du Travail)." in french.text


def test_compose_lists_the_coming_days_and_a_silence_that_would_hold_the_message():
    author = officer("emb-lb-beirut")
    press = press_officer()
    beirut = mission("emb-lb-beirut")
    with time_machine.travel(datetime(2026, 4, 28, 9, 0, tzinfo=UTC), tick=False):
        PublishingPause.objects.create(
            kind="electoral",
            scope="country",
            value="LB",
            reason="Parliamentary elections",
            started_by=press,
            starts_at=datetime(2026, 5, 2, 0, tzinfo=UTC),
            ends_at=datetime(2026, 5, 4, 0, tzinfo=UTC),
        )
        client = client_for(author)
        page = client.get(reverse("posts:message_create"), {"mission": beirut.pk}).text
        assert "The coming days in Beirut" in page
        assert "Electoral silence: Lebanon (Parliamentary elections)" in page
        said = client.get(reverse("posts:time_in_hq"), {"mission": str(beirut.pk), "desired_at": "2026-05-03T10:00"})
    assert "Electoral silence in force then (Parliamentary elections)" in said.text


def test_the_approve_form_suggests_a_time_when_the_audience_is_awake():
    press = press_officer()
    with time_machine.travel(datetime(2026, 12, 7, 22, 30, tzinfo=UTC), tick=False):  # 00:30 in Cairo
        message = submitted_message(author=officer("emb-eg-cairo"))
        html = client_for(press).get(reverse("posts:message_detail", args=[message.pk])).text
    assert "Its audience is asleep then in Cairo. Suggested time:" in html
