"""Tokens that expire (X, Google) are refreshed before they do: once, under a row lock, the
new pair stored before it is used. Against the sandbox, which enforces X's single-use
refresh tokens (reusing one revokes the account's whole token family)."""

import threading
from datetime import timedelta

import pytest
import requests
from django.db import connection, transaction
from django.utils import timezone

from channels import selectors, services, tasks
from channels.adapters.base import AuthError, Credentials, TransientError
from channels.models import SocialAccount
from embassies.roles import Role
from tests.factories import MissionFactory, SocialAccountFactory, UserFactory
from tests.live import _live_database_keeper  # noqa: F401 (a fixture)

Status = SocialAccount.Status
X_ID = "1790000000000000201"
OLD_ACCESS = f"sbx.twitter.{X_ID}.old-access"
OLD_REFRESH = f"sbxr.twitter.{X_ID}.old-refresh"


def x_account(*, minutes_left: float = 5, status: str = Status.CONNECTED) -> SocialAccount:
    return SocialAccountFactory(
        mission=MissionFactory(),
        network="twitter",
        network_account_id=X_ID,
        status=status,
        credentials=Credentials(
            access_token=OLD_ACCESS,
            refresh_token=OLD_REFRESH,
            account_id=X_ID,
            expires_at=timezone.now() + timedelta(minutes=minutes_left),
        ),
    )


def x_family(sandbox):
    """What the sandbox knows of the account's tokens: the refresh tokens spent, revoked."""
    return sandbox.state.families.get(("twitter", X_ID))


def add_fault(sandbox_url: str, **rule) -> None:
    response = requests.post(f"{sandbox_url}/_sandbox/faults", json=rule, timeout=5)
    assert response.status_code in (200, 201), response.text


@pytest.fixture
def use_sandbox(db, settings, sandbox_url):
    settings.SANDBOX_URL = sandbox_url
    return sandbox_url


def test_credentials_for_use_refreshes_near_expiry_and_stores_the_new_pair_first(use_sandbox, sandbox):
    account = x_account(minutes_left=5)

    credentials = services.credentials_for_use(account)

    assert credentials.access_token.startswith(f"sbx.twitter.{X_ID}.")
    assert credentials.access_token != OLD_ACCESS
    assert credentials.refresh_token not in ("", OLD_REFRESH)
    assert credentials.expires_at > timezone.now() + timedelta(hours=1)
    stored = SocialAccount.objects.get(pk=account.pk)
    assert stored.open_credentials() == credentials  # stored (and committed) before it is returned
    assert stored.token_expires_at == credentials.expires_at
    assert account.sealed_credentials == stored.sealed_credentials  # the caller's instance follows
    assert x_family(sandbox).used_refresh_tokens == {OLD_REFRESH}
    services.adapter_for(stored).check_credentials(credentials)  # the new token works


def test_credentials_for_use_leaves_a_token_far_from_expiry_alone(use_sandbox, sandbox):
    account = x_account(minutes_left=60)

    credentials = services.credentials_for_use(account)

    assert (credentials.access_token, credentials.refresh_token) == (OLD_ACCESS, OLD_REFRESH)
    assert x_family(sandbox) is None  # the sandbox never heard of it


def test_credentials_for_use_refreshes_within_the_configured_margin(use_sandbox, sandbox, settings):
    settings.TOKEN_REFRESH_MARGIN = 3600
    account = x_account(minutes_left=50)

    assert services.credentials_for_use(account).access_token != OLD_ACCESS


def test_credentials_for_use_after_another_worker_refreshed_uses_the_stored_pair(use_sandbox, sandbox):
    """A worker holding a stale copy of the row (loaded before another refreshed) re-reads
    under the lock and uses the stored pair: no second refresh, no reuse of the spent token."""
    account = x_account(minutes_left=5)
    stale = SocialAccount.objects.get(pk=account.pk)
    fresh = services.credentials_for_use(account)

    again = services.credentials_for_use(stale)

    assert again == fresh
    assert x_family(sandbox).used_refresh_tokens == {OLD_REFRESH}
    assert not x_family(sandbox).revoked


def test_credentials_for_use_refuses_to_refresh_inside_a_callers_transaction(use_sandbox, sandbox):
    """The new pair must be committed before it is used: a caller's transaction could
    roll it back after the single-use refresh token was spent."""
    account = x_account(minutes_left=5)

    with transaction.atomic(), pytest.raises(RuntimeError):
        services.credentials_for_use(account)

    assert x_family(sandbox) is None  # nothing was sent


@pytest.mark.usefixtures("_live_database_keeper", "transactional_db", "django_db_serialized_rollback")
def test_ten_workers_asking_at_once_cause_exactly_one_refresh(use_sandbox, sandbox):
    """Ten threads, each with its own database connection and its own copy of the row, ask
    for the credentials of one X account whose token is about to expire. Serialised by the
    row lock (PostgreSQL) or the IMMEDIATE transaction (SQLite), exactly one refreshes;
    the others wait, re-read and get the same fresh token. Had two refreshed with the same
    refresh token, the sandbox would have revoked the family (as X does).

    Committed rows, so a transactional test; the keeper (set up first, torn down last) puts
    the migrations' missions back after the flush, for the tests that follow."""
    account = x_account(minutes_left=1)
    barrier = threading.Barrier(10)
    tokens: list[str] = []
    errors: list[BaseException] = []

    def worker() -> None:
        try:
            mine = SocialAccount.objects.get(pk=account.pk)
            barrier.wait(timeout=30)
            tokens.append(services.credentials_for_use(mine).access_token)
        except BaseException as exc:  # reported below, in the test's thread
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(10)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)

    assert errors == []
    assert len(tokens) == 10
    assert len(set(tokens)) == 1
    assert tokens[0] != OLD_ACCESS
    family = x_family(sandbox)
    assert family.used_refresh_tokens == {OLD_REFRESH}  # one refresh at the network
    assert not family.revoked
    stored = SocialAccount.objects.get(pk=account.pk)
    assert stored.status == Status.CONNECTED
    credentials = stored.open_credentials()
    assert credentials.access_token == tokens[0]
    services.adapter_for(stored).check_credentials(credentials)
    # The stored refresh token is the live one: the next refresh succeeds.
    stored.seal_credentials(credentials.replace(expires_at=timezone.now() + timedelta(minutes=1)))
    stored.save()
    assert services.credentials_for_use(stored).access_token != tokens[0]
    assert not x_family(sandbox).revoked


def test_a_refresh_that_fails_with_5xx_changes_nothing_and_raises_transient(use_sandbox, sandbox):
    account = x_account(minutes_left=5)
    sealed = account.sealed_credentials
    add_fault(use_sandbox, network="twitter", account=X_ID, error_rate=1.0, count=5)

    with pytest.raises(TransientError):
        services.credentials_for_use(account)

    stored = SocialAccount.objects.get(pk=account.pk)
    assert stored.status == Status.CONNECTED
    assert stored.sealed_credentials == sealed
    # Once the network is back, the same (unspent) refresh token works.
    requests.delete(f"{use_sandbox}/_sandbox/faults", timeout=5)
    assert services.credentials_for_use(stored).access_token != OLD_ACCESS


def test_account_refresh_postpones_a_passing_failure(use_sandbox, sandbox):
    """The beat task's service: a 5xx is left for the next run, the account unchanged."""
    account = x_account(minutes_left=5)
    add_fault(use_sandbox, network="twitter", account=X_ID, error_rate=1.0, count=5)

    services.account_refresh(account_id=account.pk)

    assert SocialAccount.objects.get(pk=account.pk).status == Status.CONNECTED


def test_a_refused_grant_marks_the_account_and_tells_the_administrators(
    use_sandbox, sandbox, mailoutbox, mail_tasks, django_capture_on_commit_callbacks
):
    admin = UserFactory(roles=[Role.ADMINISTRATOR])
    account = x_account(minutes_left=5)
    add_fault(use_sandbox, network="twitter", account=X_ID, revoked=True)

    with django_capture_on_commit_callbacks(execute=True), pytest.raises(AuthError):
        services.credentials_for_use(account)
    mail_tasks.run()

    stored = SocialAccount.objects.get(pk=account.pk)
    assert stored.status in (Status.EXPIRED, Status.REVOKED)
    assert account.status == stored.status
    assert stored.sealed_credentials == account.sealed_credentials  # nothing empty stored over it
    assert [email.to for email in mailoutbox if email.to == [admin.email]] == [[admin.email]]
    with pytest.raises(AuthError):  # and it is not tried again
        services.credentials_for_use(stored)


def test_a_reused_refresh_token_marks_the_account_for_reconnection(use_sandbox, sandbox):
    """A refresh token already spent elsewhere: X refuses it (and revokes the family)."""
    account = x_account(minutes_left=5)
    stale = Credentials(access_token=OLD_ACCESS, refresh_token=OLD_REFRESH, account_id=X_ID)
    services.connect_flow_for(network="twitter", is_sandbox=True).refresh(stale)  # spent by someone else

    with pytest.raises(AuthError):
        services.credentials_for_use(account)

    assert SocialAccount.objects.get(pk=account.pk).status in (Status.EXPIRED, Status.REVOKED)
    assert x_family(sandbox).revoked


def test_google_tokens_are_refreshed_and_the_refresh_token_is_kept(use_sandbox, sandbox):
    channel = "UCdiplomacyhubtest0000201"
    refresh = f"sbxr.youtube.{channel}.keep-me"
    account = SocialAccountFactory(
        mission=MissionFactory(),
        network="youtube",
        network_account_id=channel,
        credentials=Credentials(
            access_token=f"sbx.youtube.{channel}.old",
            refresh_token=refresh,
            account_id=channel,
            expires_at=timezone.now() + timedelta(minutes=2),
        ),
    )

    credentials = services.credentials_for_use(account)

    assert credentials.access_token != f"sbx.youtube.{channel}.old"
    assert credentials.refresh_token == refresh
    assert SocialAccount.objects.get(pk=account.pk).open_credentials().refresh_token == refresh


def test_refresh_expiring_selects_only_connected_accounts_near_expiry(db):
    soon = x_account(minutes_left=5)
    later = SocialAccountFactory(
        credentials=Credentials(access_token="sbx.twitter.x.y", expires_at=timezone.now() + timedelta(hours=2))
    )
    expired_account = SocialAccountFactory(
        status=Status.EXPIRED,
        credentials=Credentials(access_token="sbx.twitter.x.z", expires_at=timezone.now() + timedelta(minutes=1)),
    )

    due = selectors.account_ids_expiring(within=services.token_refresh_margin())

    assert soon.pk in due
    assert later.pk not in due
    assert expired_account.pk not in due


def test_refresh_expiring_task_queues_one_task_per_account(db, django_capture_on_commit_callbacks):
    soon = x_account(minutes_left=5)

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        queued = tasks.refresh_expiring()

    assert queued == len(callbacks)
    assert (soon.pk,) in [callback.args for callback in callbacks]
    assert all(isinstance(arg, int) for callback in callbacks for arg in callback.args)  # ids only
