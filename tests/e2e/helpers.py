"""What the browser journeys share: screenshots for the README, a small image to attach,
and waiting on the database while real workers publish."""

from __future__ import annotations

import os
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
# A test run must not change committed files: the journeys save their screenshots under
# var/ unless asked to refresh the README's (`make screenshots`).
SCREENSHOTS = ROOT / ("docs/screenshots" if os.environ.get("UPDATE_SCREENSHOTS") else "var/screenshots")
VIEWPORT = {"width": 1280, "height": 900}


def shot(page, name: str, *, full_page: bool = True) -> Path:
    """Save a screenshot of the page (for the README with UPDATE_SCREENSHOTS=1)."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=full_page, animations="disabled")
    return path


def image_file(tmp_path: Path, name: str = "reception.png") -> Path:
    """A small PNG to attach to a message."""
    from live.media_samples import png_bytes

    path = tmp_path / name
    path.write_bytes(png_bytes(640, 360, "navy"))
    return path


def delivery_states(message) -> list[str]:
    from posts.models import Delivery

    return list(Delivery.objects.filter(message=message).order_by("pk").values_list("state", flat=True))


def all_sent(message) -> list[str] | bool:
    states = delivery_states(message)
    return states if states and all(state == "sent" for state in states) else False
