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
from functools import cache

from django.db import connection

from posts.models import Message


def _utc(moment: datetime | None) -> str | None:
    return moment.astimezone(UTC).isoformat() if moment is not None else None


def _target_ids(message: Message) -> list[int]:
    """The targets' ids: from the prefetched targets if any, else ids only, in one statement
    of plain SQL on the through table (a crisis alert's thousand accounts are re-checked
    before each of its deliveries: never built as models, and the query not rebuilt by the
    ORM each time, which cost four times the reading; bench.publish_cpu)."""
    if "targets" in getattr(message, "_prefetched_objects_cache", {}):
        return [account.pk for account in message.targets.all()]
    with connection.cursor() as cursor:
        cursor.execute(_target_ids_sql(), [message.pk])
        return [row[0] for row in cursor.fetchall()]


@cache
def _target_ids_sql() -> str:
    quote = connection.ops.quote_name
    meta = Message.targets.through._meta
    target = next(field for field in meta.fields if field.is_relation and field.related_model is not Message)
    return (
        f"SELECT {quote(target.column)} FROM {quote(meta.db_table)} "  # noqa: S608  # nosec B608: names from the model, values as parameters
        f"WHERE {quote(meta.get_field('message').column)} = %s"
    )


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
