"""The one way in for what the public says: webhook and polling both call `items_ingest`.

An upsert on (network, external id): the raw event is kept (once per content received),
the item created or brought up to date, and threaded into its conversation. Replays,
duplicates and events out of order change nothing: deletion is sticky, and content moves
only forward in time (ties broken by the text itself, so any order ends the same).
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from channels.adapters.listening import HeardItem, ItemKind
from channels.models import SocialAccount
from conversations.language import detect_language
from conversations.lifecycle import (
    CONVERSATION_CLOCK_RUNS,
    CONVERSATION_REOPENED_BY_NEW_ITEM,
    EVENTS,
    Category,
    HideReason,
    ModerationState,
)
from conversations.models import PROTECTED_THREAD, Conversation, ConversationEvent, Item, ModerationAction, RawEvent
from conversations.notifications import tell_headquarters
from conversations.services import triage
from posts.lifecycle import DELIVERY_REACHED_NETWORK
from posts.models import Delivery, Priority

logger = logging.getLogger(__name__)


@dataclass
class IngestResult:
    created: int = 0
    updated: int = 0
    unchanged: int = 0  # replayed, duplicated, or older than what we hold
    rejected: int = 0  # not an item we can store (logged)
    unknown_account: int = 0  # addressed to an account we don't know (webhooks; counted)
    ours: int = 0  # said by the account itself: our replies, which the desk keeps as replies

    def add(self, other: IngestResult) -> None:
        for name, value in asdict(other).items():
            setattr(self, name, getattr(self, name) + value)


def dedup_key(item: HeardItem) -> str:
    """The same content of the same item, however it reached us, is one raw event."""
    content = {
        "raw": item.raw,
        "text": item.text,
        "edited_at": item.edited_at.isoformat() if item.edited_at else "",
        "deleted": item.deleted,
    }
    body = json.dumps(content, sort_keys=True, default=str, ensure_ascii=False)
    return hashlib.sha256(f"{item.network}\n{item.external_id}\n{body}".encode()).hexdigest()


def record_event(
    *, verb: str, conversation: Conversation, item: Item | None = None, actor=None, **fields: Any
) -> ConversationEvent:
    if verb not in EVENTS:
        raise ValueError(f"The event {verb!r} is not registered in conversations.lifecycle.")
    return ConversationEvent.objects.create(
        verb=verb,
        conversation=conversation,
        item=item,
        actor=actor if getattr(actor, "pk", None) is not None else None,
        **fields,
    )


def _problem(account: SocialAccount, item: HeardItem) -> str:
    """Why an item cannot be stored as given, or ""."""
    if item.network != account.network:
        return f"an item of {item.network!r} heard on a {account.network} account"
    if item.kind not in ItemKind.ALL:
        return f"unknown kind {item.kind!r}"
    if not item.external_id or len(item.external_id) > 100:
        return "no usable external id"
    if not item.thread_id or len(item.thread_id) > 200:
        return "no usable thread id"
    if not isinstance(item.created_at, datetime) or timezone.is_naive(item.created_at):
        return "no aware creation time"
    return ""


def items_ingest(*, account: SocialAccount, items: Sequence[HeardItem], source: str) -> IngestResult:
    """Store what the network said to `account`, each item in a transaction of its own and
    committed when this returns (outside a caller's transaction): one bad item never loses
    the others, and two ingests of one thread at once never deadlock (each holds the locks
    of one item and its conversation only). Each item is triaged in its own transaction,
    by the rules read once for the batch."""
    result = IngestResult()
    rules = triage.rules()
    for item in items:
        if account.network_account_id and item.author_id == account.network_account_id:
            result.ours += 1
            continue
        problem = _problem(account, item)
        if problem:
            logger.warning("Item %s:%s not stored: %s.", item.network, item.external_id[:100], problem)
            result.rejected += 1
            continue
        with transaction.atomic():
            outcome = _ingest_one(account=account, item=item, source=source, rules=rules)
        setattr(result, outcome, getattr(result, outcome) + 1)
    return result


def _ingest_one(*, account: SocialAccount, item: HeardItem, source: str, rules: triage.RuleSet) -> str:
    try:
        with transaction.atomic():
            raw = RawEvent.objects.create(
                network=item.network,
                source=source,
                account=account,
                external_id=item.external_id,
                dedup_key=dedup_key(item),
                payload=_jsonable(item.raw),
            )
    except IntegrityError:
        # Received before, and applied in the same transaction then: nothing new.
        return "unchanged"
    existing = Item.objects.select_for_update().filter(network=item.network, external_id=item.external_id).first()
    if existing is None:
        try:
            with transaction.atomic():
                return _create(account=account, item=item, raw=raw, rules=rules)
        except IntegrityError:
            # Another process inserted it meanwhile (webhook and poll at once): update it.
            existing = Item.objects.select_for_update().get(network=item.network, external_id=item.external_id)
    return _update(existing, item=item, raw=raw)


def _jsonable(raw: Any) -> Any:
    return json.loads(json.dumps(raw, default=str))


def _version(item: HeardItem) -> datetime | None:
    if item.deleted and not item.text:
        return None  # a bare deletion says nothing of the content
    return item.edited_at or item.created_at


def _newer(item: HeardItem, stored: Item) -> bool:
    version = _version(item)
    if version is None:
        return False
    if stored.version_at is None:
        return True
    return (version, item.text) > (stored.version_at, stored.text)


def _create(*, account: SocialAccount, item: HeardItem, raw: RawEvent, rules: triage.RuleSet) -> str:
    now = timezone.now()

    def verdict_of(*, answers_crisis_alert: bool) -> triage.Verdict:
        return triage.triage_text(
            rules,
            mission_id=account.mission_id,
            network=item.network,
            text=item.text,
            author_id=item.author_id,
            author_handle=item.author_handle,
            hint=item.language,
            answers_crisis_alert=answers_crisis_alert,
        )

    # Triage before threading: an item that threatens or exposes a person threads apart, in
    # a protected conversation (issue 15 §7), whatever it answers.
    verdict = verdict_of(answers_crisis_alert=False)
    conversation = _conversation_for(account=account, item=item, protected=verdict.protected, now=now)
    delivery = None if conversation.delivery_id else _our_delivery(account, item.answers_post_id)
    if delivery is not None and delivery.message.priority == Priority.CRISIS:
        verdict = verdict_of(answers_crisis_alert=True)
    row = Item.objects.create(
        network=item.network,
        external_id=item.external_id,
        account=account,
        conversation=conversation,
        kind=item.kind,
        parent_id=item.parent_id[:100],
        answers_post_id=item.answers_post_id[:100],
        author_id=item.author_id[:100],
        author_name=item.author_name[:300],
        author_handle=item.author_handle[:300],
        text=item.text,
        language=(verdict.language or item.language)[:16],
        url=item.url[:500],
        created_at_network=item.created_at,
        edited_at=item.edited_at,
        version_at=_version(item),
        deleted_at=now if item.deleted else None,
        raw_event=raw,
    )
    if conversation.restricted_at is not None:
        row.kept_as = row.as_evidence()
        row.save(update_fields=["kept_as"])
    _thread(conversation, row, delivery=delivery, verdict=verdict, rules=rules, now=now)
    _propose_hiding(conversation, row, verdict=verdict)
    return "created"


def _propose_hiding(conversation: Conversation, row: Item, *, verdict: triage.Verdict) -> None:
    """A rule that finds spam or a scam proposes hiding the item; a person confirms or
    dismisses it (conversations.services.moderation). Nothing is hidden here."""
    if verdict.category != Category.SPAM or not row.may_be_hidden or row.deleted_at is not None:
        return
    proposal = ModerationAction.objects.create(
        item=row,
        mission_id=conversation.mission_id,
        action=ModerationAction.Action.HIDE,
        reason=HideReason.SPAM,
        rule=(verdict.rule or "spam")[:200],
        state=ModerationState.PROPOSED,
        evidence=row.as_evidence(),
    )
    record_event(
        verb="item.hide_proposed",
        conversation=conversation,
        item=row,
        details={"action": proposal.pk, "rule": proposal.rule, "reason": proposal.reason},
    )


def _conversation_for(*, account: SocialAccount, item: HeardItem, protected: str, now: datetime) -> Conversation:
    """The item's conversation: its thread's, or for an item that threatens or exposes a
    person (`protected`, a ProtectedReason) its thread's protected one."""
    protected_fields = {"restricted_at": now, "restricted_reason": protected} if protected else {}
    conversation, created = Conversation.objects.get_or_create(
        account=account,
        thread_id=f"{PROTECTED_THREAD}{item.thread_id}" if protected else item.thread_id,
        defaults={
            "mission_id": account.mission_id,
            "network": account.network,
            "last_item_at": item.created_at,
            "created_at": now,
            **protected_fields,
        },
    )
    if created:
        record_event(verb="conversation.started", conversation=conversation, to_status=conversation.status)
    newly_protected = bool(protected) and created
    if protected and not created and conversation.restricted_at is None:
        # A protected thread given back to the desk, threatened again, is protected again.
        newly_protected = bool(
            Conversation.objects.filter(pk=conversation.pk, restricted_at__isnull=True).update(**protected_fields)
        )
    if newly_protected:
        record_event(verb="conversation.protected", conversation=conversation, details={"reason": protected})
    return Conversation.objects.select_for_update().get(pk=conversation.pk)


def _our_delivery(account: SocialAccount, post_id: str) -> Delivery | None:
    if not post_id:
        return None
    return (
        Delivery.objects.filter(account=account, external_id=post_id, state__in=DELIVERY_REACHED_NETWORK)
        .select_related("message")
        .order_by("pk")
        .first()
    )


def _thread(
    conversation: Conversation,
    row: Item,
    *,
    delivery: Delivery | None,
    verdict: triage.Verdict,
    rules: triage.RuleSet,
    now: datetime,
) -> None:
    """Count the new item in its conversation, link our post, reopen a finished one, and
    apply triage: the rules' verdict, the service clock, and "global time"."""
    changes: dict[str, Any] = {"item_count": F("item_count") + 1}
    if row.created_at_network > conversation.last_item_at:
        changes["last_item_at"] = row.created_at_network
    if conversation.delivery_id is None and delivery is not None:
        changes["delivery"] = delivery
        record_event(
            verb="conversation.linked_to_post",
            conversation=conversation,
            item=row,
            details={"delivery": delivery.pk},
        )
    reopened = conversation.status in CONVERSATION_REOPENED_BY_NEW_ITEM
    if reopened:
        changes["status"] = Conversation.Status.OPEN
        record_event(
            verb="conversation.reopened",
            conversation=conversation,
            item=row,
            from_status=conversation.status,
            to_status=Conversation.Status.OPEN,
        )
    triaged = triage.merge(conversation, verdict)
    changes.update(triaged)
    changes.update(_clock(conversation, triaged, rules=rules, reopened=reopened, now=now, item=row))
    Conversation.objects.filter(pk=conversation.pk).update(**changes, updated_at=now)
    details = {"triage": {**triaged, "rule": verdict.rule}} if triaged else {}
    record_event(verb="conversation.item_added", conversation=conversation, item=row, details=details)
    if changes.get("escalated_at"):
        # Rare (global time): the email tells what the conversation has just become.
        for name in ("category", "priority", "due_at"):
            setattr(conversation, name, changes.get(name, getattr(conversation, name)))
        tell_headquarters(conversation)


def _clock(
    conversation: Conversation,
    triaged: dict[str, Any],
    *,
    rules: triage.RuleSet,
    reopened: bool,
    now: datetime,
    item: Item,
) -> dict[str, Any]:
    """The service clock's fields that this item changes: a clock starts when the mission
    comes to owe an answer (a new conversation, a reopened one) and comes forward when the
    conversation becomes more urgent; "global time" offers it to headquarters at once."""
    status = Conversation.Status.OPEN if reopened else conversation.status
    if status not in CONVERSATION_CLOCK_RUNS or conversation.restricted_at is not None:
        return {}  # a protected conversation is the human-rights officer's: no desk clock
    changes: dict[str, Any] = {}
    category = triaged.get("category", conversation.category)
    fresh = reopened or conversation.due_at is None
    if fresh or "category" in triaged:
        clock = triage.clock_for(rules, mission_id=conversation.mission_id, category=category, start=now)
        if clock is not None and (fresh or conversation.due_at is None or clock.due_at < conversation.due_at):
            changes.update(due_at=clock.due_at, warn_at=clock.warn_at, warned_at=None)
        if reopened:
            changes["escalated_at"] = None
    if conversation.escalated_at is None or reopened:
        why = triage.offer_to_headquarters_why(
            rules,
            mission_id=conversation.mission_id,
            priority=triaged.get("priority", conversation.priority),
            language=triaged.get("language", conversation.language),
            at=now,
        )
        if why:
            changes["escalated_at"] = now
            record_event(verb="conversation.escalated", conversation=conversation, item=item, details={"reason": why})
    return changes


def _update(row: Item, *, item: HeardItem, raw: RawEvent) -> str:
    fields: list[str] = []
    if item.created_at < row.created_at_network:
        # Heard an edit first: on X an edit is a new post, with its own time.
        row.created_at_network = item.created_at
        fields.append("created_at_network")
    if item.deleted and row.deleted_at is None:
        row.deleted_at = timezone.now()
        fields.append("deleted_at")
        record_event(verb="item.deleted", conversation=row.conversation, item=row)
    if _newer(item, row):
        was_known = row.version_at is not None
        # An edit may change the language, never the conversation's triage (a person's now).
        language = detect_language(item.text, hint=item.language) or item.language
        row.text, row.language = item.text, language[:16] or row.language
        row.edited_at, row.version_at = item.edited_at, _version(item)
        row.raw_event = raw
        fields += ["text", "language", "edited_at", "version_at", "raw_event"]
        if was_known:
            record_event(verb="item.edited", conversation=row.conversation, item=row)
    if not fields:
        return "unchanged"
    row.save(update_fields=[*fields, "updated_at"])
    return "updated"
