"""The monitor of a message with a thousand deliveries: its deliveries counted per network
above a short list (problems first, 25 a page), so that the page stays light."""

from __future__ import annotations

import pytest
from django.urls import reverse

from posts.models import Delivery
from tests.posts.factories import crisis_member
from tests.posts.operations.test_crisis_pages import _big_alert

pytestmark = pytest.mark.django_db
S = Delivery.State


def test_the_monitor_counts_per_network_and_lists_problems_first(crisis, as_user):
    alert = _big_alert(crisis, per_state={S.SENT: 900, S.FAILED: 30, S.UNKNOWN: 10})
    response = as_user(crisis_member()).get(reverse("posts:monitor", args=[alert.pk]))
    assert response.status_code == 200
    networks = {row.network: row.counts for row in response.context["networks"]}
    assert sum(counts.total for counts in networks.values()) == 940
    assert response.context["counts"].failed == 30
    assert response.context["counts"].unknown == 10
    assert "By network" in response.text
    rows = response.context["deliveries"]
    assert len(rows) == 25
    assert {row.state for row in rows} == {S.FAILED, S.UNKNOWN}  # 40 problems: the first page has no sent one
    assert "Deliveries 1 to 25 of 940" in response.text
    assert len(response.content) < 60_000


def test_the_monitor_of_a_small_message_counts_each_of_its_networks(tokyo_message, press, as_user):
    response = as_user(press).get(reverse("posts:monitor", args=[tokyo_message.pk]))
    assert len(response.context["networks"]) == 2  # X and Facebook
    assert response.context["counts"].total == 4
