"""Who may open which operations page, as the policy says: anonymous visitors are sent to
log in; an officer sees their own missions' monitor only (another mission's message, and
every crisis alert, are not found), and no action; the press office operates; the crisis
unit writes and approves alerts; administrators see health and manage staff."""

from __future__ import annotations

from urllib.parse import quote

import pytest
from django.urls import reverse

from posts.models import Delivery, Message, PublishingPause
from posts.services.crisis import crisis_alert_create
from posts.services.review import message_submit
from tests.posts.factories import account, administrator, crisis_member, officer, press_officer

from .conftest import CAIRO, TOKYO, logged_in

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(tokyo_message, press, crisis):
    delivery = tokyo_message.deliveries.order_by("pk").first()
    Delivery.objects.filter(pk=delivery.pk).update(
        state=Delivery.State.FAILED, last_error="boom", last_error_kind="permanent"
    )
    Message.objects.filter(pk=tokyo_message.pk).update(state=Message.State.PUBLISHING)
    pause = PublishingPause.objects.create(scope="network", value="flickr", reason="test", started_by=press)
    account(CAIRO)
    alert = crisis_alert_create(
        actor=crisis, title="Alert", texts={"fr": "Restez chez vous."}, scope={"countries": ["EG"]}
    )
    message_submit(actor=crisis, message_id=alert.pk)
    return {"message": tokyo_message.pk, "delivery": delivery.pk, "pause": pause.pk, "alert": alert.pk}


def urls(world) -> dict[str, str]:
    m, d, p, a = world["message"], world["delivery"], world["pause"], world["alert"]
    return {
        "monitor_list": reverse("posts:monitor_list"),
        "monitor": reverse("posts:monitor", args=[m]),
        "monitor_retry_failed": reverse("posts:monitor_retry_failed", args=[m]),
        "monitor_cancel": reverse("posts:monitor_cancel", args=[m]),
        "monitor_retract": reverse("posts:monitor_retract", args=[m]),
        "monitor_release": reverse("posts:monitor_release", args=[m]),
        "delivery_retry": reverse("posts:delivery_retry", args=[d]),
        "delivery_settle": reverse("posts:delivery_settle", args=[d]),
        "pause": reverse("posts:pause"),
        "pause_resume": reverse("posts:pause_resume", args=[p]),
        "health": reverse("posts:health"),
        "crisis_list": reverse("posts:crisis_list"),
        "crisis_create": reverse("posts:crisis_create"),
        "crisis_reach": reverse("posts:crisis_reach") + "?scope_kind=countries&countries=EG",
        "crisis_board": reverse("posts:crisis_board", args=[a]),
        "crisis_approve": reverse("posts:crisis_approve", args=[a]),
        "staff_list": reverse("embassies:staff_list"),
    }


# What each role gets on a GET of each page (200: the page or its confirmation page).
EXPECTED = {
    "tokyo_officer": {
        "monitor_list": 200,
        "monitor": 200,
        "monitor_retry_failed": 403,
        "monitor_cancel": 403,
        "monitor_retract": 403,
        "monitor_release": 403,
        "delivery_retry": 403,
        "delivery_settle": 403,
        "pause": 403,
        "pause_resume": 403,
        "health": 403,
        "crisis_list": 403,
        "crisis_create": 403,
        "crisis_reach": 403,
        "crisis_board": 404,
        "crisis_approve": 404,
        "staff_list": 403,
    },
    "cairo_officer": {
        "monitor_list": 200,
        "monitor": 404,
        "monitor_retry_failed": 404,
        "monitor_cancel": 404,
        "monitor_retract": 404,
        "monitor_release": 404,
        "delivery_retry": 404,
        "delivery_settle": 404,
        "crisis_board": 404,
    },
    "press": {
        "monitor_list": 200,
        "monitor": 200,
        "monitor_retry_failed": 200,
        "monitor_cancel": 200,
        "monitor_retract": 200,
        "monitor_release": 200,
        "delivery_retry": 200,
        "delivery_settle": 200,
        "pause": 200,
        "pause_resume": 200,
        "health": 200,
        "crisis_list": 200,
        "crisis_create": 403,
        "crisis_reach": 403,
        "crisis_board": 200,
        "crisis_approve": 200,
        "staff_list": 403,
    },
    "second_crisis": {
        "monitor": 200,
        "pause": 403,
        "pause_resume": 403,
        "health": 200,
        "crisis_list": 200,
        "crisis_create": 200,
        "crisis_reach": 200,
        "crisis_board": 200,
        "crisis_approve": 200,
        "staff_list": 403,
        "delivery_retry": 403,
    },
    "crisis": {"crisis_board": 200, "crisis_approve": 403},  # the alert's author: never approves it
    "admin_user": {
        "monitor_list": 200,
        "monitor": 200,
        "delivery_retry": 403,
        "monitor_cancel": 403,
        "pause": 403,
        "health": 200,
        "crisis_list": 200,
        "crisis_board": 200,
        "crisis_create": 403,
        "staff_list": 200,
    },
    "nobody": {"monitor_list": 403, "monitor": 404, "pause": 403, "health": 403, "crisis_list": 403, "staff_list": 403},
}


@pytest.fixture
def people(tokyo_officer, cairo_officer, press, crisis, admin_user, django_user_model):
    from tests.factories import UserFactory

    return {
        "tokyo_officer": tokyo_officer,
        "cairo_officer": cairo_officer,
        "press": press,
        "crisis": crisis,
        "second_crisis": crisis_member(username="crisis-2"),
        "admin_user": admin_user,
        "nobody": UserFactory(username="no-role"),
    }


@pytest.mark.parametrize("who", list(EXPECTED))
def test_each_role_gets_what_the_policy_says(world, people, who):
    client = logged_in(people[who])
    addresses = urls(world)
    answers = {name: client.get(addresses[name]).status_code for name in EXPECTED[who]}
    assert answers == EXPECTED[who]


def test_anonymous_visitors_are_sent_to_log_in(world, client):
    for name, url in urls(world).items():
        response = client.get(url)
        assert response.status_code == 302, name
        assert response["Location"].startswith(f"{reverse('login')}?next={quote(url.split('?')[0])}"), name


def test_actions_answer_only_get_and_post(world, people):
    client = logged_in(people["press"])
    for name in ("monitor_retry_failed", "delivery_retry", "monitor_cancel", "pause_resume", "crisis_approve"):
        assert client.put(urls(world)[name]).status_code == 405, name
        assert client.delete(urls(world)[name]).status_code == 405, name
    for name in ("monitor", "monitor_list", "health", "crisis_board"):
        assert client.post(urls(world)[name]).status_code == 405, name


def test_an_officer_sees_no_action_on_their_own_missions_monitor(world, people):
    page = logged_in(people["tokyo_officer"]).get(urls(world)["monitor"]).text
    assert "Tokyo greeting" in page
    assert reverse("posts:delivery_retry", args=[world["delivery"]]) not in page
    assert reverse("posts:monitor_cancel", args=[world["message"]]) not in page


def test_officers_see_only_their_missions_on_the_monitor_list(world, people, press):
    officer(TOKYO)
    page = logged_in(people["cairo_officer"]).get(urls(world)["monitor_list"]).text
    assert "Tokyo greeting" not in page
    assert "Tokyo greeting" in logged_in(people["tokyo_officer"]).get(urls(world)["monitor_list"]).text
    assert "Tokyo greeting" in logged_in(press_officer()).get(urls(world)["monitor_list"]).text


def test_an_administrator_without_the_press_role_cannot_pause(world):
    assert (
        logged_in(administrator())
        .post(reverse("posts:pause"), {"scope": "all", "reason": "x", "confirmed": "yes"})
        .status_code
        == 403
    )
    assert not PublishingPause.objects.filter(reason="x").exists()
