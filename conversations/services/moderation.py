"""Hiding an item of the public, or showing it again, with a reason from the mission's
published house rules (disagreement is never one). The item as it stood is kept before the
network is asked; a worker asks it (`conversations.moderate_item`). Facebook (`is_hidden`)
and YouTube (`heldForReview`) allow it; hiding is reversible on both."""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import cast

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from channels import services as channel_services
from channels.adapters.answering import Moderator
from channels.adapters.base import AdapterError, AuthError
from channels.models import Network
from conversations.lifecycle import HideReason, ModerationState
from conversations.models import Item, ModerationAction
from conversations.services.ingest import record_event
from diplomacy_hub import policy
from diplomacy_hub.tasks import enqueue_on_commit

logger = logging.getLogger(__name__)

TASK = "conversations.moderate_item"
HIDEABLE = frozenset({Network.FACEBOOK, Network.YOUTUBE})


def item_set_hidden(*, actor, item_id: int, hidden: bool, reason: str = "", note: str = "") -> ModerationAction:
    """Record the decision and the item as it stood, then have a worker ask the network."""
    with transaction.atomic():
        item = Item.objects.select_for_update().select_related("conversation", "conversation__mission").get(pk=item_id)
        conversation = item.conversation
        policy.require(actor, "item.hide", conversation)
        if item.network not in HIDEABLE:
            raise ValidationError("hide.not_possible", code="hide.not_possible", params={"network": item.network})
        if hidden and reason not in HideReason.values:
            raise ValidationError("hide.reason_required", code="hide.reason_required")
        if item.deleted_at is not None:
            raise ValidationError("reply.target_gone", code="reply.target_gone", params={"network": item.network})
        action = ModerationAction.objects.create(
            item=item,
            mission_id=conversation.mission_id,
            action=ModerationAction.Action.HIDE if hidden else ModerationAction.Action.SHOW,
            reason=reason if hidden else "",
            note=note[:2000],
            actor=actor,
            evidence={
                "external_id": item.external_id,
                "text": item.text,
                "author_id": item.author_id,
                "author_name": item.author_name,
                "author_handle": item.author_handle,
                "url": item.url,
                "created_at_network": item.created_at_network.isoformat(),
                "edited_at": item.edited_at.isoformat() if item.edited_at else None,
                "raw_event": item.raw_event_id,
            },
        )
        record_event(
            verb="item.hidden" if hidden else "item.shown",
            conversation=conversation,
            item=item,
            actor=actor,
            details={"action": action.pk, "reason": action.reason, "note": action.note},
        )
        enqueue_on_commit(TASK, calls=[((action.pk,), {})], what=f"moderation {action.pk}")
    return action


def moderation_apply(*, action_id: int) -> str:
    """Ask the network for a pending action (again, if a first ask was lost: idempotent)."""
    action = (
        ModerationAction.objects.select_related("item", "item__account")
        .filter(pk=action_id, state=ModerationState.PENDING)
        .first()
    )
    if action is None:
        return "skipped"
    account = action.item.account
    try:
        credentials = channel_services.credentials_for_use(account)
        adapter = cast(Moderator, channel_services.adapter_for(account))
        adapter.set_hidden(
            credentials, item_id=action.item.external_id, hidden=action.action == ModerationAction.Action.HIDE
        )
    except AuthError as refused:
        channel_services.account_mark_expired(account, str(refused.detail))
        return _finish(action, ModerationState.FAILED, refused)
    except AdapterError as failed:
        if failed.kind in ("transient", "rate_limited"):
            logger.warning("Moderation %s: %s; asked again by the sweeper.", action.pk, failed.detail)
            return ModerationState.PENDING
        return _finish(action, ModerationState.FAILED, failed)
    return _finish(action, ModerationState.DONE, None)


def _finish(action: ModerationAction, state: str, error: AdapterError | None) -> str:
    ModerationAction.objects.filter(pk=action.pk, state=ModerationState.PENDING).update(
        state=state,
        done_at=timezone.now(),
        error_code=(error.code if error else "")[:64],
        last_error=(str(error.detail) if error else "")[:500],
    )
    return state


def moderation_sweep(*, now=None) -> list[int]:
    """Pending actions whose ask was lost (or failed for a while): asked again."""
    now = now or timezone.now()
    stale = list(
        ModerationAction.objects.filter(
            state=ModerationState.PENDING, created_at__lte=now - timedelta(seconds=settings.REPLY_REQUEUE_AFTER)
        ).values_list("pk", flat=True)[:200]
    )
    if stale:
        enqueue_on_commit(TASK, calls=[((pk,), {}) for pk in stale], what="moderation asked again")
    return stale
