"""YouTube's polling pace (issue 14 §1). Comments have no push there, and every channel polls
from the network's one daily budget (channels.budgets), which analytics spends too. A
channel that uploaded recently polls at LISTEN_INTERVALS' pace, a quiet one
LISTEN_QUIET_FACTOR times less often, and all are stretched so that the day's polls, at that
pace until the budget's day ends, fit what routine work may still spend. A mission under a
crisis alert keeps its pace, from the crisis reserve."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import Exists, OuterRef
from django.utils import timezone

from channels.budgets import budget_next_day, budget_today
from channels.models import Network, SocialAccount
from conversations.models import ListenCursor
from posts.lifecycle import DELIVERY_REACHED_NETWORK
from posts.models import Delivery


def _sent_since(now: datetime):
    return Delivery.objects.filter(
        state__in=DELIVERY_REACHED_NETWORK,
        sent_at__gte=now - timedelta(hours=settings.LISTEN_RECENT_UPLOAD_HOURS),
    )


def youtube_wait(*, account: SocialAccount, units_per_poll: int, crisis: bool, now: datetime | None = None) -> float:
    """Seconds until this channel's next poll."""
    now = now or timezone.now()
    base = float(settings.LISTEN_INTERVALS.get(Network.YOUTUBE, 1800))
    quiet = base * settings.LISTEN_QUIET_FACTOR
    interval = base if crisis or _sent_since(now).filter(account=account).exists() else quiet
    budget = budget_today(Network.YOUTUBE, now=now)
    if budget.limit <= 0:
        return interval  # no budget set: the interval alone
    left = max((budget_next_day(Network.YOUTUBE, now) - now).total_seconds(), 1.0)
    limit = budget.limit if crisis else budget.limit - budget.reserve
    units = max(units_per_poll, 1)
    if budget.units + units > limit:
        return left  # nothing more today for this work: back when the budget is
    if crisis:
        return interval
    # What every channel would spend at its pace until the budget's day ends, against what is left.
    channels = ListenCursor.objects.filter(
        account__network=Network.YOUTUBE, account__status=SocialAccount.Status.CONNECTED
    )
    everyone = max(channels.count(), 1)
    active = channels.filter(Exists(_sent_since(now).filter(account=OuterRef("account")))).count()
    demand = units * left * (active / base + (everyone - active) / quiet)
    stretch = max(1.0, demand / (limit - budget.units))
    return min(interval * stretch, left)
