"""Panels that apps above posts add to a message's page (analytics: its numbers), without
posts importing them, the layers running one way: an app registers a function in its
AppConfig.ready(), and the page includes each panel's template with the context the
function gives (None: no panel for this message)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Panel:
    template: str
    context: dict[str, Any]


MessagePanel = Callable[[Any, Any], Panel | None]  # (user, message), the message already scoped
_message_panels: list[MessagePanel] = []


def register_message_panel(panel: MessagePanel) -> None:
    if panel not in _message_panels:  # ready() may run twice in tests
        _message_panels.append(panel)


def message_panels(*, user, message) -> list[Panel]:
    return [one for one in (panel(user, message) for panel in _message_panels) if one is not None]
