"""The hot paths in plain SQL, each beside its ORM twin: a statement run before every
delivery of a fan-out costs 0.08 ms of CPU through the cursor where the ORM spent 0.3 to
0.4 ms building it (bench.publish_cpu). Table and column names come from the models, values
are parameters; tests/posts/test_rawsql.py holds each to its twin's answer.
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import cache

from django.db import connection
from django.db.models import F, Q
from django.utils import timezone

from posts.lifecycle import DELIVERY_ON_ITS_WAY
from posts.models import Delivery, Message, PublishingPause


def _quote(name: str | None) -> str:
    if not name:
        raise ValueError("A table or column without a name.")
    return connection.ops.quote_name(name)


# --- Is any publishing pause open? (before each delivery) ----------------------------------------


def any_pause_open() -> bool:
    """Whether any publishing pause (or planned silence not past its end) is open; the
    pauses are read only when there is one."""
    with connection.cursor() as cursor:
        cursor.execute(_open_pause_sql(), [timezone.now()])
        return cursor.fetchone() is not None


def any_pause_open_orm() -> bool:
    return (
        PublishingPause.objects.filter(ended_at__isnull=True)
        .filter(Q(ends_at__isnull=True) | Q(ends_at__gt=timezone.now()))
        .exists()
    )


@cache
def _open_pause_sql() -> str:
    meta = PublishingPause._meta
    ends_at = _quote(meta.get_field("ends_at").column)
    return (
        f"SELECT 1 FROM {_quote(meta.db_table)} "  # noqa: S608  # nosec B608: names from the model, values as parameters
        f"WHERE {_quote(meta.get_field('ended_at').column)} IS NULL "
        f"AND ({ends_at} IS NULL OR {ends_at} > %s) LIMIT 1"
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


# --- The worker's claim of a batch (before any network call) -----------------------------------


def deliveries_claim(delivery_ids: list[int], *, now) -> list[int]:
    """queued -> sending for those of `delivery_ids` still queued, counting an attempt each,
    in one conditional UPDATE … RETURNING (SQLite has had RETURNING since 3.35). Returns
    the ids claimed: the others were claimed elsewhere or have moved on."""
    if not delivery_ids:
        return []
    # SET state, state_changed_at ... WHERE id ... AND state = 'queued'
    before = [Delivery.State.SENDING, connection.ops.adapt_datetimefield_value(now)]
    after = [Delivery.State.QUEUED]
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(_claim_sql("= ANY(%s)"), [*before, list(delivery_ids), *after])
        else:
            placeholders = ", ".join(["%s"] * len(delivery_ids))
            cursor.execute(_claim_sql(f"IN ({placeholders})"), [*before, *delivery_ids, *after])
        return sorted(row[0] for row in cursor.fetchall())


def deliveries_claim_orm(delivery_ids: list[int], *, now) -> list[int]:
    queued = list(
        Delivery.objects.filter(pk__in=delivery_ids, state=Delivery.State.QUEUED).values_list("pk", flat=True)
    )
    Delivery.objects.filter(pk__in=queued, state=Delivery.State.QUEUED).update(
        state=Delivery.State.SENDING, state_changed_at=now, attempts=F("attempts") + 1
    )
    return sorted(queued)


def _claim_sql(ids_condition: str) -> str:
    meta = Delivery._meta
    state, attempts = _quote(meta.get_field("state").column), _quote(meta.get_field("attempts").column)
    pk = _quote(meta.pk.column)
    return (
        f"UPDATE {_quote(meta.db_table)} SET {state} = %s, "  # noqa: S608  # nosec B608: names from the model, values as parameters
        f"{_quote(meta.get_field('state_changed_at').column)} = %s, {attempts} = {attempts} + 1 "
        f"WHERE {pk} {ids_condition} AND {state} = %s RETURNING {pk}"
    )


# --- Outcomes in micro-batches ---------------------------------------------------------------------


def update_from_values(
    model,
    columns: list[str],
    rows: list[tuple[int, list]],
    *,
    where: dict[str, Iterable[str]] | None = None,
    match: dict[str, list] | None = None,
) -> list[int]:
    """UPDATE the rows of `model` whose ids `rows` names, each with its own `columns`
    values, in one statement (`WITH v AS (VALUES …) UPDATE … FROM v`, PostgreSQL and SQLite
    ≥ 3.33), only where the row's field is in `where[field]` (the same set for every row)
    and equals `match[field]` (a value per row). Returns the ids updated."""
    if not rows:
        return []
    meta = model._meta
    match = match or {}
    where = where or {}
    fields = [meta.pk, *(meta.get_field(name) for name in columns), *(meta.get_field(name) for name in match)]
    names = ["id", *(f"c{index}" for index in range(len(columns))), *(f"m{index}" for index in range(len(match)))]
    postgres = connection.vendor == "postgresql"
    cell = [f"CAST(%s AS {field.db_type(connection)})" if postgres else "%s" for field in fields]
    row_sql = f"({', '.join(cell)})"
    params: list = []
    for index, (pk, values) in enumerate(rows):
        extra = [match[name][index] for name in match]
        for field, value in zip(fields, [pk, *values, *extra], strict=True):
            params.append(field.get_db_prep_value(value, connection))
    table = _quote(meta.db_table)
    sets = ", ".join(f"{_quote(meta.get_field(name).column)} = v.c{index}" for index, name in enumerate(columns))
    conditions = [f"{table}.{_quote(meta.pk.column)} = v.id"]
    conditions += [f"{table}.{_quote(meta.get_field(name).column)} = v.m{index}" for index, name in enumerate(match)]
    for name, allowed in where.items():
        allowed = list(allowed)
        conditions.append(f"{table}.{_quote(meta.get_field(name).column)} IN ({', '.join(['%s'] * len(allowed))})")
        params.extend(allowed)
    sql = (
        f"WITH v ({', '.join(names)}) AS (VALUES {', '.join([row_sql] * len(rows))}) "  # noqa: S608  # nosec B608: names from the model, values as parameters
        f"UPDATE {table} SET {sets} FROM v WHERE {' AND '.join(conditions)} RETURNING {table}.{_quote(meta.pk.column)}"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return [row[0] for row in cursor.fetchall()]
