"""Two workers that receive the same publish task at the same instant (a broker message
redelivered while its first worker still runs) publish the delivery once: the claim
`queued -> sending` is one conditional UPDATE, and only one of them wins it.

On PostgreSQL (CI) the threads really race on separate connections; a claim that reads the
state and then writes it publishes duplicates there. On SQLite the write transactions
serialise, so the test runs but proves less."""

from __future__ import annotations

import threading
from collections import Counter

import pytest
from django.db import connection

from posts.models import Delivery
from posts.services.delivery import delivery_publish
from posts.services.dispatch import dispatch_due

from .helpers import accounts, approve, deliveries_of

WORKERS_PER_DELIVERY = 4


@pytest.mark.usefixtures("_live_database_keeper", "transactional_db", "django_db_serialized_rollback")
def test_workers_racing_for_one_delivery_publish_it_once(broker, network):
    message = approve(targets=accounts(20))
    dispatch_due()
    ids = [delivery.pk for delivery in deliveries_of(message)]
    assert {delivery.state for delivery in deliveries_of(message)} == {Delivery.State.QUEUED}
    lock = threading.Lock()
    original = network.publish

    def publish(credentials, content, *, progress=None):  # the FakeNetwork's lists are not thread-safe
        with lock:
            return original(credentials, content)

    network.publish = publish
    errors: list[str] = []
    outcomes: list[str] = []

    def worker(pk: int, barrier: threading.Barrier) -> None:
        try:
            barrier.wait()
            outcomes.append(delivery_publish(delivery_id=pk).kind)
        except Exception as error:  # reported by the assertions below
            errors.append(repr(error))
        finally:
            connection.close()

    for pk in ids:
        barrier = threading.Barrier(WORKERS_PER_DELIVERY)
        threads = [threading.Thread(target=worker, args=(pk, barrier)) for _ in range(WORKERS_PER_DELIVERY)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(30)
        assert not any(thread.is_alive() for thread in threads), f"a worker on delivery {pk} hangs"

    per_reference = Counter(post["reference"] for post in network.posts)
    assert [reference for reference, count in per_reference.items() if count > 1] == [], per_reference
    assert errors == []
    assert len(per_reference) == len(ids)
    # One winner per delivery; the others found it claimed and did nothing.
    assert Counter(outcomes) == {"sent": len(ids), "": len(ids) * (WORKERS_PER_DELIVERY - 1)}
    assert {delivery.state for delivery in deliveries_of(message)} == {Delivery.State.SENT}
    assert {delivery.attempts for delivery in deliveries_of(message)} == {1}
