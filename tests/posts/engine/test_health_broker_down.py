"""A broker that does not answer turns the health report red, says so in words, and the
report still comes back within HEALTH_BROKER_TIMEOUT: nothing of ours is mocked, the
Celery app is pointed at a port where nothing listens, or at a socket that never answers
(a frozen Redis)."""

from __future__ import annotations

import socket
import time

import pytest
from celery import current_app
from django.urls import reverse

from posts.health import health_report
from posts.services.dispatch import dispatch_due, record_heartbeat
from tests.posts.conftest import free_port

pytestmark = pytest.mark.django_db


@pytest.fixture
def silent_server():
    """A TCP port that accepts connections and never says a word."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(16)
    yield server.getsockname()[1]
    server.close()


def _alive() -> None:
    record_heartbeat("worker:publish1@host")
    record_heartbeat("queue:publish")
    dispatch_due()


@pytest.mark.parametrize("how", ["refused", "silent"])
def test_an_unreachable_broker_turns_the_report_red_in_time(how, point_broker_at, silent_server, settings):
    settings.HEALTH_BROKER_TIMEOUT = 0.5
    port = free_port() if how == "refused" else silent_server
    _alive()
    point_broker_at(f"redis://127.0.0.1:{port}/0")
    started = time.monotonic()
    report = health_report()
    elapsed = time.monotonic() - started
    assert report["status"] == "red"
    assert report["broker"]["reachable"] is False
    assert [reason for reason in report["reasons"] if reason.startswith("The broker does not answer (")] != []
    # Only the broker is wrong: the dispatcher and a worker were seen just now.
    assert len(report["reasons"]) == 1, report["reasons"]
    assert current_app.connection_for_write().as_uri().endswith(f":{port}/0")
    assert elapsed < settings.HEALTH_BROKER_TIMEOUT + 0.5


def test_healthz_answers_503_and_names_the_broker(client, point_broker_at, settings):
    settings.HEALTH_BROKER_TIMEOUT = 0.5
    _alive()
    point_broker_at(f"redis://127.0.0.1:{free_port()}/0")
    response = client.get(reverse("healthz"))
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "red"
    assert any("broker" in reason for reason in body["reasons"]), body["reasons"]


def test_the_same_report_is_ok_with_the_configured_broker(settings):
    """Positive control: the app's own broker (CELERY_BROKER_URL) answers."""
    _alive()
    report = health_report()
    assert report["broker"]["reachable"] is True, report["broker"]
    assert report["status"] == "ok", report["reasons"]
