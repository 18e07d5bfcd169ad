"""What an approval covers, as one hash: texts, media, targets and time.

Stored on the message when it is approved (`approved_fingerprint`); the delivery engine
computes it again before publishing and refuses to send when the two differ. So an edit
that slipped past the services, or a message changed by hand in the database, never goes
out under someone else's approval. A pure function of a `posts.draft.Draft`.
"""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime

from posts.draft import Draft, draft_of
from posts.models import Message


def _utc(moment: datetime | None) -> str | None:
    return moment.astimezone(UTC).isoformat() if moment is not None else None


def fingerprint_payload(draft: Draft) -> dict:
    """The canonical content the fingerprint is taken over (readable, for debugging). Its
    shape is that of every fingerprint already stored: change it and every scheduled
    message is refused at send time."""
    return {
        "texts": sorted([text.language, text.network, text.body, text.title] for text in draft.texts),
        # In the order they are shown: what each one is, its alt text, its place.
        "attachments": [[media.sha256, media.alt_text, order] for order, media in enumerate(draft.media)],
        "targets": sorted(draft.target_ids),
        "scheduled_at": _utc(draft.scheduled_at),
    }


def draft_fingerprint(draft: Draft) -> str:
    """sha256 (hex) over the canonical JSON of what would be published, and when. The
    internal title, the desired time and comments are not part of it: they never leave."""
    canonical = json.dumps(fingerprint_payload(draft), sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def message_fingerprint(message: Message) -> str:
    """The fingerprint of a saved message as it stands: texts and media as read (prefetched
    or not), target ids in one plain statement, no account read."""
    return draft_fingerprint(draft_of(message, targets="ids"))
