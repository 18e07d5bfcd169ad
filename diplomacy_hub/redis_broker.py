"""The scaled-out broker (CELERY_BROKER_URL=redis://...): kombu's Redis transport, with one
guard so that a worker outlives a Redis restart.

What kills a worker otherwise (kombu 5.7.0, celery 5.7.0, the newest on PyPI):
1. Redis goes away. Celery's `Consumer.on_connection_error_after_connected` calls
   `connection.collect()`, then `ignore_errors(connection, connection.close)`.
2. `Connection.collect()` closes the channels (`Transport.close_connection`), but a channel
   with a BRPOP outstanding raises a ConnectionError from `Channel.close()` (it reads the
   reply first), which ends the loop: the channels after it are left open. `collect()`
   then drops the transport's connection all the same (`_do_close_transport`:
   `transport.client = None`).
3. `connection.close()` closes the task channel for real: it releases its Redis pools, then
   puts its unacknowledged messages back (`QoS.restore_unacked_once`), which needs a new
   pool, built from `transport.client.hostname` (`Channel._connparams`): AttributeError
   ('NoneType' object has no attribute 'hostname'). That is neither a connection nor a
   channel error, so `ignore_errors` lets it through, the consumer calls it
   "Unrecoverable" and the worker stops; on the way out, the hub's close runs the late
   acks of the tasks that finished meanwhile, which fail the same way ("Error on stopping
   Hub").
It happens only when the task channel had a BRPOP outstanding at the time (a worker with
free threads: the fan-out's tail, one task per batch), hence a flaky test.

The guard: a channel whose connection is gone says so with a connection error, which every
caller above already handles: the close is ignored, the late ack is logged ("Couldn't ack")
and dropped. Nothing is lost by it: the database's claim is the guarantee (a batch whose
message comes back finds its deliveries no longer `queued`), and the sweeper enqueues again
what the broker lost. tests/chaos/test_redis_broker.py replays the sequence on a real
redis-server, against kombu's own transport and this one. `register()`
(diplomacy_hub/celery.py) makes "redis://" and "rediss://" mean this transport.
"""

from __future__ import annotations

from kombu.transport import TRANSPORT_ALIASES
from kombu.transport import redis as kombu_redis
from redis.exceptions import ConnectionError as RedisConnectionError


class Channel(kombu_redis.Channel):
    def _connparams(self, asynchronous=False):
        transport = self.connection
        if transport is None or transport.client is None:
            raise RedisConnectionError("This channel's broker connection is closed.")
        return super()._connparams(asynchronous=asynchronous)


class Transport(kombu_redis.Transport):
    Channel = Channel


def register() -> None:
    for scheme in ("redis", "rediss"):
        TRANSPORT_ALIASES[scheme] = "diplomacy_hub.redis_broker:Transport"
