import json
from datetime import datetime

from django.db import models
from django.utils.translation import gettext_lazy as _

from channels.adapters.base import Credentials
from channels.crypto import key_ring
from embassies.models import Mission


class Network(models.TextChoices):
    TWITTER = "twitter", "X"
    FACEBOOK = "facebook", "Facebook"
    YOUTUBE = "youtube", "YouTube"
    FLICKR = "flickr", "Flickr"


class SocialAccount(models.Model):
    """One account of one mission on one network, e.g. the Tokyo embassy's X account.

    Its credentials are sealed (channels.crypto) with the row's identity bound in; they are
    opened only to call the network, and never shown, logged or sent to a task.
    """

    class Status(models.TextChoices):
        PENDING = "pending", _("Not connected yet")
        CONNECTED = "connected", _("Connected")
        EXPIRED = "expired", _("Expired: reconnect")
        REVOKED = "revoked", _("Revoked: reconnect")
        DISABLED = "disabled", _("Disabled")

    mission = models.ForeignKey(
        Mission,
        on_delete=models.PROTECT,
        related_name="social_accounts",
        verbose_name=_("mission"),
    )
    network = models.CharField(_("network"), max_length=16, choices=Network.choices)
    handle = models.CharField(_("handle"), max_length=100, blank=True)
    display_name = models.CharField(_("display name"), max_length=200, blank=True)
    network_account_id = models.CharField(
        _("account id on the network"),
        max_length=64,
        blank=True,
        help_text=_("The X user id, Facebook Page id, YouTube channel id or Flickr NSID."),
    )
    sealed_credentials = models.TextField(_("credentials (sealed)"), blank=True, editable=False)
    token_expires_at = models.DateTimeField(_("access token expires"), null=True, blank=True, editable=False)
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.PENDING)
    is_sandbox = models.BooleanField(
        _("sandbox account"),
        default=False,
        help_text=_("Published to the built-in sandbox networks, never to the real network."),
    )
    last_checked_at = models.DateTimeField(_("last health check"), null=True, blank=True)
    last_check_result = models.CharField(_("last health check result"), max_length=300, blank=True)
    # What `last_check_result` says, as a problem code and parameters (channels.problems), so
    # that each reader gets it in their language; the text stays for the record and the logs.
    last_check_code = models.CharField(max_length=64, blank=True)
    last_check_params = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        ordering = ["mission__name", "network"]
        verbose_name = _("social account")
        verbose_name_plural = _("social accounts")
        constraints = [
            models.UniqueConstraint(
                fields=["network", "network_account_id"],
                condition=~models.Q(network_account_id=""),
                name="channels_socialaccount_unique_network_account",
            ),
            models.CheckConstraint(
                condition=models.Q(network__in=["twitter", "facebook", "youtube", "flickr"]),
                name="channels_socialaccount_network_valid",
            ),
        ]
        indexes = [models.Index(fields=["status", "network"], name="channels_account_status_idx")]

    def __str__(self) -> str:
        label = self.handle or self.display_name or self.network_account_id or _("(not connected)")
        return f"{self.mission.display_name} · {self.get_network_display()} {label}"

    # --- Credentials -------------------------------------------------------------------------

    def _associated_data(self) -> bytes:
        if self.pk is None:
            raise ValueError("Save the account before storing credentials: its id is bound into them.")
        return f"channels.socialaccount:{self.pk}:{self.network}".encode()

    def seal_credentials(self, credentials: Credentials) -> None:
        """Set the sealed credentials (the caller saves the row)."""
        payload = {
            "access_token": credentials.access_token,
            "refresh_token": credentials.refresh_token,
            "token_secret": credentials.token_secret,
            "expires_at": credentials.expires_at.isoformat() if credentials.expires_at else None,
            "account_id": credentials.account_id,
            "extra": credentials.extra,
        }
        self.sealed_credentials = key_ring().seal(
            json.dumps(payload).encode(),
            associated_data=self._associated_data(),
        )
        self.token_expires_at = credentials.expires_at

    def open_credentials(self) -> Credentials:
        """The plaintext credentials, for one network call. Raises
        CredentialsDecryptionError (never falls back) when they do not open."""
        payload = json.loads(key_ring().open(self.sealed_credentials, associated_data=self._associated_data()))
        expires_at = payload.pop("expires_at")
        return Credentials(**payload, expires_at=datetime.fromisoformat(expires_at) if expires_at else None)

    @property
    def has_credentials(self) -> bool:
        return bool(self.sealed_credentials)

    @property
    def can_publish(self) -> bool:
        return self.status == self.Status.CONNECTED and self.has_credentials


class NetworkBudget(models.Model):
    """What every worker together spent of one network's daily budget (channels.budgets):
    YouTube's quota units, calls elsewhere. `crisis_units` is the part of them spent for
    missions under a crisis alert: the only work that may go on into the crisis reserve."""

    network = models.CharField(max_length=16, choices=Network.choices)
    day = models.DateField()  # the network's own day: YouTube's quota starts again at midnight Pacific
    units = models.PositiveIntegerField(default=0)
    crisis_units = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["network", "day"], name="channels_networkbudget_one_a_day")]

    def __str__(self) -> str:
        return f"{self.network} {self.day}: {self.units}"


# --- Words (the network and account as officers know them) ----------------------------------


def network_label(network: str) -> str:
    try:
        return str(Network(network).label)
    except ValueError:
        return network


def account_name(account: SocialAccount) -> str:
    """How the account is known on its network: "@FranceEgypte" on X."""
    name = account.handle or account.display_name or account.network_account_id or f"#{account.pk}"
    if account.network == Network.TWITTER and account.handle and not name.startswith("@"):
        name = f"@{name}"
    return name


def account_label(account: SocialAccount) -> str:
    """ "X @FranceEgypte": the network, then how the account is known there."""
    return f"{network_label(account.network)} {account_name(account)}"
