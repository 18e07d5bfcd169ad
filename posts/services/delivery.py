"""Publishing one delivery: the worker's side of the pipeline.

`delivery_publish(delivery_id=...)` is all that `posts.publish_delivery` does:

1. Claim: `UPDATE ... SET state='sending' WHERE id=... AND state='queued'`, committed
   before the network is called, no row lock held across the call. A delivery that is not
   `queued` any more (a duplicate broker message, a redelivery after a worker died) ends
   here, untouched: this claim is what makes publishing at-most-once.
2. Re-check at send time, in the claim's transaction: the message is still what was
   approved (its fingerprint) and not cancelled, else the delivery is cancelled; the
   account can publish, else it fails as "auth"; no pause covers it and it is not too
   late (posts.services.outcomes.is_late), else it is held.
3. Count the attempt and write its `DeliveryAttempt` row (committed with the claim), then
   call the network through the account's adapter, with a `progress` callable that an
   upload sent in parts calls after each part: it keeps the delivery's `state_changed_at`
   fresh (`_progress_heartbeat`), so a long upload is not taken for a dead worker by the
   sweeper.
4. Apply the outcome, through posts.services.outcomes (every delivery state change is there):
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
import time
from collections.abc import Callable
from datetime import datetime

from django.conf import settings
from django.db import transaction
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
from posts.fingerprint import message_fingerprint
from posts.lifecycle import MESSAGE_PUBLISHABLE
from posts.models import Delivery, DeliveryAttempt, Message
from posts.rawsql import any_pause_open
from posts.selectors.pauses import active_pauses, pause_covering_delivery
from posts.services import outcomes
from posts.services.app_access import app_access_problem_note
from posts.services.summary import message_refresh_state
from posts.validation import delivery_content

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


def _fingerprint(message: Message) -> str:
    return message_fingerprint(message)


# --- The service ---------------------------------------------------------------------------


def delivery_publish(*, delivery_id: int) -> outcomes.Outcome:
    """Publish one queued delivery, at most once. Does nothing unless it is `queued`."""
    now = timezone.now()
    with transaction.atomic():
        # The claim counts the attempt too (one statement); a delivery refused below, which
        # never reaches the network, gives it back (`outcomes.delivery_refuse`).
        if not outcomes.delivery_claim(delivery_id=delivery_id, now=now):
            return outcomes.SKIPPED
        # Texts and media once: the fingerprint check and the content both read them.
        delivery = (
            Delivery.objects.select_related("message", "account__mission")
            .prefetch_related("message__texts", "message__attachments")
            .get(pk=delivery_id)
        )
        refused = _refuse_at_send_time(delivery, now)
        if refused is not None:
            return refused
        try:
            content = _content(delivery)
        except Exception as error:
            logger.exception("Could not prepare delivery %s", delivery_id)
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
            transaction.on_commit(lambda: message_refresh_state(message_id=delivery.message_id), robust=True)
            return outcome
        attempt = DeliveryAttempt.objects.create(
            delivery=delivery,
            number=delivery.attempts,
            action="publish",
            started_at=now,
        )
    # Committed: the delivery is `sending` and the attempt is on record. Now the network.
    outcome = _call_network(delivery, attempt, content)
    message_refresh_state(message_id=delivery.message_id, state_seen=delivery.message.state)
    return outcome


def _refuse_at_send_time(delivery: Delivery, now: datetime) -> outcomes.Outcome | None:
    """Cancel, hold or fail a claimed delivery that must not go out now (in the claim's
    transaction, before any call)."""
    message = delivery.message
    if message.state not in MESSAGE_PUBLISHABLE:
        outcome = outcomes.delivery_refuse(
            delivery,
            State.CANCELLED,
            now=now,
            verb="delivery.cancelled",
            reason=Said(
                f"The message is “{message.get_state_display()}”.",
                "delivery.message_state",
                message_state=message.state,
            ),
        )
    elif not message.approved_fingerprint or _fingerprint(message) != message.approved_fingerprint:
        outcome = outcomes.delivery_refuse(
            delivery,
            State.CANCELLED,
            now=now,
            verb="delivery.cancelled",
            reason=Said("The message changed after it was approved.", "delivery.changed_after_approval"),
        )
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
    elif (pause := pause_covering_delivery(active_pauses(), delivery) if any_pause_open() else None) is not None:
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
    transaction.on_commit(lambda: message_refresh_state(message_id=delivery.message_id), robust=True)
    return outcome


def _call_network(delivery: Delivery, attempt: DeliveryAttempt, content: Content) -> outcomes.Outcome:
    account = delivery.account
    try:
        credentials = _credentials(account)
    except CredentialsDecryptionError:
        unreadable = Said("The account's credentials cannot be opened.", "delivery.credentials_unreadable")
        return _auth_failure(delivery, attempt, AuthError(unreadable))
    except AuthError as error:
        return _auth_failure(delivery, attempt, error)
    except AdapterError as error:  # refreshing the token failed: nothing was published
        return outcomes.delivery_retry_later(delivery, attempt, error, outcome=error.kind)
    adapter = adapter_for(account)
    try:
        published = adapter.publish(credentials, content, progress=_progress_heartbeat(delivery))
    except RateLimited as error:
        return outcomes.delivery_rate_limited(delivery, attempt, error)
    except TransientError as error:
        if isinstance(error, AppAccessError):  # the app's configuration: for the health page
            app_access_problem_note(network=error.network, detail=error.detail)
        if error.request_sent:
            return outcomes.delivery_unknown(delivery, attempt, error, outcome="unknown")
        return outcomes.delivery_retry_later(delivery, attempt, error, outcome="transient")
    except AuthError as error:
        return _auth_failure(delivery, attempt, error)
    except PermanentError as error:
        if error.duplicate:
            return outcomes.delivery_unknown(delivery, attempt, error, outcome="duplicate")
        return outcomes.delivery_finish(
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
        unclassified = AdapterError(f"{type(error).__name__}: {error}")
        return outcomes.delivery_unknown(delivery, attempt, unclassified, outcome="unknown")
    return outcomes.delivery_mark_sent(delivery, attempt, published, verb="delivery.sent", outcome="sent")


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


def _auth_failure(delivery: Delivery, attempt: DeliveryAttempt, error: AdapterError) -> outcomes.Outcome:
    """The network refused the account: the delivery fails as "auth"; the account is marked
    expired and the administrators are told, once (by the first of many failing deliveries:
    channels.services.account_mark_expired changes only a connected account)."""
    # The account first: whoever sees the delivery failed also sees the account expired.
    channel_services.account_mark_expired(delivery.account, error.detail)
    return outcomes.delivery_finish(
        delivery, attempt, State.FAILED, verb="delivery.failed", outcome="auth", kind=Kind.AUTH, error=error
    )
