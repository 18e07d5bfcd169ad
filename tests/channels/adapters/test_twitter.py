"""TwitterAdapter and TwitterConnectFlow: tweepy (and our v2 media upload) against the sandbox."""

import dataclasses
import io
import os
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
import tweepy
from PIL import Image

from channels.adapters.base import (
    AppAccessError,
    AppCredentials,
    AuthError,
    Content,
    MediaFile,
    PermanentError,
    RateLimited,
    TransientError,
)
from channels.adapters.transport import Timeouts, make_session
from channels.adapters.twitter import (
    LIMITS,
    SCOPES,
    TwitterAdapter,
    _credentials_from,
    comparable_text,
    to_adapter_error,
)
from live.media_samples import jpeg_bytes, mp4_bytes, png_bytes
from tests.channels.adapters.helpers import GPS_IFD, MB, TWITTER, closed_port_url, consent, media_file

USER_ID, OTHER_USER_ID = TWITTER.account_id, TWITTER.other_account_id
REDIRECT_URI = TWITTER.redirect_uri
APP = TWITTER.app


# --- Helpers ------------------------------------------------------------------------------------------


def _media(tmp_path: Path, data: bytes, name: str, *, alt: str = "The embassy's garden") -> MediaFile:
    return media_file(tmp_path, data, name, alt=alt)


def _gif_bytes() -> bytes:
    frames = [Image.new("P", (32, 32), color) for color in (1, 2, 3)]
    buffer = io.BytesIO()
    frames[0].save(buffer, "GIF", save_all=True, append_images=frames[1:], duration=100, loop=0)
    return buffer.getvalue()


def _consent(
    authorize_url: str, *, decision: str = "authorize", account_id: str = USER_ID, handle: str = "FranceauJapon"
) -> dict[str, str]:
    """The administrator authorises the app on the sandbox's consent page; the callback's query."""
    return consent(
        authorize_url,
        redirect_uri=REDIRECT_URI,
        decision=decision,
        account_id=account_id,
        display_name="France au Japon",
        handle=handle,
    )


def _connect(sandbox_url: str, **consent_options):
    flow = TWITTER.flow(sandbox_url)
    start = flow.start(redirect_uri=REDIRECT_URI)
    params = _consent(start.authorize_url, **consent_options)
    return flow, flow.finish(redirect_uri=REDIRECT_URI, callback_params=params, kept=start.keep)


# --- Publishing ------------------------------------------------------------------------------------------


def test_publish_text_posts_it_once_and_says_where(sandbox_url):
    published = TWITTER.adapter(sandbox_url).publish(
        TWITTER.credentials(handle="@FranceauJapon"), Content(text="Fête nationale : réception à 18 h 🇫🇷")
    )

    [item] = TWITTER.received(sandbox_url)
    assert item["id"] == published.external_id
    assert item["text"] == "Fête nationale : réception à 18 h 🇫🇷"
    assert item["media"] == []
    assert TWITTER.count_of(sandbox_url, item["text"])["count"] == 1


def test_a_sandbox_post_links_to_the_sandboxs_own_page_of_it(sandbox_url):
    """Issue 13: "See it on X" for a sandbox account, not X's "not found"."""
    published = TWITTER.adapter(sandbox_url).publish(TWITTER.credentials(), Content(text="Bonjour"))

    assert published.url == f"{sandbox_url}/_sandbox/post/twitter/{published.external_id}"
    page = requests.get(published.url, timeout=5)
    assert page.status_code == 200
    assert f'id="item-{published.external_id}"' in page.text
    assert "Bonjour" in page.text


def test_a_real_post_links_to_x_with_the_handle_or_x_generic_form():
    adapter = TwitterAdapter(sandbox_url=None, timeouts=Timeouts())

    assert (
        adapter._post_url(TWITTER.credentials(handle="@FranceauJapon"), "42") == "https://x.com/FranceauJapon/status/42"
    )
    assert adapter._post_url(TWITTER.credentials(), "42") == "https://x.com/i/status/42"


def test_publish_image_sends_it_cleaned_and_with_its_alt_text(sandbox_url, tmp_path):
    photo = _media(tmp_path, jpeg_bytes(with_gps=True), "reception.jpg", alt="The ambassador greets guests")
    assert Image.open(photo.path).getexif().get_ifd(GPS_IFD)

    published = TWITTER.adapter(sandbox_url).publish(TWITTER.credentials(), Content(text="Réception", media=(photo,)))

    [item] = TWITTER.received(sandbox_url)
    assert item["id"] == published.external_id
    [media] = item["media"]
    assert (media["type"], media["alt_text"]) == ("image/jpeg", "The ambassador greets guests")
    stored = requests.get(f"{sandbox_url}{media['url']}", timeout=5).content
    assert not Image.open(io.BytesIO(stored)).getexif().get_ifd(GPS_IFD)
    assert b"CameraMaker" not in stored


def test_publish_four_images_in_one_post(sandbox_url, tmp_path):
    photos = tuple(
        _media(tmp_path, png_bytes(color=color), f"{color}.png") for color in ("navy", "white", "red", "gold")
    )

    TWITTER.adapter(sandbox_url).publish(TWITTER.credentials(), Content(text="Quatre images", media=photos))

    [item] = TWITTER.received(sandbox_url)
    assert [media["type"] for media in item["media"]] == ["image/png"] * 4


def test_publish_gif_goes_through_the_chunked_upload_and_waits_for_processing(sandbox_url, tmp_path):
    waits: list[float] = []
    adapter = TwitterAdapter(sandbox_url=sandbox_url, timeouts=Timeouts(), sleep=waits.append)
    gif = _media(tmp_path, _gif_bytes(), "flag.gif", alt="A waving flag")

    adapter.publish(TWITTER.credentials(), Content(text="Animé", media=(gif,)))

    [item] = TWITTER.received(sandbox_url)
    assert [(m["type"], m["alt_text"]) for m in item["media"]] == [("image/gif", "A waving flag")]
    assert waits == [1.0]  # finalize said "pending, check after 1 s"; STATUS said "succeeded"


def _big_gif(megabytes: float) -> bytes:
    """An animated GIF of noise (which GIF cannot compress), about `megabytes` large."""
    side = 700
    frames = [
        Image.frombytes("P", (side, side), os.urandom(side * side)) for _ in range(round(megabytes * MB / side**2))
    ]
    buffer = io.BytesIO()
    frames[0].save(buffer, "GIF", save_all=True, append_images=frames[1:], duration=100, loop=0)
    return buffer.getvalue()


def test_an_animated_gif_up_to_15_mb_goes_out(sandbox_url, tmp_path):
    adapter = TwitterAdapter(sandbox_url=sandbox_url, timeouts=Timeouts(), sleep=lambda seconds: None)
    gif = _media(tmp_path, _big_gif(8), "parade.gif", alt="The national day parade")
    assert 5 * MB < gif.size < 15 * MB

    assert adapter.validate(Content(text="Défilé", media=(gif,))) == []
    adapter.publish(TWITTER.credentials(), Content(text="Défilé", media=(gif,)))

    [item] = TWITTER.received(sandbox_url)
    assert item["media"][0]["type"] == "image/gif"


def test_an_image_over_5_mb_or_a_gif_over_15_mb_is_refused(sandbox_url, tmp_path):
    adapter = TWITTER.adapter(sandbox_url)
    gif = MediaFile(str(tmp_path / "long.gif"), "image/gif", "image", 16 * MB, alt_text="A parade")
    png = MediaFile(str(tmp_path / "big.png"), "image/png", "image", 6 * MB, alt_text="A parade")

    assert any("15 MB" in problem.message for problem in adapter.validate(Content(text="x", media=(gif,))))
    assert any("5 MB" in problem.message for problem in adapter.validate(Content(text="x", media=(png,))))
    assert adapter.validate(Content(text="x", media=(dataclasses.replace(gif, size=14 * MB),))) == []


def test_the_sandbox_refuses_a_gif_over_5_mb_sent_as_an_image(sandbox_url):
    answer = requests.post(
        f"{sandbox_url}/twitter/2/media/upload/initialize",
        json={"media_type": "image/gif", "total_bytes": 6 * MB, "media_category": "tweet_image"},
        headers={"Authorization": f"Bearer {TWITTER.credentials().access_token}"},
        timeout=5,
    )
    assert answer.status_code == 400


def test_publish_video_in_chunks_and_waits_for_processing(sandbox_url, tmp_path):
    waits: list[float] = []
    adapter = TwitterAdapter(sandbox_url=sandbox_url, timeouts=Timeouts(), sleep=waits.append)
    data = mp4_bytes(seconds=12, padding=9 * MB)  # three 4 MB chunks
    video = _media(tmp_path, data, "speech.mp4")

    published = adapter.publish(TWITTER.credentials(), Content(text="Discours", media=(video,)))

    [item] = TWITTER.received(sandbox_url)
    assert item["id"] == published.external_id
    assert [(m["type"], m["size"]) for m in item["media"]] == [("video/mp4", len(data))]
    assert waits == [1.0]


def test_a_video_still_processing_is_polled_until_done_and_never_uploaded_again(sandbox_url, tmp_path):
    """X takes its time (here 2.5 s, in_progress with check_after_secs): the adapter polls
    when X says, reports progress after each poll, and uploads the video once."""
    TWITTER.fault(sandbox_url, processing_seconds=2.5)
    waits: list[float] = []
    polls: list[None] = []

    def sleep(seconds: float) -> None:
        waits.append(seconds)
        time.sleep(seconds)

    adapter = TwitterAdapter(sandbox_url=sandbox_url, timeouts=Timeouts(), sleep=sleep)
    video = _media(tmp_path, mp4_bytes(seconds=3), "speech.mp4")

    published = adapter.publish(
        TWITTER.credentials(), Content(text="Discours", media=(video,)), progress=lambda: polls.append(None)
    )

    [item] = TWITTER.received(sandbox_url)
    assert item["id"] == published.external_id
    assert sum(waits) >= 2.5
    assert all(wait >= 1 for wait in waits)
    assert len(waits) >= 2  # finalize said "pending", at least one STATUS said "in_progress"
    assert len(polls) >= len(waits)
    counts = requests.get(f"{sandbox_url}/_sandbox/counts", params={"network": "twitter"}, timeout=5).json()
    assert counts["duplicate_uploads"] == []


def test_the_sandbox_counts_a_video_uploaded_again(sandbox_url, tmp_path):
    """What a client that gave up waiting and started over would do: the sandbox tells."""
    adapter = TwitterAdapter(sandbox_url=sandbox_url, timeouts=Timeouts(), sleep=lambda seconds: None)
    video = _media(tmp_path, mp4_bytes(seconds=3), "speech.mp4")

    adapter.publish(TWITTER.credentials(), Content(text="Première", media=(video,)))
    adapter.publish(TWITTER.credentials(), Content(text="Seconde", media=(video,)))

    counts = requests.get(f"{sandbox_url}/_sandbox/counts", params={"network": "twitter"}, timeout=5).json()
    assert counts["duplicate_uploads"] == [{"network": "twitter", "account": TWITTER.account_id, "count": 1}]


def test_a_caller_may_still_bound_the_wait(sandbox_url, tmp_path):
    TWITTER.fault(sandbox_url, processing_seconds=30)
    adapter = TwitterAdapter(sandbox_url=sandbox_url, timeouts=Timeouts(), processing_timeout=0.5, sleep=pytest.fail)
    video = _media(tmp_path, mp4_bytes(seconds=3), "speech.mp4")

    with pytest.raises(TransientError, match="still processing") as caught:
        adapter.publish(TWITTER.credentials(), Content(text="Discours", media=(video,)))

    assert caught.value.request_sent is False
    assert TWITTER.received(sandbox_url) == []


# --- Delete, credentials, metrics, reconciliation -----------------------------------------------------


def test_delete_of_another_accounts_post_is_refused(sandbox_url):
    adapter = TWITTER.adapter(sandbox_url)
    published = adapter.publish(TWITTER.credentials(OTHER_USER_ID), Content(text="Pas à nous"))

    with pytest.raises(PermanentError, match="not allowed to delete") as caught:
        adapter.delete(TWITTER.credentials(), published.external_id)
    assert caught.value.status_code == 403


def test_fetch_metrics_of_the_account_and_of_a_post(sandbox_url):
    adapter = TWITTER.adapter(sandbox_url)
    published = adapter.publish(TWITTER.credentials(), Content(text="Mesurez-moi"))

    account = adapter.fetch_metrics(TWITTER.credentials())
    post = adapter.fetch_metrics(TWITTER.credentials(), published.external_id)

    assert account.followers is not None
    assert account.followers > 0
    assert (account.likes, account.shares, account.views, account.comments) == (None, None, None, None)
    assert post.followers is None
    assert None not in (post.likes, post.shares, post.views, post.comments)


def test_metrics_of_a_deleted_post_are_a_permanent_error(sandbox_url):
    adapter = TWITTER.adapter(sandbox_url)
    published = adapter.publish(TWITTER.credentials(), Content(text="Bientôt parti"))
    adapter.delete(TWITTER.credentials(), published.external_id)

    with pytest.raises(PermanentError, match="no post"):
        adapter.fetch_metrics(TWITTER.credentials(), published.external_id)


def test_find_published_when_x_fails_is_transient(sandbox_url):
    TWITTER.fault(sandbox_url, error_rate=1, count=1)
    with pytest.raises(TransientError):
        TWITTER.adapter(sandbox_url).find_published(TWITTER.credentials(), Content(text="?"), datetime.now(UTC))


def _post_directly(sandbox_url: str, texts: list[str]) -> list[str]:
    """Posts straight to the sandbox's POST /2/tweets (quicker than the adapter)."""
    with requests.Session() as session:
        session.trust_env = False
        headers = {"Authorization": f"Bearer {TWITTER.credentials().access_token}"}
        return [
            session.post(f"{sandbox_url}/twitter/2/tweets", json={"text": text}, headers=headers, timeout=5).json()[
                "data"
            ]["id"]
            for text in texts
        ]


def test_the_timeline_pages_as_x_does_and_reconciliation_follows_it(sandbox_url):
    """105 posts since: the one we look for is on the second page, past next_token."""
    since = datetime.now(UTC) - timedelta(seconds=1)
    [wanted, *_] = _post_directly(sandbox_url, [f"Message {n}" for n in range(105)])
    client = tweepy.Client(bearer_token=TWITTER.credentials().access_token)
    client.session = make_session(sandbox_url=sandbox_url)

    first = client.get_users_tweets(TWITTER.account_id, max_results=100, user_auth=False)
    second = client.get_users_tweets(
        TWITTER.account_id, max_results=100, pagination_token=first.meta["next_token"], user_auth=False
    )
    back = client.get_users_tweets(
        TWITTER.account_id, max_results=100, pagination_token=second.meta["previous_token"], user_auth=False
    )
    found = TWITTER.adapter(sandbox_url).find_published(TWITTER.credentials(), Content(text="Message 0"), since)

    assert (first.meta["result_count"], second.meta["result_count"]) == (100, 5)
    assert "next_token" not in second.meta
    assert [tweet.id for tweet in back.data] == [tweet.id for tweet in first.data]
    assert found is not None
    assert found.external_id == wanted


@pytest.mark.parametrize(("max_results", "token"), [("200", None), ("4", None), ("10", "not-a-token")])
def test_the_timeline_refuses_what_x_refuses(sandbox_url, max_results, token):
    params = {"max_results": max_results} | ({"pagination_token": token} if token else {})
    answer = requests.get(
        f"{sandbox_url}/twitter/2/users/{TWITTER.account_id}/tweets",
        params=params,
        headers={"Authorization": f"Bearer {TWITTER.credentials().access_token}"},
        timeout=5,
    )
    assert answer.status_code == 400
    assert answer.json()["title"] == "Invalid Request"


def test_an_app_whose_access_level_cannot_read_gets_a_configuration_error(sandbox_url):
    """X's Free level posts but reads no timeline and looks no post up: 403 client-forbidden.
    That is the app's configuration, not the delivery's failure nor the account's."""
    adapter = TWITTER.adapter(sandbox_url)
    published = adapter.publish(TWITTER.credentials(), Content(text="Publié, pas relu"))
    TWITTER.fault(sandbox_url, access_level="free")

    with pytest.raises(AppAccessError, match="access level") as lookup:
        adapter.find_published(TWITTER.credentials(), Content(text="Publié, pas relu"), datetime.now(UTC))
    with pytest.raises(AppAccessError):
        adapter.fetch_metrics(TWITTER.credentials(), published.external_id)

    assert (lookup.value.network, lookup.value.status_code, lookup.value.request_sent) == ("twitter", 403, False)
    assert adapter.check_credentials(TWITTER.credentials()).account_id == TWITTER.account_id  # /2/users/me still works
    assert adapter.publish(TWITTER.credentials(), Content(text="Encore publié")).external_id


@pytest.mark.parametrize(
    ("as_x_returns", "as_we_sent"),
    [
        # X rewrites every link as t.co, appends one for attached media, escapes & < >.
        (
            "Voir https://t.co/AbC123 &amp; &lt;inscrivez-vous&gt; https://t.co/MeDiA9",
            "Voir https://jp.ambafrance.org/inscription?x=1 & <inscrivez-vous>",
        ),
        ("Réunion https://t.co/xYz", "Réunion jp.ambafrance.org"),
        ("Ligne 1\nLigne 2", "Ligne 1\r\nLigne 2"),
        ("Cafe\u0301", "Café"),
    ],
)
def test_comparable_text_matches_a_post_as_x_returns_it(as_x_returns, as_we_sent):
    assert comparable_text(as_x_returns) == comparable_text(as_we_sent)


def test_comparable_text_still_tells_different_texts_apart():
    assert comparable_text("Réunion à 18 h https://t.co/a") != comparable_text("Réunion à 19 h https://t.co/a")


# --- Errors, each kind through the sandbox's faults ---------------------------------------------------


def test_a_server_error_on_the_post_may_have_posted(sandbox_url):
    TWITTER.fault(sandbox_url, error_rate=1, count=1)

    with pytest.raises(TransientError) as caught:
        TWITTER.adapter(sandbox_url).publish(TWITTER.credentials(), Content(text="Erreur 503"))

    assert caught.value.request_sent is True
    assert caught.value.status_code == 503
    assert TWITTER.received(sandbox_url) == []  # the sandbox's 5xx stores nothing; X's might have


def test_a_failure_while_uploading_media_is_before_any_post(sandbox_url, tmp_path):
    TWITTER.fault(sandbox_url, error_rate=1, count=1)  # the first call is the image upload
    photo = _media(tmp_path, png_bytes(), "flag.png")

    with pytest.raises(TransientError) as caught:
        TWITTER.adapter(sandbox_url).publish(TWITTER.credentials(), Content(text="Avec image", media=(photo,)))

    assert caught.value.request_sent is False
    assert TWITTER.received(sandbox_url) == []


def test_the_same_text_twice_is_refused_as_a_duplicate(sandbox_url):
    adapter = TWITTER.adapter(sandbox_url)
    adapter.publish(TWITTER.credentials(), Content(text="Une seule fois"))

    with pytest.raises(PermanentError) as caught:
        adapter.publish(TWITTER.credentials(), Content(text="Une seule fois"))

    assert caught.value.duplicate is True
    assert caught.value.status_code == 403
    counts = TWITTER.count_of(sandbox_url, "Une seule fois")
    assert (counts["count"], counts["duplicates_refused"]) == (1, 1)


def test_x_own_bad_request_is_permanent_with_its_message(sandbox_url):
    client = tweepy.Client(bearer_token=TWITTER.credentials().access_token)
    client.session = make_session(sandbox_url=sandbox_url)
    with pytest.raises(tweepy.BadRequest) as caught:
        client.create_tweet(text="Image inconnue", media_ids=["12345"], user_auth=False)

    error = to_adapter_error(caught.value)

    assert isinstance(error, PermanentError)
    assert not error.duplicate
    assert error.status_code == 400
    assert "media IDs are invalid" in error.detail


def _http_error(cls: type[tweepy.HTTPException], status: int, body: bytes, **headers: str):
    response = requests.Response()
    response.status_code = status
    response._content = body
    response.headers.update({"content-type": "application/json", **headers})
    if cls is tweepy.TooManyRequests:
        reset = headers.get("x-rate-limit-reset")
        return cls(response, reset_time=int(reset) if reset else None)
    return cls(response)


@pytest.mark.parametrize(
    ("error", "kind", "detail"),
    [
        (
            _http_error(tweepy.Unauthorized, 401, b'{"title":"Unauthorized","detail":"Unauthorized"}'),
            AuthError,
            "Unauthorized",
        ),
        (
            _http_error(tweepy.Forbidden, 403, b'{"detail":"You are not permitted to perform this action."}'),
            AuthError,
            "not permitted",
        ),
        (
            _http_error(tweepy.Forbidden, 403, b'{"errors":[{"message":"Your account is suspended."}]}'),
            AuthError,
            "suspended",
        ),
        (
            _http_error(
                tweepy.Forbidden,
                403,
                b'{"detail":"Your client app is not configured with the appropriate '
                b'oauth1 app permissions for this endpoint."}',
            ),
            AuthError,
            "permissions",
        ),
        (
            _http_error(
                tweepy.Forbidden,
                403,
                b'{"detail":"This user is not allowed to post a video longer than 2 minutes and 20 seconds."}',
            ),
            PermanentError,
            "video longer",
        ),
        (
            _http_error(tweepy.BadRequest, 400, b'{"errors":[{"message":"Invalid Request"}]}'),
            PermanentError,
            "Invalid Request",
        ),
        (_http_error(tweepy.TwitterServerError, 502, b"<html>Bad gateway</html>"), TransientError, "HTTP 502"),
    ],
)
def test_each_x_answer_maps_to_its_kind(error, kind, detail):
    mapped = to_adapter_error(error)
    assert type(mapped) is kind
    assert detail in mapped.detail


def test_rate_limited_waits_at_least_a_second_and_a_minute_without_a_reset():
    reset = str(int(time.time()) - 5)
    past = _http_error(tweepy.TooManyRequests, 429, b"{}", **{"x-rate-limit-reset": reset})
    unknown = _http_error(tweepy.TooManyRequests, 429, b"{}")
    assert to_adapter_error(past).retry_after == 1.0
    assert to_adapter_error(unknown).retry_after == 60.0


def test_an_unknown_exception_is_not_ours_to_map():
    assert to_adapter_error(ZeroDivisionError()) is None


# --- Validation: every problem at once, in words ---------------------------------------------------------


def _declared(name: str, mime_type: str, kind: str, size: int, **options) -> MediaFile:
    return MediaFile(
        path=f"/media/{name}",
        mime_type=mime_type,
        kind=kind,
        size=size,
        alt_text=options.pop("alt_text", "Alt text"),
        **options,
    )


def _messages(content: Content) -> list[str]:
    adapter = TwitterAdapter(sandbox_url=None, timeouts=Timeouts())
    return [problem.message for problem in adapter.validate(content)]


def test_validate_accepts_what_x_takes():
    assert _messages(Content(text="a" * 280)) == []
    assert _messages(Content(text="", media=(_declared("a.png", "image/png", "image", MB),))) == []
    video = _declared("v.mp4", "video/mp4", "video", 50 * MB, duration_seconds=140.0, alt_text="")
    assert _messages(Content(text="Vidéo", media=(video,))) == []


def test_validate_says_how_much_too_long_the_text_is():
    problems = TwitterAdapter(sandbox_url=None, timeouts=Timeouts()).validate(Content(text="a" * 311))
    assert [(p.network, p.field, p.message) for p in problems] == [
        ("twitter", "text", "The text is 31 characters too long for X (311 of 280).")
    ]


def test_validate_counts_as_x_does_links_and_emoji():
    # 11 links count 253, plus 11 spaces and 8 emoji (16): 280, although 500 characters long.
    text = " ".join(f"https://example.org/{'x' * 30}/{n}" for n in range(11)) + " " + "🇫🇷" * 8
    assert len(text) > 280
    assert _messages(Content(text=text)) == []


def test_validate_refuses_an_empty_post():
    assert _messages(Content(text="  ")) == ["X needs a text, an image or a video."]


def test_validate_lists_every_media_problem_at_once():
    images = tuple(_declared(f"{n}.png", "image/png", "image", MB) for n in range(5))
    big = _declared("big.png", "image/png", "image", 6 * MB)
    bmp = _declared("scan.bmp", "image/bmp", "image", MB)
    long_video = _declared("speech.mp4", "video/mp4", "video", 50 * MB, duration_seconds=200.0, alt_text="")

    messages = _messages(Content(text="Trop", media=(*images, big, bmp, long_video)))

    assert "X takes at most 4 images per post; this message has 7." in messages
    assert "X cannot show images and a video in the same post." in messages
    assert "The image “big.png” is 6 MB; X takes images up to 5 MB." in messages
    assert "X does not take image/bmp images (“scan.bmp”); it takes GIF, JPEG, PNG or WebP." in messages
    assert "The video is 3 min 20 s long; X takes at most 2 min 20 s." in messages


def test_validate_applies_x_own_media_rules():
    gif = _declared("flag.gif", "image/gif", "image", MB)
    photo = _declared("a.png", "image/png", "image", MB)
    short = _declared("blink.mp4", "video/mp4", "video", MB, duration_seconds=0.2, alt_text="")
    wordy = _declared("b.png", "image/png", "image", MB, alt_text="x" * 1_001)

    assert _messages(Content(text="GIF", media=(gif, photo))) == [
        "X takes a GIF only on its own: send the GIF alone, or the other images without it."
    ]
    assert _messages(Content(text="Court", media=(short,))) == [
        "The video “blink.mp4” is too short for X, which takes videos from 0.5 s."
    ]
    assert _messages(Content(text="Alt", media=(wordy,))) == [
        "The description (alt text) of “b.png” is 1 character too long for X (1,001 of 1,000)."
    ]


def test_limits_are_x_documented_ones():
    assert (LIMITS.text_max, LIMITS.max_images, LIMITS.max_videos) == (280, 4, 1)
    assert LIMITS.image_max_bytes == 5 * MB
    assert (LIMITS.video_max_bytes, LIMITS.video_max_seconds) == (512 * MB, 140.0)
    assert not LIMITS.images_and_video_together


# --- Connecting an account -------------------------------------------------------------------------------


def test_start_asks_for_the_scopes_with_pkce_and_keeps_state_and_verifier(sandbox_url):
    start = TWITTER.flow(sandbox_url).start(redirect_uri=REDIRECT_URI)

    query = parse_qs(urlsplit(start.authorize_url).query)
    assert start.authorize_url.startswith(f"{sandbox_url}/twitter/i/oauth2/authorize?")
    assert query["scope"] == [" ".join(SCOPES)]
    assert query["code_challenge_method"] == ["S256"]
    assert query["state"] == [start.keep["state"]]
    assert len(start.keep["code_verifier"]) == 128
    assert query["code_challenge"][0] != start.keep["code_verifier"]


def test_connect_end_to_end_gives_working_credentials(sandbox_url):
    assert "OAUTHLIB_INSECURE_TRANSPORT" not in os.environ  # http:// redirect without it

    _, connected = _connect(sandbox_url, handle="FranceauJapon")

    credentials, account = connected.credentials, connected.account
    assert (account.account_id, account.handle, account.display_name) == (USER_ID, "FranceauJapon", "France au Japon")
    assert credentials.account_id == USER_ID
    assert credentials.refresh_token
    assert credentials.extra == {"handle": "FranceauJapon"}
    assert credentials.expires_at is not None
    assert credentials.expires_at.tzinfo is not None
    assert timedelta(hours=1) < credentials.expires_at - datetime.now(UTC) <= timedelta(hours=2, seconds=1)
    assert TWITTER.adapter(sandbox_url).check_credentials(credentials) == account
    assert credentials.access_token not in repr(credentials)


def test_finish_refuses_a_callback_with_another_state(sandbox_url):
    flow = TWITTER.flow(sandbox_url)
    start = flow.start(redirect_uri=REDIRECT_URI)
    params = _consent(start.authorize_url)

    with pytest.raises(AuthError, match="state"):
        flow.finish(redirect_uri=REDIRECT_URI, callback_params={**params, "state": "forged"}, kept=start.keep)


def test_finish_refuses_a_denied_consent(sandbox_url):
    flow = TWITTER.flow(sandbox_url)
    start = flow.start(redirect_uri=REDIRECT_URI)
    params = _consent(start.authorize_url, decision="deny")

    with pytest.raises(AuthError, match="access_denied"):
        flow.finish(redirect_uri=REDIRECT_URI, callback_params=params, kept=start.keep)


def test_finish_with_a_wrong_verifier_is_refused_by_x(sandbox_url):
    flow = TWITTER.flow(sandbox_url)
    start = flow.start(redirect_uri=REDIRECT_URI)
    params = _consent(start.authorize_url)

    with pytest.raises(AuthError, match="invalid_request"):
        flow.finish(redirect_uri=REDIRECT_URI, callback_params=params, kept={**start.keep, "code_verifier": "x" * 128})


def test_a_public_client_connects_too(sandbox_url):
    flow = TWITTER.flow(sandbox_url, app=AppCredentials(client_id="dh-public", client_secret=""))
    start = flow.start(redirect_uri=REDIRECT_URI)
    connected = flow.finish(redirect_uri=REDIRECT_URI, callback_params=_consent(start.authorize_url), kept=start.keep)
    assert flow.refresh(connected.credentials).access_token


def test_refresh_rotates_the_single_use_refresh_token(sandbox_url):
    flow, connected = _connect(sandbox_url)
    first = connected.credentials

    second = flow.refresh(first)
    third = flow.refresh(second)  # the new refresh token works, once

    assert len({first.refresh_token, second.refresh_token, third.refresh_token}) == 3
    assert len({first.access_token, second.access_token, third.access_token}) == 3
    assert (third.account_id, third.extra) == (first.account_id, first.extra)
    assert third.expires_at > datetime.now(UTC)
    assert TWITTER.adapter(sandbox_url).check_credentials(third).account_id == USER_ID
    with pytest.raises(AuthError, match="invalid_request"):
        flow.refresh(first)  # spent: X revokes the whole family


def test_refresh_of_a_revoked_account_is_an_auth_error(sandbox_url):
    flow, connected = _connect(sandbox_url)
    TWITTER.fault(sandbox_url, account=USER_ID, revoked=True)

    with pytest.raises(AuthError):
        flow.refresh(connected.credentials)


def test_refresh_when_x_fails_is_transient_and_may_have_spent_the_token(sandbox_url):
    flow, connected = _connect(sandbox_url)
    TWITTER.fault(sandbox_url, error_rate=1, count=1)

    with pytest.raises(TransientError) as caught:
        flow.refresh(connected.credentials)

    assert caught.value.request_sent is True
    assert caught.value.status_code == 503


def test_refresh_when_rate_limited_says_when_to_try_again(sandbox_url):
    flow, connected = _connect(sandbox_url)
    TWITTER.fault(sandbox_url, rate_limit_rate=1, rate_limit_reset_seconds=40, count=1)

    with pytest.raises(RateLimited) as caught:
        flow.refresh(connected.credentials)

    assert 35 <= caught.value.retry_after <= 41
    assert flow.refresh(connected.credentials).access_token  # the refresh token was not spent


def test_refresh_against_a_closed_port_was_never_sent():
    flow = TWITTER.flow(closed_port_url(), timeouts=Timeouts(connect=1, read=1))
    with pytest.raises(TransientError) as caught:
        flow.refresh(TWITTER.credentials().replace(refresh_token="sbxr.twitter.1.x"))
    assert caught.value.request_sent is False


def test_refresh_without_a_refresh_token_asks_to_reconnect(sandbox_url):
    with pytest.raises(AuthError, match="connect it again"):
        TWITTER.flow(sandbox_url).refresh(TWITTER.credentials())


def test_an_answer_without_a_refresh_token_keeps_the_old_one():
    credentials = _credentials_from({"access_token": "new", "expires_in": 7200}, previous_refresh_token="old")
    assert (credentials.access_token, credentials.refresh_token) == ("new", "old")
    assert credentials.expires_at > datetime.now(UTC) + timedelta(minutes=119)
