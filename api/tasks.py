"""The webhooks' tasks: each takes ids and calls one service (api.services.webhooks)."""

from __future__ import annotations

from api.services.webhooks import webhook_send as webhook_send_service
from api.services.webhooks import webhooks_due as webhooks_due_service
from diplomacy_hub.tasks import task


@task(name="api.webhook_send")
def webhook_send(delivery_id: int, **kwargs) -> str:
    return webhook_send_service(delivery_id=int(delivery_id))


@task(name="api.webhooks_due")
def webhooks_due(**kwargs) -> int:
    return len(webhooks_due_service())
