"""A message's state summarises its deliveries once it is approved.

- every delivery sent                                  -> published
- some sent, every other one failed or cancelled       -> partially published
- none sent, every one final (failed or cancelled)     -> failed
- anything still on its way (scheduled, held, queued,
  sending, unknown)                                    -> publishing

The press office is told of failures once, when the message reaches a final state with
failed deliveries (reaching it again after a retry tells them again).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

from django.db import transaction
from django.db.models import Count, Exists, OuterRef
from django.utils import timezone

from posts.lifecycle import (
    DELIVERY_FINAL,
    DELIVERY_ON_ITS_WAY,
    DELIVERY_REACHED_NETWORK,
    MESSAGE_PUBLISHABLE,
    MESSAGE_WITH_FAILURES,
    SUMMARY_EVENTS,
)
from posts.models import Delivery, Event, Message
from posts.notifications import notify_press_office_of_failure
from posts.rawsql import deliveries_on_their_way
from posts.services.events import emit_events, record_event


def summary_state(delivery_states: list[str]) -> str | None:
    """The message state that these delivery states add up to (None: no deliveries)."""
    if not delivery_states:
        return None
    states = set(delivery_states)
    if not states <= DELIVERY_FINAL:
        return Message.State.PUBLISHING
    if states <= DELIVERY_REACHED_NETWORK:
        return Message.State.PUBLISHED
    if states & DELIVERY_REACHED_NETWORK:
        return Message.State.PARTIALLY_PUBLISHED
    return Message.State.FAILED


def message_refresh_state(*, message_id: int, state_seen: str = "") -> Message | None:
    """Bring the message's state in line with its deliveries, with an event; tell the press
    office (after commit) when it ends with failures. Idempotent.

    `state_seen`: the message's state as the caller read it while one of its deliveries was
    on its way (a worker, at its claim). `publishing` then lets a delivery that is not the
    last one return after one cheap query (see `_others_on_their_way`): the message cannot
    have left `publishing` for a summary while that delivery was on its way, and leaving it
    for anything else (cancelled, back in review...) is not this function's business.
    Returns None when it returns early."""
    failed: list[Delivery] = []
    if state_seen == Message.State.PUBLISHING:
        if _others_on_their_way(message_id):
            return None
    else:
        still = _still_publishing(message_id)
        if still is not None:
            return still
    with transaction.atomic():
        message = Message.objects.select_for_update().filter(pk=message_id).first()
        if message is None or message.state not in MESSAGE_PUBLISHABLE:
            return message
        states = list(message.deliveries.values_list("state", flat=True))
        target = summary_state(states)
        if target is None or target == message.state:
            return message
        if target not in Message.TRANSITIONS[message.state]:
            return message  # e.g. scheduled -> failed is allowed, published -> failed is not
        previous = message.state
        message.state = target
        message.save(update_fields=["state", "updated_at"])
        counts = {state: states.count(state) for state in set(states)}
        record_event(
            verb=SUMMARY_EVENTS[target],
            message=message,
            from_state=previous,
            to_state=target,
            details={"deliveries": counts},
        )
        if target in MESSAGE_WITH_FAILURES:
            failed = list(message.deliveries.filter(state=Delivery.State.FAILED).select_related("account__mission"))
    if failed:
        transaction.on_commit(lambda: _notify_failures(message, failed), robust=True)
    return message


def messages_start_publishing(*, message_ids: Iterable[int]) -> list[int]:
    """The dispatcher's: scheduled messages whose deliveries it has just claimed become
    `publishing` (a message with a delivery on its way sums up to nothing else), each with
    its event, in four statements whatever their number; a hundred messages due at the
    same minute are not refreshed one by one before their deliveries are enqueued. Rows
    are locked in id order (concurrent dispatchers never deadlock). Returns the ids that
    changed."""
    with transaction.atomic():
        starting = list(
            Message.objects.select_for_update()
            .filter(pk__in=list(message_ids), state=Message.State.SCHEDULED)
            .order_by("pk")
            .values_list("pk", flat=True)
        )
        if not starting:
            return []
        Message.objects.filter(pk__in=starting).update(state=Message.State.PUBLISHING, updated_at=timezone.now())
        counts: dict[int, dict[str, int]] = defaultdict(dict)
        for message_id, state, number in (
            Delivery.objects.filter(message_id__in=starting)
            .values_list("message_id", "state")
            .annotate(number=Count("pk"))
            .order_by()
        ):
            counts[message_id][state] = number
        emit_events(
            Event.objects.bulk_create(
                [
                    Event(
                        verb=SUMMARY_EVENTS[Message.State.PUBLISHING],
                        message_id=message_id,
                        from_state=Message.State.SCHEDULED,
                        to_state=Message.State.PUBLISHING,
                        details={"deliveries": counts[message_id]},
                    )
                    for message_id in starting
                ]
            )
        )
    return starting


def _still_publishing(message_id: int) -> Message | None:
    """The message if it is publishing with a delivery still on its way: its summary cannot
    change then, so there is nothing to lock or count (the last delivery to end, which
    reads after its own commit, sees every other one ended). Spares a fan-out of N
    deliveries N locks of its message row and N reads of N states."""
    on_its_way = Delivery.objects.filter(message=OuterRef("pk"), state__in=DELIVERY_ON_ITS_WAY)
    return Message.objects.filter(pk=message_id, state=Message.State.PUBLISHING).filter(Exists(on_its_way)).first()


def _others_on_their_way(message_id: int) -> bool:
    """Whether a delivery of the message is still on its way: the check above without the
    message row, asked once by every delivery of a fan-out (posts.rawsql)."""
    return deliveries_on_their_way(message_id)


def _notify_failures(message: Message, deliveries: list[Delivery]) -> None:
    notify_press_office_of_failure(message=message, deliveries=deliveries)
