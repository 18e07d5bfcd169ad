"""posts.publish_batch's service: a batch is claimed in one statement with its attempts in
one INSERT, committed before any call; checks and content once per message; no more
claimed at a time than there are free call threads; each delivery still at most once."""

from __future__ import annotations

import threading
from collections import Counter
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from channels.adapters.base import AuthError, PermanentError, RateLimited, TransientError
from channels.models import SocialAccount
from posts.models import Delivery, DeliveryAttempt, Event, Message, MessageText
from posts.services import delivery as delivery_service
from posts.services import outcomes as outcome_service
from posts.services.delivery import deliveries_publish
from posts.services.dispatch import dispatch_due, publish_batches

from .conftest import STORED
from .helpers import accounts, approve, deliveries_of

S = Delivery.State


def _statements(captured, start: str) -> int:
    return sum(1 for query in captured.captured_queries if query["sql"].lstrip().upper().startswith(start))


@pytest.mark.django_db
def test_a_batch_is_claimed_in_one_update_and_its_attempts_in_one_insert(broker, network, settings):
    settings.PUBLISH_CALL_THREADS = 0
    message = approve(targets=accounts(6))
    dispatch_due()
    ids = broker.ids()
    assert len(ids) == 6
    claims: list[int] = []
    original = delivery_service._call_network

    def call_network(delivery, attempt, content):
        # Every claim and attempt of the batch is committed before the first call; the
        # outcomes are recorded together after the calls (one thread: one micro-batch).
        claims.append(Delivery.objects.filter(pk__in=ids, state=S.SENDING).count())
        assert DeliveryAttempt.objects.filter(delivery_id__in=ids, finished_at__isnull=True).count() == 6
        return original(delivery, attempt, content)

    delivery_service._call_network = call_network
    try:
        with CaptureQueriesContext(connection) as captured:
            outcomes = deliveries_publish(delivery_ids=ids)
    finally:
        delivery_service._call_network = original
    assert claims == [6] * 6
    assert {outcome.state for outcome in outcomes.values()} == {S.SENT}
    assert sorted(outcomes) == sorted(ids)
    assert len(network.posts) == 6
    assert _statements(captured, 'INSERT INTO "POSTS_DELIVERYATTEMPT"') == 1
    assert _statements(captured, 'UPDATE "POSTS_DELIVERY" SET "STATE" = \'SENDING\'') == 1
    # The outcomes: the attempts in one UPDATE, the deliveries in one, the events in one INSERT.
    assert _statements(captured, "WITH V (ID, C0, C1, C2, C3, C4) AS (VALUES") == 1
    assert _statements(captured, "WITH V (ID,") == 2
    sent_events = [q for q in captured.captured_queries if "'delivery.sent'" in q["sql"]]
    assert len(sent_events) == 1
    assert sent_events[0]["sql"].count("'delivery.sent'") == 6
    # The fingerprint's target ids, texts and attachments: read once for the batch.
    assert _statements(captured, 'SELECT "SOCIALACCOUNT_ID" FROM "POSTS_MESSAGE_TARGETS"') == 1
    assert _statements(captured, 'SELECT "POSTS_MESSAGETEXT"') == 1
    assert [a.number for a in DeliveryAttempt.objects.filter(delivery_id__in=ids)] == [1] * 6
    message.refresh_from_db()
    assert message.state == Message.State.PUBLISHED


@pytest.mark.django_db
def test_a_batch_leaves_alone_what_is_not_queued_and_is_idempotent(broker, network, settings):
    settings.PUBLISH_CALL_THREADS = 0
    message = approve(targets=accounts(3))
    dispatch_due()
    first, second, third = deliveries_of(message)
    Delivery.objects.filter(pk=second.pk).update(state=S.SENDING)  # another worker has it
    outcomes = deliveries_publish(delivery_ids=[first.pk, second.pk, third.pk, 987654])
    assert sorted(outcomes) == [first.pk, third.pk]
    assert len(network.posts) == 2
    assert deliveries_publish(delivery_ids=[first.pk, second.pk, third.pk]) == {}  # redelivered
    assert len(network.posts) == 2
    assert not DeliveryAttempt.objects.filter(delivery=second).exists()


@pytest.mark.django_db
def test_a_message_changed_after_approval_cancels_its_whole_batch_before_any_call(broker, network, settings):
    settings.PUBLISH_CALL_THREADS = 0
    message = approve(targets=accounts(4))
    dispatch_due()
    MessageText.objects.filter(message=message).update(body="Changed by hand")
    outcomes = deliveries_publish(delivery_ids=broker.ids())
    assert {outcome.state for outcome in outcomes.values()} == {S.CANCELLED}
    assert network.posts == []
    assert {d.state for d in deliveries_of(message)} == {S.CANCELLED}
    assert {d.attempts for d in deliveries_of(message)} == {0}  # given back
    assert not DeliveryAttempt.objects.filter(delivery__message=message).exists()


def test_publish_batches_keeps_the_order_and_one_queue_per_batch(settings):
    settings.PUBLISH_BATCH_SIZE = 2
    items = [(1, "crisis"), (2, "publish"), (3, "crisis"), (4, "crisis"), (5, "publish")]
    assert publish_batches(items) == [("crisis", [1, 3]), ("publish", [2, 5]), ("crisis", [4])]


@pytest.mark.usefixtures("_live_database_keeper", "transactional_db", "django_db_serialized_rollback")
def test_call_threads_are_never_exceeded_and_overlapping_batches_publish_each_once(broker, network, settings):
    """Three workers receive overlapping batches at once (redelivered broker messages): each
    delivery is claimed and sent by one of them, on no more call threads than there are."""
    settings.PUBLISH_CALL_THREADS = 3
    message = approve(targets=accounts(12))
    dispatch_due()
    ids = broker.ids()
    lock = threading.Lock()
    in_flight = Counter()
    original = network.publish

    def publish(credentials, content, *, progress=None):
        with lock:
            in_flight["now"] += 1
            in_flight["most"] = max(in_flight["most"], in_flight["now"])
        try:
            with lock:  # the FakeNetwork's lists are not thread-safe
                return original(credentials, content)
        finally:
            with lock:
                in_flight["now"] -= 1

    network.publish = publish
    errors: list[str] = []
    results: list[dict] = []

    def worker(batch: list[int], barrier: threading.Barrier) -> None:
        try:
            barrier.wait()
            results.append(deliveries_publish(delivery_ids=batch))
        except Exception as error:  # reported below
            errors.append(repr(error))
        finally:
            connection.close()

    barrier = threading.Barrier(3)
    batches = [ids, ids[4:] + ids[:4], list(reversed(ids))]
    threads = [threading.Thread(target=worker, args=(batch, barrier)) for batch in batches]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert not errors
    assert not any(thread.is_alive() for thread in threads)
    assert in_flight["most"] <= 3
    claimed = [pk for result in results for pk in result]
    assert sorted(claimed) == sorted(ids)  # each claimed by exactly one worker
    assert Counter(post["reference"] for post in network.posts).most_common(1)[0][1] == 1
    assert len(network.posts) == 12
    assert {d.state for d in deliveries_of(message)} == {S.SENT}
    assert delivery_service.calls._busy == 0


@pytest.mark.django_db
def test_one_micro_batch_records_every_kind_of_outcome_as_one_delivery_at_a_time_would(broker, network, settings):
    settings.PUBLISH_CALL_THREADS = 0
    settings.PUBLISH_BACKOFF_JITTER = 0
    message = approve(targets=accounts(7))
    dispatch_due()
    deliveries = deliveries_of(message)
    answers = [
        None,  # published
        RateLimited("Too Many Requests", retry_after=120),
        TransientError("Connection refused", request_sent=False),
        (STORED, TransientError("Read timed out", request_sent=True)),
        AuthError("Token revoked", status_code=401),
        PermanentError("Refused", status_code=400),
        ValueError("Unexpected JSON"),
    ]
    for delivery, answer in zip(deliveries, answers, strict=True):
        if answer is not None:
            network.script[delivery.account.network_account_id] = [answer]
    results = deliveries_publish(delivery_ids=[d.pk for d in deliveries])
    expected = [
        (S.SENT, "sent", ""),
        (S.SCHEDULED, "rate_limited", Delivery.ErrorKind.RATE_LIMITED),
        (S.SCHEDULED, "transient", Delivery.ErrorKind.TRANSIENT),
        (S.UNKNOWN, "unknown", Delivery.ErrorKind.UNKNOWN),
        (S.FAILED, "auth", Delivery.ErrorKind.AUTH),
        (S.FAILED, "permanent", Delivery.ErrorKind.PERMANENT),
        (S.UNKNOWN, "unknown", Delivery.ErrorKind.UNKNOWN),
    ]
    for delivery, (state, outcome, kind) in zip(deliveries, expected, strict=True):
        delivery.refresh_from_db()
        attempt = DeliveryAttempt.objects.get(delivery=delivery)
        assert (results[delivery.pk].state, results[delivery.pk].kind) == (state, outcome)
        assert (delivery.state, delivery.last_error_kind, attempt.outcome) == (state, kind, outcome)
        assert attempt.finished_at is not None
        assert Event.objects.filter(delivery=delivery, to_state=state).count() == 1
    sent, limited, transient, unknown, auth, permanent, _ = deliveries
    assert sent.external_id
    assert sent.sent_at is not None
    assert sent.external_url.startswith("https://")
    assert DeliveryAttempt.objects.get(delivery=sent).external_id == sent.external_id
    assert limited.next_attempt_at > timezone.now() + timedelta(seconds=110)
    assert DeliveryAttempt.objects.get(delivery=limited).status_code == 429
    assert round((transient.next_attempt_at - timezone.now()).total_seconds()) in (29, 30)
    assert unknown.next_attempt_at is not None
    assert unknown.external_id == ""
    assert SocialAccount.objects.get(pk=auth.account_id).status != SocialAccount.Status.CONNECTED
    assert permanent.last_error == "Refused"
    assert DeliveryAttempt.objects.get(delivery=permanent).status_code == 400


@pytest.mark.django_db
def test_an_outcome_for_a_delivery_that_moved_on_stays_on_the_attempt_only(broker, network, settings):
    """The recorder is conditional on each delivery's state and attempt count: one the
    sweeper made `unknown` and a press officer then settled keeps the officer's word."""
    settings.PUBLISH_CALL_THREADS = 0
    message = approve(targets=accounts(2))
    dispatch_due()
    first, second = deliveries_of(message)
    original = delivery_service._call_network

    def call_network(delivery, attempt, content):
        if delivery.pk == second.pk:  # settled as failed while its call was out
            Delivery.objects.filter(pk=second.pk).update(state=S.FAILED)
        return original(delivery, attempt, content)

    delivery_service._call_network = call_network
    try:
        results = deliveries_publish(delivery_ids=[first.pk, second.pk])
    finally:
        delivery_service._call_network = original
    assert results[first.pk].state == S.SENT
    assert (results[second.pk].state, results[second.pk].kind) == ("", "sent")
    second.refresh_from_db()
    assert second.state == S.FAILED
    assert second.external_id == ""
    assert DeliveryAttempt.objects.get(delivery=second).outcome == "sent"
    assert not Event.objects.filter(delivery=second, verb="delivery.sent").exists()
    # An empty micro-batch writes nothing.
    assert outcome_service.deliveries_finish([]) == []
