"""The operations lists count each message's deliveries for the page shown (their constant
query counts are in test_queries.py, with the other list pages)."""

from __future__ import annotations

import pytest
from django.urls import reverse

from tests.posts.views import bulk

pytestmark = pytest.mark.django_db


def test_the_monitor_list_counts_each_messages_deliveries(login, author, press, crisis, cairo, tokyo):
    """Counted per page after paginating: the numbers are still each message's own."""
    bulk.world(size=3, author=author, reviewer=press, crisis_author=crisis, missions=[cairo, tokyo])
    page = login(press).get(reverse("posts:monitor_list") + "?show=attention")
    messages = list(page.context["page"].object_list)
    assert messages
    for message in messages:
        assert message.total == message.deliveries.count()
        assert message.failed + message.held + message.unknown > 0
