"""diplomacy_hub.mail: each recipient reads a mail in their own language, and a mail server
that is down is tried again with backoff instead of losing the mail."""

from __future__ import annotations

import json
import logging
from datetime import datetime

import pytest
from celery import current_app
from celery.exceptions import Retry
from django.conf import settings
from django.utils import timezone, translation

from diplomacy_hub.mail import MAIL_RETRIES, MAIL_TASK, Recipient, mail_queue, retry_delay

pytestmark = pytest.mark.django_db

MAIL = {"to": "a@example.org", "subject": "Hello", "body": "Body"}


def _down(*args, **kwargs):
    raise ConnectionRefusedError("SMTP down")


def test_retries_wait_longer_each_time_and_never_past_the_visibility_timeout():
    delays = [retry_delay(tries) for tries in range(MAIL_RETRIES + 1)]
    assert delays[:4] == [30, 60, 120, 240]
    assert delays == sorted(delays)
    assert max(delays) <= 300
    # Redis hands an unacknowledged message to another worker after this long.
    assert max(delays) < settings.CELERY_BROKER_TRANSPORT_OPTIONS.get("visibility_timeout", 3600)


def test_a_send_that_fails_is_queued_again_with_its_backoff(memory_broker, monkeypatch, mailoutbox):
    monkeypatch.setattr("django.core.mail.backends.locmem.EmailBackend.send_messages", _down)
    task = current_app.tasks[MAIL_TASK]
    task.push_request(retries=2, called_directly=False, id="mail-1", delivery_info={}, args=[], kwargs=MAIL)
    try:
        before = timezone.now()
        with pytest.raises(Retry):
            task.run(**MAIL)
    finally:
        task.pop_request()
    [again] = [message for message in memory_broker() if message["name"] == MAIL_TASK]
    assert again["kwargs"] == MAIL
    assert again["headers"]["retries"] == 3
    eta = datetime.fromisoformat(again["headers"]["eta"])
    assert 110 <= (eta - before).total_seconds() <= 130  # retry_delay(2) = 120 s
    assert mailoutbox == []


def test_after_the_last_try_the_mail_is_left_for_later_and_logged(memory_broker, monkeypatch, mailoutbox, caplog):
    monkeypatch.setattr("django.core.mail.backends.locmem.EmailBackend.send_messages", _down)
    task = current_app.tasks[MAIL_TASK]
    task.push_request(retries=MAIL_RETRIES, called_directly=False, id="mail-2", delivery_info={}, args=[], kwargs=MAIL)
    try:
        with caplog.at_level(logging.ERROR, logger="diplomacy_hub.mail"):
            assert task.run(**MAIL) == 0
    finally:
        task.pop_request()
    assert memory_broker() == []
    assert "left for later" in caplog.text  # the mail room queues it again (tests/mailroom)


def test_a_retried_mail_goes_out_once_the_server_is_back(memory_broker, monkeypatch, mailoutbox):
    task = current_app.tasks[MAIL_TASK]
    with monkeypatch.context() as down:
        down.setattr("django.core.mail.backends.locmem.EmailBackend.send_messages", _down)
        task.push_request(retries=0, called_directly=False, id="mail-3", delivery_info={}, args=[], kwargs=MAIL)
        try:
            with pytest.raises(Retry):
                task.run(**MAIL)
        finally:
            task.pop_request()
    [again] = memory_broker()
    assert task.run(**again["kwargs"]) == 1
    assert [(email.to, email.subject) for email in mailoutbox] == [(["a@example.org"], "Hello")]


def test_each_recipient_gets_the_mail_in_their_language(memory_broker, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        count = mail_queue(
            subject=lambda: translation.gettext("Someone"),
            template="account_problem.txt",
            context=lambda: {"network": "X", "account_name": "@a", "mission_name": "M", "reason": "R", "link": "L"},
            recipients=[Recipient("fr@example.org", "fr"), Recipient("en@example.org", "en"), "plain@example.org"],
        )
    assert count == 3
    sent = {message["kwargs"]["to"]: message["kwargs"] for message in memory_broker()}
    assert sent["fr@example.org"]["subject"] == "[Diplomacy Hub] Quelqu’un"
    assert "demande votre attention" in sent["fr@example.org"]["body"]
    assert sent["en@example.org"]["subject"] == "[Diplomacy Hub] Someone"
    assert "needs attention" in sent["en@example.org"]["body"]
    # A bare address: the site's default language.
    assert sent["plain@example.org"]["subject"] == sent["en@example.org"]["subject"]
    assert translation.get_language() == settings.LANGUAGE_CODE  # left as it was


def test_an_address_is_mailed_once_and_an_unknown_language_falls_back(
    memory_broker, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        count = mail_queue(
            subject="S",
            template="account_problem.txt",
            context={"network": "X", "account_name": "@a", "mission_name": "M", "reason": "R", "link": "L"},
            recipients=[
                Recipient("a@example.org", "fr"),
                Recipient("a@example.org", "en"),
                Recipient("b@example.org", "xx"),
            ],
        )
    assert count == 2
    sent = {message["kwargs"]["to"]: message["kwargs"] for message in memory_broker()}
    assert "demande votre attention" in sent["a@example.org"]["body"]
    assert "needs attention" in sent["b@example.org"]["body"]
    assert json.dumps(sent)  # plain JSON arguments
