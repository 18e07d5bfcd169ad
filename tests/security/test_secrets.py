"""Secrets stay secret: canary credentials (a social account's tokens, the PKCE verifier and
code of a connect, a password typed at a failed login, a second-factor code) are absent
from the database dump (dumpdata, the sessions decoded, and pg_dump on PostgreSQL), from
every log line, from error reports (Django's technical 500 page and the report mailed to
admins) and from the admin pages. Matrix S30, S31; ASVS 16.2.5, 13.3.1, 11.3.3."""

from __future__ import annotations

import json
import logging
import os
import shutil
import subprocess
import sys
from io import StringIO

import pytest
from django.contrib.sessions.models import Session
from django.core.management import call_command
from django.db import connection
from django.test import Client, RequestFactory
from django.urls import reverse
from django.views.debug import get_default_exception_reporter_filter
from django_otp.plugins.otp_totp.models import TOTPDevice

from audit import services as audit
from audit.models import AuditEvent
from channels import services
from channels.models import SocialAccount
from embassies.roles import Role
from security.reporting import SecretsExceptionReporter as ExceptionReporter
from tests.factories import SocialAccountFactory, UserFactory
from tests.security.conftest import CANARY, connect_through_the_ui
from tests.security.otp import force_verified_login, fresh_code, totp_code, totp_device

pytestmark = pytest.mark.django_db


def database_dump() -> str:
    out = StringIO()
    call_command("dumpdata", format="json", stdout=out)
    dump = out.getvalue()
    dump += json.dumps([session.get_decoded() for session in Session.objects.all()])
    if connection.vendor == "postgresql":
        assert shutil.which("pg_dump"), "pg_dump is needed on PostgreSQL (apt-get install postgresql-client)"
        params = connection.get_connection_params()
        command = [
            "pg_dump",
            "--data-only",
            "--no-owner",
            "-h",
            str(params.get("host") or "127.0.0.1"),
            "-p",
            str(params.get("port") or 5432),
            "-U",
            str(params.get("user") or "postgres"),
            str(params["dbname"]),
        ]
        env = {**os.environ, "PGPASSWORD": str(params.get("password") or "")}
        result = subprocess.run(command, capture_output=True, text=True, env=env, timeout=120, check=True)  # noqa: S603
        assert "audit_auditevent" in result.stdout
        dump += result.stdout
    return dump


@pytest.fixture
def scene(client, fake_network, caplog):
    """An administrator connects an account through the UI (canary tokens, verifier, code);
    someone fails to log in with a canary password; a press officer mistypes a code and
    then enters the right one; channels' audit is handed secret-named details. Everything
    logged at DEBUG is kept."""
    caplog.set_level(logging.DEBUG)
    admin = UserFactory(roles=[Role.ADMINISTRATOR], is_staff=True)
    account = SocialAccountFactory(
        mission__code="emb-zz-secrets",
        network="twitter",
        handle="",
        network_account_id="",
        status=SocialAccount.Status.PENDING,
        credentials=False,
    )
    force_verified_login(client, admin)
    connect_through_the_ui(client, account)
    account.refresh_from_db()
    assert account.open_credentials().access_token == CANARY["access"]

    press = UserFactory(roles=[Role.PRESS_OFFICE], username="press-canary")
    for _ in range(6):  # up to the lockout
        Client().post(reverse("login"), {"username": press.username, "password": CANARY["password"]})
    device = totp_device(UserFactory(roles=[Role.PRESS_OFFICE], username="press-code"))
    typist = Client()
    typist.force_login(device.user)
    typist.post(reverse("security:otp_verify"), {"token": f"{(int(totp_code(device)) + 1) % 1000000:06d}"})
    code = fresh_code(device)  # (and the wrong code's delay forgotten)
    assert typist.post(reverse("security:otp_verify"), {"token": code}).status_code == 302
    services._audit(admin, "account.test", account, access_token=CANARY["access"], client_secret=CANARY["refresh"])
    audit.record(action="test.secret", details={"token": CANARY["access"], "refresh_token": CANARY["refresh"]})
    return {"admin": admin, "account": account, "client": client, "device": device, "code": code}


def assert_no_canary(text: str, where: str) -> None:
    for name, canary in CANARY.items():
        assert canary not in text, f"the {name} canary is in {where}"


def test_the_database_dump_holds_no_secret(scene):
    dump = database_dump()
    assert_no_canary(dump, "the database dump")
    assert scene["account"].sealed_credentials in dump  # what is there: the sealed form


def test_the_logs_hold_no_secret(scene, caplog):
    records = caplog.get_records("setup") + caplog.get_records("call")
    text = "\n".join(f"{record.name} {record.getMessage()} {record.args!r}" for record in records)
    assert "auth.login_failed" in text
    assert "account.connect" in text
    assert_no_canary(text, "the logs")
    assert scene["code"] not in text.replace(str(scene["device"].user.pk), "")


def test_the_admin_pages_show_no_secret(scene):
    client, account, device = scene["client"], scene["account"], scene["device"]
    urls = [
        reverse("admin:index"),
        reverse("admin:channels_socialaccount_changelist"),
        reverse("admin:channels_socialaccount_change", args=[account.pk]),
        reverse("admin:audit_auditevent_changelist"),
        reverse("admin:axes_accessattempt_changelist"),
        reverse("admin:otp_totp_totpdevice_changelist"),
        reverse("admin:otp_totp_totpdevice_change", args=[device.pk]),
        reverse("audit:log"),
    ]
    from axes.models import AccessAttempt

    urls += [
        reverse("admin:axes_accessattempt_change", args=[pk])
        for pk in AccessAttempt.objects.values_list("pk", flat=True)
    ]
    urls += [
        reverse("admin:audit_auditevent_change", args=[pk])
        for pk in AuditEvent.objects.values_list("pk", flat=True)[:30]
    ]
    for url in urls:
        response = client.get(url)
        assert response.status_code == 200, url
        assert_no_canary(response.content.decode(), url)
        assert device.key not in response.content.decode(), f"the TOTP key is shown on {url}"
    # The device's configuration page (key, QR code) is closed even to administrators.
    assert client.get(reverse("admin:otp_totp_totpdevice_config", args=[device.pk])).status_code == 403


def _server_side(traceback):
    """The traceback from Django's request handler down, as the server reports it (the test
    client's own frames above it hold the test's data)."""
    while traceback is not None and not traceback.tb_frame.f_code.co_filename.endswith(
        os.path.join("django", "core", "handlers", "exception.py")
    ):
        traceback = traceback.tb_next
    assert traceback is not None
    return traceback


def _report(request, error: BaseException) -> str:
    reporter = ExceptionReporter(request, type(error), error, _server_side(error.__traceback__))
    assert isinstance(reporter.filter, get_default_exception_reporter_filter().__class__)
    return reporter.get_traceback_html() + reporter.get_traceback_text()


def test_an_error_report_raised_while_credentials_are_in_scope_shows_none(scene, monkeypatch):
    """A connect whose network callback fails after the exchange, with the verifier, the
    code and the new tokens in the frames: the technical 500 report (what DEBUG shows and
    what is mailed to admins) must not show them."""
    account = SocialAccountFactory(
        mission__code="emb-zz-secrets2",
        network="twitter",
        handle="",
        network_account_id="",
        status=SocialAccount.Status.PENDING,
        credentials=False,
    )
    client = scene["client"]
    client.post(reverse("channels:account_connect", args=[account.pk]))

    def exploding_save(self, *args, **kwargs):
        raise RuntimeError("the database went away")

    monkeypatch.setattr(SocialAccount, "save", exploding_save)
    client.raise_request_exception = True
    with pytest.raises(RuntimeError) as failure:
        client.get(
            reverse("channels:account_callback", args=["twitter"]), {"state": "state-123", "code": CANARY["code"]}
        )
    request = RequestFactory().get(
        reverse("channels:account_callback", args=["twitter"]), {"state": "state-123", "code": CANARY["code"]}
    )
    request.user = scene["admin"]
    report = _report(request, failure.value)
    assert "account_connect_finish" in report  # the report does show the frames
    assert_no_canary(report, "the error report")


def test_an_error_report_of_the_login_and_code_pages_hides_what_was_typed(scene, monkeypatch):
    """The password (Django's login view) and the code (ours) are sensitive POST parameters."""
    from security.services import second_factor

    monkeypatch.setattr(second_factor, "verify_token", lambda user, device_id, token: 1 / 0)
    typed = "".join(["65", "43", "21"])  # not spelled out: the report shows source lines too
    client = Client(raise_request_exception=True)
    client.force_login(scene["device"].user)
    with pytest.raises(ZeroDivisionError) as failure:
        client.post(reverse("security:otp_verify"), {"token": typed})
    request = RequestFactory().post(reverse("security:otp_verify"), {"token": typed})
    request.sensitive_post_parameters = ["token"]
    request.user = scene["device"].user
    report = _report(request, failure.value)
    assert "otp_verify" in report
    assert typed not in report


def test_technical_500_with_debug_on_shows_no_credential(scene, settings):
    """DEBUG=True is never production, but a developer's screen share should not leak a
    token either: the settings and frames are cleansed too."""
    settings.DEBUG = True
    settings.SOCIAL_APPS = {**settings.SOCIAL_APPS, "twitter": {"client_id": "id", "client_secret": CANARY["refresh"]}}
    try:
        raise ValueError("boom")
    except ValueError as error:
        report = ExceptionReporter(RequestFactory().get("/"), ValueError, error, error.__traceback__)
        html = report.get_traceback_html()
    assert CANARY["refresh"] not in html


def test_the_canaries_are_found_where_they_should_be(scene):
    """The control: the searches above would find them (the sealed credentials open)."""
    credentials = SocialAccount.objects.get(pk=scene["account"].pk).open_credentials()
    assert (credentials.access_token, credentials.refresh_token) == (CANARY["access"], CANARY["refresh"])
    assert TOTPDevice.objects.filter(pk=scene["device"].pk, confirmed=True).exists()
    assert sys.modules["channels.crypto"]
