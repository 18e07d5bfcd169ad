"""The networks misbehave: 5xx, 429 and timeouts after the request arrived; a token
revoked mid-fan-out."""

from __future__ import annotations

import pytest

from live import scenarios

pytestmark = [pytest.mark.chaos, pytest.mark.processes, pytest.mark.timeout(240)]


def test_network_faults_end_sent_or_settled_with_no_duplicate(chaos, check):
    check(scenarios.network_faults(chaos))


def test_token_revoked_mid_fan_out_fails_that_account_as_auth_only(chaos, check):
    check(scenarios.token_revoked(chaos))
