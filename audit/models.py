"""The audit log: one row per sensitive action, never changed or removed by the app.

Append-only at three levels: the model refuses to save an existing row or delete one, its
queryset refuses `update()` and `delete()`, and on PostgreSQL a trigger refuses UPDATE and
DELETE on the table (migration 0002) whatever the client. In production the application's
database role should also lack UPDATE, DELETE and TRUNCATE on it (docs/security.md).
"""

from __future__ import annotations

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class AuditLogImmutable(Exception):
    """Raised on any attempt to change or remove an audit event."""


_REFUSAL = "The audit log is append-only: events cannot be changed or deleted."


class AuditEventQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise AuditLogImmutable(_REFUSAL)

    def delete(self):
        raise AuditLogImmutable(_REFUSAL)

    def bulk_update(self, objs, fields, batch_size=None):
        raise AuditLogImmutable(_REFUSAL)

    def update_or_create(self, *args, **kwargs):
        raise AuditLogImmutable(_REFUSAL)

    def _raw_delete(self, using):
        raise AuditLogImmutable(_REFUSAL)


class AuditEvent(models.Model):
    """Who (actor, source address) did what (action, details) to which object, when."""

    created_at = models.DateTimeField(_("time"), default=timezone.now, db_index=True, editable=False)
    # PROTECT: a user with a trail cannot be deleted, only deactivated; the row is never rewritten.
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("actor"),
        editable=False,
    )
    actor_label = models.CharField(_("actor's username"), max_length=150, blank=True, editable=False)
    action = models.CharField(_("action"), max_length=64, editable=False)  # dotted: "auth.login"
    object_type = models.CharField(_("object type"), max_length=100, blank=True, editable=False)
    object_id = models.CharField(_("object id"), max_length=64, blank=True, editable=False)
    object_label = models.CharField(_("object"), max_length=300, blank=True, editable=False)
    source_address = models.GenericIPAddressField(_("source address"), null=True, blank=True, editable=False)
    details = models.JSONField(_("details"), default=dict, blank=True, encoder=DjangoJSONEncoder, editable=False)

    objects = AuditEventQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("audit event")
        verbose_name_plural = _("audit events")
        indexes = [
            models.Index(fields=["action", "created_at"], name="audit_event_action_time"),
            models.Index(fields=["actor", "created_at"], name="audit_event_actor_time"),
            models.Index(fields=["object_type", "object_id"], name="audit_event_object"),
        ]
        constraints = [
            models.CheckConstraint(condition=models.Q(action__contains="."), name="audit_auditevent_action_dotted"),
        ]
        default_permissions = ("view",)

    def __str__(self) -> str:
        who = self.actor_label or "system"
        return f"{self.created_at:%Y-%m-%d %H:%M:%S} {who} {self.action} {self.object_label}".strip()

    def save(self, *args, **kwargs):
        if not self._state.adding or kwargs.get("force_update"):
            raise AuditLogImmutable(_REFUSAL)
        kwargs["force_insert"] = True
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise AuditLogImmutable(_REFUSAL)
