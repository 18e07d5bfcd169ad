"""Fixtures for the operations pages' view tests: people of each role, logged in (with
their second factor where their role needs one), and messages in the states the pages
show. Deliveries are put in a state directly (the engine's own tests prove how they get
there); the actions go through the views and the services."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from channels.models import Network
from posts.models import Delivery, Message
from tests.posts.factories import (
    account,
    administrator,
    approved_message,
    crisis_member,
    officer,
    press_officer,
)
from tests.security.otp import force_verified_login

TOKYO = "emb-jp-tokyo"
CAIRO = "emb-eg-cairo"


def logged_in(user) -> Client:
    return force_verified_login(Client(), user)


@pytest.fixture
def tokyo_officer(db):
    return officer(TOKYO, username="officer-tokyo")


@pytest.fixture
def cairo_officer(db):
    return officer(CAIRO, username="officer-cairo")


@pytest.fixture
def press(db):
    return press_officer(username="press-1")


@pytest.fixture
def crisis(db):
    return crisis_member(username="crisis-1")


@pytest.fixture
def admin_user(db):
    return administrator(username="admin-1")


@pytest.fixture
def as_user():
    """`as_user(user)`: a test client logged in (and verified) as `user`."""
    return logged_in


@pytest.fixture
def tokyo_message(tokyo_officer, press):
    """A Tokyo message in French and Japanese to an X and a Facebook account, approved for
    two hours from now: four deliveries, scheduled."""
    targets = [account(TOKYO, Network.TWITTER), account(TOKYO, Network.FACEBOOK)]
    return approved_message(
        approver=press,
        author=tokyo_officer,
        mission_or_code=TOKYO,
        targets=targets,
        texts={"fr": "Bonjour Tokyo.", "ja": "こんにちは東京。"},
        title="Tokyo greeting",
    )


def set_deliveries(message: Message, *states: str, **fields) -> list[Delivery]:
    """Put the message's deliveries (in id order) in these states, and the message in the
    state they add up to."""
    from posts.services.summary import summary_state

    deliveries = list(message.deliveries.order_by("pk"))
    now = timezone.now()
    for delivery, state in zip(deliveries, states, strict=False):
        changes = {"state": state, "state_changed_at": now}
        if state == Delivery.State.SENT:
            changes |= {
                "sent_at": now,
                "external_id": f"x{delivery.pk}",
                "external_url": f"https://sandbox.example/posts/{delivery.pk}",
            }
        if state == Delivery.State.FAILED:
            changes |= {
                "attempts": 3,
                "last_error": "X refused the call: Your Tweet text is too long",
                "last_error_kind": Delivery.ErrorKind.PERMANENT,
            }
        if state == Delivery.State.UNKNOWN:
            changes |= {
                "attempts": 1,
                "last_error": "X did not answer in time (ReadTimeout).",
                "last_error_kind": Delivery.ErrorKind.UNKNOWN,
                "next_attempt_at": None,
            }
        if state == Delivery.State.HELD:
            changes |= {"next_attempt_at": now - timedelta(minutes=5)}
        changes.update(fields)
        Delivery.objects.filter(pk=delivery.pk).update(**changes)
    target = summary_state([d.state for d in Delivery.objects.filter(message=message)])
    if target:
        Message.objects.filter(pk=message.pk).update(state=target)
    message.refresh_from_db()
    return list(message.deliveries.order_by("pk"))
