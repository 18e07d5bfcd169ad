"""Publishing deliveries: the worker's side of the pipeline.

`deliveries_publish(delivery_ids=[...])` is all that `posts.publish_batch` does (one broker
message per batch of PUBLISH_BATCH_SIZE; `delivery_publish` is the same for one):

1. Claim: `UPDATE ... SET state='sending' WHERE id IN (...) AND state='queued' RETURNING id`
   for no more deliveries than the process has free call threads, committed with their
   attempt rows before the network is called, no row lock held across the call. A
   delivery that is not `queued` any more (a duplicate broker message, a redelivery after
   a worker died) ends here, untouched: this claim is what makes publishing at-most-once.
2. Re-check at send time, in the claim's transaction (once per message and batch; the
   pauses once per batch): the message is still what was approved (its fingerprint) and
   not cancelled, else the delivery is cancelled; the account can publish, else it fails
   as "auth"; no pause covers it and it is not too late (posts.services.outcomes.is_late),
   else it is held.
3. Count the attempt and write its `DeliveryAttempt` row (committed with the claim), then
   call the network through the account's adapter, with a `progress` callable that an
   upload sent in parts calls after each part: it keeps the delivery's `state_changed_at`
   fresh (`_progress_heartbeat`), so a long upload is not taken for a dead worker by the
   sweeper.
4. Apply the outcome, through posts.services.outcomes (every delivery state change is
   there), in micro-batches of the outcomes that end together (`deliveries_finish`):
   - published -> `sent`, with the network's id and link;
   - rate limited -> `scheduled` at the network's reset time;
   - transient, surely not sent -> `scheduled` after an exponential backoff with jitter
     (`outcomes.backoff_seconds`), or `failed` after PUBLISH_MAX_ATTEMPTS tries;
   - transient after the request left, a "duplicate content" refusal, or anything the
     adapter did not classify -> `unknown`: reconciled (posts.services.reconcile), never
     sent again blindly;
   - auth -> `failed`, the account marked expired and the administrators told (once);
   - permanent -> `failed` with the network's reason.
   Every attempt row keeps the time, the outcome, the status code, an excerpt of the
   answer and the network's id; then the message's state is brought up to date.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, replace
from datetime import datetime

from django.conf import settings
from django.db import close_old_connections, transaction
from django.utils import timezone

from channels import services as channel_services
from channels.adapters.base import (
    AdapterError,
    AppAccessError,
    AuthError,
    Content,
    Credentials,
    PermanentError,
    RateLimited,
    Said,
    TransientError,
)
from channels.crypto import CredentialsDecryptionError
from channels.models import SocialAccount
from posts.draft import Draft, draft_of_parts
from posts.fingerprint import draft_fingerprint
from posts.lifecycle import MESSAGE_PUBLISHABLE
from posts.models import Delivery, DeliveryAttempt, Message
from posts.rawsql import (
    any_pause_open,
    deliveries_for_sending,
    insert_returning_ids,
    message_target_ids,
    messages_texts_and_attachments,
)
from posts.selectors.pauses import active_pauses, pause_covering_delivery
from posts.services import outcomes
from posts.services.app_access import app_access_problem_note
from posts.services.summary import message_refresh_state
from posts.validation import build_content, delivery_content

logger = logging.getLogger(__name__)

State = Delivery.State
Kind = Delivery.ErrorKind


# --- Collaborators (one line each to swap) --------------------------------------------------


def adapter_for(account: SocialAccount):
    return channel_services.adapter_for(account)


def _credentials(account: SocialAccount) -> Credentials:
    """The account's credentials for one call, refreshed under a row lock if they are
    about to expire (X refresh tokens are single-use)."""
    return channel_services.credentials_for_use(account)


def _content(delivery: Delivery) -> Content:
    return delivery_content(delivery)


# --- The service ---------------------------------------------------------------------------


def delivery_publish(*, delivery_id: int) -> outcomes.Outcome:
    """Publish one queued delivery, at most once. Does nothing unless it is `queued`."""
    return deliveries_publish(delivery_ids=[delivery_id]).get(delivery_id, outcomes.SKIPPED)


def deliveries_publish(*, delivery_ids: list[int]) -> dict[int, outcomes.Outcome]:
    """Publish a batch of queued deliveries, each at most once; those not `queued` any more
    are left alone. Claims no more at a time than the process has free call threads
    (`calls`), each claim committed with its attempt rows before any of its calls; the calls
    run on those threads (in this thread when there is one, or with PUBLISH_CALL_THREADS
    = 0), and their outcomes are recorded here in micro-batches, as they come
    (`outcomes.deliveries_finish`). Returns the outcome of each delivery it claimed."""
    results: dict[int, outcomes.Outcome] = {}
    remaining = list(dict.fromkeys(delivery_ids))
    pending: set[Future] = set()
    while remaining or pending:
        if remaining:
            # With calls out, wait for a thread only briefly: their outcomes are recorded
            # meanwhile.
            slots = calls.reserve(len(remaining), timeout=RECORD_EVERY if pending else None)
            if slots:
                chunk, remaining = remaining[:slots], remaining[slots:]
                try:
                    sends, refused = _claim_batch(chunk, timezone.now())
                except BaseException:
                    calls.give_back(slots)
                    raise
                results.update(refused)
                calls.give_back(slots - len(sends))
                # A lone delivery (the whole batch) is sent in this thread: no hand-over.
                alone = len(sends) == 1 and not pending and not remaining
                if alone or not calls.threads:
                    finished = []
                    for send in sends:
                        try:
                            finished.append(_call_network(send.delivery, send.attempt, send.content))
                        finally:
                            calls.give_back(1)
                    results.update(_record(finished))
                else:
                    pending.update(calls.submit(_call_on_call_thread, send) for send in sends)
        if pending:
            done, pending = wait(pending, timeout=0 if remaining else None, return_when=FIRST_COMPLETED)
            if done and pending:
                time.sleep(RECORD_EVERY)  # let the calls ending now join this micro-batch
                more, pending = wait(pending, timeout=0)
                done |= more
            results.update(_record([future.result() for future in done if _ended(future)]))
    return results


# Outcomes that end within this of each other are recorded together.
RECORD_EVERY = 0.005


def _ended(future: Future) -> bool:
    if future.exception() is None:
        return True
    # Left `sending`: the sweeper makes it `unknown`, never resent blindly.
    logger.error("A delivery's call failed before its outcome", exc_info=future.exception())
    return False


def _record(finished: list[outcomes.Finish]) -> dict[int, outcomes.Outcome]:
    """Record a micro-batch of outcomes, then bring each message's state up to date once."""
    if not finished:
        return {}
    recorded = outcomes.deliveries_finish(finished)
    seen = {item.delivery.message_id: item.delivery.message.state for item in finished}
    for message_id, state in seen.items():
        message_refresh_state(message_id=message_id, state_seen=state)
    return {item.delivery.pk: outcome for item, outcome in zip(finished, recorded, strict=True)}


@dataclass(frozen=True)
class _Send:
    """One claimed delivery, its attempt row and its content, ready for the network."""

    delivery: Delivery
    attempt: DeliveryAttempt
    content: Content


def _claim_batch(delivery_ids: list[int], now: datetime) -> tuple[list[_Send], dict[int, outcomes.Outcome]]:
    """Claim the batch, re-check it at send time and write its attempt rows, in one
    transaction committed before any call. The message's checks (cancelled, changed since
    approval) and content are done once per message, the pause check once per batch."""
    refused: dict[int, outcomes.Outcome] = {}
    with transaction.atomic():
        # The claim counts the attempts too (one statement); a delivery refused below,
        # which never reaches the network, gives its attempt back (`outcomes.delivery_refuse`).
        claimed = outcomes.deliveries_claim(delivery_ids=delivery_ids, now=now)
        if not claimed:
            return [], refused
        # One join of the deliveries with their message, account and mission, then the
        # messages' texts and attachments (posts.rawsql: the ORM's compiler cost more than
        # the database).
        deliveries = deliveries_for_sending(claimed)
        checks = _BatchChecks(now, {delivery.message_id: delivery.message for delivery in deliveries})
        ready: list[tuple[Delivery, Content]] = []
        for delivery in deliveries:
            outcome = _refuse_at_send_time(delivery, now, checks)
            if outcome is None:
                try:
                    ready.append((delivery, checks.content(delivery)))
                    continue
                except Exception as error:
                    logger.exception("Could not prepare delivery %s", delivery.pk)
                    outcome = outcomes.delivery_refuse(
                        delivery,
                        State.FAILED,
                        now=now,
                        verb="delivery.failed",
                        kind=Kind.PERMANENT,
                        reason=Said(
                            f"Could not prepare the content: {error}", "delivery.content_unprepared", detail=str(error)
                        ),
                    )
                    _refresh_on_commit(delivery.message_id)
            refused[delivery.pk] = outcome
        attempts = insert_returning_ids(
            [
                DeliveryAttempt(delivery=delivery, number=delivery.attempts, action="publish", started_at=now)
                for delivery, _ in ready
            ]
        )
    # Committed: the deliveries are `sending` and their attempts on record. Now the network.
    sends = [
        _Send(delivery=delivery, attempt=attempt, content=content)
        for (delivery, content), attempt in zip(ready, attempts, strict=True)
    ]
    return sends, refused


class _BatchChecks:
    """What a batch asks once: per message its draft (texts, attachments, target ids, read
    in plain SQL for all the batch's messages at once), its refusal (if any) and contents,
    per batch the open pauses."""

    def __init__(self, now: datetime, messages: dict[int, Message]) -> None:
        self.now = now
        self.messages = messages
        self._parts = messages_texts_and_attachments(messages)
        self._drafts: dict[int, Draft] = {}
        self._message_refusals: dict[int, tuple[str, str] | None] = {}
        self._contents: dict[tuple[int, str, str], Content] = {}
        self._pauses: list | None = None

    def draft(self, message: Message) -> Draft:
        """The message as it stands, with its target ids (the fingerprint's)."""
        if message.pk not in self._drafts:
            texts, attachments = self._parts[message.pk]
            self._drafts[message.pk] = draft_of_parts(
                message, texts=texts, attachments=attachments, target_ids=message_target_ids(message.pk)
            )
        return self._drafts[message.pk]

    def message_refusal(self, message: Message) -> tuple[str, str] | None:
        """(state, reason) when the message may not go out now, else None."""
        if message.pk not in self._message_refusals:
            if message.state not in MESSAGE_PUBLISHABLE:
                said = Said(
                    f"The message is “{message.get_state_display()}”.",
                    "delivery.message_state",
                    message_state=message.state,
                )
                refusal = (State.CANCELLED, said)
            elif (
                not message.approved_fingerprint
                or draft_fingerprint(self.draft(message)) != message.approved_fingerprint
            ):
                refusal = (
                    State.CANCELLED,
                    Said("The message changed after it was approved.", "delivery.changed_after_approval"),
                )
            else:
                refusal = None
            self._message_refusals[message.pk] = refusal
        return self._message_refusals[message.pk]

    def pauses(self) -> list:
        if self._pauses is None:
            self._pauses = list(active_pauses()) if any_pause_open() else []
        return self._pauses

    def content(self, delivery: Delivery) -> Content:
        """The delivery's content: built once per message, language and network, with the
        delivery's own reference."""
        key = (delivery.message_id, delivery.language, delivery.account.network)
        if key not in self._contents:
            self._contents[key] = build_content(
                self.draft(delivery.message), network=delivery.account.network, language=delivery.language
            )
        return replace(self._contents[key], reference=delivery.network_token)


def _refresh_on_commit(message_id: int) -> None:
    transaction.on_commit(lambda: message_refresh_state(message_id=message_id), robust=True)


def _call_on_call_thread(send: _Send) -> outcomes.Finish:
    """`_call_network` on a call thread, which has its own database connection for what a
    call may write (a refreshed token, an upload's heartbeat), kept between calls and
    closed when broken or past CONN_MAX_AGE, as the worker's own threads do."""
    close_old_connections()
    try:
        return _call_network(send.delivery, send.attempt, send.content)
    finally:
        close_old_connections()
        calls.give_back(1)


class CallThreads:
    """The process's threads for network calls (PUBLISH_CALL_THREADS), and their free
    count: a batch claims only as many deliveries as there are free threads to send them,
    so nothing claimed waits for a thread while the sweeper's clock runs."""

    def __init__(self) -> None:
        self._lock = threading.Condition()
        self._executor: ThreadPoolExecutor | None = None
        self._busy = 0

    @property
    def threads(self) -> int:
        return max(0, int(settings.PUBLISH_CALL_THREADS))

    def reserve(self, wanted: int, *, timeout: float | None = None) -> int:
        """Wait for at least one free thread (or `timeout`: then 0), then take up to
        `wanted`; returns how many."""
        total = self.threads
        if not total:
            return wanted
        with self._lock:
            if not self._lock.wait_for(lambda: self._busy < total, timeout=timeout):
                return 0
            taken = min(wanted, total - self._busy)
            self._busy += taken
            return taken

    def give_back(self, count: int) -> None:
        if count <= 0 or not self.threads:
            return
        with self._lock:
            self._busy = max(0, self._busy - count)
            self._lock.notify_all()

    def submit(self, function: Callable, *args) -> Future:
        with self._lock:
            if self._executor is None:
                self._executor = ThreadPoolExecutor(max_workers=self.threads, thread_name_prefix="publish-call")
            executor = self._executor
        return executor.submit(function, *args)


calls = CallThreads()


def _refuse_at_send_time(delivery: Delivery, now: datetime, checks: _BatchChecks) -> outcomes.Outcome | None:
    """Cancel, hold or fail a claimed delivery that must not go out now (in the claim's
    transaction, before any call)."""
    refusal = checks.message_refusal(delivery.message)
    if refusal is not None:
        state, reason = refusal
        outcome = outcomes.delivery_refuse(delivery, state, now=now, verb="delivery.cancelled", reason=reason)
    elif not delivery.account.can_publish:
        outcome = outcomes.delivery_refuse(
            delivery,
            State.FAILED,
            now=now,
            verb="delivery.failed",
            kind=Kind.AUTH,
            reason=Said(
                f"The account is “{delivery.account.get_status_display()}”: an administrator must reconnect it.",
                "delivery.account_not_connected",
                account_status=delivery.account.status,
            ),
        )
    elif (pause := pause_covering_delivery(checks.pauses(), delivery)) is not None:
        outcome = outcomes.delivery_refuse(
            delivery,
            State.HELD,
            now=now,
            verb="delivery.held",
            details={"pause_id": pause.pk, "scope": pause.scope, "value": pause.value, "reason": pause.reason},
        )
    elif outcomes.is_late(delivery, now):
        outcome = outcomes.delivery_refuse(
            delivery,
            State.HELD,
            now=now,
            verb="delivery.held",
            kind=Kind.LATE,
            reason=outcomes.late_reason(delivery),
            details=outcomes.late_details(delivery),
        )
    else:
        return None
    _refresh_on_commit(delivery.message_id)
    return outcome


def _call_network(delivery: Delivery, attempt: DeliveryAttempt, content: Content) -> outcomes.Finish:
    """Call the network for one claimed delivery; returns its outcome, to be recorded."""
    account = delivery.account
    try:
        credentials = _credentials(account)
    except CredentialsDecryptionError:
        unreadable = Said("The account's credentials cannot be opened.", "delivery.credentials_unreadable")
        return _auth_failure(delivery, attempt, AuthError(unreadable))
    except AuthError as error:
        return _auth_failure(delivery, attempt, error)
    except AdapterError as error:  # refreshing the token failed: nothing was published
        return outcomes.finish_retry_later(delivery, attempt, error, outcome=error.kind)
    adapter = adapter_for(account)
    try:
        published = adapter.publish(credentials, content, progress=_progress_heartbeat(delivery))
    except RateLimited as error:
        return outcomes.finish_rate_limited(delivery, attempt, error)
    except TransientError as error:
        if isinstance(error, AppAccessError):  # the app's configuration: for the health page
            app_access_problem_note(network=error.network, detail=error.detail)
        if error.request_sent:
            return outcomes.finish_unknown(delivery, attempt, error, outcome="unknown")
        return outcomes.finish_retry_later(delivery, attempt, error, outcome="transient")
    except AuthError as error:
        return _auth_failure(delivery, attempt, error)
    except PermanentError as error:
        if error.duplicate:
            return outcomes.finish_unknown(delivery, attempt, error, outcome="duplicate")
        return outcomes.finish(
            delivery,
            attempt,
            State.FAILED,
            verb="delivery.failed",
            outcome="permanent",
            kind=Kind.PERMANENT,
            error=error,
        )
    except Exception as error:  # not classified: it may have gone out, so never resend blindly
        logger.exception("Delivery %s: the adapter failed unexpectedly", delivery.pk)
        return outcomes.finish_unknown(delivery, attempt, outcomes.unexpected_error(error), outcome="unknown")
    return outcomes.finish_sent(delivery, attempt, published, verb="delivery.sent", outcome="sent")


def _progress_heartbeat(delivery: Delivery) -> Callable[[], None]:
    """The `progress` callable handed to the adapter, which calls it after each part of an
    upload sent in parts (YouTube's resumable chunks, X's media segments), knowing nothing
    of our models.
    A call at least SWEEPER_SENDING_AFTER / 10 after the last write moves the delivery's
    `state_changed_at` to now, if it is still this attempt's `sending`, so the sweeper (which
    turns a delivery `sending` for SWEEPER_SENDING_AFTER into `unknown`) leaves an upload
    that is slow but alive alone; a worker that died stops the heartbeat, and the sweeper
    acts as before. It never raises into the upload."""
    every = settings.SWEEPER_SENDING_AFTER / 10
    last = time.monotonic()

    def progress() -> None:
        nonlocal last
        if time.monotonic() - last < every:
            return
        last = time.monotonic()
        try:
            Delivery.objects.filter(pk=delivery.pk, state=State.SENDING, attempts=delivery.attempts).update(
                state_changed_at=timezone.now()
            )
        except Exception:
            logger.warning("Delivery %s: could not record the upload's progress.", delivery.pk, exc_info=True)

    return progress


def _auth_failure(delivery: Delivery, attempt: DeliveryAttempt, error: AdapterError) -> outcomes.Finish:
    """The network refused the account: the delivery fails as "auth"; the account is marked
    expired and the administrators are told, once (by the first of many failing deliveries:
    channels.services.account_mark_expired changes only a connected account)."""
    # The account first: whoever sees the delivery failed also sees the account expired.
    channel_services.account_mark_expired(delivery.account, error)
    return outcomes.finish(
        delivery, attempt, State.FAILED, verb="delivery.failed", outcome="auth", kind=Kind.AUTH, error=error
    )
