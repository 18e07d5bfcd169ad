"""Logging a privileged user in without the code page, for the live scenarios and the
tests (tests/security/otp.py has the rest): the session verified by the user's TOTP
device, as if they had entered a code."""

from __future__ import annotations

from django.contrib.auth import SESSION_KEY
from django.test import Client
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.plugins.otp_totp.models import TOTPDevice

from security.two_factor import needs_two_factor


def totp_device(user, *, name: str = "Test authenticator") -> TOTPDevice:
    """The user's confirmed TOTP device, created if they have none."""
    device = TOTPDevice.objects.filter(user=user, confirmed=True).order_by("pk").first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name=name, confirmed=True)
    return device


def force_verified_login(client: Client, user) -> Client:
    """`client.force_login(user)`, and the session verified by the user's TOTP device, as if
    they had entered a code. For officers (no second factor) it is just force_login."""
    client.force_login(user)
    if needs_two_factor(user):
        session = client.session
        if session[SESSION_KEY] != str(user.pk):
            raise RuntimeError(f"The session is not {user}'s.")
        session[DEVICE_ID_SESSION_KEY] = totp_device(user).persistent_id
        session.save()
    return client
