"""The review of a message: submit, approve (now or at a time), request changes, reject,
cancel.

Approval is the outbox: in one transaction it moves the message to `scheduled`, stamps who
approved what (the fingerprint of texts, media, targets and time) and writes one Delivery
per target account and language. The dispatcher is kicked only once that has committed,
and only for "now"; scheduled deliveries are picked up when they fall due.
"""

from __future__ import annotations

import dataclasses
from datetime import datetime

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from diplomacy_hub import policy
from posts import notifications
from posts.draft import Draft, draft_of
from posts.fingerprint import draft_fingerprint
from posts.lifecycle import MESSAGE_BEFORE_APPROVAL, MESSAGE_NOT_CANCELLABLE, MESSAGE_WITH_AUTHOR
from posts.models import Delivery, InvalidTransition, Message, Review, ReviewAssignment
from posts.services.dispatch import kick_dispatcher
from posts.services.events import record_event
from posts.services.messages import (
    StaleVersion,
    cancel_pending_deliveries,
    message_lock,
    require_version,
)
from posts.services.review_clock import review_clock_stop, review_offer
from posts.textdiff import texts_snapshot
from posts.validation import (
    ValidationProblems,
    delivery_plan,
    is_blocking,
    validate_draft,
    with_content,
)

__all__ = [
    "ApprovalNeedsTime",
    "StaleVersion",
    "ValidationProblems",
    "message_approve",
    "message_cancel",
    "message_reject",
    "message_request_changes",
    "message_submit",
]


class ApprovalNeedsTime(ValidationError):
    """The time given for publishing has passed (often: the desired time passed while the
    message waited for review). The approver picks a new time, or "now" explicitly.
    An error on the `publish_at` field; `reason` is "desired_time_passed" or "time_passed"."""

    def __init__(self, message: str, *, reason: str = "time_passed") -> None:
        super().__init__({"publish_at": [ValidationError(message, code=reason)]})
        self.reason = reason


def _draft(message: Message) -> Draft:
    """What the message would publish, read after every write."""
    return draft_of(with_content(Message.objects.select_related("mission")).get(pk=message.pk))


def _blocking(problems) -> list:
    return [problem for problem in problems if is_blocking(problem)]


def _warnings(problems) -> list[str]:
    """The warnings, in English: the record reads the same whoever acted."""
    with translation.override("en"):
        return [problem.message for problem in problems if not is_blocking(problem)]


# --- Submit -----------------------------------------------------------------------------------


def message_submit(*, actor, message_id: int, expected_version: int | None = None) -> Message:
    """Send a draft (or a message whose changes were requested) for review, once it passes
    our checks and every target network's rules. Raises ValidationProblems listing every
    problem at once. Submitting a message already in review changes nothing."""
    with transaction.atomic():
        message = message_lock(message_id)
        policy.require(actor, "message.submit", message)
        if message.state == Message.State.IN_REVIEW:
            return message
        if message.state not in MESSAGE_WITH_AUTHOR:
            raise InvalidTransition(
                _(
                    "This message is “%(state)s”: only a draft, or a message whose changes were requested, "
                    "can be submitted for review."
                )
                % {"state": message.get_state_display()}
            )
        message.require_transition(Message.State.IN_REVIEW)
        require_version(message, expected_version)
        problems = validate_draft(_draft(message))
        if _blocking(problems):
            raise ValidationProblems(problems)
        from_state = message.state
        message.state = Message.State.IN_REVIEW
        message.save(update_fields=["state", "updated_at"])
        record_event(
            verb="message.submit",
            actor=actor,
            message=message,
            from_state=from_state,
            to_state=message.state,
            details={"version": message.version, "warnings": _warnings(problems)},
        )
        review_offer(message=message, now=timezone.now())
    return message


# --- Approve ----------------------------------------------------------------------------------


def _publish_time(message: Message, publish_at: datetime | None, now: datetime) -> datetime:
    if publish_at is None:
        return now
    if timezone.is_naive(publish_at):
        raise ValueError("publish_at must be an aware datetime (convert from the mission's zone first).")
    if publish_at > now:
        return publish_at
    if message.desired_at is not None and publish_at == message.desired_at:
        raise ApprovalNeedsTime(
            _(
                "The desired time has passed while this message waited for review: "
                "choose a new time, or publish it now."
            ),
            reason="desired_time_passed",
        )
    raise ApprovalNeedsTime(_("This time has passed: choose a time in the future, or publish it now."))


def _write_deliveries(message: Message, plan, *, now: datetime) -> list[Delivery]:
    deliveries = [
        Delivery(
            message=message,
            account_id=target.id,
            language=language,
            priority=message.priority,
            state=Delivery.State.SCHEDULED,
            next_attempt_at=message.scheduled_at,
            due_at=message.scheduled_at,
            state_changed_at=now,
        )
        for target, language in plan
    ]
    return Delivery.objects.bulk_create(deliveries, batch_size=500)


def message_approve(
    *,
    actor,
    message_id: int,
    publish_at: datetime | None = None,
    expected_version: int | None = None,
    comment: str = "",
) -> Message:
    """Approve a message in review, to publish now (`publish_at=None`, an explicit "now")
    or at `publish_at` (aware, in the future). Never one's own message (four eyes).

    In one transaction: the message becomes scheduled with its time, approver and
    fingerprint, one Delivery per target account and language is written (the outbox), a
    Review and an Event are recorded. After commit: the author is told, and for "now" the
    dispatcher is kicked. Approving a message already scheduled changes nothing.
    """
    with transaction.atomic():
        message = message_lock(message_id)
        policy.require(actor, "message.approve", message)  # four eyes: Message.writer_ids
        require_version(message, expected_version)
        if message.state == Message.State.SCHEDULED:
            return message
        message.require_transition(Message.State.SCHEDULED)
        now = timezone.now()
        scheduled_at = _publish_time(message, publish_at, now)
        draft = _draft(message)
        plan = delivery_plan(draft)
        problems = validate_draft(draft, plan=plan)
        if _blocking(problems):
            raise ValidationProblems(problems)
        from_state = message.state
        fingerprint = draft_fingerprint(dataclasses.replace(draft, scheduled_at=scheduled_at))
        message.state = Message.State.SCHEDULED
        message.scheduled_at = scheduled_at
        message.approved_by = actor
        message.approved_at = now
        message.approved_fingerprint = fingerprint
        message.save(
            update_fields=[
                "state",
                "scheduled_at",
                "approved_by",
                "approved_at",
                "approved_fingerprint",
                "updated_at",
            ]
        )
        deliveries = _write_deliveries(message, plan, now=now)
        review_clock_stop(message=message, outcome=ReviewAssignment.Outcome.DECIDED, now=now)
        review = Review.objects.create(
            message=message,
            reviewer=actor,
            decision=Review.Decision.APPROVE,
            comment=str(comment or "").strip(),
            message_version=message.version,
            texts=texts_snapshot(message),
        )
        record_event(
            verb="message.approve",
            actor=actor,
            message=message,
            from_state=from_state,
            to_state=message.state,
            details={
                "review": review.pk,
                "version": message.version,
                "now": publish_at is None,
                "scheduled_at": scheduled_at.isoformat(),
                "fingerprint": fingerprint,
                "deliveries": len(deliveries),
                "warnings": _warnings(problems),
            },
        )
        message.author_told = bool(notifications.notify_author_of_decision(review))
        if publish_at is None:
            transaction.on_commit(kick_dispatcher, robust=True)
    return message


# --- Request changes, reject ---------------------------------------------------------------------


def _decide(
    *,
    actor,
    message_id: int,
    decision: str,
    to_state: str,
    comment: str,
    expected_version: int | None,
    verb: str,
    missing_comment: str,
    not_in_review: str,
) -> Message:
    """`missing_comment` and `not_in_review` (with %(state)s) are translated messages."""
    comment = str(comment or "").replace("\r\n", "\n").strip()
    if not comment:
        raise ValidationError({"comment": missing_comment}, code="comment_required")
    with transaction.atomic():
        message = message_lock(message_id)
        policy.require(actor, verb, message)
        require_version(message, expected_version)
        if message.state == to_state:
            return message
        if message.state != Message.State.IN_REVIEW:
            raise InvalidTransition(not_in_review % {"state": message.get_state_display()})
        message.require_transition(to_state)
        from_state = message.state
        message.state = to_state
        message.save(update_fields=["state", "updated_at"])
        review_clock_stop(message=message, outcome=ReviewAssignment.Outcome.DECIDED, now=timezone.now())
        review = Review.objects.create(
            message=message,
            reviewer=actor,
            decision=decision,
            comment=comment,
            message_version=message.version,
            texts=texts_snapshot(message),
        )
        record_event(
            verb=verb,
            actor=actor,
            message=message,
            from_state=from_state,
            to_state=to_state,
            details={"review": review.pk, "version": message.version, "comment": comment},
        )
        message.author_told = bool(notifications.notify_author_of_decision(review))
    return message


def message_request_changes(
    *,
    actor,
    message_id: int,
    comment: str,
    expected_version: int | None = None,
) -> Message:
    """Send a message in review back to its author, saying what should change."""
    return _decide(
        actor=actor,
        message_id=message_id,
        decision=Review.Decision.REQUEST_CHANGES,
        to_state=Message.State.CHANGES_REQUESTED,
        comment=comment,
        expected_version=expected_version,
        verb="message.request_changes",
        missing_comment=_("Say what should change."),
        not_in_review=_("This message is “%(state)s”: only a message in review can be sent back for changes."),
    )


def message_reject(*, actor, message_id: int, comment: str, expected_version: int | None = None) -> Message:
    """Refuse a message in review for good, saying why. A rejected message is closed."""
    return _decide(
        actor=actor,
        message_id=message_id,
        decision=Review.Decision.REJECT,
        to_state=Message.State.REJECTED,
        comment=comment,
        expected_version=expected_version,
        verb="message.reject",
        missing_comment=_("Say why this message is rejected."),
        not_in_review=_("This message is “%(state)s”: only a message in review can be rejected."),
    )


# --- Cancel ---------------------------------------------------------------------------------------


def _require_may_cancel(actor, message: Message) -> None:
    """The press office (the crisis unit for alerts) cancels anything; before approval, the
    people who may edit a message may also withdraw it."""
    if policy.can(actor, "message.cancel", message):
        return
    if message.state in MESSAGE_BEFORE_APPROVAL and policy.can(actor, "message.edit", message):
        return
    policy.require(actor, "message.cancel", message)


def message_cancel(*, actor, message_id: int, reason: str = "") -> Message:
    """Cancel a message so that it never goes out (at its old time or any other).

    Its deliveries that no worker has started (scheduled, held, queued) are cancelled by a
    conditional UPDATE on their state; one a worker already claimed (sending) is left alone.
    If nothing had left, the message becomes cancelled. If part of it is already out or on
    its way, the rest is cancelled, the message keeps its state (its deliveries' outcome
    will settle it, and it can still be retracted), and the deliveries left are listed on
    the returned message as `left_in_flight`. Cancelling a cancelled message changes nothing.
    """
    reason = str(reason or "").strip()
    with transaction.atomic():
        message = message_lock(message_id)
        _require_may_cancel(actor, message)
        message.left_in_flight = []
        if message.state == Message.State.CANCELLED:
            return message
        if message.state in MESSAGE_NOT_CANCELLABLE:
            if message.state == Message.State.PUBLISHED:
                refusal = _(
                    "This message is “%(state)s”: there is nothing left to cancel. "
                    "Retract it to delete it from the networks."
                )
            else:
                refusal = _("This message is “%(state)s”: there is nothing left to cancel.")
            raise InvalidTransition(refusal % {"state": message.get_state_display()})
        cancelled, left = cancel_pending_deliveries(
            message,
            actor=actor,
            verb="message.cancel",
            reason=reason,
        )
        from_state = message.state
        if left:
            if not cancelled:
                raise InvalidTransition(
                    _(
                        "Every delivery of this message has already gone out or is going out now: there is "
                        "nothing left to cancel. Retract it to delete it from the networks."
                    )
                )
            message.left_in_flight = left
            record_event(
                verb="message.cancel",
                actor=actor,
                message=message,
                from_state=from_state,
                to_state=from_state,
                details={
                    "reason": reason,
                    "deliveries_cancelled": len(cancelled),
                    "left_in_flight": [delivery.pk for delivery in left],
                    "partial": True,
                },
            )
        else:
            message.require_transition(Message.State.CANCELLED)
            message.state = Message.State.CANCELLED
            # Defence in depth: nothing can match an empty approval any more.
            message.approved_fingerprint = ""
            message.save(update_fields=["state", "approved_fingerprint", "updated_at"])
            review_clock_stop(message=message, outcome=ReviewAssignment.Outcome.WITHDRAWN, now=timezone.now())
            record_event(
                verb="message.cancel",
                actor=actor,
                message=message,
                from_state=from_state,
                to_state=message.state,
                details={"reason": reason, "deliveries_cancelled": len(cancelled)},
            )
        if actor.pk != message.author_id:
            message.author_told = bool(
                notifications.notify_author_of_cancellation(message=message, actor=actor, reason=reason)
            )
    return message
