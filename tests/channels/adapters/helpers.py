"""What the adapter tests share.

Each network as its tests see it (`Network`): its adapter and connect flow built through
`channels.adapters` for the sandbox, its test accounts and their credentials, and what the
sandbox says about it over HTTP (what an account received, counts of a text, faults to
inject). Then a browser's visit to a consent page, a media file on disk, and a port nobody
listens on. Every call goes to the real sandbox (tests/conftest.py's `sandbox_url`).
"""

from __future__ import annotations

import random
import re
import socket
from collections.abc import Callable
from dataclasses import dataclass, field
from html import unescape
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import requests

from channels.adapters import get_adapter, get_connect_flow
from channels.adapters.base import AppCredentials, Content, Credentials, MediaFile
from channels.adapters.facebook import FacebookAdapter, FacebookConnectFlow
from channels.adapters.flickr import FlickrAdapter, FlickrConnectFlow
from channels.adapters.transport import Timeouts
from channels.adapters.twitter import TwitterAdapter, TwitterConnectFlow
from channels.adapters.youtube import YouTubeAdapter, YouTubeConnectFlow
from channels.media import inspect_media
from channels.sandbox.tokens import secret_of
from live.media_samples import jpeg_bytes, mp4_bytes

MB = 1024 * 1024
GPS_IFD = 0x8825  # the EXIF block that holds where a photo was taken


@dataclass(frozen=True)
class Network:
    """One network's adapter, flow, test accounts and sandbox records."""

    name: str
    app: AppCredentials
    adapter_class: type
    flow_class: type
    account_id: str
    other_account_id: str  # an account of someone else on the same network
    redirect_uri: str
    token: Callable[[str], Credentials] = field(repr=False)  # account id -> its credentials
    # (folder, **options) -> a post the network takes: a text, a photo (Flickr), a video (YouTube).
    sample: Callable[..., Content] = field(repr=False)

    def __str__(self) -> str:  # the test ids of parametrized tests
        return self.name

    def adapter(self, sandbox_url: str, timeouts: Timeouts | None = None):
        adapter = get_adapter(self.name, sandbox_url=sandbox_url, app=self.app, timeouts=timeouts)
        assert isinstance(adapter, self.adapter_class)
        return adapter

    def flow(self, sandbox_url: str, *, app: AppCredentials | None = None, timeouts: Timeouts | None = None):
        flow = get_connect_flow(self.name, sandbox_url=sandbox_url, app=app or self.app, timeouts=timeouts)
        assert isinstance(flow, self.flow_class)
        return flow

    def credentials(self, account_id: str | None = None, **extra: str) -> Credentials:
        credentials = self.token(account_id or self.account_id)
        return credentials.replace(extra={**credentials.extra, **extra}) if extra else credentials

    def received(self, sandbox_url: str, account: str | None = None) -> list[dict]:
        """What the sandbox holds for the account (deleted items too, marked so)."""
        answer = requests.get(
            f"{sandbox_url}/_sandbox/received",
            params={"network": self.name, "account": account or self.account_id},
            timeout=5,
        )
        answer.raise_for_status()
        return answer.json()["items"]

    def count_of(self, sandbox_url: str, text: str) -> dict:
        """How many times the sandbox received `text` on this network, and where."""
        answer = requests.get(f"{sandbox_url}/_sandbox/counts", params={"network": self.name}, timeout=5)
        return next(row for row in answer.json()["counts"] if row["text"] == text)

    def fault(self, sandbox_url: str, **rule) -> None:
        """Inject a fault (see channels/sandbox): error_rate, rate_limit_rate, revoked..."""
        answer = requests.post(f"{sandbox_url}/_sandbox/faults", json={"network": self.name, **rule}, timeout=5)
        assert answer.status_code == 201, answer.text


def text_post(folder: Path, *, text: str = "Réception pour la fête nationale.") -> Content:
    return Content(text=text)


def photo_post(
    folder: Path, *, reference: str = "dh-4F9C2A", title: str = "National day reception", name: str = "reception"
) -> Content:
    """A photo (taken with GPS on) with its title, tags and the delivery's reference."""
    photo = media_file(folder, jpeg_bytes(with_gps=True), f"{name}.jpg", alt="The ambassador greets guests")
    return Content(
        text="Guests at the residence for the national day.",
        title=title,
        media=(photo,),
        tags=("diplomacy", "national day"),
        reference=reference,
    )


def video_post(
    folder: Path,
    *,
    reference: str = "dh-4f9c2a",
    title: str = "National day 2026",
    name: str = "clip",
    seconds: float = 30.0,
    padding: int = 4096,
) -> Content:
    """A video with its title, tags and the delivery's reference."""
    video = media_file(folder, mp4_bytes(seconds=seconds, padding=padding), f"{name}.mp4")
    return Content(
        text="The ambassador's address for the national day.",
        title=title,
        media=(video,),
        tags=("diplomacy", "national day"),
        reference=reference,
    )


FACEBOOK = Network(
    name="facebook",
    app=AppCredentials(client_id="dh-fb-app", client_secret="dh-fb-secret"),
    adapter_class=FacebookAdapter,
    flow_class=FacebookConnectFlow,
    account_id="104000000000001",
    other_account_id="104000000000002",
    redirect_uri="http://127.0.0.1:8000/channels/connect/facebook/callback",
    token=lambda page: Credentials(access_token=f"sbx.facebook.{page}.page-token", account_id=page),
    sample=text_post,
)
TWITTER = Network(
    name="twitter",
    app=AppCredentials(client_id="dh-x-client", client_secret="dh-x-secret"),
    adapter_class=TwitterAdapter,
    flow_class=TwitterConnectFlow,
    account_id="1500000000000000001",
    other_account_id="1500000000000000002",
    redirect_uri="http://127.0.0.1:8000/channels/connect/twitter/callback",  # plain http, as in development
    token=lambda user: Credentials(access_token=f"sbx.twitter.{user}.access", account_id=user),
    sample=text_post,
)
FLICKR = Network(
    name="flickr",
    app=AppCredentials(client_id="dh-flickr-key", client_secret="dh-flickr-secret"),
    adapter_class=FlickrAdapter,
    flow_class=FlickrConnectFlow,
    account_id="12345678@N01",
    other_account_id="87654321@N02",
    redirect_uri="https://hub.example.org/channels/connect/flickr/callback",
    token=lambda nsid: Credentials(
        access_token=f"sbx.flickr.{nsid}.access",
        token_secret=secret_of(f"sbx.flickr.{nsid}.access"),
        account_id=nsid,
        extra={"username": "embassy_tokyo", "fullname": "Embassy in Tokyo"},
    ),
    sample=photo_post,
)
YOUTUBE = Network(
    name="youtube",
    app=AppCredentials(client_id="dh-youtube-client", client_secret="dh-youtube-secret"),
    adapter_class=YouTubeAdapter,
    flow_class=YouTubeConnectFlow,
    account_id="UCembassyTokyo0000000001",
    other_account_id="UCsomeoneElse000000000001",
    redirect_uri="https://hub.example.org/channels/connect/youtube/callback",
    token=lambda channel: Credentials(access_token=f"sbx.youtube.{channel}.access", account_id=channel),
    sample=video_post,
)
NETWORKS = (FACEBOOK, TWITTER, FLICKR, YOUTUBE)


def media_file(folder: Path, data: bytes, name: str, *, alt: str = "") -> MediaFile:
    """`data` written to `folder/name` and described as the compose form would (the alt
    text is kept for images only)."""
    path = folder / name
    path.write_bytes(data)
    info = inspect_media(path)
    return MediaFile(
        path=str(path),
        mime_type=info.mime_type,
        kind=info.kind,
        size=info.size,
        alt_text=alt if info.kind == "image" else "",
        duration_seconds=info.duration_seconds,
    )


def closed_port_url() -> str:
    """A loopback URL on which nothing listens: the connection is refused."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    return f"http://127.0.0.1:{port}"


def consent(authorize_url: str, *, redirect_uri: str, decision: str = "authorize", **fields: str) -> dict[str, str]:
    """What an administrator's browser does on the sandbox's consent page: open it, submit
    its form (its hidden fields, plus `decision` and `fields`: account_id, display_name,
    handle) and come back to `redirect_uri`. Returns the callback's query parameters."""
    with requests.Session() as browser:
        browser.trust_env = False
        page = browser.get(authorize_url, timeout=5)
        assert page.status_code == 200, page.text
        assert 'id="authorize"' in page.text
        hidden = re.findall(r'<input[^>]*name="(\w+)"[^>]*value="([^"]*)"', page.text)
        form = {name: unescape(value) for name, value in hidden} | fields | {"decision": decision}
        answer = browser.post(authorize_url, data=form, allow_redirects=False, timeout=5)
    assert answer.status_code in (302, 303), answer.text
    location = answer.headers["Location"]
    assert location.startswith(redirect_uri)
    return {name: values[-1] for name, values in parse_qs(urlsplit(location).query).items()}


def seed_hitting_call(number: int, rate: float = 0.5) -> int:
    """A seed whose rule lets the first number-1 calls through and hits call `number`.

    The sandbox draws a seeded rule's rolls from random.Random(str(seed)); this is how a
    test puts a fault on the last chunk of an upload rather than on the session's start.
    """
    for seed in range(10_000):
        rng = random.Random(str(seed))
        draws = [rng.random() for _ in range(number)]
        if all(draw >= rate for draw in draws[:-1]) and draws[-1] < rate:
            return seed
    raise AssertionError("no such seed")
