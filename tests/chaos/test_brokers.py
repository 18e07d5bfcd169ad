"""The broker and beat fail: Redis restarted (queues lost) and frozen, beat stopped, a
crisis alert behind a routine backlog. The Redis scenarios start a redis-server of their
own (never the shared one): they run whatever broker the suite uses, and fail if Debian's
redis-server is not installed."""

from __future__ import annotations

import pytest

from live import scenarios

pytestmark = [pytest.mark.chaos, pytest.mark.processes, pytest.mark.timeout(240)]


def test_redis_restarted_mid_fan_out_loses_and_duplicates_nothing(redis_chaos, check):
    check(scenarios.redis_restart(redis_chaos))


def test_redis_frozen_approval_answers_within_a_second_and_goes_out_after(redis_chaos, check):
    check(scenarios.redis_frozen(redis_chaos))


def test_beat_stopped_then_started_sends_due_messages_once(chaos, check):
    check(scenarios.beat_stopped(chaos))


def test_crisis_alert_behind_500_routine_deliveries_is_out_within_ten_seconds(chaos, check):
    check(scenarios.crisis_priority(chaos))
