"""Workers die: SIGKILL mid-publish, and right after a network accepted a post."""

from __future__ import annotations

import dataclasses

import pytest

from live import scenarios

pytestmark = [pytest.mark.chaos, pytest.mark.processes, pytest.mark.timeout(240)]


@pytest.mark.timeout(420)
def test_workers_killed_mid_publish_lose_and_duplicate_nothing(chaos, check):
    """At the issue's full size, in the suite as in `make drill`: 1,084 deliveries on four
    networks, three SIGKILLs mid-publish (about a minute; the other scenarios run short)."""
    check(scenarios.worker_kill(dataclasses.replace(chaos, full=True)))


def test_worker_killed_after_the_network_accepted_is_reconciled_to_one_post(chaos, check):
    check(scenarios.kill_after_accept(chaos))
