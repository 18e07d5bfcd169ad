"""Credentials never travel in task payloads (issue #3 §1): the broker carries ids only.
An administrator connects an account with canary credentials, a message to it is approved
(the dispatcher's kick), dispatched (its publish task), and beat's account tasks run (the
health check and the refresh of expiring tokens fan out one task per account). Every
message Celery hands to the broker is read back from the broker itself (kombu's in-memory
transport, real serialization) and searched for the canaries and the sealed credentials.
Matrix S30; ASVS 13.3.1."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from celery import current_app
from django.utils import timezone

from channels import tasks as channel_tasks
from channels.models import SocialAccount
from embassies.roles import Role
from posts.models import Delivery
from posts.services import dispatch
from posts.services.dispatch import dispatch_due
from posts.services.review import message_approve
from tests.factories import SocialAccountFactory, UserFactory
from tests.posts.factories import officer, press_officer, submitted_message
from tests.security.conftest import CANARY, MISSION_A, connect_through_the_ui
from tests.security.otp import force_verified_login

pytestmark = pytest.mark.django_db


def _secrets(account: SocialAccount) -> dict[str, str]:
    account.refresh_from_db()
    sealed = account.sealed_credentials
    return {
        **{f"canary {key}": value for key, value in CANARY.items()},
        "sealed credentials": sealed,
        "sealed credentials (a piece)": sealed[len(sealed) // 2 :][:40],
    }


def test_no_task_payload_carries_credentials(
    client, fake_network, memory_broker, monkeypatch, django_capture_on_commit_callbacks
):
    monkeypatch.setattr("posts.services.review.kick_dispatcher", dispatch.kick_dispatcher)  # the real kick
    admin = UserFactory(roles=[Role.ADMINISTRATOR], is_staff=True)
    account = SocialAccountFactory(
        mission__code=MISSION_A,
        network="twitter",
        handle="",
        network_account_id="",
        status=SocialAccount.Status.PENDING,
        credentials=False,
    )
    force_verified_login(client, admin)
    with django_capture_on_commit_callbacks(execute=True):
        connect_through_the_ui(client, account)
    account.refresh_from_db()
    assert account.open_credentials().access_token == CANARY["access"]

    author = officer(MISSION_A)
    message = submitted_message(author=author, mission_or_code=MISSION_A, texts={"fr": "Bonjour."}, targets=[account])
    with django_capture_on_commit_callbacks(execute=True):
        message_approve(actor=press_officer(), message_id=message.pk, publish_at=None)
    with django_capture_on_commit_callbacks(execute=True):
        result = dispatch_due()
    delivery = Delivery.objects.get(message=message)
    assert result.queued == [delivery.pk]

    SocialAccount.objects.filter(pk=account.pk).update(token_expires_at=timezone.now() + timedelta(minutes=1))
    with django_capture_on_commit_callbacks(execute=True):
        assert channel_tasks.health_check_all() >= 1
    with django_capture_on_commit_callbacks(execute=True):
        assert channel_tasks.refresh_expiring() >= 1

    messages = memory_broker()
    names = {message["name"] for message in messages}
    assert {
        "posts.dispatch_due",
        "posts.publish_batch",
        "channels.health_check_account",
        "channels.refresh_account",
    } <= names, names
    assert sorted(memory_broker.published) == sorted(message["name"] for message in messages)
    # Ids only: every argument is an integer, or a list of them (a batch of deliveries).
    for message in messages:
        for argument in message["args"]:
            assert all(isinstance(one, int) for one in (argument if isinstance(argument, list) else [argument])), (
                message
            )
    assert [message["args"] for message in messages if message["name"] == "posts.publish_batch"] == [[[delivery.pk]]]
    wire = "\n".join(message["raw"] + json.dumps(message["headers"], default=str) for message in messages)
    leaks = [what for what, secret in _secrets(account).items() if secret and secret in wire]
    assert not leaks, f"In a task payload: {leaks}"


def test_the_search_finds_a_canary_that_travels(memory_broker):
    """Positive control: a task sent with a secret is read back with it."""
    current_app.send_task("channels.refresh_account", args=[CANARY["access"]], queue="maintenance")
    (message,) = memory_broker()
    assert CANARY["access"] in message["raw"]
    assert message["args"] == [CANARY["access"]]
