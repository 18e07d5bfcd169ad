"""Social account services: register, disable, disconnect, mark expired, audit."""

import logging
from datetime import UTC, datetime, timedelta

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied
from django.utils import timezone

from channels import selectors, services
from channels.adapters.base import AuthError, Credentials
from channels.models import SocialAccount
from embassies.models import Mission
from embassies.roles import Role
from tests.factories import MissionFactory, UserFactory

Status = SocialAccount.Status
ACCESS = "sbx.twitter.1700000000000000009.canary-access-Qp4"
REFRESH = "sbxr.twitter.1700000000000000009.canary-refresh-Hx7"


@pytest.fixture
def tokyo(db) -> Mission:
    return MissionFactory(name="Embassy of France in Japan", region=Mission.Region.ASIA_PACIFIC)


@pytest.fixture
def berlin(db) -> Mission:
    return MissionFactory(
        name="Embassy of France in Germany", country_code="DE", time_zone="Europe/Berlin", region=Mission.Region.EUROPE
    )


@pytest.fixture
def admin_user(db):
    return UserFactory(roles=[Role.ADMINISTRATOR])


@pytest.fixture
def officer(tokyo):
    return UserFactory(roles=[Role.OFFICER], missions=[tokyo])


@pytest.fixture
def connected(tokyo) -> SocialAccount:
    account = SocialAccount.objects.create(
        mission=tokyo,
        network="twitter",
        handle="@FranceinJapan",
        network_account_id="1700000000000000009",
        status=Status.CONNECTED,
        is_sandbox=True,
    )
    account.seal_credentials(
        Credentials(
            access_token=ACCESS,
            refresh_token=REFRESH,
            expires_at=timezone.now() + timedelta(hours=2),
            account_id="1700000000000000009",
        )
    )
    account.save()
    return account


def test_account_register_creates_a_pending_account_and_audits_it(tokyo, admin_user, caplog):
    caplog.set_level(logging.INFO, logger="diplomacy_hub.audit")

    account = services.account_register(
        actor=admin_user, mission=tokyo, network="youtube", is_sandbox=True, handle=" @FranceinJapan "
    )

    assert (account.status, account.network, account.is_sandbox, account.handle) == (
        Status.PENDING,
        "youtube",
        True,
        "@FranceinJapan",
    )
    assert not account.has_credentials
    assert f"account.register actor={admin_user.pk} account={account.pk}" in caplog.text


def test_account_register_is_for_administrators_only(tokyo, officer):
    with pytest.raises(PermissionDenied):
        services.account_register(actor=officer, mission=tokyo, network="twitter", is_sandbox=True)
    assert not SocialAccount.objects.filter(mission=tokyo).exists()


def test_account_register_refuses_an_unknown_network(tokyo, admin_user):
    with pytest.raises(services.AccountError):
        services.account_register(actor=admin_user, mission=tokyo, network="myspace", is_sandbox=True)


def test_account_disable_stops_publishing_and_is_idempotent(connected, admin_user, caplog):
    caplog.set_level(logging.INFO, logger="diplomacy_hub.audit")

    account = services.account_disable(actor=admin_user, account_id=connected.pk)
    services.account_disable(actor=admin_user, account_id=connected.pk)

    assert account.status == Status.DISABLED
    assert not SocialAccount.objects.get(pk=connected.pk).can_publish
    assert caplog.text.count("account.disable") == 1


def test_account_disconnect_erases_the_credentials(connected, admin_user):
    services.account_disconnect(actor=admin_user, account_id=connected.pk)

    stored = SocialAccount.objects.get(pk=connected.pk)
    assert (stored.status, stored.sealed_credentials, stored.token_expires_at) == (Status.PENDING, "", None)
    assert stored.network_account_id == "1700000000000000009"  # who it was stays visible


def test_officers_cannot_change_their_missions_accounts(connected, officer):
    with pytest.raises(PermissionDenied):
        services.account_disable(actor=officer, account_id=connected.pk)
    with pytest.raises(PermissionDenied):
        services.account_disconnect(actor=officer, account_id=connected.pk)
    assert SocialAccount.objects.get(pk=connected.pk).status == Status.CONNECTED


def test_another_missions_account_is_not_found_for_an_officer(connected, berlin):
    other_officer = UserFactory(roles=[Role.OFFICER], missions=[berlin])

    with pytest.raises(SocialAccount.DoesNotExist):
        services.account_disable(actor=other_officer, account_id=connected.pk)
    assert not selectors.accounts_visible_to(other_officer).filter(pk=connected.pk).exists()


def test_account_mark_expired_emails_the_administrators_once(
    connected, admin_user, django_capture_on_commit_callbacks, mail_tasks
):
    with django_capture_on_commit_callbacks(execute=True):
        first = services.account_mark_expired(connected, "401 Unauthorized: token expired")
    with django_capture_on_commit_callbacks(execute=True):
        second = services.account_mark_expired(connected, "401 Unauthorized: token expired")

    assert (first, second) == (True, False)
    stored = SocialAccount.objects.get(pk=connected.pk)
    assert stored.status == Status.EXPIRED
    assert connected.status == Status.EXPIRED  # the caller's instance follows
    assert stored.last_check_result.startswith("401 Unauthorized")
    mail_tasks.run()
    to_admin = [email for email in mail.outbox if email.to == [admin_user.email]]
    assert len(to_admin) == 1
    assert "Embassy of France in Japan" in to_admin[0].subject
    assert ACCESS not in to_admin[0].body


def test_account_mark_expired_says_revoked_when_the_grant_is_gone(
    connected, admin_user, django_capture_on_commit_callbacks, mail_tasks
):
    with django_capture_on_commit_callbacks(execute=True):
        services.account_mark_expired(connected, "401 Unauthorized: token expired")
    with django_capture_on_commit_callbacks(execute=True):
        changed = services.account_mark_expired(connected, "invalid_grant: Value passed was invalid.")

    assert changed
    assert SocialAccount.objects.get(pk=connected.pk).status == Status.REVOKED
    mail_tasks.run()
    assert len([email for email in mail.outbox if email.to == [admin_user.email]]) == 2  # one per change


def test_account_mark_expired_leaves_a_disabled_account_alone(
    connected, admin_user, django_capture_on_commit_callbacks
):
    services.account_disable(actor=admin_user, account_id=connected.pk)

    with django_capture_on_commit_callbacks(execute=True):
        changed = services.account_mark_expired(connected, "revoked")

    assert not changed
    assert SocialAccount.objects.get(pk=connected.pk).status == Status.DISABLED
    assert mail.outbox == []


def test_credentials_for_use_returns_a_token_that_does_not_expire_soon_without_a_network_call(connected):
    """Nothing to refresh: no flow is built, no request sent (no sandbox runs here)."""
    credentials = services.credentials_for_use(connected)

    assert credentials.access_token == ACCESS


@pytest.mark.parametrize("status", [Status.PENDING, Status.EXPIRED, Status.REVOKED, Status.DISABLED])
def test_credentials_for_use_refuses_an_account_that_is_not_connected(connected, status):
    SocialAccount.objects.filter(pk=connected.pk).update(status=status)

    with pytest.raises(AuthError):
        services.credentials_for_use(SocialAccount.objects.get(pk=connected.pk))


def test_audit_drops_details_named_like_secrets(connected, caplog):
    caplog.set_level(logging.INFO, logger="diplomacy_hub.audit")

    services._audit(None, "account.test", connected, access_token=ACCESS, code_verifier="v", handle="@FranceinJapan")

    assert ACCESS not in caplog.text
    assert "code_verifier" not in caplog.text
    assert "handle='@FranceinJapan'" in caplog.text


def test_account_list_filters_by_region_network_and_status(connected, berlin, admin_user):
    facebook = SocialAccount.objects.create(mission=berlin, network="facebook")

    def ids(**filters):
        accounts = selectors.account_list(user=admin_user, **filters)
        return {account.pk for account in accounts}

    mine = {connected.pk, facebook.pk}
    assert ids(region="Asia-Pacific") & mine == {connected.pk}
    assert ids(network="facebook") & mine == ids(region="Europe") & mine == {facebook.pk}
    assert ids(status="connected") & mine == {connected.pk}
    assert mine <= ids()


def test_account_ids_expiring_finds_connected_accounts_near_expiry(connected, tokyo):
    soon = timezone.now() + timedelta(minutes=5)
    SocialAccount.objects.filter(pk=connected.pk).update(token_expires_at=soon)
    later = SocialAccount.objects.create(
        mission=tokyo,
        network="youtube",
        status=Status.CONNECTED,
        sealed_credentials="v1:x:y",
        token_expires_at=datetime(2099, 1, 1, tzinfo=UTC),
    )

    assert connected.pk in selectors.account_ids_expiring(within=timedelta(minutes=10))
    assert later.pk not in selectors.account_ids_expiring(within=timedelta(minutes=10))
