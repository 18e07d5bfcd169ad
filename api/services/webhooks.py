"""Webhooks: endpoints registered by administrators, the outbox written in the
transaction of each event, and the sending, signed and retried with backoff for a day.

- `outbox_listener` hears the events of the apps below (diplomacy_hub.outbox) inside their
  transactions and writes one WebhookDelivery per subscribed endpoint: the change and what
  is owed to the outside world commit together (no loss), and a unique constraint per
  endpoint and source event keeps an event from being owed twice.
- `webhook_send` claims a due delivery with a conditional UPDATE (pending → sending) before
  the call, so two workers never send the same one; a lost worker's claim is given back by
  `webhooks_due` after a while (at least once: the receiver dedups by Webhook-Id).
- A failed attempt waits BASE · 2^(n-1) (capped) for API_WEBHOOK_RETRY_FOR; an endpoint that
  has failed for API_WEBHOOK_DISABLE_AFTER is disabled and administrators get an e-mail.
"""

from __future__ import annotations

import json
import logging
import secrets
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from api import signing, ssrf
from api.models import AllowedHost, WebhookAttempt, WebhookDelivery, WebhookEndpoint, WebhookEvent
from api.ssrf import Refused, check_url
from audit.services import record as audit_record
from channels.crypto import key_ring
from channels.models import SocialAccount
from conversations.models import Conversation
from diplomacy_hub import policy
from diplomacy_hub.mail import absolute_url, mail_queue, users_in_groups
from diplomacy_hub.tasks import enqueue, enqueue_on_commit
from embassies.roles import Role
from posts.models import Delivery, Message, Priority

logger = logging.getLogger(__name__)

SEND_TASK = "api.webhook_send"
State = WebhookDelivery.State

# The events of the apps below (posts' event verbs, channels' account changes) and the
# webhook events each one makes.
VERB_EVENTS: dict[str, tuple[str, ...]] = {
    "message.approve": (WebhookEvent.MESSAGE_APPROVED,),
    "message.published": (WebhookEvent.MESSAGE_PUBLISHED, WebhookEvent.CRISIS_REACHED_ALL),
    "message.partially_published": (WebhookEvent.MESSAGE_PARTIALLY_PUBLISHED,),
    "message.failed": (WebhookEvent.MESSAGE_FAILED,),
    "delivery.failed": (WebhookEvent.DELIVERY_FAILED,),
    "delivery.unknown": (WebhookEvent.DELIVERY_UNKNOWN,),
    "account.expired": (WebhookEvent.ACCOUNT_EXPIRED,),
    "account.revoked": (WebhookEvent.ACCOUNT_EXPIRED,),
    "conversation.escalated": (WebhookEvent.CONVERSATION_ESCALATED,),
}


# --- Administration ------------------------------------------------------------------------------


@dataclass(frozen=True)
class NewEndpoint:
    endpoint: WebhookEndpoint
    secret: str  # shown once


def allowed_hosts() -> set[str]:
    return set(AllowedHost.objects.values_list("host", flat=True))


def _clean_events(events: Iterable[str]) -> list[str]:
    chosen = sorted(set(events))
    if not chosen or set(chosen) - set(WebhookEvent.values):
        raise ValidationError({"events": _("Choose the events this endpoint hears.")})
    return chosen


def endpoint_secret(endpoint: WebhookEndpoint) -> str:
    return key_ring().open(endpoint.secret_sealed, associated_data=f"webhook:{endpoint.pk}".encode()).decode()


def endpoint_create(*, actor, name: str, url: str, events: Iterable[str]) -> NewEndpoint:
    policy.require(actor, "integration.manage")
    name = " ".join(str(name or "").split())[:100]
    if not name:
        raise ValidationError({"name": _("Give the endpoint a name.")})
    try:
        check_url(url, allowed_hosts=allowed_hosts())
    except Refused as refusal:
        raise ValidationError({"url": str(refusal)}) from None
    chosen = _clean_events(events)
    secret = f"whsec_{secrets.token_urlsafe(32)}"
    with transaction.atomic():
        endpoint = WebhookEndpoint.objects.create(name=name, url=url, events=chosen, created_by=actor)
        endpoint.secret_sealed = key_ring().seal(secret.encode(), associated_data=f"webhook:{endpoint.pk}".encode())
        endpoint.save(update_fields=["secret_sealed"])
        audit_record(action="api.webhook_create", actor=actor, obj=endpoint, details={"url": url, "events": chosen})
    return NewEndpoint(endpoint=endpoint, secret=secret)


def endpoint_set_active(*, actor, endpoint_id: int, active: bool) -> WebhookEndpoint:
    """Enable (its failure clock starts again) or disable an endpoint. Idempotent."""
    policy.require(actor, "integration.manage")
    with transaction.atomic():
        endpoint = WebhookEndpoint.objects.select_for_update().get(pk=endpoint_id)
        if endpoint.is_active == active:
            return endpoint
        endpoint.is_active = active
        endpoint.failing_since = None
        endpoint.disabled_at = None if active else timezone.now()
        endpoint.disabled_reason = "" if active else _("Disabled by %(person)s.") % {"person": actor.get_username()}
        endpoint.save(update_fields=["is_active", "failing_since", "disabled_at", "disabled_reason"])
        audit_record(action="api.webhook_enable" if active else "api.webhook_disable", actor=actor, obj=endpoint)
    return endpoint


def host_allow(*, actor, host: str, reason: str) -> AllowedHost:
    """Let webhooks reach `host` although it resolves to a private or loopback address."""
    policy.require(actor, "integration.manage")
    host = str(host or "").strip().lower().rstrip(".")
    reason = " ".join(str(reason or "").split())[:200]
    if not host or len(host) > 253 or any(char in host for char in "/:@ ?#"):
        raise ValidationError({"host": _("Give a host name or an address, without scheme or port.")})
    if not reason:
        raise ValidationError({"reason": _("Say why this host may be reached.")})
    with transaction.atomic():
        allowed, created = AllowedHost.objects.get_or_create(
            host=host, defaults={"reason": reason, "created_by": actor}
        )
        if created:
            audit_record(
                action="api.webhook_host_allow", actor=actor, obj=allowed, details={"host": host, "reason": reason}
            )
    return allowed


def host_forbid(*, actor, host_id: int) -> None:
    policy.require(actor, "integration.manage")
    with transaction.atomic():
        allowed = AllowedHost.objects.filter(pk=host_id).first()
        if allowed is not None:
            audit_record(action="api.webhook_host_forbid", actor=actor, obj=allowed, details={"host": allowed.host})
            allowed.delete()


# --- The outbox ----------------------------------------------------------------------------------


def _message_data(message_id: int) -> dict[str, Any] | None:
    message = Message.objects.select_related("mission").filter(pk=message_id).first()
    if message is None:
        return None
    return {
        "message": {
            "id": message.pk,
            "title": message.title,
            "state": message.state,
            "priority": message.priority,
            "mission": message.mission.code if message.mission is not None else None,
            "scheduled_at": message.scheduled_at,
            "version": message.version,
        }
    }


def _delivery_data(delivery_id: int) -> dict[str, Any] | None:
    delivery = Delivery.objects.select_related("account__mission").filter(pk=delivery_id).first()
    if delivery is None:
        return None
    return {
        "delivery": {
            "id": delivery.pk,
            "message": delivery.message_id,
            "account": delivery.account_id,
            "network": delivery.account.network,
            "mission": delivery.account.mission.code,
            "language": delivery.language,
            "state": delivery.state,
            "error_code": delivery.last_error_code,
        }
    }


def _account_data(account_id: int) -> dict[str, Any] | None:
    account = SocialAccount.objects.select_related("mission").filter(pk=account_id).first()
    if account is None:
        return None
    return {
        "account": {
            "id": account.pk,
            "network": account.network,
            "handle": account.handle,
            "mission": account.mission.code,
            "status": account.status,
        }
    }


def _conversation_data(conversation_id: int, reason: str) -> dict[str, Any] | None:
    """What the conversation is and where its clock stands, never what the public wrote (an
    item may expose a person: the receiver asks the API, with its own rights, for that)."""
    # A protected conversation is never escalated, and never described outside its queue.
    conversation = Conversation.objects.on_desk().select_related("mission").filter(pk=conversation_id).first()
    if conversation is None:
        return None
    return {
        "conversation": {
            "id": conversation.pk,
            "mission": conversation.mission.code,
            "network": conversation.network,
            "status": conversation.status,
            "category": conversation.category,
            "priority": conversation.priority,
            "language": conversation.language,
            "due_at": conversation.due_at,
            "escalated_at": conversation.escalated_at,
            "reason": reason,
        }
    }


def _data(verb: str, payload: Mapping[str, Any]) -> dict[str, Any] | None:
    if verb.startswith("conversation."):
        return _conversation_data(payload["conversation_id"], str(payload.get("reason", "")))
    if verb.startswith("account."):
        return _account_data(payload["account_id"])
    if verb.startswith("delivery.") and payload.get("delivery_id"):
        return _delivery_data(payload["delivery_id"])
    if payload.get("message_id"):
        return _message_data(payload["message_id"])
    return None


def outbox_listener(verb: str, payload: Mapping[str, Any]) -> None:
    """Owe each subscribed, active endpoint this event (diplomacy_hub.outbox), in the
    caller's transaction; the first attempt is enqueued after commit."""
    events = VERB_EVENTS.get(verb)
    if not events:
        return
    endpoints = [
        endpoint for endpoint in WebhookEndpoint.objects.filter(is_active=True) if set(events) & set(endpoint.events)
    ]
    if not endpoints:
        return
    data = _data(verb, payload)
    if data is None:
        return
    if WebhookEvent.CRISIS_REACHED_ALL in events and data.get("message", {}).get("priority") != Priority.CRISIS:
        events = tuple(event for event in events if event != WebhookEvent.CRISIS_REACHED_ALL)
    now = timezone.now()
    rows = []
    for endpoint in endpoints:
        for event in set(events) & set(endpoint.events):
            delivery = WebhookDelivery(
                endpoint=endpoint,
                event=event,
                source_event_id=payload.get("event_id"),
                state=State.PENDING,
                next_attempt_at=now,
                created_at=now,
            )
            delivery.payload = json.loads(
                json.dumps(
                    {"id": str(delivery.uid), "type": event, "created_at": now, "data": data}, cls=DjangoJSONEncoder
                )
            )
            rows.append(delivery)
    created = WebhookDelivery.objects.bulk_create(rows, ignore_conflicts=True)
    ids = list(
        WebhookDelivery.objects.filter(uid__in=[row.uid for row in created], state=State.PENDING).values_list(
            "pk", flat=True
        )
    )
    if ids:
        enqueue_on_commit(SEND_TASK, calls=[((pk,), {}) for pk in ids], what="webhooks")


# --- Sending -------------------------------------------------------------------------------------


def backoff_seconds(attempt: int) -> float:
    return min(settings.API_WEBHOOK_BACKOFF_BASE * 2 ** max(attempt - 1, 0), settings.API_WEBHOOK_BACKOFF_MAX)


def _claim(delivery_id: int, now) -> bool:
    return bool(
        WebhookDelivery.objects.filter(
            pk=delivery_id, state=State.PENDING, next_attempt_at__lte=now, endpoint__is_active=True
        ).update(state=State.SENDING, next_attempt_at=now)
    )


def _post(endpoint: WebhookEndpoint, delivery: WebhookDelivery) -> tuple[str, int | None, str]:
    """One attempt: (outcome, status code, detail). The host is resolved and checked once,
    and the request goes to that address (api.ssrf: no DNS rebinding); no redirect is
    followed."""
    try:
        pinned = ssrf.pin(endpoint.url, allowed_hosts=allowed_hosts())
    except ssrf.Refused as refusal:
        return "refused", None, str(refusal)
    body = json.dumps(delivery.payload, separators=(",", ":"), sort_keys=True).encode()
    headers = signing.headers(
        secret=endpoint_secret(endpoint), delivery_id=str(delivery.uid), event=delivery.event, body=body
    )
    try:
        answer = ssrf.post(pinned, body=body, headers=headers, timeout=settings.API_WEBHOOK_TIMEOUT)
    except ssrf.TimeoutError as exc:
        return "timeout", None, str(exc)[:300]
    except ssrf.HTTPError as exc:
        return "unreachable", None, str(exc)[:300]
    if 200 <= answer.status < 300:
        return "ok", answer.status, ""
    return "http_error", answer.status, answer.text[:300]


def webhook_send(*, delivery_id: int) -> str:
    """Send one due delivery once (the task's service). Returns its state after, or "" when
    it was not due or not ours (already claimed, sent, or the endpoint disabled)."""
    now = timezone.now()
    if not _claim(delivery_id, now):
        return ""
    delivery = WebhookDelivery.objects.select_related("endpoint").get(pk=delivery_id)
    endpoint = delivery.endpoint
    started = time.monotonic()
    outcome, status_code, detail = _post(endpoint, delivery)
    finished = timezone.now()
    with transaction.atomic():
        delivery.attempts += 1
        WebhookAttempt.objects.create(
            delivery=delivery,
            number=delivery.attempts,
            started_at=now,
            duration_ms=int((time.monotonic() - started) * 1000),
            status_code=status_code,
            outcome=outcome,
            detail=detail,
        )
        if outcome == "ok":
            delivery.state, delivery.finished_at = State.SENT, finished
            WebhookEndpoint.objects.filter(pk=endpoint.pk).update(failing_since=None)
        else:
            retry_at = finished + timedelta(seconds=backoff_seconds(delivery.attempts))
            if retry_at - delivery.created_at <= timedelta(seconds=settings.API_WEBHOOK_RETRY_FOR):
                delivery.state, delivery.next_attempt_at = State.PENDING, retry_at
            else:
                delivery.state, delivery.finished_at = State.FAILED, finished
            _endpoint_failed(endpoint.pk, now=finished)
        delivery.save(update_fields=["state", "attempts", "next_attempt_at", "finished_at"])
    return delivery.state


def _endpoint_failed(endpoint_id: int, *, now) -> None:
    """Start the endpoint's failure clock, or disable it (once) when it has run a day, and
    tell the administrators."""
    endpoint = WebhookEndpoint.objects.select_for_update().get(pk=endpoint_id)
    if endpoint.failing_since is None:
        endpoint.failing_since = now
        endpoint.save(update_fields=["failing_since"])
        return
    if not endpoint.is_active or now - endpoint.failing_since < timedelta(seconds=settings.API_WEBHOOK_DISABLE_AFTER):
        return
    endpoint.is_active = False
    endpoint.disabled_at = now
    endpoint.disabled_reason = "failing"
    endpoint.save(update_fields=["is_active", "disabled_at", "disabled_reason"])
    audit_record(action="api.webhook_disable", actor=None, obj=endpoint, details={"reason": "failing"})
    mail_queue(
        subject=f"Webhook endpoint disabled: {endpoint.name}",
        template="webhook_disabled.txt",
        context={
            "name": endpoint.name,
            "url": endpoint.url,
            "since": endpoint.failing_since,
            "link": absolute_url(reverse("integrations:webhook_detail", args=[endpoint.pk])),
        },
        recipients=[user.email for user in users_in_groups(Role.ADMINISTRATOR)],
    )


def webhooks_due(*, now=None, limit: int = 500) -> list[int]:
    """Beat's look: give back claims lost with their worker, and enqueue the due retries."""
    now = now or timezone.now()
    lost_before = now - timedelta(seconds=settings.API_WEBHOOK_TIMEOUT * 3 + 60)
    WebhookDelivery.objects.filter(state=State.SENDING, next_attempt_at__lt=lost_before).update(state=State.PENDING)
    ids = list(
        WebhookDelivery.objects.filter(state=State.PENDING, next_attempt_at__lte=now, endpoint__is_active=True)
        .order_by("next_attempt_at")
        .values_list("pk", flat=True)[:limit]
    )
    if ids:
        enqueue(SEND_TASK, calls=[((pk,), {}) for pk in ids], what="due webhooks")
    return ids
