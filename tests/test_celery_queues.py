"""The three queues are separate: a task sent to one lands in that one only.

Bare `Queue("crisis")` declarations bind every queue to the default exchange and key, and
a task sent to the crisis queue then lands in all three — the crisis worker takes routine
work and every publish task is delivered three times."""

import pytest

from diplomacy_hub.celery import app

QUEUES = ("crisis", "publish", "maintenance", "listen", "analytics")


def test_each_queue_has_its_own_exchange_and_routing_key():
    declared = {queue.name: (queue.exchange.name, queue.routing_key) for queue in app.amqp.queues.values()}
    assert declared == {name: (name, name) for name in QUEUES}


def _sizes(connection) -> dict[str, int]:
    channel = connection.default_channel
    return {name: channel.queue_declare(queue=name, passive=False).message_count for name in QUEUES}


@pytest.mark.parametrize("target", QUEUES)
def test_a_task_sent_to_one_queue_lands_in_that_queue_only(target):
    with app.connection_for_write() as connection:
        for name in QUEUES:
            connection.default_channel.queue_purge(name)
        app.send_task("posts.sweep", queue=target, connection=connection)
        sizes = _sizes(connection)
        for name in QUEUES:
            connection.default_channel.queue_purge(name)
    assert sizes == {name: int(name == target) for name in QUEUES}
