"""Writes of people: an administrator invites a person, who sets their password through a
single-use link mailed by a task (only the link's hash is kept); an administrator resends
or withdraws an invitation, deactivates and reactivates a person."""

from __future__ import annotations

import hashlib
import logging
import secrets
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth import SESSION_KEY, get_user_model
from django.contrib.sessions.models import Session
from django.core.exceptions import ValidationError
from django.core.mail import EmailMessage
from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.views.decorators.debug import sensitive_variables

from audit.services import record
from diplomacy_hub import policy
from diplomacy_hub.tasks import enqueue, enqueue_on_commit
from embassies import services as staff_services
from embassies.models import Mission
from embassies.names import by_name
from embassies.roles import Role
from security.models import Invitation
from security.services.languages import language_remember
from security.services.second_factor import enrolment_grant_open
from security.two_factor import needs_two_factor, required_roles

logger = logging.getLogger(__name__)

SEND_TASK = "security.send_invitation"
MAIL_SUBJECT_PREFIX = "[Diplomacy Hub] "


# --- Invitations -------------------------------------------------------------------------------


class InvitationInvalid(Exception):
    """An invitation's link that cannot be used; `reason` says why, in the reader's words."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code

    @property
    def reason(self) -> str:
        return {
            "unknown": _(
                "This link is not valid: it may be incomplete, or a newer invitation replaced it. "
                "Use the link of the latest e-mail, or ask an administrator for a new invitation."
            ),
            "expired": _("This invitation has expired. Ask an administrator to send you a new one."),
            "accepted": _("This invitation was already used: log in with the password you chose."),
            "revoked": _("This invitation was withdrawn by an administrator."),
            "withdrawn_authority": _(
                "This invitation is no longer valid: the administrator who sent it may no longer add people. "
                "Ask an administrator for a new one."
            ),
            "taken": _("This username or e-mail address is now used by another account. Ask an administrator."),
        }[self.code]


def invitation_lifetime() -> timedelta:
    return timedelta(hours=settings.INVITATION_LIFETIME_HOURS)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


def _check_new_person(*, email: str, username: str, role: str, missions: list[Mission]) -> None:
    """Field errors for a person who cannot be invited as given (ValidationError by field)."""
    User = get_user_model()
    errors: dict[str, str] = {}
    if role not in Role.values:
        errors["role"] = _("Choose a role.")
    elif role == Role.OFFICER and not missions:
        errors["missions"] = _("An officer works for at least one mission: choose their missions.")
    pending = Invitation.objects.filter(status=Invitation.Status.PENDING, expires_at__gt=timezone.now())
    if User.objects.filter(email__iexact=email).exists():
        errors["email"] = _("Someone already has an account with this e-mail address.")
    elif pending.filter(email__iexact=email).exists():
        errors["email"] = _("This person is already invited: resend or withdraw that invitation instead.")
    if User.objects.filter(username__iexact=username).exists():
        errors["username"] = _("This username is already taken: choose another.")
    elif pending.filter(username__iexact=username).exists():
        errors["username"] = _("A pending invitation already uses this username: choose another.")
    if errors:
        raise ValidationError(errors)


def _expire_stale(*, email: str, username: str, now) -> None:
    """Close the expired pending invitations that hold this e-mail address or username,
    so that a new one may take them."""
    stale = Invitation.objects.filter(status=Invitation.Status.PENDING, expires_at__lte=now).filter(
        Q(email__iexact=email) | Q(username__iexact=username)
    )
    stale.update(status=Invitation.Status.EXPIRED, closed_at=now)


def _send_link(invitation: Invitation) -> None:
    """After commit, a task mails link number `issue` (never in the request: a slow mail
    server must not hold the administrator's page). A broker that is down is logged: the
    invitation shows "not sent yet", and Resend sends it."""
    # By name: security/tasks.py imports this module.
    enqueue_on_commit(
        SEND_TASK, calls=[((invitation.pk, invitation.issue), {})], what=f"the e-mail of invitation {invitation.pk}"
    )


# A link not mailed this long after it was asked for is asked for again (by beat): its task
# was lost with a broker that was down, or gave up on a mail server that was.
UNSENT_AFTER = timedelta(minutes=5)


def invitations_mail_unsent(*, now=None) -> int:
    """Queue again the mail of every pending, unexpired invitation whose current link was
    not mailed within UNSENT_AFTER. Harmless when the first task is only late:
    `invitation_mail` sends a link number once. Returns how many were queued."""
    now = now or timezone.now()
    unsent = list(
        Invitation.objects.filter(
            status=Invitation.Status.PENDING,
            expires_at__gt=now,
            mailed_issue__lt=F("issue"),
            created_at__lte=now - UNSENT_AFTER,
        ).values_list("pk", "issue")
    )
    if unsent:
        logger.warning("%s invitation(s) not mailed yet: queued again.", len(unsent))
        enqueue(SEND_TASK, calls=[((pk, issue), {}) for pk, issue in unsent], what="the unsent invitations")
    return len(unsent)


def invitation_create(
    *,
    actor,
    email: str,
    first_name: str,
    last_name: str,
    username: str,
    role: str,
    mission_ids: list[int],
    language: str | None = None,
) -> Invitation:
    """Invite a person: they get an e-mail (sent by a task after commit) with a link to set
    their password, valid INVITATION_LIFETIME_HOURS. Refused, by field, for an e-mail
    address or username already used (by an account or a pending invitation), an unknown
    role, or an officer without a mission. Audited `staff.invite`."""
    policy.require(actor, "staff.manage")
    email, username = email.strip(), username.strip()
    now = timezone.now()
    with transaction.atomic():
        missions = list(Mission.objects.active().filter(pk__in=mission_ids).order_by("name"))
        if len(missions) != len(set(mission_ids)):
            raise ValidationError({"missions": _("No such mission.")})
        _expire_stale(email=email, username=username, now=now)
        _check_new_person(email=email, username=username, role=role, missions=missions)
        try:
            with transaction.atomic():
                invitation = Invitation.objects.create(
                    email=email,
                    first_name=first_name.strip(),
                    last_name=last_name.strip(),
                    username=username,
                    role=role,
                    language=language or translation.get_language() or settings.LANGUAGE_CODE,
                    invited_by=actor,
                    created_at=now,
                    expires_at=now + invitation_lifetime(),
                )
        except IntegrityError:  # another administrator invited them at the same moment
            raise ValidationError(
                {"email": _("This person is already invited: resend or withdraw that invitation instead.")}
            ) from None
        invitation.missions.set(missions)
        record(
            action="staff.invite",
            actor=actor,
            obj=invitation,
            details={
                "email": email,
                "username": username,
                "role": role,
                "missions": [mission.code for mission in missions],
                "expires_at": invitation.expires_at,
            },
        )
        _send_link(invitation)
    return invitation


def _pending_locked(invitation_id: int) -> Invitation:
    invitation = Invitation.objects.select_for_update().get(pk=invitation_id)
    if invitation.status != Invitation.Status.PENDING:
        raise ValidationError(
            _("This invitation is already %(status)s: nothing to do.") % {"status": invitation.get_status_display()}
        )
    return invitation


def invitation_resend(*, actor, invitation_id: int) -> Invitation:
    """Send a new link (the old one stops working at once) valid for a new lifetime: for a
    lost or expired e-mail. Only for a pending invitation. Audited `staff.invitation_resend`."""
    policy.require(actor, "staff.manage")
    now = timezone.now()
    with transaction.atomic():
        invitation = _pending_locked(invitation_id)
        invitation.issue += 1
        invitation.token_hash = ""
        invitation.expires_at = now + invitation_lifetime()
        invitation.save(update_fields=["issue", "token_hash", "expires_at"])
        record(
            action="staff.invitation_resend",
            actor=actor,
            obj=invitation,
            details={"email": invitation.email, "issue": invitation.issue, "expires_at": invitation.expires_at},
        )
        _send_link(invitation)
    return invitation


def invitation_revoke(*, actor, invitation_id: int) -> bool:
    """Withdraw a pending invitation: its link then says so. True if it changed something.
    Audited `staff.invitation_revoke`."""
    policy.require(actor, "staff.manage")
    with transaction.atomic():
        invitation = Invitation.objects.select_for_update().get(pk=invitation_id)
        if invitation.status != Invitation.Status.PENDING:
            return False
        invitation.status = Invitation.Status.REVOKED
        invitation.closed_at = timezone.now()
        invitation.closed_by = actor
        invitation.save(update_fields=["status", "closed_at", "closed_by"])
        record(action="staff.invitation_revoke", actor=actor, obj=invitation, details={"email": invitation.email})
    return True


@sensitive_variables("token")
def invitation_mail(*, invitation_id: int, issue: int) -> bool:
    """Mail link number `issue` of a pending invitation, once: a new random token, of which
    only the hash is kept. Nothing for an invitation gone, closed, expired, or whose link
    was replaced or already mailed (a task delivered twice). The mail is sent before the
    row commits: a mail server that refuses rolls the token back (Resend tries again); the
    rare commit that fails after sending leaves a dead link, never a live one unrecorded.
    True if a mail went out. Audited `staff.invitation_mail`."""
    with transaction.atomic():
        invitation = Invitation.objects.select_for_update().filter(pk=invitation_id).first()
        if (
            invitation is None
            or invitation.status != Invitation.Status.PENDING
            or invitation.is_expired()
            or invitation.issue != issue
            or invitation.mailed_issue >= issue
        ):
            return False
        token = secrets.token_urlsafe(32)
        invitation.token_hash = token_hash(token)
        invitation.mailed_issue = issue
        invitation.mailed_at = timezone.now()
        invitation.save(update_fields=["token_hash", "mailed_issue", "mailed_at"])
        record(action="staff.invitation_mail", obj=invitation, details={"email": invitation.email, "issue": issue})
        link = settings.SITE_URL.rstrip("/") + reverse("invitation:open", args=[token])
        with translation.override(invitation.language):
            subject = MAIL_SUBJECT_PREFIX + _("You are invited to Diplomacy Hub")
            body = render_to_string(
                "emails/invitation.txt",
                {
                    "invitation": invitation,
                    "role": invitation.get_role_display(),
                    "missions": [mission.display_name for mission in by_name(invitation.missions.all())],
                    "link": link,
                    "inviter": invitation.invited_by.get_full_name() if invitation.invited_by else "",
                    "second_factor": invitation.role in required_roles(),
                },
            )
        EmailMessage(subject=subject, body=body, from_email=settings.DEFAULT_FROM_EMAIL, to=[invitation.email]).send()
    return True


@sensitive_variables("token")
def invitation_check(*, token: str) -> Invitation:
    """The pending invitation whose link this is, or InvitationInvalid saying why not."""
    invitation = Invitation.objects.filter(token_hash=token_hash(token)).first() if token else None
    return _usable(invitation)[0]


def _usable(invitation: Invitation | None) -> tuple[Invitation, Any]:
    """The invitation and its sender, or InvitationInvalid saying why it cannot be used."""
    if invitation is None:
        raise InvitationInvalid("unknown")
    if invitation.status == Invitation.Status.ACCEPTED:
        raise InvitationInvalid("accepted")
    if invitation.status == Invitation.Status.REVOKED:
        raise InvitationInvalid("revoked")
    if invitation.status == Invitation.Status.EXPIRED or invitation.is_expired():
        raise InvitationInvalid("expired")
    # Checked when used, not only when sent: an invitation does not outlive its sender's right.
    inviter = invitation.invited_by
    if inviter is None or not policy.can(inviter, "staff.manage"):
        raise InvitationInvalid("withdrawn_authority")
    return invitation, inviter


@sensitive_variables("token", "password")
def invitation_accept(*, token: str, password: str):
    """Use the link: make the account (active, with the password, already checked against
    Django's validators by the form), give it the role and missions through the staff
    services (audited as the inviting administrator), and, where the role needs a second
    factor, open an enrolment grant so that the first login enrols the authenticator app
    (security.two_factor.may_enrol). Single use: the invitation's row is locked and closed
    in the same transaction. InvitationInvalid if the link cannot be used. Audited
    `staff.invitation_accept`."""
    User = get_user_model()
    with transaction.atomic():
        invitation = (
            Invitation.objects.select_for_update().filter(token_hash=token_hash(token)).first() if token else None
        )
        invitation, inviter = _usable(invitation)
        if (
            User.objects.filter(username__iexact=invitation.username).exists()
            or User.objects.filter(email__iexact=invitation.email).exists()
        ):
            raise InvitationInvalid("taken")
        user = User(
            username=invitation.username,
            email=invitation.email,
            first_name=invitation.first_name,
            last_name=invitation.last_name,
            is_active=True,
        )
        user.set_password(password)
        try:
            with transaction.atomic():
                user.save()
        except IntegrityError:  # the username was taken between the check and the save
            raise InvitationInvalid("taken") from None
        staff_services.role_grant(actor=inviter, user_id=user.pk, role=invitation.role)
        for mission in invitation.missions.order_by("name"):
            staff_services.membership_add(actor=inviter, user_id=user.pk, mission_id=mission.pk)
        language_remember(user=user, language=invitation.language)
        if needs_two_factor(user):
            enrolment_grant_open(user_id=user.pk, actor=inviter, via="invitation")
        invitation.status = Invitation.Status.ACCEPTED
        invitation.closed_at = timezone.now()
        invitation.closed_by = user
        invitation.user = user
        invitation.save(update_fields=["status", "closed_at", "closed_by", "user"])
        record(
            action="staff.invitation_accept",
            actor=user,
            obj=user,
            details={"invitation": invitation.pk, "invited_by": inviter.get_username(), "role": invitation.role},
        )
    return user


# --- Deactivating and reactivating a person ------------------------------------------------------


def sessions_end(*, user_id: int) -> int:
    """Delete every session of the user (database sessions): they are logged out at their
    next request. The number ended. A session left over would let no one in anyway: Django
    refuses a session whose user is inactive."""
    ended = 0
    for session in Session.objects.filter(expire_date__gt=timezone.now()).iterator():
        if session.get_decoded().get(SESSION_KEY) == str(user_id):
            session.delete()
            ended += 1
    return ended


def user_deactivate(*, actor, user_id: int) -> bool:
    """Stop a person from logging in: their sessions end at once; their memberships, roles
    and history stay for the record. Not oneself (another administrator must). True if it
    changed something. Audited `user.deactivate` (audit/receivers.py, the active flag) and
    `staff.deactivate`, with the sessions ended."""
    policy.require(actor, "staff.manage")
    if user_id == actor.pk:
        raise ValidationError(_("You cannot deactivate your own account: ask another administrator."))
    with transaction.atomic():
        user = get_user_model().objects.select_for_update().get(pk=user_id)
        if not user.is_active:
            return False
        user.is_active = False
        user.save(update_fields=["is_active"])
        ended = sessions_end(user_id=user.pk)
        record(action="staff.deactivate", actor=actor, obj=user, details={"logged_out": ended})
    return True


def user_reactivate(*, actor, user_id: int) -> bool:
    """Let a deactivated person log in again, with their roles and missions as they were.
    True if it changed something. Audited `user.activate` and `staff.reactivate`."""
    policy.require(actor, "staff.manage")
    with transaction.atomic():
        user = get_user_model().objects.select_for_update().get(pk=user_id)
        if user.is_active:
            return False
        user.is_active = True
        user.save(update_fields=["is_active"])
        record(action="staff.reactivate", actor=actor, obj=user)
    return True
