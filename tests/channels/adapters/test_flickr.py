"""FlickrAdapter and FlickrConnectFlow: flickrapi against the sandbox."""

import io
import re
from pathlib import Path

import flickrapi
import pytest
import requests
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
from channels.adapters.flickr import FlickrAdapter, _from_flickr_error, _LastResponse
from channels.adapters.transport import Timeouts
from live.media_samples import jpeg_bytes, mp4_bytes, png_bytes
from tests.channels.adapters.helpers import FLICKR, GPS_IFD, consent, media_file

NSID = FLICKR.account_id
REDIRECT_URI = FLICKR.redirect_uri
APP = FLICKR.app


# --- Helpers ------------------------------------------------------------------------------------------


@pytest.fixture(autouse=True)
def home(tmp_path_factory, monkeypatch) -> Path:
    """A HOME of our own, to prove that flickrapi writes no token cache into it."""
    path = tmp_path_factory.mktemp("home")
    monkeypatch.setenv("HOME", str(path))
    return path


# --- Publishing and the other calls ----------------------------------------------------------------------


def test_publish_uploads_the_photo_with_its_machine_tag(sandbox_url, tmp_path):
    published = FLICKR.adapter(sandbox_url).publish(FLICKR.credentials(), FLICKR.sample(tmp_path))

    assert published.url == f"{sandbox_url}/_sandbox/post/flickr/{published.external_id}"
    assert "National day reception" in requests.get(published.url, timeout=5).text
    real = FlickrAdapter(sandbox_url=None, app=APP, timeouts=Timeouts())
    assert real._photo_url(FLICKR.credentials(), "42") == f"https://www.flickr.com/photos/{NSID}/42/"
    [item] = FLICKR.received(sandbox_url)
    assert item["id"] == published.external_id
    assert (item["title"], item["text"]) == ("National day reception", "Guests at the residence for the national day.")
    assert item["tags"] == ["diplomacy", "national day", "dh:ref=dh-4f9c2a"]


def test_the_published_photo_carries_no_gps_or_exif(sandbox_url, tmp_path):
    content = FLICKR.sample(tmp_path)
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


def test_fetch_metrics_of_a_photo_and_of_the_account(sandbox_url, tmp_path):
    adapter = FLICKR.adapter(sandbox_url)
    published = adapter.publish(FLICKR.credentials(), FLICKR.sample(tmp_path))

    photo = adapter.fetch_metrics(FLICKR.credentials(), published.external_id)
    account = adapter.fetch_metrics(FLICKR.credentials())

    assert photo.views is not None
    assert photo.likes is not None
    assert photo.comments is not None
    assert account.followers is None  # Flickr's API has no follower count
    assert account.views is not None


def test_no_token_cache_is_ever_written(sandbox_url, tmp_path, home):
    adapter = FLICKR.adapter(sandbox_url)
    adapter.publish(FLICKR.credentials(), FLICKR.sample(tmp_path))
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
    assert flickrapi.auth.OAuthFlickrInterface.session not in (first.flickr_oauth.session, second.flickr_oauth.session)


# --- Validation -------------------------------------------------------------------------------------------


def _messages(problems) -> list[str]:
    return [problem.message for problem in problems]


def test_validate_accepts_a_photo_with_alt_text(sandbox_url, tmp_path):
    assert FLICKR.adapter(sandbox_url).validate(FLICKR.sample(tmp_path)) == []


def test_validate_needs_one_photo_with_alt_text(sandbox_url, tmp_path):
    adapter = FLICKR.adapter(sandbox_url)
    assert _messages(adapter.validate(Content(text="t"))) == ["Flickr needs a photo."]

    video_path = tmp_path / "clip.mp4"
    video_path.write_bytes(mp4_bytes())
    video = MediaFile(path=str(video_path), mime_type="video/mp4", kind="video", size=1000, duration_seconds=3)
    photos = (media_file(tmp_path, png_bytes(), "a.png"), media_file(tmp_path, jpeg_bytes(), "b.jpg", alt="Guests"))
    assert _messages(adapter.validate(Content(text="t", media=(*photos, video)))) == [
        "Flickr takes at most one image per post; this message has 2.",
        "Flickr does not take videos: remove “clip.mp4”.",
        "The image “a.png” has no alt text: describe it for people who cannot see it.",
    ]


def test_validate_counts_tags_with_ours(sandbox_url, tmp_path):
    content = FLICKR.sample(tmp_path)
    crowded = Content(text="t", media=content.media, tags=tuple(f"tag{n}" for n in range(75)), reference="dh-1")
    problems = FLICKR.adapter(sandbox_url).validate(crowded)
    assert _messages(problems) == [
        "Flickr takes at most 75 tags (this message has 76). That includes our tracking tag “dh:ref=dh-1”."
    ]
    assert problems[0].field == "tags"


def test_validate_refuses_webp(sandbox_url, tmp_path):
    buffer = io.BytesIO()
    Image.new("RGB", (8, 8)).save(buffer, "WEBP")
    content = Content(text="t", media=(media_file(tmp_path, buffer.getvalue(), "p.webp", alt="A flag"),))
    assert _messages(FLICKR.adapter(sandbox_url).validate(content)) == [
        "Flickr does not take WebP images (“p.webp”); it takes GIF, JPEG or PNG."
    ]


# --- Errors ------------------------------------------------------------------------------------------------


def test_a_5xx_on_upload_leaves_the_outcome_unknown(sandbox_url, tmp_path):
    FLICKR.fault(sandbox_url, error_rate=1.0, count=1)
    with pytest.raises(TransientError) as raised:
        FLICKR.adapter(sandbox_url).publish(FLICKR.credentials(), FLICKR.sample(tmp_path))
    assert raised.value.request_sent is True
    assert raised.value.status_code == 503


@pytest.mark.parametrize(
    ("code", "upload", "kind"),
    [
        (96, False, AuthError),
        (97, False, AuthError),
        (98, True, AuthError),
        (99, False, AuthError),
        (100, False, AppAccessError),
        (105, False, TransientError),
        (3, True, TransientError),
        (2, True, PermanentError),
        (4, True, PermanentError),
        (5, True, PermanentError),
        (6, True, PermanentError),
        (8, True, PermanentError),
        (1, False, PermanentError),
    ],
)
def test_flickr_error_codes_map_to_our_kinds(code, upload, kind):
    """Flickr's documented codes, most of which the sandbox cannot be made to send."""
    error = _from_flickr_error(
        flickrapi.FlickrError(f"Error: {code}: message", code=str(code)),
        _LastResponse(status=200),
        upload=upload,
        request_sent=True,
    )
    assert type(error) is kind
    if kind is TransientError:
        assert error.request_sent is True


# --- Connecting an account ------------------------------------------------------------------------------


def _consent(authorize_url: str, *, decision: str = "authorize", account_id: str = NSID) -> dict[str, str]:
    """The account holder authorises the app on the sandbox's consent page; the callback's query."""
    return consent(
        authorize_url,
        redirect_uri=REDIRECT_URI,
        decision=decision,
        account_id=account_id,
        display_name="Embassy in Tokyo",
        handle="embassy_tokyo",
    )


def test_connect_flow_end_to_end(sandbox_url):
    flow = FLICKR.flow(sandbox_url)

    start = flow.start(redirect_uri=REDIRECT_URI)
    assert start.authorize_url.startswith(f"{sandbox_url}/flickr/services/oauth/authorize?oauth_token=")
    assert "perms=delete" in start.authorize_url
    assert set(start.keep) == {"request_token", "request_token_secret"}

    connected = flow.finish(redirect_uri=REDIRECT_URI, callback_params=_consent(start.authorize_url), kept=start.keep)

    credentials = connected.credentials
    assert credentials.access_token.startswith(f"sbx.flickr.{NSID}.")
    assert credentials.token_secret
    assert credentials.account_id == NSID
    assert credentials.expires_at is None
    assert credentials.extra == {"username": "embassy_tokyo", "fullname": "Embassy in Tokyo"}
    assert (connected.account.account_id, connected.account.handle, connected.account.display_name) == (
        NSID,
        "embassy_tokyo",
        "Embassy in Tokyo",
    )
    assert "sbx" not in repr(credentials)
    assert FLICKR.adapter(sandbox_url).check_credentials(credentials).account_id == NSID


def test_connect_flow_refuses_a_forged_token(sandbox_url):
    flow = FLICKR.flow(sandbox_url)
    start = flow.start(redirect_uri=REDIRECT_URI)
    params = _consent(start.authorize_url)
    with pytest.raises(AuthError, match="does not match"):
        flow.finish(redirect_uri=REDIRECT_URI, callback_params=params | {"oauth_token": "forged"}, kept=start.keep)
    with pytest.raises(AuthError, match="does not match"):
        flow.finish(redirect_uri=REDIRECT_URI, callback_params=params, kept={})


def test_connect_flow_refuses_a_wrong_verifier(sandbox_url):
    flow = FLICKR.flow(sandbox_url)
    start = flow.start(redirect_uri=REDIRECT_URI)
    params = _consent(start.authorize_url) | {"oauth_verifier": "guessed"}
    with pytest.raises(AuthError) as raised:
        flow.finish(redirect_uri=REDIRECT_URI, callback_params=params, kept=start.keep)
    assert raised.value.status_code == 401


def test_flickrs_bare_429_is_rate_limited_with_our_own_wait(sandbox_url, tmp_path):
    """Flickr's 429 is an HTML page without Retry-After: the adapter waits its own minute."""
    FLICKR.fault(sandbox_url, rate_limit_rate=1.0, rate_limit_reset_seconds=5, count=1)

    with pytest.raises(RateLimited) as raised:
        FLICKR.adapter(sandbox_url).publish(FLICKR.credentials(), FLICKR.sample(tmp_path))

    assert raised.value.retry_after == 60.0
    assert FLICKR.received(sandbox_url) == []


def test_a_signing_mistake_is_refused_as_flickr_refuses_it(sandbox_url, tmp_path):
    """A wrong token secret fails the signature (96): an auth problem, nothing uploaded."""
    credentials = FLICKR.credentials().replace(token_secret="not-this-tokens-secret")

    with pytest.raises(AuthError, match="96"):
        FLICKR.adapter(sandbox_url).publish(credentials, FLICKR.sample(tmp_path))

    assert FLICKR.received(sandbox_url) == []


def test_an_api_key_flickr_does_not_know_is_the_apps_problem_not_the_accounts(sandbox_url, tmp_path):
    adapter = FlickrAdapter(
        sandbox_url=sandbox_url, app=AppCredentials("nobodys-key", "nobodys-secret"), timeouts=Timeouts()
    )

    with pytest.raises(AppAccessError, match="Invalid API Key") as raised:
        adapter.publish(FLICKR.credentials(), FLICKR.sample(tmp_path))

    assert (raised.value.network, raised.value.request_sent) == ("flickr", False)
    assert FLICKR.received(sandbox_url) == []


def test_a_refusal_leaves_the_person_on_flickr(sandbox_url):
    """Flickr never calls the application back on "No thanks"; a callback without a
    verifier (a person coming back by hand) is still refused."""
    flow = FLICKR.flow(sandbox_url)
    start = flow.start(redirect_uri=REDIRECT_URI)
    with requests.Session() as browser:
        browser.trust_env = False
        page = browser.get(start.authorize_url, timeout=5)
        hidden = dict(re.findall(r'<input[^>]*name="(\w+)"[^>]*value="([^"]*)"', page.text))
        answer = browser.post(
            start.authorize_url, data={**hidden, "decision": "deny"}, allow_redirects=False, timeout=5
        )

    assert answer.status_code == 200
    assert "Location" not in answer.headers
    assert 'id="denied"' in answer.text or "id='denied'" in answer.text
    with pytest.raises(AuthError, match="not granted"):
        flow.finish(
            redirect_uri=REDIRECT_URI, callback_params={"oauth_token": start.keep["request_token"]}, kept=start.keep
        )


def test_connect_flow_needs_a_callback_url(sandbox_url):
    """flickrapi would start a local web server for a missing callback."""
    with pytest.raises(ValueError, match="callback"):
        FLICKR.flow(sandbox_url).start(redirect_uri="")


def test_refresh_returns_the_credentials_unchanged(sandbox_url):
    credentials = FLICKR.credentials()
    assert FLICKR.flow(sandbox_url).refresh(credentials) is credentials
