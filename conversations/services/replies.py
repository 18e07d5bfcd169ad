"""Replies to the public: written, cleared at the level the policy asks, and sent exactly
once through the same discipline as deliveries.

- `reply_write`: a person writes a reply to one item of a conversation (a library line,
  edited or not, or free text; drafted by machine translation, it is level 1 at least). The
  policy gives its clearance level: 0 goes at once, 1 and 2 wait for a clearer
  (`reply_clear` or `reply_return`). A form sent twice is one reply.
- `reply_send` (the worker, `conversations.send_reply`): claims the reply with a
  conditional UPDATE (`queued` -> `sending`) committed before the network call, re-checks
  it (the item not deleted meanwhile), calls the adapter, and records the outcome: sent;
  retry later (rate limited, or surely not sent); `unknown` when the request may have
  arrived; failed for good otherwise.
- `reply_reconcile` (`conversations.reconcile_reply`): an unknown outcome is settled by
  looking for our reply in the thread; found, it is sent; not found, it is queued again.
- `replies_sweep` (beat): what the broker or a dead worker lost, the database still knows.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import cast

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.db.models.functions import Coalesce
from django.utils import timezone

from channels import services as channel_services
from channels.adapters.answering import (
    PRIVATE_REPLY_DAYS,
    Answered,
    Answerer,
    PrivateReplier,
    ReplyTarget,
    reply_problems,
)
from channels.adapters.base import AdapterError, AuthError, PermanentError, RateLimited, TransientError
from channels.models import Network
from conversations import clearance
from conversations import reply_selectors as selectors
from conversations.lifecycle import (
    CONVERSATION_TRANSITIONS,
    REPLY_IN_FLIGHT,
    REPLY_ON_ITS_WAY,
    REPLY_PENDING,
    REPLY_TRANSITIONS,
    ConversationStatus,
    ReplyKind,
    ReplyState,
)
from conversations.models import AnswerLine, Conversation, Item, Reply
from conversations.services import triage
from conversations.services.ingest import record_event
from diplomacy_hub import policy
from diplomacy_hub.tasks import enqueue_on_commit
from posts import ratelimit
from posts.services.outcomes import backoff_seconds

logger = logging.getLogger(__name__)

State = ReplyState
SEND_TASK = "conversations.send_reply"
RECONCILE_TASK = "conversations.reconcile_reply"
SWEEP_BATCH = 500


def problem(code: str, **params) -> ValidationError:
    """A refusal worded by its code (posts.problems), in the reader's language."""
    return ValidationError(code, code=code, params=params)


# --- Writing and clearing ---------------------------------------------------------------------


@dataclass(frozen=True)
class ReplyDraft:
    """What the reply form gives."""

    item_id: int
    text: str
    line_id: int | None = None
    kind: str = ReplyKind.PUBLIC
    individual_case: bool = False
    idempotency_key: str = ""
    # Drafted by machine translation: its provider, and the officer's text before it.
    translation: MachineTranslation | None = None


@dataclass(frozen=True)
class MachineTranslation:
    """How a reply's text was drafted by machine: the provider, and what the officer wrote
    (in `language`) before it was translated."""

    provider: str
    drafted_text: str
    language: str = ""


def reply_write(*, actor, conversation_id: int, draft: ReplyDraft) -> Reply:
    """Write a reply; at level 0 it is queued at once, else it awaits clearance. The same
    `idempotency_key` twice gives the first reply back, unchanged."""
    key = (draft.idempotency_key or "")[:64]
    if not key:
        raise problem("reply.form_expired")
    with transaction.atomic():
        conversation = (
            Conversation.objects.select_for_update().select_related("mission", "account").get(pk=conversation_id)
        )
        policy.require(actor, "reply.write", conversation)
        # Under the conversation's lock: a form sent twice at once finds the first reply here.
        existing = Reply.objects.filter(idempotency_key=key, conversation=conversation, author=actor).first()
        if existing is not None:
            return existing
        item = conversation.items.filter(pk=draft.item_id).first()
        if item is None:
            raise problem("reply.item_elsewhere")
        _check_draft(conversation, item, draft)
        line = AnswerLine.objects.filter(pk=draft.line_id).first() if draft.line_id else None
        if draft.line_id and line is None:
            raise problem("reply.line_unknown")
        level, reasons, ratio = _level(conversation, item, draft, line)
        now = timezone.now()
        alone = level == policy.LEVEL_ALONE
        reply = Reply(
            conversation=conversation,
            item=item,
            mission_id=conversation.mission_id,
            account_id=conversation.account_id,
            kind=draft.kind,
            text=draft.text,
            language=item.language or conversation.language,
            level=level,
            level_reasons=reasons,
            line=line,
            edit_ratio=ratio,
            machine_translated=draft.translation is not None,
            translation_provider=draft.translation.provider[:100] if draft.translation else "",
            drafted_text=draft.translation.drafted_text if draft.translation else "",
            drafted_language=draft.translation.language[:16] if draft.translation else "",
            author=actor,
            state=State.QUEUED if alone else State.AWAITING_CLEARANCE,
            idempotency_key=key,
            created_at=now,
            state_changed_at=now,
            queued_at=now if alone else None,
            next_attempt_at=now if alone else None,
        )
        try:
            with transaction.atomic():
                reply.save()
        except IntegrityError:
            # Facebook's one private reply per comment (the constraint), or the same form
            # sent twice at once.
            raise problem(
                "private_reply.already_sent" if draft.kind == ReplyKind.PRIVATE else "reply.conflict"
            ) from None
        details = {"reply": reply.pk, "level": level, "reasons": reasons, "kind": draft.kind}
        if line is not None:
            details |= {"line": line.pk, "line_version": line.version, "edit_ratio": ratio}
        if draft.translation is not None:
            details |= {"machine_translated": draft.translation.provider}
        if alone:
            record_event(verb="reply.queued", conversation=conversation, item=item, actor=actor, details=details)
            _enqueue_send(reply)
        else:
            record_event(verb="reply.drafted", conversation=conversation, item=item, actor=actor, details=details)
            _move_conversation(conversation, ConversationStatus.AWAITING_CLEARANCE, actor=actor)
    return reply


def _check_draft(conversation: Conversation, item: Item, draft: ReplyDraft) -> None:
    if item.deleted_at is not None:
        raise problem("reply.target_gone", network=conversation.network)
    text_problems = reply_problems(conversation.network, draft.text)
    if text_problems:
        said = text_problems[0]
        raise problem(said.code, **said.params)
    if draft.kind == ReplyKind.PRIVATE:
        if conversation.network != Network.FACEBOOK or item.kind not in (Item.Kind.COMMENT, Item.Kind.REPLY):
            raise problem("private_reply.not_possible")
        if timezone.now() - item.created_at_network > timedelta(days=PRIVATE_REPLY_DAYS):
            raise problem("private_reply.expired", network=conversation.network)
    elif draft.kind != ReplyKind.PUBLIC:
        raise problem("reply.kind_unknown")
    else:
        line = AnswerLine.objects.filter(pk=draft.line_id).first() if draft.line_id else None
        found = clearance.personal_data(draft.text, allowed=line.text if line else "")
        if found:
            raise problem("reply.personal_data", kinds=found)
    if Reply.objects.filter(item=item, state__in=REPLY_PENDING).exists():
        raise problem("reply.conflict")


def _level(
    conversation: Conversation, item: Item, draft: ReplyDraft, line: AnswerLine | None
) -> tuple[int, list[str], float | None]:
    ratio = None
    if line is not None:
        ratio = clearance.edit_ratio(
            clearance.fill_line(line.text, selectors.line_values(conversation, item, language=line.language)),
            draft.text,
        )
    language = item.language or conversation.language
    level, reasons = policy.reply_clearance(
        category=conversation.category,
        line_used=line is not None,
        line_in_force=line is not None and line.in_force(),
        line_language_matches=line is not None and bool(language) and line.language == language,
        edit_ratio=ratio,
        crisis_line=line is not None and line.crisis,
        alert_active=line is not None and line.crisis and selectors.crisis_alert_active(conversation.mission_id),
        author_listed=selectors.author_listed(conversation, item),
        individual_case=draft.individual_case,
        machine_translated=draft.translation is not None,
    )
    return level, reasons, ratio


def reply_clear(*, actor, reply_id: int, note: str = "") -> Reply:
    """A clearer lets the reply go: it is queued at once. Clearing a reply already cleared
    changes nothing."""
    with transaction.atomic():
        reply = _locked(reply_id)
        policy.require(actor, "reply.clear", reply)
        if reply.cleared_by_id is not None:
            return reply
        _require(reply, State.QUEUED)
        if reply.item.deleted_at is not None:
            raise problem("reply.target_gone", network=reply.conversation.network)
        now = timezone.now()
        Reply.objects.filter(pk=reply.pk).update(
            state=State.QUEUED,
            cleared_by=actor,
            cleared_at=now,
            clearance_note=note[:2000],
            queued_at=now,
            next_attempt_at=now,
            state_changed_at=now,
        )
        record_event(
            verb="reply.cleared",
            conversation=reply.conversation,
            item=reply.item,
            actor=actor,
            details={"reply": reply.pk, "waited_seconds": round((now - reply.created_at).total_seconds(), 1)},
        )
        reply.refresh_from_db()
        _enqueue_send(reply)
    return reply


def reply_return(*, actor, reply_id: int, note: str) -> Reply:
    """A clearer sends the reply back to its writer, saying why; the conversation is open again."""
    if not note.strip():
        raise problem("reply.return_needs_reason")
    with transaction.atomic():
        reply = _locked(reply_id)
        policy.require(actor, "reply.return", reply)
        if reply.state == State.RETURNED:
            return reply
        _require(reply, State.RETURNED)
        now = timezone.now()
        Reply.objects.filter(pk=reply.pk).update(
            state=State.RETURNED, cleared_by=actor, cleared_at=now, clearance_note=note[:2000], state_changed_at=now
        )
        record_event(
            verb="reply.returned",
            conversation=reply.conversation,
            item=reply.item,
            actor=actor,
            details={"reply": reply.pk, "note": note[:2000]},
        )
        if not reply.conversation.replies.filter(state=State.AWAITING_CLEARANCE).exclude(pk=reply.pk).exists():
            _move_conversation(reply.conversation, ConversationStatus.OPEN, actor=actor)
        reply.refresh_from_db()
    return reply


def _locked(reply_id: int) -> Reply:
    return (
        Reply.objects.select_for_update(of=("self",)).select_related("conversation", "item", "mission").get(pk=reply_id)
    )


def _require(reply: Reply, target: str) -> None:
    if target not in REPLY_TRANSITIONS[reply.state]:
        raise problem("reply.not_now", reply_state=str(reply.get_state_display()))


def _move_conversation(conversation: Conversation, status: str, *, actor=None) -> None:
    """The conversation follows its replies where its life cycle allows."""
    current = Conversation.objects.filter(pk=conversation.pk).values_list("status", flat=True).first()
    if current is None or current == status or status not in CONVERSATION_TRANSITIONS[current]:
        return
    Conversation.objects.filter(pk=conversation.pk, status=current).update(status=status, updated_at=timezone.now())
    record_event(
        verb="conversation.status", conversation=conversation, actor=actor, from_status=current, to_status=status
    )


def _enqueue_send(reply: Reply) -> None:
    Reply.objects.filter(pk=reply.pk).update(enqueued_at=timezone.now())
    enqueue_on_commit(SEND_TASK, calls=[((reply.pk,), {})], what=f"reply {reply.pk}")


# --- Sending ------------------------------------------------------------------------------------


def target_of(reply: Reply) -> ReplyTarget:
    item = reply.item
    return ReplyTarget(
        item_id=item.external_id,
        thread_id=reply.conversation.network_thread_id
        if reply.conversation.network != Network.FLICKR
        else item.parent_id,
        kind=item.kind,
        post_id=item.answers_post_id,
    )


def reply_send(*, reply_id: int) -> str:
    """Send one queued reply, at most once; does nothing unless it is `queued` and due.
    Returns what became of it."""
    now = timezone.now()
    wait = _budget_wait(reply_id, now)
    if wait is not None:
        return wait
    with transaction.atomic():
        claimed = Reply.objects.filter(
            Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now), pk=reply_id, state=State.QUEUED
        ).update(
            state=State.SENDING,
            attempts=F("attempts") + 1,
            first_attempt_at=Coalesce(F("first_attempt_at"), now),
            state_changed_at=now,
        )
        if not claimed:
            return "skipped"
        reply = Reply.objects.select_related("conversation", "item", "account", "mission").get(pk=reply_id)
        if reply.item.deleted_at is not None:
            _finish_failed(reply, "reply.target_gone", {"network": reply.conversation.network}, "The item was deleted.")
            return State.FAILED
    # Committed: the reply is `sending`. Now the network.
    try:
        answered = _call(reply)
    except RateLimited as limited:
        return _retry(reply, seconds=limited.retry_after, error=limited)
    except AuthError as refused:
        channel_services.account_mark_expired(reply.account, str(refused.detail))
        return _finish_failed(reply, refused.code or "reply.account_refused", dict(refused.params), refused.detail)
    except TransientError as failed:
        if failed.request_sent:
            return _unknown(reply, failed.detail)
        if reply.attempts >= settings.PUBLISH_MAX_ATTEMPTS:
            return _finish_failed(reply, failed.code, dict(failed.params), failed.detail)
        return _retry(reply, seconds=backoff_seconds(reply.attempts), error=failed)
    except PermanentError as refused:
        if refused.code == "private_reply.already_sent" and reply.attempts > 1:
            # Our earlier attempt, whose answer was lost, did go: Facebook says so.
            return _finish_sent(reply, Answered(external_id="", url=""), found=True)
        return _finish_failed(reply, refused.code, dict(refused.params), refused.detail)
    except AdapterError as failed:
        return _unknown(reply, failed.detail)
    except Exception:
        logger.exception("Reply %s: the call failed before its outcome", reply.pk)
        return _unknown(reply, "The call failed before its outcome.")
    return _finish_sent(reply, answered)


def answerer_for(account) -> Answerer:
    return cast(Answerer, channel_services.adapter_for(account))


def _budget_wait(reply_id: int, now: datetime) -> str | None:
    """Our own budget of the network's posting limits (settings.PUBLISH_RATE_LIMITS: a reply
    is a post to X, a comment to Facebook...): replies whose first call left within the
    window, per account and per network. Over it, the reply stays queued until a slot
    frees (the sweeper hands it over then) and this returns "rate_limited"; else None."""
    row = Reply.objects.filter(pk=reply_id, state=State.QUEUED).values("account_id", "account__network").first()
    if row is None:
        return None
    windows = ratelimit.configured_limits().get(row["account__network"], {})
    frees: list[datetime] = []
    for level, window in windows.items():
        since = now - timedelta(seconds=window.seconds)
        scope = (
            {"account_id": row["account_id"]} if level == "account" else {"account__network": row["account__network"]}
        )
        started = Reply.objects.filter(first_attempt_at__gte=since, **scope).exclude(pk=reply_id)
        if started.count() >= window.calls:
            oldest = started.order_by("first_attempt_at").values_list("first_attempt_at", flat=True).first()
            frees.append((oldest or now) + timedelta(seconds=window.seconds))
    if not frees:
        return None
    Reply.objects.filter(pk=reply_id, state=State.QUEUED).update(next_attempt_at=max(frees), enqueued_at=None)
    return "rate_limited"


def _call(reply: Reply) -> Answered:
    credentials = channel_services.credentials_for_use(reply.account)
    if reply.kind == ReplyKind.PRIVATE:
        private = cast(PrivateReplier, channel_services.adapter_for(reply.account))
        return private.private_reply(credentials, comment_id=reply.item.external_id, text=reply.text)
    return answerer_for(reply.account).reply(credentials, target=target_of(reply), text=reply.text)


def _finish(reply: Reply, *, from_states: frozenset[str] | tuple[str, ...], **fields) -> bool:
    """Move the reply on from where it stood (a conditional UPDATE: the sweeper may have
    moved it meanwhile, and then this outcome is not ours to record)."""
    now = timezone.now()
    return bool(Reply.objects.filter(pk=reply.pk, state__in=from_states).update(state_changed_at=now, **fields))


def _finish_sent(reply: Reply, answered: Answered, *, found: bool = False) -> str:
    now = timezone.now()
    with transaction.atomic():
        done = _finish(
            reply,
            from_states=REPLY_IN_FLIGHT,
            state=State.SENT,
            sent_at=now,
            external_id=answered.external_id[:200],
            url=answered.url[:500],
            next_attempt_at=None,
            error_code="",
            last_error="",
        )
        if done:
            record_event(
                verb="reply.found" if found else "reply.sent",
                conversation=reply.conversation,
                item=reply.item,
                details={"reply": reply.pk, "external_id": answered.external_id},
            )
            _move_conversation(reply.conversation, ConversationStatus.RESOLVED)
            _first_answer(reply.conversation_id, now)
    return State.SENT


def _first_answer(conversation_id: int, at: datetime) -> None:
    """Stamp the conversation's first answer and how long it took in the service clock's
    time, once (the dialogue's measures read them by index, without a join)."""
    row = (
        Conversation.objects.filter(pk=conversation_id, first_answered_at__isnull=True)
        .values("mission_id", "category", "created_at")
        .first()
    )
    if row is None:
        return
    took = triage.answer_time(
        triage.rules(), mission_id=row["mission_id"], category=row["category"], start=row["created_at"], end=at
    )
    Conversation.objects.filter(pk=conversation_id, first_answered_at__isnull=True).update(
        first_answered_at=at, first_answer_seconds=int(took.total_seconds())
    )


def _finish_failed(reply: Reply, code: str, params: dict, detail: str) -> str:
    with transaction.atomic():
        done = _finish(
            reply,
            from_states=REPLY_ON_ITS_WAY,
            state=State.FAILED,
            next_attempt_at=None,
            error_code=code[:64],
            error_params=params,
            last_error=str(detail)[:500],
        )
        if done:
            record_event(
                verb="reply.failed",
                conversation=reply.conversation,
                item=reply.item,
                details={"reply": reply.pk, "code": code, "error": str(detail)[:500]},
            )
            _move_conversation(reply.conversation, ConversationStatus.OPEN)
    return State.FAILED


def _retry(reply: Reply, *, seconds: float, error: AdapterError) -> str:
    """Surely not sent: queued again, due after `seconds` (the sweeper hands it over then)."""
    _finish(
        reply,
        from_states=(State.SENDING,),
        state=State.QUEUED,
        next_attempt_at=timezone.now() + timedelta(seconds=seconds),
        enqueued_at=None,
        error_code=error.code[:64],
        error_params=dict(error.params),
        last_error=str(error.detail)[:500],
    )
    return State.QUEUED


def _unknown(reply: Reply, detail: str) -> str:
    with transaction.atomic():
        done = _finish(
            reply,
            from_states=(State.SENDING,),
            state=State.UNKNOWN,
            next_attempt_at=timezone.now() + timedelta(seconds=settings.RECONCILE_DELAY),
            last_error=str(detail)[:500],
        )
        if done:
            record_event(
                verb="reply.unknown",
                conversation=reply.conversation,
                item=reply.item,
                details={"reply": reply.pk, "error": str(detail)[:500]},
            )
    return State.UNKNOWN


# --- Settling an unknown outcome -------------------------------------------------------------------


def reply_reconcile(*, reply_id: int) -> str:
    """Look for our reply on the network: found, it is sent; not found, it is queued again
    (the network does not have it, so sending it is not sending it twice). A network that
    cannot tell leaves it unknown, asked again later; after RECONCILE_MAX_ROUNDS it waits
    for a person. A Facebook private reply cannot be looked for: it is queued again, and
    Facebook's refusal of a second one says the first went."""
    reply = Reply.objects.select_related("conversation", "item", "account").filter(pk=reply_id).first()
    if reply is None or reply.state != State.UNKNOWN:
        return "skipped"
    if reply.kind == ReplyKind.PRIVATE:
        return _queue_again(reply)
    since = (reply.first_attempt_at or reply.created_at) - timedelta(seconds=settings.RECONCILE_MARGIN)
    try:
        credentials = channel_services.credentials_for_use(reply.account)
        found = answerer_for(reply.account).find_reply(
            credentials, target=target_of(reply), text=reply.text, since=since
        )
    except PermanentError as refused:
        if refused.code == "reply.target_gone":
            # The item is gone, and our reply with it if it was there: nothing to send.
            return _finish_failed(reply, refused.code, dict(refused.params), refused.detail)
        return _ask_again_later(reply, refused.detail)
    except AdapterError as failed:
        return _ask_again_later(reply, failed.detail)
    if found is not None:
        return _finish_sent(reply, found, found=True)
    return _queue_again(reply)


def _queue_again(reply: Reply) -> str:
    now = timezone.now()
    with transaction.atomic():
        if _finish(reply, from_states=(State.UNKNOWN,), state=State.QUEUED, next_attempt_at=now, enqueued_at=now):
            enqueue_on_commit(SEND_TASK, calls=[((reply.pk,), {})], what=f"reply {reply.pk}")
    return State.QUEUED


def _ask_again_later(reply: Reply, detail: str) -> str:
    rounds = reply.reconcile_rounds + 1
    later = (
        timezone.now() + timedelta(seconds=settings.RECONCILE_RETRY_DELAY)
        if rounds < settings.RECONCILE_MAX_ROUNDS
        else None  # a person settles it
    )
    _finish(
        reply,
        from_states=(State.UNKNOWN,),
        state=State.UNKNOWN,
        reconcile_rounds=rounds,
        next_attempt_at=later,
        last_error=str(detail)[:500],
    )
    return State.UNKNOWN


# --- The sweeper ------------------------------------------------------------------------------------


@dataclass
class RepliesSwept:
    sent_again: list[int] = field(default_factory=list)
    unknown: list[int] = field(default_factory=list)
    reconciling: list[int] = field(default_factory=list)


def replies_sweep(*, now: datetime | None = None) -> RepliesSwept:
    """Queued and due but not handed to a worker lately (a lost broker message, a retry whose
    time came): hand it over again. `sending` too long (a dead worker): unknown. Unknown and
    due: ask the network. Each hand-over is leased, so two sweeps do not send it twice (and
    if they did, only one worker could claim it)."""
    now = now or timezone.now()
    swept = RepliesSwept()
    stale = now - timedelta(seconds=settings.REPLY_REQUEUE_AFTER)
    with transaction.atomic():
        due = list(
            Reply.objects.filter(state=State.QUEUED, next_attempt_at__lte=now)
            .filter(Q(enqueued_at__isnull=True) | Q(enqueued_at__lte=stale))
            .order_by("next_attempt_at")
            .values_list("pk", flat=True)[:SWEEP_BATCH]
        )
        if due:
            Reply.objects.filter(pk__in=due, state=State.QUEUED).update(enqueued_at=now)
            enqueue_on_commit(SEND_TASK, calls=[((pk,), {}) for pk in due], what="replies due")
        swept.sent_again = due
    dead = now - timedelta(seconds=settings.REPLY_SENDING_AFTER)
    for reply in Reply.objects.select_related("conversation", "item").filter(
        state=State.SENDING, state_changed_at__lte=dead
    )[:SWEEP_BATCH]:
        if _unknown(reply, "The worker stopped during the call.") == State.UNKNOWN:
            swept.unknown.append(reply.pk)
    with transaction.atomic():
        asking = list(
            Reply.objects.filter(state=State.UNKNOWN, next_attempt_at__lte=now).values_list("pk", flat=True)[
                :SWEEP_BATCH
            ]
        )
        if asking:
            lease = now + timedelta(seconds=settings.RECONCILE_RETRY_DELAY)
            Reply.objects.filter(pk__in=asking, state=State.UNKNOWN).update(next_attempt_at=lease)
            enqueue_on_commit(RECONCILE_TASK, calls=[((pk,), {}) for pk in asking], what="replies to settle")
        swept.reconciling = asking
    return swept
