"""Polling: beat claims the accounts whose cursor is due; a worker polls each one.

The claim is a conditional UPDATE (PostgreSQL and SQLite alike) that stamps a random claim
on due, unclaimed cursors: only the task holding that claim may poll and move the cursor,
and a claim lost with its worker lapses after LISTEN_CLAIM_SECONDS. Each account is its own
task and its own failure: backoff with jitter on errors, the network's wait when rate
limited, and an expired token takes channels' path (account marked, administrators told).
A poll spends from its network's daily budget (channels.budgets), the one analytics spends
too: what the network says it cost (YouTube's quota units) is counted once it answers, and
once the routine share is gone only the accounts of missions under a crisis alert are
polled, from the crisis reserve, until the network's day starts again. YouTube's channels
are paced so that the day's polls fit that budget (conversations/services/quota.py).
"""

from __future__ import annotations

import logging
import random
import secrets
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.db.models import Q
from django.utils import timezone

from channels.adapters.base import AdapterError, AuthError, RateLimited
from channels.budgets import budget_next_day, budget_open, budget_record
from channels.models import Network, SocialAccount
from channels.services import account_mark_expired, credentials_for_use
from conversations.models import ListenCursor, RawEvent
from conversations.reply_selectors import crisis_alert_active
from conversations.services.ingest import IngestResult, items_ingest
from conversations.services.quota import youtube_wait
from conversations.services.webhooks import adapter_listener
from posts.lifecycle import DELIVERY_REACHED_NETWORK
from posts.models import Delivery

logger = logging.getLogger(__name__)

STREAM = "all"


@dataclass(frozen=True)
class Claimed:
    cursor_id: int
    claim: str


def cursors_open() -> int:
    """A cursor for every connected account that has none yet (due now)."""
    missing = SocialAccount.objects.filter(status=SocialAccount.Status.CONNECTED).exclude(listen_cursors__stream=STREAM)
    created = ListenCursor.objects.bulk_create(
        [ListenCursor(account_id=account_id, stream=STREAM) for account_id in missing.values_list("pk", flat=True)],
        ignore_conflicts=True,
    )
    return len(created)


def cursors_claim_due(*, limit: int | None = None) -> list[Claimed]:
    """Claim up to `limit` due cursors of connected accounts, oldest due first."""
    cursors_open()
    now = timezone.now()
    claim = secrets.token_hex(8)
    free = Q(next_poll_at__lte=now) & (Q(claimed_until__isnull=True) | Q(claimed_until__lte=now))
    ids = list(
        ListenCursor.objects.filter(free, account__status=SocialAccount.Status.CONNECTED)
        .order_by("next_poll_at", "pk")
        .values_list("pk", flat=True)[: limit or settings.LISTEN_BATCH_SIZE]
    )
    if not ids:
        return []
    # The same condition again, on the cursor's own columns only: PostgreSQL re-checks them
    # on a row another beat has just claimed (a join would become a subquery that it does
    # not re-check), so that row is left to the other beat.
    ListenCursor.objects.filter(free, pk__in=ids).update(
        claim=claim, claimed_until=now + timedelta(seconds=settings.LISTEN_CLAIM_SECONDS)
    )
    mine = ListenCursor.objects.filter(claim=claim, pk__in=ids).values_list("pk", flat=True)
    return [Claimed(cursor_id=pk, claim=claim) for pk in mine]


def backoff_seconds(failures: int) -> float:
    base = min(settings.LISTEN_BACKOFF_BASE * 2 ** max(failures - 1, 0), settings.LISTEN_BACKOFF_MAX)
    jitter = settings.LISTEN_BACKOFF_JITTER
    return base * random.uniform(1 - jitter, 1 + jitter)  # noqa: S311 (spreading retries, not a secret)


def our_recent_posts(account: SocialAccount) -> list[str]:
    """Our posts on the account within the network's reply window, newest first."""
    days = settings.LISTEN_REPLY_WINDOWS.get(account.network, 14)
    return list(
        Delivery.objects.filter(
            account=account,
            state__in=DELIVERY_REACHED_NETWORK,
            sent_at__gte=timezone.now() - timedelta(days=days),
        )
        .exclude(external_id="")
        .order_by("-sent_at")
        .values_list("external_id", flat=True)[:200]
    )


@dataclass(frozen=True)
class PollOutcome:
    polled: bool
    result: IngestResult | None = None
    error: str = ""


def account_poll(*, cursor_id: int, claim: str) -> PollOutcome:
    """Poll one account from its cursor, ingest, and move the cursor, if the claim is ours."""
    cursor = (
        ListenCursor.objects.select_related("account", "account__mission").filter(pk=cursor_id, claim=claim).first()
    )
    if cursor is None:
        return PollOutcome(polled=False)  # claimed again by someone else since, or gone
    account = cursor.account
    crisis = crisis_alert_active(account.mission_id)
    if not budget_open(network=account.network, crisis=crisis):
        return _failed(
            cursor, claim, "budget: the network's daily budget is spent", wait=_until_next_day(account), count=False
        )
    try:
        credentials = credentials_for_use(account)
        heard = adapter_listener(account).listen(credentials, cursor=cursor.cursor, our_posts=our_recent_posts(account))
    except AuthError as exc:
        # credentials_for_use has marked the account when its refresh was refused; a refusal
        # of the call itself is marked here. Either way the account leaves polling until
        # it is reconnected (only connected accounts are claimed).
        account_mark_expired(account, exc)
        return _failed(cursor, claim, f"auth: {exc.detail}", wait=_interval(account))
    except RateLimited as exc:
        return _failed(cursor, claim, f"rate limited: {exc.detail}", wait=max(exc.retry_after, 1.0), count=False)
    except AdapterError as exc:
        return _failed(cursor, claim, f"{exc.kind}: {exc.detail}")
    except Exception as exc:  # a bug or an SDK surprise: this account waits, the others go on
        logger.exception("Polling account %s failed.", account.pk)
        return _failed(cursor, claim, f"error: {type(exc).__name__}")

    # Spent whatever becomes of the page: counted before it is stored.
    budget_record(network=account.network, units=heard.quota_units_spent, crisis=crisis)
    try:
        # The page is committed as one batch; the cursor moves only once it is, so a crash in
        # between polls the same page again, and the upsert absorbs it.
        result = items_ingest(account=account, items=heard.items, source=RawEvent.Source.POLL)
    except Exception as exc:
        logger.exception("Storing what account %s heard failed.", account.pk)
        return _failed(cursor, claim, f"error: {type(exc).__name__}")
    now = timezone.now()
    # Stopped part-way by a rate limit: the rest waits what the network said, not a full interval.
    if heard.retry_after is not None:
        wait = heard.retry_after
    elif account.network == Network.YOUTUBE:
        wait = youtube_wait(account=account, units_per_poll=heard.quota_units_spent, crisis=crisis, now=now)
    else:
        wait = _interval(account)
    ListenCursor.objects.filter(pk=cursor.pk, claim=claim).update(
        cursor=heard.cursor,
        next_poll_at=now + timedelta(seconds=max(wait, 1.0)),
        failures=0,
        last_error="",
        last_polled_at=now,
        last_success_at=now,
        claim="",
        claimed_until=None,
    )
    return PollOutcome(polled=True, result=result)


def _until_next_day(account: SocialAccount) -> float:
    now = timezone.now()
    return max((budget_next_day(account.network, now) - now).total_seconds(), 60.0)


def _interval(account: SocialAccount) -> float:
    return float(settings.LISTEN_INTERVALS.get(account.network, 900))


def _failed(
    cursor: ListenCursor, claim: str, error: str, *, wait: float | None = None, count: bool = True
) -> PollOutcome:
    failures = cursor.failures + 1 if count else cursor.failures
    delay = wait if wait is not None else backoff_seconds(failures)
    now = timezone.now()
    ListenCursor.objects.filter(pk=cursor.pk, claim=claim).update(
        failures=failures,
        last_error=error[:500],
        last_polled_at=now,
        next_poll_at=now + timedelta(seconds=delay),
        claim="",
        claimed_until=None,
    )
    logger.warning("Polling account %s: %s (next in %.0f s).", cursor.account_id, error[:200], delay)
    return PollOutcome(polled=False, error=error)
