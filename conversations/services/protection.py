"""People under threat (issue 15 §7): conversations that threaten or expose a person leave
the desk for the human-rights officer's queue, their items kept as evidence; that officer
keeps the list of protected people, may allow a reply, or give a conversation back to the
desk. Each change in the house shape (lock, policy, check, write, event, audit). The audit
log names no protected person: administrators read it."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from audit.services import record
from conversations.models import Conversation, Item, ProtectedPerson
from conversations.notifications import tell_human_rights_officers
from conversations.services import triage
from conversations.services.ingest import record_event
from diplomacy_hub import policy

NAME_MAX = 200


def keep_evidence(conversation: Conversation) -> int:
    """Keep each item of the conversation as it stands now (those not kept yet)."""
    kept = 0
    for item in Item.objects.filter(conversation=conversation, kept_as__isnull=True).order_by("pk"):
        item.kept_as = item.as_evidence()
        item.save(update_fields=["kept_as"])
        kept += 1
    return kept


def conversation_protect(*, conversation: Conversation, actor, reason: str) -> bool:
    """Move a conversation (locked by the caller, in its transaction) to the protected queue:
    out of every list of the desk, its clock stopped, nobody of the desk assigned, its items
    kept. True if it changed something."""
    if conversation.restricted_at is not None:
        return False
    conversation.restricted_at, conversation.restricted_reason = timezone.now(), reason
    conversation.assignee = None
    conversation.save(update_fields=["restricted_at", "restricted_reason", "assignee", "updated_at"])
    kept = keep_evidence(conversation)
    record_event(verb="conversation.protected", conversation=conversation, actor=actor, details={"reason": reason})
    tell_human_rights_officers([conversation])
    record(
        action="conversation.protect",
        actor=actor,
        obj=("conversations.conversation", conversation.pk, ""),
        details={"reason": reason, "items_kept": kept},
    )
    return True


def _lock_protected(conversation_id: int) -> Conversation:
    conversation = Conversation.objects.select_for_update().get(pk=conversation_id)
    if conversation.restricted_at is None:
        raise ValidationError(_("This conversation is not protected."))
    return conversation


def protected_reply_allow(*, actor, conversation_id: int) -> bool:
    """Allow a reply in a protected conversation (none goes out by default): the human-rights
    officer judged that answering does not put the person at more risk. True if it changed."""
    with transaction.atomic():
        policy.require(actor, "protected.allow_reply")
        conversation = _lock_protected(conversation_id)
        if conversation.reply_allowed_at is not None:
            return False
        conversation.reply_allowed_at, conversation.reply_allowed_by = timezone.now(), actor
        conversation.save(update_fields=["reply_allowed_at", "reply_allowed_by", "updated_at"])
        record_event(verb="conversation.reply_allowed", conversation=conversation, actor=actor)
        record(action="protected.allow_reply", actor=actor, obj=("conversations.conversation", conversation.pk, ""))
    return True


def protected_release(*, actor, conversation_id: int) -> Conversation:
    """Give a conversation wrongly protected back to the desk (its mission's inbox): the
    evidence kept stays kept."""
    with transaction.atomic():
        policy.require(actor, "protected.release")
        conversation = _lock_protected(conversation_id)
        conversation.restricted_at, conversation.restricted_reason = None, ""
        conversation.save(update_fields=["restricted_at", "restricted_reason", "updated_at"])
        record_event(verb="conversation.released", conversation=conversation, actor=actor)
        record(action="protected.release", actor=actor, obj=("conversations.conversation", conversation.pk, ""))
    return conversation


def protected_person_add(*, actor, name: str, note: str = "") -> ProtectedPerson:
    """Put a name or a handle on the protected list: items naming them from now on go to the
    protected queue (in every process within triage.RULES_TTL)."""
    name, note = " ".join(name.split()), note.strip()
    if not name or len(name) > NAME_MAX:
        raise ValidationError(
            {"name": _("Give a name or a handle of at most %(count)d characters.") % {"count": NAME_MAX}}
        )
    if triage.compile_terms([name], language="") is None:
        raise ValidationError({"name": _("This name holds no letters to look for.")})
    with transaction.atomic():
        policy.require(actor, "protected.people")
        if ProtectedPerson.objects.filter(name__iexact=name).exists():
            raise ValidationError({"name": _("This name is already on the list.")})
        person = ProtectedPerson.objects.create(name=name, note=note[:300], added_by=actor)
        # The id only: the audit log is read by administrators, the list is not theirs.
        record(action="protected.person_add", actor=actor, obj=("conversations.protectedperson", person.pk, ""))
        transaction.on_commit(triage.rules_changed)
    return person


def protected_person_remove(*, actor, person_id: int) -> None:
    with transaction.atomic():
        policy.require(actor, "protected.people")
        person = ProtectedPerson.objects.select_for_update().get(pk=person_id)
        record(action="protected.person_remove", actor=actor, obj=("conversations.protectedperson", person.pk, ""))
        person.delete()
        transaction.on_commit(triage.rules_changed)
