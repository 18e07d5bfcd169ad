"""A year of a busy network, generated fast: 100,000 messages, 400,000 deliveries, 1,084
accounts, 2,000 users (with their texts, targets, reviews, attempts and events).

`generate(total_messages=..., indices=...)` writes the messages whose index is in
`indices` (0 <= i < total_messages), with everything that hangs off them. A message's
content, time and fate depend only on its index and on `total_messages`, so a small
dataset (every 100th message) can be grown into the full one by writing the other
indices: the pages benchmark counts each page's queries at both sizes in one database.

- Time: message i is created at i/N of the way through the past 365 days. The last two
  days hold the work in progress: drafts, messages in review, messages scheduled for the
  next fortnight. Earlier ones are mostly published, some partially published, failed,
  cancelled, rejected or retracted.
- Routine messages: one mission's four accounts (X, Facebook, YouTube, Flickr; one in four
  without YouTube), in one of its languages (in two for one message in 50); crisis alerts (two a month):
  every mission's four accounts, 1,084 deliveries each. Index 0 is a crisis alert sent
  yesterday: the delivery monitor's page in the benchmark.
- Users: 1,860 officers (each a member of one or two missions), 60 press officers, 50 of
  the crisis unit, 30 administrators.

Rows go in by PostgreSQL's COPY (text format) or, on SQLite, executemany in one
transaction: 2 million rows in about a minute either way, with explicit ids for messages
and deliveries (sequences are moved past them afterwards). Columns come from the models'
own metadata, so a field added later is filled with its default.
"""

from __future__ import annotations

import io
import json
import time
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from django.db import connection, transaction

DAY = timedelta(days=1)
CRISIS_EVERY = 4_166  # two crisis alerts a month over 100,000 messages
NETWORKS = ("twitter", "facebook", "youtube", "flickr")


FULL_MESSAGES = 100_000
QUICK_MESSAGES = 10_000


def mix(i: int, salt: int = 0) -> int:
    """A deterministic pseudo-random number in 0..999 for index i."""
    x = (i * 2_654_435_761 + salt * 40_503) & 0xFFFFFFFF
    x ^= x >> 15
    x = (x * 2_246_822_519) & 0xFFFFFFFF
    x ^= x >> 13
    return x % 1000


# --- Writing rows --------------------------------------------------------------------------------


class Writer:
    """Rows for one model, in the model's column order, sent by COPY or executemany."""

    def __init__(self, model, *, explicit_id: bool = False) -> None:
        self.model = model
        self.connection = connection
        self.postgres = connection.vendor == "postgresql"
        self.fields = [f for f in model._meta.concrete_fields if explicit_id or not f.primary_key]
        self.columns = [f.column for f in self.fields]
        self.defaults = {}
        for f in self.fields:
            if f.primary_key:
                continue
            if f.has_default():
                self.defaults[f.attname] = (
                    f.get_default() if not callable(f.default) or f.default in (dict, list) else None
                )
            elif f.null:
                self.defaults[f.attname] = None
            elif f.get_internal_type() in ("CharField", "TextField", "SlugField", "EmailField", "URLField"):
                self.defaults[f.attname] = ""
        self.converters = [self._converter(f) for f in self.fields]
        self.buffer: list[tuple] = []
        self.count = 0

    def _converter(self, field):
        kind = field.get_internal_type()
        postgres = self.postgres
        if kind == "DateTimeField":
            if postgres:
                return lambda v: None if v is None else v.isoformat()
            return lambda v: None if v is None else v.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")
        if kind == "BooleanField":
            return (
                (lambda v: None if v is None else ("t" if v else "f"))
                if postgres
                else (lambda v: None if v is None else int(v))
            )
        if kind == "JSONField":
            return lambda v: json.dumps(v)
        return lambda v: v

    def add(self, row: dict) -> None:
        values = []
        for f, convert in zip(self.fields, self.converters, strict=True):
            name = f.attname
            value = row[name] if name in row else self.defaults.get(name)
            if name not in row and name not in self.defaults and not f.primary_key:
                raise KeyError(f"{self.model.__name__}.{name} has no value and no default")
            values.append(convert(value))
        self.buffer.append(tuple(values))
        if len(self.buffer) >= 50_000:
            self.flush()

    def flush(self) -> None:
        if not self.buffer:
            return
        table = self.model._meta.db_table
        with self.connection.cursor() as cursor:
            if self.postgres:
                data = io.StringIO()
                data.writelines("\t".join(_copy_text(v) for v in row) + "\n" for row in self.buffer)
                data.seek(0)
                columns = ", ".join(f'"{c}"' for c in self.columns)
                cursor.cursor.copy_expert(f'COPY "{table}" ({columns}) FROM STDIN', data)
            else:
                columns = ", ".join(f'"{c}"' for c in self.columns)
                marks = ", ".join("?" for _ in self.columns)
                sql = f'INSERT INTO "{table}" ({columns}) VALUES ({marks})'  # noqa: S608 (our own model's names)
                cursor.cursor.executemany(sql, self.buffer)
        self.count += len(self.buffer)
        self.buffer = []


def _copy_text(value) -> str:
    if value is None:
        return "\\N"
    if isinstance(value, str):
        return value.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r")
    return str(value)


def reset_sequences(models: Iterable) -> None:
    # start-up: each benchmark sets Django up itself, once it has chosen its database.
    from django.core.management.color import no_style

    statements = connection.ops.sequence_reset_sql(no_style(), list(models))
    if statements:
        with connection.cursor() as cursor:
            for sql in statements:
                cursor.execute(sql)


# --- People and accounts --------------------------------------------------------------------------

ROLE_COUNTS = (("officer", 1_860), ("press_office", 60), ("crisis_unit", 50), ("administrator", 30))


def seed_people_and_accounts() -> dict:
    """2,000 users in their role groups (officers in one or two missions each) and one
    sandbox account per mission and network. Returns what the generator needs."""
    # start-up: each benchmark sets Django up itself, once it has chosen its database.
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group

    from bench.fanout import seed_accounts
    from channels.models import SocialAccount
    from embassies.models import Mission, StaffMembership

    User = get_user_model()
    if not SocialAccount.objects.exists():
        seed_accounts(networks=NETWORKS)
    missions = list(Mission.objects.order_by("pk").values_list("pk", "languages"))
    if not User.objects.filter(username__startswith="bench-").exists():
        now = datetime.now(UTC)
        users = []
        for role, count in ROLE_COUNTS:
            for n in range(count):
                users.append(
                    User(
                        username=f"bench-{role}-{n}",
                        email=f"{role}{n}@bench.invalid",
                        first_name=role.replace("_", " ").title(),
                        last_name=str(n),
                        password="!",  # noqa: S106 (unusable)
                        date_joined=now,
                    )
                )
        User.objects.bulk_create(users, batch_size=1000)
        users = list(User.objects.filter(username__startswith="bench-").order_by("pk"))
        groups = {role: Group.objects.get_or_create(name=role)[0] for role, _ in ROLE_COUNTS}
        Through = User.groups.through
        Through.objects.bulk_create(
            [Through(user_id=user.pk, group_id=groups[user.username.split("-")[1]].pk) for user in users],
            batch_size=1000,
        )
        memberships = []
        officers = [user for user in users if user.username.startswith("bench-officer-")]
        for n, user in enumerate(officers):
            memberships.append(StaffMembership(user=user, mission_id=missions[n % len(missions)][0]))
            if n % 3 == 0:
                memberships.append(StaffMembership(user=user, mission_id=missions[(n * 7 + 1) % len(missions)][0]))
        StaffMembership.objects.bulk_create(memberships, batch_size=1000, ignore_conflicts=True)
    officers_of: dict[int, list[int]] = {}
    for user_id, mission_id in StaffMembership.objects.filter(user__username__startswith="bench-officer-").values_list(
        "user_id", "mission_id"
    ):
        officers_of.setdefault(mission_id, []).append(user_id)
    role_users = {
        role: list(
            User.objects.filter(username__startswith=f"bench-{role}-").order_by("pk").values_list("pk", flat=True)
        )
        for role, _ in ROLE_COUNTS
    }
    accounts: dict[int, list[tuple[int, str]]] = {}
    for pk, mission_id, network in SocialAccount.objects.order_by("pk").values_list("pk", "mission_id", "network"):
        accounts.setdefault(mission_id, []).append((pk, network))
    return {"missions": missions, "officers_of": officers_of, "role_users": role_users, "accounts": accounts}


# --- Messages ---------------------------------------------------------------------------------------


@dataclass
class Plan:
    """What message i is: its fate, time, mission, languages and number of deliveries."""

    index: int
    crisis: bool
    state: str
    created_at: datetime
    scheduled_at: datetime | None
    mission_index: int
    languages: int
    deliveries: int


def plan(i: int, total: int, now: datetime, people: dict) -> Plan:
    year_ago = now - 365 * DAY
    created = year_ago + (365 * DAY) * (i / total) if i else now - DAY
    crisis = i % CRISIS_EVERY == 0
    r = mix(i)
    recent = now - created < 2 * DAY and i != 0
    if crisis:
        state = "published" if not recent else "in_review"
    elif recent:
        state = "in_review" if r < 450 else ("scheduled" if r < 750 else ("draft" if r < 900 else "changes_requested"))
    else:
        state = (
            "published"
            if r < 890
            else "partially_published"
            if r < 900
            else "failed"
            if r < 905
            else "cancelled"
            if r < 935
            else "rejected"
            if r < 950
            else "retracted"
            if r < 955
            else "draft"
            if r < 970
            else "published"
        )
    scheduled = None
    if state == "scheduled":
        scheduled = now + DAY * (1 + mix(i, 3) % 14) + timedelta(minutes=mix(i, 4))
    elif state in ("published", "partially_published", "failed", "retracted", "cancelled"):
        scheduled = created + timedelta(hours=1 + mix(i, 5) % 20)
    missions = people["missions"]
    mission_index = mix(i, 1) * 7919 % len(missions)
    languages = 2 if mix(i, 2) < 20 and len(missions[mission_index][1]) > 1 else 1
    approved = state in ("scheduled", "published", "partially_published", "failed", "retracted", "cancelled")
    if not approved:
        deliveries = 0
    elif crisis:
        deliveries = sum(len(a) for a in people["accounts"].values())
    else:
        deliveries = len(routine_targets(i, people["accounts"][missions[mission_index][0]])) * languages
    return Plan(i, crisis, state, created, scheduled, mission_index, languages, deliveries)


def routine_targets(i: int, accounts: list[tuple[int, str]]) -> list[tuple[int, str]]:
    """A routine message goes to its mission's four accounts; one in four has no video, so
    not to YouTube."""
    if mix(i, 7) < 250:
        return [(pk, network) for pk, network in accounts if network != "youtube"]
    return accounts


def delivery_id_bases(total: int, now: datetime, people: dict) -> list[int]:
    """The first delivery id of each message (ids are consecutive per message)."""
    bases, next_id = [], 1
    for i in range(total):
        bases.append(next_id)
        next_id += plan(i, total, now, people).deliveries
    return bases


TEXT = (
    "{mission}: the ambassador met civil society representatives today to discuss cooperation "
    "on climate, culture and education. Read more on our website. #{tag}"
)


def generate(
    *, total: int, indices: Iterable[int], now: datetime | None = None, people: dict | None = None, log=print
) -> dict:
    """Write messages `indices` of a year of `total` messages. Returns row counts."""

    # start-up: each benchmark sets Django up itself, once it has chosen its database.
    from embassies.models import Mission
    from posts.models import Delivery, DeliveryAttempt, Event, Message, MessageText, Review

    started = time.monotonic()
    now = now or _dataset_now()
    people = people or seed_people_and_accounts()
    codes = dict(Mission.objects.values_list("pk", "code"))
    bases = delivery_id_bases(total, now, people)
    messages = Writer(Message, explicit_id=True)
    texts = Writer(MessageText)
    targets = Writer(Message.targets.through)
    reviews = Writer(Review)
    deliveries = Writer(Delivery, explicit_id=True)
    attempts = Writer(DeliveryAttempt)
    events = Writer(Event)
    press = people["role_users"]["press_office"]
    crisis_unit = people["role_users"]["crisis_unit"]
    all_accounts = [
        (pk, net, mission_id) for mission_id, accounts in people["accounts"].items() for pk, net in accounts
    ]
    with transaction.atomic():
        for i in indices:
            p = plan(i, total, now, people)
            mission_id, languages = people["missions"][p.mission_index]
            message_id = i + 1
            if p.crisis:
                author = crisis_unit[i % len(crisis_unit)]
                approver = crisis_unit[(i + 1) % len(crisis_unit)]
            else:
                officers = people["officers_of"].get(mission_id) or people["role_users"]["officer"]
                author = officers[i % len(officers)]
                approver = press[i % len(press)]
            approved = p.deliveries > 0 or p.state in ("scheduled",)
            decided = p.state not in ("draft", "in_review")
            messages.add(
                {
                    "id": message_id,
                    "mission_id": None if p.crisis else mission_id,
                    "author_id": author,
                    "title": f"{'Crisis alert' if p.crisis else 'Message'} {message_id}",
                    "state": p.state,
                    "priority": "crisis" if p.crisis else "routine",
                    "desired_at": p.scheduled_at,
                    "scheduled_at": p.scheduled_at,
                    "crisis_scope": {"all": True} if p.crisis else {},
                    "version": 1 + mix(i, 6) % 3,
                    "approved_fingerprint": f"{i:064x}" if approved else "",
                    "approved_by_id": approver if approved else None,
                    "approved_at": p.created_at + timedelta(minutes=30) if approved else None,
                    "created_at": p.created_at,
                    "updated_at": p.created_at + timedelta(hours=1),
                }
            )
            text_languages = ["fr", "en"] if p.crisis else list(languages[: p.languages])
            for language in text_languages:
                texts.add(
                    {
                        "message_id": message_id,
                        "language": language,
                        "network": "",
                        "body": TEXT.format(mission=codes.get(mission_id, "crisis"), tag=f"m{message_id}"),
                        "title": f"Title {message_id}",
                    }
                )
            own_accounts = (
                [(pk, net) for pk, net, _ in all_accounts]
                if p.crisis
                else routine_targets(i, people["accounts"][mission_id])
            )
            for pk, _network in own_accounts:
                targets.add({"message_id": message_id, "socialaccount_id": pk})
            _events(events, message_id, author, approver, p)
            if (decided and p.state != "cancelled") or approved:
                reviews.add(
                    {
                        "message_id": message_id,
                        "reviewer_id": approver,
                        "decision": (
                            "reject"
                            if p.state == "rejected"
                            else "request_changes"
                            if p.state == "changes_requested"
                            else "approve"
                        ),
                        "comment": "",
                        "message_version": 1,
                        "created_at": p.created_at + timedelta(minutes=30),
                    }
                )
            if p.deliveries:
                _deliveries(deliveries, attempts, events, p, message_id, bases[i], own_accounts, text_languages, people)
        for writer in (messages, texts, targets, reviews, deliveries, attempts, events):
            writer.flush()
        reset_sequences([Message, Delivery, MessageText, Review, DeliveryAttempt, Event, Message.targets.through])
    counts = {w.model._meta.label: w.count for w in (messages, texts, targets, reviews, deliveries, attempts, events)}
    log(
        f"  generated {counts['posts.Message']:,} messages, {counts['posts.Delivery']:,} deliveries, "
        f"{sum(counts.values()):,} rows in {time.monotonic() - started:.1f} s"
    )
    return counts


def _events(events: Writer, message_id: int, author: int, approver: int, p: Plan) -> None:
    at = p.created_at
    rows = [("message.create", author, "", "draft", at)]
    if p.state != "draft":
        rows.append(("message.submit", author, "draft", "in_review", at + timedelta(minutes=10)))
    if p.state in ("scheduled", "published", "partially_published", "failed", "retracted", "cancelled"):
        rows.append(("message.approve", approver, "in_review", "scheduled", at + timedelta(minutes=30)))
    if p.state in ("published", "partially_published", "failed", "retracted"):
        rows.append(
            (
                f"message.{'published' if p.state == 'retracted' else p.state}",
                None,
                "publishing",
                p.state if p.state != "retracted" else "published",
                p.scheduled_at + timedelta(seconds=5),
            )
        )
    for verb, actor, before, after, when in rows:
        events.add(
            {
                "message_id": message_id,
                "delivery_id": None,
                "actor_id": actor,
                "verb": verb,
                "from_state": before,
                "to_state": after,
                "details": {},
                "created_at": when,
            }
        )


def _deliveries(
    deliveries: Writer,
    attempts: Writer,
    events: Writer,
    p: Plan,
    message_id: int,
    base: int,
    accounts: list[tuple[int, str]],
    languages: list[str],
    people: dict,
) -> None:
    n = 0
    for language in languages[:1] if p.crisis else languages:
        for pk, network in accounts:
            delivery_id = base + n
            n += 1
            r = mix(delivery_id, 9)
            if p.state == "published" or p.state == "retracted":
                state = "sent" if p.state == "published" else "retracted"
            elif p.state == "partially_published":
                state = "failed" if r < 250 else "sent"
            elif p.state == "failed":
                state = "failed"
            elif p.state == "cancelled":
                state = "cancelled"
            else:
                state = "scheduled"
            sent = state in ("sent", "retracted")
            when = p.scheduled_at + timedelta(seconds=1 + r % 30)
            deliveries.add(
                {
                    "id": delivery_id,
                    "message_id": message_id,
                    "account_id": pk,
                    "language": language,
                    "priority": "crisis" if p.crisis else "routine",
                    "state": state,
                    "reference": f"dh{delivery_id:016x}",
                    # Unique like the model's random default, and the same from run to run.
                    "network_token": f"{delivery_id:016x}",
                    "attempts": 0 if state in ("scheduled", "cancelled") else 1,
                    "next_attempt_at": p.scheduled_at if state == "scheduled" else None,
                    "state_changed_at": when,
                    "last_error": "Refused by the network." if state == "failed" else "",
                    "last_error_kind": "permanent" if state == "failed" else "",
                    "external_id": f"{network}-{delivery_id}" if sent else "",
                    "external_url": f"https://example.invalid/{network}/{delivery_id}" if sent else "",
                    "sent_at": when if sent else None,
                    "retracted_at": when + DAY if state == "retracted" else None,
                    "created_at": p.created_at + timedelta(minutes=30),
                }
            )
            if state in ("sent", "retracted", "failed"):
                attempts.add(
                    {
                        "delivery_id": delivery_id,
                        "number": 1,
                        "action": "publish",
                        "started_at": when,
                        "finished_at": when,
                        "outcome": "sent" if sent else "permanent",
                        "status_code": None if sent else 400,
                        "detail": "",
                        "external_id": f"{network}-{delivery_id}" if sent else "",
                    }
                )
                events.add(
                    {
                        "message_id": message_id,
                        "delivery_id": delivery_id,
                        "actor_id": None,
                        "verb": "delivery.sent" if sent else "delivery.failed",
                        "from_state": "sending",
                        "to_state": "sent" if sent else "failed",
                        "details": {},
                        "created_at": when,
                    }
                )


def _dataset_now() -> datetime:
    """'Now' for the dataset: the start of this hour, so that a dataset grown later in the
    same hour lines up with the part written before."""
    return datetime.now(UTC).replace(minute=0, second=0, microsecond=0)


def sample_indices(total: int, stride: int = 100) -> set[int]:
    """A small sample of the same year: every stride-th message, and every tenth of the last
    three days' (so that the lists of work in progress are not empty in the sample)."""
    recent_from = int(total * (1 - 3 / 365))
    return set(range(0, total, stride)) | set(range(recent_from, total, 10))
