"""Fixtures for the publishing pipeline's service tests.

- Adapters: service tests validate against an in-memory adapter with the networks' main
  rules (STYLE.md: "Service tests may use an in-memory adapter"); a test that asks for the
  `real_adapters` fixture gets the real ones (channels/adapters/*, through their SDKs).
- Media land in a temporary MEDIA_ROOT.
- The dispatcher kick is recorded, never sent to a broker.
"""

from __future__ import annotations

import os
import socket

import pytest
from celery import current_app

from channels.adapters.base import Content, NetworkLimits, Problem

LABELS = {"twitter": "X", "facebook": "Facebook", "youtube": "YouTube", "flickr": "Flickr"}
TEXT_MAX = {"twitter": 280, "facebook": 63206, "youtube": 5000, "flickr": 10000}


class FakeAdapter:
    """The networks' main rules, in memory: text length, YouTube needs a video and a title,
    Flickr a photo, alt text on every image."""

    def __init__(self, network: str) -> None:
        self.network = network
        self.limits = NetworkLimits(text_max=TEXT_MAX[network], text_unit="characters")
        self.validated: list[Content] = []

    def validate(self, content: Content) -> list[Problem]:
        self.validated.append(content)
        label, problems = LABELS[self.network], []
        excess = len(content.text) - TEXT_MAX[self.network]
        if excess > 0:
            limit, count = TEXT_MAX[self.network], len(content.text)
            problems.append(
                Problem(
                    self.network,
                    "text",
                    f"The text is {excess} characters too long for {label} ({count} of {limit}).",
                    "text.too_long",
                    {"network": self.network, "excess": excess, "count": count, "limit": limit},
                ),
            )
        kinds = {item.kind for item in content.media}
        network = {"network": self.network}
        if self.network == "youtube" and "video" not in kinds:
            problems.append(Problem(self.network, "media", "YouTube needs a video.", "media.video_required", network))
        if self.network == "youtube" and not content.title:
            problems.append(Problem(self.network, "title", "YouTube needs a title.", "title.required", network))
        if self.network == "flickr" and "image" not in kinds:
            problems.append(Problem(self.network, "media", "Flickr needs a photo.", "media.photo_required", network))
        problems += [
            Problem(
                self.network,
                "media",
                "An image has no alt text.",
                "media.alt_text_missing",
                {"file": os.path.basename(item.path)},
            )
            for item in content.media
            if item.kind == "image" and not item.alt_text
        ]
        return problems


@pytest.fixture(autouse=True)
def fake_adapters(request, monkeypatch):
    """In-memory adapters for validation, unless the test asks for `real_adapters`."""
    if "real_adapters" in request.fixturenames:
        yield None
        return
    adapters: dict[str, FakeAdapter] = {}

    def adapter_for(account):
        return adapters.setdefault(account.network, FakeAdapter(account.network))

    monkeypatch.setattr("posts.validation.adapter_for", adapter_for)
    yield adapters


@pytest.fixture
def real_adapters():
    """The real adapters (channels/adapters/<network>.py) answer validation."""
    return True


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path / "media")
    return settings.MEDIA_ROOT


@pytest.fixture(autouse=True)
def kicks(monkeypatch):
    """Every kick of the dispatcher, recorded instead of sent."""
    calls: list[bool] = []
    monkeypatch.setattr("posts.services.review.kick_dispatcher", lambda: calls.append(True))
    return calls


@pytest.fixture
def site_url(settings):
    settings.SITE_URL = "https://hub.example.org"
    return settings.SITE_URL


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def point_broker_at(monkeypatch):
    """Point the real Celery app at another broker URL for one test (Celery reads the
    CELERY_BROKER_URL environment variable before its configuration)."""
    conf = current_app.conf
    saved = {key: conf[key] for key in ("broker_url", "broker_write_url", "broker_transport_options")}

    def point(url: str) -> None:
        monkeypatch.setenv("CELERY_BROKER_URL", url)
        monkeypatch.delenv("CELERY_BROKER_WRITE_URL", raising=False)
        conf.broker_url = url
        conf.broker_write_url = None
        conf.broker_transport_options = {}

    yield point
    for key, value in saved.items():
        conf[key] = value
