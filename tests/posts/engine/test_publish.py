"""publish_delivery's service: claim queued -> sending before the call, re-check at send
time, then one outcome per error kind, every attempt on record."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone, translation

from channels.adapters.base import AuthError, PermanentError, RateLimited, TransientError
from channels.models import SocialAccount
from embassies.roles import Role
from posts.models import Delivery, DeliveryAttempt, Event, Message, MessageText
from posts.problems import word
from posts.services.delivery import delivery_publish
from posts.services.dispatch import dispatch_due
from posts.services.pause import publishing_pause
from tests.factories import UserFactory

from .conftest import STORED
from .helpers import accounts, approve, deliveries_of
from .helpers import press_officer as make_press_officer

pytestmark = pytest.mark.django_db
S = Delivery.State


def _queued(count: int = 1, **kwargs) -> tuple[Message, list[Delivery]]:
    message = approve(targets=accounts(count), **kwargs)
    dispatch_due()
    return message, deliveries_of(message)


def _publish_all(broker) -> list:
    return [delivery_publish(delivery_id=pk) for pk in broker.ids()]


def test_delivery_publish_sends_and_records_the_attempt(broker, network, django_capture_on_commit_callbacks):
    message, (delivery,) = _queued()
    outcome = delivery_publish(delivery_id=delivery.pk)
    delivery.refresh_from_db()
    assert outcome.state == S.SENT
    assert delivery.state == S.SENT
    assert delivery.external_id == network.posts[0]["id"]
    assert delivery.external_url.startswith("https://")
    assert delivery.sent_at is not None
    assert delivery.attempts == 1
    attempt = DeliveryAttempt.objects.get(delivery=delivery)
    assert (attempt.number, attempt.action, attempt.outcome) == (1, "publish", "sent")
    assert attempt.finished_at is not None
    assert attempt.external_id == delivery.external_id
    assert network.posts[0]["reference"] == delivery.network_token
    message.refresh_from_db()
    assert message.state == Message.State.PUBLISHED
    assert list(Event.objects.filter(delivery=delivery).values_list("verb", flat=True)) == ["delivery.sent"]
    assert Event.objects.filter(message=message, verb="message.published").exists()


def test_delivery_publish_does_nothing_unless_queued(broker, network):
    _, (delivery,) = _queued()
    delivery_publish(delivery_id=delivery.pk)
    for _ in range(3):  # redelivered broker messages
        assert delivery_publish(delivery_id=delivery.pk).state == ""
    assert len(network.posts) == 1
    assert DeliveryAttempt.objects.filter(delivery=delivery).count() == 1
    assert delivery_publish(delivery_id=987654).state == ""  # gone


def test_delivery_publish_rate_limited_waits_for_the_reset(broker, network):
    _, (delivery,) = _queued()
    network.script["*"] = [RateLimited("Too Many Requests", retry_after=120)]
    before = timezone.now()
    delivery_publish(delivery_id=delivery.pk)
    delivery.refresh_from_db()
    assert delivery.state == S.SCHEDULED
    assert delivery.last_error_kind == Delivery.ErrorKind.RATE_LIMITED
    assert delivery.next_attempt_at >= before + timedelta(seconds=119)
    assert delivery.next_attempt_at <= timezone.now() + timedelta(seconds=121)
    attempt = DeliveryAttempt.objects.get(delivery=delivery)
    assert (attempt.outcome, attempt.status_code) == ("rate_limited", 429)


def test_delivery_publish_transient_not_sent_backs_off_then_fails_after_the_last_attempt(broker, network, settings):
    settings.PUBLISH_MAX_ATTEMPTS = 3
    settings.PUBLISH_BACKOFF_JITTER = 0
    message, (delivery,) = _queued()
    network.script["*"] = [TransientError("Connection refused", request_sent=False)] * 3
    waits = []
    for _ in range(3):
        now = timezone.now()
        delivery_publish(delivery_id=delivery.pk)
        delivery.refresh_from_db()
        if delivery.state == S.SCHEDULED:
            waits.append(round((delivery.next_attempt_at - now).total_seconds()))
            Delivery.objects.filter(pk=delivery.pk).update(state=S.QUEUED)
    assert waits == [30, 60]
    assert delivery.state == S.FAILED
    assert delivery.last_error_kind == Delivery.ErrorKind.TRANSIENT
    assert "Gave up after 3 attempts" in delivery.last_error
    # Worded for each reader, with the network's last answer inside (itself worded).
    assert delivery.last_error_code == "delivery.gave_up"
    assert delivery.last_error_params["problem"]["text"] == "Connection refused"
    with translation.override("fr"):
        worded = word(delivery.last_error_code, delivery.last_error_params)
    assert worded == "Abandon après 3 tentatives. Dernière réponse\u00a0: Connection refused"
    assert delivery.attempts == 3
    assert network.posts == []
    message.refresh_from_db()
    assert message.state == Message.State.FAILED


def test_delivery_publish_timeout_after_sending_is_unknown_never_resent(broker, network, settings):
    _, (delivery,) = _queued()
    network.script["*"] = [(STORED, TransientError("Read timed out", request_sent=True))]
    delivery_publish(delivery_id=delivery.pk)
    delivery.refresh_from_db()
    assert delivery.state == S.UNKNOWN
    assert delivery.last_error_kind == Delivery.ErrorKind.UNKNOWN
    assert delivery.next_attempt_at >= timezone.now() + timedelta(seconds=settings.RECONCILE_DELAY - 1)
    assert dispatch_due().queued == []  # not claimed again


def test_delivery_publish_duplicate_refusal_is_unknown(broker, network):
    _, (delivery,) = _queued()
    network.script["*"] = [PermanentError("Duplicate content", status_code=403, duplicate=True)]
    delivery_publish(delivery_id=delivery.pk)
    delivery.refresh_from_db()
    assert delivery.state == S.UNKNOWN
    assert DeliveryAttempt.objects.get(delivery=delivery).outcome == "duplicate"


def test_delivery_publish_unclassified_error_is_unknown(broker, network):
    _, (delivery,) = _queued()
    network.script["*"] = [ValueError("Unexpected JSON")]
    delivery_publish(delivery_id=delivery.pk)
    delivery.refresh_from_db()
    assert delivery.state == S.UNKNOWN
    assert "ValueError" in delivery.last_error


def test_delivery_publish_permanent_fails_with_the_networks_reason_and_tells_the_press_office(
    broker, network, django_capture_on_commit_callbacks, mail_tasks
):
    press = UserFactory(roles=[Role.PRESS_OFFICE], email="press@example.org")
    message, (delivery,) = _queued()
    network.script["*"] = [PermanentError("Media type unsupported", status_code=400)]
    with django_capture_on_commit_callbacks(execute=True):
        delivery_publish(delivery_id=delivery.pk)
    delivery.refresh_from_db()
    assert delivery.state == S.FAILED
    assert delivery.last_error == "Media type unsupported"
    assert delivery.last_error_kind == Delivery.ErrorKind.PERMANENT
    assert DeliveryAttempt.objects.get(delivery=delivery).status_code == 400
    message.refresh_from_db()
    assert message.state == Message.State.FAILED
    mail_tasks.run()
    failure_mails = [m for m in mail.outbox if press.email in m.to]
    assert len(failure_mails) == 1
    assert "Media type unsupported" in failure_mails[0].body


def test_delivery_publish_auth_fails_expires_the_account_and_tells_administrators_once(
    broker, network, django_capture_on_commit_callbacks, mail_tasks
):
    admin = UserFactory(roles=[Role.ADMINISTRATOR], email="admin@example.org")
    _, deliveries = _queued(1)
    other = approve(targets=[deliveries[0].account], text="Deuxième message")
    dispatch_due()
    network.script["*"] = [AuthError("Unauthorized", status_code=401)]
    with django_capture_on_commit_callbacks(execute=True):
        for delivery in [*deliveries, *deliveries_of(other)]:
            delivery_publish(delivery_id=delivery.pk)
    first, second = deliveries[0], deliveries_of(other)[0]
    first.refresh_from_db()
    assert (first.state, first.last_error_kind) == (S.FAILED, Delivery.ErrorKind.AUTH)
    assert (second.state, second.last_error_kind) == (S.FAILED, Delivery.ErrorKind.AUTH)
    assert len(network.calls) == 1  # the second never called: the account was expired
    assert SocialAccount.objects.get(pk=first.account_id).status == SocialAccount.Status.EXPIRED
    mail_tasks.run()
    assert len([m for m in mail.outbox if admin.email in m.to]) == 1


def test_delivery_publish_cancels_a_delivery_whose_message_changed_after_approval(broker, network):
    message, (delivery,) = _queued()
    MessageText.objects.filter(message=message).update(body="Changed behind the approval's back")
    outcome = delivery_publish(delivery_id=delivery.pk)
    delivery.refresh_from_db()
    assert outcome.state == delivery.state == S.CANCELLED
    assert network.calls == []
    assert "changed after it was approved" in Event.objects.get(verb="delivery.cancelled").details["reason"]
    # The record keeps the English; the code and its parameters word it for each reader.
    assert (delivery.last_error, delivery.last_error_code) == (
        "The message changed after it was approved.",
        "delivery.changed_after_approval",
    )
    assert Event.objects.get(verb="delivery.cancelled").details["reason_code"] == "delivery.changed_after_approval"


def test_delivery_publish_cancels_when_the_message_was_cancelled(broker, network):
    message, (delivery,) = _queued()
    Message.objects.filter(pk=message.pk).update(state=Message.State.CANCELLED)
    delivery_publish(delivery_id=delivery.pk)
    delivery.refresh_from_db()
    assert delivery.state == S.CANCELLED
    assert delivery.attempts == 0  # the claim's count is given back: nothing was called
    assert network.calls == []


def test_delivery_publish_holds_when_a_pause_started_after_the_claim(broker, network):
    _, (delivery,) = _queued()
    publishing_pause(actor=make_press_officer(), scope="all", reason="Stop everything")
    delivery_publish(delivery_id=delivery.pk)
    delivery.refresh_from_db()
    assert delivery.state == S.HELD
    assert delivery.attempts == 0
    assert network.calls == []
    assert DeliveryAttempt.objects.filter(delivery=delivery).count() == 0


def test_delivery_publish_held_then_released_counts_one_attempt(broker, network):
    from posts.services.pause import publishing_resume

    _, (delivery,) = _queued()
    pause = publishing_pause(actor=make_press_officer(), scope="all", reason="Stop everything")
    delivery_publish(delivery_id=delivery.pk)
    publishing_resume(actor=make_press_officer(), pause_id=pause.pk)
    Delivery.objects.filter(pk=delivery.pk).update(state=S.QUEUED)  # released and claimed again
    assert delivery_publish(delivery_id=delivery.pk).state == S.SENT
    delivery.refresh_from_db()
    assert delivery.attempts == 1
    assert list(DeliveryAttempt.objects.filter(delivery=delivery).values_list("number", flat=True)) == [1]


def test_only_the_last_delivery_of_a_publishing_message_writes_its_summary(broker, network):
    message, _ = _queued(3)
    outcomes = _publish_all(broker)
    assert [outcome.state for outcome in outcomes] == [S.SENT] * 3
    message.refresh_from_db()
    assert message.state == Message.State.PUBLISHED
    verbs = list(Event.objects.filter(message=message, delivery__isnull=True).values_list("verb", flat=True))
    assert verbs.count("message.published") == 1


def test_delivery_publish_fails_as_auth_on_a_disconnected_account(broker, network):
    _, (delivery,) = _queued()
    SocialAccount.objects.filter(pk=delivery.account_id).update(status=SocialAccount.Status.REVOKED)
    delivery_publish(delivery_id=delivery.pk)
    delivery.refresh_from_db()
    assert (delivery.state, delivery.last_error_kind) == (S.FAILED, Delivery.ErrorKind.AUTH)
    assert network.calls == []


def test_delivery_publish_partial_failure_makes_the_message_partially_published(broker, network):
    message, deliveries = _queued(2)
    network.script[deliveries[1].account.network_account_id] = [PermanentError("Refused", status_code=400)]
    _publish_all(broker)
    message.refresh_from_db()
    assert message.state == Message.State.PARTIALLY_PUBLISHED
