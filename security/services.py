"""Writes of the second factor: checking a code (which records its time step, so that it is
accepted once), and enrolling a device. The views call these and audit the outcome."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone
from django.views.decorators.debug import sensitive_variables
from django_otp import verify_token
from django_otp.plugins.otp_totp.models import TOTPDevice

DEVICE_NAME = "Authenticator app"


def code_wait_seconds(*, user) -> int | None:
    """Seconds before the user's devices take another code after wrong ones, if they must wait."""
    for device in TOTPDevice.objects.filter(user=user, confirmed=True):
        allowed, data = device.verify_is_allowed()
        if not allowed and data and data.get("locked_until"):
            return max(1, int((data["locked_until"] - timezone.now()).total_seconds()) + 1)
    return None


@sensitive_variables("token")
def code_verify(*, user, token: str) -> TOTPDevice | None:
    """The user's confirmed device that accepts `token`, if any. Each check locks the
    device's row (django_otp.verify_token), so one code cannot be accepted twice by racing
    requests; a wrong code adds to the device's delay before the next try."""
    for device in TOTPDevice.objects.filter(user=user, confirmed=True).order_by("pk"):
        accepted = verify_token(user, device.persistent_id, token)
        if accepted is not None:
            return accepted
    return None


def enrolment_device(*, user) -> TOTPDevice:
    """The device being enrolled (not confirmed yet), made once: its key stays the same
    until it is confirmed, whatever the number of visits to the page."""
    device = TOTPDevice.objects.filter(user=user, confirmed=False).order_by("pk").first()
    return device or TOTPDevice.objects.create(user=user, name=DEVICE_NAME, confirmed=False)


@sensitive_variables("token")
def enrolment_confirm(*, device_id: int, token: str) -> TOTPDevice | None:
    """Confirm the device if `token` is its current code (the first accepted code is used
    up, like any other); None otherwise."""
    with transaction.atomic():
        device = TOTPDevice.objects.select_for_update().get(pk=device_id, confirmed=False)
        if not device.verify_token(token):
            return None
        device.confirmed = True
        device.save(update_fields=["confirmed"])
    return device
