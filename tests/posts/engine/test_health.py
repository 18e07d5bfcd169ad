"""Is it working? The health report and /healthz turn red, and say why, when publishing lags."""

from __future__ import annotations

import time
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from posts.health import health_report
from posts.models import Delivery, Heartbeat
from posts.services.dispatch import dispatch_due, kick_dispatcher, record_heartbeat

from .helpers import accounts, approve, approve_crisis

pytestmark = pytest.mark.django_db
S = Delivery.State


def _alive(now=None) -> None:
    record_heartbeat("worker:publish1@host")
    record_heartbeat("queue:publish")
    dispatch_due()


def test_health_report_is_ok_when_the_dispatcher_and_a_worker_ran_recently(broker):
    _alive()
    report = health_report()
    assert report["status"] == "ok", report["reasons"]
    assert report["reasons"] == []
    assert report["dispatcher"]["age_seconds"] < 5
    assert report["workers"][0]["name"] == "publish1@host"
    assert report["broker"]["reachable"] is True


def test_health_report_counts_waiting_deliveries_per_lane(broker):
    approve(targets=accounts(3))
    accounts(2, missions=["emb-jp-tokyo"])
    approve_crisis(scope={"countries": ["JP"]})
    report = health_report(check_broker=False)
    assert report["waiting"]["routine"]["due"] == 3
    assert report["waiting"]["crisis"]["due"] == 2
    dispatch_due()
    report = health_report(check_broker=False)
    assert report["waiting"]["routine"]["queued"] == 3
    assert report["waiting"]["crisis"]["queued"] == 2
    assert report["waiting"]["routine"]["due"] == 0


def test_health_report_is_red_when_the_dispatcher_has_not_run(broker):
    record_heartbeat("worker:w@h")
    Heartbeat.objects.create(name="dispatcher", seen_at=timezone.now() - timedelta(seconds=45))
    report = health_report(check_broker=False)
    assert report["status"] == "red"
    assert "The dispatcher has not run for 45 s." in report["reasons"]


def test_health_report_is_red_when_a_due_delivery_waits_too_long(broker, settings):
    _alive()
    message = approve(targets=accounts(1))
    Delivery.objects.filter(message=message).update(next_attempt_at=timezone.now() - timedelta(minutes=3))
    report = health_report(check_broker=False)
    assert report["status"] == "red"
    assert "The oldest due delivery has waited 3 min." in report["reasons"]
    assert report["oldest_due_seconds"] >= 180


def test_health_report_is_red_when_no_worker_was_seen(broker, settings):
    dispatch_due()
    Heartbeat.objects.filter(name__startswith="worker:").delete()
    report = health_report(check_broker=False)
    assert report["status"] == "red"
    assert any("No worker has been seen" in reason for reason in report["reasons"])


def test_health_report_is_red_when_a_queue_is_not_consumed(broker):
    _alive()
    Heartbeat.objects.create(name="queue:crisis", seen_at=timezone.now() - timedelta(minutes=5))
    report = health_report(check_broker=False)
    assert "No worker has taken work from the crisis queue for 5 min." in report["reasons"]


def test_healthz_answers_json_without_login(client, broker):
    _alive()
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert response.json()["status"] == "ok"


def test_healthz_answers_503_when_red(client, broker):
    response = client.get("/healthz")
    assert response.status_code == 503
    assert "The dispatcher has never run." in response.json()["reasons"]


def test_kick_dispatcher_returns_within_its_budget_when_the_broker_hangs(monkeypatch, settings):
    settings.KICK_TIMEOUT = 0.3
    monkeypatch.setattr("diplomacy_hub.tasks.current_app.send_task", lambda *args, **kwargs: time.sleep(3))
    started = time.monotonic()
    kick_dispatcher()
    assert time.monotonic() - started < 0.6


def test_dispatch_query_count_does_not_grow_with_the_batch(broker, django_assert_max_num_queries):
    approve(targets=accounts(20))
    with django_assert_max_num_queries(20):
        result = dispatch_due()
    assert len(result.queued) == 20
    assert connection.vendor in ("sqlite", "postgresql")
