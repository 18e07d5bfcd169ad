"""Who must use a second factor, and whether they have. Two-factor authentication is TOTP
(django-otp's otp_totp): an authenticator app shows a six-digit code every 30 seconds.

The press office, the crisis unit and administrators (and superusers, who hold every role)
verify a code after their password before any page; officers need only their password.
"""

from __future__ import annotations

from django.conf import settings
from django_otp.plugins.otp_totp.models import TOTPDevice

from diplomacy_hub import policy
from embassies.roles import Role

DEFAULT_ROLES = (Role.PRESS_OFFICE, Role.CRISIS_UNIT, Role.ADMINISTRATOR)


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


def self_enrolment_allowed() -> bool:
    """Whether a privileged user without a device may enrol one after their password (the
    demo's way; see docs/security.md for the trade-off). Off: an administrator enrols them."""
    return bool(getattr(settings, "TWO_FACTOR_SELF_ENROLMENT", True))
