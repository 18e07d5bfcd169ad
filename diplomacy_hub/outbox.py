"""Events that other systems may hear about, handed to whoever listens, in the caller's
transaction: the lowest layer's side of the webhooks' outbox (api/ listens).

A service calls `emit("message.approve", {...})` inside the transaction that makes the
change; each listener (registered once, by its app's ready()) writes its own rows in that
same transaction, so a change and what is owed to the outside world commit or roll back
together. Listeners must be quick and must not call networks: they write rows, and tasks
send them after commit. Payloads are plain JSON data.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

Listener = Callable[[str, Mapping[str, Any]], None]

_listeners: list[Listener] = []


def listen(listener: Listener) -> None:
    """Register `listener` (idempotent: an app's ready() may run twice in tests)."""
    if listener not in _listeners:
        _listeners.append(listener)


def emit(event: str, payload: Mapping[str, Any]) -> None:
    """Hand one event to every listener, now, in the caller's transaction. A listener's
    error propagates: the change it was about fails with it (nothing is lost silently)."""
    for listener in _listeners:
        listener(event, payload)
