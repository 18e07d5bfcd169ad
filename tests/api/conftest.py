"""The API's tests: the security suite's world (missions A and B, one user per role, an
object of each kind, made through the services), tokens made by the administrator through
the service, and a client that speaks JSON with a bearer token."""

from __future__ import annotations

import ssl
import threading
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from celery import current_app
from django.core.cache import cache
from django.test import Client
from django.utils import timezone

import api.tasks  # noqa: F401 (registers the API's tasks in this process, for Tasks.run)
from api import signing
from api.services.tokens import token_create_for_person, token_create_for_service
from tests.live import _live_database_keeper  # noqa: F401 (a fixture)
from tests.security.conftest import _offline_publishing, build_world  # noqa: F401 (an autouse fixture)


class ApiClient:
    """JSON in and out, with `Authorization: Bearer <token>`."""

    def __init__(self, secret: str = "") -> None:
        self.client = Client()
        self.headers = {"Authorization": f"Bearer {secret}"} if secret else {}

    def get(self, path: str, params: dict | None = None):
        return self.client.get(path, params or {}, headers=self.headers)

    def post(self, path: str, body=None, **kwargs):
        return self.client.post(
            path,
            body if body is not None else {},
            content_type="application/json",
            headers=self.headers | kwargs.pop("headers", {}),
            **kwargs,
        )

    def patch(self, path: str, body=None):
        return self.client.patch(path, body or {}, content_type="application/json", headers=self.headers)

    def raw(self, method: str, path: str, data: bytes, content_type: str = "application/json"):
        return getattr(self.client, method)(path, data, content_type=content_type, headers=self.headers)


@pytest.fixture(autouse=True)
def _fresh_request_counts():
    """The per-token and per-address counts live in Django's cache: each test starts at zero."""
    cache.clear()


@pytest.fixture
def world(db):
    return build_world()


@pytest.fixture
def api_as(world):
    """api_as("officer_a") → an ApiClient with a person's token for that user."""

    def make(role: str, **kwargs) -> ApiClient:
        new = token_create_for_person(
            actor=world.users["admin"], user_id=world.users[role].pk, name=f"{role} token", **kwargs
        )
        return ApiClient(new.secret)

    return make


@pytest.fixture
def service_api(world):
    """service_api(role, missions, scopes) → an ApiClient with a service account's token."""

    def make(role: str, missions: list, scopes: list[str], **kwargs) -> ApiClient:
        new = token_create_for_service(
            actor=world.users["admin"],
            name=f"{role} system",
            role=role,
            mission_ids=[mission.pk for mission in missions],
            scopes=scopes,
            expires_at=kwargs.pop("expires_at", timezone.now() + timedelta(days=30)),
            **kwargs,
        )
        return ApiClient(new.secret)

    return make


class Tasks:
    """Tasks handed to the broker, recorded (name, args, kwargs); `run()` works them off here."""

    def __init__(self) -> None:
        self.sent: list[tuple[str, list, dict]] = []

    def send_task(self, name, args=None, kwargs=None, **options):
        self.sent.append((name, list(args or []), dict(kwargs or {})))

    def names(self) -> list[str]:
        return [name for name, _args, _kwargs in self.sent]

    def run(self, only: str = "") -> list:
        sent, self.sent = self.sent, []
        results = []
        for name, args, kwargs in sent:
            if only and name != only:
                self.sent.append((name, args, kwargs))
                continue
            results.append(current_app.tasks[name](*args, **kwargs))
        return results


@pytest.fixture
def tasks(monkeypatch) -> Tasks:
    queue = Tasks()
    monkeypatch.setattr("diplomacy_hub.tasks.current_app.send_task", queue.send_task)
    return queue


@pytest.fixture(autouse=True)
def _live_server_helper(request):
    """pytest-django's helper of that name, with the keeper of the migrations' data set up
    before the transactional database (as tests/e2e/conftest.py does), so that the 271
    missions and the role groups are put back after the live server's test flushes them."""
    if "live_server" not in request.fixturenames:
        yield
        return
    request.getfixturevalue("_live_database_keeper")
    request.getfixturevalue("transactional_db")
    server = request.getfixturevalue("live_server")
    server._live_server_modified_settings.enable()
    yield
    server._live_server_modified_settings.disable()


class Receiver:
    """A webhook receiver on loopback: records what it gets, answers `status`, and checks
    each signature with the endpoint's secret as a receiving system would."""

    def __init__(self, tls: ssl.SSLContext | None = None) -> None:
        self.scheme = "https" if tls is not None else "http"
        self.received: list[tuple[dict, bytes]] = []
        self.status = 200
        self.secret = ""
        self.verified: list[bool] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                headers = dict(self.headers.items())
                receiver.received.append((headers, body))
                receiver.verified.append(signing.verify(secret=receiver.secret, headers=headers, body=body))
                self.send_response(receiver.status)
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        if tls is not None:
            self.server.socket = tls.wrap_socket(self.server.socket, server_side=True)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    @property
    def url(self) -> str:
        return self.url_for("127.0.0.1")

    @property
    def port(self) -> int:
        return self.server.server_address[1]

    def url_for(self, host: str) -> str:
        return f"{self.scheme}://{host}:{self.port}/hooks/diplomacy"

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver():
    running = Receiver()
    yield running
    running.close()
