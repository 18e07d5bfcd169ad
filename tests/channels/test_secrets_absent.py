"""No credential in plaintext anywhere: connect an account of each network through the web
UI, refresh its token, check its health; then the database (dumpdata, and pg_dump on
PostgreSQL), every log line at DEBUG and the admin pages hold none of its secrets."""

import json
import logging
import os
import shutil
import subprocess
from datetime import timedelta
from io import StringIO

import pytest
import requests
from django.conf import settings as django_settings
from django.contrib.sessions.models import Session
from django.core.management import call_command
from django.db import connection
from django.urls import reverse
from django.utils import timezone
from django.views.debug import ExceptionReporter

from channels import services
from channels.adapters.base import AdapterError, Credentials
from channels.crypto import key_ring
from channels.models import SocialAccount
from embassies.roles import Role
from tests.channels.test_connect_views import callback_path, consent
from tests.factories import MissionFactory, SocialAccountFactory, UserFactory
from tests.live import _live_database_keeper  # noqa: F401 (a fixture)
from tests.security.otp import force_verified_login

SANDBOX_IDS = {
    "twitter": "1790000000000000401",
    "facebook": "104000000000401",
    "youtube": "UCdiplomacyhubtest0000401",
    "flickr": "79000401@N00",
}


def log_everything(caplog) -> None:
    """DEBUG on the root logger and on every logger the project does not pin on purpose
    (settings.LOGGING): what an operator gets with LOG_LEVEL=DEBUG."""
    pinned = tuple(django_settings.LOGGING.get("loggers", {}))
    caplog.set_level(logging.DEBUG)
    for name in list(logging.root.manager.loggerDict):
        if not any(name == p or name.startswith(p + ".") for p in pinned):
            caplog.set_level(logging.DEBUG, logger=name)


def everything_logged(caplog) -> str:
    """Every record and its arguments, except the sandbox server's own request log: in the
    tests it runs in this process, but it plays the network, which sees the tokens."""
    records = [record for record in caplog.records if not record.name.startswith("channels.sandbox")]
    lines = [logging.Formatter("%(name)s %(message)s").format(record) for record in records]
    for record in records:
        lines.append(record.getMessage())
        lines.append(repr(record.args))
        if record.exc_info:
            lines.append(logging.Formatter().formatException(record.exc_info))
    return "\n".join(lines)


def database_dump() -> str:
    """Every table as dumpdata writes it, the sessions decoded (their data is base64, which
    would hide a token from a plain search), and pg_dump's output on PostgreSQL."""
    out = StringIO()
    call_command("dumpdata", format="json", stdout=out)
    dump = out.getvalue()
    dump += json.dumps([session.get_decoded() for session in Session.objects.all()])
    if connection.vendor == "postgresql" and shutil.which("pg_dump"):
        params = connection.get_connection_params()
        command = [
            "pg_dump",
            "--data-only",
            "--no-owner",
            "-h",
            str(params.get("host", "127.0.0.1")),
            "-p",
            str(params.get("port", 5432)),
            "-U",
            str(params.get("user", "postgres")),
            str(params["dbname"]),
        ]
        env = {**os.environ, "PGPASSWORD": str(params.get("password") or "")}
        result = subprocess.run(command, capture_output=True, text=True, env=env, timeout=120, check=True)  # noqa: S603
        assert "channels_socialaccount" in result.stdout
        dump += result.stdout
    return dump


def secrets_of(credentials) -> set[str]:
    return {value for value in (credentials.access_token, credentials.refresh_token, credentials.token_secret) if value}


@pytest.mark.usefixtures("_live_database_keeper", "transactional_db", "django_db_serialized_rollback")
@pytest.mark.parametrize("network", list(SANDBOX_IDS))
def test_no_credential_in_plaintext_after_connecting_refreshing_and_checking(
    network, client, sandbox, settings, caplog
):
    """Transactional (committed rows, for pg_dump to see); the keeper, set up first and torn
    down last, puts the migrations' missions back after the flush."""
    settings.SANDBOX_URL = sandbox.url
    log_everything(caplog)
    admin = UserFactory(roles=[Role.ADMINISTRATOR], is_staff=True)
    force_verified_login(client, admin)
    account = SocialAccountFactory(
        mission=MissionFactory(),
        network=network,
        handle="",
        network_account_id="",
        status=SocialAccount.Status.PENDING,
        credentials=False,
    )

    # Connect through the web UI. Midway, what the flow keeps (PKCE verifier, request
    # token secret) sits in the session, in the database: sealed too.
    authorize_url = client.post(reverse("channels:account_connect", args=[account.pk])).url
    pending = client.session[f"channels.connect.{account.pk}"]
    binding = f"channels.connect:{account.pk}".encode()
    kept = json.loads(key_ring().open(pending["kept"], associated_data=binding))
    kept_secrets = {value for name, value in kept.items() if "verifier" in name or "secret" in name}
    if network != "facebook":  # PKCE verifier (X, Google), request token secret (Flickr)
        assert kept_secrets
    midway = database_dump()
    for secret in kept_secrets:
        assert secret not in midway
    location = consent(authorize_url, account_id=SANDBOX_IDS[network])
    assert client.get(callback_path(location)).status_code == 302
    account.refresh_from_db()
    secrets = secrets_of(account.open_credentials())

    # Refresh (X, Google), then a health check.
    credentials = account.open_credentials()
    if credentials.expires_at is not None:
        account.seal_credentials(credentials.replace(expires_at=timezone.now() + timedelta(minutes=1)))
        account.save()
        secrets |= secrets_of(services.credentials_for_use(account))
        assert len(secrets) >= 3  # the first pair, and a new access token
    services.account_health_check(account_id=account.pk)
    assert SocialAccount.objects.get(pk=account.pk).last_check_result.startswith("OK")

    pages = "".join(
        client.get(url).content.decode()
        for url in (
            reverse("channels:account_list"),
            reverse("channels:account_detail", args=[account.pk]),
            reverse("admin:channels_socialaccount_changelist"),
            reverse("admin:channels_socialaccount_change", args=[account.pk]),
        )
    )
    dump = database_dump()
    logged = everything_logged(caplog)

    assert secrets
    assert "channels.connect" in logged or "account.connect" in logged  # the audit line is there
    for secret in secrets:
        assert secret not in dump, "a credential in the database dump"
        assert secret not in logged, "a credential in the logs"
        assert secret not in pages, "a credential on a page"
    sealed = SocialAccount.objects.get(pk=account.pk).sealed_credentials
    assert sealed not in pages  # not even the ciphertext is shown


def test_the_admin_change_page_shows_no_credential(admin_client_staff):
    client, account, credentials = admin_client_staff

    page = client.get(reverse("admin:channels_socialaccount_change", args=[account.pk]))

    assert page.status_code == 200
    content = page.content.decode()
    assert account.mission.name in content
    assert credentials.access_token not in content
    assert credentials.refresh_token not in content
    assert account.sealed_credentials not in content
    assert "sealed" not in content.lower()


@pytest.fixture
def admin_client_staff(client, db):
    force_verified_login(client, UserFactory(roles=[Role.ADMINISTRATOR], is_staff=True))
    account = SocialAccountFactory(mission=MissionFactory())
    return client, account, account.open_credentials()


@pytest.mark.parametrize("fault", [{"error_rate": 1.0, "count": 5}, {"revoked": True}])
def test_an_error_report_of_a_failed_refresh_shows_no_token(fault, db, sandbox, settings):
    """What a production error report (locals included) would show of a refresh that
    failed: the error, not the SDK's frames that hold the refresh token."""
    settings.SANDBOX_URL = sandbox.url
    settings.DEBUG = False
    account_id = SANDBOX_IDS["twitter"]
    credentials = Credentials(
        access_token=f"sbx.twitter.{account_id}.report-access",
        account_id=account_id,
        refresh_token=f"sbxr.twitter.{account_id}.report-refresh",
        expires_at=timezone.now() + timedelta(minutes=1),
    )
    account = SocialAccountFactory(mission=MissionFactory(), network_account_id=account_id, credentials=credentials)
    rule = {"network": "twitter", **fault}
    response = requests.post(f"{sandbox.url}/_sandbox/faults", json=rule, timeout=5)
    assert response.status_code in (200, 201)

    with pytest.raises(AdapterError) as failure:
        services.credentials_for_use(account)

    reporter = ExceptionReporter(None, failure.type, failure.value, failure.tb)
    report = reporter.get_traceback_html() + reporter.get_traceback_text()
    assert failure.value.detail in report or "refresh" in report.lower()
    for secret in secrets_of(credentials):
        assert secret not in report
