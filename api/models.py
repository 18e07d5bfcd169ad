"""The API's own records: tokens, webhook endpoints, the hosts administrators allow on
private addresses, and the webhooks' outbox (one delivery per endpoint and event) with a
row per attempt (Saleor's EventDelivery and EventDeliveryAttempt)."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from embassies.models import Mission


class Scope(models.TextChoices):
    """What a service account's token may do (a person's token may do all of it, within
    their own rights)."""

    READ = "read", _("Read")
    MESSAGES_WRITE = "messages:write", _("Draft, edit and submit messages")
    REVIEWS_DECIDE = "reviews:decide", _("Approve, request changes, reject")
    DELIVERIES_OPERATE = "deliveries:operate", _("Retry and settle deliveries")
    CRISIS_WRITE = "crisis:write", _("Draft crisis alerts")
    REPLIES_WRITE = "replies:write", _("Write replies to the public")
    REPLIES_CLEAR = "replies:clear", _("Clear or return replies")


class ApiToken(models.Model):
    """A bearer token, shown once: only its prefix (to find it) and its SHA-256 (to check
    it) are kept. A person's token acts with their rights; a service account's is also
    narrowed to missions and scopes, and always expires."""

    class Kind(models.TextChoices):
        PERSON = "person", _("Person")
        SERVICE = "service", _("Service account")

    name = models.CharField(_("name"), max_length=100)
    kind = models.CharField(_("kind"), max_length=8, choices=Kind.choices)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="api_tokens", verbose_name=_("acts as")
    )
    prefix = models.CharField(max_length=16, unique=True, editable=False)
    digest = models.CharField(max_length=64, editable=False)
    # Empty: every mission the user may see. Service accounts only.
    missions = models.ManyToManyField(Mission, blank=True, related_name="+", verbose_name=_("missions"))
    scopes = models.JSONField(_("scopes"), default=list, blank=True)
    # Requests per minute; 0: the default (API_TOKEN_RATE).
    rate_per_minute = models.PositiveIntegerField(_("requests per minute"), default=0)
    expires_at = models.DateTimeField(_("expires"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("created by")
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    last_used_at = models.DateTimeField(_("last used"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(kind="person") | models.Q(expires_at__isnull=False),
                name="api_apitoken_service_expires",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    def is_usable(self, now=None) -> bool:
        now = now or timezone.now()
        return self.revoked_at is None and (self.expires_at is None or self.expires_at > now) and self.user.is_active

    def allows(self, scope: str) -> bool:
        return self.kind == self.Kind.PERSON or scope in self.scopes


class WebhookEvent(models.TextChoices):
    MESSAGE_APPROVED = "message.approved", _("Message approved")
    MESSAGE_PUBLISHED = "message.published", _("Message published")
    MESSAGE_PARTIALLY_PUBLISHED = "message.partially_published", _("Message published in part")
    MESSAGE_FAILED = "message.failed", _("Message failed")
    DELIVERY_FAILED = "delivery.failed", _("Delivery failed")
    DELIVERY_UNKNOWN = "delivery.unknown", _("Delivery outcome unknown")
    CRISIS_REACHED_ALL = "crisis.reached_all", _("Crisis alert reached all accounts")
    ACCOUNT_EXPIRED = "account.expired", _("Account expired or revoked")
    CONVERSATION_ESCALATED = "conversation.escalated", _("Conversation escalated to headquarters")


class AllowedHost(models.Model):
    """A host that webhooks may reach although it resolves to a loopback or private
    address: an administrator's explicit exception to the SSRF rule."""

    host = models.CharField(_("host"), max_length=253, unique=True)
    reason = models.CharField(_("reason"), max_length=200)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["host"]
        verbose_name = _("allowed webhook host")
        verbose_name_plural = _("allowed webhook hosts")

    def __str__(self) -> str:
        return self.host


class WebhookEndpoint(models.Model):
    name = models.CharField(_("name"), max_length=100)
    url = models.URLField(_("URL"), max_length=500)
    events = models.JSONField(_("events"), default=list)
    # Sealed with the credentials' key ring (channels.crypto); shown once, at creation.
    secret_sealed = models.TextField(editable=False)
    is_active = models.BooleanField(_("active"), default=True)
    # Since when every attempt has failed (None: the last one went through).
    failing_since = models.DateTimeField(_("failing since"), null=True, blank=True)
    disabled_at = models.DateTimeField(_("disabled"), null=True, blank=True)
    disabled_reason = models.CharField(_("why disabled"), max_length=200, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("webhook endpoint")
        verbose_name_plural = _("webhook endpoints")

    def __str__(self) -> str:
        return self.name


class WebhookDelivery(models.Model):
    """One event owed to one endpoint: written in the transaction of the change (the
    outbox), sent by a task, retried on its due time by the same task's beat."""

    class State(models.TextChoices):
        PENDING = "pending", _("Pending")
        SENDING = "sending", _("Sending")
        SENT = "sent", _("Sent")
        FAILED = "failed", _("Failed")

    endpoint = models.ForeignKey(WebhookEndpoint, on_delete=models.CASCADE, related_name="deliveries")
    # The receiver's idempotency key: the same for every attempt.
    uid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    event = models.CharField(_("event"), max_length=40, choices=WebhookEvent.choices)
    source_event_id = models.BigIntegerField(null=True, blank=True)
    payload = models.JSONField()
    state = models.CharField(_("state"), max_length=8, choices=State.choices, default=State.PENDING)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    next_attempt_at = models.DateTimeField(_("next attempt"), default=timezone.now)
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("webhook delivery")
        verbose_name_plural = _("webhook deliveries")
        indexes = [models.Index(fields=["state", "next_attempt_at"], name="api_webhookdelivery_due_idx")]
        constraints = [
            # One delivery per endpoint and source event: an event handed over twice is owed once.
            models.UniqueConstraint(
                fields=["endpoint", "event", "source_event_id"],
                condition=models.Q(source_event_id__isnull=False),
                name="api_webhookdelivery_once_per_event",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.event} → {self.endpoint_id} ({self.state})"


class WebhookAttempt(models.Model):
    delivery = models.ForeignKey(WebhookDelivery, on_delete=models.CASCADE, related_name="attempt_log")
    number = models.PositiveSmallIntegerField()
    started_at = models.DateTimeField()
    duration_ms = models.PositiveIntegerField(default=0)
    status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    # ok | http_error | refused (SSRF) | unreachable | timeout
    outcome = models.CharField(max_length=16)
    detail = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["started_at", "pk"]

    def __str__(self) -> str:
        return f"{self.delivery_id}#{self.number} {self.outcome}"
