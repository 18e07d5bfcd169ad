"""Webhooks: an outbox row in the transaction of the event (none lost, none owed twice),
signed deliveries checked by a real receiver on loopback, retries with backoff for a day,
an endpoint failing for a day disabled with an e-mail, and no SSRF."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core import mail
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from api import signing
from api.models import WebhookDelivery, WebhookEndpoint
from api.services import webhooks
from channels.models import Network
from channels.services import account_mark_expired
from conversations.models import Conversation, RawEvent
from conversations.services.clocks import conversations_check_clocks
from conversations.services.ingest import items_ingest
from posts.models import Delivery
from posts.services.events import record_delivery_events
from posts.services.review import message_approve
from tests.conversations.conftest import heard
from tests.posts.factories import account, press_officer
from tests.security.otp import force_verified_login


@pytest.fixture
def endpoint(world, receiver):
    admin = world.users["admin"]
    webhooks.host_allow(actor=admin, host="127.0.0.1", reason="The receiver of the tests")
    new = webhooks.endpoint_create(
        actor=admin, name="Monitoring", url=receiver.url, events=["message.approved", "delivery.failed"]
    )
    receiver.secret = new.secret
    return new.endpoint


def _approve(world, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        message_approve(actor=world.users["press"], message_id=world.message_a.pk)


def test_loopback_and_private_addresses_are_refused_unless_allowed(world):
    admin = world.users["admin"]
    for url in (
        "http://127.0.0.1:8080/in",
        "http://localhost/in",
        "http://10.1.2.3/in",
        "http://192.168.0.10/in",
        "http://169.254.169.254/latest/meta-data",
        "http://[::1]/in",
        "http://user:pass@example.org/in",
        "ftp://example.org/in",
    ):
        with pytest.raises(ValidationError):
            webhooks.endpoint_create(actor=admin, name="x", url=url, events=["message.approved"])
    webhooks.host_allow(actor=admin, host="127.0.0.1", reason="Local relay")
    webhooks.endpoint_create(actor=admin, name="Relay", url="http://127.0.0.1:8080/in", events=["message.approved"])
    assert WebhookEndpoint.objects.filter(name="Relay").exists()


def test_an_event_owes_each_subscribed_endpoint_one_delivery_in_its_transaction(
    world, endpoint, tasks, django_capture_on_commit_callbacks
):
    with transaction.atomic():
        message_approve(actor=world.users["press"], message_id=world.message_a.pk)
        assert WebhookDelivery.objects.count() == 1  # written with the approval
        transaction.set_rollback(True)
    assert WebhookDelivery.objects.count() == 0  # and rolled back with it
    _approve(world, django_capture_on_commit_callbacks)
    delivery = WebhookDelivery.objects.get()
    assert (delivery.event, delivery.state, delivery.endpoint) == ("message.approved", "pending", endpoint)
    assert delivery.payload["data"]["message"]["id"] == world.message_a.pk
    assert [name for name in tasks.names() if name.startswith("api.")] == ["api.webhook_send"]
    # The same event handed over again is not owed twice.
    webhooks.outbox_listener(
        "message.approve", {"event_id": delivery.source_event_id, "message_id": world.message_a.pk}
    )
    assert WebhookDelivery.objects.count() == 1


def test_a_delivery_is_signed_and_the_receiver_verifies_it(
    world, endpoint, receiver, tasks, django_capture_on_commit_callbacks
):
    _approve(world, django_capture_on_commit_callbacks)
    assert tasks.run("api.webhook_send") == ["sent"]
    ((headers, body),) = receiver.received
    assert receiver.verified == [True]
    delivery = WebhookDelivery.objects.get()
    assert headers["Webhook-Id"] == str(delivery.uid)
    assert json.loads(body)["type"] == "message.approved"
    assert not signing.verify(secret=receiver.secret, headers=headers, body=body.replace(b"approved", b"rejected"))
    assert not signing.verify(secret="whsec_other", headers=headers, body=body)
    assert not signing.verify(
        secret=receiver.secret, headers=headers, body=body, now=int(headers["Webhook-Timestamp"]) + 3600
    )
    attempt = delivery.attempt_log.get()
    assert (attempt.outcome, attempt.status_code) == ("ok", 200)
    # Sent once: asking again sends nothing.
    assert webhooks.webhook_send(delivery_id=delivery.pk) == ""
    assert len(receiver.received) == 1


def test_a_failure_is_retried_with_backoff_for_a_day_then_given_up(
    world, endpoint, receiver, tasks, django_capture_on_commit_callbacks, settings
):
    receiver.status = 503
    _approve(world, django_capture_on_commit_callbacks)
    before = timezone.now()
    assert tasks.run("api.webhook_send") == ["pending"]
    delivery = WebhookDelivery.objects.get()
    assert delivery.attempts == 1
    assert timedelta(seconds=29) <= delivery.next_attempt_at - before <= timedelta(seconds=32)
    assert delivery.attempt_log.get().status_code == 503
    endpoint.refresh_from_db()
    assert endpoint.failing_since is not None
    assert endpoint.is_active
    assert webhooks.webhooks_due(now=before + timedelta(seconds=10)) == []  # not due yet
    assert webhooks.webhooks_due(now=before + timedelta(seconds=40)) == [delivery.pk]
    # The second wait doubles.
    WebhookDelivery.objects.filter(pk=delivery.pk).update(next_attempt_at=timezone.now())
    second = timezone.now()
    assert webhooks.webhook_send(delivery_id=delivery.pk) == "pending"
    delivery.refresh_from_db()
    assert timedelta(seconds=59) <= delivery.next_attempt_at - second <= timedelta(seconds=62)
    # Past the day of retries, the delivery is given up (and the endpoint's clock runs on).
    WebhookDelivery.objects.filter(pk=delivery.pk).update(
        next_attempt_at=timezone.now(), created_at=timezone.now() - timedelta(hours=24)
    )
    assert webhooks.webhook_send(delivery_id=delivery.pk) == "failed"
    assert len(receiver.received) == 3


def test_an_endpoint_failing_for_a_day_is_disabled_and_the_administrators_told(
    world, endpoint, receiver, tasks, django_capture_on_commit_callbacks
):
    receiver.status = 500
    _approve(world, django_capture_on_commit_callbacks)
    WebhookEndpoint.objects.filter(pk=endpoint.pk).update(failing_since=timezone.now() - timedelta(hours=25))
    with django_capture_on_commit_callbacks(execute=True):
        tasks.run("api.webhook_send")
    endpoint.refresh_from_db()
    assert not endpoint.is_active
    assert endpoint.disabled_reason == "failing"
    tasks.run("mail.send")
    told = [message for message in mail.outbox if "Webhook" in message.subject]
    assert [message.to for message in told] == [[world.users["admin"].email]]
    assert "Monitoring" in told[0].subject
    assert receiver.url in told[0].body
    # Disabled: nothing more is sent, even when due.
    WebhookDelivery.objects.update(next_attempt_at=timezone.now())
    assert webhooks.webhooks_due() == []


def test_a_lost_claim_is_given_back(world, endpoint, receiver, tasks, django_capture_on_commit_callbacks):
    _approve(world, django_capture_on_commit_callbacks)
    delivery = WebhookDelivery.objects.get()
    WebhookDelivery.objects.filter(pk=delivery.pk).update(
        state="sending", next_attempt_at=timezone.now() - timedelta(hours=1)
    )
    assert webhooks.webhooks_due() == [delivery.pk]


def test_administrators_see_the_attempts(world, endpoint, receiver, tasks, django_capture_on_commit_callbacks, client):
    receiver.status = 502
    _approve(world, django_capture_on_commit_callbacks)
    tasks.run("api.webhook_send")
    force_verified_login(client, world.users["admin"])
    page = client.get(f"/integrations/webhooks/{endpoint.pk}/").content.decode()
    assert str(WebhookDelivery.objects.get().uid) in page
    assert "http_error 502" in page
    force_verified_login(client, world.users["press"])
    assert client.get(f"/integrations/webhooks/{endpoint.pk}/").status_code == 403


def test_an_expired_account_and_a_failed_delivery_are_heard(world, receiver, tasks, django_capture_on_commit_callbacks):
    admin = world.users["admin"]
    webhooks.host_allow(actor=admin, host="127.0.0.1", reason="The receiver of the tests")
    new = webhooks.endpoint_create(
        actor=admin, name="Monitoring", url=receiver.url, events=["account.expired", "delivery.failed"]
    )
    receiver.secret = new.secret
    with django_capture_on_commit_callbacks(execute=True):
        assert account_mark_expired(world.account_a, "The token expired.")
        Delivery.objects.filter(pk=world.delivery_a.pk).update(state=Delivery.State.FAILED)
        record_delivery_events(
            verb="delivery.failed", changes=[(world.delivery_a.pk, world.approved_a.pk, "queued")], to_state="failed"
        )
    assert sorted(WebhookDelivery.objects.values_list("event", flat=True)) == ["account.expired", "delivery.failed"]
    assert tasks.run("api.webhook_send") == ["sent", "sent"]
    bodies = sorted((json.loads(body) for _headers, body in receiver.received), key=lambda body: body["type"])
    assert bodies[0]["data"]["account"]["status"] == "expired"
    assert bodies[1]["data"]["delivery"]["id"] == world.delivery_a.pk
    assert receiver.verified == [True, True]


def test_an_escalated_conversation_is_heard_once_signed(world, receiver, tasks, django_capture_on_commit_callbacks):
    """The clock's escalation owes the endpoint one delivery, written in the escalation's
    transaction, signed; the next ticks owe nothing more."""
    admin = world.users["admin"]
    webhooks.host_allow(actor=admin, host="127.0.0.1", reason="The receiver of the tests")
    new = webhooks.endpoint_create(actor=admin, name="Desk watch", url=receiver.url, events=["conversation.escalated"])
    receiver.secret = new.secret
    conversation = world.conversation_a
    now = timezone.now()
    Conversation.objects.filter(pk=conversation.pk).update(
        status="new", due_at=now - timedelta(minutes=5), warn_at=now - timedelta(minutes=20), escalated_at=None
    )
    with transaction.atomic():
        assert conversations_check_clocks(now=now).escalated == 1
        assert WebhookDelivery.objects.count() == 1  # written with the escalation
        transaction.set_rollback(True)
    assert WebhookDelivery.objects.count() == 0  # and rolled back with it
    with django_capture_on_commit_callbacks(execute=True):
        assert conversations_check_clocks(now=now).escalated == 1
    with django_capture_on_commit_callbacks(execute=True):
        assert conversations_check_clocks(now=now + timedelta(minutes=1)).escalated == 0
    delivery = WebhookDelivery.objects.get()
    assert (delivery.event, delivery.endpoint_id) == ("conversation.escalated", new.endpoint.pk)
    assert tasks.run("api.webhook_send") == ["sent"]
    assert webhooks.webhook_send(delivery_id=delivery.pk) == ""  # sent once
    ((headers, body),) = receiver.received
    assert receiver.verified == [True]
    assert headers["Webhook-Event"] == "conversation.escalated"
    sent = json.loads(body)
    assert sent["data"]["conversation"]["id"] == conversation.pk
    assert sent["data"]["conversation"]["reason"] == "breach"
    assert sent["data"]["conversation"]["mission"] == world.mission_a.code
    assert "When does the consulate open?" not in body.decode()  # the public's words stay in the hub


def test_an_escalation_at_ingestion_is_heard_once_as_the_clocks_are(
    world, receiver, tasks, django_capture_on_commit_callbacks
):
    """Global time: distress heard while Cairo is closed is offered to headquarters at
    ingestion, and owes the same signed webhook and the same mail as a clock's escalation;
    hearing it again (a replay) owes nothing more."""
    admin = world.users["admin"]
    webhooks.host_allow(actor=admin, host="127.0.0.1", reason="The receiver of the tests")
    new = webhooks.endpoint_create(actor=admin, name="Desk watch", url=receiver.url, events=["conversation.escalated"])
    receiver.secret = new.secret
    press_officer(email="hq@example.org")
    cairo_x = account("emb-eg-cairo", Network.TWITTER)
    friday_night = datetime(2026, 5, 1, 23, 30, tzinfo=ZoneInfo("Africa/Cairo"))
    distress = heard(thread_id="sos", text="النجدة، ابني اعتقل ولا أحد يرد", created_at=friday_night, language="")
    for _ in range(2):
        with time_machine.travel(friday_night, tick=False), django_capture_on_commit_callbacks(execute=True):
            items_ingest(account=cairo_x, items=[distress], source=RawEvent.Source.WEBHOOK)
    tasks.run("mail.send")

    conversation = Conversation.objects.get(thread_id="sos")
    assert conversation.escalated_at == friday_night
    event = conversation.events.get(verb="conversation.escalated")
    delivery = WebhookDelivery.objects.get()
    assert (delivery.event, delivery.source_event_id) == ("conversation.escalated", event.pk)
    (told,) = [message for message in mail.outbox if message.to == ["hq@example.org"]]
    assert "Offered to headquarters" in told.subject
    assert tasks.run("api.webhook_send") == ["sent"]
    ((headers, body),) = receiver.received
    assert receiver.verified == [True]
    assert headers["Webhook-Event"] == "conversation.escalated"
    sent = json.loads(body)["data"]["conversation"]
    assert (sent["id"], sent["reason"], sent["mission"]) == (conversation.pk, "after_hours", "emb-eg-cairo")
    assert "النجدة" not in body.decode()  # the public's words stay in the hub


def test_administrators_may_choose_the_escalation_event(world, client):
    force_verified_login(client, world.users["admin"])
    page = client.get("/integrations/webhooks/new/")
    assert page.status_code == 200
    assert 'value="conversation.escalated"' in page.content.decode()
