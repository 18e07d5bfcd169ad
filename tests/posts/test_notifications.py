"""Emails: the author of every decision, the press office of failures, the administrators of
accounts to reconnect. Sent on commit, plain text, with a link to the message."""

from __future__ import annotations

from datetime import timedelta

import pytest
from celery import current_app
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from channels.models import Network
from channels.notifications import notify_admins_of_account_problem
from embassies.roles import Role
from posts.models import Delivery
from posts.notifications import notify_author_of_decision, notify_press_office_of_failure
from posts.services.crisis import crisis_alert_create
from posts.services.review import message_approve, message_cancel, message_reject, message_request_changes
from tests.posts.factories import (
    UserFactory,
    account,
    administrator,
    approved_message,
    crisis_member,
    officer,
    press_officer,
    submitted_message,
)

pytestmark = pytest.mark.django_db


def test_the_author_hears_of_an_approval_with_the_time_and_a_link(
    django_capture_on_commit_callbacks, mailoutbox, mail_tasks, site_url
):
    author = officer("emb-jp-tokyo", email="author@example.org")
    approver = press_officer(first_name="Claire", last_name="Dupont")
    message = submitted_message(
        author=author, mission_or_code="emb-jp-tokyo", texts={"fr": "Bonjour"}, title="Cherry blossom"
    )
    publish_at = timezone.now() + timedelta(days=2)
    with django_capture_on_commit_callbacks(execute=True):
        message_approve(actor=approver, message_id=message.pk, publish_at=publish_at)
    mail_tasks.run()
    assert len(mailoutbox) == 1
    email = mailoutbox[0]
    assert email.to == ["author@example.org"]
    assert email.subject == "[Diplomacy Hub] Approved: Cherry blossom"
    assert "Claire Dupont approved your message “Cherry blossom” for Embassy of France in Japan." in email.body
    assert f"{site_url}{reverse('posts:message_detail', args=[message.pk])}" in email.body
    assert "in Tokyo" in email.body
    assert "in Paris" in email.body
    assert not getattr(email, "alternatives", None)  # no HTML part


def test_the_author_hears_of_a_request_for_changes_and_a_rejection_with_the_comment(
    django_capture_on_commit_callbacks, mailoutbox, mail_tasks
):
    author = officer("emb-eg-cairo")
    reviewer = press_officer()
    first, second = submitted_message(author=author), submitted_message(author=author)
    with django_capture_on_commit_callbacks(execute=True):
        message_request_changes(actor=reviewer, message_id=first.pk, comment="Add the date, please.")
        message_reject(actor=reviewer, message_id=second.pk, comment="Not our line.")
    mail_tasks.run()
    assert [email.subject for email in mailoutbox] == [
        "[Diplomacy Hub] Changes requested: National day reception",
        "[Diplomacy Hub] Rejected: National day reception",
    ]
    assert "Add the date, please." in mailoutbox[0].body
    assert "Not our line." in mailoutbox[1].body


def test_the_author_hears_of_a_cancellation(django_capture_on_commit_callbacks, mailoutbox, mail_tasks):
    author, approver = officer("emb-eg-cairo"), press_officer()
    message = approved_message(author=author, approver=approver)
    mailoutbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        message_cancel(actor=approver, message_id=message.pk, reason="The minister spoke first.")
    mail_tasks.run()
    assert [email.to for email in mailoutbox] == [[author.email]]
    assert "The minister spoke first." in mailoutbox[0].body


def test_a_script_title_arrives_as_literal_text_and_template_syntax_is_not_run(
    django_capture_on_commit_callbacks, mailoutbox, mail_tasks
):
    author = officer("emb-eg-cairo")
    title = "<script>alert('x')</script> {{ settings.SECRET_KEY }} {% debug %}"
    message = submitted_message(author=author, title=title)
    with django_capture_on_commit_callbacks(execute=True):
        message_request_changes(actor=press_officer(), message_id=message.pk, comment="<b>bold</b> & <i>co</i>")
    mail_tasks.run()
    email = mailoutbox[0]
    assert "<script>alert('x')</script>" in email.body  # plain text: shown as typed, never run
    assert "&lt;" not in email.body
    assert "&#x27;" not in email.body
    assert "{{ settings.SECRET_KEY }}" in email.body
    assert "{% debug %}" in email.body
    assert "<b>bold</b> & <i>co</i>" in email.body
    assert email.content_subtype == "plain"
    assert not getattr(email, "alternatives", None)
    assert "\n" not in email.subject


def test_a_decision_rolled_back_sends_nothing(django_capture_on_commit_callbacks, mailoutbox, mail_tasks):
    message = submitted_message(author=officer("emb-eg-cairo"))
    reviewer = press_officer()

    def reject_then_fail():
        with transaction.atomic():
            message_reject(actor=reviewer, message_id=message.pk, comment="No.")
            raise RuntimeError("rolled back")

    with django_capture_on_commit_callbacks(execute=True), pytest.raises(RuntimeError):
        reject_then_fail()
    mail_tasks.run()
    assert mailoutbox == []


def test_nothing_is_queued_before_the_commit_and_nothing_is_sent_in_the_request(
    django_capture_on_commit_callbacks, mailoutbox, mail_tasks
):
    """The decision's transaction queues nothing; its commit queues one `mail.send` task on
    the maintenance queue and sends nothing itself: only the task (a worker) sends."""
    message = submitted_message(author=officer("emb-eg-cairo"))
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        message_reject(actor=press_officer(), message_id=message.pk, comment="No.")
    assert mail_tasks.queued() == []
    for callback in callbacks:
        callback()
    assert mailoutbox == []
    (queued,) = mail_tasks.queued()
    assert queued["queue"] == "maintenance"
    assert queued["kwargs"]["subject"] == "[Diplomacy Hub] Rejected: National day reception"
    current_app.tasks["mail.send"].apply(kwargs=queued["kwargs"]).get()
    assert len(mailoutbox) == 1


def test_the_press_office_hears_of_failures_each_with_the_reason_and_a_link(
    django_capture_on_commit_callbacks, mailoutbox, mail_tasks, site_url
):
    press = [press_officer(email="p1@example.org"), press_officer(email="p2@example.org")]
    press_officer(email="", username="no-email")
    UserFactory(roles=[Role.PRESS_OFFICE], email="gone@example.org", is_active=False)
    crisis_member(email="crisis@example.org")
    administrator(email="admin@example.org")
    message = approved_message(author=officer("emb-eg-cairo"), approver=press[0])
    mailoutbox.clear()
    delivery = message.deliveries.select_related("account__mission").get(language="ar")
    delivery.state, delivery.last_error_kind = Delivery.State.FAILED, Delivery.ErrorKind.PERMANENT
    delivery.last_error = "Status is a duplicate.\nSecond line"
    delivery.save()
    with django_capture_on_commit_callbacks(execute=True):
        notify_press_office_of_failure(message=message, deliveries=[delivery])
    mail_tasks.run()
    assert sorted(email.to[0] for email in mailoutbox) == ["p1@example.org", "p2@example.org"]
    body = mailoutbox[0].body
    assert "Arabic: Refused by the network — Status is a duplicate. Second line" in body
    assert "Embassy of France in Egypt" in body
    assert f"{site_url}{reverse('posts:message_detail', args=[message.pk])}" in body
    assert mailoutbox[0].subject.startswith("[Diplomacy Hub] Publishing failed: ")


def test_crisis_failures_also_reach_the_crisis_unit(django_capture_on_commit_callbacks, mailoutbox, mail_tasks):
    press_officer(email="press@example.org")
    author = crisis_member(email="author@example.org")
    account("emb-eg-cairo")
    alert = crisis_alert_create(
        actor=author, title="Evacuation", texts={"fr": "Évacuation"}, scope={"countries": ["EG"]}
    )
    delivery = Delivery.objects.create(
        message=alert,
        account=alert.targets.first(),
        language="fr",
        state=Delivery.State.FAILED,
        last_error_kind="transient",
    )
    with django_capture_on_commit_callbacks(execute=True):
        notify_press_office_of_failure(message=alert, deliveries=[delivery])
    mail_tasks.run()
    assert sorted(email.to[0] for email in mailoutbox) == ["author@example.org", "press@example.org"]
    assert mailoutbox[0].subject.startswith("[Diplomacy Hub] Crisis alert failed: Evacuation")


def test_administrators_hear_of_an_account_to_reconnect(
    django_capture_on_commit_callbacks, mailoutbox, mail_tasks, site_url
):
    administrator(email="admin@example.org")
    press_officer(email="press@example.org")
    expired = account("emb-eg-cairo", Network.FACEBOOK, handle="FranceEgypte")
    with django_capture_on_commit_callbacks(execute=True):
        notify_admins_of_account_problem(account=expired, reason="The Page token was revoked (code 190).")
    mail_tasks.run()
    assert [email.to for email in mailoutbox] == [["admin@example.org"]]
    email = mailoutbox[0]
    assert "Facebook" in email.subject
    assert "FranceEgypte" in email.subject
    assert "The Page token was revoked (code 190)." in email.body
    assert email.body.count(site_url) == 1
    assert f"{site_url}{reverse('channels:account_detail', args=[expired.pk])}" in email.body


def test_a_mail_server_failure_never_undoes_the_decision(django_capture_on_commit_callbacks, monkeypatch, mail_tasks):
    author = officer("emb-eg-cairo")
    message = submitted_message(author=author)

    def down(*args, **kwargs):
        raise ConnectionRefusedError("SMTP down")

    monkeypatch.setattr("django.core.mail.backends.locmem.EmailBackend.send_messages", down)
    with django_capture_on_commit_callbacks(execute=True):
        message_reject(actor=press_officer(), message_id=message.pk, comment="No.")
    # Run here, outside a worker, the task's retry raises the failure; a worker queues the
    # mail again with backoff (tests/test_mail.py).
    with pytest.raises(ConnectionRefusedError):
        mail_tasks.run()
    message.refresh_from_db()
    assert message.state == "rejected"


def test_notify_author_of_decision_is_safe_outside_a_transaction(mailoutbox, mail_tasks):
    author = officer("emb-eg-cairo")
    message = submitted_message(author=author)
    message_reject(actor=press_officer(), message_id=message.pk, comment="No.")
    review = message.reviews.get()
    mailoutbox.clear()
    with transaction.atomic():
        assert notify_author_of_decision(review) == 1
    # pytest-django wraps each test in a transaction, so the callback waits: nothing yet.
    assert mail_tasks.queued() == []
    assert mailoutbox == []
