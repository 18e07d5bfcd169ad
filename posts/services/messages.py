"""Drafting and editing messages: texts, targets, time, attachments, comments.

Every function has the shape of a transition (STYLE.md): lock the message, ask the policy,
check the state, write, record an event, all in one transaction. Any write that changes
what would be published bumps the message's version; on an approved message that is not
yet out (scheduled), it also withdraws the approval: the not-yet-sent deliveries are
cancelled and the message goes back to review, because an approval holds for exactly what
was approved.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.core.files import File
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from channels.media import MediaRejected, inspect_media, strip_metadata
from channels.models import Network, SocialAccount
from diplomacy_hub import policy
from embassies.models import Mission
from embassies.validators import is_language_code
from posts.draft import clean_body, clean_title
from posts.lifecycle import DELIVERY_PENDING, MESSAGE_GOING_OUT
from posts.limits import TEXT_MAX
from posts.models import (
    ALT_TEXT_MAX,
    COMMENT_MAX,
    TEXT_TITLE_MAX,
    TITLE_MAX,
    Attachment,
    Comment,
    Delivery,
    InvalidTransition,
    Message,
    MessageText,
    Priority,
)
from posts.services import outcomes
from posts.services.events import record_event
from posts.services.review_clock import review_offer
from posts.validation import language_name


class StaleVersion(InvalidTransition):
    """The message changed since the page was loaded: the form's version is old."""


class _Unset:
    def __repr__(self) -> str:
        return "UNSET"


UNSET: Any = _Unset()

TextsInput = Mapping[str | tuple[str, str], Any]


# --- Checks ----------------------------------------------------------------------------------


def require_version(message: Message, expected_version: int | None) -> None:
    if expected_version is not None and int(expected_version) != message.version:
        raise StaleVersion(
            _(
                "“%(title)s” has changed since you opened it (it is now version %(version)s, you had version "
                "%(expected)s). Reload the page and check the changes."
            )
            % {"title": message.title, "version": message.version, "expected": expected_version}
        )


def require_editable(message: Message) -> None:
    if message.state not in Message.EDITABLE_STATES:
        raise InvalidTransition(_why_not_editable(message) % {"state": message.get_state_display()})


def _why_not_editable(message: Message) -> str:
    State = Message.State
    if message.state in MESSAGE_GOING_OUT:
        return _(
            "This message is “%(state)s”: it can no longer be edited. What has gone out cannot be "
            "changed; retract it and write a new message."
        )
    if message.state == State.REJECTED:
        return _(
            "This message is “%(state)s”: it can no longer be edited. A rejected message is closed; write a new one."
        )
    return _("This message is “%(state)s”: it can no longer be edited. It is closed.")


def _clean_title(title: str) -> str:
    title = " ".join(str(title or "").split())
    if not title:
        raise ValidationError({"title": _("Give the message an internal title.")})
    if len(title) > TITLE_MAX:
        raise ValidationError({"title": _("Keep the title under %(max)s characters.") % {"max": TITLE_MAX}})
    return title


def _clean_desired_at(desired_at: datetime | None) -> datetime | None:
    if desired_at is None:
        return None
    if timezone.is_naive(desired_at):
        raise ValueError("desired_at must be an aware datetime (convert from the mission's zone first).")
    if desired_at <= timezone.now():
        raise ValidationError({"desired_at": _("This time has passed: choose a time in the future.")})
    return desired_at


def normalise_texts(texts: TextsInput) -> dict[tuple[str, str], tuple[str, str]]:
    """{"fr": "body"} / {"fr": ("body", "title")} / {("fr", "twitter"): {...}} →
    {(language, network): (body, title)}. Entries with neither body nor title are dropped
    (an empty field in a form means "no text in that language")."""
    result: dict[tuple[str, str], tuple[str, str]] = {}
    for key, value in texts.items():
        language, network = (key, "") if isinstance(key, str) else tuple(key)
        network = network or ""
        if isinstance(value, str):
            body, title = value, ""
        elif isinstance(value, Mapping):
            body, title = value.get("body", ""), value.get("title", "")
        else:
            body, title = value
        body, title = clean_body(body), clean_title(title)
        if not body.strip() and not title:
            continue
        if (language, network) in result:
            raise ValidationError(
                {"texts": _("The %(language)s text is given twice.") % {"language": language_name(language)}}
            )
        result[(str(language), str(network))] = (body, title)
    return result


def check_texts(texts: dict[tuple[str, str], tuple[str, str]], *, mission: Mission | None) -> None:
    errors: list[str] = []
    for language, network in texts:
        if not is_language_code(language):
            errors.append(_("“%(code)s” is not an ISO 639-1 language code.") % {"code": language})
        elif mission is not None and language not in mission.languages:
            errors.append(
                _("%(mission)s does not publish in %(language)s.")
                % {"mission": mission.display_name, "language": language_name(language)}
            )
        if network and network not in Network.values:
            errors.append(_("“%(network)s” is not a network.") % {"network": network})
    for (language, _network), (body, title) in texts.items():
        if len(body) > TEXT_MAX:
            errors.append(
                _("The %(language)s text is longer than %(max)s characters.")
                % {"language": language_name(language), "max": TEXT_MAX}
            )
        if len(title) > TEXT_TITLE_MAX:
            errors.append(
                _("The %(language)s title is longer than %(max)s characters.")
                % {"language": language_name(language), "max": TEXT_TITLE_MAX}
            )
    if errors:
        raise ValidationError({"texts": errors})


def check_targets(target_ids: Iterable[int], *, mission: Mission | None) -> list[SocialAccount]:
    """The accounts, if every one is an account of `mission` (of any active mission for a
    crisis alert, where `mission` is None). Otherwise a ValidationError naming the ids that
    are not (by id only: another mission's accounts are not described)."""
    try:
        ids = sorted({int(pk) for pk in target_ids})
    except (TypeError, ValueError) as exc:
        raise ValidationError({"target_ids": _("Account ids are numbers.")}) from exc
    allowed = {"mission": mission} if mission is not None else {"mission__is_active": True}
    found = list(SocialAccount.objects.filter(pk__in=ids, **allowed).select_related("mission"))
    missing = sorted(set(ids) - {account.pk for account in found})
    if missing:
        listed = ", ".join(f"#{pk}" for pk in missing)
        if mission is not None:
            refusal = _("Not accounts of %(mission)s: %(ids)s. Choose among the mission's own accounts.") % {
                "mission": mission.display_name,
                "ids": listed,
            }
        else:
            refusal = _("Not accounts of an active mission: %(ids)s. Choose among the mission's own accounts.") % {
                "ids": listed
            }
        raise ValidationError({"target_ids": refusal})
    return found


# --- Writing the parts -------------------------------------------------------------------------


def write_texts(message: Message, texts: dict[tuple[str, str], tuple[str, str]]) -> bool:
    """Make the message's texts exactly `texts`. True if anything changed."""
    current = {(text.language, text.network): text for text in MessageText.objects.filter(message=message)}
    changed = False
    for key, text in current.items():
        if key not in texts:
            text.delete()
            changed = True
    for (language, network), (body, title) in texts.items():
        existing = current.get((language, network))
        if existing is None:
            MessageText.objects.create(message=message, language=language, network=network, body=body, title=title)
            changed = True
        elif (existing.body, existing.title) != (body, title):
            existing.body, existing.title = body, title
            existing.save(update_fields=["body", "title"])
            changed = True
    return changed


def _current_target_ids(message: Message) -> set[int]:
    return set(message.targets.values_list("pk", flat=True))


# --- After a change --------------------------------------------------------------------------


def cancel_pending_deliveries(
    message: Message,
    *,
    actor,
    verb: str,
    reason: str = "",
) -> tuple[list[int], list[Delivery]]:
    """Cancel the deliveries no worker has started (scheduled, held, queued) with a
    conditional UPDATE on their state, so one a worker has already claimed (sending) is
    left alone. Returns (ids cancelled, deliveries left: in flight or already done)."""
    cancelled = outcomes.deliveries_cancel_pending(
        message_id=message.pk, actor=actor, because=verb, reason=reason, now=timezone.now()
    )
    left = list(
        Delivery.objects.filter(message=message).exclude(state=Delivery.State.CANCELLED).select_related("account")
    )
    return cancelled, left


def invalidate_approval(message: Message, *, actor, because: str) -> list[str]:
    """An approved, not yet published message was changed: cancel its deliveries and send
    it back to review. Refused (InvalidTransition) when part of it is already going out."""
    in_flight = (
        Delivery.objects.filter(message=message)
        .exclude(
            state__in=[*DELIVERY_PENDING, Delivery.State.CANCELLED],
        )
        .count()
    )
    if in_flight:
        raise InvalidTransition(
            ngettext(
                "Part of this message is already being published (%(count)s delivery): it can no longer be "
                "changed. Cancel what has not gone out yet, or retract it.",
                "Part of this message is already being published (%(count)s deliveries): it can no longer be "
                "changed. Cancel what has not gone out yet, or retract it.",
                in_flight,
            )
            % {"count": in_flight}
        )
    message.require_transition(Message.State.IN_REVIEW)
    cancelled, left = cancel_pending_deliveries(message, actor=actor, verb="message.approval_invalidated")
    if left:  # a worker claimed one between our check and our update
        raise InvalidTransition(
            _(
                "Part of this message has just started going out: it can no longer be changed. "
                "Cancel what has not gone out yet, or retract it."
            )
        )
    previous = {
        "approved_by": message.approved_by_id,
        "approved_at": message.approved_at.isoformat() if message.approved_at else None,
        "scheduled_at": message.scheduled_at.isoformat() if message.scheduled_at else None,
        "approved_fingerprint": message.approved_fingerprint,
    }
    from_state = message.state
    message.state = Message.State.IN_REVIEW
    message.scheduled_at = None
    message.approved_by = None
    message.approved_at = None
    message.approved_fingerprint = ""
    record_event(
        verb="message.approval_invalidated",
        actor=actor,
        message=message,
        from_state=from_state,
        to_state=message.state,
        details={"because": because, "deliveries_cancelled": len(cancelled), "previous": previous},
    )
    review_offer(message=message, now=timezone.now())
    return ["state", "scheduled_at", "approved_by", "approved_at", "approved_fingerprint"]


def content_changed(message: Message, *, actor, because: str) -> list[str]:
    """Bump the version after a change to what would be published; on a scheduled message,
    withdraw the approval. Returns the fields to save."""
    fields = ["version", "updated_at"]
    message.version += 1
    if message.state == Message.State.SCHEDULED:
        fields += invalidate_approval(message, actor=actor, because=because)
    return fields


def message_lock(message_id: int) -> Message:
    """The message, its row locked until the caller's transaction ends (every transition starts so)."""
    return Message.objects.select_for_update().get(pk=message_id)


# --- Services ---------------------------------------------------------------------------------


def message_create(
    *,
    actor,
    mission: Mission | int,
    title: str,
    texts: TextsInput,
    target_ids: Iterable[int],
    desired_at: datetime | None = None,
) -> Message:
    """A new draft for one mission, by one of its officers. Texts only in the mission's
    languages; targets only the mission's own accounts."""
    if not isinstance(mission, Mission):
        mission = Mission.objects.get(pk=mission)
    policy.require(actor, "message.create", mission)
    if not mission.is_active:
        raise ValidationError({"mission": _("%(mission)s is no longer active.") % {"mission": mission.display_name}})
    title = _clean_title(title)
    desired_at = _clean_desired_at(desired_at)
    clean_texts = normalise_texts(texts)
    check_texts(clean_texts, mission=mission)
    accounts = check_targets(target_ids, mission=mission)
    with transaction.atomic():
        message = Message.objects.create(
            mission=mission,
            author=actor,
            title=title,
            desired_at=desired_at,
            priority=Priority.ROUTINE,
            state=Message.State.DRAFT,
        )
        write_texts(message, clean_texts)
        message.targets.set(accounts)
        record_event(
            verb="message.create",
            actor=actor,
            message=message,
            to_state=message.state,
            details={
                "languages": sorted({language for language, _ in clean_texts}),
                "targets": [account.pk for account in accounts],
            },
        )
    return message


def message_update(
    *,
    actor,
    message_id: int,
    expected_version: int | None,
    title: str = UNSET,
    texts: TextsInput = UNSET,
    target_ids: Iterable[int] = UNSET,
    desired_at: datetime | None = UNSET,
) -> Message:
    """Change what is given (the rest stays). `texts` replaces all the texts.

    Bumps the version. A message in review stays in review; a scheduled one (approved, not
    yet sent) goes back to review and its deliveries are cancelled, unless the change is
    only to the internal title. Nothing changed → nothing written. Other states: refused.
    """
    with transaction.atomic():
        message = message_lock(message_id)
        policy.require(actor, "message.edit", message)
        require_editable(message)
        require_version(message, expected_version)
        changed: list[str] = []
        publishable = False
        if title is not UNSET:
            title = _clean_title(title)
            if title != message.title:
                message.title = title
                changed.append("title")
        if desired_at is not UNSET and desired_at != message.desired_at:
            message.desired_at = _clean_desired_at(desired_at)
            changed.append("desired_at")
            publishable = True
        if texts is not UNSET:
            clean_texts = normalise_texts(texts)
            check_texts(clean_texts, mission=message.mission)
            if write_texts(message, clean_texts):
                changed.append("texts")
                publishable = True
        if target_ids is not UNSET:
            accounts = check_targets(target_ids, mission=message.mission)
            if {account.pk for account in accounts} != _current_target_ids(message):
                message.targets.set(accounts)
                changed.append("targets")
                publishable = True
        if not changed:
            return message
        fields = ["title", "desired_at", "version", "updated_at"]
        message.version += 1
        if publishable and message.state == Message.State.SCHEDULED:
            fields += invalidate_approval(message, actor=actor, because="message.edit")
        message.save(update_fields=sorted(set(fields)))
        # A state change the edit caused (scheduled -> in review) has its own event,
        # "message.approval_invalidated"; the edit is recorded in the state it left.
        record_event(
            verb="message.edit",
            actor=actor,
            message=message,
            from_state=message.state,
            to_state=message.state,
            details={"changed": changed, "version": message.version},
        )
    return message


def _original_name(uploaded_file) -> str:
    name = os.path.basename(str(getattr(uploaded_file, "name", "") or "upload"))
    name = "".join(char for char in name if char.isprintable()).strip() or "upload"
    return name[:255]


def attachment_add(
    *,
    actor,
    message_id: int,
    uploaded_file,
    alt_text: str = "",
    expected_version: int | None = None,
) -> Attachment:
    """Attach an image or a video. The type comes from the content; images are re-encoded
    without their metadata (GPS, camera) before they are stored; the stored name is
    generated. Counts as an edit (a scheduled message goes back to review)."""
    message = Message.objects.get(pk=message_id)
    policy.require(actor, "message.edit", message)
    require_editable(message)
    alt_text = " ".join(str(alt_text or "").split())
    if len(alt_text) > ALT_TEXT_MAX:
        raise ValidationError({"alt_text": _("Keep the alt text under %(max)s characters.") % {"max": ALT_TEXT_MAX}})
    content: File
    try:
        info = inspect_media(uploaded_file)
        if info.kind == "image":
            content = ContentFile(strip_metadata(uploaded_file))
            info = inspect_media(content.read())
            content.seek(0)
        else:
            content = File(uploaded_file)
    except MediaRejected as exc:
        raise ValidationError({"file": str(exc)}) from exc
    digest = hashlib.sha256()
    content.seek(0)
    for chunk in content.chunks():
        digest.update(chunk)
    content.seek(0)
    original_name = _original_name(uploaded_file)
    field = Attachment._meta.get_field("file")
    # No instance yet: upload_to is a path, so the file's name needs none.
    stored_name = field.storage.save(field.generate_filename(None, original_name), content)  # type: ignore[arg-type]
    try:
        with transaction.atomic():
            message = message_lock(message_id)
            policy.require(actor, "message.edit", message)
            require_editable(message)
            require_version(message, expected_version)
            last = message.attachments.order_by("-position").values_list("position", flat=True).first()
            attachment = Attachment.objects.create(
                message=message,
                file=stored_name,
                kind=info.kind,
                mime_type=info.mime_type,
                size=field.storage.size(stored_name),
                sha256=digest.hexdigest(),
                original_name=original_name,
                alt_text=alt_text,
                width=info.width,
                height=info.height,
                duration_seconds=info.duration_seconds,
                position=(last + 1) if last is not None else 0,
            )
            fields = content_changed(message, actor=actor, because="message.attachment_add")
            message.save(update_fields=fields)
            record_event(
                verb="message.attachment_add",
                actor=actor,
                message=message,
                from_state=message.state,
                to_state=message.state,
                details={
                    "attachment": attachment.pk,
                    "name": original_name,
                    "kind": info.kind,
                    "sha256": attachment.sha256,
                    "version": message.version,
                },
            )
    except BaseException:
        field.storage.delete(stored_name)
        raise
    return attachment


def _lock_attachment(
    message_id: int,
    attachment_id: int,
    actor,
    expected_version: int | None,
) -> tuple[Message, Attachment]:
    message = message_lock(message_id)
    policy.require(actor, "message.edit", message)
    require_editable(message)
    require_version(message, expected_version)
    try:
        attachment = Attachment.objects.get(pk=attachment_id, message=message)
    except Attachment.DoesNotExist:
        raise ValidationError({"attachment": _("This attachment is not part of this message.")}) from None
    return message, attachment


def attachment_remove(
    *,
    actor,
    message_id: int,
    attachment_id: int,
    expected_version: int | None = None,
) -> Message:
    """Remove an attachment (its file is deleted once the change is committed)."""
    with transaction.atomic():
        message, attachment = _lock_attachment(message_id, attachment_id, actor, expected_version)
        name, storage = attachment.file.name, attachment.file.storage
        details = {"attachment": attachment.pk, "name": attachment.original_name, "sha256": attachment.sha256}
        attachment.delete()
        fields = content_changed(message, actor=actor, because="message.attachment_remove")
        message.save(update_fields=fields)
        record_event(
            verb="message.attachment_remove",
            actor=actor,
            message=message,
            from_state=message.state,
            to_state=message.state,
            details={**details, "version": message.version},
        )
        if name:
            transaction.on_commit(lambda: storage.delete(name), robust=True)
    return message


def attachment_set_alt_text(
    *,
    actor,
    message_id: int,
    attachment_id: int,
    alt_text: str,
    expected_version: int | None = None,
) -> Attachment:
    """Describe an image for people who cannot see it. The alt text is published, so this
    counts as an edit; the same text again changes nothing."""
    alt_text = " ".join(str(alt_text or "").split())
    if len(alt_text) > ALT_TEXT_MAX:
        raise ValidationError({"alt_text": _("Keep the alt text under %(max)s characters.") % {"max": ALT_TEXT_MAX}})
    with transaction.atomic():
        message, attachment = _lock_attachment(message_id, attachment_id, actor, expected_version)
        if attachment.alt_text == alt_text:
            return attachment
        attachment.alt_text = alt_text
        attachment.save(update_fields=["alt_text"])
        fields = content_changed(message, actor=actor, because="message.attachment_alt_text")
        message.save(update_fields=fields)
        record_event(
            verb="message.attachment_alt_text",
            actor=actor,
            message=message,
            from_state=message.state,
            to_state=message.state,
            details={"attachment": attachment.pk, "version": message.version},
        )
    return attachment


def comment_add(*, actor, message_id: int, body: str) -> Comment:
    """A word in the conversation on a message, by anyone who may see it. Not an edit."""
    body = str(body or "").replace("\r\n", "\n").strip()
    if not body:
        raise ValidationError({"body": _("Write something first.")})
    if len(body) > COMMENT_MAX:
        raise ValidationError({"body": _("Keep comments under %(max)s characters.") % {"max": COMMENT_MAX}})
    with transaction.atomic():
        message = message_lock(message_id)
        policy.require(actor, "message.view", message)
        comment = Comment.objects.create(message=message, author=actor, body=body)
        record_event(
            verb="message.comment",
            actor=actor,
            message=message,
            from_state=message.state,
            to_state=message.state,
            details={"comment": comment.pk},
        )
    return comment
