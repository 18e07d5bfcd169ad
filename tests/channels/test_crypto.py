"""Credentials at rest: sealed with AES-GCM, bound to their row, rotated by a command."""

import base64
from datetime import UTC, datetime
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from channels.adapters.base import Credentials
from channels.crypto import CredentialsDecryptionError, generate_key_entry, key_ring
from channels.models import SocialAccount
from embassies.models import Mission

ACCESS = "sbx.twitter.1700000000000000001.canary-access-Zq8"
REFRESH = "sbxr.twitter.1700000000000000001.canary-refresh-Wm3"


@pytest.fixture
def mission(db) -> Mission:
    return Mission.objects.create(
        code="test-emb-jp-tokyo",
        kind="embassy",
        name="Embassy of France in Japan",
        country_code="JP",
        city="Tokyo",
        time_zone="Asia/Tokyo",
        region="Asia-Pacific",
        languages=["fr", "ja", "en"],
    )


@pytest.fixture
def use_keys(settings):
    """Switch CREDENTIALS_KEYS (the key ring is cached per process)."""

    def use(value: str) -> None:
        settings.CREDENTIALS_KEYS = value
        key_ring.cache_clear()

    yield use
    key_ring.cache_clear()


def _credentials(n: int = 1) -> Credentials:
    return Credentials(
        access_token=f"{ACCESS}{n}",
        refresh_token=f"{REFRESH}{n}",
        token_secret="",
        expires_at=datetime(2030, 1, 1, 12, 0, tzinfo=UTC),
        account_id=f"17000000000000000{n:02d}",
        extra={"scope": "tweet.write users.read"},
    )


def _connected(mission: Mission, n: int = 1, network: str = "twitter") -> SocialAccount:
    account = SocialAccount.objects.create(
        mission=mission,
        network=network,
        network_account_id=f"17000000000000000{n:02d}",
        status=SocialAccount.Status.CONNECTED,
        is_sandbox=True,
    )
    account.seal_credentials(_credentials(n))
    account.save()
    return account


def test_sealed_credentials_round_trip(mission):
    """What is sealed opens again, field for field, and the stored text holds no secret."""
    account = _connected(mission)
    stored = SocialAccount.objects.get(pk=account.pk)

    opened = stored.open_credentials()

    assert opened == _credentials(1)
    assert stored.token_expires_at == _credentials(1).expires_at
    assert stored.sealed_credentials.startswith(f"v1:{key_ring().current.key_id}:")
    assert ACCESS not in stored.sealed_credentials
    assert REFRESH not in stored.sealed_credentials


def test_credentials_repr_shows_no_secret(mission):
    assert ACCESS not in repr(_connected(mission).open_credentials())


def test_ciphertext_copied_onto_another_account_does_not_open(mission):
    """The row's id is bound in: a ciphertext swapped onto another row fails, loudly."""
    first, second = _connected(mission, 1), _connected(mission, 2)
    SocialAccount.objects.filter(pk=second.pk).update(sealed_credentials=first.sealed_credentials)

    with pytest.raises(CredentialsDecryptionError):
        SocialAccount.objects.get(pk=second.pk).open_credentials()


def test_ciphertext_copied_onto_the_same_id_on_another_network_does_not_open(mission):
    account = _connected(mission)
    account.network = "facebook"

    with pytest.raises(CredentialsDecryptionError):
        account.open_credentials()


@pytest.mark.parametrize("position", [0, 11, 12, 40, -17, -1])  # nonce, ciphertext, tag
def test_tampered_ciphertext_does_not_open(mission, position):
    account = _connected(mission)
    version, key_id, body = account.sealed_credentials.split(":", 2)
    raw = bytearray(base64.urlsafe_b64decode(body))
    raw[position] ^= 0x01
    account.sealed_credentials = f"{version}:{key_id}:{base64.urlsafe_b64encode(bytes(raw)).decode()}"

    with pytest.raises(CredentialsDecryptionError):
        account.open_credentials()


@pytest.mark.parametrize("sealed", ["", "plaintext-token", "v0:test2:AAAA", "v1:nokey:AAAA"])
def test_values_that_are_not_sealed_do_not_open(mission, sealed):
    """No fallback to the stored text, whatever it is."""
    account = _connected(mission)
    account.sealed_credentials = sealed

    with pytest.raises((CredentialsDecryptionError, ValueError)):
        account.open_credentials()


def test_rotate_credentials_reseals_under_the_newest_key(mission, settings, use_keys):
    """A new first key: the command re-seals every account under it, reports counts, and a
    second run has nothing left to do. The old ring alone no longer opens the new seal."""
    old_ring = settings.CREDENTIALS_KEYS
    accounts = [_connected(mission, n) for n in range(1, 6)]
    SocialAccount.objects.create(mission=mission, network="flickr")  # not connected: nothing sealed
    new_entry = generate_key_entry("rot3")
    use_keys(f"{new_entry},{old_ring}")

    out = StringIO()
    call_command("rotate_credentials", "--batch-size", "2", stdout=out)

    assert "5 re-sealed" in out.getvalue()
    assert "0 that do not open" in out.getvalue()
    for account in accounts:
        stored = SocialAccount.objects.get(pk=account.pk)
        assert stored.sealed_credentials.startswith("v1:rot3:")
        assert stored.open_credentials() == _credentials(accounts.index(account) + 1)

    again = StringIO()
    call_command("rotate_credentials", stdout=again)
    assert "0 re-sealed, 5 already under it" in again.getvalue()

    use_keys(old_ring)
    with pytest.raises(CredentialsDecryptionError):
        SocialAccount.objects.get(pk=accounts[0].pk).open_credentials()


def test_rotate_credentials_reports_a_row_that_does_not_open_and_fails(mission, settings, use_keys):
    """A row that does not open is named, left untouched, the others are re-sealed, and
    the command ends with an error (a non-zero exit status)."""
    old_ring = settings.CREDENTIALS_KEYS
    good, bad = _connected(mission, 1), _connected(mission, 2)
    SocialAccount.objects.filter(pk=bad.pk).update(sealed_credentials=good.sealed_credentials)
    use_keys(f"{generate_key_entry('rot4')},{old_ring}")

    out, err = StringIO(), StringIO()
    with pytest.raises(CommandError, match=str(bad.pk)):
        call_command("rotate_credentials", stdout=out, stderr=err)

    assert f"Account {bad.pk}" in err.getvalue()
    assert "1 re-sealed" in out.getvalue()
    assert SocialAccount.objects.get(pk=good.pk).sealed_credentials.startswith("v1:rot4:")
    assert SocialAccount.objects.get(pk=bad.pk).sealed_credentials == good.sealed_credentials
