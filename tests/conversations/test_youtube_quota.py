"""YouTube's polling pace (issue 14 §1): every channel polls from the network's one daily
budget, shared with analytics. A channel that uploaded recently polls often and a quiet one
rarely; all channels are stretched to fit what is left less the crisis reserve, which only a
mission in crisis may spend; the day starts again at midnight in California."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.utils import timezone

from channels.adapters.listening import Heard
from channels.budgets import budget_day, budget_next_day, budget_record, budget_today
from channels.models import Network
from conversations.models import ListenCursor
from conversations.services.polling import account_poll, cursors_claim_due
from conversations.services.quota import youtube_wait
from posts.models import Delivery
from tests.posts.factories import account, approved_message, officer, press_officer

pytestmark = pytest.mark.django_db

BASE = 1800  # LISTEN_INTERVALS["youtube"] in the tests


@pytest.fixture(autouse=True)
def _quota(settings):
    settings.LISTEN_INTERVALS = {**settings.LISTEN_INTERVALS, "youtube": BASE}
    settings.LISTEN_QUIET_FACTOR = 4.0
    settings.LISTEN_RECENT_UPLOAD_HOURS = 48.0
    settings.NETWORK_DAILY_UNITS = {**settings.NETWORK_DAILY_UNITS, "youtube": 10_000}
    settings.NETWORK_CRISIS_RESERVE = 0.2


def _channel(code: str):
    channel = account(code, Network.YOUTUBE, network_account_id=f"yt-{code}")
    ListenCursor.objects.create(account=channel)
    return channel


def _uploaded(channel, *, hours_ago: float) -> None:
    """A message published on the channel (a video: its deliveries are moved there)."""
    message = approved_message(
        approver=press_officer(),
        author=officer(channel.mission),
        mission_or_code=channel.mission,
        texts={"fr": "Réception pour la fête nationale."},
    )
    Delivery.objects.filter(message=message).update(
        account=channel,
        state=Delivery.State.SENT,
        external_id="video",
        sent_at=timezone.now() - timedelta(hours=hours_ago),
    )


def _spend(units: int, now=None) -> None:
    budget_record(network=Network.YOUTUBE, units=units, now=now)


def _reset(now) -> float:
    return (budget_next_day(Network.YOUTUBE, now) - now).total_seconds()


def test_a_channel_that_uploaded_recently_polls_more_often_than_a_quiet_one():
    busy, quiet = _channel("emb-eg-cairo"), _channel("emb-jp-tokyo")
    _uploaded(busy, hours_ago=3)
    _uploaded(quiet, hours_ago=72)  # past the recent window
    assert youtube_wait(account=busy, units_per_poll=1, crisis=False) == BASE
    assert youtube_wait(account=quiet, units_per_poll=1, crisis=False) == BASE * 4


def test_polls_and_analytics_spend_one_budget_that_starts_again_at_midnight_in_california():
    evening = datetime(2026, 12, 7, 7, 30, tzinfo=UTC)  # 23:30 the day before in California
    for units in (3, 2, 4):
        _spend(units, evening)
    assert budget_today(Network.YOUTUBE, now=evening).units == 9
    assert _reset(evening) == 30 * 60
    after_midnight = evening + timedelta(minutes=31)
    assert budget_day(Network.YOUTUBE, after_midnight) == budget_day(Network.YOUTUBE, evening) + timedelta(days=1)
    assert budget_today(Network.YOUTUBE, now=after_midnight).units == 0
    _spend(1, after_midnight)
    assert budget_today(Network.YOUTUBE, now=after_midnight).units == 1


def test_the_pace_is_stretched_when_the_day_would_overspend():
    channels = [_channel(code) for code in ("emb-eg-cairo", "emb-jp-tokyo", "emb-de-berlin")]
    noon = datetime(2026, 12, 7, 20, 0, tzinfo=UTC)  # 12:00 in California: 12 h to the reset
    with time_machine.travel(noon, tick=False):
        # Three quiet channels, 100 units a poll, every 2 h: 3 × 6 × 100 = 1,800 units to come.
        assert youtube_wait(account=channels[0], units_per_poll=100, crisis=False, now=noon) == BASE * 4
        # With 7,000 of the 8,000 spent, 1,000 are left: each pace is stretched 1.8 times.
        _spend(7_000, noon)
        wait = youtube_wait(account=channels[0], units_per_poll=100, crisis=False, now=noon)
        assert wait == pytest.approx(BASE * 4 * 1.8)


def test_at_the_reserve_a_quiet_channel_waits_for_the_budget_and_one_in_crisis_goes_on():
    quiet, crisis = _channel("emb-jp-tokyo"), _channel("emb-lb-beirut")
    now = timezone.now()
    _spend(8_000, now)  # the budget less the reserve
    assert youtube_wait(account=quiet, units_per_poll=1, crisis=False, now=now) == _reset(now)
    assert youtube_wait(account=crisis, units_per_poll=1, crisis=True, now=now) == BASE
    _spend(2_000, now)  # the reserve too
    assert youtube_wait(account=crisis, units_per_poll=1, crisis=True, now=now) == _reset(now)


def test_a_poll_records_its_units_and_is_paced_by_the_governor(networks):
    channel = _channel("emb-jp-tokyo")
    networks["youtube"].script.append(Heard(items=[], cursor="c1", quota_units_spent=6))
    (claimed,) = cursors_claim_due()
    before = timezone.now()
    assert account_poll(cursor_id=claimed.cursor_id, claim=claimed.claim).polled
    cursor = ListenCursor.objects.get(account=channel)
    assert budget_today(Network.YOUTUBE, now=before).units == 6
    wait = (cursor.next_poll_at - before).total_seconds()
    assert BASE * 4 - 5 < wait <= BASE * 4 + 5  # quiet: no upload
