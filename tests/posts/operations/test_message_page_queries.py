"""The message page of a crisis alert with a thousand deliveries and their events costs the
same number of queries as with a few: the deliveries are counted by state, and only the
latest of their events are read (with their accounts), never all of them."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from posts.models import Delivery, Event
from tests.posts.factories import crisis_member
from tests.posts.operations.test_crisis_pages import _big_alert

pytestmark = pytest.mark.django_db
S = Delivery.State


def _with_events(alert, deliveries) -> None:
    Event.objects.bulk_create(
        [
            Event(message=alert, delivery=delivery, verb="delivery.sent", from_state=S.SENDING, to_state=S.SENT)
            for delivery in deliveries
        ],
        batch_size=500,
    )


def test_the_message_page_of_a_big_alert_costs_a_constant_number_of_queries(
    crisis, as_user, django_assert_max_num_queries
):
    client = as_user(crisis_member())
    alert = _big_alert(crisis, per_state={S.SENT: 900, S.FAILED: 40})
    deliveries = list(alert.deliveries.order_by("pk"))
    _with_events(alert, deliveries[:3])
    url = reverse("posts:message_detail", args=[alert.pk])
    client.get(url)
    with CaptureQueriesContext(connection) as few:
        assert client.get(url).status_code == 200

    _with_events(alert, deliveries[3:])
    with django_assert_max_num_queries(len(few)):
        response = client.get(url)
    assert response.status_code == 200
    assert response.context["delivery_total"] == 940
    assert response.context["delivery_event_count"] == 940
    assert len(response.context["delivery_history"]) == 200
    assert "The latest 200 are shown." in response.text
