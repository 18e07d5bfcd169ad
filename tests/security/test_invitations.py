"""Invitations, in the services: an administrator invites a person, a task mails a
single-use link after commit (stored hashed), and the person sets a password: the account
is made with its role and missions. Expired, used, withdrawn and tampered links are refused."""

from __future__ import annotations

import hashlib
from datetime import timedelta

import pytest
from celery import current_app
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from audit.models import AuditEvent
from embassies.roles import Role
from security import services
from security.models import EnrolmentGrant, Invitation
from security.two_factor import may_enrol
from tests.factories import UserFactory, mission
from tests.security.invitations import link_token

pytestmark = pytest.mark.django_db
PASSWORD = "Kumquat-orbit-7-lanterns"
# An invitation made four days ago, whose link expired a minute ago.
EXPIRED = {"created_at": timezone.now() - timedelta(days=4), "expires_at": timezone.now() - timedelta(minutes=1)}


@pytest.fixture
def admin():
    return UserFactory(username="inv-admin", first_name="Anne", last_name="Lefèvre", roles=[Role.ADMINISTRATOR])


def invite(admin, **overrides) -> Invitation:
    fields = {
        "email": "aiko.sato@example.org",
        "first_name": "Aiko",
        "last_name": "Sato",
        "username": "asato",
        "role": Role.OFFICER,
        "mission_ids": [mission("emb-jp-tokyo").pk],
    }
    return services.invitation_create(actor=admin, **{**fields, **overrides})


def invited_and_mailed(admin, task_queue, mailoutbox, django_capture_on_commit_callbacks, **overrides):
    with django_capture_on_commit_callbacks(execute=True):
        invitation = invite(admin, **overrides)
    task_queue.run()
    return invitation, link_token(mailoutbox[-1])


def test_invitation_create_mails_the_link_from_a_task_after_commit_only(
    admin,
    task_queue,
    mailoutbox,
    django_capture_on_commit_callbacks,
):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        invitation = invite(admin)
    assert task_queue.sent == []  # nothing before the commit
    assert len(callbacks) == 1
    callbacks[0]()
    assert task_queue.sent == [(services.SEND_TASK, [invitation.pk, 1], None)]
    assert current_app.amqp.router.route({}, services.SEND_TASK)["queue"].name == "maintenance"
    assert mailoutbox == []  # the request sends nothing: the worker does
    task_queue.run()
    assert len(mailoutbox) == 1
    mail = mailoutbox[0]
    assert mail.to == ["aiko.sato@example.org"]
    assert "Embassy of France in Japan" in mail.body
    assert "asato" in mail.body
    token = link_token(mail)
    invitation.refresh_from_db()
    # Only the hash is kept.
    assert invitation.token_hash == hashlib.sha256(token.encode()).hexdigest()
    assert not Invitation.objects.filter(token_hash=token).exists()
    event = AuditEvent.objects.get(action="staff.invite")
    assert event.actor == admin
    assert event.details["missions"] == ["emb-jp-tokyo"]
    assert AuditEvent.objects.filter(action="staff.invitation_mail").count() == 1


def test_the_mail_speaks_the_language_the_administrator_invited_in(
    admin, task_queue, mailoutbox, django_capture_on_commit_callbacks
):
    invited_and_mailed(admin, task_queue, mailoutbox, django_capture_on_commit_callbacks, language="fr")
    mail = mailoutbox[0]
    assert mail.subject == "[Diplomacy Hub] Vous êtes invité(e) sur Diplomacy Hub"
    assert "Bonjour Aiko," in mail.body
    assert "«\u00a0Chargé de communication\u00a0»" in mail.body  # French typography: no-break spaces


def test_a_username_taken_after_the_invitation_refuses_the_link(
    admin, task_queue, mailoutbox, django_capture_on_commit_callbacks
):
    _invitation, token = invited_and_mailed(admin, task_queue, mailoutbox, django_capture_on_commit_callbacks)
    UserFactory(username="ASato", email="someone.else@example.org")
    with pytest.raises(services.InvitationInvalid) as refused:
        services.invitation_accept(token=token, password=PASSWORD)
    assert refused.value.code == "taken"


def test_a_mail_server_that_refuses_leaves_no_live_link(
    admin, task_queue, mailoutbox, django_capture_on_commit_callbacks, settings
):
    settings.EMAIL_BACKEND = "tests.security.invitations.BrokenMailServer"
    with django_capture_on_commit_callbacks(execute=True):
        invitation = invite(admin)
    with pytest.raises(ConnectionRefusedError):
        task_queue.run()
    invitation.refresh_from_db()
    assert (invitation.token_hash, invitation.mailed_issue) == ("", 0)  # rolled back: "not sent yet"
    assert not AuditEvent.objects.filter(action="staff.invitation_mail").exists()
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    with django_capture_on_commit_callbacks(execute=True):
        services.invitation_resend(actor=admin, invitation_id=invitation.pk)
    task_queue.run()
    assert services.invitation_check(token=link_token(mailoutbox[-1])) == invitation


def test_a_task_delivered_twice_mails_once(admin, task_queue, mailoutbox, django_capture_on_commit_callbacks):
    invitation, token = invited_and_mailed(admin, task_queue, mailoutbox, django_capture_on_commit_callbacks)
    assert services.invitation_mail(invitation_id=invitation.pk, issue=1) is False
    assert len(mailoutbox) == 1
    assert services.invitation_check(token=token) == invitation


def test_invitation_accept_makes_the_account_with_its_role_and_missions(
    admin,
    task_queue,
    mailoutbox,
    django_capture_on_commit_callbacks,
):
    invitation, token = invited_and_mailed(
        admin,
        task_queue,
        mailoutbox,
        django_capture_on_commit_callbacks,
        mission_ids=[mission("emb-jp-tokyo").pk, mission("emb-de-berlin").pk],
    )
    user = services.invitation_accept(token=token, password=PASSWORD)
    assert user.is_active
    assert user.check_password(PASSWORD)
    assert (user.username, user.email, user.get_full_name()) == ("asato", "aiko.sato@example.org", "Aiko Sato")
    assert list(user.groups.values_list("name", flat=True)) == [Role.OFFICER]
    assert sorted(user.memberships.values_list("mission__code", flat=True)) == ["emb-de-berlin", "emb-jp-tokyo"]
    assert not may_enrol(user)  # officers have no second factor
    invitation.refresh_from_db()
    assert (invitation.status, invitation.user) == (Invitation.Status.ACCEPTED, user)
    actions = set(AuditEvent.objects.values_list("action", flat=True))
    assert {"staff.invitation_accept", "role.grant", "staff.membership_add"} <= actions
    assert AuditEvent.objects.get(action="staff.membership_add", details__mission="emb-jp-tokyo").actor == admin


def test_a_press_officer_invited_may_enrol_an_authenticator_app_at_once(
    admin,
    task_queue,
    mailoutbox,
    django_capture_on_commit_callbacks,
):
    _invitation, token = invited_and_mailed(
        admin, task_queue, mailoutbox, django_capture_on_commit_callbacks, role=Role.PRESS_OFFICE, mission_ids=[]
    )
    assert "authenticator app" in mailoutbox[0].body
    user = services.invitation_accept(token=token, password=PASSWORD)
    assert may_enrol(user)
    grant = EnrolmentGrant.objects.get(user=user)
    assert grant.opened_by == admin
    assert AuditEvent.objects.get(action="auth.otp_grant_open").details["via"] == "invitation"


def test_a_link_works_once(admin, task_queue, mailoutbox, django_capture_on_commit_callbacks):
    _invitation, token = invited_and_mailed(admin, task_queue, mailoutbox, django_capture_on_commit_callbacks)
    services.invitation_accept(token=token, password=PASSWORD)
    with pytest.raises(services.InvitationInvalid) as refused:
        services.invitation_accept(token=token, password="Another-password-42")
    assert refused.value.code == "accepted"
    assert get_user_model().objects.filter(username="asato").count() == 1


def test_an_expired_link_is_refused(admin, task_queue, mailoutbox, django_capture_on_commit_callbacks):
    invitation, token = invited_and_mailed(admin, task_queue, mailoutbox, django_capture_on_commit_callbacks)
    Invitation.objects.filter(pk=invitation.pk).update(**EXPIRED)
    with pytest.raises(services.InvitationInvalid) as refused:
        services.invitation_accept(token=token, password=PASSWORD)
    assert refused.value.code == "expired"
    assert "expired" in refused.value.reason
    assert not get_user_model().objects.filter(username="asato").exists()


@pytest.mark.parametrize("tamper", [lambda t: t[:-1] + ("A" if t[-1] != "A" else "B"), lambda t: t[:-4], lambda t: ""])
def test_a_tampered_link_is_refused(admin, task_queue, mailoutbox, django_capture_on_commit_callbacks, tamper):
    _invitation, token = invited_and_mailed(admin, task_queue, mailoutbox, django_capture_on_commit_callbacks)
    with pytest.raises(services.InvitationInvalid) as refused:
        services.invitation_accept(token=tamper(token), password=PASSWORD)
    assert refused.value.code == "unknown"


def test_a_withdrawn_invitation_says_so(admin, task_queue, mailoutbox, django_capture_on_commit_callbacks):
    invitation, token = invited_and_mailed(admin, task_queue, mailoutbox, django_capture_on_commit_callbacks)
    assert services.invitation_revoke(actor=admin, invitation_id=invitation.pk) is True
    assert services.invitation_revoke(actor=admin, invitation_id=invitation.pk) is False
    with pytest.raises(services.InvitationInvalid) as refused:
        services.invitation_check(token=token)
    assert refused.value.code == "revoked"
    assert AuditEvent.objects.filter(action="staff.invitation_revoke").count() == 1
    # The address is free again.
    invite(admin)


def test_resend_replaces_the_link_and_renews_its_time(
    admin, task_queue, mailoutbox, django_capture_on_commit_callbacks
):
    invitation, old = invited_and_mailed(admin, task_queue, mailoutbox, django_capture_on_commit_callbacks)
    Invitation.objects.filter(pk=invitation.pk).update(**EXPIRED)
    with django_capture_on_commit_callbacks(execute=True):
        services.invitation_resend(actor=admin, invitation_id=invitation.pk)
    with pytest.raises(services.InvitationInvalid):  # dead at once, before the new mail
        services.invitation_check(token=old)
    task_queue.run()
    new = link_token(mailoutbox[-1])
    assert new != old
    assert services.invitation_accept(token=new, password=PASSWORD).username == "asato"
    # A stale task of the first link mails nothing.
    assert services.invitation_mail(invitation_id=invitation.pk, issue=1) is False


def test_an_invitation_does_not_outlive_its_senders_right(
    admin,
    task_queue,
    mailoutbox,
    django_capture_on_commit_callbacks,
):
    _invitation, token = invited_and_mailed(admin, task_queue, mailoutbox, django_capture_on_commit_callbacks)
    admin.groups.clear()
    with pytest.raises(services.InvitationInvalid) as refused:
        services.invitation_accept(token=token, password=PASSWORD)
    assert refused.value.code == "withdrawn_authority"


@pytest.mark.parametrize(
    ("overrides", "field", "words"),
    [
        ({"email": "TAKEN@example.org"}, "email", "already has an account"),
        ({"username": "Taken"}, "username", "already taken"),
        ({"mission_ids": []}, "missions", "at least one mission"),
        ({"role": "pope"}, "role", "Choose a role"),
        ({"mission_ids": [10**9]}, "missions", "No such mission"),
    ],
)
def test_invitation_create_refuses_bad_input_by_field(admin, overrides, field, words):
    UserFactory(username="taken", email="taken@example.org")
    with pytest.raises(ValidationError) as refused:
        invite(admin, **overrides)
    assert words in " ".join(refused.value.message_dict[field])
    assert not Invitation.objects.exists()


def test_one_pending_invitation_per_address_and_username(admin):
    invite(admin)
    with pytest.raises(ValidationError) as refused:
        invite(admin, email="Aiko.Sato@example.org", username="other")
    assert "already invited" in refused.value.message_dict["email"][0]
    with pytest.raises(ValidationError) as refused:
        invite(admin, email="other@example.org", username="ASATO")
    assert "pending invitation" in refused.value.message_dict["username"][0]


def test_an_expired_invitation_frees_its_address(admin):
    first = invite(admin)
    Invitation.objects.filter(pk=first.pk).update(**EXPIRED)
    second = invite(admin)
    first.refresh_from_db()
    assert (first.status, second.status) == (Invitation.Status.EXPIRED, Invitation.Status.PENDING)


def test_only_administrators_invite_resend_or_withdraw(admin):
    invitation = invite(admin)
    for role in (Role.OFFICER, Role.PRESS_OFFICE, Role.CRISIS_UNIT):
        someone = UserFactory(roles=[role], missions=["emb-jp-tokyo"])
        with pytest.raises(PermissionDenied):
            invite(someone, email=f"{role}@example.org", username=role)
        with pytest.raises(PermissionDenied):
            services.invitation_resend(actor=someone, invitation_id=invitation.pk)
        with pytest.raises(PermissionDenied):
            services.invitation_revoke(actor=someone, invitation_id=invitation.pk)
    assert Invitation.objects.count() == 1


def _down_once(monkeypatch) -> list[int]:
    """A mail server down for the first send, back for the next ones; the sends, counted."""
    from django.core.mail.backends.locmem import EmailBackend

    sends: list[int] = []
    original = EmailBackend.send_messages

    def send(backend, messages):
        sends.append(len(messages))
        if len(sends) == 1:
            raise ConnectionRefusedError("SMTP down")
        return original(backend, messages)

    monkeypatch.setattr(EmailBackend, "send_messages", send)
    return sends


def test_a_mail_server_down_is_tried_again_with_backoff(
    admin, task_queue, mailoutbox, django_capture_on_commit_callbacks, monkeypatch
):
    """The invitation's task retries a failed send (Celery's autoretry, the mails' backoff):
    the link is rolled back, then mailed once the server answers."""
    from diplomacy_hub.mail import MAIL_RETRIES, MAIL_RETRY_MAX, retry_delay
    from security.tasks import send_invitation

    assert send_invitation.autoretry_for == (OSError,)
    assert (send_invitation.max_retries, send_invitation.retry_backoff_max) == (MAIL_RETRIES, MAIL_RETRY_MAX)
    assert send_invitation.retry_backoff == retry_delay(0)
    sends = _down_once(monkeypatch)
    with django_capture_on_commit_callbacks(execute=True):
        invitation = invite(admin)
    [(_name, args, _queue)] = task_queue.sent
    # Eagerly, Celery runs the retry at once (a worker would wait retry_delay(0) = 30 s).
    send_invitation.apply(args=args).get()
    assert len(sends) == 2
    assert len(mailoutbox) == 1
    assert services.invitation_check(token=link_token(mailoutbox[0])) == invitation


def test_an_invitation_never_mailed_is_queued_again_later(
    admin, task_queue, mailoutbox, django_capture_on_commit_callbacks
):
    """Its task lost (a broker down when it was asked for): beat's look queues it again after
    UNSENT_AFTER; a mailed, an expired or a withdrawn invitation is left alone."""
    lost = invite(admin)  # outside on-commit capture: its task never left
    mailed, _token = invited_and_mailed(
        admin, task_queue, mailoutbox, django_capture_on_commit_callbacks, email="b@example.org", username="b"
    )
    withdrawn = invite(admin, email="c@example.org", username="c")
    services.invitation_revoke(actor=admin, invitation_id=withdrawn.pk)
    expired = invite(admin, email="d@example.org", username="d")
    Invitation.objects.filter(pk=expired.pk).update(**EXPIRED)
    task_queue.sent.clear()

    assert services.invitations_mail_unsent() == 0  # too soon: its first task may be on its way
    later = timezone.now() + services.UNSENT_AFTER + timedelta(seconds=1)
    assert services.invitations_mail_unsent(now=later) == 1
    assert task_queue.sent == [(services.SEND_TASK, [lost.pk, 1], None)]
    task_queue.run()
    assert [mail.to for mail in mailoutbox[-1:]] == [[lost.email]]
    assert services.invitations_mail_unsent(now=later) == 0  # mailed now
    assert mailed.pk != lost.pk
