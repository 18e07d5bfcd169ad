"""The dashboard per role, the review queue and the calendar: who may, what they show,
filters, order and pagination."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from channels.models import Network, SocialAccount
from posts.models import Delivery, Message
from posts.services.crisis import crisis_alert_create
from posts.services.review import message_request_changes, message_submit
from tests.posts.factories import (
    account,
    approved_message,
    crisis_member,
    draft_message,
    officer,
    submitted_message,
)
from tests.posts.views import bulk

pytestmark = pytest.mark.django_db


# --- Dashboard ---------------------------------------------------------------------------------


def test_dashboard_sends_anonymous_visitors_to_log_in(client):
    response = client.get(reverse("posts:dashboard"))
    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]


def test_officer_dashboard_shows_drafts_changes_with_the_comment_and_review(login, author, press):
    draft_message(author=author, title="My draft")
    asked = submitted_message(author=author, title="Needs work")
    message_request_changes(actor=press, message_id=asked.pk, comment="Add the date.")
    submitted_message(author=author, title="Waiting")
    approved_message(author=author, approver=press, title="Going out")
    html = login(author).get(reverse("posts:dashboard")).text
    for words in ("My draft", "Needs work", "Add the date.", "Waiting", "Going out", "Write a new message"):
        assert words in html
    assert reverse("posts:message_edit", args=[asked.pk]) in html


def test_officer_dashboard_shows_nothing_of_other_missions(login, author, stranger):
    submitted_message(author=author, title="Cairo only")
    assert "Cairo only" not in login(stranger).get(reverse("posts:dashboard")).text


def test_press_dashboard_counts_what_needs_it(login, author, press, cairo):
    submitted_message(author=author, title="Please review")
    soon = approved_message(author=author, approver=press, title="Soon out", in_hours=2)
    failed = approved_message(author=author, approver=press, title="It failed", in_hours=1)
    Delivery.objects.filter(message=failed).update(
        state=Delivery.State.FAILED, state_changed_at=timezone.now(), last_error="Token revoked"
    )
    html = login(press).get(reverse("posts:dashboard")).text
    assert "review waiting" in html
    assert "Please review" in html
    assert "Soon out" in html
    assert "messages going out in the next 6 hours" in html
    assert "It failed" in html
    assert "Token revoked" in html
    assert reverse("posts:review_queue") in html
    assert soon.get_absolute_url() in html


def test_crisis_dashboard_shows_alerts_under_way(login, crisis, tokyo):
    account(tokyo)
    alert = crisis_alert_create(
        actor=crisis, title="Typhoon warning", texts={"en": "Stay inside."}, scope={"countries": ["JP"]}
    )
    message_submit(actor=crisis, message_id=alert.pk)
    html = login(crisis).get(reverse("posts:dashboard")).text
    assert "Typhoon warning" in html
    assert "Crisis unit" in html


def test_admin_dashboard_lists_accounts_to_reconnect(login, admin_user, cairo):
    broken = account(cairo, Network.FACEBOOK, status=SocialAccount.Status.EXPIRED)
    html = login(admin_user).get(reverse("posts:dashboard")).text
    assert broken.handle in html
    assert "active missions" in html
    assert reverse("channels:account_detail", args=[broken.pk]) in html


# --- Review queue ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("who", "status"),
    [
        ("press", 200),
        ("crisis", 200),
        ("author", 403),
        ("stranger", 403),
        ("admin_user", 403),
    ],
)
def test_review_queue_permissions(request, login, who, status):
    assert login(request.getfixturevalue(who)).get(reverse("posts:review_queue")).status_code == status


def test_review_queue_sends_anonymous_visitors_to_log_in(client):
    assert client.get(reverse("posts:review_queue")).status_code == 302


def test_review_queue_puts_crisis_alerts_first_then_the_soonest(login, author, press, crisis, tokyo):
    later = submitted_message(author=author, title="Later", desired_at=timezone.now() + timedelta(days=3))
    sooner = submitted_message(author=author, title="Sooner", desired_at=timezone.now() + timedelta(hours=3))
    account(tokyo)
    alert = crisis_alert_create(actor=crisis, title="Alert", texts={"fr": "Abritez-vous."}, scope={"countries": ["JP"]})
    message_submit(actor=crisis, message_id=alert.pk)
    html = login(press).get(reverse("posts:review_queue")).text
    assert "3 messages waiting for a decision" in html
    assert html.index("Alert") < html.index(sooner.title) < html.index(later.title)
    # The crisis unit decides on alerts only (never on its own).
    assert "Alert" not in login(crisis).get(reverse("posts:review_queue")).text
    as_crisis = login(crisis_member()).get(reverse("posts:review_queue")).text
    assert "Alert" in as_crisis
    assert "Sooner" not in as_crisis


def test_review_queue_leaves_out_the_reviewers_own_messages(login, author, cairo):
    both = officer(cairo)
    both.groups.add(*press_group())
    submitted_message(author=both, title="Mine")
    submitted_message(author=author, title="Theirs")
    html = login(both).get(reverse("posts:review_queue")).text
    assert "Theirs" in html
    assert "Mine" not in html


def press_group():
    from django.contrib.auth.models import Group

    return [Group.objects.get_or_create(name="press_office")[0]]


def test_review_queue_filters_by_mission_region_network_priority_and_date(login, author, press, cairo, tokyo):
    submitted_message(author=author, title="Cairo on X")
    submitted_message(author=author, title="Cairo on Facebook", targets=[account(cairo, Network.FACEBOOK)])
    tokyo_officer = officer(tokyo)
    submitted_message(
        author=tokyo_officer,
        mission_or_code=tokyo,
        title="Tokyo message",
        texts={"fr": "Bonjour"},
        targets=[account(tokyo)],
        desired_at=datetime(2031, 5, 4, 3, 0, tzinfo=UTC),
    )
    client = login(press)
    url = reverse("posts:review_queue")

    def titles(**params):
        html = client.get(url, params).text
        return {title for title in ("Cairo on X", "Cairo on Facebook", "Tokyo message") if title in html}

    assert titles(mission=cairo.pk) == {"Cairo on X", "Cairo on Facebook"}
    assert titles(region="Asia-Pacific") == {"Tokyo message"}
    assert titles(network="facebook") == {"Cairo on Facebook"}
    assert titles(priority="crisis") == set()
    assert titles(date_from="2031-05-04", date_to="2031-05-04") == {"Tokyo message"}
    assert titles(mission="not-a-number") == {"Cairo on X", "Cairo on Facebook", "Tokyo message"}


def test_review_queue_paginates(login, author, press, cairo):
    bulk.messages(size=30, author=author, mission=cairo, state=Message.State.IN_REVIEW)
    client = login(press)
    first = client.get(reverse("posts:review_queue")).text
    assert "30 messages waiting for a decision" in first
    assert "Page 1 of 2" in first
    second = client.get(reverse("posts:review_queue"), {"page": 2}).text
    assert "Page 2 of 2" in second
    assert "Messages 26 to 30 of 30" in second


# --- Calendar ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("who", "status"),
    [
        ("press", 200),
        ("crisis", 200),
        ("author", 200),
        ("admin_user", 200),
    ],
)
def test_calendar_permissions(request, login, who, status):
    assert login(request.getfixturevalue(who)).get(reverse("posts:calendar")).status_code == status


def test_calendar_shows_scheduled_messages_in_hq_or_mission_time(login, press, tokyo):
    user = officer(tokyo)
    message = approved_message(
        author=user,
        approver=press,
        mission_or_code=tokyo,
        texts={"fr": "Bonjour"},
        targets=[account(tokyo)],
        publish_at=datetime(2030, 1, 15, 0, 30, tzinfo=UTC),
        in_hours=None,
    )
    client = login(press)
    in_paris = client.get(reverse("posts:calendar"), {"date": "2030-01-15"}).text
    assert message.get_absolute_url() in in_paris
    assert ">01:30</time>" in in_paris
    in_tokyo = client.get(reverse("posts:calendar"), {"date": "2030-01-15", "tz": "mission"}).text
    assert ">09:30</time>" in in_tokyo
    assert "Tokyo" in in_tokyo
    month = client.get(reverse("posts:calendar"), {"date": "2030-01-20", "view": "month"}).text
    assert message.get_absolute_url() in month
    assert "January 2030" in month
    other_week = client.get(reverse("posts:calendar"), {"date": "2030-02-15"}).text
    assert message.get_absolute_url() not in other_week


def test_calendar_of_an_officer_shows_only_their_missions(login, author, press, stranger):
    message = approved_message(author=author, approver=press)
    day = (message.scheduled_at).date().isoformat()
    assert message.get_absolute_url() in login(author).get(reverse("posts:calendar"), {"date": day}).text
    assert message.get_absolute_url() not in login(stranger).get(reverse("posts:calendar"), {"date": day}).text


def test_calendar_filters_by_region_and_mission(login, author, press, cairo, tokyo):
    message = approved_message(author=author, approver=press)
    day = message.scheduled_at.date().isoformat()
    client = login(press)
    assert (
        message.get_absolute_url()
        in client.get(reverse("posts:calendar"), {"date": day, "region": "Middle East & North Africa"}).text
    )
    assert (
        message.get_absolute_url() not in client.get(reverse("posts:calendar"), {"date": day, "region": "Europe"}).text
    )
    assert (
        message.get_absolute_url() not in client.get(reverse("posts:calendar"), {"date": day, "mission": tokyo.pk}).text
    )
