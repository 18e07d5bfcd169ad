"""Fixtures of the chaos scenarios: a LiveStack (live/stack.py) with the scenarios' engine
timings, on the test database and a sandbox process; for the Redis scenarios, on a
redis-server of the test's own (never the shared 6379), which this process's Celery app
uses too for the duration of the test."""

from __future__ import annotations

import json

import pytest

from live.harness import CHAOS_ENV
from live.scenarios import Chaos
from live.stack import RedisServer, restore_broker, use_redis_broker
from tests.conftest import SUMMARY_SECTION
from tests.live import _live_database_keeper, live_sandbox, live_stack  # noqa: F401 (fixtures)


def _is_postgres() -> bool:
    from django.db import connection

    return connection.vendor == "postgresql"


def _chaos(stack, settings, tmp_path, redis: RedisServer | None = None) -> Chaos:
    media = tmp_path / "media"
    media.mkdir(exist_ok=True)
    settings.MEDIA_ROOT = str(media)
    stack.env.update(CHAOS_ENV)
    stack.env["MEDIA_ROOT"] = str(media)
    return Chaos(stack=stack, full=False, redis=redis, postgres=_is_postgres(), workdir=tmp_path)


@pytest.fixture
def chaos(live_stack, settings, tmp_path):  # noqa: F811
    """A Chaos on the suite's broker (the filesystem one on SQLite, Redis in CI)."""
    return _chaos(live_stack, settings, tmp_path)


@pytest.fixture
def private_redis(tmp_path):
    """A redis-server of this test's own, and this process's Celery app pointed at it
    (Celery reads CELERY_BROKER_URL from the environment first: both change, and come back
    after the test)."""
    from diplomacy_hub.celery import app

    server = RedisServer(tmp_path / "redis")
    server.start()
    previous = use_redis_broker(app, server.url())
    try:
        yield server
    finally:
        restore_broker(app, previous)
        server.stop()


@pytest.fixture
def redis_chaos(private_redis, live_stack, settings, tmp_path):  # noqa: F811
    """A Chaos whose broker is the private redis-server: set up before `live_stack` (the
    argument order), so the children get it as CELERY_BROKER_URL, and so does this
    process's app (for the approval's kick)."""
    return _chaos(live_stack, settings, tmp_path, redis=private_redis)


# --- The numbers, at the end of the run -----------------------------------------------------------------


@pytest.fixture
def check(request):
    """`check(verdict)`: keep its numbers for the run's summary ("chaos scenarios", printed by
    tests/conftest.py), and fail the test with the whole verdict (numbers, problems,
    details) unless it is clean."""

    def check(verdict) -> None:
        line = json.dumps(verdict.summary(), default=str)
        request.node.user_properties.append((f"{SUMMARY_SECTION}chaos scenarios", line))
        assert verdict.ok, verdict.explain()

    return check
