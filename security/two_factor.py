"""Who must use a second factor, and whether they have. Two-factor authentication is TOTP
(django-otp's otp_totp): an authenticator app shows a six-digit code every 30 seconds.

The press office, the crisis unit and administrators (and superusers, who hold every role)
verify a code after their password before any page; officers need only their password.
They enrol their app themselves, but only once an administrator has opened enrolment for
them (an enrolment grant: `may_enrol`).
"""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django_otp.plugins.otp_totp.models import TOTPDevice

from diplomacy_hub import policy
from embassies.roles import Role
from security.models import EnrolmentGrant

DEFAULT_ROLES = (Role.PRESS_OFFICE, Role.CRISIS_UNIT, Role.ADMINISTRATOR, Role.HUMAN_RIGHTS_OFFICER)
# How long an administrator's enrolment grant stays open (manage.py open_enrolment --hours
# chooses another).
GRANT_LIFETIME = timedelta(hours=72)


def required_roles() -> tuple[str, ...]:
    return tuple(getattr(settings, "TWO_FACTOR_REQUIRED_ROLES", DEFAULT_ROLES))


def needs_two_factor(user) -> bool:
    """Whether this user must verify a code after their password."""
    if not getattr(user, "is_authenticated", False):
        return False
    return bool(user.is_superuser) or policy.has_role(user, *required_roles())


def is_verified(user) -> bool:
    """Whether this session's user verified a code (OTPMiddleware sets `is_verified`)."""
    check = getattr(user, "is_verified", None)
    return bool(check()) if callable(check) else False


def lacks_verification(user) -> bool:
    return needs_two_factor(user) and not is_verified(user)


def has_device(user) -> bool:
    """Whether the user enrolled an authenticator app (a confirmed TOTP device)."""
    return TOTPDevice.objects.filter(user=user, confirmed=True).exists()


def open_enrolment_grant(user) -> EnrolmentGrant | None:
    """The administrator's grant that lets the user enrol an authenticator app now, if any:
    open and before its deadline."""
    if getattr(user, "pk", None) is None:
        return None
    grant = EnrolmentGrant.objects.filter(user=user, status=EnrolmentGrant.Status.OPEN).first()
    return grant if grant is not None and grant.is_open() else None


def may_enrol(user) -> bool:
    """The enrolment rule, the only place it is written: a user whose role needs a second
    factor and who has no authenticator app may enrol one after their password only while
    an administrator's enrolment grant for them is open. Never self-service: whoever steals
    the password of someone who has no app yet (or whose app was just reset) must not be
    able to bind their own phone to the account. Enrolling uses the grant up
    (security/services/second_factor.py::enrolment_confirm)."""
    return needs_two_factor(user) and not has_device(user) and open_enrolment_grant(user) is not None
