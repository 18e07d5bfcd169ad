"""Login throttling (django-axes), sessions (fixation, logout, deactivation, password
change, idle and absolute time-outs), cookies and headers in production, error pages.
Matrix S19, S22-S26, S28, S32; ASVS 6.3.1, 7.2.4, 7.3.1-7.3.2, 7.4.1-7.4.2, 3.3.x, 3.4.x."""

from __future__ import annotations

import importlib
import time
from datetime import timedelta

import pytest
from axes.models import AccessAttempt
from django.contrib.auth import SESSION_KEY
from django.test import Client, override_settings
from django.urls import reverse
from django.utils import timezone

from audit.models import AuditEvent
from embassies.roles import Role
from security.receivers import LAST_ACTIVITY, SESSION_STARTED
from tests.factories import UserFactory
from tests.security.otp import PASSWORD, force_verified_login

pytestmark = pytest.mark.django_db


@pytest.fixture
def officer():
    return UserFactory(username="officer-lock", roles=[Role.OFFICER], missions=["emb-jp-tokyo"])


def attempt(client, username, password="wrong password!", address="203.0.113.7"):  # noqa: S107
    return client.post(reverse("login"), {"username": username, "password": password}, REMOTE_ADDR=address)


# --- Throttling and lockout -----------------------------------------------------------------


def test_five_wrong_passwords_lock_the_username_from_that_address(client, officer):
    for _ in range(4):
        response = attempt(client, officer.username)
        assert response.status_code == 200  # the form again, with its error
    response = attempt(client, officer.username)

    assert response.status_code == 429
    assert "Too many failed attempts" in response.text
    assert "15 minutes" in response.text
    # Locked: even the right password is refused now.
    response = attempt(client, officer.username, PASSWORD)
    assert response.status_code == 429
    assert SESSION_KEY not in client.session


def test_failures_and_the_lockout_are_audited_with_the_source_address(client, officer):
    for _ in range(5):
        attempt(client, officer.username)
    failures = AuditEvent.objects.filter(action="auth.login_failed", object_label=officer.username)
    assert failures.count() == 5
    assert {event.source_address for event in failures} == {"203.0.113.7"}
    lockout = AuditEvent.objects.get(action="auth.lockout")
    assert (lockout.details["username"], lockout.source_address) == (officer.username, "203.0.113.7")


def test_the_lockout_holds_one_username_from_one_address_only(client, officer):
    other = UserFactory(username="officer-free", roles=[Role.OFFICER], missions=["emb-jp-tokyo"])
    for _ in range(5):
        attempt(client, officer.username)
    # The same username from another address, another username from the same address: free.
    assert attempt(Client(), officer.username, PASSWORD, address="198.51.100.9").status_code == 302
    assert attempt(Client(), other.username, PASSWORD).status_code == 302


def test_the_lockout_ends_after_fifteen_minutes(client, officer):
    for _ in range(5):
        attempt(client, officer.username)
    AccessAttempt.objects.update(attempt_time=timezone.now() - timedelta(minutes=16))
    assert attempt(client, officer.username, PASSWORD).status_code == 302


def test_a_success_clears_the_count(client, officer):
    for _ in range(4):
        attempt(client, officer.username)
    assert attempt(Client(), officer.username, PASSWORD).status_code == 302
    for _ in range(4):
        assert attempt(client, officer.username).status_code == 200


def test_the_admin_cannot_be_used_to_get_around_the_lockout(client, officer):
    """The admin's login page sends to ours; a POST to it logs nobody in."""
    for _ in range(5):
        attempt(client, officer.username)
    response = client.post(
        reverse("admin:login"), {"username": officer.username, "password": PASSWORD}, REMOTE_ADDR="203.0.113.7"
    )
    assert response.status_code == 302
    assert SESSION_KEY not in client.session


def test_a_successful_login_is_audited_with_the_source_address(client, officer):
    attempt(client, officer.username, PASSWORD, address="192.0.2.44")
    event = AuditEvent.objects.get(action="auth.login")
    assert (event.actor, event.source_address) == (officer, "192.0.2.44")


@override_settings(TRUSTED_PROXY_COUNT=1)
def test_behind_a_proxy_the_address_is_the_proxys_view_of_the_client(client, officer):
    """The client writes X-Forwarded-For entries to the left of the proxy's; only the
    proxy's own entry (the last) is believed, by the lockout and the audit log alike."""
    for spoof in ("1.1.1.1", "2.2.2.2", "3.3.3.3", "4.4.4.4", "5.5.5.5"):
        client.post(
            reverse("login"),
            {"username": officer.username, "password": "wrong password!"},
            REMOTE_ADDR="10.0.0.2",
            HTTP_X_FORWARDED_FOR=f"{spoof}, 203.0.113.50",
        )
    assert AccessAttempt.objects.get().ip_address == "203.0.113.50"
    assert set(AuditEvent.objects.filter(action="auth.login_failed").values_list("source_address", flat=True)) == {
        "203.0.113.50"
    }
    response = client.post(
        reverse("login"),
        {"username": officer.username, "password": PASSWORD},
        REMOTE_ADDR="10.0.0.2",
        HTTP_X_FORWARDED_FOR="9.9.9.9, 203.0.113.50",
    )
    assert response.status_code == 429


# --- Sessions -------------------------------------------------------------------------------


def test_logging_in_gives_a_new_session_key(client, officer):
    """Session fixation (S22)."""
    client.get(reverse("login"))
    session = client.session
    session["planted"] = "by an attacker"
    session.save()
    before = session.session_key
    client.cookies["sessionid"] = before
    attempt(client, officer.username, PASSWORD)
    assert client.session.session_key != before


def test_after_logout_the_old_session_is_dead(client, officer):
    force_verified_login(client, officer)
    old = client.cookies["sessionid"].value
    client.post(reverse("logout"))
    stale = Client()
    stale.cookies["sessionid"] = old
    response = stale.get(reverse("posts:dashboard"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_a_deactivated_users_session_is_dead(client, officer):
    force_verified_login(client, officer)
    officer.is_active = False
    officer.save()
    response = client.get(reverse("posts:dashboard"))
    assert response["Location"].startswith(reverse("login"))
    assert AuditEvent.objects.filter(action="user.deactivate", object_id=str(officer.pk)).exists()


def test_a_password_change_ends_the_other_sessions(client, officer):
    force_verified_login(client, officer)
    officer.set_password("another long passphrase 42")
    officer.save()
    response = client.get(reverse("posts:dashboard"))
    assert response["Location"].startswith(reverse("login"))


def _age_session(client, *, idle: float = 0, since_login: float = 0) -> None:
    session = client.session
    now = time.time()
    session[LAST_ACTIVITY] = now - idle
    session[SESSION_STARTED] = now - since_login
    session.save()


def test_thirty_minutes_without_activity_end_the_session(client, officer):
    force_verified_login(client, officer)
    _age_session(client, idle=31 * 60, since_login=31 * 60)

    response = client.get(reverse("posts:dashboard"))

    assert response.status_code == 302
    assert response["Location"] == f"{reverse('login')}?next=/"
    assert SESSION_KEY not in client.session
    page = client.get(response["Location"])
    assert "without activity" in page.text
    logout = AuditEvent.objects.get(action="auth.logout")
    assert logout.actor == officer


def test_activity_keeps_the_session_open(client, officer):
    force_verified_login(client, officer)
    _age_session(client, idle=29 * 60, since_login=3 * 3600)
    assert client.get(reverse("posts:dashboard")).status_code == 200
    assert time.time() - client.session[LAST_ACTIVITY] < 5
    assert client.get(reverse("posts:dashboard")).status_code == 200


def test_htmx_polling_is_not_activity(client, officer):
    """A page left open polls; that must not keep an unattended session open."""
    force_verified_login(client, officer)
    _age_session(client, idle=20 * 60, since_login=20 * 60)
    stamp = client.session[LAST_ACTIVITY]
    client.get(reverse("posts:dashboard"), headers={"HX-Request": "true"})
    assert client.session[LAST_ACTIVITY] == stamp
    _age_session(client, idle=31 * 60, since_login=31 * 60)
    response = client.get(reverse("posts:dashboard"), headers={"HX-Request": "true"})
    assert response["HX-Redirect"] == reverse("login")
    assert SESSION_KEY not in client.session


def test_eight_hours_after_login_the_session_ends_whatever_the_activity(client, officer):
    force_verified_login(client, officer)
    _age_session(client, idle=10, since_login=8 * 3600 + 60)
    response = client.get(reverse("posts:dashboard"))
    assert response["Location"].startswith(reverse("login"))


# --- Production: cookies and headers ---------------------------------------------------------

SECURITY_SETTINGS = (
    "SECURE_PROXY_SSL_HEADER",
    "SECURE_SSL_REDIRECT",
    "SECURE_HSTS_SECONDS",
    "SECURE_HSTS_INCLUDE_SUBDOMAINS",
    "SECURE_HSTS_PRELOAD",
    "SECURE_CONTENT_TYPE_NOSNIFF",
    "SECURE_REFERRER_POLICY",
    "SESSION_COOKIE_SECURE",
    "SESSION_COOKIE_HTTPONLY",
    "SESSION_COOKIE_NAME",
    "CSRF_COOKIE_SECURE",
    "CSRF_COOKIE_NAME",
    "X_FRAME_OPTIONS",
)


@pytest.fixture
def production(monkeypatch):
    """The production module's security settings, over the test settings."""
    monkeypatch.setenv("SECRET_KEY", "x" * 60)
    monkeypatch.setenv("ALLOWED_HOSTS", "hub.example.org")
    module = importlib.import_module("diplomacy_hub.settings.production")
    module = importlib.reload(module)
    values = {name: getattr(module, name) for name in SECURITY_SETTINGS}
    with override_settings(**values, ALLOWED_HOSTS=["hub.example.org"]):
        yield values


def test_production_cookies_are_secure_host_only_and_hidden_from_scripts(production, officer):
    client = Client(HTTP_HOST="hub.example.org", HTTP_X_FORWARDED_PROTO="https")
    client.get(reverse("login"))  # sets the CSRF cookie
    response = client.post(
        reverse("login"),
        {
            "username": officer.username,
            "password": PASSWORD,
            "csrfmiddlewaretoken": client.cookies["__Host-csrftoken"].value,
        },
    )
    session = response.cookies["__Host-sessionid"]
    assert session["secure"]
    assert session["httponly"]
    assert session["samesite"] == "Lax"
    assert session["path"] == "/"
    assert not session["domain"]
    csrf = client.cookies["__Host-csrftoken"]
    assert csrf["secure"]
    assert csrf["samesite"] == "Lax"


def test_production_headers(production):
    client = Client(HTTP_HOST="hub.example.org", HTTP_X_FORWARDED_PROTO="https")
    response = client.get(reverse("login"))
    assert response["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains; preload"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["X-Frame-Options"] == "DENY"
    assert "frame-ancestors 'none'" in response["Content-Security-Policy"]
    # Plain HTTP is sent to HTTPS.
    plain = Client(HTTP_HOST="hub.example.org").get(reverse("login"))
    assert plain.status_code == 301
    assert plain["Location"].startswith("https://")


def test_an_unknown_host_is_refused(client):
    """S28: ALLOWED_HOSTS."""
    assert client.get(reverse("login"), HTTP_HOST="evil.example").status_code == 400


@override_settings(ROOT_URLCONF="tests.security.urls_boom", DEBUG=False)
def test_a_server_error_shows_a_generic_page(officer):
    """S32: no traceback, no setting, no variable (the credential in the failing frame)."""
    client = Client(raise_request_exception=False)
    force_verified_login(client, officer)
    response = client.get("/boom/")
    assert response.status_code == 500
    for leak in ("Traceback", "RuntimeError", "the network refused", "canary-token", "SECRET_KEY", "settings"):
        assert leak not in response.text
