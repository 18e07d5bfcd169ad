"""What every adapter does alike, each through its own SDK against the sandbox: refuse
content that does not fit before any call, delete (twice), check whose credentials these
are, and map a revoked token, a rate limit and a closed port onto our error kinds; and
reconciliation, by text (Facebook, X) or by the delivery's reference (Flickr, YouTube).

What differs per network (media uploads, the 5xx at each step, the SDK's own error
tables, connecting) stays in test_<network>.py.
"""

import re
import time
from datetime import UTC, datetime, timedelta

import pytest

from channels.adapters.base import AuthError, Content, PermanentError, RateLimited, TransientError
from channels.adapters.transport import Timeouts
from tests.channels.adapters.helpers import (
    FACEBOOK,
    FLICKR,
    NETWORKS,
    TWITTER,
    YOUTUBE,
    closed_port_url,
    seed_hitting_call,
)

every_network = pytest.mark.parametrize("network", NETWORKS, ids=str)


@pytest.mark.parametrize(
    ("network", "unfit", "refusal"),
    [
        (FACEBOOK, Content(text="a" * 63_207), r"1 character too long for Facebook \(63,207 of 63,206\)"),
        (TWITTER, Content(text="a" * 311), r"The text is 31 characters too long for X \(311 of 280\)\."),
        (FLICKR, Content(text="Words only", title="t"), r"Flickr needs a photo\."),
        (YOUTUBE, Content(text="No video here", title="Title"), r"YouTube needs a video\."),
    ],
    ids=str,
)
def test_publish_refuses_what_does_not_validate_without_calling_the_network(sandbox_url, network, unfit, refusal):
    with pytest.raises(PermanentError, match=refusal):
        network.adapter(sandbox_url).publish(network.credentials(), unfit)
    assert network.received(sandbox_url) == []


@every_network
def test_delete_removes_the_post_and_a_post_already_gone_counts_as_deleted(sandbox_url, tmp_path, network):
    adapter = network.adapter(sandbox_url)
    published = adapter.publish(network.credentials(), network.sample(tmp_path))

    adapter.delete(network.credentials(), published.external_id)
    adapter.delete(network.credentials(), published.external_id)  # each network's "not found": gone already

    [item] = network.received(sandbox_url)
    assert item["id"] == published.external_id
    assert item["deleted"] is True


@pytest.mark.parametrize(
    ("network", "handle", "display_name"),
    [
        (FACEBOOK, r".+", r".+"),
        (TWITTER, r".+", r".+"),
        (FLICKR, r".+", r"Embassy in Tokyo"),
        (YOUTUBE, r"@.+", r".+"),
    ],
    ids=str,
)
def test_check_credentials_names_the_account(sandbox_url, network, handle, display_name):
    account = network.adapter(sandbox_url).check_credentials(network.credentials())
    assert account.account_id == network.account_id
    assert re.fullmatch(handle, account.handle)
    assert re.fullmatch(display_name, account.display_name)


@pytest.mark.parametrize(
    ("network", "refusal"),
    [
        (FACEBOOK, "another Facebook Page"),
        (TWITTER, "another X account"),
        (FLICKR, "another Flickr account"),
        (YOUTUBE, "another YouTube channel"),
    ],
    ids=str,
)
def test_check_credentials_refuses_a_token_of_another_account(sandbox_url, network, refusal):
    credentials = network.credentials(network.other_account_id).replace(account_id=network.account_id)
    with pytest.raises(AuthError, match=refusal):
        network.adapter(sandbox_url).check_credentials(credentials)


@pytest.mark.parametrize(
    ("network", "detail", "status"),
    [
        (FACEBOOK, "code 190, subcode 460", 400),
        (TWITTER, "Unauthorized", 401),
        (FLICKR, "Error: 98", None),  # Flickr answers 200 with an error in the body
        (YOUTUBE, r"401 \(authError\)", 401),
    ],
    ids=str,
)
def test_a_revoked_token_is_an_auth_error_and_never_shown(sandbox_url, tmp_path, network, detail, status):
    network.fault(sandbox_url, account=network.account_id, revoked=True)
    adapter = network.adapter(sandbox_url)

    with pytest.raises(AuthError, match=detail) as raised:
        adapter.publish(network.credentials(), network.sample(tmp_path))
    assert raised.value.status_code == status
    with pytest.raises(AuthError):
        adapter.check_credentials(network.credentials())
    with pytest.raises(AuthError):
        adapter.delete(network.credentials(), "123")

    assert network.credentials().access_token not in str(raised.value)
    assert network.received(sandbox_url) == []


@pytest.mark.parametrize(
    ("network", "slack"),
    [
        (TWITTER, 5),  # x-rate-limit-reset is a time to the second, read a moment later
    ],
    ids=str,
)
def test_a_429_is_rate_limited_with_the_wait_the_network_gives(sandbox_url, tmp_path, network, slack):
    """Facebook says how long in its usage headers instead (test_facebook.py); Flickr says
    nothing (test_flickr.py); YouTube answers 403 (test_youtube.py)."""
    network.fault(sandbox_url, rate_limit_rate=1.0, rate_limit_reset_seconds=30, count=1)

    with pytest.raises(RateLimited) as raised:
        network.adapter(sandbox_url).publish(network.credentials(), network.sample(tmp_path))

    assert raised.value.retry_after == pytest.approx(30, abs=slack)
    assert raised.value.status_code == 429
    assert network.received(sandbox_url) == []


@every_network
def test_a_closed_port_was_never_sent(tmp_path, network):
    adapter = network.adapter(closed_port_url(), Timeouts(connect=1, read=1))

    with pytest.raises(TransientError) as publishing:
        adapter.publish(network.credentials(), network.sample(tmp_path))
    with pytest.raises(TransientError) as deleting:
        adapter.delete(network.credentials(), "123")

    for raised in (publishing, deleting):
        assert raised.value.request_sent is False
        assert network.credentials().access_token not in raised.value.detail
        assert "127.0.0.1" not in raised.value.detail


@pytest.mark.parametrize(
    ("network", "rule"),
    [
        (FACEBOOK, {}),
        (TWITTER, {}),
        (FLICKR, {}),
        # A seeded rule that lets the upload's first call through and hangs on the last chunk.
        (YOUTUBE, {"timeout_rate": 0.5, "count": 2, "seed": seed_hitting_call(2)}),
    ],
    ids=str,
)
def test_a_timeout_after_the_post_arrived_is_sent_and_reconciled(sandbox_url, tmp_path, network, rule):
    """The sandbox stores the post, then withholds its answer: the post did happen."""
    network.fault(sandbox_url, **({"timeout_rate": 1, "hang_seconds": 3, "count": 1} | rule))
    adapter = network.adapter(sandbox_url, Timeouts(connect=1, read=1))
    since = datetime.now(UTC) - timedelta(seconds=1)
    started = time.monotonic()

    with pytest.raises(TransientError) as raised:
        adapter.publish(network.credentials(), network.sample(tmp_path))

    assert time.monotonic() - started < 3
    assert raised.value.request_sent is True
    token = network.credentials().access_token
    assert token not in raised.value.detail
    # Facebook's SDK puts the token in its URLs: the original exception is never chained.
    assert raised.value.__cause__ is None or token not in str(raised.value.__cause__)
    [item] = network.received(sandbox_url)
    found = adapter.find_published(network.credentials(), network.sample(tmp_path), since)
    assert found is not None
    assert found.external_id == item["id"]


# --- Reconciliation by text: Facebook and X --------------------------------------------------------

by_text = pytest.mark.parametrize("network", [FACEBOOK, TWITTER], ids=str)


@by_text
def test_find_published_finds_the_post_by_its_text_since_a_time(sandbox_url, network):
    adapter, credentials = network.adapter(sandbox_url), network.credentials()
    since = datetime.now(UTC) - timedelta(seconds=1)
    content = Content(text="Voir https://jp.ambafrance.org & <inscrivez-vous>")
    adapter.publish(credentials, Content(text="Un autre message"))
    published = adapter.publish(credentials, content)

    assert adapter.find_published(credentials, content, since) == published
    assert adapter.find_published(credentials, Content(text="Jamais publié"), since) is None
    assert adapter.find_published(credentials, content, datetime.now(UTC) + timedelta(minutes=1)) is None


@by_text
def test_find_published_finds_a_post_made_in_the_same_second_as_since(sandbox_url, network):
    """Both networks give creation times to the second: a post at 12:00:00.7 reads as 12:00:00."""
    adapter, credentials = network.adapter(sandbox_url), network.credentials()
    content = Content(text="Tout juste publié")
    since = datetime.now(UTC).replace(microsecond=999_999)
    published = adapter.publish(credentials, content)

    assert adapter.find_published(credentials, content, since) == published


@by_text
@pytest.mark.parametrize("blank", ["", " "])
def test_find_published_cannot_tell_a_post_without_text(sandbox_url, network, blank):
    with pytest.raises(PermanentError, match="without text"):
        network.adapter(sandbox_url).find_published(network.credentials(), Content(text=blank), datetime.now(UTC))


# --- Reconciliation by the delivery's reference: Flickr and YouTube -----------------------------------

by_reference = pytest.mark.parametrize("network", [FLICKR, YOUTUBE], ids=str)


@by_reference
def test_find_published_finds_the_upload_by_its_reference(sandbox_url, tmp_path, network):
    adapter, credentials = network.adapter(sandbox_url), network.credentials()
    since = datetime.now(UTC)
    adapter.publish(credentials, network.sample(tmp_path, reference="dh-other1", name="other"))
    published = adapter.publish(credentials, network.sample(tmp_path))

    assert adapter.find_published(credentials, network.sample(tmp_path), since) == published
    assert adapter.find_published(credentials, network.sample(tmp_path, reference="dh-never"), since) is None


@by_reference
def test_find_published_without_reference_matches_the_exact_title(sandbox_url, tmp_path, network):
    adapter, credentials = network.adapter(sandbox_url), network.credentials()
    content = network.sample(tmp_path, reference="")
    published = adapter.publish(credentials, content)
    since = datetime.now(UTC) - timedelta(minutes=1)

    assert adapter.find_published(credentials, content, since) == published
    other_title = network.sample(tmp_path, reference="", title="Another title", name="other")
    assert adapter.find_published(credentials, other_title, since) is None
