"""YouTube's quota governor. Comments have no push there, and every channel polls from one
project's daily quota (YOUTUBE_DAILY_QUOTA units, back at midnight in California). Each
channel's next poll is paced: often when it uploaded recently, LISTEN_QUIET_FACTOR times
less when quiet, and all stretched so that the day's spending, at that pace until the
reset, fits the quota less YOUTUBE_CRISIS_RESERVE. The reserve is for the channels of a
mission in crisis (a crisis alert sent there recently): they keep their pace until the
quota itself is spent. What each stream spent today is kept on its cursor."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db.models import Case, Exists, F, OuterRef, Sum, Value, When
from django.utils import timezone

from channels.models import Network, SocialAccount
from conversations.models import ListenCursor
from posts.lifecycle import DELIVERY_REACHED_NETWORK
from posts.models import Delivery, Priority

QUOTA_ZONE = ZoneInfo("America/Los_Angeles")  # YouTube's quotas start again at its midnight


def quota_day(now: datetime) -> date:
    return now.astimezone(QUOTA_ZONE).date()


def seconds_to_reset(now: datetime) -> float:
    local = now.astimezone(QUOTA_ZONE)
    midnight = datetime.combine(local.date() + timedelta(days=1), datetime.min.time(), tzinfo=QUOTA_ZONE)
    return max((midnight - now).total_seconds(), 1.0)


def quota_record(*, cursor_id: int, units: int, now: datetime) -> None:
    """Add a poll's units to its stream's spending of the day (a new day starts from 0)."""
    today = quota_day(now)
    ListenCursor.objects.filter(pk=cursor_id).update(
        quota_units=Case(When(quota_day=today, then=F("quota_units") + units), default=Value(units)),
        quota_day=today,
    )


def spent_today(now: datetime) -> int:
    """The units every YouTube stream spent today."""
    spent = ListenCursor.objects.filter(account__network=Network.YOUTUBE, quota_day=quota_day(now)).aggregate(
        units=Sum("quota_units")
    )
    return int(spent["units"] or 0)


def _sent_since(now: datetime):
    return Delivery.objects.filter(
        state__in=DELIVERY_REACHED_NETWORK,
        sent_at__gte=now - timedelta(hours=settings.LISTEN_RECENT_UPLOAD_HOURS),
    )


def youtube_wait(*, account: SocialAccount, units_per_poll: int, now: datetime | None = None) -> float:
    """Seconds until this channel's next poll."""
    now = now or timezone.now()
    base = float(settings.LISTEN_INTERVALS.get(Network.YOUTUBE, 1800))
    quiet = base * settings.LISTEN_QUIET_FACTOR
    sent = _sent_since(now).filter(account=account)
    in_crisis = sent.filter(message__priority=Priority.CRISIS).exists()
    interval = base if in_crisis or sent.exists() else quiet
    daily = settings.YOUTUBE_DAILY_QUOTA
    limit = daily if in_crisis else daily - settings.YOUTUBE_CRISIS_RESERVE
    spent, left = spent_today(now), seconds_to_reset(now)
    units = max(units_per_poll, 1)
    if spent + units > limit:
        return left  # nothing more today: back when the quota is
    if in_crisis:
        return interval
    # What every channel would spend at its pace until the reset, against what is left.
    channels = ListenCursor.objects.filter(
        account__network=Network.YOUTUBE, account__status=SocialAccount.Status.CONNECTED
    )
    everyone = max(channels.count(), 1)
    active = channels.filter(Exists(_sent_since(now).filter(account=OuterRef("account")))).count()
    demand = units * left * (active / base + (everyone - active) / quiet)
    stretch = max(1.0, demand / (limit - spent))
    return min(interval * stretch, left)
