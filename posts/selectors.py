"""Reads of messages, always through the policy's scope: a message another user may not
see is simply not found. Lists cost a constant number of queries, whatever their length."""

from __future__ import annotations

import zoneinfo
from collections.abc import Iterable
from datetime import date, datetime, time, timedelta

from django.conf import settings
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
    Value,
    When,
)
from django.db.models.functions import Coalesce
from django.http import Http404

from channels.models import SocialAccount
from diplomacy_hub import policy
from embassies.models import Mission
from embassies.roles import Role
from posts.models import Delivery, Event, Message, Priority, Review

_TARGETS = Message.targets.through


def _visible(user) -> QuerySet[Message]:
    # Officers see their missions' messages only; `mission__in` also leaves out crisis
    # alerts (no mission), which only cross-mission roles see.
    return policy.scope(user, Message.objects.all(), mission_field="mission")


def _with_list_data(messages: QuerySet[Message]) -> QuerySet[Message]:
    return (
        messages.select_related("mission", "author", "approved_by")
        .prefetch_related(
            Prefetch("targets", queryset=SocialAccount.objects.only("pk", "network", "handle", "mission_id")
                     .order_by("network", "pk")),
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
    zone = zoneinfo.ZoneInfo(settings.HEADQUARTERS_TIME_ZONE)
    day = value + timedelta(days=1) if end else value
    return datetime.combine(day, time.min, tzinfo=zone)


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
    messages = _visible(user)
    states = _as_list(state)
    if states:
        messages = messages.filter(state__in=states)
    missions = _as_list(mission)
    if missions:
        messages = messages.filter(mission__in=missions)
    if region:
        targets_in_region = _TARGETS.objects.filter(
            message_id=OuterRef("pk"), socialaccount__mission__region=region,
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
        messages = messages.annotate(goes_out_at=Coalesce("scheduled_at", "desired_at", "created_at"))
        if date_from is not None:
            messages = messages.filter(goes_out_at__gte=_moment(date_from, end=False))
        if date_to is not None:
            if isinstance(date_to, datetime):
                messages = messages.filter(goes_out_at__lte=date_to)
            else:
                messages = messages.filter(goes_out_at__lt=_moment(date_to, end=True))
    return _with_list_data(messages).order_by("-created_at", "-pk")


def message_get(*, user, pk: int) -> Message:
    """One message with everything its page shows, or Http404 when the user may not see it."""
    messages = _visible(user).select_related("mission", "author", "approved_by").prefetch_related(
        "texts", "attachments",
        Prefetch("targets",
                 queryset=SocialAccount.objects.select_related("mission").order_by("network", "pk")),
        Prefetch("reviews", queryset=Review.objects.select_related("reviewer")),
        "comments__author",
        Prefetch("deliveries", queryset=Delivery.objects.select_related("account").order_by("pk")),
        Prefetch("events", queryset=Event.objects.select_related("actor").order_by("created_at", "pk")),
    )
    try:
        return messages.get(pk=pk)
    except (Message.DoesNotExist, ValueError, TypeError):
        raise Http404("No such message.") from None


def review_queue(
    *,
    user,
    priority: str | None = None,
    mission: Mission | int | None = None,
    region: str | None = None,
) -> QuerySet[Message]:
    """Messages in review that this user may decide on: crisis alerts first, then by
    desired time (soonest first), then oldest first. Their own messages are left out (they
    may not approve them); a crisis-unit member without the press-office role sees crisis
    alerts only. Raises PermissionDenied for users without a review role."""
    policy.require(user, "message.review_queue")
    messages = message_list(user=user, state=Message.State.IN_REVIEW, mission=mission, region=region,
                            priority=priority).exclude(author=user)
    if not policy.has_role(user, Role.PRESS_OFFICE):
        messages = messages.filter(priority=Priority.CRISIS)
    return messages.annotate(
        lane=Case(When(priority=Priority.CRISIS, then=Value(0)), default=Value(1),
                  output_field=IntegerField()),
    ).order_by("lane", F("desired_at").asc(nulls_last=True), "created_at", "pk")
