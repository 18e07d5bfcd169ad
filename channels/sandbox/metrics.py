"""Made-up but stable audience numbers, so that metrics screens have something to show.

Each number derives from a hash of the account or the post, and a post's engagement grows
with its age for its first ten hours: two reads a minute apart agree, and later reads are
never lower.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import UTC, datetime

from channels.sandbox.state import Item


def _unit(*parts: str) -> float:
    """A stable number in [0, 1) for these parts."""
    digest = hashlib.sha256("/".join(parts).encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64


def followers(network: str, account: str) -> int:
    return 500 + int(_unit("followers", network, account) * 49_500)


@dataclass(frozen=True)
class Engagement:
    likes: int
    shares: int
    comments: int
    views: int
    link_clicks: int = 0
    profile_clicks: int = 0
    watch_minutes: int = 0
    subscribers_gained: int = 0


def engagement(item: Item, now: datetime | None = None) -> Engagement:
    minutes = ((now or datetime.now(UTC)) - item.created_at).total_seconds() / 60
    growth = min(max(minutes, 0.0), 600.0)
    rate = 0.05 + _unit("engagement", item.network, item.id) * 0.45  # likes per minute
    likes = int(growth * rate)
    views = int(growth * rate * 40)
    return Engagement(
        likes=likes,
        shares=likes // 4,
        comments=likes // 6,
        views=views,
        link_clicks=likes // 3,
        profile_clicks=likes // 8,
        # A video's viewers watch about a minute and a half each; one in fifty subscribes.
        watch_minutes=views * 3 // 2,
        subscribers_gained=views // 50,
    )
