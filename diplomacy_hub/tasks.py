"""The one task decorator of every app (Sentry's): a stable `name=` is required, since a
rolling deploy sends by name to old and new workers alike; the queue comes from routing
(CELERY_TASK_ROUTES), never from the task (`queue=` on a task is deprecated); JSON only,
late acks, no result. And the one way a web request hands work to the broker: without
waiting for it (enqueue, enqueue_on_commit, send_without_waiting)."""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Callable, Sequence
from typing import Any

from celery import current_app, shared_task
from django.conf import settings
from django.db import transaction

logger = logging.getLogger(__name__)

_NAME = re.compile(r"[a-z_]+\.[a-z_]+")
DEFAULTS = {"acks_late": True, "reject_on_worker_lost": True, "ignore_result": True, "serializer": "json"}


def task(*, name: str, **options: Any) -> Callable:
    """`@task(name="posts.publish_delivery")`: a Celery shared task with our defaults."""
    if not isinstance(name, str) or not _NAME.fullmatch(name):
        raise TypeError(f"A task needs a stable dotted name, like 'posts.sweep': got {name!r}.")
    if "queue" in options:
        raise TypeError(f"{name}: give the queue in CELERY_TASK_ROUTES, not on the task.")
    return shared_task(name=name, **(DEFAULTS | options))


# Sends still stuck on the broker after their caller stopped waiting: while there is one,
# the broker is known to hang, and no caller waits for it again.
_stuck = 0
_stuck_lock = threading.Lock()


def send_without_waiting(send: Callable[[], object], *, what: str) -> None:
    """Run `send` (it hands tasks to the broker) and wait for it at most settings.KICK_TIMEOUT,
    and not at all while an earlier send is still stuck: a request answers even when the
    broker hangs, and the sending goes on in a daemon thread, bounded by the broker's socket
    timeouts. A refusal is logged, never raised: every caller has a way to catch up (the
    next tick, the sweeper, a button that asks again)."""
    global _stuck
    state = {"done": False, "counted": False}

    def guarded() -> None:
        global _stuck
        try:
            send()
        except Exception:
            logger.warning("The broker refused %s.", what, exc_info=True)
        finally:
            with _stuck_lock:
                state["done"] = True
                if state["counted"]:
                    _stuck -= 1

    thread = threading.Thread(target=guarded, name="enqueue", daemon=True)
    thread.start()
    with _stuck_lock:
        wait = 0.0 if _stuck else settings.KICK_TIMEOUT
    thread.join(wait)
    with _stuck_lock:
        if not state["done"]:
            state["counted"] = True
            _stuck += 1
            logger.warning("The broker did not take %s within %.1f s; still trying.", what, wait)


Calls = Sequence[tuple[Sequence[Any], dict[str, Any]]]


def enqueue(name: str, *, calls: Calls, what: str, queues: Sequence[str | None] = (None,)) -> None:
    """Send the task `name` once per (args, kwargs) in `calls` and per queue (None: routed by
    CELERY_TASK_ROUTES), over one broker connection, without waiting for a slow broker."""

    def send() -> None:
        with current_app.producer_or_acquire() as producer:
            for queue in queues:
                for args, kwargs in calls:
                    current_app.send_task(
                        name, args=list(args), kwargs=kwargs, queue=queue, producer=producer, retry=False
                    )

    send_without_waiting(send, what=what)


def enqueue_on_commit(name: str, *, calls: Calls, what: str, queues: Sequence[str | None] = (None,)) -> None:
    """enqueue() once the current transaction commits (at once outside one)."""
    calls = list(calls)

    def enqueue_now() -> None:  # a named function: Django logs a robust callback's __qualname__
        enqueue(name, calls=calls, what=what, queues=queues)

    transaction.on_commit(enqueue_now, robust=True)
