"""Fault injection: 5xx that store nothing, rate limits with each network's reset
headers, timeouts after the post was stored, revoked accounts, latency, and rules
limited by account, by count or by seed."""

import time

import pytest
import requests
from requests_oauthlib import OAuth1

from channels.adapters.transport import make_session
from channels.sandbox.tokens import secret_of
from tests.channels.sandbox.conftest import add_fault, received

X_AUTH = {"Authorization": "Bearer sbx.twitter.1001.a"}


def _tweet(http, sandbox_url, text="Hello", headers=X_AUTH, **kwargs):
    return http.post(f"{sandbox_url}/twitter/2/tweets", json={"text": text}, headers=headers, **kwargs)


def test_injected_server_errors_store_nothing(http, sandbox_url):
    add_fault(http, sandbox_url, network="twitter", error_rate=1)

    response = _tweet(http, sandbox_url)

    assert response.status_code == 503
    assert response.json()["status"] == 503
    assert received(http, sandbox_url) == []
    assert http.get(f"{sandbox_url}/_sandbox/counts").json() == {"counts": [], "duplicate_uploads": []}


def _network_call(http, sandbox_url, network):
    """One publishing call per network, with a valid token."""
    if network == "twitter":
        return _tweet(http, sandbox_url)
    if network == "facebook":
        return http.post(
            f"{sandbox_url}/facebook/v24.0/555/feed",
            data={"message": "x", "access_token": "sbx.facebook.555.a"},
        )
    if network == "youtube":
        return http.get(
            f"{sandbox_url}/youtube/youtube/v3/channels",
            params={"part": "id", "mine": "true"},
            headers={"Authorization": "Bearer sbx.youtube.UC1.a"},
        )
    token = "sbx.flickr.1@N00.a"  # signed, as Flickr wants every call (tests/conftest.py knows the key)
    return make_session(sandbox_url=sandbox_url).post(
        "https://api.flickr.com/services/rest/",
        data={"method": "flickr.test.login"},
        auth=OAuth1("dh-flickr-key", "dh-flickr-secret", token, secret_of(token), signature_type="auth_header"),
    )


def test_rate_limits_carry_each_networks_reset_information(http, sandbox_url):
    add_fault(http, sandbox_url, network="*", rate_limit_rate=1, rate_limit_reset_seconds=120)

    x = _network_call(http, sandbox_url, "twitter")
    fb = _network_call(http, sandbox_url, "facebook")
    yt = _network_call(http, sandbox_url, "youtube")
    flickr = _network_call(http, sandbox_url, "flickr")

    assert x.status_code == 429
    assert x.headers["x-rate-limit-remaining"] == "0"
    assert x.headers["x-rate-limit-limit"] == "100"
    assert 115 <= int(x.headers["x-rate-limit-reset"]) - time.time() <= 121
    assert (fb.status_code, fb.json()["error"]["code"]) == (400, 32)
    assert '"estimated_time_to_regain_access": 2' in fb.headers["x-business-use-case-usage"]
    assert (yt.status_code, yt.headers["Retry-After"]) == (403, "120")  # YouTube's 403 (with the sandbox's wait)
    assert yt.json()["error"]["errors"][0]["reason"] == "rateLimitExceeded"
    assert (flickr.status_code, flickr.headers.get("Retry-After")) == (429, None)  # Flickr says nothing


def test_timeout_stores_the_post_then_answers_nothing(http, sandbox_url):
    add_fault(http, sandbox_url, network="twitter", timeout_rate=1, hang_seconds=5)

    with pytest.raises(requests.exceptions.ReadTimeout):
        _tweet(http, sandbox_url, "Did it go out?", timeout=(2, 0.3))

    assert [item["text"] for item in received(http, sandbox_url)] == ["Did it go out?"]


def test_a_short_hang_closes_the_connection_without_an_answer(http, sandbox_url):
    add_fault(http, sandbox_url, network="twitter", timeout_rate=1, hang_seconds=0.1)

    with pytest.raises(requests.exceptions.ConnectionError):
        _tweet(http, sandbox_url, timeout=5)


@pytest.mark.parametrize(
    ("network", "status", "check"),
    [
        ("twitter", 401, lambda r: r.json()["detail"] == "Unauthorized"),
        ("facebook", 400, lambda r: r.json()["error"]["code"] == 190),
        ("youtube", 401, lambda r: r.json()["error"]["errors"][0]["reason"] == "authError"),
        ("flickr", 200, lambda r: 'code="98"' in r.text),
    ],
)
def test_revoked_accounts_get_the_networks_auth_error(http, sandbox_url, network, status, check):
    add_fault(http, sandbox_url, network=network, account="*", revoked=True)

    response = _network_call(http, sandbox_url, network)

    assert response.status_code == status
    assert check(response)


def test_revocation_of_one_account_spares_the_others_and_blocks_its_refresh(http, sandbox_url):
    add_fault(http, sandbox_url, network="twitter", account="1001", revoked=True)

    assert _tweet(http, sandbox_url).status_code == 401
    assert _tweet(http, sandbox_url, headers={"Authorization": "Bearer sbx.twitter.2.a"}).status_code == 201
    refresh = http.post(
        f"{sandbox_url}/twitter/2/oauth2/token",
        data={"grant_type": "refresh_token", "refresh_token": "sbxr.twitter.1001.r", "client_id": "cid"},
    )
    assert (refresh.status_code, refresh.json()["error"]) == (400, "invalid_request")


def test_a_counted_rule_applies_to_the_next_calls_only(http, sandbox_url):
    add_fault(http, sandbox_url, network="twitter", rate_limit_rate=1, count=2)

    statuses = [_tweet(http, sandbox_url, f"try {n}").status_code for n in range(3)]

    assert statuses == [429, 429, 201]
    assert http.get(f"{sandbox_url}/_sandbox/faults").json() == {"rules": []}


def test_a_seeded_rule_repeats_its_sequence(http, sandbox_url):
    def outcomes():
        add_fault(http, sandbox_url, network="twitter", error_rate=0.5, seed=7)
        sequence = [_tweet(http, sandbox_url, f"seeded {n}").status_code for n in range(12)]
        http.post(f"{sandbox_url}/_sandbox/reset")
        return sequence

    first, second = outcomes(), outcomes()

    assert first == second
    assert set(first) == {201, 503}


def test_latency_delays_the_answer(http, sandbox_url):
    add_fault(http, sandbox_url, network="twitter", latency_ms=250)

    began = time.perf_counter()
    _tweet(http, sandbox_url)

    assert time.perf_counter() - began >= 0.25


def test_faults_spare_the_control_api_and_consent_pages(http, sandbox_url):
    add_fault(http, sandbox_url, network="*", error_rate=1)

    assert http.get(f"{sandbox_url}/_sandbox/received").status_code == 200
    consent_page = http.get(
        f"{sandbox_url}/twitter/i/oauth2/authorize",
        params={"client_id": "cid", "redirect_uri": "https://hub.example/cb"},
    )
    assert consent_page.status_code == 200


def test_one_rule_can_be_removed_by_id(http, sandbox_url):
    rule = add_fault(http, sandbox_url, network="twitter", error_rate=1)

    assert http.delete(f"{sandbox_url}/_sandbox/faults/{rule['id']}").status_code == 200
    assert http.delete(f"{sandbox_url}/_sandbox/faults/{rule['id']}").status_code == 404
    assert _tweet(http, sandbox_url).status_code == 201


@pytest.mark.parametrize(
    "rule",
    [
        {"network": "myspace"},
        {"error-rate": 0.5},
        {"error_rate": 1.5},
        {"error_rate": 0.6, "timeout_rate": 0.6},
        {"revoked": "yes"},
        {"count": 0},
        {"count": True},
        [],
    ],
)
def test_invalid_rules_are_refused_with_a_reason(http, sandbox_url, rule):
    response = http.post(f"{sandbox_url}/_sandbox/faults", json=rule)

    assert response.status_code == 400
    assert response.json()["error"]


def test_a_rule_with_after_lets_that_many_calls_through_first(http, sandbox_url):
    add_fault(http, sandbox_url, network="twitter", rate_limit_rate=1.0, count=1, after=2)
    headers = {"Authorization": "Bearer sbx.twitter.4242.a"}

    statuses = [http.get(f"{sandbox_url}/twitter/2/users/me", headers=headers).status_code for _ in range(4)]

    assert statuses == [200, 200, 429, 200]


def test_after_must_be_a_whole_number_of_calls(http, sandbox_url):
    for after in (-1, 1.5, True):
        answer = http.post(f"{sandbox_url}/_sandbox/faults", json={"after": after})
        assert answer.status_code == 400
