"""`manage.py seed_demo`: demo users per role, sandbox accounts everywhere, idempotent;
and the credentials it seals never sit in the database in plaintext."""

import io

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command
from django.db import connection
from django.http import HttpRequest

from channels.crypto import CredentialsDecryptionError
from channels.models import Network, SocialAccount
from channels.sandbox.tokens import secret_of
from demo.management.commands.seed_demo import DEMO_USERS, sandbox_handle
from diplomacy_hub import policy
from embassies.models import Mission, StaffMembership
from embassies.roles import Role
from globaltime import roster
from globaltime.models import Desk
from globaltime.selectors import hours_of, shifts_of
from tests.factories import mission

pytestmark = pytest.mark.django_db


def seed(*args: str) -> str:
    out = io.StringIO()
    call_command("seed_demo", "--force", *args, stdout=out)
    return out.getvalue()


def counts() -> tuple[int, int, int]:
    return get_user_model().objects.count(), StaffMembership.objects.count(), SocialAccount.objects.count()


def test_seed_demo_is_idempotent_and_prints_passwords_only_once():
    first = seed()
    after_first = counts()
    second = seed()
    assert counts() == after_first
    assert after_first[2] == 1084 == Mission.objects.count() * len(Network.values)
    for demo in DEMO_USERS:
        assert f"  {demo.username.ljust(8)}  " in first
    assert not [line for line in second.splitlines() if line.startswith("  ")]  # no password
    assert "passwords unchanged" in second
    assert "0 created, 1084 already there" in second


def test_printed_passwords_log_the_demo_users_in(client):
    output = seed()
    passwords = dict(line.split() for line in output.splitlines() if line.startswith("  "))
    assert set(passwords) == {demo.username for demo in DEMO_USERS}
    # django-axes needs the request to count failures: a bare one stands in for it here.
    assert client.login(request=HttpRequest(), username="press", password=passwords["press"])


def test_reset_passwords_prints_new_ones_that_work(client):
    first = dict(line.split() for line in seed().splitlines() if line.startswith("  "))
    second = dict(line.split() for line in seed("--reset-passwords").splitlines() if line.startswith("  "))
    assert set(second) == set(first)
    assert second["admin"] != first["admin"]
    assert not client.login(request=HttpRequest(), username="admin", password=first["admin"])
    assert client.login(request=HttpRequest(), username="admin", password=second["admin"])


def test_one_demo_user_per_role_with_the_officers_missions():
    seed()
    users = {user.username: user for user in get_user_model().objects.all()}
    for demo in DEMO_USERS:
        assert policy.roles_of(users[demo.username]) == {demo.role}
    officer_missions = set(users["officer"].memberships.values_list("mission__code", flat=True))
    assert officer_missions == {"emb-jp-tokyo", "emb-eg-cairo", "cg-us-new-york"}
    assert set(users["officer2"].memberships.values_list("mission__code", flat=True)) == {"emb-de-berlin"}
    # The languages they read: Spanish at New York is offered to headquarters (global time).
    assert {tuple(languages) for languages in users["officer"].memberships.values_list("languages", flat=True)} == {
        ("fr", "en", "ja", "ar")
    }
    assert users["admin"].is_staff
    assert not any(user.is_superuser for user in users.values())
    assert {d.role for d in DEMO_USERS} == set(Role.values)


def test_refuses_without_force_when_debug_is_off(settings):
    settings.DEBUG = False
    with pytest.raises(CommandError, match="--force"):
        call_command("seed_demo", stdout=io.StringIO())
    assert not get_user_model().objects.exists()


def test_runs_without_force_in_development(settings):
    settings.DEBUG = True
    call_command("seed_demo", stdout=io.StringIO())
    assert get_user_model().objects.filter(username="officer").exists()


def test_sandbox_accounts_are_connected_and_their_credentials_open_to_sandbox_tokens():
    seed()
    tokyo = mission("emb-jp-tokyo")
    accounts = {a.network: a for a in SocialAccount.objects.filter(mission=tokyo)}
    assert set(accounts) == set(Network.values)
    for network, account in accounts.items():
        account_id = f"dh-emb-jp-tokyo-{network}"
        assert account.is_sandbox
        assert account.can_publish
        assert account.network_account_id == account_id
        assert account.handle == "@FranceinJapan" == sandbox_handle(tokyo)
        credentials = account.open_credentials()
        assert credentials.access_token == f"sbx.{network}.{account_id}.seed"
        assert credentials.account_id == account_id
        if network in ("twitter", "youtube"):
            assert credentials.refresh_token == f"sbxr.{network}.{account_id}.seed"
            assert credentials.expires_at is not None
            assert account.token_expires_at == credentials.expires_at
        else:
            assert credentials.refresh_token == ""
            assert credentials.expires_at is None
        # The sandbox checks Flickr's signatures with the secret it derives from the token.
        assert credentials.token_secret == (secret_of(credentials.access_token) if network == "flickr" else "")


def test_every_sandbox_account_opens():
    seed()
    for account in SocialAccount.objects.all():
        assert account.open_credentials().account_id == account.network_account_id


def test_handles_are_derived_from_the_mission():
    assert sandbox_handle(mission("cg-us-new-york")) == "@FranceinNewYork"
    assert sandbox_handle(mission("del-un-nairobi")) == "@FranceUNNairobi"
    assert sandbox_handle(mission("emb-de-berlin")) == "@FranceinGermany"


def test_credentials_are_never_stored_in_plaintext():
    seed()
    account = SocialAccount.objects.get(network_account_id="dh-emb-jp-tokyo-twitter")
    with connection.cursor() as cursor:
        cursor.execute("SELECT sealed_credentials FROM channels_socialaccount WHERE id = %s", [account.pk])
        (raw,) = cursor.fetchone()
    assert raw.startswith("v1:")
    for secret in ("sbx.twitter.dh-emb-jp-tokyo-twitter.seed", "sbxr.twitter", "dh-emb-jp-tokyo-twitter"):
        assert secret not in raw


def test_sealed_credentials_copied_onto_another_account_do_not_open():
    seed()
    tokyo = SocialAccount.objects.get(network_account_id="dh-emb-jp-tokyo-twitter")
    berlin = SocialAccount.objects.get(network_account_id="dh-emb-de-berlin-twitter")
    SocialAccount.objects.filter(pk=berlin.pk).update(sealed_credentials=tokyo.sealed_credentials)
    berlin.refresh_from_db()
    with pytest.raises(CredentialsDecryptionError):
        berlin.open_credentials()


def test_seed_is_fast(django_assert_max_num_queries):
    """A few batched queries, not one per account."""
    # audit log: one row per role granted (security); one enrolment grant per privileged demo
    # user, through the service (the human-rights officer's about fourteen); three review
    # desks and their rosters (a fixed ten)
    with django_assert_max_num_queries(175):
        seed()


def test_the_demo_has_three_desks_that_follow_the_sun_with_complete_rosters():
    seed()
    seed()  # a second run leaves them alone
    desks = list(Desk.objects.prefetch_related("shifts__officer"))
    assert sorted(desk.name for desk in desks) == ["Americas desk", "Asia desk", "Headquarters"]
    for desk in desks:
        assert roster.roster_problems(hours_of(desk), shifts_of(desk)) == []


def test_a_demo_database_seeded_before_signature_checks_gets_the_tokens_secrets():
    """Flickr accounts seeded with the old made-up secret would be refused by the sandbox."""
    seed()
    account = SocialAccount.objects.filter(network=Network.FLICKR).first()
    stale = account.open_credentials().replace(token_secret="sbxs")
    account.seal_credentials(stale)
    account.save(update_fields=["sealed_credentials", "token_expires_at"])

    seed()

    account.refresh_from_db()
    credentials = account.open_credentials()
    assert credentials.token_secret == secret_of(credentials.access_token)
