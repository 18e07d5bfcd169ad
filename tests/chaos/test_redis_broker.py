"""A worker outlives a Redis restart (diplomacy_hub/redis_broker.py).

The redis_restart scenario (test_brokers.py) sometimes lost a worker: "Unrecoverable
error: AttributeError('NoneType' object has no attribute 'hostname')", then "Error on
stopping Hub". Here the sequence Celery runs after a lost connection is replayed on a real
redis-server, deterministically: a task channel with a message unacknowledged and a BRPOP
outstanding, a later channel consuming a fan-out queue (the worker's remote-control box),
Redis killed, then `collect()` and `close()` as `Consumer.on_connection_error_after_connected`
calls them, then the late ack of the task that finished meanwhile. kombu's own transport
fails it (which shows the replay reaches the defect); ours must not."""

from __future__ import annotations

import contextlib
import logging

import pytest
from kombu import Connection, Consumer, Exchange, Producer, Queue
from kombu.common import ignore_errors

import diplomacy_hub.celery  # noqa: F401 (registers the transports)
from live.stack import RedisServer

pytestmark = [pytest.mark.chaos]

KOMBU = "kombu.transport.redis:Transport"
OURS = "diplomacy_hub.redis_broker:Transport"


@pytest.fixture
def redis_server(tmp_path):
    server = RedisServer(tmp_path / "redis")
    server.start()
    yield server
    server.stop()


def _replay(server: RedisServer, transport: str, caplog) -> dict:
    """What the worker's consumer goes through when Redis dies under it."""
    options = {"socket_timeout": 3, "socket_connect_timeout": 3, "max_retries": 2}
    connection = Connection(server.url(), transport=transport, transport_options=options)
    crisis = Queue("crisis", Exchange("crisis", type="direct"), routing_key="crisis")
    Producer(connection.channel()).publish(
        {"batch": [1, 2]}, exchange=crisis.exchange, routing_key="crisis", declare=[crisis]
    )
    received = []
    Consumer(connection.default_channel, [crisis], callbacks=[lambda body, message: received.append(message)]).consume()
    connection.drain_events(timeout=5)
    box = Queue("worker.pidbox", Exchange("worker.pidbox", type="fanout"), auto_delete=True)
    Consumer(connection.channel(), [box], callbacks=[lambda body, message: None], no_ack=True).consume()
    with contextlib.suppress(TimeoutError):  # both channels now wait on a BRPOP, as the worker's loop does
        connection.drain_events(timeout=0.3)
    (message,) = received
    assert message.channel._in_poll, "the task channel must have a BRPOP outstanding"

    server.kill()
    outcome: dict = {"close": None, "ack": None}
    with contextlib.suppress(Exception):  # as Celery does: collect() is best effort
        connection.collect(socket_timeout=2)
    try:
        ignore_errors(connection, connection.close)
    except Exception as error:
        outcome["close"] = error
    with caplog.at_level(logging.CRITICAL, logger="tests.redis_broker"):
        try:
            message.ack_log_error(logging.getLogger("tests.redis_broker"), connection.connection_errors)
        except Exception as error:
            outcome["ack"] = error
    outcome["logged"] = [record.getMessage() for record in caplog.records if record.name == "tests.redis_broker"]
    return outcome


def test_redis_urls_get_the_guarded_transport(redis_server):
    with Connection(redis_server.url()) as connection:
        assert type(connection.transport).__module__ == "diplomacy_hub.redis_broker"
    with Connection(redis_server.url().replace("redis://", "rediss://")) as connection:
        assert type(connection.transport).__module__ == "diplomacy_hub.redis_broker"


def test_kombus_own_transport_fails_the_replay(redis_server, caplog):
    """The defect, as the worker met it: if kombu fixes it, this fails, and the guard can go."""
    outcome = _replay(redis_server, KOMBU, caplog)
    assert isinstance(outcome["close"], AttributeError), outcome
    assert "hostname" in str(outcome["close"])
    assert isinstance(outcome["ack"], AttributeError), outcome


def test_ours_closes_quietly_and_only_logs_the_late_ack(redis_server, caplog):
    outcome = _replay(redis_server, OURS, caplog)
    assert outcome["close"] is None, outcome
    assert outcome["ack"] is None, outcome
    assert any(line.startswith("Couldn't ack") for line in outcome["logged"]), outcome
