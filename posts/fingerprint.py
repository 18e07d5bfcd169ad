"""What an approval covers, as one hash: texts, media, targets and time.

Stored on the message when it is approved (`approved_fingerprint`); the delivery engine
computes it again before publishing and refuses to send when the two differ. So an edit
that slipped past the services, or a message changed by hand in the database, never goes
out under someone else's approval.
"""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime

from posts.models import Message
from posts.rawsql import message_target_ids


def _utc(moment: datetime | None) -> str | None:
    return moment.astimezone(UTC).isoformat() if moment is not None else None


def _target_ids(message: Message) -> list[int]:
    """The targets' ids: from the prefetched targets if any, else ids only, in plain SQL
    (posts.rawsql.message_target_ids)."""
    if "targets" in getattr(message, "_prefetched_objects_cache", {}):
        return [account.pk for account in message.targets.all()]
    return message_target_ids(message.pk)


def fingerprint_payload(message: Message) -> dict:
    """The canonical content the fingerprint is taken over (readable, for debugging)."""
    texts = sorted([text.language, text.network, text.body, text.title] for text in message.texts.all())
    attachments = sorted(message.attachments.all(), key=lambda item: (item.position, item.pk))
    return {
        "texts": texts,
        # In the order they are shown: what each one is, its alt text, its place.
        "attachments": [[item.sha256, item.alt_text, order] for order, item in enumerate(attachments)],
        "targets": sorted(_target_ids(message)),
        "scheduled_at": _utc(message.scheduled_at),
    }


def message_fingerprint(message: Message) -> str:
    """sha256 (hex) over the canonical JSON of what would be published, and when.

    Uses `message.texts.all()` and friends, so a prefetched message costs no query. The
    internal title, the desired time and comments are not part of it: they never leave.
    """
    canonical = json.dumps(
        fingerprint_payload(message),
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=False,
    )
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()
