"""What a person does to a conversation: set its status, assign it. Each in the house shape:
lock, policy, check, write, event; asking for what it already is changes nothing."""

from __future__ import annotations

from datetime import datetime

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from audit.services import record
from conversations.lifecycle import (
    CONVERSATION_CLOCK_RUNS,
    CONVERSATION_SET_BY_HAND,
    CONVERSATION_TRANSITIONS,
    Category,
    CloseReason,
    Priority,
    ProtectedReason,
)
from conversations.models import Conversation, ConversationEvent
from conversations.services import triage
from conversations.services.ingest import record_event
from conversations.services.protection import conversation_protect
from conversations.services.rules import MAX_TAGS, TAG
from diplomacy_hub import policy
from embassies.validators import is_language_code
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


def _check_triage(*, category: str, priority: int, language: str, tags: list[str]) -> None:
    problems: dict[str, str] = {}
    if category not in Category.values or category == Category.UNSORTED:
        problems["category"] = _("Choose what the conversation is about.")
    if priority not in Priority.values:
        problems["priority"] = _("Choose a priority.")
    if language and not is_language_code(language):
        problems["language"] = _("A language is a two-letter code, for example ar, fr or en.")
    if len(tags) > MAX_TAGS or any(not TAG.match(tag) for tag in tags):
        problems["tags"] = _("At most %(count)d tags, each a word (letters, digits, hyphens).") % {"count": MAX_TAGS}
    if problems:
        raise ValidationError(problems)


def _clock_started_at(conversation: Conversation) -> datetime:
    """When the mission came to owe its answer: the last reopening, else the start."""
    reopened = (
        ConversationEvent.objects.filter(conversation=conversation, verb="conversation.reopened")
        .order_by("-created_at", "-pk")
        .values_list("created_at", flat=True)
        .first()
    )
    return reopened or conversation.created_at


def conversation_triage_set(
    *, actor, conversation_id: int, category: str, priority: int, language: str, tags: list[str]
) -> Conversation:
    """Correct what triage decided, by hand: category, priority, language and tags. A new
    category starts its own service clock, counted from when the mission came to owe the
    answer (a category without a target stops it). A threat to a person moves it to the
    human-rights officer's queue (issue 15 §7). Audited with what changed, from what to
    what; the same values again change nothing."""
    language = language.strip().lower()
    tags = list(dict.fromkeys(tag.strip().lower() for tag in tags if tag.strip()))
    _check_triage(category=category, priority=priority, language=language, tags=tags)
    with transaction.atomic():
        conversation = _lock(conversation_id)
        policy.require(actor, "conversation.triage", conversation)
        wanted = {"category": category, "priority": priority, "language": language, "tags": tags}
        changed = {
            name: {"from": getattr(conversation, name), "to": value}
            for name, value in wanted.items()
            if getattr(conversation, name) != value
        }
        if not changed:
            return conversation
        for name in changed:
            setattr(conversation, name, wanted[name])
        fields = [*changed]
        if "category" in changed and conversation.status in CONVERSATION_CLOCK_RUNS:
            fields += _restart_clock(conversation, changed)
        conversation.save(update_fields=[*fields, "updated_at"])
        record_event(verb="conversation.triaged", conversation=conversation, actor=actor, details=changed)
        record(
            action="conversation.triage",
            actor=actor,
            obj=conversation,
            details={"mission_code": conversation.mission.code, "changes": changed},
        )
        if conversation.category == Category.THREAT:
            conversation_protect(conversation=conversation, actor=actor, reason=ProtectedReason.BY_HAND)
    return conversation


def _restart_clock(conversation: Conversation, changed: dict) -> list[str]:
    """The service clock of the new category; the changed fields (noted in `changed`)."""
    clock = triage.clock_for(
        triage.rules(),
        mission_id=conversation.mission_id,
        category=conversation.category,
        start=_clock_started_at(conversation),
    )
    due_at, warn_at = (clock.due_at, clock.warn_at) if clock else (None, None)
    before = conversation.due_at
    if due_at != before:
        changed["due_at"] = {
            "from": before.isoformat() if before else None,
            "to": due_at.isoformat() if due_at else None,
        }
    conversation.due_at, conversation.warn_at = due_at, warn_at
    # A warning given for the old clock is owed again when the new one warns later.
    if warn_at is None or warn_at > timezone.now():
        conversation.warned_at = None
    return ["due_at", "warn_at", "warned_at"]


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
