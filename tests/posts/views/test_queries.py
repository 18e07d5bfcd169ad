"""Every list page costs a constant number of queries, whatever the amount of data: the
count measured with two messages of each kind holds with 25 of each (450 messages with
their texts, targets, deliveries, events and reviews): an N+1 fails here."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from tests.posts.views import bulk

pytestmark = pytest.mark.django_db

PAGES = [
    ("author", "posts:dashboard", ""),
    ("press", "posts:dashboard", ""),
    ("crisis", "posts:dashboard", ""),
    ("admin_user", "posts:dashboard", ""),
    ("press", "posts:review_queue", ""),
    ("press", "posts:review_queue", "?network=twitter&priority=routine&date_from=2000-01-01"),
    ("press", "posts:review_queue", "?page=2"),
    ("crisis", "posts:review_queue", ""),
    ("press", "posts:calendar", ""),
    ("press", "posts:calendar", "?view=month&tz=mission"),
    ("author", "posts:calendar", "?view=month"),
    # The operations pages.
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
# A ceiling, so that the constant stays small too (session, user, roles, second factor...).
MAX_QUERIES = 30


@pytest.mark.parametrize(("who", "name", "query"), PAGES)
def test_list_page_costs_a_constant_number_of_queries(
    request, login, author, press, crisis, cairo, tokyo, django_assert_max_num_queries, who, name, query
):
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


def test_the_large_data_set_is_really_shown(login, author, press, crisis, cairo, tokyo):
    """The pages above do list the rows (so the constant is not the count of an empty page)."""
    bulk.world(size=30, author=author, reviewer=press, crisis_author=crisis, missions=[cairo, tokyo])
    queue = login(press).get(reverse("posts:review_queue"))
    assert "90 messages waiting for a decision" in queue.text  # 2 missions x 30, and 30 crisis alerts
    dashboard = login(author).get(reverse("posts:dashboard")).text
    assert "Shorter, please." in dashboard
    assert "Bulk" in dashboard
