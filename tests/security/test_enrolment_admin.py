"""Administrators open enrolment (an enrolment grant) in the Django admin, withdraw it, and
reset a lost phone's app while opening a new enrolment in the same action; the first
administrator of a deployment gets theirs from `manage.py open_enrolment`; the demo's
privileged users get theirs from `seed_demo`. Each write is audited with its actor, time,
object and source address."""

from __future__ import annotations

import io

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command
from django.test import Client
from django.urls import reverse
from django_otp.plugins.otp_totp.models import TOTPDevice

from audit.models import AuditEvent
from embassies.roles import Role
from security import services
from security.models import EnrolmentGrant
from tests.factories import UserFactory
from tests.security.otp import force_verified_login, totp_device
from tests.security.test_enrolment import enrol, log_in_with_password

pytestmark = pytest.mark.django_db

OPEN = "admin:security_enrolmentgrant_add"
GRANTS = "admin:security_enrolmentgrant_changelist"
DEVICES = "admin:otp_totp_totpdevice_changelist"
ADDRESS = "203.0.113.7"


@pytest.fixture
def admin_client(db):
    admin = UserFactory(username="admin-1", roles=[Role.ADMINISTRATOR], is_staff=True)
    client = force_verified_login(Client(REMOTE_ADDR=ADDRESS), admin)
    client.user = admin
    return client


@pytest.fixture
def press(db):
    return UserFactory(username="press-new", roles=[Role.PRESS_OFFICE])


def test_an_administrator_opens_enrolment_for_a_user_and_it_is_audited(admin_client, press):
    """The staff page links to the add page with ?user=<id>: it names the user, and the
    grant is opened on POST only."""
    page = admin_client.get(reverse(OPEN), {"user": press.pk})
    assert page.status_code == 200
    assert f'<option value="{press.pk}" selected>' in page.text
    assert "72 hours" in page.text
    assert not EnrolmentGrant.objects.exists()

    response = admin_client.post(reverse(OPEN), {"user": press.pk})

    assert response.status_code == 302
    assert response["Location"] == f"{reverse(GRANTS)}?user__id__exact={press.pk}"
    grant = EnrolmentGrant.objects.get()
    assert (grant.user, grant.opened_by, grant.status) == (press, admin_client.user, EnrolmentGrant.Status.OPEN)
    event = AuditEvent.objects.get(action="auth.otp_grant_open")
    assert event.actor == admin_client.user
    assert (event.object_type, event.object_id, event.object_label) == ("auth.user", str(press.pk), "press-new")
    assert event.source_address == ADDRESS
    assert event.details["grant"] == grant.pk
    assert event.details["via"] == "admin"
    assert event.details["expires_at"].startswith(grant.expires_at.isoformat()[:16])
    listing = admin_client.get(response["Location"])
    assert "Enrolment is open for press-new" in listing.text
    assert ">open<" in listing.text

    # The user enrols at their next login.
    client = log_in_with_password(Client(), press)
    enrol(client, press)
    assert ">used<" in admin_client.get(reverse(GRANTS)).text


def test_opening_for_a_user_who_has_an_app_says_to_reset_it(admin_client, press):
    totp_device(press)
    response = admin_client.post(reverse(OPEN), {"user": press.pk})
    assert response.status_code == 200
    assert "already has an authenticator app" in response.text
    assert not EnrolmentGrant.objects.exists()


def test_grants_are_neither_changed_nor_deleted_in_the_admin(admin_client, press):
    grant, _ = services.enrolment_grant_open(user_id=press.pk, actor=None)
    listing = admin_client.get(reverse(GRANTS))
    assert "delete_selected" not in listing.text
    assert (
        admin_client.post(reverse("admin:security_enrolmentgrant_delete", args=[grant.pk]), {"post": "yes"}).status_code
        == 403
    )
    detail = admin_client.get(reverse("admin:security_enrolmentgrant_change", args=[grant.pk]))
    assert detail.status_code == 200
    assert 'name="_save"' not in detail.text
    assert EnrolmentGrant.objects.filter(pk=grant.pk, status=EnrolmentGrant.Status.OPEN).exists()


@pytest.mark.parametrize("role", [Role.PRESS_OFFICE, Role.CRISIS_UNIT])
def test_other_roles_cannot_open_enrolment_in_the_admin(press, role):
    other = force_verified_login(Client(), UserFactory(roles=[role], is_staff=True))
    assert other.get(reverse(OPEN), {"user": press.pk}).status_code == 403
    assert other.post(reverse(OPEN), {"user": press.pk}).status_code == 403
    assert other.post(reverse(OPEN), {"user": other.session["_auth_user_id"]}).status_code == 403
    assert not EnrolmentGrant.objects.exists()


def test_an_administrator_withdraws_an_open_enrolment(admin_client, press):
    grant, _ = services.enrolment_grant_open(user_id=press.pk, actor=None)
    response = admin_client.post(reverse(GRANTS), {"action": "withdraw", "_selected_action": [grant.pk]})
    assert response.status_code == 302
    grant.refresh_from_db()
    assert (grant.status, grant.closed_by) == (EnrolmentGrant.Status.WITHDRAWN, admin_client.user)
    event = AuditEvent.objects.get(action="auth.otp_grant_withdraw")
    assert (event.actor, event.object_id, event.source_address) == (admin_client.user, str(press.pk), ADDRESS)
    page = log_in_with_password(Client(), press).get(reverse("security:otp_setup"))
    assert "Ask an administrator to open enrolment" in page.text


def test_reset_and_open_enrolment_in_one_admin_action(admin_client, press):
    """A lost phone: the administrator resets the app and, explicitly, opens a new
    enrolment; the owner enrols their new phone at the next login."""
    lost = totp_device(press)
    response = admin_client.post(
        reverse(DEVICES), {"action": "reset_and_open_enrolment", "_selected_action": [lost.pk]}
    )
    assert response.status_code == 302
    assert not TOTPDevice.objects.filter(user=press).exists()
    grant = EnrolmentGrant.objects.get(user=press)
    assert grant.is_open()
    assert grant.opened_by == admin_client.user
    events = AuditEvent.objects.filter(object_id=str(press.pk), action__startswith="auth.otp").order_by("pk")
    assert [(e.action, e.actor, e.source_address) for e in events] == [
        ("auth.otp_reset", admin_client.user, ADDRESS),
        ("auth.otp_grant_open", admin_client.user, ADDRESS),
    ]
    assert "reset. They may enrol a new one" in admin_client.get(response["Location"]).text

    client = log_in_with_password(Client(), press)
    enrol(client, press)
    assert client.get("/").status_code == 200


def test_a_plain_delete_in_the_admin_opens_no_enrolment(admin_client, press):
    device = totp_device(press)
    response = admin_client.post(reverse("admin:otp_totp_totpdevice_delete", args=[device.pk]), {"post": "yes"})
    assert response.status_code == 302
    assert not TOTPDevice.objects.filter(user=press).exists()
    assert not EnrolmentGrant.objects.exists()
    assert AuditEvent.objects.filter(action="auth.otp_reset", actor=admin_client.user).count() == 1
    page = log_in_with_password(Client(), press).get(reverse("security:otp_setup"))
    assert "Ask an administrator to open enrolment" in page.text


# --- The first administrator: a management command ------------------------------------------------


def test_the_command_opens_enrolment_for_the_first_administrator():
    first = UserFactory(username="first-admin", roles=[Role.ADMINISTRATOR], is_staff=True, is_superuser=True)
    out = io.StringIO()
    call_command("open_enrolment", "first-admin", "--hours", "4", stdout=out)
    assert "Enrolment opened for first-admin until" in out.getvalue()
    grant = EnrolmentGrant.objects.get(user=first)
    assert round((grant.expires_at - grant.opened_at).total_seconds()) == 4 * 3600
    event = AuditEvent.objects.get(action="auth.otp_grant_open")
    assert (event.actor, event.source_address, event.details["via"]) == (None, None, "command")

    client = log_in_with_password(Client(), first)
    enrol(client, first)
    assert client.get(reverse("admin:index")).status_code == 200


def test_the_command_refuses_an_unknown_user_or_one_with_an_app(press):
    with pytest.raises(CommandError, match="No user"):
        call_command("open_enrolment", "nobody", stdout=io.StringIO())
    totp_device(press)
    with pytest.raises(CommandError, match="already has an authenticator app"):
        call_command("open_enrolment", press.username, stdout=io.StringIO())
    assert not EnrolmentGrant.objects.exists()


# --- The demo ---------------------------------------------------------------------------------------


def test_the_demos_privileged_users_can_enrol_after_seed_demo():
    out = io.StringIO()
    call_command("seed_demo", "--force", stdout=out)
    passwords = dict(line.split() for line in out.getvalue().splitlines() if line.startswith("  "))
    assert "Enrolment open" in out.getvalue()
    granted = set(EnrolmentGrant.objects.values_list("user__username", flat=True))
    assert granted == {"press", "press2", "crisis", "crisis2", "admin", "rights"}
    assert set(AuditEvent.objects.filter(action="auth.otp_grant_open").values_list("details__via", flat=True)) == {
        "seed_demo"
    }

    client = Client()
    assert client.post(reverse("login"), {"username": "press", "password": passwords["press"]}).status_code == 302
    press = get_user_model().objects.get(username="press")
    enrol(client, press)
    assert client.get("/").status_code == 200

    # A second run leaves open grants as they are and opens none for an enrolled user.
    call_command("seed_demo", "--force", stdout=io.StringIO())
    assert EnrolmentGrant.objects.count() == 6
    assert EnrolmentGrant.objects.filter(status=EnrolmentGrant.Status.OPEN).count() == 5


def test_the_administrator_role_alone_opens_the_admin_page_the_staff_page_links_to(press):
    """A role given on the staff page sets no `is_staff`: the role must be enough to reach
    the enrolment page, and a verified press officer without `is_staff` stays out."""
    administrator = UserFactory(username="admin-by-role", roles=[Role.ADMINISTRATOR], is_staff=False)
    client = force_verified_login(Client(REMOTE_ADDR=ADDRESS), administrator)
    assert client.get(reverse(OPEN), {"user": press.pk}).status_code == 200

    press_client = force_verified_login(Client(REMOTE_ADDR=ADDRESS), press)
    response = press_client.get(reverse(OPEN), {"user": press.pk})
    assert response.status_code in (302, 403)
    assert not EnrolmentGrant.objects.exists()
