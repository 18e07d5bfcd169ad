"""The embedded default's broker delivers whole messages only (diplomacy_hub/filesystem_broker.py).

Found by the network_faults scenario on the filesystem broker: kombu writes a message file
in place, so a consumer polling the folder could take it still empty; the JSONDecodeError
lost the message and stopped the worker's consumer ("Unrecoverable error"). Here a
producer and a consumer race over 1,000 messages through the transport the app uses:
without the fix about one in twenty came back empty."""

from __future__ import annotations

import threading
import time

import pytest
from kombu import Connection

import diplomacy_hub.celery  # noqa: F401 (registers the filesystem transport)
from live.stack import filesystem_broker_options

pytestmark = [pytest.mark.chaos]

MESSAGES = 1000


def test_filesystem_urls_get_the_whole_message_transport(tmp_path):
    with Connection("filesystem://", transport_options=filesystem_broker_options(tmp_path)) as connection:
        assert type(connection.default_channel).__module__ == "diplomacy_hub.filesystem_broker"


def test_a_consumer_racing_a_producer_never_reads_a_half_written_message(tmp_path):
    options = filesystem_broker_options(tmp_path)
    received: list[dict] = []
    errors: list[Exception] = []
    done = threading.Event()

    def produce() -> None:
        with Connection("filesystem://", transport_options=options) as connection:
            queue = connection.SimpleQueue("crisis")
            for number in range(MESSAGES):
                queue.put({"number": number})
        done.set()

    def consume() -> None:
        with Connection("filesystem://", transport_options=options) as connection:
            channel = connection.default_channel
            deadline = time.monotonic() + 60
            while len(received) < MESSAGES and time.monotonic() < deadline:
                try:
                    received.append(channel._get("crisis"))
                except Exception as error:
                    if type(error).__name__ != "Empty":
                        errors.append(error)
                    elif done.is_set() and len(received) + len(errors) >= MESSAGES:
                        return

    threads = [threading.Thread(target=produce), threading.Thread(target=consume)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(90)
    assert errors == []
    assert len(received) == MESSAGES


def test_a_second_broker_folder_in_the_same_process_gets_its_own_bindings(tmp_path):
    """kombu remembers declared bindings per process; the live tests give each test its own
    folder. Without a state per control folder, the second folder never got the binding
    table and every message published there was dropped as undeliverable."""
    for name in ("first", "second"):
        with Connection("filesystem://", transport_options=filesystem_broker_options(tmp_path / name)) as connection:
            queue = connection.SimpleQueue("crisis")
            queue.put({"folder": name})
            assert queue.get(timeout=5).payload == {"folder": name}
            queue.close()
