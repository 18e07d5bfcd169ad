"""Writes of the second factor: checking a code (which records its time step, so that it is
accepted once); administrators opening, withdrawing enrolment grants and resetting devices;
enrolling a device (only under an open grant: security.two_factor.may_enrol)."""

from __future__ import annotations

from datetime import timedelta

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.debug import sensitive_variables
from django_otp import verify_token
from django_otp.plugins.otp_totp.models import TOTPDevice

from audit.services import record
from diplomacy_hub import policy
from security.models import EnrolmentGrant
from security.two_factor import GRANT_LIFETIME, has_device, may_enrol

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


class EnrolmentClosed(Exception):
    """The user may not enrol (no open grant, or an app already enrolled): nothing changed."""


class GrantRefused(ValidationError):
    """An enrolment grant cannot be opened for this user (they already have an app)."""


def _require_manager(actor) -> None:
    """Administrators open and close enrolment; `actor` None is a management command (shell
    access to the server: trusted, and audited as the system)."""
    if actor is not None:
        policy.require(actor, "staff.manage")


def enrolment_grant_open(
    *, user_id: int, actor, lifetime: timedelta | None = None, via: str = "admin"
) -> tuple[EnrolmentGrant, bool]:
    """Let the user enrol an authenticator app once, within `lifetime` (72 h by default):
    returns the grant and whether it is new. A grant still open is returned as it is
    (asking twice changes nothing); an expired one is closed as expired and a new one
    opened. Refused (GrantRefused) for a user who already has an app: reset it first
    (`devices_reset`), so that no grant lies in wait for a later reset. Audited
    `auth.otp_grant_open` with the actor, the address and the deadline."""
    _require_manager(actor)
    User = get_user_model()
    now = timezone.now()
    with transaction.atomic():
        user = User.objects.select_for_update().get(pk=user_id)
        if has_device(user):
            raise GrantRefused(
                _(
                    "%(user)s already has an authenticator app: to replace it, reset it (TOTP devices) and "
                    "open a new enrolment in the same action."
                )
                % {"user": user.get_username()},
                code="has_device",
            )
        current = (
            EnrolmentGrant.objects.select_for_update().filter(user=user, status=EnrolmentGrant.Status.OPEN).first()
        )
        if current is not None and current.is_open(now=now):
            return current, False
        if current is not None:
            current.status = EnrolmentGrant.Status.EXPIRED
            current.closed_at = now
            current.save(update_fields=["status", "closed_at"])
        grant = EnrolmentGrant.objects.create(
            user=user, opened_by=actor, opened_at=now, expires_at=now + (lifetime or GRANT_LIFETIME)
        )
        record(
            action="auth.otp_grant_open",
            actor=actor,
            obj=user,
            details={"grant": grant.pk, "expires_at": grant.expires_at, "via": via},
        )
    return grant, True


def enrolment_grant_withdraw(*, grant_id: int, actor) -> EnrolmentGrant:
    """Close an open grant before it is used (opened by mistake, or the person left).
    A grant already closed is left as it is. Audited `auth.otp_grant_withdraw`."""
    _require_manager(actor)
    with transaction.atomic():
        grant = EnrolmentGrant.objects.select_for_update().select_related("user").get(pk=grant_id)
        if grant.status != EnrolmentGrant.Status.OPEN:
            return grant
        grant.status = EnrolmentGrant.Status.WITHDRAWN
        grant.closed_at = timezone.now()
        grant.closed_by = actor
        grant.save(update_fields=["status", "closed_at", "closed_by"])
        record(action="auth.otp_grant_withdraw", actor=actor, obj=grant.user, details={"grant": grant.pk})
    return grant


def devices_reset(*, user_id: int, actor, open_enrolment: bool) -> EnrolmentGrant | None:
    """Remove the user's authenticator apps (a lost or replaced phone); each removal is
    audited `auth.otp_reset` (security/receivers.py). With `open_enrolment`, and only then,
    open a grant in the same transaction so that they can enrol a new app; without it they
    cannot enrol until an administrator opens one."""
    _require_manager(actor)
    with transaction.atomic():
        for device in TOTPDevice.objects.select_for_update().filter(user_id=user_id).order_by("pk"):
            device.delete()
        if not open_enrolment:
            return None
        grant, _created = enrolment_grant_open(user_id=user_id, actor=actor, via="reset")
    return grant


def enrolment_device(*, user, device_id: int | None) -> TOTPDevice:
    """The device being enrolled in this session (not confirmed yet): `device_id`, kept in
    the session, if it is still the user's unconfirmed device, else a new one with a new
    key. Its key stays the same for the session; another session (another browser, or
    someone else with the password) gets a key of its own, so the key a person scans is
    never shown to anyone else. Only while the user may enrol (EnrolmentClosed otherwise)."""
    if not may_enrol(user):
        raise EnrolmentClosed
    device = None
    if device_id is not None:
        device = TOTPDevice.objects.filter(pk=device_id, user=user, confirmed=False).first()
    return device or TOTPDevice.objects.create(user=user, name=DEVICE_NAME, confirmed=False)


@sensitive_variables("token")
def enrolment_confirm(*, user, device_id: int, token: str) -> TOTPDevice | None:
    """Confirm the device if `token` is its current code (the first accepted code is used
    up, like any other), use up the user's grant, and remove the user's other unconfirmed
    devices (keys shown in other sessions become worthless). None if the code is wrong
    (the grant stays open). EnrolmentClosed if the user may no longer enrol: no open grant
    (expired, withdrawn, or used by another session that confirmed first). Audited
    `auth.otp_enrol`, in the same transaction."""
    with transaction.atomic():
        # The grant's row is the lock that orders two sessions confirming at once.
        grant = EnrolmentGrant.objects.select_for_update().filter(user=user, status=EnrolmentGrant.Status.OPEN).first()
        if grant is None or not may_enrol(user):
            raise EnrolmentClosed
        device = TOTPDevice.objects.select_for_update().filter(pk=device_id, user=user, confirmed=False).first()
        if device is None:
            raise EnrolmentClosed
        if not device.verify_token(token):
            return None
        device.confirmed = True
        device.save(update_fields=["confirmed"])
        TOTPDevice.objects.filter(user=user, confirmed=False).exclude(pk=device.pk).delete()
        grant.status = EnrolmentGrant.Status.USED
        grant.closed_at = timezone.now()
        grant.closed_by = user
        grant.save(update_fields=["status", "closed_at", "closed_by"])
        record(action="auth.otp_enrol", actor=user, obj=user, details={"device": device.name, "grant": grant.pk})
    return device
