"""What an adapter hears: the public's comments, replies, mentions, quotes and visitor posts.

The read side of each adapter, in the style of publishing: plain data in and out, SDK
errors mapped at the edge (base.py's four kinds), no models. Polling resumes from an
opaque cursor that the adapter writes and the caller stores per account and stream;
pushed events (webhooks) are verified and parsed by the same adapter into the same items.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from channels.adapters.base import Credentials


class ItemKind:
    COMMENT = "comment"  # under a post (Facebook, YouTube top-level, Flickr)
    REPLY = "reply"  # to a post or a comment (X reply, Facebook/YouTube reply to a comment)
    MENTION = "mention"  # names the account without answering one of its posts (X)
    QUOTE = "quote"  # quotes one of the account's posts (X)
    VISITOR_POST = "visitor_post"  # posted on the account's own page (Facebook)

    ALL = (COMMENT, REPLY, MENTION, QUOTE, VISITOR_POST)


@dataclass(frozen=True)
class HeardItem:
    """One thing the public said, as the network gave it.

    `external_id` is unique on its network. `thread_id` groups a conversation (X
    conversation_id, the Facebook post and top-level comment, the YouTube thread, the
    Flickr photo); `answers_post_id` is the external id of our post it answers, when it
    answers one (the link to our delivery); `parent_id` the item or post it answers
    directly. `raw` is the network's own JSON for the item, kept as a public record.
    """

    network: str
    external_id: str
    kind: str
    thread_id: str
    author_id: str
    author_name: str
    text: str
    created_at: datetime
    url: str
    parent_id: str = ""
    answers_post_id: str = ""
    author_handle: str = ""
    language: str = ""  # as the network declares it ("" when it does not)
    edited_at: datetime | None = None
    deleted: bool = False
    raw: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Heard:
    """One poll's answer: the items, the cursor to resume from, and the network's budget."""

    items: Sequence[HeardItem]
    cursor: str  # opaque, written by the adapter; "" starts from the network's default window
    # The network's own signals (x-rate-limit-remaining, X-Business-Use-Case-Usage, quota
    # units spent), for the caller's governor; None when the network said nothing.
    remaining_calls: int | None = None
    quota_units_spent: int = 0


class Listener(Protocol):
    """The read side an adapter adds to publishing."""

    def listen(self, credentials: Credentials, *, cursor: str, our_posts: Sequence[str]) -> Heard:
        """What was said to the account since `cursor`, including answers under `our_posts`
        (the external ids of what we published in the network's reply window)."""
        ...

    def webhook_challenge(self, *, params: Mapping[str, str], app_secret: str, verify_token: str) -> str | None:
        """The answer to the network's subscription check (X's CRC `crc_token`, Facebook's
        `hub.challenge`), or None when the check is not valid; the view sends it as is."""
        ...

    def verify_webhook(self, *, body: bytes, headers: Mapping[str, str], app_secret: str) -> bool:
        """Whether a pushed delivery carries the network's valid signature (constant time)."""
        ...

    def webhook_items(self, payload: Mapping[str, Any]) -> Sequence[HeardItem]:
        """The items of one verified pushed delivery; malformed parts raise PermanentError."""
        ...
