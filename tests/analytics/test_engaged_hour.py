"""When a mission's audience engaged most (issue 18 §5): the hour of its local day whose
messages earned the most reactions, replies and shares per view at 24 hours, over the last
eight weeks, once there are enough messages to trust it; compose and approve suggest it and
say why, else fall back to the audience's awake hours."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.test import Client
from django.urls import reverse

from analytics.models import DeliverySnapshot
from analytics.selectors import ENGAGED_MIN_MESSAGES, ENGAGED_WEEKS, engaged_hour
from channels.models import Network
from globaltime import audience
from posts.models import Delivery, Message
from tests.posts.factories import account, mission, officer, press_officer, submitted_message
from tests.security.otp import force_verified_login

pytestmark = pytest.mark.django_db

TOKYO = ZoneInfo("Asia/Tokyo")
NOW = datetime(2026, 12, 7, 0, 0, tzinfo=UTC)  # 09:00 in Tokyo


def published_at(target, local: datetime, *, views: int | None, engagement: int, unknown: str = "") -> Delivery:
    """A message of `target`'s mission sent at `local` (Tokyo time), read 24 hours later."""
    message = Message.objects.create(
        mission=target.mission, author=press_officer(), title=f"Sent {local:%d %H:%M}", state=Message.State.PUBLISHED
    )
    delivery = Delivery.objects.create(
        message=message, account=target, language="ja", state=Delivery.State.SENT, sent_at=local.astimezone(UTC)
    )
    DeliverySnapshot.objects.create(
        delivery=delivery,
        account=target,
        age_hours=24,
        views=views,
        likes=engagement,
        comments=0,
        shares=0,
        unknown=unknown,
        collected_at=local.astimezone(UTC) + timedelta(hours=24),
    )
    return delivery


def seed_habits(target, *, first: datetime = datetime(2026, 11, 9, tzinfo=TOKYO)) -> None:
    """Four messages at each of 09:00, 13:00 and 19:00 (Tokyo) over four weeks from `first`
    (a day, midnight in Tokyo): 19:00 earns 5 per 100 views, 13:00 3, 09:00 2. Two at 03:00
    earn more, but its audience sleeps then."""
    for week in range(4):
        day = first + timedelta(weeks=week)
        published_at(target, day.replace(hour=9, minute=10), views=1000, engagement=20)
        published_at(target, day.replace(hour=13, minute=30), views=1000, engagement=30)
        published_at(target, day.replace(hour=19, minute=5), views=2000, engagement=100)
        if week < 2:
            published_at(target, day.replace(hour=3), views=100, engagement=90)


def test_the_best_hour_is_the_one_with_most_engagement_per_view_in_the_missions_zone(django_assert_num_queries):
    tokyo = mission("emb-jp-tokyo")
    seed_habits(account(tokyo))
    with django_assert_num_queries(1):
        best = engaged_hour(tokyo, NOW)
    assert best == audience.EngagedHour(hour=19, weeks=ENGAGED_WEEKS, messages=14)


def test_readings_without_views_unknown_or_too_old_do_not_count():
    tokyo = mission("emb-jp-tokyo")
    target = account(tokyo)
    seed_habits(target)
    facebook = account(tokyo, Network.FACEBOOK)
    old = datetime(2026, 9, 1, 13, tzinfo=TOKYO)  # more than eight weeks before NOW
    for n in range(5):
        published_at(facebook, datetime(2026, 11, 10 + n, 13, tzinfo=TOKYO), views=None, engagement=900)
        published_at(target, datetime(2026, 11, 10 + n, 13, 45, tzinfo=TOKYO), views=0, engagement=900)
        published_at(target, datetime(2026, 11, 10 + n, 13, 50, tzinfo=TOKYO), views=10, engagement=900, unknown="gone")
        published_at(target, old + timedelta(days=n), views=10, engagement=900)
    assert engaged_hour(tokyo, NOW).hour == 19


def test_too_few_messages_is_no_habit():
    tokyo = mission("emb-jp-tokyo")
    target = account(tokyo)
    for n in range(ENGAGED_MIN_MESSAGES - 1):
        published_at(target, datetime(2026, 11, 10 + n, 19, tzinfo=TOKYO), views=100, engagement=10)
    assert engaged_hour(tokyo, NOW) is None
    published_at(target, datetime(2026, 11, 30, 19, tzinfo=TOKYO), views=100, engagement=10)
    assert engaged_hour(tokyo, NOW).hour == 19


def test_the_suggestion_is_the_next_start_of_that_hour_in_local_time():
    tokyo = mission("emb-jp-tokyo")
    engaged = audience.EngagedHour(hour=19, weeks=8, messages=14)
    morning = datetime(2026, 12, 7, 9, 30, tzinfo=TOKYO)
    later = audience.suggest_time(tokyo, morning, engaged)
    assert (later.at, later.moved) == (datetime(2026, 12, 7, 19, 0, tzinfo=TOKYO), True)
    night = audience.suggest_time(tokyo, datetime(2026, 12, 7, 21, 0, tzinfo=TOKYO), engaged)
    assert night.at == datetime(2026, 12, 8, 19, 0, tzinfo=TOKYO)
    inside = datetime(2026, 12, 7, 19, 40, tzinfo=TOKYO)
    assert audience.suggest_time(tokyo, inside, engaged) == audience.Suggestion(at=inside, moved=False, engaged=engaged)


def client_for(user) -> Client:
    return force_verified_login(Client(), user)


def test_compose_suggests_the_hour_its_audience_engaged_most_and_says_why():
    tokyo = mission("emb-jp-tokyo")
    seed_habits(account(tokyo))
    author = officer(tokyo)
    with time_machine.travel(NOW, tick=False):
        said = client_for(author).get(
            reverse("posts:time_in_hq"), {"mission": str(tokyo.pk), "desired_at": "2026-12-08T10:00"}
        )
        inside = client_for(author).get(
            reverse("posts:time_in_hq"), {"mission": str(tokyo.pk), "desired_at": "2026-12-08T19:15"}
        )
        german = client_for(author).get(
            reverse("posts:time_in_hq"),
            {"mission": str(tokyo.pk), "desired_at": "2026-12-08T10:00"},
            headers={"accept-language": "de"},
        )
    assert "Its audience in Tokyo engaged most around 19:00 in the last 8 weeks." in said.text
    assert "Suggested time: Tuesday 8 December 2026, 19:00, local time." in said.text
    assert "over 14 messages" in said.text
    assert "That is when its audience in Tokyo engaged most in the last 8 weeks (around 19:00)." in inside.text
    assert "in den letzten 8 Wochen" in german.text
    assert "engaged most" not in german.text


def test_the_approve_form_suggests_the_engaged_hour_with_a_constant_number_of_queries(django_assert_max_num_queries):
    tokyo = mission("emb-jp-tokyo")
    seed_habits(account(tokyo))
    press = press_officer()
    with time_machine.travel(NOW, tick=False):
        message = submitted_message(
            author=officer(tokyo), mission_or_code=tokyo, texts={"fr": "Réception pour la fête nationale."}
        )
        client = client_for(press)
        client.get(reverse("posts:message_detail", args=[message.pk]))  # warm the session and caches
        with django_assert_max_num_queries(60) as counted:
            html = client.get(reverse("posts:message_detail", args=[message.pk])).text
    engaged_queries = [q for q in counted.captured_queries if "analytics_deliverysnapshot" in q["sql"]]
    assert len(engaged_queries) == 1
    assert "Its audience in Tokyo engaged most around 19:00 in the last 8 weeks." in html
    assert "Suggested time: Monday 7 December 2026, 19:00, local time." in html


def test_without_enough_history_the_approve_form_falls_back_to_the_awake_hours():
    tokyo = mission("emb-jp-tokyo")
    published_at(account(tokyo), datetime(2026, 11, 30, 19, tzinfo=TOKYO), views=100, engagement=10)
    press = press_officer()
    with time_machine.travel(datetime(2026, 12, 7, 17, 30, tzinfo=UTC), tick=False):  # 02:30 in Tokyo
        message = submitted_message(
            author=officer(tokyo), mission_or_code=tokyo, texts={"fr": "Réception pour la fête nationale."}
        )
        html = client_for(press).get(reverse("posts:message_detail", args=[message.pk])).text
    assert "engaged most" not in html
    assert "Its audience is asleep then in Tokyo. Suggested time:" in html


def test_compose_says_the_engaged_hour_before_a_time_is_chosen():
    tokyo = mission("emb-jp-tokyo")
    seed_habits(account(tokyo))
    client = client_for(officer(tokyo))
    with time_machine.travel(NOW, tick=False):
        page = client.get(reverse("posts:message_create"), {"mission": tokyo.pk}).text
        cleared = client.get(reverse("posts:time_in_hq"), {"mission": str(tokyo.pk), "desired_at": ""}).text
        spanish = client.get(
            reverse("posts:time_in_hq"),
            {"mission": str(tokyo.pk), "desired_at": ""},
            headers={"accept-language": "es"},
        ).text
    assert "Its audience in Tokyo engaged most around 19:00 in the last 8 weeks." in page
    assert "Its audience in Tokyo engaged most around 19:00 in the last 8 weeks." in cleared
    assert "Su público en Tokio interactuó más hacia las 19:00 en las últimas 8 semanas." in spanish


def test_compose_says_nothing_of_engagement_without_enough_history():
    tokyo = mission("emb-jp-tokyo")
    published_at(account(tokyo), datetime(2026, 11, 30, 19, tzinfo=TOKYO), views=100, engagement=10)
    with time_machine.travel(NOW, tick=False):
        page = client_for(officer(tokyo)).get(reverse("posts:message_create"), {"mission": tokyo.pk}).text
    assert "engaged most" not in page
