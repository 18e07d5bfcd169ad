"""Enrolment grants: an administrator's permission for one user to enrol an authenticator
app, once, before a deadline. Without an open grant, a privileged user who has no app
cannot enrol one after their password (security/two_factor.py::may_enrol): a stolen
password alone is not enough to bind the thief's phone to the account."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class EnrolmentGrant(models.Model):
    class Status(models.TextChoices):
        OPEN = "open", _("open")
        USED = "used", _("used")
        WITHDRAWN = "withdrawn", _("withdrawn")
        EXPIRED = "expired", _("expired")

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="enrolment_grants", verbose_name=_("user")
    )
    opened_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("opened by"),
    )
    opened_at = models.DateTimeField(_("opened at"), default=timezone.now)
    expires_at = models.DateTimeField(_("expires at"))
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.OPEN)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("closed by"),
    )

    class Meta:
        verbose_name = _("enrolment grant")
        verbose_name_plural = _("enrolment grants")
        ordering = ["-opened_at", "-pk"]
        constraints = [
            # One open grant per user (an expired one is closed before the next opens).
            models.UniqueConstraint(
                fields=["user"], condition=Q(status="open"), name="security_enrolmentgrant_one_open_per_user"
            ),
            models.CheckConstraint(
                condition=Q(expires_at__gt=models.F("opened_at")), name="security_enrolmentgrant_expires_after_opening"
            ),
            models.CheckConstraint(
                condition=Q(status="open", closed_at__isnull=True) | (~Q(status="open") & Q(closed_at__isnull=False)),
                name="security_enrolmentgrant_closed_at_iff_closed",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} ({self.get_status_display()})"

    def is_open(self, *, now=None) -> bool:
        """Open and not past its deadline: the user may enrol now."""
        return self.status == self.Status.OPEN and self.expires_at > (now or timezone.now())
