"""`make run`'s process manager: honcho, given the time a warm stop takes.

Ctrl-C makes honcho send SIGTERM to every process (Celery's warm shutdown: finish the
deliveries in flight, take no new one), then SIGKILL after its KILL_WAIT of 5 s. An idle
worker needs about that long to exit, and a delivery in flight may wait on its network for
NETWORK_CONNECT_TIMEOUT + NETWORK_READ_TIMEOUT: killed, it would be left `sending` until
the sweeper turns it `unknown`. So honcho waits for that, and a little more.
"""

import os

import honcho.manager
from django.conf import settings
from honcho.command import main

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "diplomacy_hub.settings.local")


def stop_wait() -> float:
    """Seconds between SIGTERM and SIGKILL: a delivery's longest network call, plus the
    worker's own exit."""
    return settings.NETWORK_CONNECT_TIMEOUT + settings.NETWORK_READ_TIMEOUT + 10


if __name__ == "__main__":
    honcho.manager.KILL_WAIT = stop_wait()
    main()
