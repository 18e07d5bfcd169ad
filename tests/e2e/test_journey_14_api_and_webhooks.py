"""Journey 14, the API and its webhooks (issue 20), in the browser of an administrator:

- the API's documentation, served by the app (Swagger UI, no CDN), lists the operations,
  the conversation desk's among them;
- a monitoring endpoint hears a message approved: the first attempt gets 503, the retry
  200, and the endpoint's page shows both attempts, each with its status and time."""

from __future__ import annotations

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from api.models import WebhookDelivery
from api.services import webhooks
from posts.services.review import message_approve
from tests.api.conftest import Receiver, Tasks
from tests.security.conftest import build_world

from .helpers import shot

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(120)]


@pytest.fixture
def receiver():
    running = Receiver()
    yield running
    running.close()


def test_an_administrator_reads_the_api_docs_and_the_webhook_attempts(live_server, login, receiver, monkeypatch):
    tasks = Tasks()
    monkeypatch.setattr("diplomacy_hub.tasks.current_app.send_task", tasks.send_task)
    world = build_world()
    admin = world.users["admin"]
    webhooks.host_allow(actor=admin, host="127.0.0.1", reason="The monitoring relay")
    new = webhooks.endpoint_create(
        actor=admin,
        name="Crisis cell monitoring",
        url=receiver.url,
        events=["message.approved", "delivery.failed", "conversation.escalated"],
    )
    receiver.secret = new.secret
    message_approve(actor=world.users["press"], message_id=world.message_a.pk)
    delivery = WebhookDelivery.objects.get()
    receiver.status = 503
    assert webhooks.webhook_send(delivery_id=delivery.pk) == "pending"
    receiver.status = 200
    WebhookDelivery.objects.filter(pk=delivery.pk).update(next_attempt_at=timezone.now())
    assert webhooks.webhook_send(delivery_id=delivery.pk) == "sent"
    assert receiver.verified == [True, True]

    page = login(admin)
    page.goto("/api/v1/docs/")
    expect(page.locator(".swagger-ui .opblock-summary-path", has_text="/api/v1/conversations/").first).to_be_visible()
    expect(
        page.locator(".swagger-ui .opblock-summary-path", has_text="/api/v1/replies/{reply_id}/clear/")
    ).to_be_visible()
    shot(page, "api-docs", full_page=False)

    page.goto(f"/integrations/webhooks/{new.endpoint.pk}/")
    expect(page.get_by_text("http_error 503")).to_be_visible()
    expect(page.get_by_text(str(delivery.uid))).to_be_visible()
    shot(page, "webhook-attempts")
