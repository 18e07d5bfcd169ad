"""The Celery settings that keep a delivery from being lost or sent twice (DESIGN.md,
STYLE.md "Tasks"), read from the app the workers run, and beat's entries.

- late acks, and a task whose worker died is handed out again (the delivery's own claim
  makes the second run harmless);
- one message prefetched at a time (a busy worker does not sit on the crisis lane's work);
- soft and hard time limits, the soft one first;
- JSON only (ids, never pickled objects), no result backend (a hung Redis must never block
  a web request);
- beat ticks the dispatcher on both publishing queues, sweeps on the maintenance queue,
  and checks and refreshes the social accounts there too; the conversation desk's polls
  and snoozes are on the listening queue; every entry names a task that exists."""

from __future__ import annotations

import pytest

from diplomacy_hub.celery import app

QUEUES = {"crisis", "publish", "maintenance", "listen", "analytics"}
OUR_TASKS = ("posts.", "channels.", "conversations.")


@pytest.fixture(scope="module")
def conf():
    app.loader.import_default_modules()  # the tasks, as a worker imports them
    return app.conf


def test_late_acks_and_a_requeue_when_a_worker_dies(conf):
    assert conf.task_acks_late is True
    assert conf.task_reject_on_worker_lost is True


def test_one_message_prefetched_at_a_time(conf):
    assert conf.worker_prefetch_multiplier == 1


def test_soft_and_hard_time_limits(conf):
    assert 0 < conf.task_soft_time_limit < conf.task_time_limit


def test_json_only_and_no_result_backend(conf):
    assert conf.task_serializer == "json"
    assert list(conf.accept_content) == ["json"]
    assert conf.result_backend is None
    assert conf.task_ignore_result is True


def test_a_redis_broker_never_hands_out_a_running_task_again(conf):
    """Redis redelivers an unacknowledged task after its visibility timeout: above twice the
    hard time limit (only a Redis broker has one)."""
    options = conf.broker_transport_options or {}
    if not str(conf.broker_url).startswith(("redis://", "rediss://")):
        assert "visibility_timeout" not in options
        return
    assert options["visibility_timeout"] > 2 * conf.task_time_limit


def test_each_of_our_tasks_acks_late_and_speaks_json(conf):
    ours = {name: task for name, task in app.tasks.items() if name.startswith(OUR_TASKS)}
    assert {
        "posts.dispatch_due",
        "posts.publish_batch",
        "posts.publish_delivery",
        "posts.sweep",
        "posts.reconcile_delivery",
        "posts.retract_delivery",
        "channels.health_check_all",
        "channels.refresh_expiring",
    } <= set(ours)
    for name, task in ours.items():
        assert task.acks_late is True, name
        assert task.reject_on_worker_lost is True, name
        assert task.serializer == "json", name
        assert task.ignore_result is True, name


def _entries(conf, task: str) -> list[dict]:
    return [entry for entry in conf.beat_schedule.values() if entry["task"] == task]


def test_beat_ticks_the_dispatcher_on_both_publishing_queues(conf):
    entries = _entries(conf, "posts.dispatch_due")
    assert sorted(entry["options"]["queue"] for entry in entries) == ["crisis", "publish"]
    for entry in entries:
        # Every few seconds: a post scheduled for 10:00 leaves within one tick.
        assert 0 < float(entry["schedule"]) <= 5
        # A tick that waited longer than its interval is dropped, not run late in a pile.
        assert float(entry["schedule"]) <= entry["options"]["expires"] <= 5 * float(entry["schedule"])


def test_beat_sweeps_and_cares_for_the_accounts_on_the_maintenance_queue(conf):
    for task in ("posts.sweep", "channels.health_check_all", "channels.refresh_expiring"):
        entries = _entries(conf, task)
        assert [entry["options"]["queue"] for entry in entries] == ["maintenance"], task
    (sweep,) = _entries(conf, "posts.sweep")
    # The sweeper must look well within the shortest threshold it enforces.
    from django.conf import settings

    assert float(sweep["schedule"]) < settings.SWEEPER_QUEUED_AFTER


def test_beat_ticks_the_conversation_desk_on_the_listening_queue(conf):
    for task in ("conversations.poll_due", "conversations.wake_snoozed"):
        (entry,) = _entries(conf, task)
        assert entry["options"]["queue"] == "listen", task
        assert float(entry["schedule"]) <= entry["options"]["expires"], task


def test_every_beat_entry_names_a_registered_task_and_a_declared_queue(conf):
    declared = {queue.name for queue in app.amqp.queues.values()}
    assert declared == QUEUES
    for key, entry in conf.beat_schedule.items():
        assert entry["task"] in app.tasks, f"beat entry {key!r}: no task {entry['task']!r}"
        assert entry["options"]["queue"] in declared, key
