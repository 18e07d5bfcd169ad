"""Pure rules of the engine: backoff, rate-limit budgets, the message's summary state."""

from __future__ import annotations

import random
from datetime import timedelta

import pytest
from django.utils import timezone

from posts.models import Delivery, DeliveryAttempt, Message
from posts.ratelimit import budget_for
from posts.services.outcomes import backoff_seconds
from posts.services.summary import summary_state

from .helpers import accounts, approve

S = Delivery.State


# --- Backoff -------------------------------------------------------------------------------------


def test_backoff_doubles_from_thirty_seconds_without_jitter(settings):
    settings.PUBLISH_BACKOFF_JITTER = 0
    assert [backoff_seconds(n) for n in range(1, 9)] == [30, 60, 120, 240, 480, 960, 1200, 1200]


def test_backoff_jitter_stays_within_twenty_percent():
    rng = random.Random(7)
    for attempt in range(1, 9):
        nominal = min(30 * 2 ** (attempt - 1), 1200)
        for _ in range(200):
            assert 0.8 * nominal <= backoff_seconds(attempt, rng=rng) <= 1.2 * nominal


def test_backoff_spreads_eight_attempts_over_about_an_hour(settings):
    settings.PUBLISH_BACKOFF_JITTER = 0
    total = sum(backoff_seconds(n) for n in range(1, settings.PUBLISH_MAX_ATTEMPTS))
    assert settings.PUBLISH_MAX_ATTEMPTS == 8
    assert 45 * 60 <= total <= 75 * 60


# --- Summary -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("delivery_states", "expected"),
    [
        ([S.SENT, S.SENT], Message.State.PUBLISHED),
        ([S.SENT, S.FAILED], Message.State.PARTIALLY_PUBLISHED),
        ([S.SENT, S.CANCELLED], Message.State.PARTIALLY_PUBLISHED),
        ([S.FAILED, S.CANCELLED], Message.State.FAILED),
        ([S.FAILED], Message.State.FAILED),
        ([S.SENT, S.UNKNOWN], Message.State.PUBLISHING),
        ([S.SENT, S.HELD], Message.State.PUBLISHING),
        ([S.QUEUED, S.SCHEDULED], Message.State.PUBLISHING),
        ([S.RETRACTED, S.SENT], Message.State.PUBLISHED),
        ([], None),
    ],
)
def test_summary_state(delivery_states, expected):
    assert summary_state(delivery_states) == expected


# --- Rate-limit budgets -----------------------------------------------------------------------------


def _attempts(delivery: Delivery, count: int, *, ago: timedelta, outcome: str = "sent") -> None:
    started = timezone.now() - ago
    DeliveryAttempt.objects.bulk_create(
        [
            DeliveryAttempt(delivery=delivery, number=n + 1, action="publish", started_at=started, outcome=outcome)
            for n in range(count)
        ]
    )


@pytest.mark.django_db
def test_budget_counts_an_accounts_calls_in_its_window(settings):
    settings.PUBLISH_RATE_LIMITS = {"twitter": {"account": [3, 900]}}
    first, second = accounts(2)
    message = approve(targets=[first, second])
    one, _ = Delivery.objects.filter(message=message).order_by("account_id")
    _attempts(one, 2, ago=timedelta(minutes=5))
    _attempts(one, 5, ago=timedelta(minutes=20))  # out of the 15-minute window
    now = timezone.now()
    budget = budget_for(now=now)
    assert budget.take(network="twitter", account_id=first.pk) is None  # third call
    frees = budget.take(network="twitter", account_id=first.pk)
    assert frees is not None
    assert abs((frees - (now - timedelta(minutes=5) + timedelta(seconds=900))).total_seconds()) < 2
    assert budget.take(network="twitter", account_id=second.pk) is None


@pytest.mark.django_db
def test_budget_app_wide_window_is_shared_by_all_accounts_and_counts_queued(settings):
    settings.PUBLISH_RATE_LIMITS = {"twitter": {"app": [4, 86400]}}
    targets = accounts(3)
    message = approve(targets=targets)
    first, second, third = Delivery.objects.filter(message=message).order_by("pk")
    _attempts(first, 2, ago=timedelta(hours=3))
    Delivery.objects.filter(pk=second.pk).update(state=S.QUEUED)
    budget = budget_for(now=timezone.now())
    assert budget.app_usage["twitter"].used == 3
    assert budget.take(network="twitter", account_id=third.account_id) is None
    assert budget.take(network="twitter", account_id=third.account_id) is not None
    assert budget.take(network="facebook", account_id=third.account_id) is None  # no limit set


@pytest.mark.django_db
def test_budget_is_read_in_two_queries_whatever_the_number_of_accounts(settings, django_assert_num_queries):
    settings.PUBLISH_RATE_LIMITS = {
        "twitter": {"account": [100, 900], "app": [10_000, 86400]},
        "flickr": {"app": [3600, 3600]},
    }
    message = approve(targets=accounts(6))
    for delivery in Delivery.objects.filter(message=message):
        _attempts(delivery, 1, ago=timedelta(minutes=1))
    with django_assert_num_queries(2):
        budget = budget_for(now=timezone.now())
    assert budget.app_usage["twitter"].used == 6
