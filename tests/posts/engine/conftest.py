"""Fixtures for the publishing engine's tests (dispatch, publish, reconcile, sweep, health).

Two kinds of test live here:

- in-process service tests (fast): the broker is a `FakeBroker` that records what would
  be sent, and the network is a `FakeNetwork` adapter whose answers a test scripts;
- live tests (`live_stack`, tests/live.py on live/stack.py): a real sandbox process, real Celery worker
  (and beat) processes on the test's own database and a broker of its own; nothing of
  ours is mocked there.
"""

from __future__ import annotations

import itertools
from collections import defaultdict
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime

import pytest

from channels.adapters.base import Content, Credentials, PermanentError, Published, TransientError
from tests.live import _live_database_keeper, live_sandbox, live_stack  # noqa: F401 (fixtures)


@pytest.fixture
def kicks():
    """Overrides tests/posts/conftest.py: here the dispatcher kick is real (it goes to the
    FakeBroker in service tests, to the live broker in live tests)."""
    return None


# --- The broker -----------------------------------------------------------------------------------


class BrokerDown(ConnectionError):
    pass


@dataclass
class FakeBroker:
    """Stands in for `celery.current_app` in the engine's services: records every task sent."""

    sent: list[tuple[str, tuple, str]] = field(default_factory=list)
    down: bool = False

    @contextmanager
    def producer_or_acquire(self, producer=None):
        yield producer

    def send_task(self, name, args=None, kwargs=None, queue=None, producer=None, **options):
        if self.down:
            raise BrokerDown("broker down")
        self.sent.append((name, tuple(args or ()), queue))

    def ids(self, name: str = "posts.publish_batch", queue: str | None = None) -> list[int]:
        """The ids sent to task `name`, in order (a batch's ids one by one)."""
        ids: list[int] = []
        for sent_name, args, sent_queue in self.sent:
            if sent_name == name and (queue is None or sent_queue == queue):
                ids.extend(args[0] if isinstance(args[0], list) else [args[0]])
        return ids

    def names(self) -> list[str]:
        return [sent_name for sent_name, _, _ in self.sent]

    def clear(self) -> None:
        self.sent.clear()


@pytest.fixture(autouse=True)
def broker(request, monkeypatch):
    """A FakeBroker behind the dispatcher, the sweeper and the operations (not in live tests)."""
    fake = FakeBroker()
    if "live_stack" in request.fixturenames or "real_broker" in request.fixturenames:
        return None
    for module in ("dispatch", "sweeper", "operations"):
        monkeypatch.setattr(f"posts.services.{module}.current_app", fake)
    return fake


@pytest.fixture
def real_broker():
    """Ask for it to keep the real Celery app (the broker of CELERY_BROKER_URL)."""
    return True


# --- The network ------------------------------------------------------------------------------------

STORED = object()  # a scripted answer: store the post, then fail as the next item says


class FakeNetwork:
    """An in-memory network for the service tests. `script[account_id]` (or `script["*"]`)
    lists the answers to the next calls: an exception to raise, or (STORED, exception) to
    keep the post and then raise (a timeout after the request arrived); an empty script
    publishes. `find` answers reconciliation: "search" (look for the reference), None, or an
    exception."""

    network = "twitter"

    def __init__(self) -> None:
        self.script: dict[str, list] = defaultdict(list)
        self.posts: list[dict] = []
        self.deleted: list[str] = []
        self.calls: list[tuple[str, str]] = []
        self.find: object = "search"
        self.delete_error: Exception | None = None
        self._ids = itertools.count(1000)

    def _next(self, account_id: str):
        for key in (account_id, "*"):
            if self.script.get(key):
                return self.script[key].pop(0)
        return None

    def publish(self, credentials: Credentials, content: Content, *, progress=None) -> Published:
        self.calls.append(("publish", credentials.account_id))
        answer = self._next(credentials.account_id)
        if isinstance(answer, tuple) and answer[0] is STORED:
            self._store(credentials, content)
            raise answer[1]
        if isinstance(answer, Exception):
            raise answer
        return self._store(credentials, content)

    def _store(self, credentials: Credentials, content: Content) -> Published:
        external_id = str(next(self._ids))
        self.posts.append(
            {"account": credentials.account_id, "text": content.text, "reference": content.reference, "id": external_id}
        )
        return Published(external_id=external_id, url=f"https://x.example/{external_id}")

    def find_published(self, credentials: Credentials, content: Content, since: datetime) -> Published | None:
        self.calls.append(("find", credentials.account_id))
        if isinstance(self.find, Exception):
            raise self.find
        if self.find is None:
            return None
        for post in self.posts:
            if post["account"] == credentials.account_id and post["reference"] == content.reference:
                return Published(external_id=post["id"], url=f"https://x.example/{post['id']}")
        return None

    def delete(self, credentials: Credentials, external_id: str) -> None:
        self.calls.append(("delete", credentials.account_id))
        if self.delete_error is not None:
            raise self.delete_error
        self.deleted.append(external_id)

    def posts_of(self, account_id: str) -> list[dict]:
        return [post for post in self.posts if post["account"] == account_id]


@pytest.fixture
def network(monkeypatch):
    """A FakeNetwork behind every account's adapter in the engine's services."""
    fake = FakeNetwork()
    monkeypatch.setattr("posts.services.delivery.adapter_for", lambda account: fake)
    return fake


__all__ = ["STORED", "BrokerDown", "FakeBroker", "FakeNetwork", "PermanentError", "TransientError"]
