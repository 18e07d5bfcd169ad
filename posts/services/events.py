"""The append-only trail: who did what to which message or delivery, when, from which state."""

from __future__ import annotations

from typing import Any

from audit.services import record as audit_record
from diplomacy_hub import outbox
from posts.lifecycle import event_kind
from posts.models import Delivery, Event, Message


def record_event(
    *,
    verb: str,
    actor=None,
    message: Message | None = None,
    delivery: Delivery | None = None,
    from_state: str = "",
    to_state: str = "",
    details: dict[str, Any] | None = None,
) -> Event:
    """Append one event, in the caller's transaction (it is rolled back with the change).

    `verb` is a name registered in posts.lifecycle ("message.approve", "delivery.sent"),
    else ValueError; an audited one is copied to the audit log. An event about a delivery
    is also filed under its message, so a message's history reads in one query.
    """
    kind = event_kind(verb)
    message_id: int | None
    if message is None and delivery is not None:
        message_id = delivery.message_id
    else:
        message_id = message.pk if message is not None else None
    event = Event.objects.create(
        verb=verb,
        actor=actor if getattr(actor, "pk", None) is not None else None,
        message_id=message_id,
        delivery=delivery,
        from_state=str(from_state or ""),
        to_state=str(to_state or ""),
        details=details or {},
    )
    emit_events([event])
    if kind.audited:  # the sensitive ones also go to the audit log (audit/), same transaction
        audit_record(
            action=verb,
            actor=actor,
            obj=delivery or message or _pause_ref(details),
            details={
                "from_state": event.from_state,
                "to_state": event.to_state,
                "message": message_id,
                **(details or {}),
            },
        )
    return event


def _pause_ref(details: dict[str, Any] | None) -> tuple | None:
    pause_id = (details or {}).get("pause_id")
    return ("posts.publishingpause", pause_id, "") if pause_id else None


def record_delivery_events(
    *,
    verb: str,
    actor=None,
    changes: list[tuple[int, int, str]],
    to_state: str,
    details: dict[str, Any] | None = None,
) -> None:
    """One event per delivery, in one INSERT: `changes` is (delivery id, message id, from
    state) for each delivery that changed (a crisis alert has hundreds)."""
    event_kind(verb)  # registered, else ValueError
    actor = actor if getattr(actor, "pk", None) is not None else None
    events = Event.objects.bulk_create(
        [
            Event(
                verb=verb,
                actor=actor,
                message_id=message_id,
                delivery_id=delivery_id,
                from_state=from_state,
                to_state=to_state,
                details=details or {},
            )
            for delivery_id, message_id, from_state in changes
        ],
        batch_size=500,
    )
    emit_events(events)


def emit_events(events: list[Event]) -> None:
    """Hand events just written to the outbox's listeners (diplomacy_hub.outbox: the
    webhooks), in the same transaction. Every place that writes events calls it."""
    for event in events:
        outbox.emit(
            event.verb,
            {
                "event_id": event.pk,
                "message_id": event.message_id,
                "delivery_id": event.delivery_id,
                "from_state": event.from_state,
                "to_state": event.to_state,
            },
        )
