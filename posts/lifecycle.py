"""The life cycle in one place: the states of messages and deliveries, which state may
follow which, the named sets of states the code asks about, and every event name with its
label and whether the audit log keeps it (Wagtail's registry of log actions).

State sets are declared here only, and an event is recorded only under a name registered
here: tests/security/test_project_rules.py holds both rules.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any, TypeVar, cast

from django.db import models
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from audit.actions import register_action


class InvalidTransition(Exception):
    """A state change that the state machine does not allow, said in words."""


# --- Messages ---------------------------------------------------------------------------------


class MessageState(models.TextChoices):
    DRAFT = "draft", _("Draft")
    IN_REVIEW = "in_review", _("In review")
    CHANGES_REQUESTED = "changes_requested", _("Changes requested")
    REJECTED = "rejected", _("Rejected")
    SCHEDULED = "scheduled", _("Scheduled")
    PUBLISHING = "publishing", _("Publishing")
    PUBLISHED = "published", _("Published")
    PARTIALLY_PUBLISHED = "partially_published", _("Partially published")
    FAILED = "failed", _("Failed")
    CANCELLED = "cancelled", _("Cancelled")
    RETRACTED = "retracted", _("Retracted")


M = MessageState

# Which message states may follow which. Anything else raises InvalidTransition.
MESSAGE_TRANSITIONS: Mapping[str, frozenset[str]] = {
    M.DRAFT: frozenset({M.IN_REVIEW, M.CANCELLED}),
    M.CHANGES_REQUESTED: frozenset({M.DRAFT, M.IN_REVIEW, M.CANCELLED}),
    M.IN_REVIEW: frozenset({M.SCHEDULED, M.CHANGES_REQUESTED, M.REJECTED, M.DRAFT, M.CANCELLED}),
    M.SCHEDULED: frozenset({M.PUBLISHING, M.CANCELLED, M.IN_REVIEW, M.PUBLISHED, M.PARTIALLY_PUBLISHED, M.FAILED}),
    M.PUBLISHING: frozenset({M.PUBLISHED, M.PARTIALLY_PUBLISHED, M.FAILED, M.CANCELLED}),
    M.PUBLISHED: frozenset({M.RETRACTED, M.PUBLISHING}),
    M.PARTIALLY_PUBLISHED: frozenset({M.RETRACTED, M.PUBLISHING, M.PUBLISHED, M.FAILED}),
    M.FAILED: frozenset({M.PUBLISHING, M.RETRACTED, M.PUBLISHED, M.PARTIALLY_PUBLISHED}),
    M.REJECTED: frozenset(),
    M.CANCELLED: frozenset(),
    M.RETRACTED: frozenset(),
}

# Written by their author: drafting, or back from the reviewer (compose autosaves them,
# and only they can be submitted).
MESSAGE_WITH_AUTHOR = frozenset({M.DRAFT, M.CHANGES_REQUESTED})
# Not approved yet: the people who may edit it may also withdraw it.
MESSAGE_BEFORE_APPROVAL = frozenset({M.DRAFT, M.CHANGES_REQUESTED, M.IN_REVIEW})
# An edit is accepted (after approval it withdraws the approval).
MESSAGE_EDITABLE = frozenset({M.DRAFT, M.CHANGES_REQUESTED, M.IN_REVIEW, M.SCHEDULED})
# Approved and still publishing or done with it: its deliveries may be claimed, and its
# state follows theirs (posts.services.summary). Any other state belongs to the workflow.
MESSAGE_PUBLISHABLE = frozenset({M.SCHEDULED, M.PUBLISHING, M.PUBLISHED, M.PARTIALLY_PUBLISHED, M.FAILED})
# Part of it has left or is leaving: what has gone out cannot be changed.
MESSAGE_GOING_OUT = frozenset({M.PUBLISHING, M.PUBLISHED, M.PARTIALLY_PUBLISHED, M.FAILED})
# Approved at some point: the delivery monitor lists them.
MESSAGE_APPROVED = MESSAGE_PUBLISHABLE | {M.RETRACTED}
# Done publishing, with or without trouble.
MESSAGE_FINISHED = frozenset({M.PUBLISHED, M.PARTIALLY_PUBLISHED, M.FAILED})
# Done with: finished publishing, or taken down since.
MESSAGE_DONE = MESSAGE_FINISHED | {M.RETRACTED}
MESSAGE_WITH_FAILURES = frozenset({M.PARTIALLY_PUBLISHED, M.FAILED})
# Out on a network, in part at least, and not taken down: what the public feeds show.
MESSAGE_OUT = frozenset({M.PUBLISHED, M.PARTIALLY_PUBLISHED})
# Its failed deliveries may be tried again.
MESSAGE_RETRYABLE = frozenset({M.FAILED, M.PARTIALLY_PUBLISHED, M.PUBLISHING, M.PUBLISHED})
# What has not left yet can still be stopped.
MESSAGE_CANCELLABLE = frozenset({M.SCHEDULED, M.PUBLISHING, M.PARTIALLY_PUBLISHED, M.FAILED})
# Nothing left to cancel.
MESSAGE_NOT_CANCELLABLE = frozenset({M.PUBLISHED, M.RETRACTED, M.REJECTED})
# Still moving: not yet published or given up on.
MESSAGE_IN_PROGRESS = frozenset({M.DRAFT, M.IN_REVIEW, M.SCHEDULED, M.PUBLISHING})
# Going out now or soon: a page showing one keeps polling.
MESSAGE_LIVE = frozenset({M.SCHEDULED, M.PUBLISHING})


# --- Deliveries -------------------------------------------------------------------------------


class DeliveryState(models.TextChoices):
    SCHEDULED = "scheduled", _("Scheduled")  # waiting for next_attempt_at
    HELD = "held", _("Held")  # fell due during a pause or too late: a person releases it
    QUEUED = "queued", _("Queued")  # claimed by the dispatcher, id sent to a worker
    SENDING = "sending", _("Sending")  # a worker is calling the network (committed first)
    SENT = "sent", _("Sent")
    # The request may have arrived: reconcile, never resend blindly.
    UNKNOWN = "unknown", _("Outcome unknown")
    FAILED = "failed", _("Failed")
    CANCELLED = "cancelled", _("Cancelled")
    RETRACTED = "retracted", _("Retracted")  # deleted from the network after being sent


D = DeliveryState

# Which delivery states may follow which (posts.services.outcomes moves them). `sent` is
# accepted from any state short of final: a network's answer, however late, is the truth.
DELIVERY_TRANSITIONS: Mapping[str, frozenset[str]] = {
    D.SCHEDULED: frozenset({D.QUEUED, D.HELD, D.CANCELLED, D.SENT}),
    D.HELD: frozenset({D.SCHEDULED, D.CANCELLED, D.SENT}),
    D.QUEUED: frozenset({D.SENDING, D.SCHEDULED, D.CANCELLED, D.SENT}),
    D.SENDING: frozenset({D.SENT, D.SCHEDULED, D.UNKNOWN, D.FAILED, D.CANCELLED, D.HELD}),
    # A worker's late answer after the sweeper gave up on it may be "unknown" again.
    D.UNKNOWN: frozenset({D.SENT, D.SCHEDULED, D.UNKNOWN, D.FAILED}),
    D.FAILED: frozenset({D.SCHEDULED}),
    D.SENT: frozenset({D.RETRACTED}),
    D.CANCELLED: frozenset(),
    D.RETRACTED: frozenset(),
}

# Nothing more will happen to it (short of a press officer's retry or a retraction).
DELIVERY_FINAL = frozenset({D.SENT, D.FAILED, D.CANCELLED, D.RETRACTED})
# Still on its way; sorted and named rather than "not final", so that the (message, state)
# index finds them.
DELIVERY_ON_ITS_WAY = tuple(sorted(set(D.values) - DELIVERY_FINAL))
# Reached the network (and perhaps was deleted from it since).
DELIVERY_REACHED_NETWORK = frozenset({D.SENT, D.RETRACTED})
# No worker has started on it: cancelling it is always safe.
DELIVERY_PENDING = frozenset({D.SCHEDULED, D.HELD, D.QUEUED})
# Going out by itself: due, on the queue, or at the network.
DELIVERY_WAITING = frozenset({D.SCHEDULED, D.QUEUED, D.SENDING})
# Waiting for a person, or gone wrong.
DELIVERY_PROBLEM = frozenset({D.FAILED, D.UNKNOWN, D.HELD})
DELIVERY_FAILED_OR_UNKNOWN = frozenset({D.FAILED, D.UNKNOWN})
# Not going out by itself now: an outcome being checked or to settle, a hold to release.
DELIVERY_UNKNOWN_OR_HELD = frozenset({D.UNKNOWN, D.HELD})
# Where a worker's outcome may land from: its own `sending`, or `unknown` when the sweeper
# gave up on a call that was only slow (the worker's answer is better than a guess).
DELIVERY_IN_FLIGHT = frozenset({D.SENDING, D.UNKNOWN})
# Something the engine is doing or must do: the health report counts them.
DELIVERY_ENGINE_BUSY = frozenset({D.QUEUED, D.SENDING, D.UNKNOWN, D.HELD})


def can_follow(transitions: Mapping[str, frozenset[str]], current: str, target: str) -> bool:
    return target in transitions.get(current, frozenset())


# --- One shape for every transition: lock the row, check, raise -----------------------------

_Row = TypeVar("_Row", bound=models.Model)


def require_transition(row: models.Model, to_state: str) -> None:
    """Raise InvalidTransition unless `row` (a Message or a Delivery) may go to `to_state`."""
    transitions, states = _machine_of(row)
    current = _state_of(row)
    if not can_follow(transitions, current, to_state):
        if states is MessageState:
            refusal = _("This message is “%(current)s”; it cannot become “%(target)s”.")
        else:
            refusal = _("This delivery is “%(current)s”; it cannot become “%(target)s”.")
        raise InvalidTransition(refusal % {"current": states(current).label, "target": states(to_state).label})


def lock_for_transition(
    queryset: models.QuerySet[_Row],
    *,
    pk: int,
    to_state: str,
    from_states: Iterable[str] | None = None,
    guard: Callable[[_Row], Any] | None = None,
    refusal: Callable[[_Row], str] | None = None,
) -> _Row:
    """Lock the row (`SELECT ... FOR UPDATE`, in the caller's transaction), run `guard`
    on it (the policy: a refusal there comes before any word on its state), and check that
    it may go to `to_state` (and from one of `from_states` only, when given: a retry and a
    release both lead to `scheduled`): else InvalidTransition, worded by `refusal`."""
    row = queryset.select_for_update(of=("self",)).get(pk=pk)
    if guard is not None:
        guard(row)
    transitions, _states = _machine_of(row)
    current = _state_of(row)
    if not can_follow(transitions, current, to_state) or (from_states is not None and current not in from_states):
        if refusal is not None:
            raise InvalidTransition(refusal(row))
        require_transition(row, to_state)
    return row


def _state_of(row: models.Model) -> str:
    return cast(Any, row).state


def _machine_of(row: models.Model) -> tuple[Mapping[str, frozenset[str]], type[models.TextChoices]]:
    states = cast(Any, type(row)).State
    if states is DeliveryState:
        return DELIVERY_TRANSITIONS, DeliveryState
    if states is MessageState:
        return MESSAGE_TRANSITIONS, MessageState
    raise TypeError(f"{type(row).__name__} has no state machine here.")


# --- Events -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class EventKind:
    """One kind of event: its dotted name, what the history says of it, and whether the
    audit log keeps a copy (decisions, publishing, retraction, the pause switch, a press
    officer's word on an unknown outcome). `authoring`: whoever records it wrote part of
    the message, and four eyes keep them from deciding on it."""

    name: str
    label: Promise
    audited: bool = False
    authoring: bool = False


EVENTS: dict[str, EventKind] = {}


def register_event(name: str, label: Promise, *, audited: bool = False, authoring: bool = False) -> EventKind:
    if name in EVENTS:
        raise ValueError(f"The event {name!r} is registered twice.")
    if "." not in name:
        raise ValueError(f"An event name is dotted, like 'message.approve': got {name!r}.")
    EVENTS[name] = kind = EventKind(name=name, label=label, audited=audited, authoring=authoring)
    if audited:  # the audit page words it too
        register_action(name, label)
    return kind


def event_kind(name: str) -> EventKind:
    """The registered kind of event `name`; ValueError for a name not registered here."""
    try:
        return EVENTS[name]
    except KeyError:
        raise ValueError(f"The event {name!r} is not registered in posts.lifecycle.") from None


def event_label(name: str) -> str:
    """What the history says of an event (its name, for one recorded before a rename)."""
    kind = EVENTS.get(name)
    return str(kind.label) if kind is not None else name


# The message's own life.
register_event("message.create", _("created the draft"), authoring=True)
register_event("message.edit", _("edited the message"), authoring=True)
register_event("message.attachment_add", _("attached a file"), authoring=True)
register_event("message.attachment_remove", _("removed a file"), authoring=True)
register_event("message.attachment_alt_text", _("changed an alt text"), authoring=True)
register_event("message.comment", _("commented"))
register_event("message.submit", _("submitted it for review"))
register_event("message.approve", _("approved it"), audited=True)
register_event("message.request_changes", _("asked for changes"))
register_event("message.reject", _("rejected it"), audited=True)
register_event("message.cancel", _("cancelled it"), audited=True)
register_event("message.approval_invalidated", _("withdrew the approval by changing the message"))
register_event("message.retract_requested", _("asked to retract it"), audited=True)
register_event("message.retracted", _("retracted it"), audited=True)
# The summary of its deliveries (posts.services.summary).
register_event("message.publishing", _("publishing started"))
register_event("message.published", _("published everywhere"))
register_event("message.partially_published", _("published in part"))
register_event("message.failed", _("could not be published"))
# Its deliveries.
register_event("delivery.held", _("held"))
register_event("delivery.released", _("released"))
register_event("delivery.cancel", _("cancelled"))
register_event("delivery.cancelled", _("cancelled"))
register_event("delivery.sent", _("sent"))
register_event("delivery.failed", _("failed"))
register_event("delivery.unknown", _("outcome unknown"))
register_event("delivery.rate_limited", _("rate limited, will retry"))
register_event("delivery.retry_scheduled", _("did not go out, will retry"))
register_event("delivery.retry", _("retried"))
register_event("delivery.requeued", _("queued again"))
register_event("delivery.reconciled", _("found on the network"))
register_event("delivery.not_found", _("not found on the network"))
register_event("delivery.needs_decision", _("needs a press officer's decision"))
register_event("delivery.settled", _("settled by hand"), audited=True)
register_event("delivery.retracted", _("deleted from the network"))
register_event("delivery.retract_failed", _("could not be deleted"))
# The pause switch.
register_event("publishing.pause", _("paused publishing"), audited=True)
register_event("publishing.resume", _("resumed publishing"), audited=True)
register_event("publishing.silence", _("planned a silence"), audited=True)
# The review desks' clock (posts.services.review_clock).
register_event("message.offered", _("offered it to a desk"))
register_event("message.passed_on", _("passed it on to the next desk on duty"))

AUDITED_EVENTS = frozenset(name for name, kind in EVENTS.items() if kind.audited)
AUTHORING_EVENTS = frozenset(name for name, kind in EVENTS.items() if kind.authoring)

# The event that records a message reaching each summary state.
SUMMARY_EVENTS: Mapping[str, str] = {
    M.PUBLISHING: "message.publishing",
    M.PUBLISHED: "message.published",
    M.PARTIALLY_PUBLISHED: "message.partially_published",
    M.FAILED: "message.failed",
}
