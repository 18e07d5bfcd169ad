"""The sandbox's X API v2: shapes and status codes as X documents them, and tweepy's own
call path through channels.adapters.transport."""

import base64
import hashlib

import pytest
import tweepy
from oauthlib.oauth2.rfc6749.errors import OAuth2Error

from channels.adapters.transport import Timeouts, browser_url, make_session, mount_on
from live.media_samples import mp4_bytes, png_bytes
from tests.channels.sandbox.conftest import consent, received

TOKEN = "sbx.twitter.1001.a"
AUTH = {"Authorization": f"Bearer {TOKEN}"}


@pytest.fixture
def x(http, sandbox_url):
    """POST/GET/DELETE under the sandbox's X prefix, as account 1001."""

    def call(method: str, path: str, **kwargs):
        kwargs.setdefault("headers", AUTH)
        return http.request(method, f"{sandbox_url}/twitter{path}", **kwargs)

    return call


def test_create_tweet_answers_201_with_id_text_and_edit_history(x, http, sandbox_url):
    response = x("POST", "/2/tweets", json={"text": "Hello from the embassy"})

    assert response.status_code == 201
    assert response.headers["Content-Type"].startswith("application/json")
    data = response.json()["data"]
    assert data == {
        "id": data["id"],
        "text": "Hello from the embassy",
        "edit_history_tweet_ids": [data["id"]],
    }
    assert [item["text"] for item in received(http, sandbox_url, network="twitter", account="1001")] == [
        "Hello from the embassy"
    ]


def test_identical_text_is_refused_as_duplicate_until_the_first_is_deleted(x, http, sandbox_url):
    first = x("POST", "/2/tweets", json={"text": "National day"}).json()["data"]["id"]

    duplicate = x("POST", "/2/tweets", json={"text": "National day"})
    assert duplicate.status_code == 403
    assert duplicate.json() == {
        "title": "Forbidden",
        "type": "about:blank",
        "status": 403,
        "detail": "You are not allowed to create a Tweet with duplicate content.",
    }
    counts = http.get(f"{sandbox_url}/_sandbox/counts", params={"network": "twitter"}).json()["counts"]
    assert counts == [
        {"network": "twitter", "account": "1001", "text": "National day", "count": 1, "duplicates_refused": 1}
    ]

    assert x("DELETE", f"/2/tweets/{first}").json() == {"data": {"deleted": True}}
    assert x("POST", "/2/tweets", json={"text": "National day"}).status_code == 201
    # Another account may say the same thing.
    other = x(
        "POST",
        "/2/tweets",
        json={"text": "National day"},
        headers={"Authorization": "Bearer sbx.twitter.2.a"},
    )
    assert other.status_code == 201


@pytest.mark.parametrize(
    "authorization", [None, "Bearer nonsense", "Bearer sbx.facebook.1001.a", "Bearer sbxr.twitter.1001.a"]
)
def test_calls_without_a_valid_access_token_are_401(x, authorization):
    response = x(
        "POST",
        "/2/tweets",
        json={"text": "x"},
        headers={"Authorization": authorization} if authorization else {},
    )

    assert response.status_code == 401
    assert response.json() == {
        "title": "Unauthorized",
        "type": "about:blank",
        "status": 401,
        "detail": "Unauthorized",
    }


def test_text_over_280_weighted_characters_is_refused(x):
    assert x("POST", "/2/tweets", json={"text": "a" * 280}).status_code == 201
    too_long = x("POST", "/2/tweets", json={"text": "日" * 141})  # CJK weighs 2

    assert too_long.status_code == 400
    assert "too long" in too_long.json()["errors"][0]["message"]


def test_get_tweet_gives_public_metrics_and_a_missing_tweet_an_errors_array(x):
    tweet_id = x("POST", "/2/tweets", json={"text": "Metrics"}).json()["data"]["id"]

    data = x("GET", f"/2/tweets/{tweet_id}", params={"tweet.fields": "public_metrics,created_at"}).json()["data"]
    assert set(data["public_metrics"]) == {
        "retweet_count",
        "reply_count",
        "like_count",
        "quote_count",
        "bookmark_count",
        "impression_count",
    }
    assert data["created_at"].endswith("Z")
    missing = x("GET", "/2/tweets/42")
    assert missing.status_code == 200
    assert missing.json()["errors"][0]["title"] == "Not Found Error"


def test_users_me_and_user_tweets_newest_first_without_deleted_ones(x):
    ids = [x("POST", "/2/tweets", json={"text": f"post {n}"}).json()["data"]["id"] for n in range(3)]
    x("DELETE", f"/2/tweets/{ids[1]}")

    me = x("GET", "/2/users/me", params={"user.fields": "public_metrics"}).json()["data"]
    assert me["id"] == "1001"
    assert me["public_metrics"]["followers_count"] > 0
    timeline = x("GET", "/2/users/1001/tweets", params={"tweet.fields": "created_at"}).json()
    assert [tweet["id"] for tweet in timeline["data"]] == [ids[2], ids[0]]
    assert timeline["meta"] == {"result_count": 2, "newest_id": ids[2], "oldest_id": ids[0]}


def test_deleting_is_refused_for_unknown_or_foreign_tweets(x):
    tweet_id = x("POST", "/2/tweets", json={"text": "Mine"}).json()["data"]["id"]

    assert x("DELETE", "/2/tweets/42").status_code == 404
    assert x("DELETE", f"/2/tweets/{tweet_id}", headers={"Authorization": "Bearer sbx.twitter.2.a"}).status_code == 403


def test_one_shot_image_upload_with_alt_text_is_attached_and_served(x, http, sandbox_url):
    image = png_bytes()
    upload = x(
        "POST",
        "/2/media/upload",
        files={"media": ("p.png", image, "image/png")},
        data={"media_category": "tweet_image"},
    )
    assert upload.status_code == 200
    media = upload.json()["data"]
    assert media["media_key"] == f"3_{media['id']}"
    assert media["size"] == len(image)
    alt = x("POST", "/2/media/metadata", json={"id": media["id"], "metadata": {"alt_text": {"text": "A flag"}}})
    assert alt.json()["data"]["associated_metadata"] == {"alt_text": {"text": "A flag"}}

    assert (
        x("POST", "/2/tweets", json={"text": "With a picture", "media": {"media_ids": [media["id"]]}}).status_code
        == 201
    )
    [item] = received(http, sandbox_url, network="twitter")
    assert item["media"] == [
        {
            "id": media["id"],
            "type": "image/png",
            "size": len(image),
            "alt_text": "A flag",
            "url": f"/_sandbox/media/{media['id']}",
        }
    ]
    assert http.get(f"{sandbox_url}{item['media'][0]['url']}").content == image


def test_chunked_video_upload_must_finish_processing_before_posting(x):
    video = mp4_bytes(padding=300_000)
    media_id = x(
        "POST",
        "/2/media/upload/initialize",
        json={"media_type": "video/mp4", "total_bytes": len(video), "media_category": "tweet_video"},
    ).json()["data"]["id"]
    for index, start in enumerate(range(0, len(video), 100_000)):
        append = x(
            "POST",
            f"/2/media/upload/{media_id}/append",
            files={"media": ("chunk", video[start : start + 100_000], "application/octet-stream")},
            data={"segment_index": str(index)},
        )
        assert append.status_code == 200

    finalized = x("POST", f"/2/media/upload/{media_id}/finalize").json()["data"]
    assert finalized["processing_info"]["state"] == "pending"
    assert x("POST", "/2/tweets", json={"text": "Video", "media": {"media_ids": [media_id]}}).status_code == 400
    status = x("GET", "/2/media/upload", params={"command": "STATUS", "media_id": media_id}).json()["data"]
    assert status["processing_info"]["state"] == "succeeded"
    assert x("POST", "/2/tweets", json={"text": "Video", "media": {"media_ids": [media_id]}}).status_code == 201


def test_finalize_refuses_an_incomplete_upload(x):
    media_id = x("POST", "/2/media/upload/initialize", json={"media_type": "video/mp4", "total_bytes": 10}).json()[
        "data"
    ]["id"]
    x(
        "POST",
        f"/2/media/upload/{media_id}/append",
        files={"media": ("c", b"12345")},
        data={"segment_index": "0"},
    )

    assert x("POST", f"/2/media/upload/{media_id}/finalize").status_code == 400


# --- OAuth 2.0 with PKCE -----------------------------------------------------------------------------


def _challenge(verifier: str) -> str:
    return base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()


def _authorize(http, sandbox_url, verifier="v" * 64, account_id="1001"):
    page = (
        f"{sandbox_url}/twitter/i/oauth2/authorize?response_type=code&client_id=cid"
        f"&redirect_uri=https://hub.example/cb&scope=tweet.write%20offline.access&state=s1"
        f"&code_challenge={_challenge(verifier)}&code_challenge_method=S256"
    )
    return consent(http, page, account_id=account_id)


def _token(http, sandbox_url, **form):
    return http.post(f"{sandbox_url}/twitter/2/oauth2/token", data=form, auth=("cid", "secret"))


def test_code_exchange_checks_the_pkce_verifier(http, sandbox_url):
    callback = _authorize(http, sandbox_url)
    assert callback["state"] == "s1"
    wrong = _token(
        http,
        sandbox_url,
        grant_type="authorization_code",
        code=callback["code"],
        redirect_uri="https://hub.example/cb",
        code_verifier="w" * 64,
    )
    assert wrong.status_code == 400
    assert wrong.json() == {
        "error": "invalid_request",
        "error_description": "Value passed for the authorization code was invalid.",
    }

    callback = _authorize(http, sandbox_url)
    issued = _token(
        http,
        sandbox_url,
        grant_type="authorization_code",
        code=callback["code"],
        redirect_uri="https://hub.example/cb",
        code_verifier="v" * 64,
    ).json()
    assert issued["access_token"].startswith("sbx.twitter.1001.")
    assert issued["refresh_token"].startswith("sbxr.twitter.1001.")
    assert issued["scope"] == "tweet.write offline.access"
    assert issued["expires_in"] == 7200
    reused = _token(
        http,
        sandbox_url,
        grant_type="authorization_code",
        code=callback["code"],
        redirect_uri="https://hub.example/cb",
        code_verifier="v" * 64,
    )
    assert reused.status_code == 400


def test_denied_consent_redirects_with_access_denied(http, sandbox_url):
    page = f"{sandbox_url}/twitter/i/oauth2/authorize?client_id=cid&redirect_uri=https://hub.example/cb&state=s9"

    assert consent(http, page, decision="deny") == {"error": "access_denied", "state": "s9"}


def test_reusing_a_refresh_token_revokes_the_whole_family(http, sandbox_url, x):
    first = _token(http, sandbox_url, grant_type="refresh_token", refresh_token="sbxr.twitter.1001.seed").json()
    second = _token(http, sandbox_url, grant_type="refresh_token", refresh_token=first["refresh_token"]).json()
    assert second["refresh_token"] != first["refresh_token"]

    replay = _token(http, sandbox_url, grant_type="refresh_token", refresh_token=first["refresh_token"])
    assert replay.status_code == 400
    assert replay.json() == {
        "error": "invalid_request",
        "error_description": "Value passed for the token was invalid.",
    }
    # The thief's replay cost the legitimate holder its tokens too.
    assert (
        _token(http, sandbox_url, grant_type="refresh_token", refresh_token=second["refresh_token"]).status_code == 400
    )
    assert x("GET", "/2/users/me", headers={"Authorization": f"Bearer {second['access_token']}"}).status_code == 401

    # A new consent gives the account working tokens again.
    callback = _authorize(http, sandbox_url)
    fresh = _token(
        http,
        sandbox_url,
        grant_type="authorization_code",
        code=callback["code"],
        redirect_uri="https://hub.example/cb",
        code_verifier="v" * 64,
    ).json()
    assert x("GET", "/2/users/me", headers={"Authorization": f"Bearer {fresh['access_token']}"}).status_code == 200


# --- Through tweepy ------------------------------------------------------------------------------------


def test_tweepy_client_publishes_reads_and_deletes_through_the_transport(sandbox_url):
    client = tweepy.Client(bearer_token=TOKEN)
    client.session = make_session(sandbox_url=sandbox_url)

    created = client.create_tweet(text="Through tweepy", user_auth=False)
    tweet = client.get_tweet(created.data["id"], tweet_fields=["public_metrics"], user_auth=False).data
    me = client.get_me(user_fields=["public_metrics"], user_auth=False).data
    client.delete_tweet(created.data["id"], user_auth=False)

    assert tweet.text == "Through tweepy"
    assert tweet.public_metrics["like_count"] >= 0
    assert me.id == 1001
    with pytest.raises(tweepy.NotFound):
        client.delete_tweet(created.data["id"], user_auth=False)


def test_tweepy_pkce_handler_connects_and_refreshes(http, sandbox_url):
    handler = tweepy.OAuth2UserHandler(
        client_id="cid",
        redirect_uri="https://hub.example/cb",
        scope=["tweet.read", "tweet.write", "users.read", "offline.access"],
        client_secret="secret",
    )
    mount_on(handler, sandbox_url=sandbox_url, timeouts=Timeouts())
    page = browser_url(handler.get_authorization_url(), sandbox_url=sandbox_url)
    answer = http.post(page, data={"decision": "authorize", "account_id": "1002"}, allow_redirects=False)

    token = handler.fetch_token(answer.headers["Location"])
    refreshed = handler.refresh_token(
        "https://api.twitter.com/2/oauth2/token", refresh_token=token["refresh_token"], auth=handler.auth
    )

    assert token["access_token"].startswith("sbx.twitter.1002.")
    assert refreshed["refresh_token"] != token["refresh_token"]
    with pytest.raises(OAuth2Error):
        handler.refresh_token(
            "https://api.twitter.com/2/oauth2/token", refresh_token=token["refresh_token"], auth=handler.auth
        )
