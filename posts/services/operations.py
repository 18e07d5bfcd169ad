"""The press office's hands on deliveries: release what a pause held, retry what failed,
settle what is unknown, retract what went out. Each asks the policy, checks the state,
and records an event with the actor, in one transaction; work for the workers is enqueued
after commit.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import datetime

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from channels.adapters.base import AdapterError
from diplomacy_hub import policy
from diplomacy_hub.tasks import enqueue_on_commit
from posts.lifecycle import MESSAGE_RETRYABLE, lock_for_transition
from posts.models import Delivery, DeliveryAttempt, InvalidTransition, Message
from posts.services import delivery as publishing
from posts.services import outcomes
from posts.services.dispatch import kick_dispatcher, queue_for
from posts.services.events import record_event
from posts.services.summary import message_refresh_state

logger = logging.getLogger(__name__)

State = Delivery.State
RETRACT_TASK = "posts.retract_delivery"


def _kick_after_commit() -> None:
    transaction.on_commit(kick_dispatcher, robust=True)


def _refresh(message_ids: Iterable[int]) -> None:
    """Bring the messages' states in line with their deliveries, in this transaction."""
    for message_id in sorted(set(message_ids)):
        message_refresh_state(message_id=message_id)


# --- Held deliveries ----------------------------------------------------------------------------


def held_release(
    *,
    actor,
    delivery_ids: Iterable[int] | None = None,
    message_id: int | None = None,
    publish_at: datetime | None = None,
) -> list[Delivery]:
    """Release held deliveries (these ids, or all of one message's) to go out now or at
    `publish_at`. Returns the deliveries released; those no longer held are left alone."""
    if (delivery_ids is None) == (message_id is None):
        raise ValueError("Give either delivery_ids or message_id.")
    now = timezone.now()
    when = max(publish_at, now) if publish_at is not None else now
    with transaction.atomic():
        candidates = Delivery.objects.select_for_update(of=("self",)).select_related("message").filter(state=State.HELD)
        held = list(
            candidates.filter(pk__in=list(delivery_ids))
            if delivery_ids is not None
            else candidates.filter(message_id=message_id)  # type: ignore[misc]  # given: checked above
        )
        for message in {d.message_id: d.message for d in held}.values():
            policy.require(actor, "message.schedule", message)
        released = [d for d in held if outcomes.delivery_release(d, actor=actor, when=when, now=now)]
        _refresh(d.message_id for d in released)
        if released and when <= now:
            _kick_after_commit()
    return released


# --- Retry -------------------------------------------------------------------------------------


def delivery_retry(*, actor, delivery_id: int) -> Delivery:
    """Try a failed delivery again, now (its attempts are kept)."""
    now = timezone.now()
    with transaction.atomic():
        delivery = lock_for_transition(
            Delivery.objects.select_related("message"),
            pk=delivery_id,
            to_state=State.SCHEDULED,
            from_states=[State.FAILED],
            guard=lambda row: policy.require(actor, "delivery.retry", row.message),
            refusal=lambda row: (
                _("This delivery is “%(state)s”; only a failed delivery can be retried.")
                % {"state": row.get_state_display()}
            ),
        )
        if delivery.message.state not in MESSAGE_RETRYABLE:
            raise InvalidTransition(
                _("The message is “%(state)s”; its deliveries cannot be retried.")
                % {"state": delivery.message.get_state_display()}
            )
        outcomes.delivery_reschedule_failed(delivery, actor=actor, now=now)
        _refresh([delivery.message_id])
        _kick_after_commit()
    delivery.refresh_from_db()
    return delivery


# --- Settle an unknown outcome ------------------------------------------------------------------


def delivery_settle(*, actor, delivery_id: int, outcome: str, external_url: str = "") -> Delivery:
    """A press officer says what became of an `unknown` delivery after looking at the
    account: "sent" (with the post's link, if they have it) or "not_sent" (it fails, and
    can then be retried)."""
    if outcome not in ("sent", "not_sent"):
        raise ValidationError({"outcome": _("Say whether it was published: sent or not_sent.")})
    if external_url and not external_url.startswith(("https://", "http://")):
        raise ValidationError({"external_url": _("Give the post's link (https://…).")})
    now = timezone.now()
    with transaction.atomic():
        delivery = lock_for_transition(
            Delivery.objects.select_related("message"),
            pk=delivery_id,
            to_state=State.SENT if outcome == "sent" else State.FAILED,
            from_states=[State.UNKNOWN],
            guard=lambda row: policy.require(actor, "delivery.settle", row.message),
            refusal=lambda row: (
                _("This delivery is “%(state)s”; only an unknown outcome can be settled.")
                % {"state": row.get_state_display()}
            ),
        )
        outcomes.delivery_settle_unknown(delivery, actor=actor, outcome=outcome, external_url=external_url, now=now)
        _refresh([delivery.message_id])
    delivery.refresh_from_db()
    return delivery


# --- Retract --------------------------------------------------------------------------------------


def message_retract(*, actor, message_id: int) -> Message:
    """Delete a published message from every network it reached: one task per sent
    delivery, each result recorded per network. The message becomes `retracted` once every
    sent delivery is deleted; asking again retries the deletions that failed."""
    with transaction.atomic():
        message = lock_for_transition(
            Message.objects.all(),
            pk=message_id,
            to_state=Message.State.RETRACTED,
            guard=lambda row: policy.require(actor, "message.retract", row),
        )
        sent = list(message.deliveries.filter(state=State.SENT).values_list("pk", flat=True))
        record_event(
            verb="message.retract_requested",
            actor=actor,
            message=message,
            from_state=message.state,
            to_state=message.state,
            details={"deliveries": sent},
        )
        if not sent:
            _retracted(message, actor=actor)
        else:
            # If the broker refuses, the deliveries stay sent, and asking to retract again
            # sends them again.
            enqueue_on_commit(
                RETRACT_TASK,
                calls=[([pk], {"actor_id": actor.pk}) for pk in sent],
                queues=[queue_for(message.priority)],
                what=f"the retractions of message {message.pk}",
            )
    return message


def delivery_retract(*, delivery_id: int, actor_id: int | None = None) -> str:
    """Delete one sent delivery from its network (the task's service). Returns "deleted",
    "skipped" (not sent any more) or the error kind of a failed deletion."""
    delivery = Delivery.objects.select_related("message", "account").filter(pk=delivery_id).first()
    if delivery is None or delivery.state != State.SENT:
        return "skipped"
    actor = get_user_model().objects.filter(pk=actor_id).first() if actor_id else None
    number = (
        DeliveryAttempt.objects.filter(delivery=delivery, action="delete").aggregate(n=Max("number"))["n"] or 0
    ) + 1
    started = timezone.now()
    attempt = DeliveryAttempt.objects.create(
        delivery=delivery,
        number=number,
        action="delete",
        started_at=started,
        external_id=delivery.external_id[:100],
    )
    try:
        credentials = publishing._credentials(delivery.account)
        publishing.adapter_for(delivery.account).delete(credentials, delivery.external_id)
    except Exception as error:
        if not isinstance(error, AdapterError):
            logger.exception("Delivery %s: deletion failed unexpectedly", delivery.pk)
            error = outcomes.unexpected_error(error)
        DeliveryAttempt.objects.filter(pk=attempt.pk).update(
            finished_at=timezone.now(), outcome=error.kind, status_code=error.status_code, detail=error.detail[:500]
        )
        record_event(
            verb="delivery.retract_failed",
            actor=actor,
            delivery=delivery,
            message=delivery.message,
            from_state=State.SENT,
            to_state=State.SENT,
            details={
                "network": delivery.account.network,
                "kind": error.kind,
                "reason": error.detail,
                "status_code": error.status_code,
            },
        )
        return error.kind
    now = timezone.now()
    with transaction.atomic():
        DeliveryAttempt.objects.filter(pk=attempt.pk).update(finished_at=now, outcome="deleted")
        outcomes.delivery_mark_retracted(delivery, actor=actor, now=now)
        message = Message.objects.select_for_update().get(pk=delivery.message_id)
        if (
            Message.State.RETRACTED in Message.TRANSITIONS[message.state]
            and not message.deliveries.filter(state=State.SENT).exists()
        ):
            _retracted(message, actor=actor)
    return "deleted"


def _retracted(message: Message, *, actor) -> None:
    previous = message.state
    message.state = Message.State.RETRACTED
    message.save(update_fields=["state", "updated_at"])
    record_event(
        verb="message.retracted", actor=actor, message=message, from_state=previous, to_state=Message.State.RETRACTED
    )
