"""Each mail is kept in the transaction that decided it: a broker down at commit loses
nothing (beat's look queues it again), a redelivered task sends nothing twice, and a mail
waiting for its retry is not queued a second time."""

from __future__ import annotations

from datetime import timedelta

import pytest
from celery import current_app
from celery.exceptions import Retry
from django.db import transaction
from django.utils import timezone

from diplomacy_hub.mail import MAIL_TASK, Recipient, mail_queue
from mailroom.models import Mail
from mailroom.services import GIVE_UP_AFTER, UNSENT_AFTER, mail_queue_unsent

pytestmark = pytest.mark.django_db

CONTEXT = {"network": "X", "account_name": "@a", "mission_name": "M", "reason": "R", "link": "L"}


def _queue(*addresses: str) -> int:
    return mail_queue(
        subject="Account problem",
        template="account_problem.txt",
        context=CONTEXT,
        recipients=[Recipient(address, "en") for address in addresses],
    )


def _mail_tasks(messages: list[dict]) -> list[dict]:
    return [message["kwargs"] for message in messages if message["name"] == MAIL_TASK]


def test_a_mail_is_kept_with_the_decision_and_not_without_it():
    with transaction.atomic():
        _queue("a@example.org", "b@example.org")
    assert sorted(Mail.objects.values_list("to", flat=True)) == ["a@example.org", "b@example.org"]

    def decide_then_fail() -> None:
        with transaction.atomic():
            _queue("c@example.org")
            raise RuntimeError("the decision failed")

    with pytest.raises(RuntimeError):
        decide_then_fail()
    assert not Mail.objects.filter(to="c@example.org").exists()


def test_a_mail_whose_task_never_left_is_queued_again_and_sent_once(
    memory_broker, mailoutbox, django_capture_on_commit_callbacks
):
    # The broker down at commit: the on-commit send never happens (its refusal is only logged).
    with django_capture_on_commit_callbacks(execute=False):
        _queue("a@example.org")
    assert _mail_tasks(memory_broker()) == []

    assert mail_queue_unsent() == 0  # too soon: its task may still be on its way
    later = timezone.now() + UNSENT_AFTER + timedelta(seconds=1)
    assert mail_queue_unsent(now=later) == 1
    [again] = _mail_tasks(memory_broker())
    assert again["to"] == "a@example.org"
    assert again["mail_id"] == Mail.objects.get().pk

    task = current_app.tasks[MAIL_TASK]
    assert task.run(**again) == 1
    assert task.run(**again) == 0  # redelivered: not sent twice
    assert [mail.to for mail in mailoutbox] == [["a@example.org"]]
    assert Mail.objects.get().sent_at is not None
    assert mail_queue_unsent(now=later + UNSENT_AFTER * 2) == 0


def test_a_mail_waiting_for_its_retry_is_not_queued_twice(memory_broker, mailoutbox, monkeypatch):
    _queue("a@example.org")
    kept = Mail.objects.get()
    kept_kwargs = {"to": kept.to, "subject": kept.subject, "body": kept.body, "mail_id": kept.pk}
    Mail.objects.filter(pk=kept.pk).update(tried_at=timezone.now() - UNSENT_AFTER * 2)

    def down(*args, **kwargs):
        raise ConnectionRefusedError("SMTP down")

    monkeypatch.setattr("django.core.mail.backends.locmem.EmailBackend.send_messages", down)
    task = current_app.tasks[MAIL_TASK]
    task.push_request(retries=0, called_directly=False, id="mail-1", delivery_info={}, args=[], kwargs=kept_kwargs)
    try:
        with pytest.raises(Retry):
            task.run(**kept_kwargs)
    finally:
        task.pop_request()
    # Its retry is on its way (tried just now): beat's look leaves it alone.
    assert mail_queue_unsent() == 0


def test_a_mail_older_than_two_days_is_kept_but_not_sent():
    _queue("a@example.org")
    long_ago = timezone.now() - GIVE_UP_AFTER - timedelta(hours=1)
    Mail.objects.update(queued_at=long_ago, tried_at=long_ago)
    assert mail_queue_unsent() == 0
    assert Mail.objects.filter(sent_at__isnull=True).count() == 1
