"""Journey 10 (issue 18): the press office plans an electoral silence for Lebanon that would
hold crisis alerts (the page says so and asks again); an officer of the Beirut embassy
composing a message for a time in that silence is told it would be held, what the day is
in Lebanon, and, for a time at night, when its audience is awake; the calendar shows the
silence beside Lebanon's holidays; the desks page shows who is on duty now."""

from __future__ import annotations

from datetime import time, timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from globaltime.models import Desk, DutyShift
from tests.posts.factories import account, officer, press_officer

from .helpers import shot

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(120)]


def test_a_silence_planned_for_lebanon_is_said_on_compose_and_on_the_calendar(live_server, login):
    account("emb-lb-beirut", handle="@FranceauLiban")
    press = press_officer(username="lea", first_name="Léa", last_name="Dubois")
    author = officer("emb-lb-beirut", username="rami", first_name="Rami", last_name="Khoury")
    headquarters = Desk.objects.create(
        name="Headquarters",
        is_headquarters=True,
        time_zone="Europe/Paris",
        weekdays=list(range(7)),
        opens_at=time(0),
        closes_at=time(0),
        lead=press,
    )
    DutyShift.objects.bulk_create(
        DutyShift(desk=headquarters, weekday=day, starts_at=time(0), ends_at=time(0), officer=press) for day in range(7)
    )
    colleague = press_officer(username="thomas", first_name="Thomas", last_name="Petit")
    for name, zone, region in (
        ("Americas desk", "America/New_York", "Americas"),
        ("Asia desk", "Asia/Tokyo", "Asia-Pacific"),
    ):
        desk = Desk.objects.create(
            name=name, time_zone=zone, regions=[region], weekdays=list(range(7)), opens_at=time(8), closes_at=time(20)
        )
        DutyShift.objects.bulk_create(
            shift
            for day in range(7)
            for shift in (
                DutyShift(desk=desk, weekday=day, starts_at=time(8), ends_at=time(14), officer=press),
                DutyShift(desk=desk, weekday=day, starts_at=time(14), ends_at=time(20), officer=colleague),
            )
        )
    start = (timezone.now() + timedelta(days=2)).astimezone(timezone.get_default_timezone())
    start = start.replace(hour=6, minute=0, second=0, microsecond=0)

    page = login(press)
    page.goto("/global/desks/")
    expect(page.get_by_text("Who is on duty now, everywhere")).to_be_visible()
    expect(page.get_by_role("cell", name="On duty Léa Dubois around the clock")).to_be_visible()
    shot(page, "desks-on-duty", full_page=False)

    page.goto("/silences/")
    page.get_by_label("Kind").select_option("electoral")
    page.locator("#id_country").fill("LB")
    page.locator("#id_starts_at").fill(start.strftime("%Y-%m-%dT%H:%M"))
    page.locator("#id_ends_at").fill((start + timedelta(days=2)).strftime("%Y-%m-%dT%H:%M"))
    page.get_by_label("Hold crisis alerts too").check()
    page.get_by_label("Reason").fill("Parliamentary elections")
    page.get_by_role("button", name="Plan the silence").click()
    expect(page.locator("#crisis-warning")).to_contain_text("This silence would hold crisis alerts")
    page.get_by_role("button", name="Plan it, holding crisis alerts").click()
    expect(page.get_by_text("Silence planned", exact=False)).to_be_visible()
    expect(page.get_by_role("cell", name="Parliamentary elections")).to_be_visible()
    shot(page, "silences", full_page=False)

    writer = login(author)
    writer.goto("/messages/new/")
    expect(writer.get_by_text("The coming days in Beirut")).to_be_visible()
    expect(writer.get_by_text("Electoral silence: Lebanon (Parliamentary elections)").first).to_be_visible()
    night = (start + timedelta(days=1)).replace(hour=2)  # 02:00 in Beirut, inside the silence
    writer.locator("#id_desired_at").fill(night.strftime("%Y-%m-%dT%H:%M"))
    advice = writer.get_by_test_id("time-advice")
    expect(advice).to_contain_text("Electoral silence in force then")
    expect(advice).to_contain_text("Its audience is asleep then in Beirut. Suggested time:")
    shot(writer, "compose-time-advice", full_page=False)

    day = (start + timedelta(days=1)).date().isoformat()
    page.goto(f"/calendar/?view=week&date={day}&region=Middle+East+%26+North+Africa")
    expect(page.get_by_text("Electoral silence: Lebanon (Parliamentary elections)").first).to_be_visible()
    shot(page, "calendar-global-time", full_page=False)
