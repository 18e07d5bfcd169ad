"""Officers see the crisis alerts that went out on their own missions' accounts (in
Deliveries and on the Calendar), and only their own accounts' deliveries of them; the
press office's calendar shows crisis alerts beside routine messages."""

from __future__ import annotations

import pytest
from django.urls import reverse

from channels.models import Network
from posts.models import Message
from posts.services.crisis import crisis_alert_create
from posts.services.review import message_approve, message_submit
from tests.posts.factories import account, crisis_member

pytestmark = pytest.mark.django_db

MENA = "Middle East & North Africa"


@pytest.fixture
def alert():
    """A crisis alert to the Middle East, approved: it reaches Cairo's and Beirut's X
    accounts (and Cairo's Facebook), not Tokyo's."""
    account("emb-eg-cairo")
    account("emb-eg-cairo", Network.FACEBOOK)
    account("emb-lb-beirut")
    account("emb-jp-tokyo")
    author = crisis_member()
    created = crisis_alert_create(
        actor=author, title="Shelter in place", texts={"fr": "Restez chez vous."}, scope={"regions": [MENA]}
    )
    message_submit(actor=author, message_id=created.pk)
    return message_approve(actor=crisis_member(), message_id=created.pk, publish_at=None)


def _calendar_titles(response) -> list[str]:
    return [entry.message.title for day in response.context["days"] for entry in day.entries]


def test_an_officer_sees_the_alert_that_went_out_on_their_accounts_in_deliveries(login, author, alert):
    response = login(author).get(reverse("posts:monitor_list"))
    assert alert in response.context["page"].object_list
    monitor = login(author).get(reverse("posts:monitor", args=[alert.pk]))
    assert monitor.status_code == 200
    # Only Cairo's two deliveries, not Beirut's.
    shown = list(monitor.context["page"].object_list)
    assert {delivery.account.mission.code for delivery in shown} == {"emb-eg-cairo"}
    assert len(shown) == 2
    assert sum(row.counts.total for row in monitor.context["networks"]) == 2
    assert "Beirut" not in monitor.text


def test_an_officer_sees_the_alert_on_their_calendar(login, author, alert):
    response = login(author).get(reverse("posts:calendar"), {"view": "week"})
    assert "Shelter in place" in _calendar_titles(response)


def test_the_press_offices_calendar_shows_crisis_alerts(login, press, alert):
    response = login(press).get(reverse("posts:calendar"), {"view": "week"})
    assert "Shelter in place" in _calendar_titles(response)
    for query in ({"view": "month"}, {"tz": "mission"}, {"region": MENA}):
        assert "Shelter in place" in _calendar_titles(login(press).get(reverse("posts:calendar"), query)), query


def test_an_officer_of_a_mission_the_alert_did_not_reach_does_not_see_it(login, stranger, alert):
    assert alert not in login(stranger).get(reverse("posts:monitor_list")).context["page"].object_list
    assert login(stranger).get(reverse("posts:monitor", args=[alert.pk])).status_code == 404
    assert "Shelter in place" not in _calendar_titles(login(stranger).get(reverse("posts:calendar")))


def test_an_alert_not_yet_approved_stays_with_the_crisis_unit(login, author):
    account("emb-eg-cairo")
    writer = crisis_member()
    draft = crisis_alert_create(actor=writer, title="Draft alert", texts={"fr": "x"}, scope={"regions": [MENA]})
    message_submit(actor=writer, message_id=draft.pk)
    assert login(author).get(reverse("posts:monitor", args=[draft.pk])).status_code == 404
    assert login(author).get(reverse("posts:message_detail", args=[draft.pk])).status_code == 404


def test_an_officer_still_may_not_act_on_the_alert(login, author, alert):
    html = login(author).get(reverse("posts:monitor", args=[alert.pk])).text
    assert reverse("posts:monitor_cancel", args=[alert.pk]) not in html
    response = login(author).post(reverse("posts:monitor_cancel", args=[alert.pk]))
    assert response.status_code in (403, 404)
    assert Message.objects.get(pk=alert.pk).state != Message.State.CANCELLED
