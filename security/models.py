"""Enrolment grants: an administrator's permission for one user to enrol an authenticator
app, once, before a deadline. Without an open grant, a privileged user who has no app
cannot enrol one after their password (security/two_factor.py::may_enrol): a stolen
password alone is not enough to bind the thief's phone to the account. Invitations: how an
administrator brings a new person in."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from embassies.models import Mission
from embassies.roles import Role


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


class Invitation(models.Model):
    """An administrator's invitation of a person: who they will be (name, e-mail, username,
    role, missions) and the single-use link that lets them set their password. The account
    is made only when the link is used (security/services/people.py::invitation_accept), so an
    invitation never accepted leaves no user behind. The link's token is stored as its
    SHA-256 only; a new link (resend) replaces the old one at once."""

    class Status(models.TextChoices):
        PENDING = "pending", pgettext_lazy("invitation", "pending")
        ACCEPTED = "accepted", pgettext_lazy("invitation", "accepted")
        REVOKED = "revoked", pgettext_lazy("invitation", "withdrawn")
        EXPIRED = "expired", pgettext_lazy("invitation", "expired")

    email = models.EmailField(_("e-mail"))
    first_name = models.CharField(_("first name"), max_length=150)
    last_name = models.CharField(_("last name"), max_length=150)
    username = models.CharField(_("username"), max_length=150)
    role = models.CharField(_("role"), max_length=32, choices=Role.choices)
    missions = models.ManyToManyField(Mission, blank=True, related_name="+", verbose_name=_("missions"))
    language = models.CharField(_("language of the e-mail"), max_length=16, default="en")
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("invited by"),
    )
    created_at = models.DateTimeField(_("invited at"), default=timezone.now)
    expires_at = models.DateTimeField(_("expires at"))
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.PENDING)
    # The link being sent is number `issue`; `mailed_issue` the last one mailed. A resend
    # adds one, so a task of an older issue (or one delivered twice) mails nothing.
    issue = models.PositiveIntegerField(_("link number"), default=1)
    mailed_issue = models.PositiveIntegerField(_("link mailed"), default=0)
    mailed_at = models.DateTimeField(_("mailed at"), null=True, blank=True)
    token_hash = models.CharField(_("link's hash"), max_length=64, blank=True, default="", editable=False)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("closed by"),
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="invitations",
        verbose_name=_("account made"),
    )

    class Meta:
        verbose_name = _("invitation")
        verbose_name_plural = _("invitations")
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                Lower("email"), condition=Q(status="pending"), name="security_invitation_one_pending_per_email"
            ),
            models.UniqueConstraint(
                Lower("username"), condition=Q(status="pending"), name="security_invitation_one_pending_per_username"
            ),
            models.UniqueConstraint(
                fields=["token_hash"], condition=~Q(token_hash=""), name="security_invitation_token_unique"
            ),
            models.CheckConstraint(
                condition=Q(expires_at__gt=models.F("created_at")), name="security_invitation_expires_after_creation"
            ),
            models.CheckConstraint(
                condition=Q(status="pending", closed_at__isnull=True)
                | (~Q(status="pending") & Q(closed_at__isnull=False)),
                name="security_invitation_closed_at_iff_closed",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.first_name} {self.last_name} <{self.email}>"

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip()

    def is_expired(self, *, now=None) -> bool:
        return self.status == self.Status.PENDING and self.expires_at <= (now or timezone.now())


class LanguagePreference(models.Model):
    """The language a person reads the app in: their invitation's, then the one of their
    last login or of the language switcher. What is mailed to them is written in it
    (diplomacy_hub.mail.Recipient); without a row, the site's default language."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        primary_key=True,
        related_name="language_preference",
        verbose_name=_("user"),
    )
    language = models.CharField(_("language"), max_length=16)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("language preference")
        verbose_name_plural = _("language preferences")

    def __str__(self) -> str:
        return f"{self.user} ({self.language})"
