"""Settling `unknown` deliveries by asking the network, never by sending again blindly.

A delivery is `unknown` when its request may have reached the network but no answer came
back (a read timeout, a reset, a 5xx after sending, a worker that died mid-call), or when
the network refused it as "duplicate content" (perhaps our own earlier attempt).
`delivery_reconcile` asks the adapter for the item this delivery's content became since
just before its first attempt (`find_published`: the Page's published posts, the account's
recent posts, the upload status, the Flickr machine tag the delivery carries):

- found -> `sent`, with the network's id and link ("delivery.reconciled");
- not found -> tried again like a transient failure (the lost attempt counts), or, when
  the network had refused it as a duplicate of something not ours, `failed`;
- the network cannot tell now -> still `unknown`, asked again after
  RECONCILE_RETRY_DELAY; after RECONCILE_MAX_ROUNDS such rounds it waits for a press
  officer to settle it (`posts.services.operations.delivery_settle`).

The sweeper sends `posts.reconcile_delivery` for each unknown delivery whose
`next_attempt_at` has come (moving that time on first, so two sweeps do not ask twice).
"""

from __future__ import annotations

import logging
from datetime import timedelta

from django.conf import settings
from django.db.models import Max, Min
from django.utils import timezone

from channels.adapters.base import AdapterError, AppAccessError, PermanentError, Said
from posts.models import Delivery, DeliveryAttempt
from posts.services import delivery as publishing
from posts.services import outcomes
from posts.services.app_access import app_access_problem_clear, app_access_problem_note
from posts.services.outcomes import SKIPPED, Outcome
from posts.services.summary import message_refresh_state

logger = logging.getLogger(__name__)

State = Delivery.State


def reconcile_rounds(delivery: Delivery) -> int:
    """Reconciliation rounds that could not tell, since the last publish attempt."""
    last_publish = DeliveryAttempt.objects.filter(delivery=delivery, action="publish").aggregate(at=Max("started_at"))[
        "at"
    ]
    rounds = DeliveryAttempt.objects.filter(delivery=delivery, action="reconcile", outcome="unknown")
    if last_publish is not None:
        rounds = rounds.filter(started_at__gte=last_publish)
    return rounds.count()


def delivery_reconcile(*, delivery_id: int) -> Outcome:
    """Ask the network whether an `unknown` delivery went out; does nothing otherwise."""
    delivery = Delivery.objects.select_related("message", "account__mission").filter(pk=delivery_id).first()
    if delivery is None or delivery.state != State.UNKNOWN:
        return SKIPPED
    publishes = DeliveryAttempt.objects.filter(delivery=delivery, action="publish")
    first_sent = publishes.aggregate(at=Min("started_at"))["at"] or delivery.created_at
    last = publishes.order_by("-started_at", "-pk").first()
    since = first_sent - timedelta(seconds=settings.RECONCILE_MARGIN)
    rounds = reconcile_rounds(delivery)
    attempt = DeliveryAttempt.objects.create(
        delivery=delivery,
        number=rounds + 1,
        action="reconcile",
        started_at=timezone.now(),
    )
    try:
        content = publishing._content(delivery)
        credentials = publishing._credentials(delivery.account)
        found = publishing.adapter_for(delivery.account).find_published(credentials, content, since=since)
    except Exception as error:
        if not isinstance(error, AdapterError):
            logger.exception("Delivery %s: reconciliation failed unexpectedly", delivery.pk)
            error = outcomes.unexpected_error(error)
        if isinstance(error, AppAccessError):  # the app's configuration: for the health page
            app_access_problem_note(network=error.network, detail=error.detail)
        outcome = outcomes.delivery_cannot_tell(delivery, attempt, error, rounds=rounds + 1)
    else:
        app_access_problem_clear(network=delivery.account.network)
        if found is not None:
            outcome = outcomes.delivery_mark_sent(
                delivery,
                attempt,
                found,
                verb="delivery.reconciled",
                outcome="found",
            )
        elif last is not None and last.outcome == "duplicate":
            duplicate = PermanentError(
                Said(
                    "The network refused this text as a duplicate, and no post of ours carries it: "
                    f"change the text and submit it again. ({last.detail})",
                    "delivery.duplicate_not_ours",
                    detail=last.detail,
                ),
                status_code=last.status_code,
            )
            outcome = outcomes.delivery_finish(
                delivery,
                attempt,
                State.FAILED,
                verb="delivery.failed",
                outcome="not_found",
                kind=Delivery.ErrorKind.PERMANENT,
                error=duplicate,
                from_states=(State.UNKNOWN,),
            )
        else:
            outcome = outcomes.delivery_retry_later(
                delivery,
                attempt,
                AdapterError(Said("Not found on the network: it did not go out.", "delivery.not_found_on_network")),
                outcome="not_found",
                verb="delivery.not_found",
                from_states=(State.UNKNOWN,),
            )
    message_refresh_state(message_id=delivery.message_id)
    return outcome
