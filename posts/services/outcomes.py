"""Every change of a delivery's state, in one place: the dispatcher's claims and holds, the
worker's outcomes, reconciliation, the sweeper, cancellation, and the press office's
release, retry, settle and retraction all move deliveries through these functions.

Each move is a conditional UPDATE from the states the delivery may be in (checked against
posts.lifecycle.DELIVERY_TRANSITIONS) and records its event in the same transaction; the
callers keep what is theirs (the policy, the network call, the message's summary).

Too late -> held. A delivery is late when it would leave more than PUBLISH_LATE_AFTER after
`due_at`, the time a person last said it may go out: the approved time, or a press
officer's release or retry. The engine's own postponements (a retry after a failure, a
rate limit, a budget deferral, a requeue by the sweeper) never move `due_at`, so a message
that the engine could not send within the grace of its approved time waits, held, for a
press officer, whether on its first attempt or a retry; releasing or retrying it is a new
word from a person and starts the grace again. Backoff alone (eight tries in 52 minutes,
62 at the most with jitter) stays within the default grace of ninety minutes.
"""

from __future__ import annotations

import logging
import random
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from channels.adapters.base import AdapterError, Published, RateLimited, Said
from channels.problems import said_of
from posts.lifecycle import (
    DELIVERY_IN_FLIGHT,
    DELIVERY_ON_ITS_WAY,
    DELIVERY_PENDING,
    DELIVERY_TRANSITIONS,
    event_kind,
)
from posts.models import Delivery, DeliveryAttempt, Event, PublishingPause
from posts.rawsql import deliveries_claim as deliveries_claim_sql
from posts.rawsql import insert_returning_ids, update_from_values
from posts.services.events import emit_events, record_delivery_events, record_event

logger = logging.getLogger(__name__)

State = Delivery.State
Kind = Delivery.ErrorKind


@dataclass(frozen=True)
class Outcome:
    """What happened to one delivery (the task logs it; tests read it)."""

    state: str  # the delivery's state afterwards; "" when the call did nothing
    kind: str = ""  # sent | rate_limited | transient | unknown | auth | permanent | held | cancelled | late
    detail: str = ""


SKIPPED = Outcome(state="")


def _allowed(from_states: Iterable[str], to_state: str) -> list[str]:
    """`from_states`, each checked against the delivery state machine. The states come from
    this module's code, never from input: a refusal is a bug here (ValueError), not words
    for a person."""
    states = list(from_states)
    for state in states:
        if to_state not in DELIVERY_TRANSITIONS[state]:
            raise ValueError(f"posts.lifecycle does not let a delivery go from {state} to {to_state}.")
    return states


def backoff_seconds(attempt: int, *, rng: random.Random | None = None) -> float:
    """How long to wait after failed attempt number `attempt` (1, 2, ...):
    BASE * 2**(attempt-1), capped at PUBLISH_BACKOFF_MAX, then ±PUBLISH_BACKOFF_JITTER."""
    base = settings.PUBLISH_BACKOFF_BASE * 2 ** max(0, attempt - 1)
    capped = min(base, settings.PUBLISH_BACKOFF_MAX)
    jitter = settings.PUBLISH_BACKOFF_JITTER
    return capped * (rng or random).uniform(1 - jitter, 1 + jitter)


def failed_tries(delivery: Delivery) -> int:
    """Publish attempts that count towards giving up (a rate limit is not a failure)."""
    return DeliveryAttempt.objects.filter(delivery=delivery, action="publish").exclude(outcome="rate_limited").count()


# --- Too late ---------------------------------------------------------------------------------


def is_late(delivery: Delivery, now: datetime) -> bool:
    """Whether the delivery would leave more than PUBLISH_LATE_AFTER after its `due_at`
    (see the module's docstring). One without `due_at` is never late."""
    return delivery.due_at is not None and now - delivery.due_at > timedelta(seconds=settings.PUBLISH_LATE_AFTER)


def late_details(delivery: Delivery) -> dict:
    """What the delivery.held event of a late delivery says besides its reason."""
    return {"late": True, "due_at": _iso(delivery.due_at)}


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment is not None else None


def late_reason(delivery: Delivery) -> Said:
    minutes = int(settings.PUBLISH_LATE_AFTER // 60)
    due_at = f"{delivery.due_at:%Y-%m-%d %H:%M}"
    return Said(
        f"Due at {due_at} UTC, more than {minutes} minutes ago: a press officer decides whether it still goes out.",
        "delivery.late",
        due_at=due_at,
        minutes=minutes,
    )


def unexpected_error(error: Exception) -> AdapterError:
    """An exception no adapter classified, as an AdapterError with a code: our own failure,
    worded for the reader, with the exception's name and words kept as they came."""
    return AdapterError(
        Said(
            f"An unexpected error on our side: {type(error).__name__}: {error}",
            "delivery.unexpected_error",
            exception=type(error).__name__,
            detail=str(error)[:300],
        )
    )


def reason_details(reason: str, code: str = "", params: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """An event's reason: the English kept for the record, with the code and parameters
    that word it for each reader of the history (posts.problems); a `Said` brings its own."""
    if not reason:
        return {}
    code = code or getattr(reason, "code", "")
    if not code:
        return {"reason": str(reason)}
    params = params if params is not None else getattr(reason, "params", None)
    return {"reason": str(reason), "reason_code": code, "reason_params": dict(params or {})}


# --- The dispatcher ---------------------------------------------------------------------------


def deliveries_queue(*, delivery_ids: list[int], now: datetime) -> None:
    """scheduled -> queued: claimed, their ids about to go to the workers."""
    Delivery.objects.filter(pk__in=delivery_ids, state__in=_allowed([State.SCHEDULED], State.QUEUED)).update(
        state=State.QUEUED, state_changed_at=now
    )


def deliveries_defer(*, delivery_ids: list[int], until: datetime) -> None:
    """Over a rate-limit budget: still scheduled, due when the budget frees."""
    Delivery.objects.filter(pk__in=delivery_ids, state=State.SCHEDULED).update(next_attempt_at=until)


def deliveries_unqueue(*, delivery_ids: list[int], now: datetime) -> None:
    """queued -> scheduled, due now: the broker refused them; the next tick sends them."""
    Delivery.objects.filter(pk__in=delivery_ids, state__in=_allowed([State.QUEUED], State.SCHEDULED)).update(
        state=State.SCHEDULED, state_changed_at=now
    )


def deliveries_hold(
    *,
    paused: Iterable[tuple[Delivery, PublishingPause]] = (),
    late: Iterable[Delivery] = (),
    now: datetime,
) -> list[int]:
    """scheduled -> held, for a press officer to release: those a pause covers (one event
    per delivery, in one INSERT per pause) and those too late. Returns the ids held."""
    paused, late = list(paused), list(late)
    if not paused and not late:
        return []
    from_states = _allowed([State.SCHEDULED], State.HELD)
    held: list[int] = []
    if paused:
        Delivery.objects.filter(pk__in=[d.pk for d, _ in paused], state__in=from_states).update(
            state=State.HELD, state_changed_at=now
        )
        by_pause: dict[int, list[Delivery]] = defaultdict(list)
        pauses = {}
        for delivery, pause in paused:
            by_pause[pause.pk].append(delivery)
            pauses[pause.pk] = pause
            held.append(delivery.pk)
        for pause_id, deliveries in by_pause.items():
            pause = pauses[pause_id]
            record_delivery_events(
                verb="delivery.held",
                to_state=State.HELD,
                changes=[(d.pk, d.message_id, State.SCHEDULED) for d in deliveries],
                details={"pause_id": pause.pk, "scope": pause.scope, "value": pause.value, "reason": pause.reason},
            )
    for delivery in late:
        reason = late_reason(delivery)
        if Delivery.objects.filter(pk=delivery.pk, state__in=from_states).update(
            state=State.HELD, state_changed_at=now, **Delivery.error_fields(reason, Kind.LATE)
        ):
            record_event(
                verb="delivery.held",
                delivery=delivery,
                from_state=State.SCHEDULED,
                to_state=State.HELD,
                details={**late_details(delivery), **reason_details(reason)},
            )
            held.append(delivery.pk)
    return held


# --- Cancelling -------------------------------------------------------------------------------------


def deliveries_cancel_pending(*, message_id: int, actor, because: str, reason: str = "", now: datetime) -> list[int]:
    """scheduled, held or queued -> cancelled, for every such delivery of the message, by a
    conditional UPDATE on their state: one a worker has already claimed (sending) is left
    alone. One event each, saying `because` (the message's event that caused it). Returns
    the ids cancelled, in order."""
    from_states = _allowed(DELIVERY_PENDING, State.CANCELLED)
    pending = list(Delivery.objects.filter(message_id=message_id, state__in=from_states).values_list("pk", "state"))
    if not pending:
        return []
    Delivery.objects.filter(pk__in=[pk for pk, _ in pending], state__in=from_states).update(
        state=State.CANCELLED, state_changed_at=now, next_attempt_at=None
    )
    cancelled = set(
        Delivery.objects.filter(pk__in=[pk for pk, _ in pending], state=State.CANCELLED).values_list("pk", flat=True)
    )
    record_delivery_events(
        verb="delivery.cancel",
        actor=actor,
        to_state=State.CANCELLED,
        changes=[(pk, message_id, state) for pk, state in pending if pk in cancelled],
        details={"because": because, **({"reason": reason} if reason else {})},
    )
    return sorted(cancelled)


# --- The worker: refused before the call --------------------------------------------------------


def deliveries_claim(*, delivery_ids: list[int], now: datetime) -> list[int]:
    """queued -> sending for a batch, counting an attempt each, in one conditional
    UPDATE … RETURNING (posts.rawsql): the claim that makes publishing at-most-once.
    Returns the ids claimed; the others are not `queued` any more and are left alone."""
    _allowed([State.QUEUED], State.SENDING)
    return deliveries_claim_sql(list(delivery_ids), now=now)


def delivery_refuse(
    delivery: Delivery,
    to_state: str,
    *,
    now: datetime,
    verb: str,
    kind: str = "",
    reason: str = "",
    details: dict | None = None,
) -> Outcome:
    """sending -> to_state (cancelled, failed, held), for a delivery that never reached the
    network (the attempt its claim counted is given back)."""
    fields = {"state": to_state, "state_changed_at": now, "attempts": F("attempts") - 1}
    delivery.attempts -= 1
    if reason:
        fields |= Delivery.error_fields(reason, kind)
    Delivery.objects.filter(pk=delivery.pk, state__in=_allowed([State.SENDING], to_state)).update(**fields)
    record_event(
        verb=verb,
        delivery=delivery,
        message=delivery.message,
        from_state=State.SENDING,
        to_state=to_state,
        details={**reason_details(reason), **(details or {})},
    )
    return Outcome(state=to_state, kind=kind or to_state, detail=reason)


# --- The network's answer -----------------------------------------------------------------------


@dataclass(frozen=True)
class Finish:
    """The end of one attempt, to be recorded: what `delivery_finish` records alone and
    `deliveries_finish` in a micro-batch, built where the network answered."""

    delivery: Delivery
    attempt: DeliveryAttempt
    to_state: str
    verb: str
    outcome: str
    kind: str = ""
    error: AdapterError | None = None
    fields: dict = field(default_factory=dict)
    from_states: tuple[str, ...] = tuple(sorted(DELIVERY_IN_FLIGHT))
    external_id: str = ""
    details: dict = field(default_factory=dict)
    at: datetime = field(default_factory=timezone.now)

    @property
    def detail(self) -> str:
        return self.error.detail if self.error is not None else ""

    @property
    def status_code(self) -> int | None:
        return self.error.status_code if self.error is not None else None


def finish(
    delivery: Delivery,
    attempt: DeliveryAttempt,
    to_state: str,
    *,
    verb: str,
    outcome: str,
    kind: str = "",
    error: AdapterError | None = None,
    fields: dict | None = None,
    from_states: Iterable[str] = DELIVERY_IN_FLIGHT,
    external_id: str = "",
    details: dict | None = None,
) -> Finish:
    """The attempt's end, moving the delivery to `to_state` (only from `from_states`, and
    only if no later attempt has started), not recorded yet."""
    return Finish(
        delivery=delivery,
        attempt=attempt,
        to_state=to_state,
        verb=verb,
        outcome=outcome,
        kind=kind,
        error=error,
        fields=dict(fields or {}),
        from_states=tuple(sorted(_allowed(from_states, to_state))),
        external_id=external_id,
        details=dict(details or {}),
    )


def delivery_finish(delivery: Delivery, attempt: DeliveryAttempt, to_state: str, **kwargs) -> Outcome:
    """Record the attempt's end and move the delivery (conditionally: only from the
    states it may still be in for this attempt). See `finish` for the arguments."""
    return deliveries_finish([finish(delivery, attempt, to_state, **kwargs)])[0]


def deliveries_finish(finishes: list[Finish]) -> list[Outcome]:
    """Record a micro-batch of attempts' ends in one transaction: the attempt rows in one
    UPDATE … FROM VALUES, the deliveries in one such UPDATE per kind of change (conditional
    on each one's state and attempt count: a delivery that moved on since, e.g. settled by
    a press officer or made `unknown` by the sweeper, keeps its state and the outcome stays
    on the attempt only), one multi-row INSERT of events for the deliveries that moved.
    Returns each one's outcome, in order."""
    if not finishes:
        return []
    groups: dict[tuple, list[Finish]] = defaultdict(list)
    for item in finishes:
        groups[(item.to_state, item.from_states, tuple(sorted(_delivery_changes(item))))].append(item)
    moved: set[int] = set()
    with transaction.atomic():
        update_from_values(
            DeliveryAttempt,
            ["finished_at", "outcome", "status_code", "detail", "external_id"],
            [
                (
                    item.attempt.pk,
                    [item.at, item.outcome, item.status_code, item.detail[:500], item.external_id[:100]],
                )
                for item in finishes
            ],
        )
        for (_, from_states, columns), items in groups.items():
            moved.update(
                update_from_values(
                    Delivery,
                    list(columns),
                    [(item.delivery.pk, [_delivery_changes(item)[name] for name in columns]) for item in items],
                    where={"state": from_states},
                    match={"attempts": [item.delivery.attempts for item in items]},
                )
            )
        emit_events(insert_returning_ids([_finish_event(item) for item in finishes if item.delivery.pk in moved]))
    results = []
    for item in finishes:
        if item.delivery.pk in moved:
            results.append(Outcome(state=item.to_state, kind=item.outcome, detail=item.detail))
            continue
        logger.warning(
            "Delivery %s changed while attempt %s was out; outcome %s kept on the attempt only.",
            item.delivery.pk,
            item.attempt.number,
            item.outcome,
        )
        results.append(Outcome(state="", kind=item.outcome, detail=item.detail))
    return results


def _delivery_changes(item: Finish) -> dict:
    changes = {"state": item.to_state, "state_changed_at": item.at, **item.fields}
    if item.error is not None:
        changes |= Delivery.error_fields(item.detail, item.kind, code=item.error.code, params=item.error.params)
    return changes


def _finish_event(item: Finish) -> Event:
    event_kind(item.verb)  # registered, else ValueError
    return Event(
        verb=item.verb,
        message_id=item.delivery.message_id,
        delivery_id=item.delivery.pk,
        from_state=str(item.delivery.state or ""),
        to_state=item.to_state,
        details={
            "attempt": item.attempt.number,
            "outcome": item.outcome,
            "status_code": item.status_code,
            **(reason_details(item.detail, item.error.code, item.error.params) if item.error is not None else {}),
            **item.details,
        },
    )


def finish_sent(
    delivery: Delivery, attempt: DeliveryAttempt, published: Published, *, verb: str, outcome: str
) -> Finish:
    """The network has it: `sent`, with its id and link. Accepted from any state short of
    final for this attempt (a slow call the sweeper gave up on, a reconciliation)."""
    return finish(
        delivery,
        attempt,
        State.SENT,
        verb=verb,
        outcome=outcome,
        external_id=published.external_id,
        fields={
            "external_id": published.external_id[:100],
            "external_post_id": published.post_id[:100],
            "external_url": published.url[:500],
            "sent_at": timezone.now(),
            "next_attempt_at": None,
            **Delivery.error_fields(),
        },
        from_states=DELIVERY_ON_ITS_WAY,
        details={"external_id": published.external_id, "url": published.url}
        | ({"post_id": published.post_id} if published.post_id else {}),
    )


def delivery_mark_sent(
    delivery: Delivery, attempt: DeliveryAttempt, published: Published, *, verb: str, outcome: str
) -> Outcome:
    return deliveries_finish([finish_sent(delivery, attempt, published, verb=verb, outcome=outcome)])[0]


def finish_rate_limited(delivery: Delivery, attempt: DeliveryAttempt, error: RateLimited) -> Finish:
    """Not published: due again when the network's window resets."""
    when = timezone.now() + timedelta(seconds=max(1.0, error.retry_after))
    return finish(
        delivery,
        attempt,
        State.SCHEDULED,
        verb="delivery.rate_limited",
        outcome="rate_limited",
        kind=Kind.RATE_LIMITED,
        error=error,
        fields={"next_attempt_at": when},
        details={"next_attempt_at": when.isoformat()},
    )


def finish_retry_later(
    delivery: Delivery,
    attempt: DeliveryAttempt,
    error: AdapterError,
    *,
    outcome: str,
    verb: str = "delivery.retry_scheduled",
    from_states: Iterable[str] = DELIVERY_IN_FLIGHT,
) -> Finish:
    """Surely not published: try again after a backoff, or give up after the last try."""
    tries = failed_tries(delivery)
    if tries >= settings.PUBLISH_MAX_ATTEMPTS:
        gave_up = Said(
            f"Gave up after {tries} attempts. Last answer: {error.detail}",
            "delivery.gave_up",
            count=tries,
            problem=said_of(error),
        )
        error = AdapterError(gave_up, status_code=error.status_code)
        return finish(
            delivery,
            attempt,
            State.FAILED,
            verb="delivery.failed",
            outcome=outcome,
            kind=Kind.TRANSIENT,
            error=error,
            from_states=from_states,
        )
    when = timezone.now() + timedelta(seconds=backoff_seconds(tries))
    return finish(
        delivery,
        attempt,
        State.SCHEDULED,
        verb=verb,
        outcome=outcome,
        kind=Kind.TRANSIENT,
        error=error,
        fields={"next_attempt_at": when},
        from_states=from_states,
        details={"next_attempt_at": when.isoformat()},
    )


def delivery_retry_later(delivery: Delivery, attempt: DeliveryAttempt, error: AdapterError, **kwargs) -> Outcome:
    return deliveries_finish([finish_retry_later(delivery, attempt, error, **kwargs)])[0]


def finish_unknown(delivery: Delivery, attempt: DeliveryAttempt, error: AdapterError, *, outcome: str) -> Finish:
    """It may have gone out: reconciled after RECONCILE_DELAY, never sent again blindly."""
    when = timezone.now() + timedelta(seconds=settings.RECONCILE_DELAY)
    return finish(
        delivery,
        attempt,
        State.UNKNOWN,
        verb="delivery.unknown",
        outcome=outcome,
        kind=Kind.UNKNOWN,
        error=error,
        fields={"next_attempt_at": when},
        details={"reconcile_at": when.isoformat()},
    )


def delivery_cannot_tell(delivery: Delivery, attempt: DeliveryAttempt, error: AdapterError, *, rounds: int) -> Outcome:
    """Reconciliation could not tell: stay `unknown`, asked again later, or left to a press
    officer after the last round (RECONCILE_MAX_ROUNDS)."""
    now = timezone.now()
    give_up = rounds >= settings.RECONCILE_MAX_ROUNDS
    delay = error.retry_after if isinstance(error, RateLimited) else settings.RECONCILE_RETRY_DELAY
    next_at = None if give_up else now + timedelta(seconds=max(1.0, delay))
    with transaction.atomic():
        DeliveryAttempt.objects.filter(pk=attempt.pk).update(
            finished_at=now,
            outcome="unknown",
            status_code=error.status_code,
            detail=error.detail[:500],
        )
        moved = Delivery.objects.filter(pk=delivery.pk, state=State.UNKNOWN, attempts=delivery.attempts).update(
            next_attempt_at=next_at,
            **Delivery.error_fields(error.detail, Kind.UNKNOWN, code=error.code, params=error.params),
        )
        if moved and give_up:
            record_event(
                verb="delivery.needs_decision",
                delivery=delivery,
                message=delivery.message,
                from_state=State.UNKNOWN,
                to_state=State.UNKNOWN,
                details={"rounds": rounds, **reason_details(error.detail, error.code, error.params)},
            )
    return Outcome(state=State.UNKNOWN, kind="unknown", detail=error.detail)


# --- The sweeper --------------------------------------------------------------------------------


def delivery_requeue(delivery: Delivery, *, now: datetime, cutoff: datetime) -> bool:
    """queued since before `cutoff` -> scheduled, due now: its broker message was lost."""
    moved = Delivery.objects.filter(
        pk=delivery.pk,
        state__in=_allowed([State.QUEUED], State.SCHEDULED),
        state_changed_at__lt=cutoff,
    ).update(state=State.SCHEDULED, state_changed_at=now, next_attempt_at=now)
    if moved:
        record_event(
            verb="delivery.requeued",
            delivery=delivery,
            message=delivery.message,
            from_state=State.QUEUED,
            to_state=State.SCHEDULED,
            details={"queued_since": _iso(delivery.state_changed_at)},
        )
    return bool(moved)


def delivery_lost_in_flight(delivery: Delivery, *, now: datetime, cutoff: datetime, reason: str) -> bool:
    """sending since before `cutoff` -> unknown, to be reconciled at once: the worker died
    during the call, which may or may not have reached the network."""
    moved = Delivery.objects.filter(
        pk=delivery.pk,
        state__in=_allowed([State.SENDING], State.UNKNOWN),
        state_changed_at__lt=cutoff,
    ).update(
        state=State.UNKNOWN,
        state_changed_at=now,
        next_attempt_at=now,
        **Delivery.error_fields(reason, Kind.UNKNOWN),
    )
    if not moved:
        return False
    DeliveryAttempt.objects.filter(delivery=delivery, action="publish", finished_at__isnull=True).update(
        finished_at=now, outcome="unknown", detail=reason
    )
    record_event(
        verb="delivery.unknown",
        delivery=delivery,
        message=delivery.message,
        from_state=State.SENDING,
        to_state=State.UNKNOWN,
        details=reason_details(reason),
    )
    return True


# --- The press office ---------------------------------------------------------------------------


def delivery_release(delivery: Delivery, *, actor, when: datetime, now: datetime) -> bool:
    """held -> scheduled, due at `when`: a press officer's word, so the grace for being late
    starts again from `when`. A note that it was late is cleared; any other error stays."""
    changes = {"state": State.SCHEDULED, "next_attempt_at": when, "due_at": when, "state_changed_at": now}
    if delivery.last_error_kind == Kind.LATE:
        changes |= Delivery.error_fields()
    if not Delivery.objects.filter(pk=delivery.pk, state__in=_allowed([State.HELD], State.SCHEDULED)).update(**changes):
        return False
    record_event(
        verb="delivery.released",
        actor=actor,
        delivery=delivery,
        message=delivery.message,
        from_state=State.HELD,
        to_state=State.SCHEDULED,
        details={"publish_at": when.isoformat()},
    )
    return True


def delivery_reschedule_failed(delivery: Delivery, *, actor, now: datetime) -> bool:
    """failed -> scheduled, due now, its attempts kept: a press officer's retry (a new word
    from a person: the grace for being late starts again)."""
    if not Delivery.objects.filter(pk=delivery.pk, state__in=_allowed([State.FAILED], State.SCHEDULED)).update(
        state=State.SCHEDULED, next_attempt_at=now, due_at=now, state_changed_at=now
    ):
        return False
    record_event(
        verb="delivery.retry",
        actor=actor,
        delivery=delivery,
        message=delivery.message,
        from_state=State.FAILED,
        to_state=State.SCHEDULED,
        details={"attempts": delivery.attempts, "last_error": delivery.last_error},
    )
    return True


def delivery_settle_unknown(delivery: Delivery, *, actor, outcome: str, external_url: str, now: datetime) -> bool:
    """unknown -> sent ("sent", with the post's link if given) or failed ("not_sent"), as a
    press officer settled it after looking at the account."""
    if outcome == "sent":
        to_state = State.SENT
        changes = {"sent_at": now, "external_url": external_url[:500], **Delivery.error_fields()}
    else:
        to_state = State.FAILED
        changes = Delivery.error_fields(
            Said(
                f"Not published, as settled by {actor.get_username()}.",
                "delivery.settled_not_published",
                person=actor.get_username(),
            ),
            Kind.UNKNOWN,
        )
    if not Delivery.objects.filter(pk=delivery.pk, state__in=_allowed([State.UNKNOWN], to_state)).update(
        state=to_state, state_changed_at=now, next_attempt_at=None, **changes
    ):
        return False
    record_event(
        verb="delivery.settled",
        actor=actor,
        delivery=delivery,
        message=delivery.message,
        from_state=State.UNKNOWN,
        to_state=to_state,
        details={"outcome": outcome, "external_url": external_url},
    )
    return True


def delivery_mark_retracted(delivery: Delivery, *, actor, now: datetime) -> bool:
    """sent -> retracted: deleted from its network."""
    if not Delivery.objects.filter(pk=delivery.pk, state__in=_allowed([State.SENT], State.RETRACTED)).update(
        state=State.RETRACTED, retracted_at=now, state_changed_at=now
    ):
        return False
    record_event(
        verb="delivery.retracted",
        actor=actor,
        delivery=delivery,
        message=delivery.message,
        from_state=State.SENT,
        to_state=State.RETRACTED,
        details={"network": delivery.account.network, "external_id": delivery.external_id},
    )
    return True
