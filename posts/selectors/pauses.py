"""Reads on publishing pauses: which are in force, which one covers a delivery, and the
deliveries a pause covers (as a query). The services that pause, resume, dispatch and
publish read through these, and so do the operations pages.

A planned silence is a pause with a time range (posts.models.PublishingPause): in force
between its start and its end, so that the dispatcher and the worker hold what it covers
exactly as they do for a pause."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from django.conf import settings
from django.db.models import Q, QuerySet
from django.utils import timezone

from posts.models import Delivery, Priority, PublishingPause

Scope = PublishingPause.Scope


def in_force_at(moment: datetime) -> Q:
    """Pauses and silences in force at `moment`: not ended by a person, started, not past
    their planned end."""
    return (
        Q(ended_at__isnull=True)
        & (Q(starts_at__isnull=True) | Q(starts_at__lte=moment))
        & (Q(ends_at__isnull=True) | Q(ends_at__gt=moment))
    )


def active_pauses(*, now: datetime | None = None) -> list[PublishingPause]:
    moment = now or timezone.now()
    return list(PublishingPause.objects.filter(in_force_at(moment)).order_by("started_at", "pk"))


def planned_silences(*, now: datetime) -> list[PublishingPause]:
    """Silences in force or still to come, soonest first (not those a person ended)."""
    return list(
        PublishingPause.objects.exclude(kind=PublishingPause.Kind.PAUSE)
        .filter(ended_at__isnull=True, ends_at__gt=now)
        .select_related("started_by")
        .order_by("starts_at", "pk")
    )


def silences_between(*, start: datetime, end: datetime) -> list[PublishingPause]:
    """Silences (and pauses in force) that overlap [start, end): the calendar and compose
    match them to missions with `pause_covering`."""
    return list(
        PublishingPause.objects.filter(ended_at__isnull=True)
        .filter(Q(starts_at__isnull=True) | Q(starts_at__lt=end))
        .filter(Q(ends_at__isnull=True) | Q(ends_at__gt=start))
        .order_by("starts_at", "pk")
    )


def covers_mission(pause: PublishingPause, mission) -> bool:
    """Whether a pause or silence covers a mission's routine messages (a network pause
    covers some of its accounts: said too)."""
    return (
        pause_covering(
            [pause],
            network=pause.value if pause.scope == Scope.NETWORK else "",
            region=mission.region,
            country_code=mission.country_code,
            mission_code=mission.code,
            priority=Priority.ROUTINE,
        )
        is not None
    )


def holds_crisis(pause: PublishingPause) -> bool:
    """Whether the pause holds crisis alerts: its own choice, else the setting."""
    return settings.PUBLISHING_PAUSE_HOLDS_CRISIS if pause.holds_crisis is None else pause.holds_crisis


def pause_covering(
    pauses: Iterable[PublishingPause],
    *,
    network: str,
    region: str,
    country_code: str,
    mission_code: str,
    priority: str,
) -> PublishingPause | None:
    """The first of `pauses` that covers a delivery with these attributes."""
    for pause in pauses:
        if priority == Priority.CRISIS and not holds_crisis(pause):
            continue
        if (
            pause.scope == Scope.ALL
            or (pause.scope == Scope.REGION and pause.value == region)
            or (pause.scope == Scope.COUNTRY and pause.value.upper() == country_code.upper())
            or (pause.scope == Scope.MISSION and pause.value == mission_code)
            or (pause.scope == Scope.NETWORK and pause.value == network)
        ):
            return pause
    return None


def pause_covering_delivery(pauses: Iterable[PublishingPause], delivery: Delivery) -> PublishingPause | None:
    """As `pause_covering`, for a delivery loaded with its account and mission."""
    mission = delivery.account.mission
    return pause_covering(
        pauses,
        network=delivery.account.network,
        region=mission.region,
        country_code=mission.country_code,
        mission_code=mission.code,
        priority=delivery.priority,
    )


def pause_filter(pause: PublishingPause) -> Q:
    """The deliveries a pause covers, as a query (the twin of `pause_covering`)."""
    match pause.scope:
        case Scope.REGION:
            covered = Q(account__mission__region=pause.value)
        case Scope.COUNTRY:
            covered = Q(account__mission__country_code__iexact=pause.value)
        case Scope.MISSION:
            covered = Q(account__mission__code=pause.value)
        case Scope.NETWORK:
            covered = Q(account__network=pause.value)
        case _:
            covered = Q()
    if not holds_crisis(pause):
        covered &= ~Q(priority=Priority.CRISIS)
    return covered


def held_deliveries(*, pause: PublishingPause | None = None) -> QuerySet[Delivery]:
    """What waits for a press officer: every held delivery, or those a pause covers."""
    held = Delivery.objects.filter(state=Delivery.State.HELD)
    if pause is not None:
        held = held.filter(pause_filter(pause))
    return held.select_related("message", "account__mission").order_by("next_attempt_at", "pk")
