"""The hot paths in plain SQL, each beside its ORM twin: a statement run before every
delivery of a fan-out costs 0.08 ms of CPU through the cursor where the ORM spent 0.3 to
0.4 ms building it (bench.publish_cpu). Table and column names come from the models, values
are parameters; tests/posts/test_rawsql.py holds each to its twin's answer.
"""

from __future__ import annotations

from functools import cache

from django.db import connection

from posts.lifecycle import DELIVERY_ON_ITS_WAY
from posts.models import Delivery, Message, PublishingPause


def _quote(name: str | None) -> str:
    if not name:
        raise ValueError("A table or column without a name.")
    return connection.ops.quote_name(name)


# --- Is any publishing pause open? (before each delivery) ----------------------------------------


def any_pause_open() -> bool:
    """Whether any publishing pause is open; the pauses are read only when there is one."""
    with connection.cursor() as cursor:
        cursor.execute(_open_pause_sql())
        return cursor.fetchone() is not None


def any_pause_open_orm() -> bool:
    return PublishingPause.objects.filter(ended_at__isnull=True).exists()


@cache
def _open_pause_sql() -> str:
    meta = PublishingPause._meta
    return (
        f"SELECT 1 FROM {_quote(meta.db_table)} "  # noqa: S608  # nosec B608: names from the model, values as parameters
        f"WHERE {_quote(meta.get_field('ended_at').column)} IS NULL LIMIT 1"
    )


# --- Is another delivery of the message on its way? (after each delivery) -----------------------


def deliveries_on_their_way(message_id: int) -> bool:
    """Whether a delivery of the message is still on its way, on the (message, state) index."""
    with connection.cursor() as cursor:
        cursor.execute(_on_their_way_sql(), [message_id, *DELIVERY_ON_ITS_WAY])
        return cursor.fetchone() is not None


def deliveries_on_their_way_orm(message_id: int) -> bool:
    return Delivery.objects.filter(message_id=message_id, state__in=DELIVERY_ON_ITS_WAY).exists()


@cache
def _on_their_way_sql() -> str:
    meta = Delivery._meta
    placeholders = ", ".join(["%s"] * len(DELIVERY_ON_ITS_WAY))
    return (
        f"SELECT 1 FROM {_quote(meta.db_table)} WHERE {_quote(meta.get_field('message').column)} = %s "  # noqa: S608  # nosec B608: names from the model, values as parameters
        f"AND {_quote(meta.get_field('state').column)} IN ({placeholders}) LIMIT 1"
    )


# --- A message's targets, ids only (the fingerprint, before each delivery) -----------------------


def message_target_ids(message_id: int) -> list[int]:
    """The ids of the message's target accounts, never built as models (a crisis alert has
    a thousand, re-checked before each of its deliveries)."""
    with connection.cursor() as cursor:
        cursor.execute(_target_ids_sql(), [message_id])
        return [row[0] for row in cursor.fetchall()]


def message_target_ids_orm(message_id: int) -> list[int]:
    return list(
        Message.targets.through.objects.filter(message_id=message_id).values_list("socialaccount_id", flat=True)
    )


@cache
def _target_ids_sql() -> str:
    meta = Message.targets.through._meta
    target = next(field for field in meta.fields if field.is_relation and field.related_model is not Message)
    return (
        f"SELECT {_quote(target.column)} FROM {_quote(meta.db_table)} "  # noqa: S608  # nosec B608: names from the model, values as parameters
        f"WHERE {_quote(meta.get_field('message').column)} = %s"
    )
