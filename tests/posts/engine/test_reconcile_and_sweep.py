"""Unknown outcomes are settled by asking the network; the sweeper recovers what the
broker or a dead worker lost."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone, translation

from channels.adapters.base import PermanentError, Published, TransientError
from posts.models import Delivery, DeliveryAttempt, Event, Heartbeat, Message
from posts.problems import word
from posts.services.delivery import delivery_publish
from posts.services.dispatch import dispatch_due
from posts.services.operations import delivery_retract
from posts.services.reconcile import delivery_reconcile
from posts.services.sweeper import sweep

from .conftest import STORED
from .helpers import accounts, approve, deliveries_of

pytestmark = pytest.mark.django_db
S = Delivery.State


def _unknown(network, *, stored: bool = True, error=None) -> tuple[Message, Delivery]:
    message = approve(targets=accounts(1))
    dispatch_due()
    (delivery,) = deliveries_of(message)
    error = error or TransientError("Read timed out", request_sent=True)
    network.script["*"] = [(STORED, error) if stored else error]
    delivery_publish(delivery_id=delivery.pk)
    delivery.refresh_from_db()
    assert delivery.state == S.UNKNOWN
    return message, delivery


def test_delivery_reconcile_found_is_sent_with_the_networks_id(broker, network):
    message, delivery = _unknown(network)
    outcome = delivery_reconcile(delivery_id=delivery.pk)
    delivery.refresh_from_db()
    assert outcome.state == delivery.state == S.SENT
    assert delivery.external_id == network.posts[0]["id"]
    assert len(network.posts) == 1
    assert Event.objects.filter(delivery=delivery, verb="delivery.reconciled", to_state=S.SENT).exists()
    assert DeliveryAttempt.objects.filter(delivery=delivery, action="reconcile", outcome="found").exists()
    message.refresh_from_db()
    assert message.state == Message.State.PUBLISHED


def test_delivery_reconcile_not_found_is_tried_again_like_a_transient_failure(broker, network):
    _, delivery = _unknown(
        network, stored=False, error=TransientError("502 Bad Gateway", request_sent=True, status_code=502)
    )
    delivery_reconcile(delivery_id=delivery.pk)
    delivery.refresh_from_db()
    assert delivery.state == S.SCHEDULED
    assert delivery.next_attempt_at > timezone.now()
    assert delivery.attempts == 1
    Delivery.objects.filter(pk=delivery.pk).update(next_attempt_at=timezone.now())
    dispatch_due()
    delivery_publish(delivery_id=delivery.pk)
    delivery.refresh_from_db()
    assert delivery.state == S.SENT
    assert delivery.attempts == 2
    assert len(network.posts) == 1


def test_delivery_reconcile_when_the_network_cannot_tell_stays_unknown_then_waits_for_a_person(
    broker, network, settings
):
    settings.RECONCILE_MAX_ROUNDS = 2
    _, delivery = _unknown(network)
    network.find = TransientError("Service unavailable", request_sent=False, status_code=503)
    delivery_reconcile(delivery_id=delivery.pk)
    delivery.refresh_from_db()
    assert delivery.state == S.UNKNOWN
    assert delivery.next_attempt_at is not None
    delivery_reconcile(delivery_id=delivery.pk)
    delivery.refresh_from_db()
    assert delivery.state == S.UNKNOWN
    assert delivery.next_attempt_at is None  # no more sweeps: a press officer settles it
    assert Event.objects.filter(delivery=delivery, verb="delivery.needs_decision").count() == 1


def test_delivery_reconcile_keeps_both_ids_of_a_video_and_retract_deletes_the_video(broker, network, monkeypatch):
    """A Facebook video is a Video and the Page post showing it: the delivery keeps both,
    and retracting it deletes the Video (deleting the post would leave the video up)."""
    _, delivery = _unknown(network)
    found = Published(external_id="7001", url="https://www.facebook.com/104/videos/7001/", post_id="104_9002")
    monkeypatch.setattr(network, "find_published", lambda credentials, content, since: found)

    delivery_reconcile(delivery_id=delivery.pk)
    delivery.refresh_from_db()
    assert (delivery.state, delivery.external_id, delivery.external_post_id) == (S.SENT, "7001", "104_9002")
    assert Event.objects.get(delivery=delivery, verb="delivery.reconciled").details["post_id"] == "104_9002"

    assert delivery_retract(delivery_id=delivery.pk) == "deleted"
    assert network.deleted == ["7001"]


def test_delivery_reconcile_duplicate_refusal_not_ours_fails(broker, network):
    _, delivery = _unknown(
        network, stored=False, error=PermanentError("Duplicate content", duplicate=True, status_code=403)
    )
    delivery_reconcile(delivery_id=delivery.pk)
    delivery.refresh_from_db()
    assert delivery.state == S.FAILED
    assert "duplicate" in delivery.last_error
    assert delivery.last_error_code == "delivery.duplicate_not_ours"
    with translation.override("fr"):
        assert word(delivery.last_error_code, delivery.last_error_params).startswith("Le réseau a refusé ce texte")


def test_an_unexpected_error_leaves_the_delivery_unknown_with_a_worded_reason(broker, network):
    """An exception no adapter classified may have come after the post went out: unknown,
    and the reason says it was ours, in the reader's language."""
    _, delivery = _unknown(network, stored=False, error=ValueError("no JSON object"))
    assert (delivery.last_error_code, delivery.last_error_params) == (
        "delivery.unexpected_error",
        {"exception": "ValueError", "detail": "no JSON object"},
    )
    with translation.override("fr"):
        worded = word(delivery.last_error_code, delivery.last_error_params)
    assert worded == "Erreur inattendue de notre côté\u00a0: ValueError\u00a0: no JSON object"


def test_delivery_reconcile_does_nothing_unless_unknown(broker, network):
    message = approve(targets=accounts(1))
    (delivery,) = deliveries_of(message)
    assert delivery_reconcile(delivery_id=delivery.pk).state == ""
    assert network.calls == []


def test_sweep_puts_deliveries_queued_too_long_back_and_dispatches_them(broker, settings):
    message = approve(targets=accounts(2))
    dispatch_due()
    broker.clear()  # the broker lost them
    Delivery.objects.filter(message=message).update(
        state_changed_at=timezone.now() - timedelta(seconds=settings.SWEEPER_QUEUED_AFTER + 5)
    )
    result = sweep()
    assert sorted(result.requeued) == [d.pk for d in deliveries_of(message)]
    assert [d.state for d in deliveries_of(message)] == [S.QUEUED, S.QUEUED]
    assert sorted(broker.ids()) == sorted(result.requeued)
    assert Event.objects.filter(verb="delivery.requeued").count() == 2
    assert Heartbeat.objects.filter(name="sweeper").exists()


def test_sweep_leaves_recently_queued_deliveries(broker):
    approve(targets=accounts(1))
    dispatch_due()
    broker.clear()
    assert sweep().requeued == []
    assert broker.ids() == []


def test_sweep_turns_deliveries_sending_too_long_unknown_and_asks_for_reconciliation(broker, network, settings):
    message = approve(targets=accounts(1))
    dispatch_due()
    (delivery,) = deliveries_of(message)
    long_ago = timezone.now() - timedelta(seconds=settings.SWEEPER_SENDING_AFTER + 5)
    # A worker claimed it, recorded its attempt and died during the call.
    Delivery.objects.filter(pk=delivery.pk).update(state=S.SENDING, state_changed_at=long_ago, attempts=1)
    DeliveryAttempt.objects.create(delivery=delivery, number=1, action="publish", started_at=long_ago)
    result = sweep()
    delivery.refresh_from_db()
    assert result.unknown == [delivery.pk]
    assert delivery.state == S.UNKNOWN
    assert DeliveryAttempt.objects.get(delivery=delivery, action="publish").outcome == "unknown"
    assert result.reconciling == [delivery.pk]
    assert broker.ids("posts.reconcile_delivery", queue="maintenance") == [delivery.pk]
    assert sweep().reconciling == []  # leased: not asked twice


def test_sweep_leaves_deliveries_recently_sending(broker):
    message = approve(targets=accounts(1))
    dispatch_due()
    Delivery.objects.filter(message=message).update(state=S.SENDING, state_changed_at=timezone.now())
    assert sweep().unknown == []
