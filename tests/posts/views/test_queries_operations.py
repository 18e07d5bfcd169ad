"""The operations lists cost a constant number of queries too: the monitor list in each of
its views, the crisis alerts, the pause page and the health page, measured with two
messages of each kind, then with 25 (their deliveries counted per page, never joined for
the whole year)."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from tests.posts.views import bulk

pytestmark = pytest.mark.django_db

PAGES = [
    ("press", "posts:monitor_list", ""),
    ("press", "posts:monitor_list", "?show=attention"),
    ("press", "posts:monitor_list", "?show=out"),
    ("press", "posts:monitor_list", "?show=done"),
    ("press", "posts:monitor_list", "?page=2"),
    ("author", "posts:monitor_list", ""),
    ("crisis", "posts:crisis_list", ""),
    ("press", "posts:pause", ""),
    ("press", "posts:health", ""),
]
MAX_QUERIES = 30


@pytest.mark.parametrize(("who", "name", "query"), PAGES)
def test_operations_page_costs_a_constant_number_of_queries(request, login, author, press, crisis, cairo, tokyo,
                                                             django_assert_max_num_queries, who, name, query):
    client = login(request.getfixturevalue(who))
    url = reverse(name) + query
    fill = {"author": author, "reviewer": press, "crisis_author": crisis, "missions": [cairo, tokyo]}
    bulk.world(size=2, **fill)
    assert client.get(url).status_code == 200  # warm-up: the session's first writes
    with CaptureQueriesContext(connection) as small:
        assert client.get(url).status_code == 200
    assert len(small) <= MAX_QUERIES, [query["sql"] for query in small.captured_queries]

    bulk.world(size=25, **fill)
    with django_assert_max_num_queries(len(small)):
        response = client.get(url)
    assert response.status_code == 200


def test_the_monitor_list_counts_each_messages_deliveries(login, author, press, crisis, cairo, tokyo):
    """Counted per page after paginating: the numbers are still each message's own."""
    bulk.world(size=3, author=author, reviewer=press, crisis_author=crisis, missions=[cairo, tokyo])
    page = login(press).get(reverse("posts:monitor_list") + "?show=attention")
    messages = list(page.context["page"].object_list)
    assert messages
    for message in messages:
        assert message.total == message.deliveries.count()
        assert message.failed + message.held + message.unknown > 0
