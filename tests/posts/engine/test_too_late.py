"""Nothing goes out late by surprise: a delivery that would leave more than
PUBLISH_LATE_AFTER after the time a person gave it (the approved time, a release, a retry)
is held for a press officer, by the dispatcher and again by the worker. The engine's own
postponements (a rate limit, a backoff) do not move that time."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from channels.adapters.base import PermanentError, RateLimited
from diplomacy_hub.settings import base
from posts.models import Delivery, DeliveryAttempt, Event, Message
from posts.services.delivery import delivery_publish
from posts.services.dispatch import dispatch_due
from posts.services.operations import delivery_retry, held_release
from posts.views.words import delivery_problem

from .helpers import accounts, approve, deliveries_of, states
from .helpers import press_officer as make_press_officer

pytestmark = pytest.mark.django_db
S = Delivery.State
GRACE = timedelta(hours=1)


@pytest.fixture(autouse=True)
def _grace(settings):
    settings.PUBLISH_LATE_AFTER = GRACE.total_seconds()


@pytest.fixture
def clock(monkeypatch):
    """Time frozen where the services read it (timezone.now); `clock.move(delta)`."""

    class Clock:
        now = timezone.now()

        def move(self, delta: timedelta):
            self.now += delta
            return self.now

    frozen = Clock()
    monkeypatch.setattr("django.utils.timezone.now", lambda: frozen.now)
    return frozen


def _scheduled(hours: float = 1) -> tuple[Message, Delivery]:
    message = approve(targets=accounts(1), publish_at=timezone.now() + timedelta(hours=hours))
    (delivery,) = deliveries_of(message)
    return message, delivery


def test_a_delivery_is_due_at_its_approved_time(broker):
    message, delivery = _scheduled()
    assert delivery.due_at == message.scheduled_at == delivery.next_attempt_at


def test_the_dispatcher_sends_what_falls_due_within_the_grace(broker):
    message, _ = _scheduled()
    result = dispatch_due(now=message.scheduled_at + GRACE - timedelta(seconds=1))
    assert len(result.queued) == 1
    assert states(message) == [S.QUEUED]


def test_the_dispatcher_holds_what_would_go_out_past_the_grace(broker):
    message, delivery = _scheduled()
    result = dispatch_due(now=message.scheduled_at + GRACE + timedelta(seconds=1))
    assert result.queued == []
    assert result.held == [delivery.pk]
    assert broker.ids() == []
    delivery.refresh_from_db()
    assert (delivery.state, delivery.last_error_kind) == (S.HELD, Delivery.ErrorKind.LATE)
    event = Event.objects.get(delivery=delivery, verb="delivery.held")
    assert event.details["late"] is True
    assert event.details["due_at"] == message.scheduled_at.isoformat()
    assert "press officer" in delivery_problem(delivery)
    assert "pause" not in delivery_problem(delivery)


def test_a_longer_grace_is_a_setting(broker, settings):
    settings.PUBLISH_LATE_AFTER = 3 * 3600
    message, _ = _scheduled()
    assert len(dispatch_due(now=message.scheduled_at + timedelta(hours=2)).queued) == 1


def test_releasing_a_late_delivery_starts_the_grace_again(broker, clock):
    message, delivery = _scheduled()
    clock.move(timedelta(hours=3))
    dispatch_due()
    assert states(message) == [S.HELD]
    (released,) = held_release(actor=make_press_officer(), delivery_ids=[delivery.pk])
    released.refresh_from_db()
    assert (released.state, released.due_at, released.last_error_kind, released.last_error) == (
        S.SCHEDULED,
        clock.now,
        "",
        "",
    )
    assert len(dispatch_due().queued) == 1


def test_a_rate_limit_does_not_move_the_approved_time(broker, network, clock):
    """A retry is late when it would leave past the grace of the approved time: the network
    made us wait two hours, so a person decides whether it still goes out."""
    message = approve(targets=accounts(1))
    (delivery,) = deliveries_of(message)
    network.script["*"] = [RateLimited("Too Many Requests", retry_after=2 * 3600)]
    dispatch_due()
    delivery_publish(delivery_id=delivery.pk)
    delivery.refresh_from_db()
    assert delivery.state == S.SCHEDULED
    assert delivery.due_at == message.scheduled_at
    clock.move(timedelta(hours=2, seconds=1))
    assert dispatch_due().held == [delivery.pk]
    assert network.posts == []


def test_a_press_officers_retry_is_a_new_word(broker, network, clock):
    message = approve(targets=accounts(1))
    (delivery,) = deliveries_of(message)
    network.script["*"] = [PermanentError("Refused", status_code=400)]
    dispatch_due()
    delivery_publish(delivery_id=delivery.pk)
    clock.move(GRACE + timedelta(minutes=1))
    delivery_retry(actor=make_press_officer(), delivery_id=delivery.pk)
    delivery.refresh_from_db()
    assert delivery.due_at == clock.now
    assert len(dispatch_due().queued) == 1
    delivery_publish(delivery_id=delivery.pk)
    assert len(network.posts) == 1


def test_the_worker_holds_a_delivery_that_waited_on_the_queue_past_the_grace(broker, network, clock):
    """Queued in time, picked up by a worker hours later (a backlog, a frozen broker)."""
    message = approve(targets=accounts(1))
    (delivery,) = deliveries_of(message)
    dispatch_due()
    clock.move(GRACE + timedelta(minutes=1))
    outcome = delivery_publish(delivery_id=delivery.pk)
    assert (outcome.state, outcome.kind) == (S.HELD, Delivery.ErrorKind.LATE)
    assert network.posts == []
    delivery.refresh_from_db()
    assert (delivery.state, delivery.attempts) == (S.HELD, 0)
    assert not DeliveryAttempt.objects.filter(delivery=delivery).exists()
    assert Event.objects.get(delivery=delivery, verb="delivery.held").details["late"] is True


def test_the_default_grace_outlasts_the_whole_backoff():
    """A delivery that only met network failures is never held as late by the engine's own
    retries: every wait at its longest (the jitter's top) fits in the default grace."""
    longest = sum(
        min(base.PUBLISH_BACKOFF_BASE * 2 ** (attempt - 1), base.PUBLISH_BACKOFF_MAX)
        * (1 + base.PUBLISH_BACKOFF_JITTER)
        for attempt in range(1, base.PUBLISH_MAX_ATTEMPTS)
    )
    assert longest < base.PUBLISH_LATE_AFTER
