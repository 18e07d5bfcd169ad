"""Is publishing working? "Posts stuck while everything looks healthy" is the complaint.

`health_report()` answers from the database (and one quick look at the broker):

- the age of the oldest due delivery (scheduled and due, or queued, waiting for a worker);
- deliveries waiting per lane (crisis, routine): due, queued, sending, unknown (and how
  many of those wait for a press officer), held by a pause;
- the dispatcher's last tick, and the workers and queues seen recently (heartbeats the
  dispatcher tick writes: it runs every DISPATCH_INTERVAL s on each publishing queue, so a
  worker that lags behind its queue stops being seen);
- the broker reachable (a connection within HEALTH_BROKER_TIMEOUT);
- networks that refuse our application itself (posts.services.app_access), shown as
  problems to fix without turning the report red: messages still go out.

It is red, with its reasons in words, when the dispatcher has not run for
HEALTH_DISPATCHER_MAX_AGE, no worker has been seen for HEALTH_WORKER_MAX_AGE, a
delivery has waited longer than HEALTH_MAX_DUE_AGE, or the broker does not answer.
`/healthz` serves it as JSON (503 when red); the press office's page renders it.
"""

from __future__ import annotations

import threading
from datetime import datetime, timedelta

from celery import current_app
from django.conf import settings
from django.db.models import Count, Min, Q
from django.utils import timezone

from posts.lifecycle import DELIVERY_ENGINE_BUSY, MESSAGE_PUBLISHABLE
from posts.models import Delivery, Heartbeat, Priority
from posts.services.app_access import PREFIX as APP_ACCESS

State = Delivery.State
_LANES = {Priority.CRISIS: "crisis", Priority.ROUTINE: "routine"}


def _age(then: datetime | None, now: datetime) -> float | None:
    return None if then is None else max(0.0, (now - then).total_seconds())


def _in_words(seconds: float) -> str:
    if seconds < 120:
        return f"{int(seconds)} s"
    if seconds < 7200:
        return f"{int(seconds // 60)} min"
    return f"{seconds / 3600:.1f} h"


def broker_check(timeout: float | None = None) -> tuple[bool, str]:
    """Whether the broker accepts a connection within `timeout` seconds, and what it said."""
    timeout = settings.HEALTH_BROKER_TIMEOUT if timeout is None else timeout
    answer: dict[str, object] = {}

    def connect() -> None:
        try:
            options = {
                **(current_app.conf.broker_transport_options or {}),
                "socket_timeout": timeout,
                "socket_connect_timeout": timeout,
                "max_retries": 0,
            }
            with current_app.connection_for_write(connect_timeout=timeout, transport_options=options) as conn:
                conn.ensure_connection(max_retries=1, timeout=timeout)
                if conn.transport.driver_type == "redis":
                    conn.default_channel.client.ping()
            answer["ok"] = True
        except Exception as error:
            answer["error"] = f"{type(error).__name__}: {error}"[:200]

    thread = threading.Thread(target=connect, name="health-broker", daemon=True)
    thread.start()
    thread.join(timeout + 0.2)
    if answer.get("ok"):
        return True, "reachable"
    return False, str(answer.get("error") or f"no answer within {timeout:g} s")


def health_report(*, now: datetime | None = None, check_broker: bool = True) -> dict:
    """Everything the health page and /healthz show, as plain JSON-able data."""
    now = now or timezone.now()
    reasons: list[str] = []
    publishable = Q(message__state__in=MESSAGE_PUBLISHABLE)

    # Waiting deliveries, per lane, in one grouped query.
    due = Q(state=State.SCHEDULED, next_attempt_at__lte=now) & publishable
    rows = (
        Delivery.objects.filter(due | Q(state__in=DELIVERY_ENGINE_BUSY))
        .values("priority")
        .annotate(
            due=Count("pk", filter=due),
            queued=Count("pk", filter=Q(state=State.QUEUED)),
            sending=Count("pk", filter=Q(state=State.SENDING)),
            unknown=Count("pk", filter=Q(state=State.UNKNOWN)),
            needs_decision=Count("pk", filter=Q(state=State.UNKNOWN, next_attempt_at__isnull=True)),
            held=Count("pk", filter=Q(state=State.HELD)),
            oldest_due=Min("next_attempt_at", filter=due),
            oldest_queued=Min("state_changed_at", filter=Q(state=State.QUEUED)),
        )
        .order_by()
    )
    empty = {"due": 0, "queued": 0, "sending": 0, "unknown": 0, "needs_decision": 0, "held": 0}
    waiting = {lane: dict(empty) for lane in _LANES.values()}
    oldest: datetime | None = None
    for row in rows:
        lane = _LANES.get(row["priority"], "routine")
        for key in empty:
            waiting[lane][key] += row[key]
        for then in (row["oldest_due"], row["oldest_queued"]):
            if then is not None and (oldest is None or then < oldest):
                oldest = then
    oldest_age = _age(oldest, now)
    if oldest_age is not None and oldest_age > settings.HEALTH_MAX_DUE_AGE:
        reasons.append(f"The oldest due delivery has waited {_in_words(oldest_age)}.")

    beats = {beat.name: beat for beat in Heartbeat.objects.all()}
    dispatcher = beats.get("dispatcher")
    dispatcher_age = _age(dispatcher.seen_at if dispatcher else None, now)
    if dispatcher_age is None:
        reasons.append("The dispatcher has never run.")
    elif dispatcher_age > settings.HEALTH_DISPATCHER_MAX_AGE:
        reasons.append(f"The dispatcher has not run for {_in_words(dispatcher_age)}.")

    recent = now - timedelta(seconds=settings.HEALTH_WORKER_MAX_AGE)
    workers = [
        {
            "name": name.removeprefix("worker:"),
            "seen_at": beat.seen_at.isoformat(),
            "age_seconds": round(_age(beat.seen_at, now), 1),
            "recent": beat.seen_at >= recent,
        }
        for name, beat in sorted(beats.items())
        if name.startswith("worker:")
    ]
    queues = {
        name.removeprefix("queue:"): {
            "seen_at": beat.seen_at.isoformat(),
            "age_seconds": round(_age(beat.seen_at, now), 1),
        }
        for name, beat in sorted(beats.items())
        if name.startswith("queue:")
    }
    if not any(worker["recent"] for worker in workers):
        reasons.append(f"No worker has been seen for {_in_words(settings.HEALTH_WORKER_MAX_AGE)}.")
    for queue, seen in queues.items():
        if seen["age_seconds"] > settings.HEALTH_WORKER_MAX_AGE:
            reasons.append(f"No worker has taken work from the {queue} queue for {_in_words(seen['age_seconds'])}.")
    sweeper = beats.get("sweeper")
    # Not a reason for red: publishing works; reading back (reconciliation) does not.
    app_access = [
        {"network": name.removeprefix(APP_ACCESS), "seen_at": beat.seen_at.isoformat(), **beat.details}
        for name, beat in sorted(beats.items())
        if name.startswith(APP_ACCESS)
    ]

    broker_ok, broker_detail = broker_check() if check_broker else (True, "not checked")
    if not broker_ok:
        reasons.append(f"The broker does not answer ({broker_detail}).")

    return {
        "status": "red" if reasons else "ok",
        "reasons": reasons,
        "checked_at": now.isoformat(),
        "oldest_due_seconds": None if oldest_age is None else round(oldest_age, 1),
        "waiting": waiting,
        "dispatcher": {
            "last_tick": dispatcher.seen_at.isoformat() if dispatcher else None,
            "age_seconds": None if dispatcher_age is None else round(dispatcher_age, 1),
            "last": dispatcher.details if dispatcher else {},
        },
        "sweeper": {
            "last_run": sweeper.seen_at.isoformat() if sweeper else None,
            "last": sweeper.details if sweeper else {},
        },
        "workers": workers,
        "queues": queues,
        "broker": {"reachable": broker_ok, "detail": broker_detail},
        "app_access": app_access,
    }
