"""The web request never waits on the broker: with Redis frozen (CLIENT PAUSE), approving
a message for "now" still answers within a second.

Runs when CELERY_BROKER_URL is redis://. If it is and Redis does not answer, the test
fails (it never skips: a CI on Redis must prove this)."""

from __future__ import annotations

import subprocess
import time
from urllib.parse import urlsplit

import pytest
from django.conf import settings as django_settings

from posts.models import Delivery

from .helpers import accounts, approve

REDIS = django_settings.CELERY_BROKER_URL.startswith(("redis://", "rediss://"))

pytestmark = [
    pytest.mark.django_db,
    # CLIENT PAUSE freezes the whole Redis server, the other xdist worker's databases too.
    pytest.mark.serial,
    pytest.mark.skipif(not REDIS, reason="needs CELERY_BROKER_URL=redis://..."),
]


def _pause_redis(milliseconds: int) -> None:
    import redis

    client = redis.Redis.from_url(django_settings.CELERY_BROKER_URL, socket_timeout=3, socket_connect_timeout=3)
    assert client.ping(), "Redis does not answer at CELERY_BROKER_URL"
    client.execute_command("CLIENT", "PAUSE", str(milliseconds), "ALL")
    client.close()


def test_message_approve_answers_within_a_second_with_redis_frozen(real_broker, django_capture_on_commit_callbacks):
    targets = accounts(3)
    _pause_redis(3000)
    started = time.monotonic()
    with django_capture_on_commit_callbacks(execute=True):
        message = approve(targets=targets)
    elapsed = time.monotonic() - started
    assert elapsed < 1.0, f"Approval took {elapsed:.2f} s with Redis frozen"
    assert Delivery.objects.filter(message=message, state=Delivery.State.SCHEDULED).count() == 3
    time.sleep(3.2)  # let Redis resume before the next test


def test_redis_cli_sees_the_broker(real_broker):
    """The broker of this run answers (a guard: the frozen test above is meaningless otherwise)."""
    url = urlsplit(django_settings.CELERY_BROKER_URL)
    answer = subprocess.run(  # noqa: S603
        ["redis-cli", "-h", url.hostname or "127.0.0.1", "-p", str(url.port or 6379), "PING"],  # noqa: S607
        capture_output=True,
        text=True,
        timeout=5,
        check=False,
    )
    assert answer.stdout.strip() == "PONG", answer.stderr
