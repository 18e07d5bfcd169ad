"""What a person does to a conversation: set its status, assign it. Each in the house shape:
lock, policy, check, write, event; asking for what it already is changes nothing."""

from __future__ import annotations

from datetime import datetime

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from conversations.lifecycle import CONVERSATION_SET_BY_HAND, CONVERSATION_TRANSITIONS, CloseReason
from conversations.models import Conversation
from conversations.services.ingest import record_event
from diplomacy_hub import policy
from posts.lifecycle import InvalidTransition


def _lock(conversation_id: int) -> Conversation:
    return Conversation.objects.select_for_update().get(pk=conversation_id)


def conversation_set_status(
    *,
    actor,
    conversation_id: int,
    status: str,
    snoozed_until: datetime | None = None,
    close_reason: str = "",
) -> Conversation:
    """Open, wait for the author, snooze until a time to come, resolve, or close without a
    reply for a reason. Raises PermissionDenied, InvalidTransition or ValidationError."""
    with transaction.atomic():
        conversation = _lock(conversation_id)
        policy.require(actor, "conversation.handle", conversation)
        if status not in CONVERSATION_SET_BY_HAND:
            raise InvalidTransition(_("This status is set by replies and their clearance, not by hand."))
        if status == Conversation.Status.SNOOZED and (snoozed_until is None or snoozed_until <= timezone.now()):
            raise ValidationError({"snoozed_until": _("Give a time to come to snooze until.")})
        if status == Conversation.Status.CLOSED and close_reason not in CloseReason.values:
            raise ValidationError({"close_reason": _("Say why no reply is needed.")})
        wanted = {
            "status": status,
            "snoozed_until": snoozed_until if status == Conversation.Status.SNOOZED else None,
            "close_reason": close_reason if status == Conversation.Status.CLOSED else "",
        }
        if all(getattr(conversation, name) == value for name, value in wanted.items()):
            return conversation
        from_status = conversation.status
        if status != from_status and status not in CONVERSATION_TRANSITIONS[from_status]:
            raise InvalidTransition(
                _("This conversation is “%(current)s”; it cannot become “%(target)s”.")
                % {"current": conversation.get_status_display(), "target": Conversation.Status(status).label}
            )
        for name, value in wanted.items():
            setattr(conversation, name, value)
        conversation.save(update_fields=[*wanted, "updated_at"])
        record_event(
            verb="conversation.status",
            conversation=conversation,
            actor=actor,
            from_status=from_status,
            to_status=status,
            details={"close_reason": wanted["close_reason"]} if wanted["close_reason"] else {},
        )
    return conversation


def conversation_assign(*, actor, conversation_id: int, assignee_id: int | None) -> Conversation:
    """Give the conversation to someone who may handle it (or to nobody)."""
    with transaction.atomic():
        conversation = _lock(conversation_id)
        policy.require(actor, "conversation.handle", conversation)
        if conversation.assignee_id == assignee_id:
            return conversation
        assignee = None
        if assignee_id is not None:
            assignee = get_user_model().objects.filter(pk=assignee_id, is_active=True).first()
            if assignee is None or not policy.can(assignee, "conversation.handle", conversation):
                raise ValidationError({"assignee": _("This person may not handle this mission's conversations.")})
        conversation.assignee = assignee
        conversation.save(update_fields=["assignee", "updated_at"])
        record_event(
            verb="conversation.assign",
            conversation=conversation,
            actor=actor,
            details={"assignee": assignee_id},
        )
    return conversation


def conversations_wake_snoozed(*, now: datetime | None = None) -> int:
    """Snoozed conversations whose time has come are open again (beat, every minute)."""
    now = now or timezone.now()
    woken = 0
    due = Conversation.objects.filter(status=Conversation.Status.SNOOZED, snoozed_until__lte=now)
    for conversation_id in due.values_list("pk", flat=True)[:1000]:
        with transaction.atomic():
            # Again under the lock: a person or a new item may have moved it meanwhile.
            conversation = _lock(conversation_id)
            until = conversation.snoozed_until
            if conversation.status != Conversation.Status.SNOOZED or until is None or until > now:
                continue
            conversation.status, conversation.snoozed_until = Conversation.Status.OPEN, None
            conversation.save(update_fields=["status", "snoozed_until", "updated_at"])
            record_event(
                verb="conversation.woken",
                conversation=conversation,
                from_status=Conversation.Status.SNOOZED,
                to_status=Conversation.Status.OPEN,
            )
            woken += 1
    return woken
