"""YouTube's quota governor (issue 14 §1): every channel polls from one project's daily
quota. A channel that uploaded recently polls often and a quiet one rarely; the day's
spending is kept per stream and starts again at midnight in California; all channels are
stretched to fit what is left less a reserve, which only a mission in crisis may spend."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.utils import timezone

from channels.adapters.listening import Heard
from channels.models import Network
from conversations.models import ListenCursor
from conversations.services.polling import account_poll, cursors_claim_due
from conversations.services.quota import quota_day, quota_record, seconds_to_reset, spent_today, youtube_wait
from posts.models import Delivery, Priority
from tests.posts.factories import account, approved_message, officer, press_officer

pytestmark = pytest.mark.django_db

BASE = 1800  # LISTEN_INTERVALS["youtube"] in the tests


@pytest.fixture(autouse=True)
def _quota(settings):
    settings.LISTEN_INTERVALS = {**settings.LISTEN_INTERVALS, "youtube": BASE}
    settings.LISTEN_QUIET_FACTOR = 4.0
    settings.LISTEN_RECENT_UPLOAD_HOURS = 48.0
    settings.YOUTUBE_DAILY_QUOTA = 10_000
    settings.YOUTUBE_CRISIS_RESERVE = 2_000


def _channel(code: str):
    channel = account(code, Network.YOUTUBE, network_account_id=f"yt-{code}")
    ListenCursor.objects.create(account=channel)
    return channel


def _uploaded(channel, *, hours_ago: float, crisis: bool = False) -> None:
    """A message published on the channel (a video: its deliveries are moved there)."""
    message = approved_message(
        approver=press_officer(),
        author=officer(channel.mission),
        mission_or_code=channel.mission,
        texts={"fr": "Réception pour la fête nationale."},
    )
    if crisis:
        type(message).objects.filter(pk=message.pk).update(priority=Priority.CRISIS)
    Delivery.objects.filter(message=message).update(
        account=channel,
        state=Delivery.State.SENT,
        external_id="video",
        sent_at=timezone.now() - timedelta(hours=hours_ago),
    )


def _spend(units: int) -> None:
    cursor = ListenCursor.objects.filter(account__network=Network.YOUTUBE).first()
    quota_record(cursor_id=cursor.pk, units=units, now=timezone.now())


def test_a_channel_that_uploaded_recently_polls_more_often_than_a_quiet_one():
    busy, quiet = _channel("emb-eg-cairo"), _channel("emb-jp-tokyo")
    _uploaded(busy, hours_ago=3)
    _uploaded(quiet, hours_ago=72)  # past the recent window
    assert youtube_wait(account=busy, units_per_poll=1) == BASE
    assert youtube_wait(account=quiet, units_per_poll=1) == BASE * 4


def test_the_days_spending_is_kept_per_stream_and_starts_again_at_midnight_in_california():
    cairo, tokyo = _channel("emb-eg-cairo"), _channel("emb-jp-tokyo")
    evening = datetime(2026, 12, 7, 7, 30, tzinfo=UTC)  # 23:30 the day before in California
    for channel, units in ((cairo, 3), (tokyo, 2), (cairo, 4)):
        quota_record(cursor_id=ListenCursor.objects.get(account=channel).pk, units=units, now=evening)
    assert spent_today(evening) == 9
    assert seconds_to_reset(evening) == 30 * 60
    after_midnight = evening + timedelta(minutes=31)
    assert quota_day(after_midnight) == quota_day(evening) + timedelta(days=1)
    assert spent_today(after_midnight) == 0
    quota_record(cursor_id=ListenCursor.objects.get(account=cairo).pk, units=1, now=after_midnight)
    assert spent_today(after_midnight) == 1
    assert ListenCursor.objects.get(account=cairo).quota_units == 1


def test_the_pace_is_stretched_when_the_day_would_overspend():
    channels = [_channel(code) for code in ("emb-eg-cairo", "emb-jp-tokyo", "emb-de-berlin")]
    noon = datetime(2026, 12, 7, 20, 0, tzinfo=UTC)  # 12:00 in California: 12 h to the reset
    with time_machine.travel(noon, tick=False):
        # Three quiet channels, 100 units a poll, every 2 h: 3 × 6 × 100 = 1,800 units to come.
        assert youtube_wait(account=channels[0], units_per_poll=100, now=noon) == BASE * 4
        # With 7,000 of the 8,000 spent, 1,000 are left: each pace is stretched 1.8 times.
        _spend(7_000)
        wait = youtube_wait(account=channels[0], units_per_poll=100, now=noon)
        assert wait == pytest.approx(BASE * 4 * 1.8)


def test_at_the_reserve_a_quiet_channel_waits_for_the_quota_and_one_in_crisis_goes_on():
    quiet, crisis = _channel("emb-jp-tokyo"), _channel("emb-lb-beirut")
    _uploaded(crisis, hours_ago=1, crisis=True)
    now = timezone.now()
    _spend(8_000)  # the quota less the reserve
    assert youtube_wait(account=quiet, units_per_poll=1, now=now) == seconds_to_reset(now)
    assert youtube_wait(account=crisis, units_per_poll=1, now=now) == BASE
    _spend(2_000)  # the reserve too
    assert youtube_wait(account=crisis, units_per_poll=1, now=now) == seconds_to_reset(now)


def test_a_poll_records_its_units_and_is_paced_by_the_governor(networks):
    channel = _channel("emb-jp-tokyo")
    networks["youtube"].script.append(Heard(items=[], cursor="c1", quota_units_spent=6))
    (claimed,) = cursors_claim_due()
    before = timezone.now()
    assert account_poll(cursor_id=claimed.cursor_id, claim=claimed.claim).polled
    cursor = ListenCursor.objects.get(account=channel)
    assert (cursor.quota_day, cursor.quota_units) == (quota_day(before), 6)
    wait = (cursor.next_poll_at - before).total_seconds()
    assert BASE * 4 - 5 < wait <= BASE * 4 + 5  # quiet: no upload
