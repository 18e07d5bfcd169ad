"""Reads of the second factor for other pages (the staff page shows where a person stands)."""

from __future__ import annotations

from dataclasses import dataclass

from security.models import EnrolmentGrant
from security.two_factor import has_device, needs_two_factor, open_enrolment_grant


@dataclass(frozen=True)
class AuthenticatorState:
    needed: bool  # their role needs a second factor
    enrolled: bool  # they have an authenticator app
    grant: EnrolmentGrant | None  # the enrolment open for them now, if any


def authenticator_state(*, user) -> AuthenticatorState:
    """Whether the user needs an authenticator app, has one, and may enrol one now."""
    enrolled = has_device(user)
    return AuthenticatorState(
        needed=needs_two_factor(user), enrolled=enrolled, grant=None if enrolled else open_enrolment_grant(user)
    )
