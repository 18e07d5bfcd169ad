"""What an adapter hears: the public's comments, replies, mentions, quotes and visitor posts.

The read side of each adapter, in the style of publishing: plain data in and out, SDK
errors mapped at the edge (base.py's four kinds), no models. Polling resumes from an
opaque cursor that the adapter writes and the caller stores per account and stream;
pushed events (webhooks) are verified and parsed by the same adapter into the same items.
"""

from __future__ import annotations

import dataclasses
import hashlib
import hmac
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol, runtime_checkable

from channels.adapters.base import Credentials
from channels.adapters.transport import sandbox_post_url


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
    # The network's id of the account it was said to (the X user, the Facebook Page, the
    # YouTube channel, the Flickr NSID): what a webhook's item is routed by.
    account_id: str = ""


@dataclass(frozen=True)
class Heard:
    """One poll's answer: the items, the cursor to resume from, and the network's budget."""

    items: Sequence[HeardItem]
    cursor: str  # opaque, written by the adapter; "" starts from the network's default window
    # The network's own signals (x-rate-limit-remaining, X-Business-Use-Case-Usage, quota
    # units spent), for the caller's governor; None when the network said nothing.
    remaining_calls: int | None = None
    quota_units_spent: int = 0
    # Set when the network stopped the poll part-way (a rate limit after some pages): the
    # items so far are good, the cursor resumes at the page refused, and the caller waits
    # this many seconds before the next poll. A poll refused before any page raises
    # RateLimited instead.
    retry_after: float | None = None


@runtime_checkable
class Listener(Protocol):
    """The read side an adapter adds to publishing (`isinstance(adapter, Listener)` tells
    whether one has it)."""

    # The media type of webhook_challenge's answer: "application/json" (X's CRC),
    # "text/plain" (Facebook's hub.challenge, and the networks without push).
    challenge_content_type: str

    def listen(self, credentials: Credentials, *, cursor: str, our_posts: Sequence[str]) -> Heard:
        """What was said to the account since `cursor`, including answers under `our_posts`
        (the external ids of what we published in the network's reply window)."""
        ...

    def webhook_challenge(self, *, params: Mapping[str, str], app_secret: str, verify_token: str) -> str | None:
        """The answer to the network's subscription check (X's CRC `crc_token`, Facebook's
        `hub.challenge`), or None when the check is not valid; the view sends it as is,
        with the adapter's `challenge_content_type` (X: JSON; Facebook: plain text). A
        network without push (YouTube, Flickr) answers None to everything."""
        ...

    def verify_webhook(self, *, body: bytes, headers: Mapping[str, str], app_secret: str) -> bool:
        """Whether a pushed delivery carries the network's valid signature (constant time)."""
        ...

    def webhook_parts(self, payload: Any) -> Sequence[tuple[str, Mapping[str, Any]]]:
        """A verified pushed delivery cut per account it is addressed to: (the network's id of
        the account, "" when the part names none; the part, a delivery of its own for
        `webhook_items`). PermanentError when the body is not a delivery of this network."""
        ...

    def webhook_items(self, payload: Mapping[str, Any]) -> Sequence[HeardItem]:
        """The items of one part (see webhook_parts); a malformed part raises PermanentError."""
        ...


# --- What the adapters share when they listen ---------------------------------------------------


def header(headers: Mapping[str, str], name: str) -> str:
    """A header's value whatever the case of its name ("" when absent): Django's
    request.headers ignores case, a plain dict does not."""
    wanted = name.lower()
    for key, value in headers.items():
        if key.lower() == wanted:
            return value
    return ""


def hmac_sha256(secret: str, message: bytes | str) -> bytes:
    data = message.encode() if isinstance(message, str) else message
    return hmac.new(secret.encode(), data, hashlib.sha256).digest()


def same_signature(given: str, expected: str) -> bool:
    """Constant-time comparison; an empty signature never matches."""
    return bool(given) and hmac.compare_digest(given.encode(), expected.encode())


def read_cursor(cursor: str) -> dict[str, Any]:
    """The adapter's own cursor, or {} to start from the network's default window when it
    is empty or not one of ours (ingestion is idempotent: re-reading is safe, skipping is
    not)."""
    if not cursor:
        return {}
    try:
        state = json.loads(cursor)
    except ValueError:
        return {}
    return state if isinstance(state, dict) else {}


def write_cursor(state: Mapping[str, Any]) -> str:
    return json.dumps(state, separators=(",", ":"), sort_keys=True)


def text_field(value: Any) -> str:
    """A cursor's string, or "" for anything else (a cursor is ours, but a store can fail)."""
    return value if isinstance(value, str) else ""


def int_field(value: Any) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) else 0


def ids_field(value: Any) -> list[str]:
    return [item for item in value if isinstance(item, str)] if isinstance(value, list) else []


def addressed(item: HeardItem, *, account_id: str, sandbox_url: str | None) -> HeardItem:
    """The item with the account it was said to and, for a sandbox account, a link to the
    sandbox's page of it: the real network has never heard of it."""
    url = sandbox_post_url(sandbox_url, item.network, item.external_id) if sandbox_url else item.url
    return dataclasses.replace(item, account_id=account_id, url=url)
