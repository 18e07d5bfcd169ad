"""diplomacy_hub.tasks.task: every app's one task decorator. A stable dotted name is
required, a queue on the task is refused (routing gives it), and our defaults hold."""

from __future__ import annotations

import pytest

from diplomacy_hub.celery import app
from diplomacy_hub.tasks import task


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
