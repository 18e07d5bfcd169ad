"""Journey 13: analytics drawn in the browser. An officer opens their mission's dashboard and
the press office its comparison: each chart is drawn by the vendored Chart.js from the
page's data attributes (no inline script, no CSP violation), with its table beside it, and
an unknown number reads "unknown", never 0."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import expect

from analytics.models import AccountDaily, Unknown
from channels.models import Network
from tests.analytics.conftest import sent
from tests.e2e.helpers import shot
from tests.posts.factories import account, officer, press_officer

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(90)]


def _drawn(page, source: str) -> None:
    canvas = page.locator(f'canvas[data-source="{source}"]')
    expect(canvas).to_have_attribute("data-drawn", "1")
    # Chart.js keeps its chart on the canvas: drawn, with the page's data.
    points = page.evaluate(
        "(id) => window.Chart.getChart(document.querySelector(`canvas[data-source='${id}']`)).data.datasets[0].data",
        source,
    )
    assert any(point is not None for point in points)


def test_the_dashboards_draw_their_charts(live_server, login):
    cairo_x = account("emb-eg-cairo", Network.TWITTER)
    cairo_fb = account("emb-eg-cairo", Network.FACEBOOK)
    today = timezone.now().date()
    for days_ago in range(14, -1, -1):
        AccountDaily.objects.create(
            account=cairo_x,
            day=today - timedelta(days=days_ago),
            followers=12_000 + 40 * (14 - days_ago),
            collected_at=timezone.now(),
        )
    AccountDaily.objects.create(
        account=cairo_fb, day=today, followers=None, unknown=Unknown.PERMISSION, collected_at=timezone.now()
    )
    national_day = sent(cairo_x, title="Fête nationale", likes=120, views=9_000)
    sent(cairo_x, title="Horaires du consulat", likes=4, views=800)

    violations: list[str] = []
    page = login(officer("emb-eg-cairo", username="officer-cairo-analytics"))
    page.on(
        "console",
        lambda message: violations.append(message.text) if "Content Security Policy" in message.text else None,
    )
    page.goto(reverse("analytics:mission", args=["emb-eg-cairo"]))
    _drawn(page, "chart-audience")
    expect(page.get_by_role("table", name="Audience")).to_contain_text("The account lost its permission")
    expect(page.get_by_role("table", name="Best messages (30 days)")).to_contain_text("Fête nationale")
    shot(page, "analytics-mission")

    press = login(press_officer(username="press-analytics"))
    press.on(
        "console",
        lambda message: violations.append(message.text) if "Content Security Policy" in message.text else None,
    )
    press.goto(reverse("analytics:overview"))
    _drawn(press, "chart-regions")
    expect(press.get_by_role("table", name="Top messages of the week")).to_contain_text("Fête nationale")
    shot(press, "analytics-overview")

    # The message's own page: its numbers per account and language, drawn by analytics' panel.
    press.goto(reverse("posts:message_detail", args=[national_day.pk]))
    numbers = press.get_by_role("table", name="Per account and language (latest reading)")
    expect(numbers).to_contain_text("9,000")
    expect(numbers).to_contain_text("FR")
    shot(press, "analytics-message-page")
    assert not violations, violations
