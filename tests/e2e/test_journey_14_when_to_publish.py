"""Journey 14 (issue 18 §2, §4, §5): an officer of the Tokyo embassy who reads German composes
a message for a time in the morning; the page suggests the evening hour when the embassy's
audience engaged most over the last eight weeks, and says why, in German. The calendar
names the UN's international days in German too."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from tests.analytics.test_engaged_hour import seed_habits
from tests.posts.factories import account, mission, officer

from .helpers import shot

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(90)]

TOKYO = ZoneInfo("Asia/Tokyo")


def test_compose_suggests_when_the_audience_engaged_most_in_german(live_server, login):
    tokyo = mission("emb-jp-tokyo")
    x_account = account(tokyo, handle="@FranceauJapon")
    today = timezone.now().astimezone(TOKYO).date()
    seed_habits(x_account, first=datetime.combine(today - timedelta(weeks=5), datetime.min.time(), tzinfo=TOKYO))
    author = officer(tokyo, username="kenji", first_name="Kenji", last_name="Mori")

    page = login(author)
    page.locator(".language-menu summary").click()
    page.get_by_role("button", name="Deutsch").click()
    expect(page.locator("html")).to_have_attribute("lang", "de")

    page.goto(f"/messages/new/?mission={tokyo.pk}")
    tomorrow = today + timedelta(days=1)
    page.locator("#id_desired_at").fill(f"{tomorrow.isoformat()}T10:00")
    advice = page.get_by_test_id("time-advice-engaged")
    expect(advice).to_contain_text("in den letzten 8 Wochen gegen 19:00 Uhr am meisten reagiert")
    expect(advice).to_contain_text("Vorgeschlagene Zeit:")
    expect(page.get_by_test_id("time-advice")).to_contain_text("gemessen an 14 Nachrichten")
    expect(page.get_by_test_id("time-advice")).not_to_contain_text("engaged most")
    shot(page, "compose-engaged-hour", full_page=False)

    page.goto(f"/calendar/?view=month&date={today.year + 1}-03-08&mission={tokyo.pk}")
    expect(page.get_by_text("Internationaler Frauentag").first).to_be_visible()
    expect(page.get_by_text("International Women's Day")).to_have_count(0)
