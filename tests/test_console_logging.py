"""The console that `make run` and production print: the dispatcher's idle ticks are not
logged, a tick that found work is, and a refusal (403) is one line without a traceback."""

import logging

import pytest
from celery.app.trace import LOG_RECEIVED, LOG_SUCCESS
from django.urls import reverse

from conversations.tasks import drain_webhooks
from posts.services.review import message_approve, message_submit
from posts.tasks import dispatch_due, sweep
from tests.posts.factories import draft_message, officer, press_officer
from tests.security.otp import force_verified_login

pytestmark = pytest.mark.django_db

CONSOLE = logging.Formatter("%(asctime)s %(levelname)s %(name)s %(message)s")  # settings' "plain"


def _lines(caplog) -> list[str]:
    return [line for record in caplog.records for line in CONSOLE.format(record).splitlines()]


def test_an_idle_dispatcher_tick_logs_nothing_and_other_tasks_still_log(caplog):
    caplog.set_level(logging.INFO)
    dispatch_due.apply()
    sweep.apply()
    assert not [line for line in _lines(caplog) if "posts.dispatch_due" in line]
    assert [line for line in _lines(caplog) if "posts.sweep" in line and "succeeded" in line]


def test_an_idle_webhook_drain_logs_nothing(caplog):
    caplog.set_level(logging.INFO)
    logging.getLogger("celery.beat").info(
        "Scheduler: Sending due task %s (%s)", "conversations-drain-webhooks", "conversations.drain_webhooks"
    )
    drain_webhooks.apply()
    assert not [line for line in _lines(caplog) if "drain" in line.lower() or "Webhooks:" in line]


def test_the_tick_lines_of_beat_and_the_worker_are_dropped_for_the_dispatcher_only(caplog):
    caplog.set_level(logging.INFO)
    for name in ("posts.dispatch_due", "posts.publish_delivery"):
        logging.getLogger("celery.beat").info("Scheduler: Sending due task %s (%s)", "dispatch-due", name)
        logging.getLogger("celery.worker.strategy").info(LOG_RECEIVED, {"id": "1", "name": name})
        logging.getLogger("celery.app.trace").info(
            LOG_SUCCESS, {"id": "1", "name": name, "return_value": None, "runtime": 0.01, "args": "", "kwargs": ""}
        )
    logging.getLogger("celery.app.trace").warning("Task %(name)s failed", {"name": "posts.dispatch_due"})
    lines = _lines(caplog)
    assert [line for line in lines if "posts.dispatch_due" in line] == [lines[-1]]
    assert "WARNING" in lines[-1]
    assert len([line for line in lines if "posts.publish_delivery" in line]) == 3


def test_a_tick_that_found_work_says_so(caplog, django_capture_on_commit_callbacks):
    author = officer("emb-eg-cairo")
    message = draft_message(author=author)
    message_submit(actor=author, message_id=message.pk)
    with django_capture_on_commit_callbacks():  # the approval's kick is not run: the tick is
        message_approve(actor=press_officer(), message_id=message.pk, publish_at=None)
    caplog.set_level(logging.INFO)
    dispatch_due.apply()
    assert [line for line in _lines(caplog) if "Dispatched: 2 queued" in line]


def test_a_refusal_is_logged_in_one_line(client, caplog):
    caplog.set_level(logging.INFO)
    force_verified_login(client, press_officer())
    response = client.get(reverse("posts:message_create"))
    assert response.status_code == 403
    lines = [line for line in _lines(caplog) if "django.request" in line or line.startswith(("Traceback", " "))]
    assert len(lines) == 1
    assert "Forbidden" in lines[0]
