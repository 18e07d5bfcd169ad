"""One daily budget per network, spent by the desk's polling and analytics' collection
alike (channels.budgets), through the real YouTube adapter against the sandbox: a day's
quota spent by one stops the other, and the part kept for crises is left to the accounts of
missions under a crisis alert."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from django.utils import timezone

from analytics.models import AccountDaily
from analytics.services import account_collect
from channels.budgets import budget_day, budget_next_day, budget_spend, budgets_today
from channels.models import Network, NetworkBudget, SocialAccount
from conversations.models import ListenCursor
from conversations.services.polling import account_poll, cursors_claim_due
from posts.models import Message, Priority
from tests.analytics.conftest import sandbox_account
from tests.posts.factories import account, approved_message, officer, press_officer

pytestmark = pytest.mark.django_db


@pytest.fixture
def small_quota(settings, on_sandbox):
    # A day of 10 units, 4 of them kept for crises: routine work stops at 6.
    settings.NETWORK_DAILY_UNITS = {**settings.NETWORK_DAILY_UNITS, "youtube": 10}
    settings.NETWORK_CRISIS_RESERVE = 0.4
    return on_sandbox


def spent() -> NetworkBudget:
    return NetworkBudget.objects.get(network=Network.YOUTUBE, day=budget_day(Network.YOUTUBE))


def poll_youtube():
    ListenCursor.objects.update(next_poll_at=timezone.now())
    claimed = cursors_claim_due()
    assert len(claimed) == 1
    return account_poll(cursor_id=claimed[0].cursor_id, claim=claimed[0].claim)


def under_crisis_alert(mission) -> None:
    """An approved crisis alert to the mission's X account (YouTube would need a video), not
    connected, so that polling has only the YouTube account to poll."""
    message = approved_message(
        approver=press_officer(),
        author=officer(mission),
        mission_or_code=mission,
        targets=[account(mission, Network.TWITTER, status=SocialAccount.Status.EXPIRED)],
        title="Alerte",
        texts={"fr": "Alerte"},
    )
    Message.objects.filter(pk=message.pk).update(priority=Priority.CRISIS)


def test_quota_spent_by_polling_stops_analytics_collection(small_quota):
    tokyo = sandbox_account("emb-jp-tokyo", Network.YOUTUBE)
    polls = 0
    while poll_youtube().polled:
        polls += 1
        assert polls < 10, "polling never stopped"
    # Each poll counted what YouTube charged; once past the routine share, none starts.
    assert polls >= 1
    assert spent().units >= 6
    cursor = ListenCursor.objects.get()
    assert cursor.last_error.startswith("budget")
    assert cursor.failures == 0
    # It waits for YouTube's next day (midnight in California), not for a backoff.
    assert abs((cursor.next_poll_at - budget_next_day(Network.YOUTUBE)).total_seconds()) < 60
    result = account_collect(account_id=tokyo.pk)
    assert (result.stopped, result.daily) == ("budget", False)
    assert not AccountDaily.objects.exists()


def test_quota_spent_by_analytics_stops_polling(small_quota):
    tokyo = sandbox_account("emb-jp-tokyo", Network.YOUTUBE)
    for _ in range(5):  # what analytics spent before: five list calls
        assert budget_spend(network=Network.YOUTUBE)
    result = account_collect(account_id=tokyo.pk)  # channels.list: the sixth unit
    assert (result.daily, result.stopped) == (True, "")
    assert spent().units == 6
    outcome = poll_youtube()
    assert not outcome.polled
    assert outcome.error.startswith("budget")
    assert spent().units == 6  # nothing asked of YouTube


def test_the_crisis_reserve_is_left_to_missions_under_a_crisis_alert(small_quota):
    tokyo = sandbox_account("emb-jp-tokyo", Network.YOUTUBE)
    for _ in range(6):
        assert budget_spend(network=Network.YOUTUBE)
    assert not budget_spend(network=Network.YOUTUBE)  # routine: the reserve is kept
    assert spent().units == 6
    under_crisis_alert(tokyo.mission)
    outcome = poll_youtube()
    assert outcome.polled
    row = spent()
    assert row.units > 6
    assert row.crisis_units == row.units - 6
    # Analytics is routine work: even then, it does not touch the reserve.
    assert account_collect(account_id=tokyo.pk).stopped == "budget"
    (youtube,) = [budget for budget in budgets_today() if budget.network == Network.YOUTUBE]
    assert (youtube.limit, youtube.reserve, youtube.routine_left) == (10, 4, 0)
    assert youtube.reserve_left == 10 - row.units


def test_budgets_are_counted_per_network_day():
    """YouTube's day starts again at midnight Pacific time; the others' at midnight UTC."""
    late_utc = datetime(2026, 12, 8, 5, 0, tzinfo=UTC)  # 21:00 on the 7th in California
    assert budget_day(Network.YOUTUBE, late_utc).isoformat() == "2026-12-07"
    assert budget_day(Network.TWITTER, late_utc).isoformat() == "2026-12-08"
    assert budget_next_day(Network.YOUTUBE, late_utc) == datetime(2026, 12, 8, 8, 0, tzinfo=UTC)
