"""diplomacy_hub.tasks.task: every app's one task decorator. A stable dotted name is
required, a queue on the task is refused (routing gives it), and our defaults hold. And
the one way a request hands work to the broker never waits for a hanging one."""

from __future__ import annotations

import threading

import pytest

from diplomacy_hub.celery import app
from diplomacy_hub.tasks import send_without_waiting, task


def test_a_task_needs_a_stable_dotted_name():
    with pytest.raises(TypeError):
        task()(lambda: None)  # type: ignore[call-arg]
    with pytest.raises(TypeError, match="stable dotted name"):
        task(name="")
    with pytest.raises(TypeError, match="stable dotted name"):
        task(name="sweep")


def test_a_task_never_names_its_queue():
    with pytest.raises(TypeError, match="CELERY_TASK_ROUTES"):
        task(name="posts.example", queue="maintenance")


def test_our_defaults_hold_and_options_pass_through():
    @task(name="tests.decorated", bind=True)
    def decorated(self, **kwargs):
        return self.name

    registered = app.tasks["tests.decorated"]
    assert (registered.acks_late, registered.reject_on_worker_lost, registered.ignore_result) == (True, True, True)
    assert registered.serializer == "json"
    assert decorated.run() == "tests.decorated"


@pytest.mark.parametrize(
    ("name", "queue"),
    [
        ("channels.health_check_all", "maintenance"),
        ("channels.health_check_account", "maintenance"),
        ("channels.refresh_expiring", "maintenance"),
        ("channels.refresh_account", "maintenance"),
        ("posts.sweep", "maintenance"),
        ("posts.reconcile_delivery", "maintenance"),
        ("posts.dispatch_due", "publish"),
    ],
)
def test_routing_gives_each_task_its_queue(name, queue):
    app.loader.import_default_modules()
    assert name in app.tasks
    assert app.amqp.router.route({}, name)["queue"].name == queue


def test_a_sender_naming_the_lane_wins_over_routing():
    assert app.amqp.router.route({"queue": "crisis"}, "posts.publish_delivery")["queue"].name == "crisis"


def test_send_without_waiting_returns_while_the_broker_hangs(settings, caplog):
    """A request that hands work to a hanging broker answers anyway: the sending goes on in
    the background and the wait is said in the log."""
    settings.KICK_TIMEOUT = 0.05
    release, finished = threading.Event(), threading.Event()

    def hanging_send() -> None:
        release.wait(10)
        finished.set()

    send_without_waiting(hanging_send, what="a test task")

    assert not finished.is_set()
    assert "did not take a test task" in caplog.text
    release.set()
    assert finished.wait(5)


def test_send_without_waiting_logs_a_refusal_and_never_raises(caplog):
    def refusing_send() -> None:
        raise ConnectionRefusedError("no broker")

    send_without_waiting(refusing_send, what="a test task")

    assert "The broker refused a test task" in caplog.text


def test_while_a_send_is_stuck_the_next_caller_does_not_wait(settings, caplog):
    """One request with a mail and a kick waits for a hanging broker once, not twice."""
    settings.KICK_TIMEOUT = 0.05
    release = threading.Event()
    send_without_waiting(lambda: release.wait(10), what="the first task")
    second_done = threading.Event()

    send_without_waiting(lambda: release.wait(10) and second_done.set(), what="the second task")

    assert "did not take the second task within 0.0 s" in caplog.text
    release.set()
    assert second_done.wait(5)
