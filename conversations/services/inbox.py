"""The desk's own records around a conversation: internal notes, who is looking at it
(presence), and the inbox views a user saves."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from conversations.models import Conversation, Note, SavedView, Viewer
from conversations.services.ingest import record_event
from diplomacy_hub import policy

NOTE_MAX = 5000
VIEW_NAME_MAX = 80
VIEWS_PER_USER = 50
# Rows of people gone for this long are removed by the next heartbeat on the conversation.
VIEWER_FORGOTTEN_AFTER = timedelta(hours=1)


def conversation_note_add(*, actor, conversation_id: int, body: str) -> Note:
    """Write an internal note on the conversation (never sent to the public)."""
    body = body.strip()
    if not body:
        raise ValidationError({"body": _("Write the note first.")})
    if len(body) > NOTE_MAX:
        raise ValidationError({"body": _("A note is at most %(max)d characters.") % {"max": NOTE_MAX}})
    with transaction.atomic():
        conversation = Conversation.objects.select_for_update().get(pk=conversation_id)
        policy.require(actor, "conversation.note", conversation)
        note = Note.objects.create(conversation=conversation, author=actor, body=body)
        record_event(verb="conversation.noted", conversation=conversation, actor=actor, details={"note": note.pk})
    return note


def conversation_presence_beat(*, user, conversation: Conversation, now: datetime | None = None) -> None:
    """Say that `user` has the conversation open now: one upsert (and, now and then, the
    rows of people long gone removed). The caller has checked that the user may see it."""
    now = now or timezone.now()
    policy.require(user, "conversation.presence", conversation)
    updated = Viewer.objects.filter(conversation=conversation, user_id=user.pk).update(seen_at=now)
    if not updated:
        try:
            with transaction.atomic():
                Viewer.objects.create(conversation=conversation, user_id=user.pk, seen_at=now)
        except IntegrityError:  # a second tab of the same person beat at the same moment
            Viewer.objects.filter(conversation=conversation, user_id=user.pk).update(seen_at=now)
        Viewer.objects.filter(conversation=conversation, seen_at__lt=now - VIEWER_FORGOTTEN_AFTER).delete()


def viewers_forget(*, now: datetime | None = None) -> int:
    """Remove the presence rows of people long gone, everywhere (a page closed for good
    never beats again to clear its own). Returns how many."""
    now = now or timezone.now()
    deleted, _by_model = Viewer.objects.filter(seen_at__lt=now - VIEWER_FORGOTTEN_AFTER).delete()
    return deleted


def saved_view_save(*, actor, name: str, filters: dict[str, str]) -> SavedView:
    """Save the inbox's filters under a name of the user's; the same name again replaces
    what it keeps. `filters` are the filter form's valid raw values."""
    policy.require(actor, "inbox_view.save")
    name = " ".join(name.split())
    if not name:
        raise ValidationError({"name": _("Give the view a name.")})
    if len(name) > VIEW_NAME_MAX:
        raise ValidationError({"name": _("A name is at most %(max)d characters.") % {"max": VIEW_NAME_MAX}})
    with transaction.atomic():
        existing = SavedView.objects.select_for_update().filter(owner_id=actor.pk, name=name).first()
        if existing is not None:
            if existing.filters != filters:
                existing.filters = filters
                existing.save(update_fields=["filters"])
            return existing
        if SavedView.objects.filter(owner_id=actor.pk).count() >= VIEWS_PER_USER:
            raise ValidationError(
                {"name": _("You have %(max)d saved views: delete one first.") % {"max": VIEWS_PER_USER}}
            )
        try:
            with transaction.atomic():
                return SavedView.objects.create(owner=actor, name=name, filters=filters)
        except IntegrityError:  # the same name saved at the same moment in another tab
            return SavedView.objects.get(owner_id=actor.pk, name=name)


def saved_view_delete(*, actor, view_id: int) -> None:
    """Delete one of the user's saved views; someone else's is not found (DoesNotExist)."""
    with transaction.atomic():
        view = SavedView.objects.select_for_update().get(pk=view_id, owner_id=actor.pk)
        policy.require(actor, "inbox_view.delete", view)
        view.delete()
