"""The one way in for what the public says: webhook and polling both call `items_ingest`.

An upsert on (network, external id): the raw event is kept (once per content received),
the item created or brought up to date, and threaded into its conversation. Replays,
duplicates and events out of order change nothing: deletion is sticky, and content moves
only forward in time (ties broken by the text itself, so any order ends the same).

A poll's page, or the pushed items of many accounts of one network (the webhook drain's),
is one batch: one transaction and a constant number of statements whatever its size (issue 14's burst: 10,000 items in
30 s cannot be met at one transaction and 17 statements an item). Each table is written
with one `INSERT … ON CONFLICT DO NOTHING` keyed on its unique key (the raw event's
deduplication key, the conversation's thread, the item's network id), so replays and
overlaps stay exactly-once, and what the statement did not insert was there before.
An item that threatens or exposes a person (triaged before the transaction) threads into
its thread's protected conversation, kept as evidence; a rule's proposals to hide spam are
written with the batch, one statement for all of them.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any, cast

from django.db import DatabaseError, DataError, IntegrityError, connection, models, transaction
from django.db.models.constants import OnConflict
from django.db.models.sql import InsertQuery
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
from conversations.notifications import tell_human_rights_officers
from conversations.services import triage
from conversations.services.escalation import VERB as ESCALATED
from conversations.services.escalation import escalation_announce
from posts.lifecycle import DELIVERY_REACHED_NETWORK
from posts.models import Delivery, Priority

logger = logging.getLogger(__name__)

# A batch that met another process creating one of its items in a way the locks did not
# order (two threads claiming one item) is read again from the start, at most this often.
ATTEMPTS = 3


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
    return ConversationEvent.objects.create(
        **_event_fields(verb=verb, conversation=conversation, item=item, actor=actor, **fields)
    )


def _event_fields(*, verb: str, conversation: Conversation, item: Item | None, actor=None, **fields: Any) -> dict:
    if verb not in EVENTS:
        raise ValueError(f"The event {verb!r} is not registered in conversations.lifecycle.")
    return {
        "verb": verb,
        "conversation": conversation,
        "item": item,
        "actor": actor if getattr(actor, "pk", None) is not None else None,
        **fields,
    }


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
    """Store what the network said to `account`: `items_ingest_many` for one account."""
    return items_ingest_many(parts=[(account, items)], source=source)


def items_ingest_many(*, parts: Sequence[tuple[SocialAccount, Sequence[HeardItem]]], source: str) -> IngestResult:
    """Store what the network said to each account of `parts` (accounts of one network) in
    one transaction, committed when this returns (outside a caller's transaction), triaged
    by the rules read once for the batch: the webhook drain gives the items of many
    accounts at once, as one batch's statements cost the same whatever its size.
    What was received before is known, and the new items triaged, before the transaction
    begins: its locks (on SQLite the whole database) are held only while it writes.

    An item we cannot store is left out and the rest kept: a malformed one before the
    transaction; one the database refuses (a batch fails with a DataError or
    IntegrityError) by storing the others again one by one. Locks are taken in one order
    (raw events by key, conversations by id, items by id), so two batches of one thread at
    once wait for each other and never deadlock."""
    if len({account.network for account, _items in parts}) > 1:
        raise ValueError("A batch holds the accounts of one network.")
    result = IngestResult()
    rules = triage.rules()
    accepted: list[tuple[SocialAccount, HeardItem]] = []
    for account, items in parts:
        for item in items:
            if account.network_account_id and item.author_id == account.network_account_id:
                result.ours += 1
                continue
            problem = _problem(account, item)
            if problem:
                logger.warning("Item %s:%s not stored: %s.", item.network, item.external_id[:100], problem)
                result.rejected += 1
                continue
            accepted.append((account, item))
    if not accepted:
        return result
    skipped = IngestResult(ours=result.ours, rejected=result.rejected)
    prepared = _prepare(entries=accepted, source=source, rules=rules, result=result)
    if not prepared.versions:
        return result
    try:
        result.add(_batch_with_retries(prepared))
    except (DataError, IntegrityError):
        if len(accepted) == 1:
            item = accepted[0][1]
            logger.exception("Item %s:%s refused by the database.", item.network, item.external_id)
            result.rejected += 1
            return result
        result = skipped
        for account, item in accepted:
            result.add(items_ingest_many(parts=[(account, [item])], source=source))
    return result


@dataclass
class _Prepared:
    """A batch read and triaged before its transaction, so that its locks are held only
    while it writes: the items not received before (their raw events to insert), the items
    already stored, our posts they answer, and each new item's verdict."""

    network: str
    source: str
    rules: triage.RuleSet
    raws: dict[str, RawEvent]  # by deduplication key
    # (item, dedup key, the account it was heard on) by external id, as heard
    versions: dict[str, list[tuple[HeardItem, str, SocialAccount]]]
    known: dict[str, int]  # external id -> conversation id of the items stored already
    deliveries: dict[tuple[int, str], Delivery]  # ours, by account and post id
    # by dedup key, account (its mission's rules), and answering a crisis alert
    verdicts: dict[tuple[str, int, bool], triage.Verdict]


def _prepare(
    *, entries: list[tuple[SocialAccount, HeardItem]], source: str, rules: triage.RuleSet, result: IngestResult
) -> _Prepared:
    keys = [dedup_key(item) for _account, item in entries]
    received = set(RawEvent.objects.filter(dedup_key__in=set(keys)).values_list("dedup_key", flat=True))
    raws: dict[str, RawEvent] = {}
    versions: dict[str, list[tuple[HeardItem, str, SocialAccount]]] = {}
    for (account, item), key in zip(entries, keys, strict=True):
        if key in received or key in raws:
            # Received before, and applied then (a raw event is never deleted): nothing new.
            result.unchanged += 1
            continue
        raws[key] = RawEvent(
            network=item.network,
            source=source,
            account=account,
            external_id=item.external_id,
            dedup_key=key,
            payload=_jsonable(item.raw),
        )
        versions.setdefault(item.external_id, []).append((item, key, account))
    network = entries[0][0].network
    prepared = _Prepared(network, source, rules, raws, versions, {}, {}, {})
    if not versions:
        return prepared
    prepared.known = dict(
        Item.objects.filter(network=network, external_id__in=versions).values_list("external_id", "conversation_id")
    )
    firsts = [heard[0] for external_id, heard in versions.items() if external_id not in prepared.known]
    prepared.deliveries = _our_deliveries({(account.pk, item.answers_post_id) for item, _key, account in firsts})
    for item, key, account in firsts:
        delivery = prepared.deliveries.get((account.pk, item.answers_post_id))
        crisis = (False, True) if delivery is not None and delivery.message.priority == Priority.CRISIS else (False,)
        for answers_crisis_alert in crisis:
            prepared.verdicts[(key, account.pk, answers_crisis_alert)] = triage.triage_text(
                rules,
                mission_id=account.mission_id,
                network=item.network,
                text=item.text,
                author_id=item.author_id,
                author_handle=item.author_handle,
                hint=item.language,
                answers_crisis_alert=answers_crisis_alert,
            )
    return prepared


class _Raced(Exception):
    """Another process created one of the batch's items after the batch looked."""


def _batch_with_retries(prepared: _Prepared) -> IngestResult:
    for attempt in range(1, ATTEMPTS + 1):
        try:
            with transaction.atomic():
                return _ingest_batch(prepared)
        except _Raced:
            if attempt == ATTEMPTS:
                raise DatabaseError("Items of this batch kept being created by another process.") from None
    raise AssertionError("unreachable")


@dataclass
class _Batch:
    """What one batch has decided, written at its end in one statement per table."""

    rules: triage.RuleSet
    now: datetime
    prepared: _Prepared
    events: list[ConversationEvent] = field(default_factory=list)
    conversations: dict[int, Conversation] = field(default_factory=dict)  # locked, by pk
    grown: dict[int, Conversation] = field(default_factory=dict)  # with a new item
    escalated: dict[int, Conversation] = field(default_factory=dict)
    new_items: list[Item] = field(default_factory=list)
    changed_items: dict[int, Item] = field(default_factory=dict)
    # A rule's proposal to hide a new item, with its event's details (the proposal's pk is
    # known only once written, after the items).
    proposals: list[tuple[ModerationAction, dict[str, Any]]] = field(default_factory=list)

    def event(self, verb: str, conversation: Conversation, item: Item | None = None, **fields: Any) -> None:
        fields.setdefault("created_at", self.now)
        self.events.append(
            ConversationEvent(**_event_fields(verb=verb, conversation=conversation, item=item, **fields))
        )


def _ingest_batch(prepared: _Prepared) -> IngestResult:
    result = IngestResult()
    batch = _Batch(rules=prepared.rules, now=timezone.now(), prepared=prepared)

    # The raw events: what the INSERT skips was received meanwhile, and applied then.
    for raw in prepared.raws.values():
        raw.received_at = batch.now
    raw_ids = _insert_new(RawEvent, [prepared.raws[key] for key in sorted(prepared.raws)], key="dedup_key")
    versions: dict[str, list[tuple[HeardItem, str, int, SocialAccount]]] = {}
    for external_id, heard in prepared.versions.items():
        for item, key, account in heard:
            if key in raw_ids:
                versions.setdefault(external_id, []).append((item, key, raw_ids[key], account))
            else:
                result.unchanged += 1
    if not versions:
        return result

    known = {external_id: prepared.known[external_id] for external_id in versions if external_id in prepared.known}
    # Triage before threading: an item that threatens or exposes a person threads apart, in
    # a protected conversation (issue 15 §7), whatever it answers.
    protected = {
        external_id: _verdict(batch, heard[0][0], heard[0][1], heard[0][3], crisis=False).protected
        for external_id, heard in versions.items()
        if external_id not in known
    }
    by_thread = _conversations_locked(
        batch,
        conversation_ids=set(known.values()),
        new=[
            (versions[external_id][0][0], versions[external_id][0][3], reason)
            for external_id, reason in protected.items()
        ],
    )
    rows = {
        row.external_id: row
        for row in Item.objects.select_for_update()
        .filter(network=prepared.network, external_id__in=versions)
        .order_by("pk")
    }

    for external_id, received in versions.items():
        row = rows.get(external_id)
        rest = received
        if row is None:
            (item, key, raw_id, account), rest = received[0], received[1:]
            conversation = by_thread[(account.pk, _thread_of(item, protected[external_id]))]
            row = _create(batch, item=item, key=key, raw_id=raw_id, account=account, conversation=conversation)
            result.created += 1
        for item, _key, raw_id, _account in rest:
            outcome = _update(batch, row, item=item, raw_id=raw_id)
            setattr(result, outcome, getattr(result, outcome) + 1)

    _write(batch)
    return result


def _insert_new(model: type[models.Model], objs: list, *, key: str | tuple[str, ...]) -> dict[Any, int]:
    """INSERT … ON CONFLICT DO NOTHING RETURNING (PostgreSQL, SQLite ≥ 3.35): the pk of each
    row this statement inserted, by `key` (a tuple of values when `key` names several
    fields); a row already there (or being inserted by a transaction that commits first)
    is skipped."""
    if not objs:
        return {}
    meta = model._meta
    fields = [f for f in meta.concrete_fields if not f.primary_key]
    size = max(1, (connection.features.max_query_params or 65_000) // len(fields))
    inserted: dict[Any, int] = {}
    with connection.cursor() as cursor:
        for start in range(0, len(objs), size):
            query = InsertQuery(model, on_conflict=OnConflict.IGNORE)
            query.insert_values(fields, objs[start : start + size])
            compiler = query.get_compiler(connection=connection)
            names = key if isinstance(key, tuple) else (key,)
            compiler.returning_fields = [meta.pk, *(meta.get_field(name) for name in names)]
            for sql, params in compiler.as_sql():
                cursor.execute(sql, params)
                for pk, *values in cursor.fetchall():
                    inserted[tuple(values) if isinstance(key, tuple) else values[0]] = pk
    return inserted


def _update_rows(model: type[models.Model], objs: list, field_names: list[str]) -> None:
    """One UPDATE … SET column = CASE pk WHEN … END per chunk, as `bulk_update` writes it,
    without its ORM expressions (most of a small batch's CPU when it built them)."""
    meta = model._meta
    fields = [cast(models.Field, meta.get_field(name)) for name in field_names]
    quote = connection.ops.quote_name
    casted = connection.features.requires_casted_case_in_updates
    pk = quote(str(meta.pk.column))
    size = max(1, (connection.features.max_query_params or 65_000) // (2 * len(fields) + 1))
    with connection.cursor() as cursor:
        for start in range(0, len(objs), size):
            chunk = objs[start : start + size]
            sets: list[str] = []
            params: list[Any] = []
            for f in fields:
                then = f"CAST(%s AS {f.cast_db_type(connection)})" if casted else "%s"
                sets.append(f"{quote(str(f.column))} = CASE {pk} {' '.join(['WHEN %s THEN ' + then] * len(chunk))} END")
                for obj in chunk:
                    params += [obj.pk, f.get_db_prep_save(getattr(obj, f.attname), connection)]
            params += [obj.pk for obj in chunk]
            # Names are the model's own, quoted; every value is a parameter.
            sql = (
                f"UPDATE {quote(meta.db_table)} SET {', '.join(sets)} WHERE {pk} IN ({', '.join(['%s'] * len(chunk))})"  # noqa: S608  # nosec B608: names from the model, values as parameters
            )
            cursor.execute(sql, params)


def _thread_of(item: HeardItem, protected: str) -> str:
    """The conversation's thread id: the item's, or its protected twin's."""
    return f"{PROTECTED_THREAD}{item.thread_id}" if protected else item.thread_id


def _conversations_locked(
    batch: _Batch, *, conversation_ids: set[int], new: Iterable[tuple[HeardItem, SocialAccount, str]]
) -> dict[tuple[int, str], Conversation]:
    """Lock the conversations of the batch's items, those of its new threads created first
    (and "started"); returns the new items' conversations by account and thread id
    (`_thread_of`). `new` is each new item with its account and why it is protected (a
    ProtectedReason, or "")."""
    threads: dict[tuple[int, str], tuple[HeardItem, SocialAccount, str]] = {}
    for item, account, protected in new:
        threads.setdefault((account.pk, _thread_of(item, protected)), (item, account, protected))
    started = _insert_new(
        Conversation,
        [
            Conversation(
                mission_id=account.mission_id,
                account=account,
                network=account.network,
                thread_id=thread_id,
                last_item_at=item.created_at,
                created_at=batch.now,
                restricted_at=batch.now if protected else None,
                restricted_reason=protected,
            )
            for (_account_pk, thread_id), (item, account, protected) in sorted(threads.items())
        ],
        key=("account", "thread_id"),
    )
    if not conversation_ids and not threads:
        return {}
    locked = (
        Conversation.objects.select_for_update()
        .filter(
            models.Q(pk__in=conversation_ids)
            | models.Q(
                account_id__in={account_pk for account_pk, _thread in threads},
                thread_id__in={thread_id for _account_pk, thread_id in threads},
            )
        )
        .order_by("pk")
    )
    batch.conversations = {conversation.pk: conversation for conversation in locked}
    by_thread = {
        (conversation.account_id, conversation.thread_id): conversation
        for conversation in batch.conversations.values()
        if (conversation.account_id, conversation.thread_id) in threads
    }
    newly_protected: list[Conversation] = []
    for thread_key in sorted(by_thread, key=lambda thread_key: by_thread[thread_key].pk):
        conversation, protected = by_thread[thread_key], threads[thread_key][2]
        if thread_key in started:
            batch.event("conversation.started", conversation, to_status=conversation.status)
        elif protected and conversation.restricted_at is None:
            # A protected thread given back to the desk, threatened again, is protected
            # again (locked: written with the batch's other changes to it).
            conversation.restricted_at, conversation.restricted_reason = batch.now, protected
        else:
            continue
        if protected:
            batch.event("conversation.protected", conversation, details={"reason": protected})
            newly_protected.append(conversation)
    tell_human_rights_officers(newly_protected)
    return by_thread


def _our_deliveries(wanted: set[tuple[int, str]]) -> dict[tuple[int, str], Delivery]:
    """Our deliveries by (account pk, post id), of the pairs `wanted`."""
    wanted = {(account_pk, post_id) for account_pk, post_id in wanted if post_id}
    if not wanted:
        return {}
    found: dict[tuple[int, str], Delivery] = {}
    for delivery in (
        Delivery.objects.filter(
            account_id__in={account_pk for account_pk, _post in wanted},
            external_id__in={post_id for _account, post_id in wanted},
            state__in=DELIVERY_REACHED_NETWORK,
        )
        .select_related("message")
        .order_by("pk")
    ):
        if (delivery.account_id, delivery.external_id) in wanted:
            found.setdefault((delivery.account_id, delivery.external_id), delivery)
    return found


def _write(batch: _Batch) -> None:
    """The batch's decisions, one statement per table."""
    inserted = _insert_new(Item, batch.new_items, key="external_id")
    if len(inserted) != len(batch.new_items):
        raise _Raced
    for row in batch.new_items:
        row.pk = inserted[row.external_id]
    if batch.changed_items:
        for row in batch.changed_items.values():
            row.updated_at = batch.now
        _update_rows(Item, list(batch.changed_items.values()), ITEM_CHANGES)
    if batch.grown:
        for conversation in batch.grown.values():
            conversation.updated_at = batch.now
        _update_rows(Conversation, list(batch.grown.values()), CONVERSATION_CHANGES)
    if batch.proposals:
        ModerationAction.objects.bulk_create([proposal for proposal, _details in batch.proposals])
        for proposal, details in batch.proposals:
            details["action"] = proposal.pk
    ConversationEvent.objects.bulk_create(batch.events)
    # Rare (global time): announced as the clocks' escalations are, once the event has its id.
    for event in batch.events:
        if event.verb == ESCALATED and event.conversation_id in batch.escalated:
            conversation = batch.escalated.pop(event.conversation_id)
            escalation_announce(conversation, event_id=event.pk, reason=event.details["reason"])


ITEM_CHANGES = [
    "created_at_network",
    "deleted_at",
    "text",
    "language",
    "edited_at",
    "version_at",
    "raw_event",
    "updated_at",
]
CONVERSATION_CHANGES = [
    "item_count",
    "last_item_at",
    "delivery",
    "status",
    "category",
    "priority",
    "language",
    "tags",
    "due_at",
    "warn_at",
    "warned_at",
    "escalated_at",
    "restricted_at",
    "restricted_reason",
    "updated_at",
]


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


def _verdict(batch: _Batch, item: HeardItem, key: str, account: SocialAccount, *, crisis: bool) -> triage.Verdict:
    """The item's verdict, as triaged before the transaction (or now, for a version that
    was not the first heard then: its first was received by another process meanwhile)."""
    verdicts = batch.prepared.verdicts
    if (key, account.pk, crisis) not in verdicts:
        verdicts[(key, account.pk, crisis)] = triage.triage_text(
            batch.rules,
            mission_id=account.mission_id,
            network=item.network,
            text=item.text,
            author_id=item.author_id,
            author_handle=item.author_handle,
            hint=item.language,
            answers_crisis_alert=crisis,
        )
    return verdicts[(key, account.pk, crisis)]


def _create(
    batch: _Batch, *, item: HeardItem, key: str, raw_id: int, account: SocialAccount, conversation: Conversation
) -> Item:
    prepared = batch.prepared
    delivery = None if conversation.delivery_id else prepared.deliveries.get((account.pk, item.answers_post_id))
    crisis = delivery is not None and delivery.message.priority == Priority.CRISIS
    verdict = _verdict(batch, item, key, account, crisis=crisis)
    row = Item(
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
        deleted_at=batch.now if item.deleted else None,
        first_seen_at=batch.now,
        raw_event_id=raw_id,
    )
    if conversation.restricted_at is not None:
        row.kept_as = row.as_evidence()
    batch.new_items.append(row)
    _thread(batch, conversation, row, delivery=delivery, verdict=verdict)
    _propose_hiding(batch, conversation, row, verdict=verdict)
    return row


def _propose_hiding(batch: _Batch, conversation: Conversation, row: Item, *, verdict: triage.Verdict) -> None:
    """A rule that finds spam or a scam proposes hiding the item; a person confirms or
    dismisses it (conversations.services.moderation). Nothing is hidden here."""
    if verdict.category != Category.SPAM or not row.may_be_hidden or row.deleted_at is not None:
        return
    proposal = ModerationAction(
        item=row,
        mission_id=conversation.mission_id,
        action=ModerationAction.Action.HIDE,
        reason=HideReason.SPAM,
        rule=(verdict.rule or "spam")[:200],
        state=ModerationState.PROPOSED,
        evidence=row.as_evidence(),
        created_at=batch.now,
    )
    details: dict[str, Any] = {"action": None, "rule": proposal.rule, "reason": proposal.reason}
    batch.proposals.append((proposal, details))
    batch.event("item.hide_proposed", conversation, row, details=details)


def _thread(
    batch: _Batch, conversation: Conversation, row: Item, *, delivery: Delivery | None, verdict: triage.Verdict
) -> None:
    """Count the new item in its conversation, link our post, reopen a finished one, and
    apply triage: the rules' verdict, the service clock, and "global time". The
    conversation is locked and changed in memory, item after item, and written once."""
    changes: dict[str, Any] = {"item_count": conversation.item_count + 1}
    if row.created_at_network > conversation.last_item_at:
        changes["last_item_at"] = row.created_at_network
    if conversation.delivery_id is None and delivery is not None:
        changes["delivery"] = delivery
        batch.event("conversation.linked_to_post", conversation, row, details={"delivery": delivery.pk})
    reopened = conversation.status in CONVERSATION_REOPENED_BY_NEW_ITEM
    if reopened:
        changes["status"] = Conversation.Status.OPEN
        batch.event(
            "conversation.reopened",
            conversation,
            row,
            from_status=conversation.status,
            to_status=Conversation.Status.OPEN,
        )
    triaged = triage.merge(conversation, verdict)
    changes.update(triaged)
    changes.update(_clock(batch, conversation, triaged, reopened=reopened, item=row))
    details = {"triage": {**triaged, "rule": verdict.rule}} if triaged else {}
    batch.event("conversation.item_added", conversation, row, details=details)
    for name, value in changes.items():
        setattr(conversation, name, value)
    batch.grown[conversation.pk] = conversation
    if changes.get("escalated_at"):
        batch.escalated[conversation.pk] = conversation


def _clock(
    batch: _Batch, conversation: Conversation, triaged: dict[str, Any], *, reopened: bool, item: Item
) -> dict[str, Any]:
    """The service clock's fields that this item changes: a clock starts when the mission
    comes to owe an answer (a new conversation, a reopened one) and comes forward when the
    conversation becomes more urgent; "global time" offers it to headquarters at once."""
    rules, now = batch.rules, batch.now
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
            batch.event(ESCALATED, conversation, item, details={"reason": why})
    return changes


def _update(batch: _Batch, row: Item, *, item: HeardItem, raw_id: int) -> str:
    """Apply a later version to a stored item (or to one created in this batch), in memory."""
    changed = False
    conversation = batch.conversations.get(row.conversation_id) or row.conversation
    if item.created_at < row.created_at_network:
        # Heard an edit first: on X an edit is a new post, with its own time.
        row.created_at_network = item.created_at
        changed = True
    if item.deleted and row.deleted_at is None:
        row.deleted_at = batch.now
        changed = True
        batch.event("item.deleted", conversation, row)
    if _newer(item, row):
        was_known = row.version_at is not None
        # An edit may change the language, never the conversation's triage (a person's now).
        language = detect_language(item.text, hint=item.language) or item.language
        row.text, row.language = item.text, language[:16] or row.language
        row.edited_at, row.version_at = item.edited_at, _version(item)
        row.raw_event_id = raw_id
        changed = True
        if was_known:
            batch.event("item.edited", conversation, row)
    if not changed:
        return "unchanged"
    if row.pk is not None:
        batch.changed_items[row.pk] = row
    return "updated"
