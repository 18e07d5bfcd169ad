"""The operations pages' reads: deliveries counted by state, the delivery monitor's lists,
what is held and what a pause would hold, and a crisis alert's reach and progress. Each
costs a fixed number of queries whatever the number of deliveries, and each is scoped
through the policy: another mission's message or delivery is not found (404)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.db.models import Case, Count, IntegerField, Q, QuerySet, Value, When
from django.shortcuts import get_object_or_404
from django.utils import timezone

from channels.models import Network
from diplomacy_hub import policy
from embassies.models import Mission
from embassies.selectors import mission_name_order
from posts.lifecycle import (
    DELIVERY_FAILED_OR_UNKNOWN,
    DELIVERY_PENDING,
    DELIVERY_PROBLEM,
    DELIVERY_REACHED_NETWORK,
    DELIVERY_WAITING,
    MESSAGE_APPROVED,
    MESSAGE_DONE,
    MESSAGE_LIVE,
)
from posts.models import Delivery, Event, Message, MessageText, Priority, PublishingPause
from posts.selectors import pauses as pausing
from posts.selectors.crisis import crisis_target_accounts

State = Delivery.State
MState = Message.State

# A retraction asked for this recently, and not finished, keeps the monitor live.
RETRACTION_WATCH = timedelta(minutes=10)


# === Reads ======================================================================================


@dataclass
class Counts:
    """How a set of deliveries stands, in one aggregate query."""

    total: int = 0
    sent: int = 0
    failed: int = 0
    waiting: int = 0  # scheduled, queued or sending
    held: int = 0
    unknown: int = 0
    needs_decision: int = 0  # unknown, and the engine has stopped checking
    cancelled: int = 0
    retracted: int = 0
    pending: int = 0  # not started by any worker: cancelling them is safe

    @classmethod
    def sum(cls, parts: Iterable[Counts]) -> Counts:
        """The counts of several sets of deliveries together."""
        total = cls()
        for part in parts:
            for name in cls.__dataclass_fields__:
                setattr(total, name, getattr(total, name) + getattr(part, name))
        return total

    @property
    def live(self) -> int:
        """Deliveries not final yet."""
        return self.waiting + self.held + self.unknown

    @property
    def counted(self) -> int:
        """Deliveries that count towards the progress (cancelled ones do not)."""
        return self.total - self.cancelled

    @property
    def done(self) -> int:
        return self.sent + self.failed + self.retracted

    @property
    def percent_done(self) -> int:
        return round(100 * self.done / self.counted) if self.counted else 0


def _count_annotations(prefix: str = "") -> dict:
    """Delivery counts by state, for an aggregate or (with the prefix "deliveries__") an
    annotation of messages: then the deliveries must be the only multi-valued join (count
    other relations with a subquery)."""
    state = f"{prefix}state"
    pk = f"{prefix}pk" if prefix else "pk"

    def count(**condition) -> Count:
        return Count(pk, filter=Q(**condition) if condition else None)

    return {
        "total": count(),
        "sent": count(**{state: State.SENT}),
        "failed": count(**{state: State.FAILED}),
        "waiting": count(**{f"{state}__in": DELIVERY_WAITING}),
        "held": count(**{state: State.HELD}),
        "unknown": count(**{state: State.UNKNOWN}),
        "needs_decision": count(**{state: State.UNKNOWN, f"{prefix}next_attempt_at__isnull": True}),
        "cancelled": count(**{state: State.CANCELLED}),
        "retracted": count(**{state: State.RETRACTED}),
        "pending": count(**{f"{state}__in": DELIVERY_PENDING}),
    }


def delivery_counts(deliveries: QuerySet[Delivery]) -> Counts:
    return Counts(**deliveries.order_by().aggregate(**_count_annotations()))


def message_counts(*, message: Message) -> Counts:
    """How a message's deliveries stand: one aggregate query."""
    return delivery_counts(message.deliveries.all())


def held_count(*, pause: PublishingPause) -> int:
    """How many deliveries this pause holds."""
    return pausing.held_deliveries(pause=pause).count()


def _visible_messages(user) -> QuerySet[Message]:
    """The messages the user may see (another mission's is not found: 404)."""
    return policy.scope_messages(user, Message.objects.all())


def message_for_monitor(*, user, pk: int) -> Message:
    message = get_object_or_404(_visible_messages(user).select_related("mission", "author", "approved_by"), pk=pk)
    policy.require(user, "message.view", message)
    return message


def delivery_for_action(*, user, delivery_id: int) -> Delivery:
    deliveries = policy.scope(
        user,
        Delivery.objects.select_related("message__mission", "account__mission"),
        mission_field="message__mission",
    )
    delivery = get_object_or_404(deliveries, pk=delivery_id)
    policy.require(user, "message.view", delivery.message)
    return delivery


MONITOR_LIST_SHOWS = ("recent", "attention", "out", "scheduled", "done")


def monitor_messages(*, user, show: str, now: datetime) -> QuerySet[Message]:
    """Approved messages, those needing attention (a failed, held or unknown delivery)
    first. Their deliveries are not counted here: `with_delivery_counts` counts those of
    one page (a year of messages is never joined to its deliveries)."""
    messages = _visible_messages(user).filter(state__in=MESSAGE_APPROVED)
    # The messages with a problem, through the deliveries' state index (a few among many).
    attention = Q(pk__in=Delivery.objects.filter(state__in=DELIVERY_PROBLEM).values("message_id"))
    soon = now + timedelta(hours=1)
    if show == "attention":
        messages = messages.filter(attention)
    elif show == "out":
        messages = messages.filter(Q(state=MState.PUBLISHING) | Q(state=MState.SCHEDULED, scheduled_at__lte=soon))
    elif show == "scheduled":
        messages = messages.filter(state=MState.SCHEDULED, scheduled_at__gt=soon)
    elif show == "done":
        messages = messages.filter(
            state__in=MESSAGE_DONE,
            updated_at__gte=now - timedelta(days=7),
        )
    else:
        # Going out, changed this week, or with a problem: each set through its own index
        # (state, updated_at, the deliveries' state), united, rather than a scan of the year.
        recent = (
            Message.objects.filter(state__in=MESSAGE_LIVE)
            .order_by()
            .values("pk")
            .union(
                Message.objects.filter(updated_at__gte=now - timedelta(days=7)).order_by().values("pk"),
                Delivery.objects.filter(state__in=DELIVERY_PROBLEM).order_by().values("message_id"),
            )
        )
        messages = messages.filter(pk__in=recent)
    return (
        messages.select_related("mission", "approved_by")
        .annotate(
            needs_attention=Case(When(attention, then=Value(0)), default=Value(1), output_field=IntegerField()),
        )
        .order_by("needs_attention", "-scheduled_at", "-pk")
    )


MONITOR_SHOWS = ("all", "problems", "waiting", "sent")


def _deliveries_seen(message: Message, user) -> QuerySet[Delivery]:
    """The message's deliveries that `user` may see (all of them when no user is given): an
    officer sees a crisis alert's on their own missions' accounts only."""
    deliveries = message.deliveries.all()
    return deliveries if user is None else policy.scope(user, deliveries, mission_field="account__mission")


def monitor_deliveries(*, message: Message, show: str, user=None) -> QuerySet[Delivery]:
    """A message's deliveries that the user may see (all, or those of one kind), problems
    first, then those on their way, then the rest; by mission, network and language."""
    deliveries = _deliveries_seen(message, user).select_related("account__mission")
    if show == "problems":
        deliveries = deliveries.filter(state__in=[*DELIVERY_PROBLEM])
    elif show == "waiting":
        deliveries = deliveries.filter(state__in=[*DELIVERY_WAITING])
    elif show == "sent":
        deliveries = deliveries.filter(state__in=DELIVERY_REACHED_NETWORK)
    rank = Case(
        When(state__in=DELIVERY_PROBLEM, then=Value(0)),
        When(state__in=DELIVERY_WAITING, then=Value(1)),
        When(state=State.CANCELLED, then=Value(3)),
        default=Value(2),
        output_field=IntegerField(),
    )
    return deliveries.annotate(rank=rank).order_by(
        "rank", mission_name_order("account__mission"), "account__network", "language", "pk"
    )


def retraction_in_progress(*, message: Message, counts: Counts, now: datetime) -> bool:
    if not counts.sent or message.state == MState.RETRACTED:
        return False
    return Event.objects.filter(
        message=message,
        verb="message.retract_requested",
        created_at__gte=now - RETRACTION_WATCH,
    ).exists()


def releasable_held(
    *, message_ids: Iterable[int] | None = None, delivery_ids: Iterable[int] | None = None
) -> tuple[list[int], list[tuple[int, PublishingPause]]]:
    """The held deliveries (of these messages, or these ids) that no active pause covers,
    and those still covered, with the pause that covers each. Two queries.

    Unscoped: for the press office's release pages (message.schedule, publishing.resume),
    across missions; a message's monitor passes that message's id."""
    held = Delivery.objects.filter(state=State.HELD).select_related("account__mission")
    if message_ids is not None:
        held = held.filter(message_id__in=list(message_ids))
    if delivery_ids is not None:
        held = held.filter(pk__in=list(delivery_ids))
    active = pausing.active_pauses()
    free, still = [], []
    for delivery in held.only(
        "pk",
        "priority",
        "account__network",
        "account__mission__region",
        "account__mission__country_code",
        "account__mission__code",
    ):
        pause = pausing.pause_covering_delivery(active, delivery)
        if pause is None:
            free.append(delivery.pk)
        else:
            still.append((delivery.pk, pause))
    return free, still


@dataclass
class HeldGroup:
    message: Message
    held: int
    since: datetime
    still_paused: int = 0
    pauses: list[PublishingPause] = field(default_factory=list)  # those still covering some


def held_groups(*, pause: PublishingPause | None = None) -> list[HeldGroup]:
    """What waits for a press officer, per message (those a pause covers, if given): three
    queries, whatever the number of held deliveries. For the pause pages only, which
    require publishing.pause or publishing.resume (the press office, across missions)."""
    held = pausing.held_deliveries(pause=pause)
    active = pausing.active_pauses()
    groups: dict[int, HeldGroup] = {}
    rows = held.only(
        "pk",
        "message_id",
        "priority",
        "state_changed_at",
        "account__network",
        "account__mission__region",
        "account__mission__country_code",
        "account__mission__code",
    )
    per_message: dict[int, list[Delivery]] = {}
    for delivery in rows.select_related(None).select_related("account__mission"):
        per_message.setdefault(delivery.message_id, []).append(delivery)
    messages = Message.objects.select_related("mission").in_bulk(list(per_message))
    for message_id, deliveries in per_message.items():
        group = HeldGroup(
            message=messages[message_id],
            held=len(deliveries),
            since=min(d.state_changed_at or timezone.now() for d in deliveries),
        )
        for delivery in deliveries:
            covering = pausing.pause_covering_delivery(active, delivery)
            if covering is not None:
                group.still_paused += 1
                if all(known.pk != covering.pk for known in group.pauses):
                    group.pauses.append(covering)
        groups[message_id] = group
    return sorted(groups.values(), key=lambda group: (group.since, group.message.pk))


def covered_soon(*, scope: str, value: str, now: datetime) -> tuple[int, int]:
    """Deliveries (and messages) due in the next 24 hours that a pause of this scope would hold."""
    probe = PublishingPause(scope=scope, value=value)
    due = Delivery.objects.filter(state=State.SCHEDULED, next_attempt_at__lte=now + timedelta(hours=24)).filter(
        pausing.pause_filter(probe)
    )
    row = due.order_by().aggregate(deliveries=Count("pk"), messages=Count("message", distinct=True))
    return row["deliveries"], row["messages"]


@dataclass
class RegionRow:
    region: str
    label: str
    missions: int = 0
    accounts: int = 0
    reached: int = 0
    failed: int = 0
    waiting: int = 0
    held: int = 0
    unknown: int = 0
    cancelled: int = 0
    retracted: int = 0

    @property
    def counted(self) -> int:
        return self.accounts - self.cancelled

    @property
    def percent(self) -> int:
        return round(100 * (self.reached + self.failed + self.retracted) / self.counted) if self.counted else 0


def board_regions(*, message: Message, approved: bool) -> list[RegionRow]:
    """Per region: missions and accounts targeted, and (once approved) how many were
    reached, failed or are still waiting. One grouped query."""
    labels = dict(Mission.Region.choices)
    rows: dict[str, RegionRow] = {}
    if approved:
        grouped = (
            message.deliveries.order_by()
            .values("account__mission__region")
            .annotate(missions=Count("account__mission", distinct=True), **_count_annotations())
        )
        for row in grouped:
            region = row["account__mission__region"]
            rows[region] = RegionRow(
                region=region,
                label=str(labels.get(region, region)),
                missions=row["missions"],
                accounts=row["total"],
                reached=row["sent"],
                failed=row["failed"],
                waiting=row["waiting"],
                held=row["held"],
                unknown=row["unknown"],
                cancelled=row["cancelled"],
                retracted=row["retracted"],
            )
    else:
        targeted = (
            message.targets.order_by()
            .values("mission__region")
            .annotate(missions=Count("mission", distinct=True), accounts=Count("pk"))
        )
        for target in targeted:
            region = target["mission__region"]
            rows[region] = RegionRow(
                region=region,
                label=str(labels.get(region, region)),
                missions=target["missions"],
                accounts=target["accounts"],
            )
    order = {value: index for index, value in enumerate(Mission.Region.values)}
    return sorted(rows.values(), key=lambda row: order.get(row.region, 99))


@dataclass
class Reach:
    accounts: int
    missions: int
    regions: list[dict]
    networks: list[dict]


def crisis_reach(*, scope: dict, networks: list[str]) -> Reach:
    """How many accounts and missions an alert with this scope would reach: two queries."""
    accounts = crisis_target_accounts(scope, networks).order_by()
    labels = dict(Mission.Region.choices)
    regions = [
        {"label": labels.get(row["mission__region"], row["mission__region"]), **row}
        for row in accounts.values("mission__region")
        .annotate(accounts=Count("pk"), missions=Count("mission", distinct=True))
        .order_by("mission__region")
    ]
    by_network = [
        {"label": Network(row["network"]).label, **row}
        for row in accounts.values("network").annotate(accounts=Count("pk")).order_by("network")
    ]
    return Reach(
        accounts=sum(row["accounts"] for row in regions),
        missions=accounts.aggregate(n=Count("mission", distinct=True))["n"] if regions else 0,
        regions=regions,
        networks=by_network,
    )


# === Added with the views' split =====================================================================


def deliveries_of(*, message: Message, state: str) -> list[Delivery]:
    """A message's deliveries in one state, with their accounts and missions (a
    confirmation page lists them)."""
    return list(message.deliveries.filter(state=state).select_related("account__mission").order_by("pk"))


NETWORK_ORDER = {network: index for index, network in enumerate(Network.values)}


@dataclass
class NetworkRow:
    """How a message's deliveries stand on one network."""

    network: str
    counts: Counts

    @property
    def label(self) -> str:
        return str(Network(self.network).label)


def counts_by_network(*, message: Message, user=None) -> list[NetworkRow]:
    """A message's deliveries that the user may see, counted by state on each network: one
    grouped query."""
    rows = _deliveries_seen(message, user).order_by().values("account__network").annotate(**_count_annotations())
    found = [NetworkRow(network=row.pop("account__network"), counts=Counts(**row)) for row in rows]
    return sorted(found, key=lambda row: NETWORK_ORDER.get(row.network, 9))


def pauses_active() -> list[PublishingPause]:
    """The pauses in force, oldest first."""
    return pausing.active_pauses()


def pause_page_lists(*, now: datetime) -> dict:
    """The pauses and silences in force (with who started them) and the pauses a person
    ended in the last 7 days (planned silences: posts.selectors.pauses.planned_silences)."""
    return {
        "pauses": list(
            PublishingPause.objects.filter(pausing.in_force_at(now)).select_related("started_by").order_by("started_at")
        ),
        "recent": list(
            PublishingPause.objects.filter(ended_at__isnull=False, ended_at__gte=now - timedelta(days=7))
            .select_related("started_by", "ended_by")
            .order_by("-ended_at")[:10]
        ),
    }


def pause_ended(*, pk: int) -> PublishingPause | None:
    return PublishingPause.objects.filter(pk=pk, ended_at__isnull=False).first()


def pause_get(*, pk: int) -> PublishingPause:
    return get_object_or_404(PublishingPause.objects.select_related("started_by"), pk=pk)


def active_country_codes() -> list[str]:
    """The countries with an active mission (pausing one country)."""
    return list(Mission.objects.active().order_by("country_code").values_list("country_code", flat=True).distinct())


def crisis_alert_get(*, user, pk: int) -> Message:
    """A crisis alert the user may see, or 404."""
    message = get_object_or_404(
        _visible_messages(user).filter(priority=Priority.CRISIS).select_related("author", "approved_by"), pk=pk
    )
    policy.require(user, "message.view", message)
    return message


def crisis_alerts(*, user) -> QuerySet[Message]:
    """Every crisis alert, newest first (count a page's deliveries and targets with
    `with_delivery_counts` and `with_target_counts`)."""
    return (
        _visible_messages(user)
        .filter(priority=Priority.CRISIS)
        .select_related("author", "approved_by")
        .order_by("-created_at", "-pk")
    )


def with_delivery_counts(messages: Iterable[Message]) -> list[Message]:
    """Give each message its deliveries counted by state, as attributes (`total`, `sent`,
    `failed`, `waiting`, `held`, `unknown`, ...: the fields of Counts). One grouped query
    for the lot, through the (message, state) index."""
    messages = list(messages)
    rows = (
        Delivery.objects.filter(message_id__in=[message.pk for message in messages])
        .order_by()
        .values("message_id")
        .annotate(**_count_annotations())
    )
    found = {row.pop("message_id"): row for row in rows}
    empty = dict.fromkeys(_count_annotations(), 0)
    for message in messages:
        for name, value in found.get(message.pk, empty).items():
            setattr(message, name, value)
    return messages


def with_target_counts(messages: Iterable[Message]) -> list[Message]:
    """Give each message `target_count`, its target accounts counted: one grouped query."""
    messages = list(messages)
    rows = (
        Message.targets.through.objects.filter(message_id__in=[message.pk for message in messages])
        .order_by()
        .values("message_id")
        .annotate(n=Count("pk"))
    )
    found = {row["message_id"]: row["n"] for row in rows}
    for message in messages:
        message.target_count = found.get(message.pk, 0)
    return messages


def crisis_problems(*, alert: Message, limit: int) -> list[Delivery]:
    """An alert's failed and unknown deliveries, by region and mission, the first `limit`."""
    return list(
        alert.deliveries.filter(state__in=DELIVERY_FAILED_OR_UNKNOWN)
        .select_related("account__mission")
        .order_by("account__mission__region", mission_name_order("account__mission"), "pk")[:limit]
    )


def crisis_texts(*, alert: Message) -> list[MessageText]:
    """An alert's texts (one per language, none per network)."""
    return list(alert.texts.filter(network=""))


def target_count(*, message: Message) -> int:
    return message.targets.count()
