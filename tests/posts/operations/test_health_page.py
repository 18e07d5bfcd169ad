"""The press office's health page: health_report() in words, green or red with its reasons."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from channels.budgets import budget_spend
from posts.models import Heartbeat
from tests.posts.conftest import free_port

pytestmark = pytest.mark.django_db


def beat(name: str, seconds_ago: float = 1) -> None:
    Heartbeat.objects.update_or_create(name=name, defaults={"seen_at": timezone.now() - timedelta(seconds=seconds_ago)})


def test_green_when_the_dispatcher_and_a_worker_were_seen_lately(press, as_user):
    for name in ("dispatcher", "worker:w1@live", "queue:crisis", "queue:publish"):
        beat(name)
    page = as_user(press).get(reverse("posts:health")).text
    assert "ops-status--ok" in page
    assert "Healthy: messages are going out." in page
    assert "Problem" not in page.split("Each part of the engine")[0]


def test_red_with_its_reasons_when_the_dispatcher_lags(press, as_user):
    beat("dispatcher", seconds_ago=600)
    beat("worker:w1@live", seconds_ago=1)
    page = as_user(press).get(reverse("posts:health")).text
    assert "ops-status--bad" in page
    assert "Problem: messages may not be going out." in page
    assert "Dispatcher: It has not run for 10 minutes" in page


def test_the_reasons_read_in_french_with_a_no_break_space_before_the_colon(press, as_user):
    beat("dispatcher", seconds_ago=600)
    client = as_user(press)
    client.cookies["django_language"] = "fr"
    page = client.get(reverse("posts:health")).text
    assert "Répartiteur\u00a0: " in page
    assert "Dispatcher" not in page


def test_red_when_no_worker_was_ever_seen_and_the_broker_is_down(press, as_user, point_broker_at, settings):
    settings.HEALTH_BROKER_TIMEOUT = 0.5
    point_broker_at(f"redis://127.0.0.1:{free_port()}/0")  # nothing listens there
    page = as_user(press).get(reverse("posts:health")).text
    assert "It has never run: is beat running?" in page
    assert "No worker seen for" in page
    assert "does not answer (" in page.split("Message broker")[1]


def test_the_page_refreshes_itself_as_a_fragment(press, as_user):
    response = as_user(press).get(reverse("posts:health"), headers={"HX-Request": "true"})
    assert "<html" not in response.text
    assert 'hx-trigger="every 5s"' in response.text


def test_in_french(press, as_user):
    client = as_user(press)
    client.cookies["django_language"] = "fr"
    page = client.get(reverse("posts:health"), headers={"Accept-Language": "fr"}).text
    assert "Santé du moteur de publication" in page


def test_the_networks_daily_budgets_are_shown_with_the_crisis_reserve(press, as_user, settings):
    """What listening and analytics spent together; past the routine share, it says so."""
    settings.NETWORK_DAILY_UNITS = {**settings.NETWORK_DAILY_UNITS, "youtube": 10}
    settings.NETWORK_CRISIS_RESERVE = 0.4
    for _ in range(6):
        assert budget_spend(network="youtube")
    assert budget_spend(network="youtube", crisis=True)
    page = as_user(press).get(reverse("posts:health")).text
    budgets = page.split('id="budgets-title"')[1]
    row = budgets.split("YouTube</th>")[1].split("</tr>")[0]
    cells = [cell.split("</td>")[0].strip() for cell in row.split('<td class="num">')[1:]]
    assert cells[0] == "7 / 10"
    assert "none: routine reads wait" in cells[1]
    assert cells[2:4] == ["3 / 4", "1"]
