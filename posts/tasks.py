"""The publishing engine's Celery tasks: each takes ids, calls one service, holds no logic.

Stable names (a rolling deploy may see old and new workers), JSON arguments only,
`**kwargs` accepted for arguments a newer sender may add, no result (there is no result
backend). Retries are due times on the delivery row, never Celery retries or far-future
ETAs: a lost broker message costs nothing, the dispatcher and the sweeper catch up.

Queues and workers (Procfile, docker-compose.yml). Publishing waits on networks, not on the
CPU, so workers run the threads pool: two `-Q crisis -P threads -c 32` processes (their own,
so an alert never waits behind routine work; two so that the fan-out's Python uses both
cores of a small machine, one process being held to one core by the GIL) and
`-Q publish,maintenance -P threads -c 16`. Threads share one process,
hence one Django connection per thread: each task closes connections that are broken or
past CONN_MAX_AGE before and after it runs (Celery's thread pool has no request cycle to
do it). The threads pool has no soft/hard time limits; every network call has its own
connect and read timeouts (NETWORK_CONNECT_TIMEOUT, NETWORK_READ_TIMEOUT) instead, and a
call that still never ends is turned `unknown` by the sweeper after SWEEPER_SENDING_AFTER.
"""

from __future__ import annotations

import gc
import logging
from importlib import import_module

from celery.signals import task_postrun, task_prerun, worker_ready
from django.db import close_old_connections

from channels.adapters import NETWORKS
from diplomacy_hub.tasks import task
from posts.services.delivery import deliveries_publish
from posts.services.dispatch import dispatch_due as dispatch_due_service
from posts.services.dispatch import record_heartbeat
from posts.services.operations import delivery_retract
from posts.services.reconcile import delivery_reconcile
from posts.services.reminders import occasion_reminders_send
from posts.services.review_clock import review_clock_tick
from posts.services.sweeper import sweep as sweep_service

logger = logging.getLogger(__name__)


def _close_old_connections_unless_eager(sender) -> None:
    # An eager run (apply()) is its caller's own code, inside its caller's transaction:
    # closing that connection would break the caller (Celery's Django fixup skips it too).
    if not getattr(getattr(sender, "request", None), "is_eager", False):
        close_old_connections()


@task_prerun.connect
def _fresh_connections_before(sender=None, **kwargs) -> None:
    _close_old_connections_unless_eager(sender)


@task_postrun.connect
def _fresh_connections_after(sender=None, **kwargs) -> None:
    _close_old_connections_unless_eager(sender)


@worker_ready.connect
def _worker_ready(sender=None, **kwargs) -> None:
    """A worker that has just started is seen at once by the health report. The networks'
    SDKs are loaded now (half a second of imports), and what an adapter builds once per
    process (its `warm_up`: YouTube's `videos` collection), not by the first delivery."""
    for network in NETWORKS:
        warm_up = getattr(import_module(f"channels.adapters.{network}"), "warm_up", None)
        if warm_up is not None:
            try:
                warm_up()
            except Exception:  # the first delivery builds it then
                logger.exception("Could not warm up the %s adapter.", network)
    try:
        record_heartbeat(f"worker:{sender.hostname}", details={"started": True})
    except Exception:
        logger.exception("Could not record the worker's start.")
    finally:
        close_old_connections()
    settle_garbage_collector()


# Young objects allocated between two collections of the first generation (CPython: 700).
WORKER_GC_THRESHOLD = 20_000


def settle_garbage_collector() -> None:
    """Take what start-up loaded (Django, the SDKs: hundreds of thousands of objects that
    live as long as the process) out of the cyclic collector's sight, and collect the young
    generation less often. A delivery allocates thousands of short-lived containers (ORM
    rows, SDK requests); with CPython's defaults the collector ran dozens of times per
    batch and each older-generation pass walked every start-up object again: about 1 ms of
    CPU per delivery. Reference counting still frees almost everything at once; cycles wait
    a little longer (a few MB at most)."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(WORKER_GC_THRESHOLD, *gc.get_threshold()[1:])


def _queue_of(request) -> str:
    return (request.delivery_info or {}).get("routing_key", "") or ""


@task(name="posts.dispatch_due", bind=True)
def dispatch_due(self, **kwargs) -> None:
    """Claim due deliveries and enqueue them (beat every few seconds, and on approval)."""
    result = dispatch_due_service(worker=self.request.hostname or "", queue=_queue_of(self.request))
    if result.queued or result.held or result.deferred:
        logger.info(
            "Dispatched: %d queued, %d held, %d deferred by rate limits.",
            len(result.queued),
            len(result.held),
            len(result.deferred),
        )


@task(name="posts.publish_batch")
def publish_batch(delivery_ids: list[int], **kwargs) -> None:
    # The sent ones in one line per batch (a crisis alert sends a thousand; a log record
    # each was a tenth of a millisecond of a worker's CPU per delivery), the rest one each,
    # with what the network said.
    sent: list[int] = []
    for delivery_id, outcome in deliveries_publish(delivery_ids=delivery_ids).items():
        if outcome.state == "sent" and not outcome.detail:
            sent.append(delivery_id)
        elif outcome.state:
            logger.info("Delivery %s: %s (%s) %s", delivery_id, outcome.state, outcome.kind, outcome.detail[:200])
    if sent:
        logger.info("Deliveries sent: %s", " ".join(map(str, sent)))


@task(name="posts.publish_delivery")
def publish_delivery(delivery_id: int, **kwargs) -> None:
    """One delivery, as older dispatchers sent them (a rolling deploy)."""
    publish_batch([delivery_id])


@task(name="posts.sweep", bind=True)
def sweep(self, **kwargs) -> None:
    sweep_service(worker=self.request.hostname or "")


@task(name="posts.reconcile_delivery")
def reconcile_delivery(delivery_id: int, **kwargs) -> None:
    outcome = delivery_reconcile(delivery_id=delivery_id)
    if outcome.state:
        logger.info("Delivery %s reconciled: %s (%s)", delivery_id, outcome.state, outcome.kind)


@task(name="posts.retract_delivery")
def retract_delivery(delivery_id: int, actor_id: int | None = None, **kwargs) -> None:
    delivery_retract(delivery_id=delivery_id, actor_id=actor_id)


@task(name="posts.review_clock")
def review_clock(**kwargs) -> None:
    """Offer the messages whose review target passed to the next desk on duty (beat, each minute)."""
    tick = review_clock_tick()
    if tick.passed_on or tick.told:
        logger.info("Review clock: %d passed on, %d leads told.", tick.passed_on, tick.told)


@task(name="posts.occasion_reminders")
def occasion_reminders(**kwargs) -> None:
    """Remind missions of their recurring days (beat, hourly; each reminder once a year)."""
    sent = occasion_reminders_send()
    if sent:
        logger.info("Occasion reminders: %d sent.", sent)
