"""The message page and the decisions on it: who sees what, approve (now or at a local time),
request changes, reject, the stale-page guard, comments and the history."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse
from django.utils import timezone

from posts.models import Delivery, Message
from posts.services.crisis import crisis_alert_create
from posts.services.messages import comment_add, message_update
from posts.services.review import message_submit
from posts.textdiff import word_diff
from tests.posts.factories import (
    account,
    approved_message,
    crisis_member,
    draft_message,
    officer,
    submitted_message,
)

pytestmark = pytest.mark.django_db


# --- Who sees the page -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("who", "status"),
    [
        ("author", 200),
        ("colleague", 200),
        ("stranger", 404),
        ("press", 200),
        ("crisis", 200),
        ("admin_user", 200),
    ],
)
def test_message_detail_permissions(request, login, author, who, status):
    message = submitted_message(author=author)
    response = login(request.getfixturevalue(who)).get(message.get_absolute_url())
    assert response.status_code == status


def test_message_detail_sends_anonymous_visitors_to_log_in(client, author):
    message = draft_message(author=author)
    response = client.get(message.get_absolute_url())
    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]


def test_reviewers_see_the_decision_forms_and_the_author_does_not(login, author, press, crisis):
    message = submitted_message(author=author)
    as_press = login(press).get(message.get_absolute_url()).text
    assert reverse("posts:message_approve", args=[message.pk]) in as_press
    assert reverse("posts:message_reject", args=[message.pk]) in as_press
    assert f'name="version" value="{message.version}"' in as_press
    as_author = login(author).get(message.get_absolute_url()).text
    assert reverse("posts:message_approve", args=[message.pk]) not in as_author
    # The crisis unit decides on crisis alerts only.
    assert reverse("posts:message_approve", args=[message.pk]) not in login(crisis).get(message.get_absolute_url()).text


def test_the_page_shows_previews_history_and_the_changes_asked_for(login, author, press):
    message = submitted_message(author=author, texts={"fr": "Bonjour à tous", "ar": "مرحبا"})
    login(press).post(
        reverse("posts:message_request_changes", args=[message.pk]),
        {"changes-version": message.version, "changes-comment": "Add the venue, please."},
    )
    html = login(author).get(message.get_absolute_url()).text
    assert "X: 14/280" in html
    assert 'dir="rtl"' in html
    assert "Add the venue, please." in html
    assert "submitted it for review" in html
    assert "asked for changes" in html
    assert "In review → Changes requested" in html


# --- Approve -------------------------------------------------------------------------------------


def test_approve_now_creates_the_deliveries_and_kicks_the_dispatcher(
    login, author, press, kicks, django_capture_on_commit_callbacks
):
    message = submitted_message(author=author)
    with django_capture_on_commit_callbacks(execute=True):
        response = login(press).post(
            reverse("posts:message_approve", args=[message.pk]), {"version": message.version, "when": "now"}
        )
    assert response.status_code == 302
    assert response["Location"] == reverse("posts:review_queue")
    message.refresh_from_db()
    assert message.state == Message.State.SCHEDULED
    assert Delivery.objects.filter(message=message).count() == 2  # one X account, in French and Arabic
    assert kicks == [True]


def test_after_approving_the_reviewer_gets_a_link_to_follow_the_message(login, author, press):
    message = submitted_message(author=author)
    response = login(press).post(
        reverse("posts:message_approve", args=[message.pk]), {"version": message.version, "when": "now"}, follow=True
    )
    monitor = reverse("posts:monitor", args=[message.pk])
    assert f'<a href="{monitor}">Follow it on the delivery monitor</a>' in response.text
    assert login(press).get(monitor).status_code == 200


def test_after_approving_a_crisis_alert_the_link_is_to_its_crisis_board(login, press):
    account("emb-eg-cairo")
    author = crisis_member()
    alert = crisis_alert_create(actor=author, title="Storm", texts={"fr": "Restez chez vous."}, scope={"all": True})
    message_submit(actor=author, message_id=alert.pk)
    alert.refresh_from_db()
    response = login(press).post(
        reverse("posts:message_approve", args=[alert.pk]), {"version": alert.version, "when": "now"}, follow=True
    )
    board = reverse("posts:crisis_board", args=[alert.pk])
    assert f'<a href="{board}">Follow it on the crisis board</a>' in response.text


def test_approve_at_a_time_typed_in_tokyo_schedules_the_right_instant(login, press, tokyo):
    user = officer(tokyo)
    message = submitted_message(
        author=user, mission_or_code=tokyo, texts={"fr": "Bonjour", "ja": "こんにちは"}, targets=[account(tokyo)]
    )
    response = login(press).post(
        reverse("posts:message_approve", args=[message.pk]),
        {"version": message.version, "when": "at", "publish_at": "2030-01-15T09:00"},
    )
    assert response.status_code == 302
    message.refresh_from_db()
    assert message.scheduled_at == datetime(2030, 1, 15, 0, 0, tzinfo=UTC)
    assert set(Delivery.objects.filter(message=message).values_list("next_attempt_at", flat=True)) == {
        message.scheduled_at
    }


def test_approve_from_a_stale_page_is_refused_with_a_reload_link(login, author, press):
    message = submitted_message(author=author)
    response = login(press).post(
        reverse("posts:message_approve", args=[message.pk]), {"version": message.version - 1, "when": "now"}
    )
    assert response.status_code == 409
    assert "Nothing was done." in response.text
    assert "Reload the current version" in response.text
    message.refresh_from_db()
    assert message.state == Message.State.IN_REVIEW
    assert not Delivery.objects.filter(message=message).exists()


def test_approve_when_the_desired_time_has_passed_asks_for_an_explicit_choice(login, author, press):
    message = submitted_message(author=author, desired_at=timezone.now() + timedelta(hours=1))
    Message.objects.filter(pk=message.pk).update(desired_at=timezone.now() - timedelta(minutes=5))
    client = login(press)
    page = client.get(message.get_absolute_url()).text
    assert "The desired time has passed" in page
    assert "checked" not in page[page.index('name="when"') - 100 : page.index('name="when"') + 600]
    response = client.post(reverse("posts:message_approve", args=[message.pk]), {"version": message.version})
    assert response.status_code == 400
    assert "Choose: publish now, or at a time." in response.text[response.text.index('id="id_when_error"') :][:200]
    message.refresh_from_db()
    assert message.state == Message.State.IN_REVIEW


def test_approve_at_a_past_time_is_refused_beside_the_time(login, author, press):
    message = submitted_message(author=author)
    response = login(press).post(
        reverse("posts:message_approve", args=[message.pk]),
        {"version": message.version, "when": "at", "publish_at": "2020-01-01T10:00"},
    )
    assert response.status_code == 400
    assert "This time has passed" in response.text[response.text.index('id="id_publish_at_error"') :][:300]


def test_the_author_cannot_approve_their_own_message(login, author):
    message = submitted_message(author=author)
    response = login(author).post(
        reverse("posts:message_approve", args=[message.pk]), {"version": message.version, "when": "now"}
    )
    assert response.status_code == 403
    message.refresh_from_db()
    assert message.state == Message.State.IN_REVIEW


def test_an_officer_of_another_mission_cannot_even_find_the_message_to_approve(login, author, stranger):
    message = submitted_message(author=author)
    response = login(stranger).post(
        reverse("posts:message_approve", args=[message.pk]), {"version": message.version, "when": "now"}
    )
    assert response.status_code == 404


def test_approve_is_refused_on_get(login, author, press):
    message = submitted_message(author=author)
    assert login(press).get(reverse("posts:message_approve", args=[message.pk])).status_code == 405


# --- Request changes, reject ---------------------------------------------------------------------


def test_request_changes_without_a_comment_is_refused_beside_the_comment(login, author, press):
    message = submitted_message(author=author)
    response = login(press).post(
        reverse("posts:message_request_changes", args=[message.pk]),
        {"changes-version": message.version, "changes-comment": "  "},
    )
    assert response.status_code == 400
    errors = response.text[response.text.index('id="id_changes-comment_error"') :][:300]
    assert "Say what should change" in errors
    message.refresh_from_db()
    assert message.state == Message.State.IN_REVIEW


def test_request_changes_sends_the_message_back_to_its_author(login, author, press):
    message = submitted_message(author=author)
    response = login(press).post(
        reverse("posts:message_request_changes", args=[message.pk]),
        {"changes-version": message.version, "changes-comment": "Shorter, please."},
    )
    assert response.status_code == 302
    message.refresh_from_db()
    assert message.state == Message.State.CHANGES_REQUESTED
    assert message.reviews.get().comment == "Shorter, please."


def test_reject_requires_a_comment_and_closes_the_message(login, author, press):
    message = submitted_message(author=author)
    client = login(press)
    refused = client.post(
        reverse("posts:message_reject", args=[message.pk]), {"reject-version": message.version, "reject-comment": ""}
    )
    assert refused.status_code == 400
    assert "Say why the message is rejected" in refused.text
    done = client.post(
        reverse("posts:message_reject", args=[message.pk]),
        {"reject-version": message.version, "reject-comment": "Off topic."},
    )
    assert done.status_code == 302
    message.refresh_from_db()
    assert message.state == Message.State.REJECTED


@pytest.mark.parametrize(("email", "flashed"), [("claire@example.org", "Its author has been told."), ("", None)])
def test_reject_says_the_author_was_told_only_when_an_email_was_queued(
    login, author, press, memory_broker, django_capture_on_commit_callbacks, email, flashed
):
    author.email = email
    author.save(update_fields=["email"])
    message = submitted_message(author=author, title="Fête nationale")
    with django_capture_on_commit_callbacks(execute=True):
        done = login(press).post(
            reverse("posts:message_reject", args=[message.pk]),
            {"reject-version": message.version, "reject-comment": "Off topic."},
        )
    queued = [task for task in memory_broker() if task["name"] == "mail.send"]
    said = [str(flashed) for flashed in get_messages(done.wsgi_request)]
    assert said == [" ".join(filter(None, ["“Fête nationale” is rejected.", flashed]))]
    assert [task["kwargs"]["to"] for task in queued] == ([email] if email else [])


# --- Comments ------------------------------------------------------------------------------------


def test_comment_add_appears_in_the_thread(login, author, press):
    message = submitted_message(author=author)
    client = login(press)
    response = client.post(reverse("posts:comment_add", args=[message.pk]), {"body": "Is the venue confirmed?"})
    assert response.status_code == 302
    assert response["Location"].endswith("#comments")
    assert "Is the venue confirmed?" in login(author).get(message.get_absolute_url()).text


def test_an_empty_comment_is_refused_beside_the_field(login, author):
    message = draft_message(author=author)
    response = login(author).post(reverse("posts:comment_add", args=[message.pk]), {"body": ""})
    assert response.status_code == 400
    assert 'id="id_body_error"' in response.text


def test_comment_add_on_another_missions_message_is_not_found(login, author, stranger):
    message = draft_message(author=author)
    response = login(stranger).post(reverse("posts:comment_add", args=[message.pk]), {"body": "Hello"})
    assert response.status_code == 404
    assert not message.comments.exists()


def test_history_shows_who_did_what_and_when(login, author, press):
    message = approved_message(author=author, approver=press)
    comment_add(actor=author, message_id=message.pk, body="Thanks!")
    html = login(press).get(message.get_absolute_url()).text
    for words in (
        "created the draft",
        "submitted it for review",
        "approved it",
        "commented",
        "Draft → In review",
        "In review → Scheduled",
    ):
        assert words in html


def test_the_history_arrow_points_along_the_reading_direction(login, author, press):
    """Right to left, "from → to" reads "to ← from": the arrow turns with the page."""
    message = approved_message(author=author, approver=press)
    client = login(press)
    client.cookies["django_language"] = "ar"
    html = client.get(message.get_absolute_url()).text
    assert "مسودة ← قيد المراجعة" in html
    assert "→" not in html


# --- What changed since the request for changes ---------------------------------------------------


def test_the_review_page_shows_what_changed_since_the_request_per_language(login, author, press):
    message = submitted_message(author=author, texts={"fr": "Réception le 14 juillet.", "ar": "حفل استقبال"})
    login(press).post(
        reverse("posts:message_request_changes", args=[message.pk]),
        {"changes-version": message.version, "changes-comment": "Say where."},
    )
    message.refresh_from_db()
    message_update(
        actor=author,
        message_id=message.pk,
        expected_version=message.version,
        texts={"fr": "Réception le 14 juillet à la résidence.", "ar": "حفل استقبال", "en": "Reception on 14 July."},
    )
    message_submit(actor=author, message_id=message.pk)
    html = login(press).get(message.get_absolute_url()).text
    assert "What changed since the request for changes" in html
    assert "<ins>juillet à la résidence.</ins>" in html
    assert "<del>juillet.</del>" in html
    assert "unchanged" in html  # the Arabic
    assert "Reception on 14 July." in html  # the new English text, all of it added


def test_no_comparison_before_any_request_for_changes(login, author, press):
    message = submitted_message(author=author)
    assert "What changed since the request" not in login(press).get(message.get_absolute_url()).text


def test_a_word_diff_puts_the_text_back_together():
    parts = word_diff("Reception on Monday at noon", "Reception on Tuesday at noon, at the residence")
    assert "".join(words for kind, words in parts if kind != "removed") == (
        "Reception on Tuesday at noon, at the residence"
    )
    assert "".join(words for kind, words in parts if kind != "added") == "Reception on Monday at noon"
    assert ("removed", "Monday") in parts
    assert ("added", "Tuesday") in parts
