"""Enrolling an authenticator app needs an administrator's enrolment grant: a privileged
user without an app enrols one after their password only while a grant for them is open
(security/two_factor.py::may_enrol); enrolling uses it up; it expires. Whoever steals the
password of someone who has no app yet (or whose app was just reset) cannot bind their own
phone to the account. ASVS 6.4.x (authenticator lifecycle), 6.3.3; docs/security.md."""

from __future__ import annotations

import base64
import re
from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice

from audit.models import AuditEvent
from embassies.roles import Role
from security import services
from security.models import EnrolmentGrant
from security.two_factor import GRANT_LIFETIME, may_enrol, open_enrolment_grant
from tests.factories import UserFactory
from tests.security.otp import PASSWORD, totp_code, totp_device

pytestmark = pytest.mark.django_db

DASHBOARD = "/"
SETUP = "security:otp_setup"


def log_in_with_password(client: Client, user) -> Client:
    response = client.post(reverse("login"), {"username": user.username, "password": PASSWORD, "next": DASHBOARD})
    assert response.status_code == 302, response
    return client


def shown_device(client: Client, user) -> TOTPDevice:
    """The device whose key the enrolment page shows this session (the key is on the page)."""
    page = client.get(reverse(SETUP))
    assert page.status_code == 200
    key = "".join(re.search(r"<code>([A-Z2-7 ]+)</code>", page.text).group(1).split())
    return next(
        d for d in TOTPDevice.objects.filter(user=user, confirmed=False) if base64.b32encode(d.bin_key).decode() == key
    )


def enrol(client: Client, user) -> None:
    """Scan the key this session's enrolment page shows, and confirm it with a code."""
    device = shown_device(client, user)
    response = client.post(reverse(SETUP), {"token": totp_code(device)})
    assert response.status_code == 302, response
    assert TOTPDevice.objects.get(pk=device.pk).confirmed


def expire(grant: EnrolmentGrant) -> None:
    """Move the grant's deadline into the past (opened 73 hours ago)."""
    now = timezone.now()
    EnrolmentGrant.objects.filter(pk=grant.pk).update(
        opened_at=now - GRANT_LIFETIME - timedelta(hours=1), expires_at=now - timedelta(seconds=1)
    )


@pytest.fixture
def admin_user(db):
    return UserFactory(roles=[Role.ADMINISTRATOR], is_staff=True)


@pytest.fixture
def press(db):
    return UserFactory(roles=[Role.PRESS_OFFICE])


# --- Without a grant: nobody enrols -------------------------------------------------------------


def test_a_stolen_password_without_a_grant_cannot_enrol_a_phone(press):
    """The attacker has the password of a press officer who has no app yet. They are sent
    to a page that says to ask an administrator: no key, no QR code, no device; posting a
    code changes nothing; every other page still wants the second factor."""
    attacker = log_in_with_password(Client(), press)
    response = attacker.get(DASHBOARD)
    assert response["Location"].startswith(reverse(SETUP))

    page = attacker.get(response["Location"])
    assert page.status_code == 200
    assert "Ask an administrator to open enrolment" in page.text
    assert "data:image/svg" not in page.text
    for token in ("123456", "000000"):
        assert attacker.post(reverse(SETUP), {"token": token}).status_code == 200
    assert not TOTPDevice.objects.filter(user=press).exists()
    assert attacker.get(reverse("posts:review_queue")).status_code == 302
    refused = AuditEvent.objects.filter(action="auth.otp_enrol_refused", actor=press)
    assert refused.count() == 3
    assert refused.first().source_address == "127.0.0.1"


@pytest.mark.parametrize("role", [Role.PRESS_OFFICE, Role.CRISIS_UNIT, Role.ADMINISTRATOR])
def test_the_rule_wants_a_grant_for_every_privileged_role(role):
    user = UserFactory(roles=[role])
    assert not may_enrol(user)
    services.enrolment_grant_open(user_id=user.pk, actor=None)
    assert may_enrol(user)
    totp_device(user)
    assert not may_enrol(user), "a user with an app never enrols another one"


def test_an_officer_has_nothing_to_enrol_even_with_a_grant():
    officer = UserFactory(roles=[Role.OFFICER], missions=["emb-jp-tokyo"])
    services.enrolment_grant_open(user_id=officer.pk, actor=None)
    assert not may_enrol(officer)
    client = log_in_with_password(Client(), officer)
    assert client.get(reverse(SETUP)).status_code == 302
    assert not TOTPDevice.objects.filter(user=officer).exists()


# --- With a grant: once -------------------------------------------------------------------------


def test_a_grant_lets_the_user_enrol_once(press, admin_user):
    grant, created = services.enrolment_grant_open(user_id=press.pk, actor=admin_user)
    assert created
    client = log_in_with_password(Client(), press)
    device = shown_device(client, press)

    response = client.post(reverse(SETUP), {"token": totp_code(device), "next": DASHBOARD})

    assert response.status_code == 302
    assert client.get(DASHBOARD).status_code == 200
    grant.refresh_from_db()
    assert grant.status == EnrolmentGrant.Status.USED
    assert grant.closed_by == press
    assert grant.closed_at is not None
    assert open_enrolment_grant(press) is None
    enrol = AuditEvent.objects.get(action="auth.otp_enrol")
    assert (enrol.actor, enrol.object_id, enrol.details["grant"]) == (press, str(press.pk), grant.pk)
    assert enrol.source_address == "127.0.0.1"


def test_a_used_grant_does_not_let_anyone_enrol_again(press, admin_user):
    """After enrolling, the grant is spent: if the app is then deleted without a new grant
    (a plain reset), the password alone does not enrol another."""
    services.enrolment_grant_open(user_id=press.pk, actor=admin_user)
    client = log_in_with_password(Client(), press)
    client.post(reverse(SETUP), {"token": totp_code(shown_device(client, press))})
    assert TOTPDevice.objects.filter(user=press, confirmed=True).count() == 1

    services.devices_reset(user_id=press.pk, actor=admin_user, open_enrolment=False)

    other = log_in_with_password(Client(), press)
    page = other.get(reverse(SETUP))
    assert "Ask an administrator to open enrolment" in page.text
    assert not TOTPDevice.objects.filter(user=press).exists()


def test_a_wrong_code_keeps_the_grant_open(press):
    grant, _ = services.enrolment_grant_open(user_id=press.pk, actor=None)
    client = log_in_with_password(Client(), press)
    device = shown_device(client, press)
    wrong = f"{(int(totp_code(device)) + 1) % 1_000_000:06d}"
    response = client.post(reverse(SETUP), {"token": wrong})
    assert response.status_code == 200
    assert "not right" in response.text
    grant.refresh_from_db()
    assert grant.status == EnrolmentGrant.Status.OPEN
    assert AuditEvent.objects.filter(action="auth.otp_failed", actor=press, details__step="enrol").exists()


def test_each_session_gets_its_own_key_and_the_first_to_confirm_wins(press):
    """Grant open, and someone else has the password too: they never see the key the user
    scans (each session has its own), and once one session has enrolled, the other's key
    is worthless and its page sends it to the code page."""
    services.enrolment_grant_open(user_id=press.pk, actor=None)
    user = log_in_with_password(Client(), press)
    other = log_in_with_password(Client(), press)
    users_device, others_device = shown_device(user, press), shown_device(other, press)
    assert users_device.pk != others_device.pk
    assert users_device.bin_key != others_device.bin_key
    assert shown_device(user, press).pk == users_device.pk  # the same key on every visit of one session

    assert user.post(reverse(SETUP), {"token": totp_code(users_device)}).status_code == 302

    response = other.post(reverse(SETUP), {"token": totp_code(others_device)})
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("security:otp_verify"))
    assert list(TOTPDevice.objects.filter(user=press).values_list("pk", flat=True)) == [users_device.pk]
    assert other.get(DASHBOARD).status_code == 302


# --- Expiry and withdrawal ------------------------------------------------------------------------


def test_an_expired_grant_lets_nobody_enrol(press):
    grant, _ = services.enrolment_grant_open(user_id=press.pk, actor=None)
    assert grant.expires_at - grant.opened_at == timedelta(hours=72)
    expire(grant)
    page = log_in_with_password(Client(), press).get(reverse(SETUP))
    assert "Ask an administrator to open enrolment" in page.text
    assert not TOTPDevice.objects.filter(user=press).exists()


def test_a_grant_that_expires_while_the_page_is_open_refuses_the_code(press):
    grant, _ = services.enrolment_grant_open(user_id=press.pk, actor=None)
    client = log_in_with_password(Client(), press)
    device = shown_device(client, press)
    expire(grant)

    response = client.post(reverse(SETUP), {"token": totp_code(device), "next": DASHBOARD})

    assert response.status_code == 200
    assert "Ask an administrator to open enrolment" in response.text
    assert not TOTPDevice.objects.filter(user=press, confirmed=True).exists()
    with pytest.raises(services.EnrolmentClosed):
        services.enrolment_confirm(user=press, device_id=device.pk, token=totp_code(device, steps=1))


def test_opening_again_after_expiry_closes_the_old_grant_and_opens_a_new_one(press, admin_user):
    old, _ = services.enrolment_grant_open(user_id=press.pk, actor=admin_user)
    expire(old)
    new, created = services.enrolment_grant_open(user_id=press.pk, actor=admin_user)
    assert created
    assert new.pk != old.pk
    old.refresh_from_db()
    assert old.status == EnrolmentGrant.Status.EXPIRED
    assert old.closed_at is not None
    assert open_enrolment_grant(press) == new


def test_opening_twice_changes_nothing(press, admin_user):
    first, created = services.enrolment_grant_open(user_id=press.pk, actor=admin_user)
    again, created_again = services.enrolment_grant_open(user_id=press.pk, actor=admin_user)
    assert (created, created_again) == (True, False)
    assert again == first
    assert again.expires_at == first.expires_at
    assert AuditEvent.objects.filter(action="auth.otp_grant_open").count() == 1


def test_a_withdrawn_grant_lets_nobody_enrol(press, admin_user):
    grant, _ = services.enrolment_grant_open(user_id=press.pk, actor=admin_user)
    client = log_in_with_password(Client(), press)
    device = shown_device(client, press)

    services.enrolment_grant_withdraw(grant_id=grant.pk, actor=admin_user)

    response = client.post(reverse(SETUP), {"token": totp_code(device)})
    assert "Ask an administrator to open enrolment" in response.text
    assert not TOTPDevice.objects.filter(user=press, confirmed=True).exists()
    grant.refresh_from_db()
    assert (grant.status, grant.closed_by) == (EnrolmentGrant.Status.WITHDRAWN, admin_user)
    event = AuditEvent.objects.get(action="auth.otp_grant_withdraw")
    assert (event.actor, event.object_id, event.details) == (admin_user, str(press.pk), {"grant": grant.pk})
    # Withdrawing it again changes nothing.
    services.enrolment_grant_withdraw(grant_id=grant.pk, actor=admin_user)
    assert AuditEvent.objects.filter(action="auth.otp_grant_withdraw").count() == 1


# --- Who may open one, and the database's rules ---------------------------------------------------


@pytest.mark.parametrize("role", [Role.OFFICER, Role.PRESS_OFFICE, Role.CRISIS_UNIT])
def test_only_administrators_open_withdraw_and_reset(press, role):
    actor = UserFactory(roles=[role])
    with pytest.raises(PermissionDenied):
        services.enrolment_grant_open(user_id=press.pk, actor=actor)
    with pytest.raises(PermissionDenied):
        services.enrolment_grant_open(user_id=actor.pk, actor=actor)  # nor for themselves
    grant, _ = services.enrolment_grant_open(user_id=press.pk, actor=None)
    with pytest.raises(PermissionDenied):
        services.enrolment_grant_withdraw(grant_id=grant.pk, actor=actor)
    totp_device(actor)
    with pytest.raises(PermissionDenied):
        services.devices_reset(user_id=actor.pk, actor=actor, open_enrolment=True)
    assert TOTPDevice.objects.filter(user=actor).exists()


def test_no_grant_for_a_user_who_still_has_an_app(press, admin_user):
    """A grant waiting behind an app would let the next reset be exploited: reset first,
    in the same step."""
    totp_device(press)
    with pytest.raises(services.GrantRefused):
        services.enrolment_grant_open(user_id=press.pk, actor=admin_user)
    assert not EnrolmentGrant.objects.exists()


def test_the_database_keeps_one_open_grant_per_user(press):
    services.enrolment_grant_open(user_id=press.pk, actor=None)
    now = timezone.now()
    with pytest.raises(IntegrityError), transaction.atomic():
        EnrolmentGrant.objects.create(user=press, opened_at=now, expires_at=now + timedelta(hours=1))


def test_the_database_refuses_a_closed_grant_without_its_time(press):
    now = timezone.now()
    with pytest.raises(IntegrityError), transaction.atomic():
        EnrolmentGrant.objects.create(
            user=press, opened_at=now, expires_at=now + timedelta(hours=1), status=EnrolmentGrant.Status.USED
        )


# --- Reset and grant -----------------------------------------------------------------------------


def test_resetting_with_a_grant_lets_the_owner_enrol_a_new_phone(press, admin_user):
    old = totp_device(press)
    grant = services.devices_reset(user_id=press.pk, actor=admin_user, open_enrolment=True)

    assert not TOTPDevice.objects.filter(pk=old.pk).exists()
    assert grant.is_open()
    client = log_in_with_password(Client(), press)
    assert client.get(DASHBOARD)["Location"].startswith(reverse(SETUP))
    new = shown_device(client, press)
    assert new.bin_key != old.bin_key
    assert client.post(reverse(SETUP), {"token": totp_code(new)}).status_code == 302
    assert client.get(DASHBOARD).status_code == 200
    actions = list(
        AuditEvent.objects.filter(object_id=str(press.pk), action__startswith="auth.otp")
        .order_by("pk")
        .values_list("action", flat=True)
    )
    assert actions == ["auth.otp_reset", "auth.otp_grant_open", "auth.otp_enrol"]
    assert AuditEvent.objects.get(action="auth.otp_grant_open").details["via"] == "reset"


def test_resetting_without_a_grant_leaves_the_owner_asking_an_administrator(press, admin_user):
    totp_device(press)
    assert services.devices_reset(user_id=press.pk, actor=admin_user, open_enrolment=False) is None
    page = log_in_with_password(Client(), press).get(reverse(SETUP))
    assert "Ask an administrator to open enrolment" in page.text


# --- The enrolment page keeps to the content security policy -------------------------------------


def test_the_enrolment_page_with_its_qr_code_keeps_to_the_policy(press):
    from tests.security.test_csp_and_csrf import check_markup, check_policy

    services.enrolment_grant_open(user_id=press.pk, actor=None)
    client = log_in_with_password(Client(), press)
    for page in (
        client.get(reverse(SETUP)),
        Client().get(reverse("login")),
        log_in_with_password(Client(), UserFactory(roles=[Role.CRISIS_UNIT])).get(reverse(SETUP)),
    ):
        assert page.status_code == 200
        assert not check_policy(page) + check_markup(page.text)


def test_the_staff_page_can_show_where_a_person_stands(press):
    from security.selectors import authenticator_state

    state = authenticator_state(user=press)
    assert (state.needed, state.enrolled, state.grant) == (True, False, None)
    grant, _ = services.enrolment_grant_open(user_id=press.pk, actor=None)
    assert authenticator_state(user=press).grant == grant
    totp_device(press)
    assert (authenticator_state(user=press).enrolled, authenticator_state(user=press).grant) == (True, None)
