"""X's 403 "client-forbidden" (the app's access level reads no timeline): reconciliation
through the real adapter and the sandbox keeps the delivery unknown instead of failing it,
and the health page says what to fix; a read that works again clears it."""

from __future__ import annotations

import pytest
import requests
from django.test import Client
from django.urls import reverse

from posts.models import Delivery, Heartbeat
from posts.services.delivery import delivery_publish
from posts.services.dispatch import dispatch_due
from posts.services.reconcile import delivery_reconcile
from tests.posts.factories import press_officer
from tests.security.otp import force_verified_login

from .helpers import accounts, approve, deliveries_of

pytestmark = pytest.mark.django_db
S = Delivery.State


def _fault(sandbox_url: str, **rule) -> None:
    answer = requests.post(f"{sandbox_url}/_sandbox/faults", json={"network": "twitter", **rule}, timeout=5)
    assert answer.status_code == 201, answer.text


def _health_page(language: str = "en") -> str:
    client = force_verified_login(Client(), press_officer())
    client.cookies["django_language"] = language
    return client.get(reverse("posts:health"), headers={"Accept-Language": language}).text


def test_an_app_that_may_not_read_leaves_the_delivery_unknown_and_says_so(sandbox_url, settings):
    settings.SANDBOX_URL = sandbox_url
    settings.NETWORK_READ_TIMEOUT = 0.5
    message = approve(targets=accounts(1), text="Publié, réponse perdue.")
    dispatch_due()
    (delivery,) = deliveries_of(message)
    _fault(sandbox_url, timeout_rate=1, hang_seconds=2, count=1)  # stored, answer lost
    delivery_publish(delivery_id=delivery.pk)
    delivery.refresh_from_db()
    assert delivery.state == S.UNKNOWN

    _fault(sandbox_url, access_level="free")
    delivery_reconcile(delivery_id=delivery.pk)
    delivery.refresh_from_db()

    assert delivery.state == S.UNKNOWN  # not failed: the post may well be there
    assert "access level" in delivery.last_error
    assert Heartbeat.objects.filter(name="app_access:twitter").exists()
    page = _health_page()
    assert "X application access" in page
    assert "does not let Diplomacy Hub read timelines or look posts up" in page
    assert "Accès de l’application à X" in _health_page("fr")

    requests.delete(f"{sandbox_url}/_sandbox/faults", timeout=5)  # the access level was raised
    delivery_reconcile(delivery_id=delivery.pk)
    delivery.refresh_from_db()

    assert delivery.state == S.SENT
    assert not Heartbeat.objects.filter(name="app_access:twitter").exists()
    assert "X application access" not in _health_page()
