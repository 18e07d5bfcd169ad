"""FacebookAdapter and FacebookConnectFlow: facebook-sdk against the sandbox."""

import hashlib
import hmac
import io
import json
import logging
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import facebook
import pytest
import requests
from PIL import Image

from channels.adapters.base import (
    AppCredentials,
    AuthError,
    Content,
    Credentials,
    MediaFile,
    PermanentError,
    RateLimited,
    TransientError,
)
from channels.adapters.facebook import (
    GRAPH_VERSION,
    LIMITS,
    SCOPES,
    FacebookAdapter,
    _LastResponse,
    to_adapter_error,
)
from channels.adapters.transport import Timeouts
from live.media_samples import jpeg_bytes, mp4_bytes, png_bytes
from tests.channels.adapters.helpers import FACEBOOK, GPS_IFD, MB, consent, media_file, seed_hitting_call

PAGE_ID, OTHER_PAGE_ID = FACEBOOK.account_id, FACEBOOK.other_account_id
REDIRECT_URI = FACEBOOK.redirect_uri
APP = FACEBOOK.app


# --- Helpers ------------------------------------------------------------------------------------------


def _media(tmp_path: Path, data: bytes, name: str) -> MediaFile:
    return media_file(tmp_path, data, name, alt="The residence")


def _consent(authorize_url: str, *, decision: str = "authorize", page_id: str = PAGE_ID) -> dict[str, str]:
    """The administrator picks the Page on the sandbox's Login dialog; the callback's query."""
    return consent(
        authorize_url,
        redirect_uri=REDIRECT_URI,
        decision=decision,
        account_id=page_id,
        display_name="Ambassade de France au Japon",
        handle="AmbaFranceJP",
    )


# --- Publishing ------------------------------------------------------------------------------------------


def test_publish_text_goes_to_the_page_feed_once(sandbox_url):
    published = FACEBOOK.adapter(sandbox_url).publish(
        FACEBOOK.credentials(), Content(text="Fête nationale : réception 🇫🇷")
    )

    [item] = FACEBOOK.received(sandbox_url)
    assert (item["id"], item["kind"], item["text"]) == (published.external_id, "post", "Fête nationale : réception 🇫🇷")
    assert published.external_id.startswith(f"{PAGE_ID}_")
    assert FACEBOOK.count_of(sandbox_url, item["text"])["count"] == 1


def test_a_sandbox_post_links_to_the_sandbox_page_of_that_post(sandbox_url):
    published = FACEBOOK.adapter(sandbox_url).publish(FACEBOOK.credentials(), Content(text="Voir sur Facebook"))

    assert published.url == f"{sandbox_url}/_sandbox/post/facebook/{published.external_id}"
    shown = requests.get(published.url, timeout=5)
    assert shown.status_code == 200
    assert "Voir sur Facebook" in shown.text
    production = FacebookAdapter(sandbox_url=None, app=APP, timeouts=Timeouts())
    assert production._url("1_2") == "https://www.facebook.com/1_2"
    assert production._video_published("9", "1", post_id="1_2").url == "https://www.facebook.com/1/videos/9/"


def test_publish_one_image_is_a_photo_post_without_its_gps(sandbox_url, tmp_path):
    photo = _media(tmp_path, jpeg_bytes(with_gps=True), "reception.jpg")
    assert Image.open(photo.path).getexif().get_ifd(GPS_IFD)

    published = FACEBOOK.adapter(sandbox_url).publish(FACEBOOK.credentials(), Content(text="Réception", media=(photo,)))

    [item] = FACEBOOK.received(sandbox_url)
    assert (item["id"], item["kind"], item["text"]) == (published.external_id, "photo", "Réception")
    assert published.external_id.startswith(f"{PAGE_ID}_")  # the photo's post, not the photo
    assert item["media"][0]["alt_text"] == "The residence"  # sent as alt_text_custom
    stored = requests.get(f"{sandbox_url}{item['media'][0]['url']}", timeout=5).content
    assert not Image.open(io.BytesIO(stored)).getexif().get_ifd(GPS_IFD)
    assert b"CameraMaker" not in stored


def test_publish_several_images_is_one_post_with_every_image(sandbox_url, tmp_path):
    photos = (
        _media(tmp_path, png_bytes(color="navy"), "a.png"),
        _media(tmp_path, jpeg_bytes(), "b.jpg"),
        _media(tmp_path, png_bytes(color="red"), "c.png"),
    )

    published = FACEBOOK.adapter(sandbox_url).publish(
        FACEBOOK.credentials(), Content(text="Trois images", media=photos)
    )

    [item] = FACEBOOK.received(sandbox_url)  # the unpublished photos are not posts of their own
    assert (item["id"], item["kind"]) == (published.external_id, "post")
    assert [media["type"] for media in item["media"]] == ["image/png", "image/jpeg", "image/png"]
    assert [media["alt_text"] for media in item["media"]] == ["The residence"] * 3


def _observe_urls(monkeypatch) -> list[str]:
    """Every URL the adapter's Graph sessions call, as sent (before the sandbox rewrite)."""
    urls: list[str] = []
    make_graph = FacebookAdapter._graph

    def observed_graph(self, credentials):
        graph, last = make_graph(self, credentials)
        graph.session.hooks["response"].append(
            lambda response, *args, **kwargs: urls.append(response.request.headers["X-Sandbox-Original-Url"])
        )
        return graph, last

    monkeypatch.setattr(FacebookAdapter, "_graph", observed_graph)
    return urls


def test_a_video_goes_up_resumably_on_the_video_host(sandbox_url, tmp_path, monkeypatch):
    urls = _observe_urls(monkeypatch)
    video = _media(tmp_path, mp4_bytes(seconds=30, padding=2 * MB), "speech.mp4")  # three 1 MiB ranges
    parts: list[int] = []

    published = FACEBOOK.adapter(sandbox_url).publish(
        FACEBOOK.credentials(), Content(text="Discours", media=(video,)), progress=lambda: parts.append(1)
    )

    [item] = FACEBOOK.received(sandbox_url)
    assert (item["id"], item["kind"], item["text"]) == (published.external_id, "video", "Discours")
    assert [(m["type"], m["size"]) for m in item["media"]] == [("video/mp4", video.size)]
    uploads = [url for url in urls if url.startswith("https://graph-video.facebook.com/v24.0/")]
    assert len(uploads) == 2 + len(parts)  # start, each transfer, finish
    assert len(parts) == 3
    # Both ids: the Video (what deleting names) and the Page post that shows it.
    assert published.post_id.startswith(f"{PAGE_ID}_")
    assert published.external_id != published.post_id
    assert published.url == f"{sandbox_url}/_sandbox/post/facebook/{published.external_id}"


def test_a_transfer_facebook_fails_is_sent_again_as_its_error_says(sandbox_url, tmp_path):
    video = _media(tmp_path, mp4_bytes(seconds=30, padding=2 * MB), "speech.mp4")
    FACEBOOK.fault(sandbox_url, refusal="transfer_failed", count=2)  # the start, then the first transfer

    published = FACEBOOK.adapter(sandbox_url).publish(FACEBOOK.credentials(), Content(text="Reprise", media=(video,)))

    [item] = FACEBOOK.received(sandbox_url)
    assert (item["id"], item["media"][0]["size"]) == (published.external_id, video.size)


def test_a_transfer_that_keeps_failing_is_transient_and_before_any_post(sandbox_url, tmp_path):
    FACEBOOK.fault(sandbox_url, refusal="transfer_failed")

    with pytest.raises(TransientError, match="code 6001, subcode 1363037") as raised:
        FACEBOOK.adapter(sandbox_url).publish(
            FACEBOOK.credentials(), Content(text="Échec", media=(_media(tmp_path, mp4_bytes(), "v.mp4"),))
        )

    assert raised.value.request_sent is False
    assert FACEBOOK.received(sandbox_url) == []


def test_a_failed_video_transfer_is_before_any_post_and_a_failed_finish_may_have_posted(sandbox_url, tmp_path):
    video = _media(tmp_path, mp4_bytes(), "clip.mp4")  # start, one transfer, finish
    adapter = FACEBOOK.adapter(sandbox_url)

    FACEBOOK.fault(sandbox_url, error_rate=0.5, seed=seed_hitting_call(2))
    with pytest.raises(TransientError) as transfer:
        adapter.publish(FACEBOOK.credentials(), Content(text="Vidéo", media=(video,)))
    requests.delete(f"{sandbox_url}/_sandbox/faults", timeout=5)
    FACEBOOK.fault(sandbox_url, error_rate=0.5, seed=seed_hitting_call(3))
    with pytest.raises(TransientError) as finish:
        adapter.publish(FACEBOOK.credentials(), Content(text="Vidéo", media=(video,)))

    assert (transfer.value.request_sent, finish.value.request_sent) == (False, True)
    assert FACEBOOK.received(sandbox_url) == []  # the sandbox's 5xx stores nothing


def test_page_tokens_never_travel_in_a_url_nor_reach_a_log(sandbox_url, tmp_path, monkeypatch, caplog):
    """The token goes in a header: not in a URL (proxies, access logs, error reports keep
    URLs), not in a log line of ours, of requests, of urllib3 or of the sandbox."""
    urls = _observe_urls(monkeypatch)
    caplog.set_level(logging.DEBUG)
    adapter, credentials = FACEBOOK.adapter(sandbox_url), FACEBOOK.credentials()
    photo, video = _media(tmp_path, png_bytes(), "a.png"), _media(tmp_path, mp4_bytes(), "v.mp4")

    text = adapter.publish(credentials, Content(text="Jeton caché"))
    adapter.publish(credentials, Content(text="", media=(photo,)))
    clip = adapter.publish(credentials, Content(text="", media=(video,)))
    adapter.check_credentials(credentials)
    adapter.fetch_metrics(credentials)
    adapter.fetch_metrics(credentials, text.external_id)
    adapter.find_published(credentials, Content(text="Jeton caché"), since=datetime.now(UTC) - timedelta(hours=1))
    adapter.delete(credentials, clip.external_id)
    FACEBOOK.fault(sandbox_url, error_rate=1, count=1)
    with pytest.raises(TransientError) as failure:
        adapter.delete(credentials, text.external_id)

    assert len(urls) >= 10
    assert all("appsecret_proof=" in url for url in urls)
    for seen in (*urls, caplog.text, str(failure.value), repr(failure.value)):
        assert credentials.access_token not in seen
        assert "access_token" not in seen


def test_the_sandbox_refuses_calls_without_the_app_secret_proof_or_with_a_wrong_one(sandbox_url):
    credentials = FACEBOOK.credentials()
    no_secret = FacebookAdapter(sandbox_url=sandbox_url, app=AppCredentials("dh-fb-app", ""), timeouts=Timeouts())
    wrong = FacebookAdapter(sandbox_url=sandbox_url, app=AppCredentials("dh-fb-app", "guess"), timeouts=Timeouts())

    with pytest.raises(PermanentError, match="require an appsecret_proof"):
        no_secret.publish(credentials, Content(text="Sans preuve"))
    with pytest.raises(PermanentError, match="Invalid appsecret_proof"):
        wrong.publish(credentials, Content(text="Mauvaise preuve"))
    assert FACEBOOK.received(sandbox_url) == []
    assert FACEBOOK.adapter(sandbox_url).check_credentials(credentials).account_id == PAGE_ID


def test_a_user_token_may_not_publish(sandbox_url):
    credentials = Credentials(access_token=f"sbx.facebook.{PAGE_ID}.user-token", account_id=PAGE_ID)
    with pytest.raises(AuthError, match="code 200"):
        FACEBOOK.adapter(sandbox_url).publish(credentials, Content(text="Avec le mauvais jeton"))


def test_calls_use_the_graph_version_we_set_not_the_sdk_default(sandbox_url):
    adapter = FACEBOOK.adapter(sandbox_url)
    seen: list[str] = []
    graph, _ = adapter._graph(FACEBOOK.credentials())
    graph.session.hooks["response"].append(lambda response, *args, **kwargs: seen.append(response.url))

    graph.get_object("me", fields="id")

    assert GRAPH_VERSION == "v24.0"
    token = FACEBOOK.credentials().access_token
    proof = hmac.new(APP.client_secret.encode(), token.encode(), hashlib.sha256).hexdigest()
    assert seen == [f"{sandbox_url}/facebook/v24.0/me?fields=id&appsecret_proof={proof}"]


# --- Delete, credentials, metrics, reconciliation -----------------------------------------------------


def test_delete_a_video_removes_the_video_not_only_its_post(sandbox_url, tmp_path):
    adapter = FACEBOOK.adapter(sandbox_url)
    video = _media(tmp_path, mp4_bytes(), "clip.mp4")
    published = adapter.publish(FACEBOOK.credentials(), Content(text="Vidéo", media=(video,)))

    adapter.delete(FACEBOOK.credentials(), published.external_id)

    [item] = FACEBOOK.received(sandbox_url)
    assert item["deleted"] is True
    with pytest.raises(PermanentError, match="code 100, subcode 33"):
        adapter.fetch_metrics(FACEBOOK.credentials(), published.external_id)


def test_reconciling_a_video_finds_the_video_and_its_post_and_a_text_its_post(sandbox_url, tmp_path):
    adapter, credentials = FACEBOOK.adapter(sandbox_url), FACEBOOK.credentials()
    since = datetime.now(UTC) - timedelta(minutes=1)
    video = Content(text="Vidéo à retrouver", media=(_media(tmp_path, mp4_bytes(), "clip.mp4"),))
    text = Content(text="Texte à retrouver")
    published_video, published_text = adapter.publish(credentials, video), adapter.publish(credentials, text)

    assert adapter.find_published(credentials, video, since=since) == published_video
    assert adapter.find_published(credentials, text, since=since) == published_text
    assert adapter.find_published(credentials, Content(text="Jamais publié"), since=since) is None


def test_fetch_metrics_of_the_page_of_a_post_and_of_a_video(sandbox_url, tmp_path):
    adapter = FACEBOOK.adapter(sandbox_url)
    post = adapter.publish(FACEBOOK.credentials(), Content(text="Mesurez-moi"))
    clip = _media(tmp_path, mp4_bytes(), "v.mp4")
    video = adapter.publish(FACEBOOK.credentials(), Content(text="Et moi", media=(clip,)))

    page = adapter.fetch_metrics(FACEBOOK.credentials())
    post_metrics = adapter.fetch_metrics(FACEBOOK.credentials(), post.external_id)
    video_metrics = adapter.fetch_metrics(FACEBOOK.credentials(), video.external_id)

    assert page.followers is not None
    assert page.followers > 0
    assert None not in (post_metrics.likes, post_metrics.comments, post_metrics.shares)
    assert post_metrics.shares == 0  # Graph leaves `shares` out until a post is shared
    assert None not in (video_metrics.likes, video_metrics.comments)  # asked as a Video has them
    assert video_metrics.shares is None  # a Video has no `shares`


def test_a_temporary_block_368_waits_and_retries(sandbox_url):
    FACEBOOK.fault(sandbox_url, refusal="blocked", count=1)

    with pytest.raises(RateLimited, match="code 368") as caught:
        FACEBOOK.adapter(sandbox_url).publish(FACEBOOK.credentials(), Content(text="Bloqué un temps"))

    assert caught.value.retry_after >= 30 * 60
    assert FACEBOOK.received(sandbox_url) == []


# --- Errors, each kind through the sandbox's faults ---------------------------------------------------


def test_page_rate_limit_waits_as_long_as_the_usage_header_says(sandbox_url):
    FACEBOOK.fault(sandbox_url, rate_limit_rate=1, rate_limit_reset_seconds=90, count=1)

    with pytest.raises(RateLimited) as caught:
        FACEBOOK.adapter(sandbox_url).publish(FACEBOOK.credentials(), Content(text="Trop tôt"))

    assert caught.value.retry_after == 120  # estimated_time_to_regain_access: 2 (minutes)
    assert "code 32" in caught.value.detail
    assert FACEBOOK.received(sandbox_url) == []


def test_a_server_error_on_the_post_may_have_posted(sandbox_url):
    FACEBOOK.fault(sandbox_url, error_rate=1, count=1)

    with pytest.raises(TransientError) as caught:
        FACEBOOK.adapter(sandbox_url).publish(FACEBOOK.credentials(), Content(text="Erreur 500"))

    assert caught.value.request_sent is True
    assert caught.value.status_code == 500
    assert FACEBOOK.received(sandbox_url) == []


def test_a_failure_while_uploading_unpublished_photos_is_before_any_post(sandbox_url, tmp_path):
    photos = (_media(tmp_path, png_bytes(), "a.png"), _media(tmp_path, png_bytes(color="red"), "b.png"))
    FACEBOOK.fault(sandbox_url, error_rate=1, count=1)

    with pytest.raises(TransientError) as caught:
        FACEBOOK.adapter(sandbox_url).publish(FACEBOOK.credentials(), Content(text="Deux images", media=photos))

    assert caught.value.request_sent is False
    assert FACEBOOK.received(sandbox_url) == []


def test_a_failure_of_a_single_photo_post_may_have_posted(sandbox_url, tmp_path):
    FACEBOOK.fault(sandbox_url, error_rate=1, count=1)

    photo = _media(tmp_path, png_bytes(), "a.png")
    with pytest.raises(TransientError) as caught:
        FACEBOOK.adapter(sandbox_url).publish(FACEBOOK.credentials(), Content(text="Une image", media=(photo,)))

    assert caught.value.request_sent is True  # the photo upload is the post itself


def test_the_same_text_twice_is_refused_as_a_duplicate(sandbox_url):
    adapter = FACEBOOK.adapter(sandbox_url)
    adapter.publish(FACEBOOK.credentials(), Content(text="Une seule fois"))

    with pytest.raises(PermanentError, match="code 506") as caught:
        adapter.publish(FACEBOOK.credentials(), Content(text="Une seule fois"))

    assert caught.value.duplicate is True
    counts = FACEBOOK.count_of(sandbox_url, "Une seule fois")
    assert (counts["count"], counts["duplicates_refused"]) == (1, 1)


def _graph_error(
    code: int | None, *, subcode: int | None = None, message: str = "Oops", **extra
) -> facebook.GraphAPIError:
    if code is None:
        return facebook.GraphAPIError("Maintype was not text, image, or querystring")
    error = {"message": message, "type": "OAuthException", "code": code, **extra}
    if subcode is not None:
        error["error_subcode"] = subcode
    return facebook.GraphAPIError({"error": error})


@pytest.mark.parametrize(
    ("code", "extra", "kind"),
    [
        (190, {"subcode": 463}, AuthError),
        (102, {}, AuthError),
        (10, {}, AuthError),
        (200, {}, AuthError),
        (299, {}, AuthError),
        (4, {"is_transient": True}, RateLimited),
        (17, {}, RateLimited),
        (32, {}, RateLimited),
        (341, {}, RateLimited),
        (613, {}, RateLimited),
        (80001, {}, RateLimited),
        (1, {}, TransientError),
        (2, {}, TransientError),
        (9999, {"is_transient": True}, TransientError),
        (100, {"subcode": 33}, PermanentError),
        (1609005, {}, PermanentError),
    ],
)
def test_each_graph_code_maps_to_its_kind(code, extra, kind):
    error = to_adapter_error(_graph_error(code, **extra), _LastResponse(status=400))
    assert type(error) is kind
    assert f"code {code}" in error.detail


def test_duplicates_are_506_or_368_already_posted():
    answer = _LastResponse(status=400)
    duplicate = to_adapter_error(_graph_error(506, message="(#506) Duplicate status message"), answer)
    already = to_adapter_error(_graph_error(368, message="You've already posted this."), answer)
    blocked = to_adapter_error(_graph_error(368, message="You're temporarily blocked."), answer)
    assert (duplicate.duplicate, already.duplicate) == (True, True)
    assert isinstance(blocked, RateLimited)  # Meta's guide: wait and retry


def test_a_non_json_server_error_is_judged_by_the_recorded_status():
    error = to_adapter_error(_graph_error(None), _LastResponse(status=502))
    assert isinstance(error, TransientError)
    assert (error.request_sent, error.status_code) == (True, 502)
    before_post = to_adapter_error(_graph_error(None), _LastResponse(status=503), may_have_posted=False)
    assert before_post.request_sent is False
    assert isinstance(to_adapter_error(_graph_error(None), _LastResponse(status=404)), PermanentError)


def test_a_graph_error_with_a_5xx_status_is_transient_whatever_its_code():
    error = to_adapter_error(_graph_error(100), _LastResponse(status=500))
    assert isinstance(error, TransientError)


def test_rate_limits_read_the_longest_wait_of_the_usage_headers():
    headers = {
        "x-app-usage": json.dumps({"call_count": 100, "total_time": 20, "total_cputime": 10}),
        "x-business-use-case-usage": json.dumps(
            {
                PAGE_ID: [
                    {"type": "pages", "call_count": 100, "estimated_time_to_regain_access": 5},
                    {"type": "pages", "call_count": 90, "estimated_time_to_regain_access": 12},
                ]
            }
        ),
        "x-page-usage": json.dumps({"call_count": 100, "estimated_time_to_regain_access": 3}),
    }
    error = to_adapter_error(_graph_error(80001), _LastResponse(status=400, headers=headers))
    assert error.retry_after == 12 * 60
    unspecific = to_adapter_error(_graph_error(4), _LastResponse(status=400, headers={"x-app-usage": "{}"}))
    assert unspecific.retry_after == 60
    garbled_headers = {"x-page-usage": "not json"}
    garbled = to_adapter_error(_graph_error(32), _LastResponse(status=400, headers=garbled_headers))
    assert garbled.retry_after == 60


def test_an_unknown_exception_is_not_ours_to_map():
    assert to_adapter_error(ZeroDivisionError(), _LastResponse()) is None


# --- Validation --------------------------------------------------------------------------------------------


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
    adapter = FacebookAdapter(sandbox_url=None, app=APP, timeouts=Timeouts())
    return [problem.message for problem in adapter.validate(content)]


def test_validate_accepts_what_facebook_takes():
    assert _messages(Content(text="a" * 63_206)) == []
    images = tuple(_declared(f"{n}.jpg", "image/jpeg", "image", 9 * MB) for n in range(10))
    assert _messages(Content(text="", media=images)) == []
    video = _declared("v.mp4", "video/mp4", "video", 200 * MB, duration_seconds=20 * 60.0, alt_text="")
    assert _messages(Content(text="", media=(video,))) == []


def test_validate_says_how_much_too_long_the_text_is():
    problems = FacebookAdapter(sandbox_url=None, app=APP, timeouts=Timeouts()).validate(Content(text="é" * 63_300))
    assert [(p.network, p.field, p.message) for p in problems] == [
        ("facebook", "text", "The text is 94 characters too long for Facebook (63,300 of 63,206).")
    ]


def test_validate_lists_every_media_problem_at_once():
    images = tuple(_declared(f"{n}.png", "image/png", "image", MB) for n in range(11))
    big = _declared("poster.png", "image/png", "image", 11 * MB)
    video = _declared("speech.mp4", "video/mp4", "video", 50 * MB, duration_seconds=21 * 60.0, alt_text="")

    messages = _messages(Content(text="Trop", media=(*images, big, video)))

    assert "Facebook takes at most 10 images per post; this message has 12." in messages
    assert "Facebook cannot show images and a video in the same post." in messages
    assert "The image “poster.png” is 11 MB; Facebook takes images up to 10 MB." in messages
    assert "The video is 21 min long; Facebook takes at most 20 min." in messages


def test_validate_refuses_an_empty_post():
    assert _messages(Content(text="")) == ["Facebook needs a text, an image or a video."]


def test_limits_are_the_ones_we_chose():
    assert (LIMITS.text_max, LIMITS.max_images, LIMITS.max_videos) == (63_206, 10, 1)
    assert (LIMITS.image_max_bytes, LIMITS.video_max_bytes, LIMITS.video_max_seconds) == (10 * MB, 1024 * MB, 1200.0)


# --- Connecting a Page -----------------------------------------------------------------------------------


def test_start_sends_the_browser_to_the_login_dialog_with_our_scopes(sandbox_url):
    start = FACEBOOK.flow(sandbox_url).start(redirect_uri=REDIRECT_URI)

    query = parse_qs(urlsplit(start.authorize_url).query)
    assert start.authorize_url.startswith(f"{sandbox_url}/facebook/v24.0/dialog/oauth?")
    assert query["scope"] == [",".join(SCOPES)]
    assert query["client_id"] == [APP.client_id]
    assert query["redirect_uri"] == [REDIRECT_URI]
    assert query["state"] == [start.keep["state"]]


def test_connect_end_to_end_gives_a_page_token_that_publishes(sandbox_url):
    flow = FACEBOOK.flow(sandbox_url)
    start = flow.start(redirect_uri=REDIRECT_URI)

    connected = flow.finish(redirect_uri=REDIRECT_URI, callback_params=_consent(start.authorize_url), kept=start.keep)

    credentials, account = connected.credentials, connected.account
    assert (credentials.account_id, credentials.expires_at, credentials.refresh_token) == (PAGE_ID, None, "")
    assert (account.account_id, account.handle, account.display_name) == (
        PAGE_ID,
        "AmbaFranceJP",
        "Ambassade de France au Japon",
    )
    published = FACEBOOK.adapter(sandbox_url).publish(credentials, Content(text="Premier message"))
    assert published.external_id.startswith(f"{PAGE_ID}_")
    assert flow.refresh(credentials) is credentials  # a long-lived Page token does not expire


def test_connect_the_page_the_administrator_asked_for(sandbox_url):
    flow = FACEBOOK.flow(sandbox_url)
    start = flow.start(redirect_uri=REDIRECT_URI)
    params = _consent(start.authorize_url)

    connected = flow.finish(redirect_uri=REDIRECT_URI, callback_params=params, kept={**start.keep, "page_id": PAGE_ID})

    assert connected.credentials.account_id == PAGE_ID


def test_connect_refuses_when_the_user_does_not_manage_the_page_asked_for(sandbox_url):
    flow = FACEBOOK.flow(sandbox_url)
    start = flow.start(redirect_uri=REDIRECT_URI)
    params = _consent(start.authorize_url)

    with pytest.raises(AuthError, match="No Page"):
        flow.finish(redirect_uri=REDIRECT_URI, callback_params=params, kept={**start.keep, "page_id": OTHER_PAGE_ID})


def test_finish_refuses_a_callback_with_another_state(sandbox_url):
    flow = FACEBOOK.flow(sandbox_url)
    start = flow.start(redirect_uri=REDIRECT_URI)
    params = _consent(start.authorize_url)

    with pytest.raises(AuthError, match="state"):
        flow.finish(redirect_uri=REDIRECT_URI, callback_params={**params, "state": "forged"}, kept=start.keep)


def test_finish_refuses_a_denied_login(sandbox_url):
    flow = FACEBOOK.flow(sandbox_url)
    start = flow.start(redirect_uri=REDIRECT_URI)

    with pytest.raises(AuthError, match="user_denied"):
        flow.finish(
            redirect_uri=REDIRECT_URI, callback_params=_consent(start.authorize_url, decision="deny"), kept=start.keep
        )


def test_finish_with_another_redirect_uri_is_refused_by_facebook(sandbox_url):
    flow = FACEBOOK.flow(sandbox_url)
    start = flow.start(redirect_uri=REDIRECT_URI)
    params = _consent(start.authorize_url)

    with pytest.raises(AuthError, match="code 100, subcode 36008"):
        flow.finish(redirect_uri=REDIRECT_URI + "/other", callback_params=params, kept=start.keep)
