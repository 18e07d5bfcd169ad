"""The press office's controls: pause, resume, release held, retry, settle, retract."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from channels.adapters.base import PermanentError, TransientError
from posts.models import Delivery, DeliveryAttempt, Event, InvalidTransition, Message, PublishingPause
from posts.selectors.pauses import held_deliveries
from posts.services.delivery import delivery_publish
from posts.services.dispatch import dispatch_due
from posts.services.operations import (
    delivery_retract,
    delivery_retry,
    delivery_settle,
    held_release,
    message_retract,
)
from posts.services.pause import publishing_pause, publishing_resume

from .conftest import STORED
from .helpers import accounts, approve, deliveries_of, states
from .helpers import officer as make_officer
from .helpers import press_officer as make_press_officer

pytestmark = pytest.mark.django_db
S = Delivery.State


def _published(network, broker, count: int = 2) -> Message:
    message = approve(targets=accounts(count))
    dispatch_due()
    for pk in broker.ids():
        delivery_publish(delivery_id=pk)
    message.refresh_from_db()
    assert message.state == Message.State.PUBLISHED
    return message


# --- Pause and resume ---------------------------------------------------------------------------


def test_publishing_pause_needs_the_press_office_and_a_reason():
    with pytest.raises(PermissionDenied):
        publishing_pause(actor=make_officer("emb-eg-cairo"), scope="all", reason="No")
    with pytest.raises(ValidationError):
        publishing_pause(actor=make_press_officer(), scope="all", reason=" ")
    with pytest.raises(ValidationError):
        publishing_pause(actor=make_press_officer(), scope="country", value="ZZZ", reason="Unknown")


def test_publishing_pause_records_an_event_and_is_idempotent():
    press = make_press_officer()
    pause = publishing_pause(actor=press, scope="region", value="Europe", reason="Elections")
    again = publishing_pause(actor=press, scope="region", value="Europe", reason="Elections")
    assert again.pk == pause.pk
    event = Event.objects.get(verb="publishing.pause")
    assert event.actor == press
    assert event.details["reason"] == "Elections"


def test_publishing_resume_lists_what_fell_due_and_releases_nothing(broker):
    press = make_press_officer()
    message = approve(targets=accounts(2))
    pause = publishing_pause(actor=press, scope="all", reason="Crisis")
    dispatch_due()
    assert states(message) == [S.HELD, S.HELD]
    resumed = publishing_resume(actor=press, pause_id=pause.pk)
    assert sorted(d.pk for d in resumed.held) == [d.pk for d in deliveries_of(message)]
    assert states(message) == [S.HELD, S.HELD]
    assert PublishingPause.objects.get(pk=pause.pk).ended_by == press
    assert Event.objects.filter(verb="publishing.resume").count() == 1
    assert dispatch_due().queued == []  # still held


def test_held_release_schedules_now_and_kicks(broker, django_capture_on_commit_callbacks):
    press = make_press_officer()
    message = approve(targets=accounts(2))
    pause = publishing_pause(actor=press, scope="all", reason="Crisis")
    dispatch_due()
    publishing_resume(actor=press, pause_id=pause.pk)
    broker.clear()
    with django_capture_on_commit_callbacks(execute=True):
        released = held_release(actor=press, message_id=message.pk)
    assert len(released) == 2
    assert states(message) == [S.SCHEDULED, S.SCHEDULED]
    assert "posts.dispatch_due" in broker.names()  # kicked
    assert len(dispatch_due().queued) == 2
    assert Event.objects.filter(verb="delivery.released", actor=press).count() == 2
    assert list(held_deliveries()) == []


def test_held_release_at_a_new_time(broker):
    press = make_press_officer()
    message = approve(targets=accounts(1))
    publishing_pause(actor=press, scope="all", reason="Crisis")
    dispatch_due()
    later = timezone.now() + timedelta(hours=3)
    ids = [d.pk for d in deliveries_of(message)]
    (delivery,) = held_release(actor=press, delivery_ids=ids, publish_at=later)
    delivery.refresh_from_db()
    assert delivery.state == S.SCHEDULED
    assert delivery.next_attempt_at == later


def test_held_release_needs_the_press_office(broker):
    message = approve(targets=accounts(1))
    publishing_pause(actor=make_press_officer(), scope="all", reason="Crisis")
    dispatch_due()
    with pytest.raises(PermissionDenied):
        held_release(actor=make_officer("emb-eg-cairo"), message_id=message.pk)


# --- Retry -------------------------------------------------------------------------------------


def test_delivery_retry_schedules_a_failed_delivery_now_keeping_its_attempts(broker, network):
    message = approve(targets=accounts(1))
    dispatch_due()
    (delivery,) = deliveries_of(message)
    network.script["*"] = [PermanentError("Refused", status_code=400)]
    delivery_publish(delivery_id=delivery.pk)
    message.refresh_from_db()
    assert message.state == Message.State.FAILED
    press = make_press_officer()
    retried = delivery_retry(actor=press, delivery_id=delivery.pk)
    assert retried.state == S.SCHEDULED
    assert retried.attempts == 1
    message.refresh_from_db()
    assert message.state == Message.State.PUBLISHING
    dispatch_due()
    delivery_publish(delivery_id=delivery.pk)
    retried.refresh_from_db()
    assert retried.state == S.SENT
    assert retried.attempts == 2
    assert Event.objects.filter(verb="delivery.retry", actor=press).exists()


def test_delivery_retry_refuses_what_did_not_fail(broker, network):
    message = _published(network, broker, count=1)
    with pytest.raises(InvalidTransition):
        delivery_retry(actor=make_press_officer(), delivery_id=deliveries_of(message)[0].pk)


# --- Settle ------------------------------------------------------------------------------------


def _unknown_delivery(network) -> Delivery:
    message = approve(targets=accounts(1))
    dispatch_due()
    (delivery,) = deliveries_of(message)
    network.script["*"] = [(STORED, TransientError("Read timed out", request_sent=True))]
    delivery_publish(delivery_id=delivery.pk)
    return delivery


@pytest.mark.parametrize(
    ("outcome", "state", "message_state"),
    [
        ("sent", S.SENT, Message.State.PUBLISHED),
        ("not_sent", S.FAILED, Message.State.FAILED),
    ],
)
def test_delivery_settle(broker, network, outcome, state, message_state):
    delivery = _unknown_delivery(network)
    press = make_press_officer()
    settled = delivery_settle(
        actor=press,
        delivery_id=delivery.pk,
        outcome=outcome,
        external_url="https://x.com/france/status/1" if outcome == "sent" else "",
    )
    assert settled.state == state
    assert settled.next_attempt_at is None
    settled.message.refresh_from_db()
    assert settled.message.state == message_state
    event = Event.objects.get(verb="delivery.settled")
    assert event.actor == press
    assert event.details["outcome"] == outcome


def test_delivery_settle_only_unknown_and_only_the_press_office(broker, network):
    delivery = _unknown_delivery(network)
    with pytest.raises(PermissionDenied):
        delivery_settle(actor=make_officer("emb-eg-cairo"), delivery_id=delivery.pk, outcome="sent")
    with pytest.raises(ValidationError):
        delivery_settle(actor=make_press_officer(), delivery_id=delivery.pk, outcome="maybe")
    delivery_settle(actor=make_press_officer(), delivery_id=delivery.pk, outcome="sent")
    with pytest.raises(InvalidTransition):
        delivery_settle(actor=make_press_officer(), delivery_id=delivery.pk, outcome="sent")


# --- Retract -------------------------------------------------------------------------------------


def test_message_retract_deletes_every_sent_delivery_and_retracts_the_message(
    broker, network, django_capture_on_commit_callbacks
):
    message = _published(network, broker)
    press = make_press_officer()
    broker.clear()
    with django_capture_on_commit_callbacks(execute=True):
        message_retract(actor=press, message_id=message.pk)
    ids = broker.ids("posts.retract_delivery", queue="publish")
    assert sorted(ids) == [d.pk for d in deliveries_of(message)]
    for pk in ids:
        assert delivery_retract(delivery_id=pk, actor_id=press.pk) == "deleted"
    assert sorted(network.deleted) == sorted(p["id"] for p in network.posts)
    assert states(message) == [S.RETRACTED, S.RETRACTED]
    message.refresh_from_db()
    assert message.state == Message.State.RETRACTED
    assert Event.objects.filter(verb="delivery.retracted", actor=press).count() == 2
    assert Event.objects.filter(verb="message.retracted").count() == 1
    assert DeliveryAttempt.objects.filter(action="delete", outcome="deleted").count() == 2


def test_message_retract_records_a_failed_deletion_and_can_be_asked_again(
    broker, network, django_capture_on_commit_callbacks
):
    message = _published(network, broker, count=1)
    press = make_press_officer()
    (delivery,) = deliveries_of(message)
    network.delete_error = TransientError("Service unavailable", request_sent=False, status_code=503)
    assert delivery_retract(delivery_id=delivery.pk, actor_id=press.pk) == "transient"
    delivery.refresh_from_db()
    assert delivery.state == S.SENT
    failed = Event.objects.get(verb="delivery.retract_failed")
    assert failed.details["network"] == "twitter"
    assert failed.details["status_code"] == 503
    network.delete_error = None
    broker.clear()
    with django_capture_on_commit_callbacks(execute=True):
        message_retract(actor=press, message_id=message.pk)
    assert delivery_retract(delivery_id=broker.ids("posts.retract_delivery")[0]) == "deleted"
    message.refresh_from_db()
    assert message.state == Message.State.RETRACTED


def test_message_retract_needs_the_press_office(broker, network):
    message = _published(network, broker, count=1)
    with pytest.raises(PermissionDenied):
        message_retract(actor=make_officer("emb-eg-cairo"), message_id=message.pk)
