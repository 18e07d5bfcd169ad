"""Moderation of the public's items, with a reason from the mission's published house
rules (disagreement is never one). The item as it stood is kept before the network is
asked; a worker asks it (`conversations.moderate_item`).

- Hide and show again, at once: X (replies in the account's own conversations), Facebook
  (`is_hidden`), YouTube (`heldForReview`); reversible on all three.
- Remove for good, with four eyes: YouTube reject and Facebook delete are proposed by one
  person and carried out only when another confirms.
- A triage rule may propose hiding spam or a scam (conversations.services.ingest): a person
  confirms (the hide then runs) or dismisses it; nothing is hidden without a person."""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import cast

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models.functions import Coalesce
from django.utils import timezone

from audit.services import record
from channels import services as channel_services
from channels.adapters.answering import Moderator, Remover
from channels.adapters.base import AdapterError, AuthError
from channels.models import Network
from conversations.lifecycle import HideReason, ModerationState
from conversations.models import Item, ModerationAction
from conversations.services.ingest import record_event
from diplomacy_hub import policy
from diplomacy_hub.tasks import enqueue_on_commit

logger = logging.getLogger(__name__)

TASK = "conversations.moderate_item"
HIDEABLE = frozenset({Network.TWITTER, Network.FACEBOOK, Network.YOUTUBE})
# What each network calls taking an item down for good (none on X: it deletes only our posts).
REMOVAL: dict[str, str] = {
    Network.FACEBOOK: ModerationAction.Action.DELETE,
    Network.YOUTUBE: ModerationAction.Action.REJECT,
}


def may_hide(item: Item) -> bool:
    return item.may_be_hidden


def _locked_item(item_id: int) -> Item:
    return Item.objects.select_for_update().select_related("conversation", "conversation__mission").get(pk=item_id)


def _require_live(item: Item) -> None:
    if item.deleted_at is not None:
        raise ValidationError("reply.target_gone", code="reply.target_gone", params={"network": item.network})


def _require_reason(reason: str) -> None:
    if reason not in HideReason.values:
        raise ValidationError("hide.reason_required", code="hide.reason_required")


def item_set_hidden(*, actor, item_id: int, hidden: bool, reason: str = "", note: str = "") -> ModerationAction:
    """Record the decision and the item as it stood, then have a worker ask the network."""
    with transaction.atomic():
        item = _locked_item(item_id)
        conversation = item.conversation
        policy.require(actor, "item.hide", conversation)
        if not may_hide(item):
            code = "hide.not_own_conversation" if item.network == Network.TWITTER else "hide.not_possible"
            raise ValidationError(code, code=code, params={"network": item.network, "url": item.url})
        if hidden:
            _require_reason(reason)
        _require_live(item)
        # A rule's open proposal to hide it is settled by the person's decision: hiding it
        # confirms the proposal (one action, carried out with the person's reason), showing
        # it dismisses the proposal. Either way the rule's record says what became of it.
        proposal = (
            ModerationAction.objects.select_for_update()
            .filter(item=item, state=ModerationState.PROPOSED, action=ModerationAction.Action.HIDE)
            .first()
        )
        if proposal is not None and hidden:
            action = proposal
            action.state = ModerationState.PENDING
            action.reason, action.note = reason, f"{action.note}\n{note}".strip()[:2000]
            action.confirmed_by, action.confirmed_at = actor, timezone.now()
            action.save(update_fields=["state", "reason", "note", "confirmed_by", "confirmed_at"])
        else:
            if proposal is not None:
                proposal.state = ModerationState.DISMISSED
                proposal.confirmed_by, proposal.confirmed_at = actor, timezone.now()
                proposal.save(update_fields=["state", "confirmed_by", "confirmed_at"])
            action = ModerationAction.objects.create(
                item=item,
                mission_id=conversation.mission_id,
                action=ModerationAction.Action.HIDE if hidden else ModerationAction.Action.SHOW,
                reason=reason if hidden else "",
                note=note[:2000],
                actor=actor,
                evidence=item.as_evidence(),
            )
        record_event(
            verb="item.hidden" if hidden else "item.shown",
            conversation=conversation,
            item=item,
            actor=actor,
            details={"action": action.pk, "reason": action.reason, "note": action.note, "rule": action.rule},
        )
        enqueue_on_commit(TASK, calls=[((action.pk,), {})], what=f"moderation {action.pk}")
    return action


def item_propose_removal(*, actor, item_id: int, reason: str, note: str = "") -> ModerationAction:
    """Propose taking the item down for good (YouTube reject, Facebook delete): nothing is
    asked of the network until a second person confirms (`moderation_confirm`)."""
    with transaction.atomic():
        item = _locked_item(item_id)
        conversation = item.conversation
        policy.require(actor, "item.remove", conversation)
        if item.network not in REMOVAL:
            raise ValidationError("remove.not_possible", code="remove.not_possible", params={"network": item.network})
        _require_reason(reason)
        _require_live(item)
        open_proposals = ModerationAction.objects.filter(item=item, state=ModerationState.PROPOSED)
        if open_proposals.filter(actor__isnull=False).exists():
            raise ValidationError("moderation.already_proposed", code="moderation.already_proposed")
        # A rule's proposal to hide it gives way to a person's proposal to remove it.
        open_proposals.update(state=ModerationState.DISMISSED, confirmed_by=actor, confirmed_at=timezone.now())
        action = ModerationAction.objects.create(
            item=item,
            mission_id=conversation.mission_id,
            action=REMOVAL[item.network],
            reason=reason,
            note=note[:2000],
            actor=actor,
            state=ModerationState.PROPOSED,
            evidence=item.as_evidence(),
        )
        details = {"action": action.pk, "kind": action.action, "reason": reason, "note": action.note}
        record_event(verb="item.removal_proposed", conversation=conversation, item=item, actor=actor, details=details)
        record(action="moderation.propose", actor=actor, obj=action, details=details)
    return action


def _locked_proposal(action_id: int) -> ModerationAction:
    return (
        ModerationAction.objects.select_for_update()
        .select_related("item", "item__conversation", "item__conversation__mission")
        .get(pk=action_id)
    )


def _require_proposed(action: ModerationAction) -> None:
    # Checked after the policy: whoever may not decide learns nothing of its state.
    if action.state != ModerationState.PROPOSED:
        raise ValidationError("moderation.not_proposed", code="moderation.not_proposed")


def moderation_confirm(*, actor, action_id: int) -> ModerationAction:
    """A second person confirms a removal (four eyes), or a person a rule's proposal to hide:
    the network is then asked, as for any moderation."""
    with transaction.atomic():
        action = _locked_proposal(action_id)
        item = action.item
        if action.removes:
            policy.require(actor, "item.remove.confirm", action)
        else:
            policy.require(actor, "item.hide", item.conversation)
        _require_proposed(action)
        _require_live(item)
        action.state = ModerationState.PENDING
        action.confirmed_by = actor
        action.confirmed_at = timezone.now()
        action.save(update_fields=["state", "confirmed_by", "confirmed_at"])
        details = {"action": action.pk, "kind": action.action, "reason": action.reason, "rule": action.rule}
        verb = "item.removed" if action.removes else "item.hidden"
        record_event(verb=verb, conversation=item.conversation, item=item, actor=actor, details=details)
        record(action="moderation.confirm", actor=actor, obj=action, details=details)
        enqueue_on_commit(TASK, calls=[((action.pk,), {})], what=f"moderation {action.pk}")
    return action


def moderation_dismiss(*, actor, action_id: int, note: str = "") -> ModerationAction:
    """Nothing is done: a removal proposed (withdrawn by its proposer, or turned down by a
    colleague) or a rule's proposal to hide, found not to break the house rules."""
    with transaction.atomic():
        action = _locked_proposal(action_id)
        policy.require(actor, "item.hide", action.item.conversation)
        _require_proposed(action)
        action.state = ModerationState.DISMISSED
        action.confirmed_by = actor
        action.confirmed_at = timezone.now()
        if note:
            action.note = f"{action.note}\n{note}".strip()[:2000]
        action.save(update_fields=["state", "confirmed_by", "confirmed_at", "note"])
        details = {"action": action.pk, "kind": action.action, "note": note[:2000]}
        record_event(
            verb="item.proposal_dismissed",
            conversation=action.item.conversation,
            item=action.item,
            actor=actor,
            details=details,
        )
        record(action="moderation.dismiss", actor=actor, obj=action, details=details)
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
        adapter = channel_services.adapter_for(account)
        if action.removes:
            cast(Remover, adapter).remove(credentials, item_id=action.item.external_id)
        else:
            cast(Moderator, adapter).set_hidden(
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
    if action.removes:
        # Gone from the network for good: the record stays, marked as deleted there.
        Item.objects.filter(pk=action.item_id, deleted_at__isnull=True).update(deleted_at=timezone.now())
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
    # A confirmed proposal is due from its confirmation, not from when it was proposed.
    stale = list(
        ModerationAction.objects.annotate(due_from=Coalesce("confirmed_at", "created_at"))
        .filter(state=ModerationState.PENDING, due_from__lte=now - timedelta(seconds=settings.REPLY_REQUEUE_AFTER))
        .values_list("pk", flat=True)[:200]
    )
    if stale:
        enqueue_on_commit(TASK, calls=[((pk,), {}) for pk in stale], what="moderation asked again")
    return stale
