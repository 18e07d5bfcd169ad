"""FlickrAdapter and FlickrConnectFlow: flickrapi against the sandbox."""

import io
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import flickrapi
import pytest
import requests
from PIL import Image

from channels.adapters.base import (
    AuthError,
    Content,
    MediaFile,
    PermanentError,
    RateLimited,
    TransientError,
)
from channels.adapters.flickr import _from_flickr_error, _LastResponse
from channels.adapters.transport import Timeouts
from tests.channels.adapters.helpers import FLICKR, GPS_IFD, closed_port_url, consent, media_file
from tests.media_samples import jpeg_bytes, mp4_bytes, png_bytes

NSID = FLICKR.account_id
REDIRECT_URI = FLICKR.redirect_uri
APP = FLICKR.app


# --- Helpers ------------------------------------------------------------------------------------------

def _photo(tmp_path: Path, data: bytes | None = None, *, name: str = "reception.jpg",
           alt: str = "The ambassador greets guests") -> MediaFile:
    return media_file(tmp_path, jpeg_bytes(with_gps=True) if data is None else data, name, alt=alt)


def _content(tmp_path: Path, *, reference: str = "dh-4F9C2A", title: str = "National day reception",
             **photo_options) -> Content:
    return Content(text="Guests at the residence for the national day.", title=title,
                   media=(_photo(tmp_path, **photo_options),), tags=("diplomacy", "national day"),
                   reference=reference)


@pytest.fixture(autouse=True)
def home(tmp_path_factory, monkeypatch) -> Path:
    """A HOME of our own, to prove that flickrapi writes no token cache into it."""
    path = tmp_path_factory.mktemp("home")
    monkeypatch.setenv("HOME", str(path))
    return path


# --- Publishing and the other calls ----------------------------------------------------------------------

def test_publish_uploads_the_photo_with_its_machine_tag(sandbox_url, tmp_path):
    published = FLICKR.adapter(sandbox_url).publish(FLICKR.credentials(), _content(tmp_path))

    assert published.url == f"https://www.flickr.com/photos/{NSID}/{published.external_id}/"
    [item] = FLICKR.received(sandbox_url)
    assert item["id"] == published.external_id
    assert (item["title"], item["text"]) == ("National day reception",
                                             "Guests at the residence for the national day.")
    assert item["tags"] == ["diplomacy", "national day", "dh:delivery=dh-4f9c2a"]


def test_the_published_photo_carries_no_gps_or_exif(sandbox_url, tmp_path):
    content = _content(tmp_path)
    original = Path(content.media[0].path).read_bytes()
    assert Image.open(io.BytesIO(original)).getexif().get_ifd(GPS_IFD)

    FLICKR.adapter(sandbox_url).publish(FLICKR.credentials(), content)

    [item] = FLICKR.received(sandbox_url)
    stored = requests.get(f"{sandbox_url}{item['media'][0]['url']}", timeout=5).content
    image = Image.open(io.BytesIO(stored))
    assert image.format == "JPEG"
    assert not image.getexif()
    assert not image.getexif().get_ifd(GPS_IFD)
    assert b"CameraMaker" not in stored


def test_publish_refuses_what_does_not_validate(sandbox_url, tmp_path):
    with pytest.raises(PermanentError, match=r"Flickr needs a photo\."):
        FLICKR.adapter(sandbox_url).publish(FLICKR.credentials(), Content(text="Words only", title="t"))
    assert FLICKR.received(sandbox_url) == []


def test_delete_removes_the_photo_and_a_photo_already_gone_counts_as_deleted(sandbox_url, tmp_path):
    adapter = FLICKR.adapter(sandbox_url)
    published = adapter.publish(FLICKR.credentials(), _content(tmp_path))

    adapter.delete(FLICKR.credentials(), published.external_id)
    adapter.delete(FLICKR.credentials(), published.external_id)  # code 1, "Photo not found": gone already

    [item] = FLICKR.received(sandbox_url)
    assert item["deleted"] is True


def test_check_credentials_names_the_account(sandbox_url):
    account = FLICKR.adapter(sandbox_url).check_credentials(FLICKR.credentials())
    assert account.account_id == NSID
    assert account.handle
    assert account.display_name == "Embassy in Tokyo"


def test_check_credentials_refuses_a_token_of_another_account(sandbox_url):
    credentials = FLICKR.credentials("87654321@N02").replace(account_id=NSID)
    with pytest.raises(AuthError, match="another Flickr account"):
        FLICKR.adapter(sandbox_url).check_credentials(credentials)


def test_fetch_metrics_of_a_photo_and_of_the_account(sandbox_url, tmp_path):
    adapter = FLICKR.adapter(sandbox_url)
    published = adapter.publish(FLICKR.credentials(), _content(tmp_path))

    photo = adapter.fetch_metrics(FLICKR.credentials(), published.external_id)
    account = adapter.fetch_metrics(FLICKR.credentials())

    assert photo.views is not None
    assert photo.likes is not None
    assert photo.comments is not None
    assert account.followers is None  # Flickr's API has no follower count
    assert account.views is not None


def test_find_published_finds_the_photo_by_its_machine_tag(sandbox_url, tmp_path):
    adapter = FLICKR.adapter(sandbox_url)
    since = datetime.now(UTC)
    adapter.publish(FLICKR.credentials(), _content(tmp_path, reference="dh-other1", name="other.jpg"))
    published = adapter.publish(FLICKR.credentials(), _content(tmp_path))

    assert adapter.find_published(FLICKR.credentials(), _content(tmp_path), since) == published
    assert adapter.find_published(FLICKR.credentials(), _content(tmp_path, reference="dh-never"), since) is None


def test_find_published_without_reference_matches_the_exact_title(sandbox_url, tmp_path):
    adapter = FLICKR.adapter(sandbox_url)
    content = _content(tmp_path, reference="")
    published = adapter.publish(FLICKR.credentials(), content)
    since = datetime.now(UTC) - timedelta(minutes=1)

    assert adapter.find_published(FLICKR.credentials(), content, since) == published
    other = _content(tmp_path, reference="", title="Other")
    assert adapter.find_published(FLICKR.credentials(), other, since) is None


def test_no_token_cache_is_ever_written(sandbox_url, tmp_path, home):
    adapter = FLICKR.adapter(sandbox_url)
    adapter.publish(FLICKR.credentials(), _content(tmp_path))
    adapter.check_credentials(FLICKR.credentials())
    flow = FLICKR.flow(sandbox_url)
    start = flow.start(redirect_uri=REDIRECT_URI)
    flow.finish(redirect_uri=REDIRECT_URI, callback_params=_consent(start.authorize_url), kept=start.keep)

    assert not (home / ".flickr").exists()
    assert list(home.iterdir()) == []


def test_each_adapter_call_has_its_own_session(sandbox_url):
    """flickrapi's default session is a class attribute shared by every instance."""
    adapter = FLICKR.adapter(sandbox_url)
    first, _ = adapter._api(FLICKR.credentials())
    second, _ = adapter._api(FLICKR.credentials())
    assert first.flickr_oauth.session is not second.flickr_oauth.session
    assert flickrapi.auth.OAuthFlickrInterface.session not in (first.flickr_oauth.session,
                                                               second.flickr_oauth.session)


# --- Validation -------------------------------------------------------------------------------------------

def _messages(problems) -> list[str]:
    return [problem.message for problem in problems]


def test_validate_accepts_a_photo_with_alt_text(sandbox_url, tmp_path):
    assert FLICKR.adapter(sandbox_url).validate(_content(tmp_path)) == []


def test_validate_needs_one_photo_with_alt_text(sandbox_url, tmp_path):
    adapter = FLICKR.adapter(sandbox_url)
    assert _messages(adapter.validate(Content(text="t"))) == ["Flickr needs a photo."]

    video_path = tmp_path / "clip.mp4"
    video_path.write_bytes(mp4_bytes())
    video = MediaFile(path=str(video_path), mime_type="video/mp4", kind="video", size=1000,
                      duration_seconds=3)
    photos = (_photo(tmp_path, png_bytes(), name="a.png", alt=""), _photo(tmp_path, name="b.jpg"))
    assert _messages(adapter.validate(Content(text="t", media=(*photos, video)))) == [
        "Flickr takes at most one image per post; this message has 2.",
        "Flickr does not take videos: remove “clip.mp4”.",
        "The image “a.png” has no alt text: describe it for people who cannot see it.",
    ]


def test_validate_counts_tags_with_ours(sandbox_url, tmp_path):
    content = _content(tmp_path)
    crowded = Content(text="t", media=content.media, tags=tuple(f"tag{n}" for n in range(75)),
                      reference="dh-1")
    problems = FLICKR.adapter(sandbox_url).validate(crowded)
    assert _messages(problems) == [
        "Flickr takes at most 75 tags (this message has 76). "
        "That includes our tracking tag “dh:delivery=dh-1”."
    ]
    assert problems[0].field == "tags"


def test_validate_refuses_webp(sandbox_url, tmp_path):
    buffer = io.BytesIO()
    Image.new("RGB", (8, 8)).save(buffer, "WEBP")
    content = Content(text="t", media=(_photo(tmp_path, buffer.getvalue(), name="p.webp"),))
    assert _messages(FLICKR.adapter(sandbox_url).validate(content)) == [
        "Flickr does not take WebP images (“p.webp”); it takes GIF, JPEG or PNG."
    ]


# --- Errors ------------------------------------------------------------------------------------------------

def test_a_429_is_rate_limited_with_the_wait_from_the_headers(sandbox_url, tmp_path):
    FLICKR.fault(sandbox_url, rate_limit_rate=1.0, rate_limit_reset_seconds=7, count=1)
    with pytest.raises(RateLimited) as raised:
        FLICKR.adapter(sandbox_url).publish(FLICKR.credentials(), _content(tmp_path))
    assert raised.value.retry_after == 7
    assert FLICKR.received(sandbox_url) == []


def test_a_revoked_token_is_an_auth_error(sandbox_url, tmp_path):
    FLICKR.fault(sandbox_url, account=NSID, revoked=True)
    adapter = FLICKR.adapter(sandbox_url)
    with pytest.raises(AuthError, match="98"):
        adapter.publish(FLICKR.credentials(), _content(tmp_path))
    with pytest.raises(AuthError, match="98"):
        adapter.check_credentials(FLICKR.credentials())
    with pytest.raises(AuthError):
        adapter.delete(FLICKR.credentials(), "123")


def test_a_5xx_on_upload_leaves_the_outcome_unknown(sandbox_url, tmp_path):
    FLICKR.fault(sandbox_url, error_rate=1.0, count=1)
    with pytest.raises(TransientError) as raised:
        FLICKR.adapter(sandbox_url).publish(FLICKR.credentials(), _content(tmp_path))
    assert raised.value.request_sent is True
    assert raised.value.status_code == 503


def test_a_timeout_after_the_upload_arrived_is_reconciled_by_find_published(sandbox_url, tmp_path):
    FLICKR.fault(sandbox_url, timeout_rate=1.0, hang_seconds=3, count=1)
    adapter = FLICKR.adapter(sandbox_url, Timeouts(connect=1, read=1))
    since = datetime.now(UTC)
    started = time.monotonic()

    with pytest.raises(TransientError) as raised:
        adapter.publish(FLICKR.credentials(), _content(tmp_path))

    assert raised.value.request_sent is True
    assert time.monotonic() - started < 3
    [item] = FLICKR.received(sandbox_url)
    found = adapter.find_published(FLICKR.credentials(), _content(tmp_path), since)
    assert found is not None
    assert found.external_id == item["id"]


def test_a_refused_connection_was_never_sent(tmp_path):
    adapter = FLICKR.adapter(closed_port_url(), Timeouts(connect=1, read=1))
    with pytest.raises(TransientError) as raised:
        adapter.publish(FLICKR.credentials(), _content(tmp_path))
    assert raised.value.request_sent is False
    with pytest.raises(TransientError) as raised:
        adapter.delete(FLICKR.credentials(), "123")
    assert raised.value.request_sent is False


@pytest.mark.parametrize(("code", "upload", "kind"), [
    (96, False, AuthError), (97, False, AuthError), (98, True, AuthError), (99, False, AuthError),
    (100, False, AuthError), (105, False, TransientError), (3, True, TransientError),
    (2, True, PermanentError), (4, True, PermanentError), (5, True, PermanentError),
    (6, True, PermanentError), (8, True, PermanentError), (1, False, PermanentError),
])
def test_flickr_error_codes_map_to_our_kinds(code, upload, kind):
    """Flickr's documented codes, most of which the sandbox cannot be made to send."""
    error = _from_flickr_error(flickrapi.FlickrError(f"Error: {code}: message", code=str(code)),
                               _LastResponse(status=200), upload=upload, request_sent=True)
    assert type(error) is kind
    if kind is TransientError:
        assert error.request_sent is True


# --- Connecting an account ------------------------------------------------------------------------------

def _consent(authorize_url: str, *, decision: str = "authorize", account_id: str = NSID) -> dict[str, str]:
    """The account holder authorises the app on the sandbox's consent page; the callback's query."""
    return consent(authorize_url, redirect_uri=REDIRECT_URI, decision=decision, account_id=account_id,
                   display_name="Embassy in Tokyo", handle="embassy_tokyo")


def test_connect_flow_end_to_end(sandbox_url):
    flow = FLICKR.flow(sandbox_url)

    start = flow.start(redirect_uri=REDIRECT_URI)
    assert start.authorize_url.startswith(f"{sandbox_url}/flickr/services/oauth/authorize?oauth_token=")
    assert "perms=delete" in start.authorize_url
    assert set(start.keep) == {"request_token", "request_token_secret"}

    connected = flow.finish(redirect_uri=REDIRECT_URI, callback_params=_consent(start.authorize_url),
                            kept=start.keep)

    credentials = connected.credentials
    assert credentials.access_token.startswith(f"sbx.flickr.{NSID}.")
    assert credentials.token_secret
    assert credentials.account_id == NSID
    assert credentials.expires_at is None
    assert credentials.extra == {"username": "embassy_tokyo", "fullname": "Embassy in Tokyo"}
    assert (connected.account.account_id, connected.account.handle, connected.account.display_name) == (
        NSID, "embassy_tokyo", "Embassy in Tokyo")
    assert "sbx" not in repr(credentials)
    assert FLICKR.adapter(sandbox_url).check_credentials(credentials).account_id == NSID


def test_connect_flow_refuses_a_forged_token(sandbox_url):
    flow = FLICKR.flow(sandbox_url)
    start = flow.start(redirect_uri=REDIRECT_URI)
    params = _consent(start.authorize_url)
    with pytest.raises(AuthError, match="does not match"):
        flow.finish(redirect_uri=REDIRECT_URI, callback_params=params | {"oauth_token": "forged"},
                    kept=start.keep)
    with pytest.raises(AuthError, match="does not match"):
        flow.finish(redirect_uri=REDIRECT_URI, callback_params=params, kept={})


def test_connect_flow_refuses_a_wrong_verifier(sandbox_url):
    flow = FLICKR.flow(sandbox_url)
    start = flow.start(redirect_uri=REDIRECT_URI)
    params = _consent(start.authorize_url) | {"oauth_verifier": "guessed"}
    with pytest.raises(AuthError) as raised:
        flow.finish(redirect_uri=REDIRECT_URI, callback_params=params, kept=start.keep)
    assert raised.value.status_code == 401


def test_connect_flow_reports_a_refusal(sandbox_url):
    flow = FLICKR.flow(sandbox_url)
    start = flow.start(redirect_uri=REDIRECT_URI)
    params = _consent(start.authorize_url, decision="deny")
    with pytest.raises(AuthError, match="not granted"):
        flow.finish(redirect_uri=REDIRECT_URI, callback_params=params, kept=start.keep)


def test_connect_flow_needs_a_callback_url(sandbox_url):
    """flickrapi would start a local web server for a missing callback."""
    with pytest.raises(ValueError, match="callback"):
        FLICKR.flow(sandbox_url).start(redirect_uri="")


def test_refresh_returns_the_credentials_unchanged(sandbox_url):
    credentials = FLICKR.credentials()
    assert FLICKR.flow(sandbox_url).refresh(credentials) is credentials
