"""The hot paths in plain SQL, each beside its ORM twin: a statement run before every
delivery of a fan-out costs 0.08 ms of CPU through the cursor where the ORM spent 0.3 to
0.4 ms building it (bench.publish_cpu). Table and column names come from the models, values
are parameters; tests/posts/test_rawsql.py holds each to its twin's answer.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from functools import cache
from typing import Any, TypeVar, cast

from django.db import connection
from django.db.models import F, ForeignKey, Model, Q
from django.utils import timezone

from channels.models import SocialAccount
from embassies.models import Mission
from posts.lifecycle import DELIVERY_ON_ITS_WAY
from posts.models import Attachment, Delivery, Message, MessageText, PublishingPause


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


# --- The claimed deliveries, as models, in one join (the claim's load) ----------------------------


def deliveries_for_sending(delivery_ids: list[int]) -> list[Delivery]:
    """The deliveries, in id order, each with its message, account and the account's
    mission, in one statement: one join of their columns, built as models the way the
    ORM builds them (each column through its field's converters), one message instance
    per message. The ORM's `select_related` and its compiler spent 2 to 3 ms per batch
    building this statement (bench.publish_cpu)."""
    if not delivery_ids:
        return []
    sql, loaders = _sending_sql()
    params: list = []
    if connection.vendor == "postgresql":
        sql, params = sql.format(ids="= ANY(%s)"), [list(delivery_ids)]
    else:
        sql, params = sql.format(ids=f"IN ({', '.join(['%s'] * len(delivery_ids))})"), list(delivery_ids)
    make_delivery, make_message, make_account, make_mission = (
        _builder(model, fields, start)[0] for model, fields, start in loaders
    )
    _, message_fields, message_start = loaders[1]
    message_pk = message_start + message_fields.index(Message._meta.pk)
    message_field, account_field = Delivery._meta.get_field("message"), Delivery._meta.get_field("account")
    mission_field = SocialAccount._meta.get_field("mission")
    messages: dict[int, Message] = {}
    deliveries = []
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    for row in rows:
        delivery = make_delivery(row)
        message = messages.get(row[message_pk])
        if message is None:
            message = messages[row[message_pk]] = make_message(row)
        account = make_account(row)
        # What select_related does with the related rows it read (the fields' own caches).
        message_field.set_cached_value(delivery, message)
        account_field.set_cached_value(delivery, account)
        mission_field.set_cached_value(account, make_mission(row))
        deliveries.append(delivery)
    return deliveries


def deliveries_for_sending_orm(delivery_ids: list[int]) -> list[Delivery]:
    return list(
        Delivery.objects.select_related("message", "account__mission").filter(pk__in=delivery_ids).order_by("pk")
    )


@cache
def _sending_sql() -> tuple[str, tuple[tuple[type[Model], tuple, int], ...]]:
    """SELECT delivery, message, account, mission columns … WHERE delivery id {ids}."""
    tables = {model: f"t{index}" for index, model in enumerate((Delivery, Message, SocialAccount, Mission))}
    columns = [
        f"{alias}.{_quote(field.column)}" for model, alias in tables.items() for field in model._meta.concrete_fields
    ]

    def join(model: type[Model], alias: str, on: str) -> str:
        return f"INNER JOIN {_quote(model._meta.db_table)} {alias} ON {alias}.{_quote(model._meta.pk.column)} = {on}"

    delivery, message, account, mission = tables.values()
    message_id = _quote(Delivery._meta.get_field("message").column)
    account_id = _quote(Delivery._meta.get_field("account").column)
    mission_id = _quote(SocialAccount._meta.get_field("mission").column)
    pk = f"{delivery}.{_quote(Delivery._meta.pk.column)}"
    sql = (
        f"SELECT {', '.join(columns)} FROM {_quote(Delivery._meta.db_table)} {delivery} "  # noqa: S608  # nosec B608: names from the models, values as parameters
        f"{join(Message, message, f'{delivery}.{message_id}')} "
        f"{join(SocialAccount, account, f'{delivery}.{account_id}')} "
        f"{join(Mission, mission, f'{account}.{mission_id}')} "
        f"WHERE {pk} {{ids}} ORDER BY {pk}"
    )
    loaders, start = [], 0
    for model in tables:
        fields = tuple(model._meta.concrete_fields)
        loaders.append((model, fields, start))
        start += len(fields)
    return sql, tuple(loaders)


def _builder(model: type[Model], fields: tuple, start: int = 0) -> tuple[Callable[[tuple], Any], int]:
    """(row -> model instance, where its columns end in the row) for `model`'s concrete
    fields, read from the row's column `start` on, converting each value as the ORM's
    compiler does (the backend's converters, then the field's
    `from_db_value`: SQLite's datetimes and booleans, JSON)."""
    converters = []
    for index, field in enumerate(fields):
        column = field.get_col(model._meta.db_table)
        found = connection.ops.get_db_converters(column) + column.get_db_converters(connection)
        if found:
            converters.append((index, found, column))
    names = [field.attname for field in fields]
    alias = connection.alias
    end = start + len(fields)

    def make(row: tuple) -> Any:
        values = list(row[start:end])
        for index, found, column in converters:
            value = values[index]
            for convert in found:
                value = convert(value, column, connection)
            values[index] = value
        return model.from_db(alias, names, values)

    return make, end


# --- A message's texts and attachments, as models (the claim's content and fingerprint) ------------


def messages_texts_and_attachments(
    message_ids: Iterable[int],
) -> dict[int, tuple[list[MessageText], list[Attachment]]]:
    """Each message's texts and attachments (two statements for all of them), as models."""
    ids = sorted(set(message_ids))
    found: dict[int, tuple[list[MessageText], list[Attachment]]] = {pk: ([], []) for pk in ids}
    if not ids:
        return found
    for slot, model in enumerate((MessageText, Attachment)):
        fields = tuple(model._meta.concrete_fields)
        make, _ = _builder(model, fields)
        message_id = cast(ForeignKey, model._meta.get_field("message"))
        table = _quote(model._meta.db_table)
        sql = (
            f"SELECT {', '.join(f'{table}.{_quote(field.column)}' for field in fields)} FROM {table} "  # noqa: S608  # nosec B608: names from the models, values as parameters
            f"WHERE {table}.{_quote(message_id.column)} IN ({', '.join(['%s'] * len(ids))}) "
            f"ORDER BY {table}.{_quote(model._meta.pk.column)}"
        )
        with connection.cursor() as cursor:
            cursor.execute(sql, ids)
            rows = cursor.fetchall()
        for row in rows:
            instance = make(row)
            found[getattr(instance, message_id.attname)][slot].append(instance)
    return found


def messages_texts_and_attachments_orm(
    message_ids: Iterable[int],
) -> dict[int, tuple[list[MessageText], list[Attachment]]]:
    ids = sorted(set(message_ids))
    return {
        pk: (
            list(MessageText.objects.filter(message_id=pk).order_by("pk")),
            list(Attachment.objects.filter(message_id=pk).order_by("pk")),
        )
        for pk in ids
    }


# --- New rows in one INSERT (the claim's attempts, the outcomes' events) ----------------------------


_M = TypeVar("_M", bound=Model)


def insert_returning_ids(objects: list[_M]) -> list[_M]:
    """INSERT unsaved instances of one model, in one statement per 900 values, each
    column prepared by its field as `save()` would (`pre_save`: auto_now_add; then
    `get_db_prep_save`: JSON, datetimes), and give each its id (`RETURNING`, in the order
    of the VALUES, as bulk_create relies on; SQLite since 3.35). bulk_create, without its
    compiler: a batch's attempts and events are written before and after every call."""
    if not objects:
        return objects
    meta = objects[0]._meta
    fields = [field for field in meta.concrete_fields if field is not meta.pk]
    row_sql = f"({', '.join(['%s'] * len(fields))})"
    size = max(1, 900 // len(fields))
    for start in range(0, len(objects), size):
        chunk = objects[start : start + size]
        params = [field.get_db_prep_save(field.pre_save(obj, True), connection) for obj in chunk for field in fields]
        sql = (
            f"INSERT INTO {_quote(meta.db_table)} ({', '.join(_quote(field.column) for field in fields)}) "  # noqa: S608  # nosec B608: names from the model, values as parameters
            f"VALUES {', '.join([row_sql] * len(chunk))} RETURNING {_quote(meta.pk.column)}"
        )
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            ids = [row[0] for row in cursor.fetchall()]
        for obj, pk in zip(chunk, ids, strict=True):
            obj.pk = pk
            obj._state.adding = False
            obj._state.db = connection.alias
    return objects


def insert_returning_ids_orm(objects: list[_M]) -> list[_M]:
    return type(objects[0])._default_manager.bulk_create(objects) if objects else objects


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
