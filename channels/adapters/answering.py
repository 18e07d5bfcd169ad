"""What an adapter says back: a mission's public reply under what the public said, a
Facebook private reply, and hiding a comment.

The answering side of each adapter, in the style of publishing and listening: plain data in
and out, SDK errors mapped at the edge (base.py's four kinds), no models. A reply whose
outcome is unknown (the request left, no answer came) is settled by `find_reply`, which
looks for our reply in the thread before anything is sent again.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol, runtime_checkable

from channels import text as text_rules
from channels.adapters.base import Credentials, Said

# Networks' limits on a reply's text, in their own units (X: weighted characters, as for a
# post). Facebook: a comment takes 8,000 characters; YouTube: 10,000 (comments.insert);
# Flickr documents none, and its web form stops at 4,096.
REPLY_TEXT_MAX = {"twitter": text_rules.TWEET_MAX, "facebook": 8_000, "youtube": 10_000, "flickr": 4_096}
NETWORK_NAMES = {"twitter": "X", "facebook": "Facebook", "youtube": "YouTube", "flickr": "Flickr"}
# Facebook: one private reply per comment, within 7 days of it (Messenger Platform).
PRIVATE_REPLY_DAYS = 7


@dataclass(frozen=True)
class ReplyTarget:
    """What a reply answers, as the network names it: the item, its thread (X
    conversation, Facebook top-level comment, YouTube thread, Flickr photo), its kind, and
    the post of ours it is under, if any."""

    item_id: str
    thread_id: str
    kind: str
    post_id: str = ""


@dataclass(frozen=True)
class Answered:
    """Our reply as the network made it."""

    external_id: str
    url: str


def reply_length(network: str, text: str) -> int:
    return text_rules.tweet_length(text) if network == "twitter" else len(text)


def reply_problems(network: str, text: str) -> list[Said]:
    """Why the text cannot go out as a reply on the network: empty, or over its limit."""
    if not text.strip():
        return [Said("A reply needs a text.", "reply.empty", network=network)]
    limit, count = REPLY_TEXT_MAX[network], reply_length(network, text)
    if count > limit:
        return [text_rules.too_long(count, limit, network=NETWORK_NAMES[network], key=network)]
    return []


def same_text(left: str, right: str) -> bool:
    """Whether two texts are the same reply (the network may normalise line ends and
    surrounding space)."""

    def clean(text: str) -> str:
        return unicodedata.normalize("NFC", text).replace("\r\n", "\n").strip()

    return clean(left) == clean(right)


@runtime_checkable
class Answerer(Protocol):
    """The answering side an adapter adds (`isinstance(adapter, Answerer)`)."""

    def reply(self, credentials: Credentials, *, target: ReplyTarget, text: str) -> Answered:
        """Post `text` as the account's public reply to the target. A target deleted meanwhile
        raises PermanentError with the code "reply.target_gone"."""
        ...

    def find_reply(
        self, credentials: Credentials, *, target: ReplyTarget, text: str, since: datetime
    ) -> Answered | None:
        """Our reply with this text to the target, made since `since`, if the network has it;
        else None. TransientError when the network cannot tell now."""
        ...


@runtime_checkable
class PrivateReplier(Protocol):
    """Facebook's private reply (Messenger), once per comment."""

    def private_reply(self, credentials: Credentials, *, comment_id: str, text: str) -> Answered: ...


@runtime_checkable
class Moderator(Protocol):
    """Hiding an item of the public and showing it again (X replies, Facebook, YouTube)."""

    def set_hidden(self, credentials: Credentials, *, item_id: str, hidden: bool) -> None: ...


@runtime_checkable
class Remover(Protocol):
    """Taking an item of the public down for good: Facebook deletes a comment, YouTube
    rejects one (`moderationStatus=rejected`). Neither can be undone; an item already gone
    is what was asked."""

    def remove(self, credentials: Credentials, *, item_id: str) -> None: ...


def target_gone(network: str, item_id: str) -> Said:
    return Said(
        f"{NETWORK_NAMES[network]} no longer has the item {item_id}: it was deleted, or hidden from us. "
        "Nothing was sent.",
        "reply.target_gone",
        network=network,
    )
