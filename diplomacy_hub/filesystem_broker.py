"""The embedded default's broker (CELERY_BROKER_URL=filesystem://), delivering whole
messages only.

kombu's filesystem transport writes a message in place: it creates the file, then writes
into it. A consumer that lists the folder in between takes the still-empty file, fails to
decode it (JSONDecodeError), and the message is gone; in a Celery worker the error is
"Unrecoverable": the worker stops consuming. The chaos drill found it (tests/chaos,
network_faults: a worker's dispatcher enqueuing 271 deliveries while the same worker
polls); a bare producer/consumer race loses about one message in twenty.

Here a message is written under a name no consumer looks at (".<name>.part": the
transport only reads files named "<...>.<queue>.msg"), then renamed into place, which is
atomic within the folder. `register()` (diplomacy_hub/celery.py) makes "filesystem://"
mean this transport in every process.
"""

from __future__ import annotations

import os
import uuid
from time import monotonic

from kombu.exceptions import ChannelError
from kombu.transport import TRANSPORT_ALIASES, filesystem, virtual
from kombu.utils.encoding import str_to_bytes
from kombu.utils.json import dumps


class Channel(filesystem.Channel):
    def _put(self, queue, payload, **kwargs):
        """Put `payload` onto `queue`: written aside, then renamed into the queue folder."""
        name = f"{round(monotonic() * 1000)}_{uuid.uuid4()}.{queue}.msg"
        temporary = os.path.join(self.data_folder_out, f".{name}.part")
        try:
            with open(temporary, "wb") as handle:
                handle.write(str_to_bytes(dumps(payload)))
            os.replace(temporary, os.path.join(self.data_folder_out, name))
        except OSError as exc:
            raise ChannelError(f"Cannot add file {name!r} to directory") from exc


class Transport(filesystem.Transport):
    """kombu keeps the bindings it has declared in one state per process, and skips a
    binding it remembers; the table it reads when publishing is in the control folder.
    A process that uses two broker folders (the live tests give each test its own) then
    never writes the binding into the second folder, and every message published there is
    dropped as undeliverable. So the state here is one per control folder."""

    Channel = Channel
    states_by_control_folder: dict[str, virtual.BrokerState] = {}

    def __init__(self, client, **kwargs):
        super().__init__(client, **kwargs)
        folder = os.path.abspath(client.transport_options.get("control_folder", "control"))
        self.state = self.states_by_control_folder.setdefault(folder, virtual.BrokerState())


def register() -> None:
    TRANSPORT_ALIASES["filesystem"] = "diplomacy_hub.filesystem_broker:Transport"
