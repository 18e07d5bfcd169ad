"""Reads of messages, always through the policy's scope: a message another user may not
see is simply not found. Lists cost a constant number of queries, whatever their length:
the message list and page, the review queue, the compose form's missions and accounts."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime, timedelta
from typing import NamedTuple

from django.db.models import (
    Case,
    Count,
    Exists,
    F,
    IntegerField,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.db.models.functions import Coalesce
from django.http import Http404
from django.shortcuts import get_object_or_404

from channels.models import Network, SocialAccount
from diplomacy_hub import policy
from diplomacy_hub.ids import parse_id
from diplomacy_hub.localtime import day_start, hq_zone
from embassies.models import Mission
from embassies.names import by_name, in_reader_language, sort_key
from embassies.roles import Role
from embassies.selectors import missions_visible_to
from posts.models import Attachment, Delivery, Event, Message, Priority, Review, ReviewAssignment

_TARGETS = Message.targets.through


def _visible(user) -> QuerySet[Message]:
    # Officers see their missions' messages, and the crisis alerts that went out on their
    # accounts; cross-mission roles see everything.
    return policy.scope_messages(user, Message.objects.all())


def _with_list_data(messages: QuerySet[Message]) -> QuerySet[Message]:
    return (
        messages.select_related("mission", "author", "approved_by")
        .prefetch_related(
            Prefetch(
                "targets",
                queryset=SocialAccount.objects.only("pk", "network", "handle", "mission_id").order_by("network", "pk"),
            ),
        )
        .annotate(
            deliveries_total=Count("deliveries", filter=~Q(deliveries__state=Delivery.State.CANCELLED)),
            deliveries_sent=Count("deliveries", filter=Q(deliveries__state=Delivery.State.SENT)),
            deliveries_failed=Count("deliveries", filter=Q(deliveries__state=Delivery.State.FAILED)),
        )
    )


def _as_list(value) -> list:
    if value is None:
        return []
    if isinstance(value, (str, int, Mission)):
        return [value]
    return list(value)


def _moment(value: date | datetime, *, end: bool) -> datetime:
    """A date is a day at headquarters: from its midnight, up to the next midnight."""
    if isinstance(value, datetime):
        return value
    return day_start(value + timedelta(days=1) if end else value, hq_zone())


def message_list(
    *,
    user,
    state: str | Iterable[str] | None = None,
    mission: Mission | int | Iterable | None = None,
    region: str | None = None,
    network: str | None = None,
    priority: str | None = None,
    date_from: date | datetime | None = None,
    date_to: date | datetime | None = None,
) -> QuerySet[Message]:
    """The messages the user may see, newest first, filtered. `region` and `network` match
    a message's mission or, for a crisis alert, any of its target accounts. The dates
    bound when it goes out (its scheduled time, else its desired time, else its creation);
    a date is a whole day at headquarters."""
    messages = messages_filtered(
        user=user,
        state=state,
        mission=mission,
        region=region,
        network=network,
        priority=priority,
        date_from=date_from,
        date_to=date_to,
    )
    return _with_list_data(messages).order_by("-created_at", "-pk")


def goes_out_at() -> Coalesce:
    """When a message goes out: its scheduled time, else its desired time, else its creation
    (indexed: posts_message_goes_out_idx)."""
    return Coalesce("scheduled_at", "desired_at", "created_at")


def messages_filtered(
    *,
    user,
    state: str | Iterable[str] | None = None,
    mission: Mission | int | Iterable | None = None,
    region: str | None = None,
    network: str | None = None,
    priority: str | None = None,
    date_from: date | datetime | None = None,
    date_to: date | datetime | None = None,
) -> QuerySet[Message]:
    """`message_list`'s filters, without its list data (no join, no prefetch, no order)."""
    messages = _visible(user)
    states = _as_list(state)
    if states:
        messages = messages.filter(state__in=states)
    missions = _as_list(mission)
    if missions:
        messages = messages.filter(mission__in=missions)
    if region:
        targets_in_region = _TARGETS.objects.filter(
            message_id=OuterRef("pk"),
            socialaccount__mission__region=region,
        )
        messages = messages.filter(
            Q(mission__region=region) | Q(mission__isnull=True) & Exists(targets_in_region),
        )
    if network:
        messages = messages.filter(
            Exists(_TARGETS.objects.filter(message_id=OuterRef("pk"), socialaccount__network=network))
        )
    if priority:
        messages = messages.filter(priority=priority)
    if date_from is not None or date_to is not None:
        messages = messages.annotate(goes_out_at=goes_out_at())
        if date_from is not None:
            messages = messages.filter(goes_out_at__gte=_moment(date_from, end=False))
        if date_to is not None:
            if isinstance(date_to, datetime):
                messages = messages.filter(goes_out_at__lte=date_to)
            else:
                messages = messages.filter(goes_out_at__lt=_moment(date_to, end=True))
    return messages


def message_get(*, user, pk: int) -> Message:
    """One message with everything its page shows, or Http404 when the user may not see it:
    its texts, attachments, targets, reviews, comments, and its own events as
    `message_events` (not its deliveries' events: a crisis alert has thousands; see
    `delivery_history`)."""
    messages = (
        _visible(user)
        .select_related("mission", "author", "approved_by")
        .prefetch_related(
            "texts",
            "attachments",
            Prefetch("targets", queryset=SocialAccount.objects.select_related("mission").order_by("network", "pk")),
            Prefetch("reviews", queryset=Review.objects.select_related("reviewer")),
            "comments__author",
            Prefetch(
                "events",
                to_attr="message_events",
                queryset=Event.objects.filter(delivery__isnull=True)
                .select_related("actor")
                .order_by("created_at", "pk"),
            ),
        )
    )
    message_id = parse_id(pk)
    if message_id is None:
        raise Http404("No such message.")
    try:
        return messages.get(pk=message_id)
    except Message.DoesNotExist:
        raise Http404("No such message.") from None


def review_queue(
    *,
    user,
    priority: str | None = None,
    mission: Mission | int | None = None,
    region: str | None = None,
) -> QuerySet[Message]:
    """Messages in review that this user may decide on: by the due time of their review
    clock (soonest first), then crisis alerts first, then by desired time (soonest first),
    then oldest first. Their own messages are left out (they
    may not approve them); a crisis-unit member without the press-office role sees crisis
    alerts only. Raises PermissionDenied for users without a review role."""
    policy.require(user, "message.review_queue")
    messages = (
        messages_filtered(user=user, state=Message.State.IN_REVIEW, mission=mission, region=region, priority=priority)
        .exclude(author=user)
        .select_related("mission", "author")
    )
    if not policy.has_role(user, Role.PRESS_OFFICE):
        messages = messages.filter(priority=Priority.CRISIS)
    open_assignment = ReviewAssignment.objects.filter(message=OuterRef("pk"), ended_at__isnull=True)
    return messages.annotate(
        lane=Case(When(priority=Priority.CRISIS, then=Value(0)), default=Value(1), output_field=IntegerField()),
        # The review clock (posts.services.review_clock): due time at the desk it is offered to.
        review_due_at=Subquery(open_assignment.values("due_at")[:1]),
        review_desk=Subquery(open_assignment.values("desk__name")[:1]),
    ).order_by(
        F("review_due_at").asc(nulls_last=True), "lane", F("desired_at").asc(nulls_last=True), "created_at", "pk"
    )


def submitted_at() -> Subquery:
    """When a message was last sent for review (for "waiting since")."""
    return Subquery(
        Event.objects.filter(message=OuterRef("pk"), verb="message.submit")
        .order_by("-created_at", "-pk")
        .values("created_at")[:1]
    )


def latest_review(decision: str, what: str) -> Subquery:
    """A field (`what`) of the message's latest review with this decision."""
    return Subquery(
        Review.objects.filter(message=OuterRef("pk"), decision=decision).order_by("-created_at", "-pk").values(what)[:1]
    )


def review_queue_filtered(
    *,
    user,
    priority: str | None = None,
    mission: int | None = None,
    region: str | None = None,
    network: str | None = None,
    date_from: date | None = None,
    date_to: date | None = None,
) -> QuerySet[Message]:
    """The review queue's page: `review_queue` narrowed to a network (any target on it)
    and to the days (at headquarters) the messages should go out (their desired time,
    else their creation), each with `submitted_at`."""
    queue = review_queue(user=user, priority=priority, region=region, mission=mission)
    if network:
        queue = queue.filter(Exists(_TARGETS.objects.filter(message_id=OuterRef("pk"), socialaccount__network=network)))
    if date_from or date_to:
        queue = queue.annotate(goes_out_at=Coalesce("desired_at", "created_at"))
        if date_from:
            queue = queue.filter(goes_out_at__gte=_moment(date_from, end=False))
        if date_to:
            queue = queue.filter(goes_out_at__lt=_moment(date_to, end=True))
    return queue.annotate(submitted_at=submitted_at())


class MissionOption(NamedTuple):
    pk: int
    name: str


def missions_for_filters(*, user) -> list[MissionOption]:
    """The missions a list page may be filtered by: those the user may see, by name in the
    reader's language (as plain pairs: 271 of them are read on every list page)."""
    rows = missions_visible_to(user).values_list("pk", "name", "name_fr", "code")
    options = [MissionOption(pk, in_reader_language(name, name_fr, code=code)) for pk, name, name_fr, code in rows]
    return sorted(options, key=lambda option: sort_key(option.name))


def calendar_missions(*, user, region: str | None = None, mission: int | str | None = None) -> list[Mission]:
    """The active missions whose days the calendar shows: those the user may see, narrowed
    to a region or one mission."""
    missions = policy.scope(user, Mission.objects.active(), mission_field="")
    if region:
        missions = missions.filter(region=region)
    if mission:
        missions = missions.filter(pk=parse_id(mission) or 0)
    return list(missions)


def missions_of(*, user) -> list[Mission]:
    """The missions the user belongs to as staff, by name in the reader's language."""
    return by_name(missions_visible_to(user).filter(pk__in=list(policy.mission_ids_of(user))))


def missions_to_write_for(*, user) -> list[Mission]:
    """The active missions whose messages this user may write (officers only)."""
    if not policy.has_role(user, Role.OFFICER):
        return []
    return by_name(Mission.objects.active().filter(pk__in=list(policy.mission_ids_of(user))))


def mission_get(*, user, pk: int | str) -> Mission:
    """A mission the user may see, or Http404 (also for a non-numeric id)."""
    mission_id = parse_id(pk)
    if mission_id is None:
        raise Http404("No such mission.")
    return get_object_or_404(missions_visible_to(user), pk=mission_id)


def mission_accounts(*, mission: Mission) -> list[SocialAccount]:
    """The accounts a message of this mission may target (the caller checked the mission)."""
    return list(SocialAccount.objects.filter(mission=mission).select_related("mission").order_by("network", "pk"))


def message_fresh(*, user, pk: int) -> Message:
    """The message as it is now (after a write), without the page's prefetches."""
    try:
        return _visible(user).get(pk=pk)
    except Message.DoesNotExist:
        raise Http404("No such message.") from None


def attachment_get(*, user, message_id: int, pk: int) -> Attachment:
    """An attachment of a message the user may see, or Http404."""
    attachments = policy.scope(user, Attachment.objects.all(), mission_field="message__mission")
    return get_object_or_404(attachments, pk=pk, message_id=message_id)


def with_target_networks(messages: list[Message]) -> list[Message]:
    """Give each message `target_networks`: [(network label, number of accounts)], in the
    networks' order. One grouped query for the lot (a crisis alert targets a thousand
    accounts: they are counted, not loaded)."""
    by_message: dict[int, dict[str, int]] = {}
    rows = (
        _TARGETS.objects.filter(message_id__in=[message.pk for message in messages])
        .order_by()
        .values("message_id", "socialaccount__network")
        .annotate(n=Count("pk"))
    )
    for row in rows:
        by_message.setdefault(row["message_id"], {})[row["socialaccount__network"]] = row["n"]
    for message in messages:
        counts = by_message.get(message.pk, {})
        message.target_networks = [
            (Network(network).label, counts[network]) for network in Network.values if network in counts
        ]
    return messages


def delivery_states(*, message: Message) -> dict[str, int]:
    """{delivery state: how many} for a message (a message the caller has fetched through
    `message_get`): one grouped query."""
    rows = message.deliveries.order_by().values("state").annotate(n=Count("pk"))
    return {row["state"]: row["n"] for row in rows}


def delivery_history(*, message: Message, limit: int) -> tuple[list[Event], int]:
    """The latest `limit` events of a message's deliveries (oldest first, each with its
    delivery's account and its actor) and how many there are: two queries."""
    events = Event.objects.filter(message=message, delivery__isnull=False)
    latest = list(events.select_related("actor", "delivery__account").order_by("-created_at", "-pk")[:limit])
    return latest[::-1], events.count()
