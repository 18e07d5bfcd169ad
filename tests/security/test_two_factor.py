"""Two-factor authentication (TOTP, django-otp): required after the password for the press
office, the crisis unit and administrators; officers need only their password.
ASVS 6.3.3 (MFA), 6.5.1 (a code is used once), 7.2.4 (new session key); matrix S20, S21, S27."""

from __future__ import annotations

import base64
import re
from urllib.parse import unquote

import pytest
from django.contrib.auth import SESSION_KEY
from django.urls import reverse
from django_otp.plugins.otp_totp.models import TOTPDevice

from audit.models import AuditEvent
from embassies.roles import Role
from security.services import enrolment_grant_open
from tests.factories import UserFactory
from tests.security.otp import PASSWORD, force_verified_login, fresh_code, totp_code, totp_device, verified_login

pytestmark = pytest.mark.django_db

DASHBOARD = "/"


def log_in_with_password(client, user):
    response = client.post(reverse("login"), {"username": user.username, "password": PASSWORD, "next": DASHBOARD})
    assert response.status_code == 302
    return response


@pytest.mark.parametrize("role", [Role.PRESS_OFFICE, Role.CRISIS_UNIT, Role.ADMINISTRATOR])
def test_a_privileged_user_with_a_device_is_asked_for_a_code_after_the_password(client, role):
    user = UserFactory(roles=[role])
    device = totp_device(user)

    response = log_in_with_password(client, user)
    assert response["Location"] == DASHBOARD  # the login page sends them on ...
    response = client.get(DASHBOARD)
    assert response.status_code == 302  # ... and every page sends them to the code page
    assert response["Location"] == f"{reverse('security:otp_verify')}?next=%2F"

    response = client.post(reverse("security:otp_verify"), {"token": totp_code(device), "next": DASHBOARD})
    assert response.status_code == 302
    assert response["Location"] == DASHBOARD
    assert client.get(DASHBOARD).status_code == 200


def test_an_officer_needs_only_the_password(client):
    officer = UserFactory(roles=[Role.OFFICER], missions=["emb-jp-tokyo"])
    log_in_with_password(client, officer)
    assert client.get(DASHBOARD).status_code == 200
    # The code pages send an officer on: nothing to do there, and no device is made for them.
    assert client.get(reverse("security:otp_setup")).status_code == 302
    assert not TOTPDevice.objects.filter(user=officer).exists()


def test_a_superuser_needs_the_second_factor_too(client):
    user = UserFactory(is_superuser=True, is_staff=True)
    log_in_with_password(client, user)
    assert client.get(DASHBOARD)["Location"].startswith(reverse("security:otp_setup"))


def test_a_wrong_code_is_refused_and_audited(client):
    user = UserFactory(roles=[Role.PRESS_OFFICE])
    device = totp_device(user)
    log_in_with_password(client, user)
    wrong = f"{(int(totp_code(device)) + 1) % 1_000_000:06d}"

    response = client.post(reverse("security:otp_verify"), {"token": wrong})

    assert response.status_code == 200
    assert "not right" in response.text
    assert client.get(DASHBOARD).status_code == 302
    assert AuditEvent.objects.filter(action="auth.otp_failed", actor=user).exists()


def test_a_used_code_is_refused_the_second_time(client):
    """Replay (S21): django-otp keeps the time step of the last accepted code (last_t)."""
    user = UserFactory(roles=[Role.PRESS_OFFICE])
    device = totp_device(user)
    code = totp_code(device)
    log_in_with_password(client, user)
    assert client.post(reverse("security:otp_verify"), {"token": code}).status_code == 302

    other = client.__class__()
    log_in_with_password(other, user)
    response = other.post(reverse("security:otp_verify"), {"token": code})

    assert response.status_code == 200, "the same code was accepted twice"
    assert other.get(DASHBOARD).status_code == 302
    device.refresh_from_db()
    assert device.last_t >= 0


def test_an_older_code_is_refused_after_a_newer_one(client):
    """A code of an earlier time step (still within the tolerance) after a later one."""
    user = UserFactory(roles=[Role.CRISIS_UNIT])
    device = totp_device(user)
    log_in_with_password(client, user)
    assert client.post(reverse("security:otp_verify"), {"token": totp_code(device)}).status_code == 302
    other = client.__class__()
    log_in_with_password(other, user)
    assert other.post(reverse("security:otp_verify"), {"token": totp_code(device, steps=-1)}).status_code == 200


def test_wrong_codes_slow_the_next_tries_down(client):
    user = UserFactory(roles=[Role.PRESS_OFFICE])
    device = totp_device(user)
    log_in_with_password(client, user)
    for _ in range(3):
        client.post(reverse("security:otp_verify"), {"token": "000000" if totp_code(device) != "000000" else "111111"})

    # Even the right code waits out the delay.
    response = client.post(reverse("security:otp_verify"), {"token": totp_code(device)})
    assert response.status_code == 200
    assert "wait" in response.text


def test_the_session_gets_a_new_key_after_the_code(client):
    """Session fixation across the second step (ASVS 7.2.4)."""
    user = UserFactory(roles=[Role.ADMINISTRATOR])
    device = totp_device(user)
    log_in_with_password(client, user)
    before = client.session.session_key
    client.post(reverse("security:otp_verify"), {"token": totp_code(device)})
    assert client.session.session_key != before
    assert client.session[SESSION_KEY] == str(user.pk)


def test_enrolment_shows_a_qr_code_then_confirms_the_device(client):
    user = UserFactory(roles=[Role.PRESS_OFFICE])
    enrolment_grant_open(user_id=user.pk, actor=None)  # an administrator opened enrolment for them
    log_in_with_password(client, user)
    response = client.get(DASHBOARD)
    assert response["Location"].startswith(reverse("security:otp_setup"))

    page = client.get(response["Location"])
    assert page.status_code == 200
    # The QR code is an SVG image drawn on the server, in a data: URL: no script, no markup.
    image = re.search(r'<img src="(data:image/svg\+xml[^"]+)"', page.text)
    assert image, "no QR code image"
    assert "<script" not in unquote(image.group(1)).lower()
    device = TOTPDevice.objects.get(user=user)
    assert not device.confirmed
    # The key is shown too, for typing in; it is the device's.
    key = base64.b32encode(device.bin_key).decode()
    assert " ".join(key[i : i + 4] for i in range(0, len(key), 4)) in page.text

    response = client.post(reverse("security:otp_setup"), {"token": totp_code(device), "next": DASHBOARD})

    assert response.status_code == 302
    device.refresh_from_db()
    assert device.confirmed
    assert client.get(DASHBOARD).status_code == 200
    assert AuditEvent.objects.filter(action="auth.otp_enrol", actor=user).exists()


def test_enrolment_is_refused_to_a_user_with_a_device(client):
    """Someone with the password alone cannot replace the owner's authenticator."""
    user = UserFactory(roles=[Role.PRESS_OFFICE])
    totp_device(user)
    log_in_with_password(client, user)
    response = client.get(reverse("security:otp_setup"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("security:otp_verify"))
    assert TOTPDevice.objects.filter(user=user).count() == 1


def test_enrolment_without_a_grant_says_to_ask_an_administrator(client):
    """No self-service: the password alone never shows a key (tests/security/test_enrolment.py)."""
    user = UserFactory(roles=[Role.PRESS_OFFICE])
    log_in_with_password(client, user)
    response = client.get(reverse("security:otp_setup"))
    assert response.status_code == 200
    assert "Ask an administrator to open enrolment" in response.text
    assert "data:image/svg" not in response.text  # no QR code, no key
    assert not TOTPDevice.objects.filter(user=user).exists()


@pytest.mark.parametrize("target", ["https://evil.example/", "//evil.example/", "javascript:alert(1)"])
def test_the_code_page_ignores_a_next_address_elsewhere(client, target):
    """Open redirect (S27): `next` is followed only to this site."""
    user = UserFactory(roles=[Role.PRESS_OFFICE])
    device = totp_device(user)
    log_in_with_password(client, user)
    response = client.post(reverse("security:otp_verify"), {"token": totp_code(device), "next": target})
    assert response.status_code == 302
    assert response["Location"] == reverse("posts:dashboard")


def test_the_login_page_ignores_a_next_address_elsewhere(client):
    officer = UserFactory(roles=[Role.OFFICER], missions=["emb-jp-tokyo"])
    response = client.post(
        reverse("login"), {"username": officer.username, "password": PASSWORD, "next": "https://evil.example/"}
    )
    assert response["Location"] == reverse("posts:dashboard")


def test_the_django_admin_asks_for_the_second_factor(client):
    admin = UserFactory(roles=[Role.ADMINISTRATOR], is_staff=True)
    device = totp_device(admin)
    log_in_with_password(client, admin)
    response = client.get(reverse("admin:index"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("security:otp_verify"))

    client.post(reverse("security:otp_verify"), {"token": totp_code(device)})
    assert client.get(reverse("admin:index")).status_code == 200


def test_the_admin_site_itself_refuses_an_unverified_session(rf):
    """Defence in depth: even without the middleware, the admin site's permission check
    wants the verified session."""
    from django.contrib import admin
    from django.contrib.auth.models import AnonymousUser  # noqa: F401

    user = UserFactory(roles=[Role.ADMINISTRATOR], is_staff=True)
    request = rf.get("/admin/")
    user.is_verified = lambda: False
    request.user = user
    assert not admin.site.has_permission(request)
    user.is_verified = lambda: True
    assert admin.site.has_permission(request)


def test_the_admins_own_login_page_sends_to_ours(client):
    """One login page for everything: throttling and the second factor apply there."""
    response = client.get(reverse("admin:login"), {"next": "/admin/"})
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_htmx_requests_are_sent_to_the_code_page_with_a_full_page_load(client):
    user = UserFactory(roles=[Role.PRESS_OFFICE])
    totp_device(user)
    client.force_login(user)
    response = client.get(DASHBOARD, headers={"HX-Request": "true"})
    assert response.status_code == 200
    assert response["HX-Redirect"].startswith(reverse("security:otp_verify"))


def test_logging_out_is_open_before_the_second_factor(client):
    user = UserFactory(roles=[Role.PRESS_OFFICE])
    client.force_login(user)
    response = client.post(reverse("logout"))
    assert response.status_code == 302
    assert SESSION_KEY not in client.session


def test_the_helpers_log_privileged_users_in(client):
    """tests/security/otp.py, for everyone's tests: through the pages, or forced."""
    press = UserFactory(roles=[Role.PRESS_OFFICE])
    verified_login(client, press)
    assert client.get(DASHBOARD).status_code == 200
    verified_login(client.__class__(), press)  # twice within 30 s: the helper allows it
    other = force_verified_login(client.__class__(), UserFactory(roles=[Role.ADMINISTRATOR]))
    assert other.get(DASHBOARD).status_code == 200
    assert fresh_code(totp_device(press))
