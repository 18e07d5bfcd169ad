"""Workers die: SIGKILL mid-publish, and right after a network accepted a post."""

from __future__ import annotations

import pytest

from tests.chaos import scenarios

pytestmark = [pytest.mark.chaos, pytest.mark.processes, pytest.mark.timeout(240)]


def test_workers_killed_mid_publish_lose_and_duplicate_nothing(chaos, check):
    """Short: 271 X deliveries, two SIGKILLs (make drill: 1,084 on four networks, three)."""
    check(scenarios.worker_kill(chaos))


def test_worker_killed_after_the_network_accepted_is_reconciled_to_one_post(chaos, check):
    check(scenarios.kill_after_accept(chaos))
