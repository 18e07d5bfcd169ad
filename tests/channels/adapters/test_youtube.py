"""YouTubeAdapter and YouTubeConnectFlow: google-api-python-client against the sandbox."""

from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlsplit

import httplib2
import pytest
import requests
from googleapiclient.errors import HttpError

from channels.adapters import get_connect_flow
from channels.adapters.base import (
    AuthError,
    Content,
    Credentials,
    MediaFile,
    PermanentError,
    RateLimited,
    TransientError,
)
from channels.adapters.transport import Timeouts
from channels.adapters.youtube import (
    ANALYTICS_SCOPE,
    CHUNK_SIZE,
    SCOPES,
    YouTubeAdapter,
    _credentials_from_token,
    _from_http_error,
    _require_scopes,
    analytics_granted,
    seconds_until_quota_reset,
)
from channels.media import video_metadata_boxes
from live.media_samples import mp4_bytes, png_bytes
from tests.channels.adapters.helpers import YOUTUBE, closed_port_url, consent, media_file, seed_hitting_call
from tests.channels.test_media import _video_with_location

CHANNEL = YOUTUBE.account_id
REDIRECT_URI = YOUTUBE.redirect_uri
APP = YOUTUBE.app


# --- Helpers --------------------------------------------------------------------------------------


# --- Publishing and the other calls ---------------------------------------------------------------


def test_publish_uploads_the_video_with_its_reference_tag(sandbox_url, tmp_path):
    content = YOUTUBE.sample(tmp_path)

    published = YOUTUBE.adapter(sandbox_url).publish(YOUTUBE.credentials(), content)

    # A sandbox account's link is the sandbox's page of the video (issue 13).
    assert published.url == f"{sandbox_url}/_sandbox/post/youtube/{published.external_id}"
    assert content.title in requests.get(published.url, timeout=5).text
    production = YouTubeAdapter(sandbox_url=None, app=YOUTUBE.app, timeouts=Timeouts())
    assert production._url("abc") == "https://www.youtube.com/watch?v=abc"
    [item] = YOUTUBE.received(sandbox_url)
    assert item["id"] == published.external_id
    assert (item["title"], item["text"]) == ("National day 2026", content.text)
    assert item["tags"] == ["diplomacy", "national day", "dh-4f9c2a"]
    assert item["media"][0]["size"] == content.media[0].size


def test_publish_sends_a_big_video_in_chunks(sandbox_url, tmp_path):
    content = YOUTUBE.sample(tmp_path, padding=2 * CHUNK_SIZE + 1000)  # three chunks

    YOUTUBE.adapter(sandbox_url).publish(YOUTUBE.credentials(), content)

    [item] = YOUTUBE.received(sandbox_url)
    assert item["media"][0]["size"] == content.media[0].size > 2 * CHUNK_SIZE


def test_publish_reports_progress_after_each_chunk_but_the_last(sandbox_url, tmp_path):
    """The engine's heartbeat (posts.services.delivery._progress_heartbeat) rides on this:
    a long upload that calls it is not taken for a dead worker by the sweeper."""
    content = YOUTUBE.sample(tmp_path, padding=2 * CHUNK_SIZE + 1000)  # three chunks
    calls = []

    YOUTUBE.adapter(sandbox_url).publish(YOUTUBE.credentials(), content, progress=lambda: calls.append(1))

    assert len(calls) == 2
    assert len(YOUTUBE.received(sandbox_url)) == 1


def test_uploads_of_two_accounts_share_no_credentials(sandbox_url, tmp_path):
    """The videos collection is built once per process; each upload still goes out on its
    own account's token (a shared transport would post to the first account's channel)."""
    adapter = YOUTUBE.adapter(sandbox_url)
    first = adapter.publish(YOUTUBE.credentials(), YOUTUBE.sample(tmp_path))
    second = adapter.publish(YOUTUBE.credentials(YOUTUBE.other_account_id), YOUTUBE.sample(tmp_path))
    assert [item["id"] for item in YOUTUBE.received(sandbox_url)] == [first.external_id]
    assert [item["id"] for item in YOUTUBE.received(sandbox_url, YOUTUBE.other_account_id)] == [second.external_id]


def test_publish_sends_the_video_without_its_location(sandbox_url, tmp_path):
    """The sandbox keeps no video bytes; the blanking itself is tested in test_media."""
    path = tmp_path / "phone.mp4"
    path.write_bytes(_video_with_location())
    assert video_metadata_boxes(path)
    video = MediaFile(path=str(path), mime_type="video/mp4", kind="video", size=path.stat().st_size, duration_seconds=7)
    content = Content(text="From the phone", title="Arrival", media=(video,), reference="dh-phone")

    YOUTUBE.adapter(sandbox_url).publish(YOUTUBE.credentials(), content)

    [item] = YOUTUBE.received(sandbox_url)
    assert item["media"][0]["size"] == video.size  # emptied in place: same size
    assert video_metadata_boxes(path)  # the stored original is left as it was


def test_fetch_metrics_of_the_channel_and_of_a_video(sandbox_url, tmp_path):
    adapter = YOUTUBE.adapter(sandbox_url)
    published = adapter.publish(YOUTUBE.credentials(), YOUTUBE.sample(tmp_path))

    channel = adapter.fetch_metrics(YOUTUBE.credentials())
    video = adapter.fetch_metrics(YOUTUBE.credentials(), published.external_id)

    assert channel.followers is not None
    assert channel.followers >= 0
    assert video.views is not None
    assert video.likes is not None
    assert video.comments is not None


def test_fetch_metrics_of_a_deleted_video_is_a_permanent_error(sandbox_url, tmp_path):
    adapter = YOUTUBE.adapter(sandbox_url)
    published = adapter.publish(YOUTUBE.credentials(), YOUTUBE.sample(tmp_path))
    adapter.delete(YOUTUBE.credentials(), published.external_id)
    with pytest.raises(PermanentError, match="no such video"):
        adapter.fetch_metrics(YOUTUBE.credentials(), published.external_id)


# --- Validation -----------------------------------------------------------------------------------


def _messages(problems) -> list[str]:
    return [problem.message for problem in problems]


def test_validate_accepts_a_good_video(sandbox_url, tmp_path):
    assert YOUTUBE.adapter(sandbox_url).validate(YOUTUBE.sample(tmp_path)) == []


def test_validate_needs_a_video_and_a_title(sandbox_url):
    problems = YOUTUBE.adapter(sandbox_url).validate(Content(text="Hello"))
    assert _messages(problems) == ["YouTube needs a title.", "YouTube needs a video."]
    assert {problem.network for problem in problems} == {"youtube"}


def test_validate_counts_the_description_in_bytes(sandbox_url, tmp_path):
    content = YOUTUBE.sample(tmp_path)
    text = "é" * 2501  # 2,501 characters, 5,002 bytes
    problems = YOUTUBE.adapter(sandbox_url).validate(Content(text=text, title=content.title, media=content.media))
    assert _messages(problems) == [
        "The description is 2 bytes too long for YouTube (5,002 of 5,000). "
        "Accented letters count 2 bytes, most Asian scripts 3, emoji 4."
    ]
    assert problems[0].field == "text"


def test_validate_refuses_angle_brackets_long_titles_and_too_many_tags(sandbox_url, tmp_path):
    content = YOUTUBE.sample(tmp_path)
    bad = Content(text="a <b> c", title="x" * 101, media=content.media, tags=("t" * 60,) * 9, reference="dh-4f9c2a")
    problems = YOUTUBE.adapter(sandbox_url).validate(bad)
    assert _messages(problems) == [
        "The title is 1 character too long for YouTube (101 of 100).",
        "YouTube does not accept < or > in a description.",
        "Together the tags are 58 characters too long for YouTube (558 of 500). Commas between tags, "
        "and quotes around tags with spaces, count too. That includes our tracking tag “dh-4f9c2a”.",
    ]
    assert [problem.field for problem in problems] == ["title", "text", "tags"]


def test_validate_checks_the_media(sandbox_url, tmp_path):
    image = tmp_path / "x.png"
    image.write_bytes(png_bytes())
    long_video = media_file(tmp_path, mp4_bytes(seconds=16 * 60 + 5), "long.mp4")
    content = Content(
        text="t",
        title="t",
        media=(long_video, MediaFile(path=str(image), mime_type="image/png", kind="image", size=100)),
    )
    assert _messages(YOUTUBE.adapter(sandbox_url).validate(content)) == [
        "YouTube does not take images: remove “x.png”.",
        "The video is 16 min 5 s long; YouTube takes at most 15 min.",
        "The image “x.png” has no alt text: describe it for people who cannot see it.",
    ]


# --- Errors ---------------------------------------------------------------------------------------


def test_a_rate_limit_is_youtubes_403_and_waits(sandbox_url, tmp_path):
    YOUTUBE.fault(sandbox_url, rate_limit_rate=1.0, rate_limit_reset_seconds=30, count=1)

    with pytest.raises(RateLimited) as raised:
        YOUTUBE.adapter(sandbox_url).publish(YOUTUBE.credentials(), YOUTUBE.sample(tmp_path))

    assert (raised.value.status_code, raised.value.retry_after) == (403, 30)
    assert "rateLimitExceeded" in raised.value.detail
    assert YOUTUBE.received(sandbox_url) == []


def test_a_spent_daily_quota_waits_until_midnight_pacific(sandbox_url, tmp_path):
    YOUTUBE.fault(sandbox_url, refusal="quota", count=1)

    with pytest.raises(RateLimited) as raised:
        YOUTUBE.adapter(sandbox_url).publish(YOUTUBE.credentials(), YOUTUBE.sample(tmp_path))

    assert raised.value.status_code == 403
    assert "quotaExceeded" in raised.value.detail
    assert raised.value.retry_after == pytest.approx(seconds_until_quota_reset(), abs=5)
    assert YOUTUBE.received(sandbox_url) == []


def test_reconciliation_reads_the_uploads_playlist_past_its_first_page(sandbox_url, tmp_path):
    """Through channels.list(contentDetails) and playlistItems.list, never search.list (100
    quota units, lagging, and refused with publishedAfter: the sandbox refuses it too)."""
    adapter, credentials = YOUTUBE.adapter(sandbox_url), YOUTUBE.credentials()
    since = datetime.now(UTC) - timedelta(minutes=1)
    ours = adapter.publish(credentials, YOUTUBE.sample(tmp_path, reference="dh-ours"))
    for index in range(50):  # newer uploads push ours onto the playlist's second page of 50
        adapter.publish(credentials, YOUTUBE.sample(tmp_path, reference=f"dh-later{index}", title=f"Later {index}"))

    assert adapter.find_published(credentials, YOUTUBE.sample(tmp_path, reference="dh-ours"), since) == ours
    assert adapter.find_published(credentials, YOUTUBE.sample(tmp_path, reference="dh-nowhere"), since) is None


def test_a_5xx_when_opening_the_upload_session_is_safe_to_send_again(sandbox_url, tmp_path):
    """No video exists before its last byte arrived: request_sent is False."""
    YOUTUBE.fault(sandbox_url, error_rate=1.0, count=1)
    with pytest.raises(TransientError) as raised:
        YOUTUBE.adapter(sandbox_url).publish(YOUTUBE.credentials(), YOUTUBE.sample(tmp_path))
    assert raised.value.request_sent is False
    assert raised.value.status_code == 503
    assert YOUTUBE.received(sandbox_url) == []


def test_a_5xx_on_the_last_chunk_leaves_the_outcome_unknown(sandbox_url, tmp_path):
    YOUTUBE.fault(sandbox_url, error_rate=0.5, count=2, seed=seed_hitting_call(2))
    with pytest.raises(TransientError) as raised:
        YOUTUBE.adapter(sandbox_url).publish(YOUTUBE.credentials(), YOUTUBE.sample(tmp_path))
    assert raised.value.request_sent is True
    assert raised.value.status_code == 503


def test_a_5xx_on_delete_may_have_deleted(sandbox_url, tmp_path):
    adapter = YOUTUBE.adapter(sandbox_url)
    published = adapter.publish(YOUTUBE.credentials(), YOUTUBE.sample(tmp_path))
    YOUTUBE.fault(sandbox_url, error_rate=1.0, count=1)
    with pytest.raises(TransientError) as raised:
        adapter.delete(YOUTUBE.credentials(), published.external_id)
    assert raised.value.request_sent is True


def test_a_timeout_while_opening_the_session_created_nothing(sandbox_url, tmp_path):
    YOUTUBE.fault(sandbox_url, timeout_rate=1.0, hang_seconds=3, count=1)
    adapter = YOUTUBE.adapter(sandbox_url, Timeouts(connect=1, read=1))
    with pytest.raises(TransientError) as raised:
        adapter.publish(YOUTUBE.credentials(), YOUTUBE.sample(tmp_path))
    assert raised.value.request_sent is False
    assert YOUTUBE.received(sandbox_url) == []


def _http_error(status: int, reason: str, headers: dict | None = None) -> HttpError:
    body = (
        f'{{"error": {{"code": {status}, "message": "m", "errors": '
        f'[{{"reason": "{reason}", "domain": "youtube.quota", "message": "m"}}]}}}}'
    ).encode()
    return HttpError(httplib2.Response({"status": status, **(headers or {})}), body)


@pytest.mark.parametrize(
    ("status", "reason", "kind"),
    [
        (403, "quotaExceeded", RateLimited),
        (403, "uploadLimitExceeded", RateLimited),
        (403, "rateLimitExceeded", RateLimited),
        (403, "forbidden", AuthError),
        (403, "insufficientPermissions", AuthError),
        (401, "authError", AuthError),
        (400, "invalidTitle", PermanentError),
        (400, "invalidDescription", PermanentError),
        (500, "backendError", TransientError),
    ],
)
def test_google_error_reasons_map_to_our_kinds(status, reason, kind):
    """YouTube's documented reasons, some of which the sandbox cannot be made to send."""
    error = _from_http_error(_http_error(status, reason), request_sent=True)
    assert type(error) is kind
    assert reason in error.detail


def test_the_daily_quota_comes_back_at_midnight_in_california():
    error = _from_http_error(_http_error(403, "quotaExceeded"), request_sent=True)
    assert isinstance(error, RateLimited)
    assert 0 < error.retry_after <= 25 * 3600
    # 00:30 in Los Angeles on the day clocks go back (a 25-hour day): 24.5 hours to go.
    assert seconds_until_quota_reset(datetime(2026, 11, 1, 7, 30, tzinfo=UTC)) == 24.5 * 3600
    # 00:30 on the day clocks go forward (a 23-hour day): 22.5 hours to go.
    assert seconds_until_quota_reset(datetime(2026, 3, 8, 8, 30, tzinfo=UTC)) == 22.5 * 3600


# --- Connecting a channel -------------------------------------------------------------------------


def _consent(authorize_url: str, *, decision: str = "authorize", account_id: str = CHANNEL) -> dict[str, str]:
    """The channel's owner authorises the app on the sandbox's consent page; the callback's query."""
    return consent(authorize_url, redirect_uri=REDIRECT_URI, decision=decision, account_id=account_id)


def test_connect_flow_end_to_end(sandbox_url):
    flow = YOUTUBE.flow(sandbox_url)

    start = flow.start(redirect_uri=REDIRECT_URI)
    query = parse_qs(urlsplit(start.authorize_url).query)
    assert start.authorize_url.startswith(f"{sandbox_url}/google-oauth/o/oauth2/auth")
    assert query["access_type"] == ["offline"]
    assert query["prompt"] == ["consent"]
    assert query["include_granted_scopes"] == ["true"]
    assert query["code_challenge_method"] == ["S256"]
    # YouTube Analytics is asked for too, but optional (the figures' page says without it).
    assert set(query["scope"][0].split()) == {*SCOPES, ANALYTICS_SCOPE}
    assert set(start.keep) == {"state", "code_verifier"}

    connected = flow.finish(redirect_uri=REDIRECT_URI, callback_params=_consent(start.authorize_url), kept=start.keep)

    assert connected.account.account_id == CHANNEL
    assert connected.credentials.account_id == CHANNEL
    assert connected.credentials.access_token.startswith(f"sbx.youtube.{CHANNEL}.")
    assert connected.credentials.refresh_token.startswith(f"sbxr.youtube.{CHANNEL}.")
    assert connected.credentials.expires_at > datetime.now(UTC)
    assert "sbx" not in repr(connected.credentials)
    assert analytics_granted(connected.credentials)  # the grant Google named is kept
    # The new token works with the adapter.
    assert YOUTUBE.adapter(sandbox_url).check_credentials(connected.credentials).account_id == CHANNEL


def test_connect_flow_refuses_a_forged_state(sandbox_url):
    flow = YOUTUBE.flow(sandbox_url)
    start = flow.start(redirect_uri=REDIRECT_URI)
    params = _consent(start.authorize_url)
    with pytest.raises(AuthError, match="state"):
        flow.finish(redirect_uri=REDIRECT_URI, callback_params=params | {"state": "forged"}, kept=start.keep)
    with pytest.raises(AuthError, match="state"):
        flow.finish(redirect_uri=REDIRECT_URI, callback_params=params, kept={})


def test_connect_flow_refuses_a_code_used_twice_or_a_wrong_verifier(sandbox_url):
    flow = YOUTUBE.flow(sandbox_url)
    start = flow.start(redirect_uri=REDIRECT_URI)
    params = _consent(start.authorize_url)
    with pytest.raises(AuthError, match="invalid_grant"):
        flow.finish(redirect_uri=REDIRECT_URI, callback_params=params, kept=start.keep | {"code_verifier": "x" * 64})
    # The sandbox spent the code on the failed attempt, as Google does.
    with pytest.raises(AuthError, match="invalid_grant"):
        flow.finish(redirect_uri=REDIRECT_URI, callback_params=params, kept=start.keep)


def test_connect_flow_reports_a_refusal(sandbox_url):
    flow = YOUTUBE.flow(sandbox_url)
    start = flow.start(redirect_uri=REDIRECT_URI)
    params = _consent(start.authorize_url, decision="deny")
    assert params["error"] == "access_denied"
    with pytest.raises(AuthError, match="did not grant access"):
        flow.finish(redirect_uri=REDIRECT_URI, callback_params=params, kept=start.keep)


def test_refresh_keeps_the_refresh_token_google_does_not_rotate(sandbox_url):
    flow = YOUTUBE.flow(sandbox_url)
    stored = Credentials(access_token="sbx.youtube.UCx.old", refresh_token="sbxr.youtube.UCx.kept", account_id="UCx")

    refreshed = flow.refresh(stored)

    assert refreshed.access_token.startswith("sbx.youtube.UCx.")
    assert refreshed.access_token != stored.access_token
    assert refreshed.refresh_token == "sbxr.youtube.UCx.kept"
    assert refreshed.expires_at > datetime.now(UTC) + timedelta(minutes=50)
    assert refreshed.account_id == "UCx"


def test_refresh_of_a_revoked_grant_is_an_auth_error(sandbox_url):
    YOUTUBE.fault(sandbox_url, account="UCx", revoked=True)
    with pytest.raises(AuthError, match="expired or revoked"):
        YOUTUBE.flow(sandbox_url).refresh(Credentials(access_token="", refresh_token="sbxr.youtube.UCx.r"))


def test_refresh_when_google_fails_is_transient(sandbox_url):
    YOUTUBE.fault(sandbox_url, error_rate=1.0, count=10)  # google-auth retries twice on its own
    with pytest.raises(TransientError):
        YOUTUBE.flow(sandbox_url).refresh(Credentials(access_token="", refresh_token="sbxr.youtube.UCx.r"))


def test_refresh_without_a_refresh_token_asks_to_reconnect(sandbox_url):
    with pytest.raises(AuthError, match="connect it again"):
        YOUTUBE.flow(sandbox_url).refresh(Credentials(access_token="sbx.youtube.UCx.a"))


def test_refresh_against_a_closed_port_was_never_sent():
    flow = get_connect_flow("youtube", sandbox_url=closed_port_url(), app=APP, timeouts=Timeouts(1, 1))
    with pytest.raises(TransientError) as raised:
        flow.refresh(Credentials(access_token="", refresh_token="sbxr.youtube.UCx.r"))
    assert raised.value.request_sent is False


def test_connecting_needs_every_permission():
    """Google's consent screen lets people untick permissions one by one."""
    upload, readonly, force_ssl = SCOPES
    with pytest.raises(AuthError, match=r"missing: youtube\.force-ssl"):
        _require_scopes([upload, readonly])
    _require_scopes(f"{upload} {readonly} {force_ssl} openid")
    _require_scopes(["https://www.googleapis.com/auth/youtube"])  # the umbrella scope covers all three


def test_a_grant_without_youtube_analytics_still_connects_and_says_so():
    """Google's consent screen lets people untick YouTube Analytics: the account publishes,
    and its figures come from the statistics alone."""
    without = _credentials_from_token({"access_token": "token", "scope": " ".join(SCOPES)})
    assert not analytics_granted(without)
    granted = _credentials_from_token({"access_token": "token", "scope": " ".join([*SCOPES, ANALYTICS_SCOPE])})
    assert analytics_granted(granted)
