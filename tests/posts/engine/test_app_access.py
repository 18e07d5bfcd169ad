"""X's 403 "client-forbidden" (the app's access level reads no timeline): reconciliation
through the real adapter and the sandbox keeps the delivery unknown instead of failing it,
and the health page says what to fix; a read that works again clears it."""

from __future__ import annotations

import pytest
import requests
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from live.media_samples import jpeg_bytes
from posts.models import Delivery, Heartbeat
from posts.services.delivery import delivery_publish
from posts.services.dispatch import dispatch_due
from posts.services.messages import attachment_add
from posts.services.reconcile import delivery_reconcile
from posts.services.review import message_approve, message_submit
from tests.posts.factories import draft_message, officer, press_officer
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


def test_a_flickr_api_key_flickr_does_not_know_is_retried_and_said_not_blamed_on_the_account(sandbox_url, settings):
    """Flickr's code 100 is our settings' fault: the delivery waits for another try (nothing
    went out), the account stays connected, and the health page names Flickr."""
    settings.SANDBOX_URL = sandbox_url
    settings.SOCIAL_APPS = {**settings.SOCIAL_APPS, "flickr": {"client_id": "nobodys-key", "client_secret": "x"}}
    (flickr,) = accounts(1, network="flickr")
    author = officer(flickr.mission.code)
    message = draft_message(
        author=author, mission_or_code=flickr.mission.code, texts={"fr": "Réception."}, targets=[flickr]
    )
    photo = SimpleUploadedFile("reception.jpg", jpeg_bytes(), content_type="image/jpeg")
    attachment_add(actor=author, message_id=message.pk, uploaded_file=photo, alt_text="La réception")
    message_submit(actor=author, message_id=message.pk)
    message_approve(actor=press_officer(), message_id=message.pk, publish_at=None)
    dispatch_due()
    (delivery,) = deliveries_of(message)

    delivery_publish(delivery_id=delivery.pk)
    delivery.refresh_from_db()
    flickr.refresh_from_db()

    assert delivery.state == S.SCHEDULED
    assert flickr.status == flickr.Status.CONNECTED
    assert Heartbeat.objects.filter(name="app_access:flickr").exists()
    assert "Flickr application access" in _health_page()
