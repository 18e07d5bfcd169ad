"""The sweeper (beat, every SWEEP_INTERVAL s, on the `maintenance` queue): what the broker
or a dead worker lost, the database still knows.

- `queued` for over SWEEPER_QUEUED_AFTER (2 min): its broker message was lost (a Redis
  restart, a worker killed before it claimed the delivery). It goes back to `scheduled`,
  due now, and the dispatcher claims and enqueues it again at once. A late copy of the old
  message is harmless: only the worker that moves it from `queued` to `sending` publishes.
- `sending` for over SWEEPER_SENDING_AFTER (5 min, well past the network timeouts): the
  worker died during the call, which may or may not have reached the network -> `unknown`,
  to be reconciled, never resent blindly. A long upload that reports its progress (a
  YouTube video, chunk by chunk) keeps its `state_changed_at` fresh meanwhile
  (posts.services.delivery._progress_heartbeat), so only a silent one is taken for dead.
- `unknown` whose time to reconcile has come: `posts.reconcile_delivery` is sent for each,
  after its next time is moved on by RECONCILE_RETRY_DELAY (a lease, so the next sweep
  does not ask twice while the first question is out).
- heartbeats of workers not seen for a day are forgotten (the health page lists the rest).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from celery import current_app
from django.conf import settings
from django.db import transaction
from django.utils import timezone

from channels.adapters.base import Said
from posts.models import Delivery, Heartbeat
from posts.services import outcomes
from posts.services.dispatch import dispatch_due, record_heartbeat

logger = logging.getLogger(__name__)

State = Delivery.State
RECONCILE_TASK = "posts.reconcile_delivery"
SWEEP_BATCH = 500


@dataclass
class SweepResult:
    requeued: list[int] = field(default_factory=list)
    unknown: list[int] = field(default_factory=list)
    reconciling: list[int] = field(default_factory=list)


def sweep(*, now: datetime | None = None, worker: str = "") -> SweepResult:
    now = now or timezone.now()
    result = SweepResult(
        requeued=_requeue_stuck_queued(now),
        unknown=_unknown_stuck_sending(now),
    )
    result.reconciling = _send_reconciliations(now)
    # Workers and queues not seen for a day are gone (renamed, scaled down): forget them.
    Heartbeat.objects.filter(seen_at__lt=now - timedelta(days=1)).exclude(name__in=["dispatcher", "sweeper"]).delete()
    if result.requeued:
        dispatch_due(now=now)
    record_heartbeat(
        "sweeper",
        details={
            "requeued": len(result.requeued),
            "unknown": len(result.unknown),
            "reconciling": len(result.reconciling),
            "worker": worker,
        },
    )
    return result


def _requeue_stuck_queued(now: datetime) -> list[int]:
    cutoff = now - timedelta(seconds=settings.SWEEPER_QUEUED_AFTER)
    requeued: list[int] = []
    with transaction.atomic():
        stuck = list(
            Delivery.objects.filter(state=State.QUEUED, state_changed_at__lt=cutoff)
            .select_related("message")
            .order_by("pk")[:SWEEP_BATCH]
        )
        for delivery in stuck:
            if outcomes.delivery_requeue(delivery, now=now, cutoff=cutoff):
                requeued.append(delivery.pk)
    if requeued:
        logger.warning("Sweeper: %d deliveries waited in the queue too long; sent again.", len(requeued))
    return requeued


def _unknown_stuck_sending(now: datetime) -> list[int]:
    cutoff = now - timedelta(seconds=settings.SWEEPER_SENDING_AFTER)
    seconds = int(settings.SWEEPER_SENDING_AFTER)
    reason = Said(
        f"No answer recorded {seconds} s after the call started (the worker stopped?): it may have gone out.",
        "delivery.no_answer",
        seconds=seconds,
    )
    unknown: list[int] = []
    with transaction.atomic():
        stuck = list(
            Delivery.objects.filter(state=State.SENDING, state_changed_at__lt=cutoff)
            .select_related("message")
            .order_by("pk")[:SWEEP_BATCH]
        )
        for delivery in stuck:
            if outcomes.delivery_lost_in_flight(delivery, now=now, cutoff=cutoff, reason=reason):
                unknown.append(delivery.pk)
    if unknown:
        logger.warning("Sweeper: %d deliveries were stuck sending; now unknown.", len(unknown))
    return unknown


def _send_reconciliations(now: datetime) -> list[int]:
    lease_until = now + timedelta(seconds=settings.RECONCILE_RETRY_DELAY)
    with transaction.atomic():
        leased = list(
            Delivery.objects.filter(state=State.UNKNOWN, next_attempt_at__lte=now)
            .select_for_update(skip_locked=True)
            .order_by("next_attempt_at", "pk")
            .values_list("pk", flat=True)[:SWEEP_BATCH]
        )
        Delivery.objects.filter(pk__in=leased, state=State.UNKNOWN).update(next_attempt_at=lease_until)
    sent: list[int] = []
    try:
        with current_app.producer_or_acquire() as producer:
            for pk in leased:
                current_app.send_task(RECONCILE_TASK, args=[pk], queue="maintenance", producer=producer, retry=False)
                sent.append(pk)
    except Exception:
        logger.warning(
            "Sweeper: the broker refused reconciliations; the lease expires and the next sweep tries again.",
            exc_info=True,
        )
    return sent
