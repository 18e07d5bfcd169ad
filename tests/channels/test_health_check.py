"""The periodic health check: each connected account is verified at its network (the
sandbox here); a refusal marks it and tells the administrators once; a passing failure is
noted and changes nothing."""

from datetime import timedelta

import pytest
import requests
from celery import current_app
from django.utils import timezone

from channels import services, tasks
from channels.adapters.base import Credentials
from channels.models import SocialAccount
from channels.sandbox.tokens import secret_of
from embassies.roles import Role
from tests.factories import MissionFactory, SocialAccountFactory, UserFactory

Status = SocialAccount.Status
IDS = {
    "twitter": "1790000000000000301",
    "facebook": "104000000000301",
    "youtube": "UCdiplomacyhubtest0000301",
    "flickr": "79000301@N00",
}


def sandbox_account(network: str, **fields) -> SocialAccount:
    account_id = IDS[network]
    return SocialAccountFactory(
        mission=MissionFactory(),
        network=network,
        network_account_id=account_id,
        **fields,
        credentials=Credentials(
            access_token=f"sbx.{network}.{account_id}.health",
            refresh_token=f"sbxr.{network}.{account_id}.health" if network in ("twitter", "youtube") else "",
            token_secret=secret_of(f"sbx.flickr.{account_id}.health") if network == "flickr" else "",
            expires_at=timezone.now() + timedelta(hours=2) if network in ("twitter", "youtube") else None,
            account_id=account_id,
        ),
    )


def add_fault(sandbox_url: str, **rule) -> None:
    response = requests.post(f"{sandbox_url}/_sandbox/faults", json=rule, timeout=5)
    assert response.status_code in (200, 201), response.text


@pytest.fixture
def use_sandbox(db, settings, sandbox_url):
    settings.SANDBOX_URL = sandbox_url
    return sandbox_url


@pytest.fixture
def admin(db):
    return UserFactory(roles=[Role.ADMINISTRATOR])


@pytest.mark.parametrize("network", list(IDS))
def test_account_health_check_of_a_healthy_account(network, use_sandbox, sandbox):
    account = sandbox_account(network)

    services.account_health_check(account_id=account.pk)

    stored = SocialAccount.objects.get(pk=account.pk)
    assert stored.status == Status.CONNECTED
    assert stored.last_checked_at > timezone.now() - timedelta(minutes=1)
    assert stored.last_check_result.startswith("OK")


@pytest.mark.parametrize("network", list(IDS))
def test_account_health_check_of_a_revoked_account_marks_it_and_emails_once(
    network, use_sandbox, sandbox, admin, mailoutbox, mail_tasks, django_capture_on_commit_callbacks
):
    account = sandbox_account(network)
    add_fault(use_sandbox, network=network, account=IDS[network], revoked=True)

    with django_capture_on_commit_callbacks(execute=True):
        services.account_health_check(account_id=account.pk)
    with django_capture_on_commit_callbacks(execute=True):
        services.account_health_check(account_id=account.pk)  # the next hour's check
    mail_tasks.run()

    stored = SocialAccount.objects.get(pk=account.pk)
    assert stored.status in (Status.EXPIRED, Status.REVOKED)
    assert stored.last_checked_at is not None
    assert len([email for email in mailoutbox if email.to == [admin.email]]) == 1
    assert stored.sealed_credentials == account.sealed_credentials  # kept until reconnected
    # Said once: the network's words name who refused, without a second prefix.
    assert not stored.last_check_result.startswith("Refused by the network")
    assert stored.last_check_result.count(" refused ") <= 1


def test_account_health_check_during_an_outage_changes_no_status(
    use_sandbox, sandbox, admin, mailoutbox, mail_tasks, django_capture_on_commit_callbacks
):
    account = sandbox_account("facebook")
    add_fault(use_sandbox, network="facebook", error_rate=1.0, count=10)

    with django_capture_on_commit_callbacks(execute=True):
        services.account_health_check(account_id=account.pk)
    assert mail_tasks.run() == 0

    stored = SocialAccount.objects.get(pk=account.pk)
    assert stored.status == Status.CONNECTED
    assert stored.last_check_result.startswith("Could not check now")
    assert [email for email in mailoutbox if email.to == [admin.email]] == []


def test_account_health_check_refreshes_an_expiring_token_first(use_sandbox, sandbox):
    account = sandbox_account("twitter")
    soon = timezone.now() + timedelta(minutes=3)
    account.seal_credentials(account.open_credentials().replace(expires_at=soon))
    account.save()

    services.account_health_check(account_id=account.pk)

    stored = SocialAccount.objects.get(pk=account.pk)
    assert stored.last_check_result.startswith("OK")
    assert stored.token_expires_at > timezone.now() + timedelta(hours=1)


def test_account_health_check_sends_nothing_for_an_account_that_is_not_connected(use_sandbox, sandbox):
    account = sandbox_account("twitter", status=Status.DISABLED)

    services.account_health_check(account_id=account.pk)

    stored = SocialAccount.objects.get(pk=account.pk)
    assert stored.status == Status.DISABLED
    assert stored.last_check_result.startswith("Not checked")
    assert sandbox.state.stats()["requests"] == 0


def test_account_health_check_reports_credentials_that_do_not_open(use_sandbox, sandbox):
    from channels.crypto import CredentialsDecryptionError

    account, other = sandbox_account("twitter"), sandbox_account("flickr")
    SocialAccount.objects.filter(pk=account.pk).update(sealed_credentials=other.sealed_credentials)

    with pytest.raises(CredentialsDecryptionError):
        services.account_health_check(account_id=account.pk)

    stored = SocialAccount.objects.get(pk=account.pk)
    assert "do not open" in stored.last_check_result
    assert stored.status == Status.CONNECTED


def test_health_check_all_queues_one_check_per_connected_account(db, django_capture_on_commit_callbacks):
    """Sandbox accounts included (their check goes to the sandbox); ids only in the payload."""
    connected = sandbox_account("twitter")
    real = SocialAccountFactory(is_sandbox=False)
    expired = SocialAccountFactory(status=Status.EXPIRED)
    pending = SocialAccountFactory(status=Status.PENDING, credentials=False)

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        queued = tasks.health_check_all()

    queued_ids = [callback.args for callback in callbacks]
    assert queued == len(callbacks)
    assert (connected.pk,) in queued_ids
    assert (real.pk,) in queued_ids
    assert (expired.pk,) not in queued_ids
    assert (pending.pk,) not in queued_ids
    assert all(isinstance(arg, int) for args in queued_ids for arg in args)
    assert {callback.func.__self__.name for callback in callbacks} == {"channels.health_check_account"}


def test_health_check_account_task_runs_the_service(use_sandbox, sandbox):
    account = sandbox_account("flickr")

    tasks.health_check_account(account.pk)

    assert SocialAccount.objects.get(pk=account.pk).last_check_result.startswith("OK")


def test_health_check_account_task_ignores_an_account_deleted_since(db, mailoutbox, django_capture_on_commit_callbacks):
    """A task for an account deleted since it was queued: no error, no mail, no other
    account touched."""
    others = [sandbox_account("twitter"), SocialAccountFactory(status=Status.EXPIRED)]
    before = list(SocialAccount.objects.order_by("pk").values())
    gone = SocialAccountFactory()
    gone_pk = gone.pk
    gone.delete()

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        tasks.health_check_account(gone_pk)

    assert callbacks == []
    assert mailoutbox == []
    assert list(SocialAccount.objects.order_by("pk").values()) == before
    assert len(before) == len(others)


def test_the_beat_schedules_both_maintenance_tasks(settings):
    schedule = {entry["task"]: entry for entry in settings.CELERY_BEAT_SCHEDULE.values()}

    assert schedule["channels.health_check_all"]["schedule"] == 3600
    assert schedule["channels.refresh_expiring"]["schedule"] == 300
    assert schedule["channels.health_check_all"]["options"]["queue"] == "maintenance"
    assert current_app.amqp.router.route({}, tasks.health_check_account.name)["queue"].name == "maintenance"
