"""Collecting what publishing achieved: beat claims the accounts with numbers due, a worker
reads each account's numbers through its adapter and stores them.

Each account is its own task and its own failure. Within one account: an account that lost
its permission is stored as unknown for everything due and stops; a network that does not
answer or that rate-limits stops the batch (what is left waits for the next round, and a
stored "unreachable" is read again while its window lasts); a post gone from the network is
stored as unknown. Calls are counted per account and round, and spent from the network's
daily budget (channels.budgets), the one listening spends too: collection stays within the
networks' limits, stops when listening has spent the day's quota, and never touches the
part kept for crises.
"""

from __future__ import annotations

import logging
import secrets
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from django.conf import settings
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone

from analytics.models import AccountDaily, Age, CollectionClaim, DeliverySnapshot, Unknown
from channels.adapters.base import AdapterError, AuthError, Metrics, PermanentError, RateLimited
from channels.budgets import budget_spend
from channels.crypto import CredentialsDecryptionError
from channels.models import SocialAccount
from channels.services import adapter_for, credentials_for_use
from posts.models import Delivery

logger = logging.getLogger(__name__)

# How late a snapshot may still be taken: until the next age is due (30 d: a week).
WINDOW = {
    Age.HOUR: timedelta(hours=23),
    Age.DAY: timedelta(days=6),
    Age.WEEK: timedelta(days=23),
    Age.MONTH: timedelta(days=7),
}
# Unknowns that a later round reads again (while the window lasts); the others are final.
RETRYABLE = (Unknown.UNREACHABLE, Unknown.RATE_LIMITED)
RETRY_AFTER = timedelta(minutes=30)


def _retry_due(now: datetime) -> Q:
    return Q(unknown__in=RETRYABLE, collected_at__lte=now - RETRY_AFTER)


def deliveries_due(*, now: datetime, account_ids: list[int] | None = None) -> list[tuple[int, int, str, int]]:
    """(delivery id, account id, external id, age) of every snapshot due now, oldest first."""
    due: list[tuple[int, int, str, int]] = []
    for age in Age:
        reached = now - timedelta(hours=age.value)
        taken = DeliverySnapshot.objects.filter(delivery=OuterRef("pk"), age_hours=age.value).exclude(_retry_due(now))
        rows = (
            Delivery.objects.filter(state=Delivery.State.SENT, sent_at__lte=reached, sent_at__gt=reached - WINDOW[age])
            .exclude(external_id="")
            .exclude(Exists(taken))
        )
        if account_ids is not None:
            rows = rows.filter(account_id__in=account_ids)
        due.extend(
            (pk, account, external, age.value)
            for pk, account, external in rows.values_list("pk", "account_id", "external_id").order_by("sent_at")
        )
    return due


def accounts_due(*, now: datetime) -> list[int]:
    """Connected accounts with today's followers not yet read, or with snapshots due."""
    today = now.date()
    read_today = AccountDaily.objects.filter(account=OuterRef("pk"), day=today).exclude(_retry_due(now))
    daily = SocialAccount.objects.filter(status=SocialAccount.Status.CONNECTED).exclude(Exists(read_today))
    ids = set(daily.values_list("pk", flat=True))
    connected = set(SocialAccount.objects.filter(status=SocialAccount.Status.CONNECTED).values_list("pk", flat=True))
    ids |= {account for _d, account, _e, _a in deliveries_due(now=now) if account in connected}
    return sorted(ids)


@dataclass(frozen=True)
class Claimed:
    account_id: int
    claim: str


def accounts_claim_due(*, now: datetime | None = None, limit: int | None = None) -> list[Claimed]:
    """Claim up to `limit` accounts with numbers due, skipping those another task holds."""
    now = now or timezone.now()
    limit = limit or settings.ANALYTICS_ACCOUNTS_PER_ROUND
    token = secrets.token_hex(8)
    until = now + timedelta(seconds=settings.ANALYTICS_CLAIM_SECONDS)
    held = set(CollectionClaim.objects.filter(until__gt=now).values_list("account_id", flat=True))
    ids = [pk for pk in accounts_due(now=now) if pk not in held][:limit]
    CollectionClaim.objects.bulk_create(
        [CollectionClaim(account_id=pk, until=now - timedelta(seconds=1), token="") for pk in ids],
        ignore_conflicts=True,
    )
    # Conditional: a claim taken meanwhile by another round is not taken from it.
    CollectionClaim.objects.filter(account_id__in=ids, until__lte=now).update(until=until, token=token)
    taken = CollectionClaim.objects.filter(account_id__in=ids, token=token).values_list("account_id", flat=True)
    return [Claimed(pk, token) for pk in sorted(taken)]


@dataclass
class Collected:
    daily: bool = False
    snapshots: int = 0
    unknown: int = 0
    stopped: str = ""  # why the batch stopped early: budget, rate_limited, unreachable, permission
    left: int = 0
    errors: list[str] = field(default_factory=list)


def _reason(exc: Exception) -> str:
    if isinstance(exc, AuthError | CredentialsDecryptionError):
        return Unknown.PERMISSION
    if isinstance(exc, RateLimited):
        return Unknown.RATE_LIMITED
    if isinstance(exc, PermanentError):
        return Unknown.GONE
    return Unknown.UNREACHABLE


def _store_daily(
    account: SocialAccount, *, day: date, now: datetime, metrics: Metrics | None, unknown: str = ""
) -> None:
    AccountDaily.objects.update_or_create(
        account=account,
        day=day,
        defaults={
            "followers": metrics.followers if metrics else None,
            "views": metrics.views if metrics else None,
            "unknown": unknown,
            "collected_at": now,
        },
    )


def _missing(code: str) -> str:
    """An adapter's Missing code as our reason (a code we do not know: not given)."""
    if not code:
        return ""
    return code if code in Unknown.values else Unknown.NOT_GIVEN


def _store_snapshot(
    delivery_id: int, account_id: int, age: int, *, now: datetime, metrics: Metrics | None, unknown: str = ""
) -> None:
    DeliverySnapshot.objects.update_or_create(
        delivery_id=delivery_id,
        age_hours=age,
        defaults={
            "account_id": account_id,
            "views": metrics.views if metrics else None,
            "likes": metrics.likes if metrics else None,
            "comments": metrics.comments if metrics else None,
            "shares": metrics.shares if metrics else None,
            "unknown": unknown,
            "clicks": metrics.clicks if metrics else None,
            "clicks_unknown": _missing(metrics.clicks_missing or Unknown.NOT_GIVEN)
            if metrics and metrics.clicks is None
            else "",
            "profile_clicks": metrics.profile_clicks if metrics else None,
            "watch_minutes": metrics.watch_minutes if metrics else None,
            "subscribers_gained": metrics.subscribers_gained if metrics else None,
            "analytics_unknown": _missing(metrics.analytics_missing) if metrics else "",
            "collected_at": now,
        },
    )


def account_collect(*, account_id: int, claim: str | None = None, now: datetime | None = None) -> Collected:
    """Read and store everything due for one account: today's followers, then its
    deliveries' snapshots, oldest first, within the budgets. With a `claim`, only while
    the claim is this task's (a lapsed claim taken by a later round: do nothing)."""
    now = now or timezone.now()
    result = Collected()
    if claim is not None and not CollectionClaim.objects.filter(account_id=account_id, token=claim).exists():
        return result
    try:
        account = SocialAccount.objects.get(pk=account_id)
        today = now.date()
        daily_due = not AccountDaily.objects.filter(account=account, day=today).exclude(_retry_due(now)).exists()
        snapshots = deliveries_due(now=now, account_ids=[account_id])
        jobs: list[tuple[int, int, str, int] | None] = ([None] if daily_due else []) + list(snapshots)
        _collect(account, jobs, now=now, result=result)
    finally:
        if claim is not None:
            CollectionClaim.objects.filter(account_id=account_id, token=claim).delete()
    return result


def _collect(account: SocialAccount, jobs: list, *, now: datetime, result: Collected) -> None:
    def store(job, metrics: Metrics | None, unknown: str = "") -> None:
        if job is None:
            _store_daily(account, day=now.date(), now=now, metrics=metrics, unknown=unknown)
            result.daily = True
        else:
            _store_snapshot(job[0], account.pk, job[3], now=now, metrics=metrics, unknown=unknown)
            result.snapshots += 1
        result.unknown += bool(unknown)

    if not jobs:
        return
    try:
        credentials = credentials_for_use(account)
    except (AuthError, CredentialsDecryptionError):
        for job in jobs:
            store(job, None, Unknown.PERMISSION)
        result.stopped = Unknown.PERMISSION
        return
    except AdapterError as exc:  # a refresh that failed for now: try again next round
        result.stopped, result.left = _reason(exc), len(jobs)
        return
    adapter = adapter_for(account)
    for index, job in enumerate(jobs):
        if index >= settings.ANALYTICS_CALLS_PER_ACCOUNT or not budget_spend(network=account.network, now=now):
            result.stopped, result.left = "budget", len(jobs) - index
            return
        try:
            metrics = adapter.fetch_metrics(credentials, None if job is None else job[2])
        except AuthError:
            for rest in jobs[index:]:
                store(rest, None, Unknown.PERMISSION)
            result.stopped = Unknown.PERMISSION
            return
        except PermanentError as exc:
            # The account itself answering "no such thing" is a number it does not give.
            store(job, None, Unknown.GONE if job is not None else Unknown.NOT_GIVEN)
            result.errors.append(exc.detail)
        except AdapterError as exc:  # rate limited or not answering: the rest waits
            store(job, None, _reason(exc))
            result.stopped, result.left = _reason(exc), len(jobs) - index - 1
            result.errors.append(exc.detail)
            return
        else:
            store(job, metrics)
