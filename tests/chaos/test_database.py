"""The database fails under the workers (PostgreSQL's connections dropped), and ten
callers race to refresh one X token."""

from __future__ import annotations

import pytest

from live import scenarios

pytestmark = [pytest.mark.chaos, pytest.mark.processes, pytest.mark.timeout(240)]


@pytest.mark.postgresql  # pg_terminate_backend is PostgreSQL's; CI (CI_NO_SKIPS=1) must run it
def test_postgres_connections_dropped_mid_fan_out_workers_recover_without_restart(chaos, check):
    check(scenarios.pg_terminate(chaos))


def test_ten_callers_in_three_processes_refresh_one_x_token_once(chaos, check):
    check(scenarios.refresh_race(chaos))
