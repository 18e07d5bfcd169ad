"""The dispatcher: claims due deliveries and hands their ids to the workers.

The database is the truth; the broker only carries ids, and losing one costs nothing (the
sweeper puts a delivery that waited too long in `queued` back in line).

- `kick_dispatcher()` asks for a dispatch now (an approval "now" calls it on commit). It
  never blocks a web request for more than settings.KICK_TIMEOUT (0.5 s) and never
  raises: with the broker down or frozen the beat tick (every DISPATCH_INTERVAL s) or,
  failing that, the next kick catches up.
- `dispatch_due()` (beat, every DISPATCH_INTERVAL = 1 s; a tick with nothing due is one
  indexed read) claims due deliveries in batches (DISPATCH_BATCH_SIZE; a crisis alert's
  first one DISPATCH_FIRST_BATCH_SIZE; crisis alerts first, then by due time). In one
  transaction per batch it locks the due rows (`SELECT ... FOR UPDATE SKIP LOCKED` on
  PostgreSQL, so concurrent dispatchers share the work; SQLite's IMMEDIATE transactions
  serialise them), and for each row:
  a publishing pause covering it, or too late (posts.services.outcomes.is_late) -> `held`
  (with an event; a press officer releases it);
  over the account's or the network's budget (posts.ratelimit) -> its next attempt moved
  to when the budget frees; otherwise -> `queued`. After commit the queued ids are sent to
  the `crisis` or `publish` queue, each message's first delivery before any message's
  second (`first_deliveries_first`); if the broker refuses, the ones not sent go back to
  `scheduled`, due at once, for the next tick.

Only deliveries of a message that may still publish are claimed: never those of a
cancelled, retracted, rejected message, nor of one sent back to review.
"""

from __future__ import annotations

import logging
import threading
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime

from celery import current_app
from django.conf import settings
from django.db import transaction
from django.db.models import Case, IntegerField, QuerySet, Value, When
from django.utils import timezone

from posts.lifecycle import MESSAGE_PUBLISHABLE
from posts.models import Delivery, Heartbeat, Priority, PublishingPause
from posts.ratelimit import budget_for
from posts.selectors.pauses import active_pauses, pause_covering
from posts.services import outcomes
from posts.services.summary import messages_start_publishing

logger = logging.getLogger(__name__)

DISPATCH_TASK = "posts.dispatch_due"
PUBLISH_TASK = "posts.publish_batch"
DISPATCH_QUEUES = ("crisis", "publish")


def queue_for(priority: str) -> str:
    return "crisis" if priority == Priority.CRISIS else "publish"


def due_deliveries(now: datetime) -> QuerySet[Delivery]:
    """Scheduled deliveries whose time has come, of messages that may still publish."""
    return Delivery.objects.filter(
        state=Delivery.State.SCHEDULED,
        next_attempt_at__lte=now,
        message__state__in=MESSAGE_PUBLISHABLE,
    )


# --- Kicking the dispatcher ---------------------------------------------------------------


def _send_kick() -> None:
    try:
        with current_app.producer_or_acquire() as producer:
            for queue in DISPATCH_QUEUES:
                current_app.send_task(DISPATCH_TASK, queue=queue, producer=producer, retry=False)
    except Exception:  # the beat tick will do it
        logger.warning("Could not kick the dispatcher; the next tick will dispatch.", exc_info=True)


def kick_dispatcher() -> None:
    """Ask for a dispatch now. Waits at most settings.KICK_TIMEOUT for the broker, never
    raises (the sending goes on in a daemon thread, bounded by the broker's socket
    timeouts, if the broker is slow)."""
    try:
        thread = threading.Thread(target=_send_kick, name="kick-dispatcher", daemon=True)
        thread.start()
        thread.join(settings.KICK_TIMEOUT)
        if thread.is_alive():
            logger.warning(
                "The broker did not answer within %.1f s; the next tick will dispatch.", settings.KICK_TIMEOUT
            )
    except Exception:
        logger.exception("Could not kick the dispatcher.")


# --- Claiming ----------------------------------------------------------------------------------


@dataclass
class DispatchResult:
    queued: list[int] = field(default_factory=list)
    held: list[int] = field(default_factory=list)
    deferred: list[int] = field(default_factory=list)  # over a rate-limit budget
    not_sent: list[int] = field(default_factory=list)  # the broker refused: back to scheduled

    def extend(self, other: DispatchResult) -> None:
        for name in ("queued", "held", "deferred", "not_sent"):
            getattr(self, name).extend(getattr(other, name))


def dispatch_due(*, now: datetime | None = None, worker: str = "", queue: str = "") -> DispatchResult:
    """Claim every due delivery (in batches) and enqueue the claimed ids. `worker` and
    `queue` name the worker that runs this tick, for the health report.

    Beat ticks every DISPATCH_INTERVAL (1 s), on two queues: a tick with nothing due costs
    one indexed read (no transaction, no lock: SQLite's writers are not held up) and one
    write, the heartbeats."""
    result = DispatchResult()
    # One read: is anything due, and is it a crisis alert (they are claimed first)?
    first_due = list(
        due_deliveries(now or timezone.now()).order_by(_crisis_first()).values_list("priority", flat=True)[:1]
    )
    if first_due:
        # A crisis alert's first batch is small: its deliveries are on the queue, and the
        # workers at them, while the rest of the alert is claimed. Routine messages are
        # claimed in full batches, so that `first_deliveries_first` orders them all (a
        # hundred messages due at one minute: every first delivery before any second).
        size = settings.DISPATCH_BATCH_SIZE
        if first_due[0] == Priority.CRISIS:
            size = min(settings.DISPATCH_FIRST_BATCH_SIZE, size)
        for _ in range(settings.DISPATCH_MAX_BATCHES):
            batch, seen = _dispatch_batch(now=now or timezone.now(), size=size)
            result.extend(batch)
            if seen < size or batch.not_sent:
                break
            size = settings.DISPATCH_BATCH_SIZE
    beats = {
        "dispatcher": {
            "queued": len(result.queued),
            "held": len(result.held),
            "deferred": len(result.deferred),
            "worker": worker,
            "queue": queue,
        }
    }
    if worker:
        beats[f"worker:{worker}"] = {}
    if queue:
        beats[f"queue:{queue}"] = {}
    record_heartbeats(beats)
    return result


def _crisis_first() -> Case:
    return Case(When(priority=Priority.CRISIS, then=Value(0)), default=Value(1), output_field=IntegerField())


def _dispatch_batch(*, now: datetime, size: int) -> tuple[DispatchResult, int]:
    result = DispatchResult()
    crisis_first = _crisis_first()
    with transaction.atomic():
        rows = list(
            due_deliveries(now)
            .select_related("account__mission")
            .select_for_update(skip_locked=True, of=("self",))
            .order_by(crisis_first, "next_attempt_at", "pk")[:size]
        )
        if not rows:
            return result, 0
        pauses = active_pauses()
        budget = budget_for(now=now)
        paused: list[tuple[Delivery, PublishingPause]] = []
        late: list[Delivery] = []
        deferred: dict[datetime, list[int]] = defaultdict(list)
        for delivery in rows:
            mission = delivery.account.mission
            pause = pause_covering(
                pauses,
                network=delivery.account.network,
                region=mission.region,
                country_code=mission.country_code,
                mission_code=mission.code,
                priority=delivery.priority,
            )
            if pause is not None:
                paused.append((delivery, pause))
                continue
            if outcomes.is_late(delivery, now):
                late.append(delivery)
                continue
            frees = budget.take(network=delivery.account.network, account_id=delivery.account_id)
            if frees is not None:
                deferred[frees].append(delivery.pk)
                continue
            result.queued.append(delivery.pk)
        if result.queued:
            outcomes.deliveries_queue(delivery_ids=result.queued, now=now)
        for frees, pks in deferred.items():
            outcomes.deliveries_defer(delivery_ids=pks, until=frees)
            result.deferred.extend(pks)
        result.held = outcomes.deliveries_hold(paused=paused, late=late, now=now)
    queued = set(result.queued)
    claimed = first_deliveries_first([d for d in rows if d.pk in queued])
    # The messages become `publishing` before their deliveries reach the workers: a worker
    # that finds its message `publishing` checks its siblings with one read, where one that
    # found it `scheduled` would lock the message row and read every delivery's state (the
    # first hundred deliveries of an alert queued up on that lock). A failure here delays no
    # delivery: the workers bring the message's state up to date themselves.
    try:
        _start_publishing({d.message_id for d in claimed})
    except Exception:
        logger.exception("Could not mark messages publishing; their deliveries go out all the same.")
    result.not_sent = enqueue_publish([(d.pk, queue_for(d.priority)) for d in claimed])
    return result, len(rows)


def first_deliveries_first(deliveries: list[Delivery]) -> list[Delivery]:
    """The order to enqueue claimed deliveries in: crisis alerts first, then every message's
    first delivery before any message's second, and so on (otherwise in the order given).
    A hundred messages due at the same minute then each have one delivery out before the
    queue reaches anyone's second; a lone message keeps its order."""
    rank: dict[int, int] = defaultdict(int)
    keyed = []
    for index, delivery in enumerate(deliveries):
        keyed.append((delivery.priority != Priority.CRISIS, rank[delivery.message_id], index, delivery))
        rank[delivery.message_id] += 1
    return [delivery for *_, delivery in sorted(keyed, key=lambda item: item[:3])]


def enqueue_publish(items: list[tuple[int, str]]) -> list[int]:
    """Send `posts.publish_batch(ids)` for the (id, queue) pairs, in batches of up to
    PUBLISH_BATCH_SIZE ids of one queue, in the order given. Stops at the first refusal of
    the broker and puts the deliveries not sent back to `scheduled`, due now, so the next
    tick sends them (a copy that did reach the broker is harmless: a delivery is published
    only by the worker that moves it from `queued` to `sending`). Returns the ids not sent."""
    if not items:
        return []
    batches = publish_batches(items)
    sent = 0
    try:
        with current_app.producer_or_acquire() as producer:
            for queue, pks in batches:
                current_app.send_task(PUBLISH_TASK, args=[pks], queue=queue, producer=producer, retry=False)
                sent += 1
    except Exception:
        logger.warning("The broker refused %d batches; the next tick sends them.", len(batches) - sent, exc_info=True)
    not_sent = [pk for _, pks in batches[sent:] for pk in pks]
    if not_sent:
        outcomes.deliveries_unqueue(delivery_ids=not_sent, now=timezone.now())
    return not_sent


def publish_batches(items: list[tuple[int, str]]) -> list[tuple[str, list[int]]]:
    """(queue, ids) batches of up to PUBLISH_BATCH_SIZE, keeping the order of `items`: a
    batch is sent when it is full, so the first deliveries leave in the first batches."""
    size = max(1, settings.PUBLISH_BATCH_SIZE)
    batches: list[tuple[str, list[int]]] = []
    open_batches: dict[str, list[int]] = {}
    for pk, queue in items:
        batch = open_batches.get(queue)
        if batch is None or len(batch) >= size:
            batch = open_batches[queue] = []
            batches.append((queue, batch))
        batch.append(pk)
    return batches


def _start_publishing(message_ids: set[int]) -> None:
    """Messages whose first deliveries were just claimed become `publishing`."""
    messages_start_publishing(message_ids=message_ids)


# --- Heartbeats ----------------------------------------------------------------------------------


def record_heartbeat(name: str, *, details: dict | None = None) -> None:
    """Note that `name` (the dispatcher, a worker, a queue's consumer) is alive now."""
    record_heartbeats({name: details or {}})


def record_heartbeats(beats: dict[str, dict]) -> None:
    """Several heartbeats ({name: details}) in one statement."""
    now = timezone.now()
    Heartbeat.objects.bulk_create(
        [Heartbeat(name=name[:200], seen_at=now, details=details or {}) for name, details in beats.items()],
        update_conflicts=True,
        unique_fields=["name"],
        update_fields=["seen_at", "details"],
    )
