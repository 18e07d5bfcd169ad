"""Reads of the second factor for other pages (the staff page shows where a person stands),
of invitations (for administrators: the caller asks `staff.manage` first), and of the
language each person is mailed in."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from django.db.models import Prefetch, QuerySet
from django.shortcuts import get_object_or_404

from diplomacy_hub.mail import Recipient
from embassies.models import Mission
from embassies.selectors import mission_name_order
from security.models import EnrolmentGrant, Invitation, LanguagePreference
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


def invitation_list(*, status: str = Invitation.Status.PENDING) -> QuerySet[Invitation]:
    """Invitations of one status (pending by default, expired ones among them), newest
    first, each with its missions (by name, in the reader's language) and who sent it: a constant number of queries."""
    return (
        Invitation.objects.filter(status=status)
        .select_related("invited_by", "closed_by", "user")
        .prefetch_related(Prefetch("missions", queryset=Mission.objects.order_by(mission_name_order("pk"))))
        .order_by("-created_at", "-pk")
    )


def invitation_get(*, invitation_id: int) -> Invitation:
    """One invitation, or Http404."""
    return get_object_or_404(Invitation.objects.select_related("invited_by"), pk=invitation_id)


def mail_recipients(users: Iterable) -> list[Recipient]:
    """Each user with an e-mail address, as a mail recipient in the language they read the
    app in (the site's default for one who never said): one query."""
    users = [user for user in users if getattr(user, "email", "")]
    languages = dict(
        LanguagePreference.objects.filter(user_id__in=[user.pk for user in users]).values_list("user_id", "language")
    )
    return [Recipient(user.email, languages.get(user.pk, "")) for user in users]
