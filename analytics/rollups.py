"""The pages' pre-summed tables (MessageDay, AudienceDay, MessageRegion), kept from the
time series after collection: each beat round refreshes yesterday and today, and a nightly
task the last 31 days (a reading retried later moves to the day it was read again).

A refresh recomputes whole days from the raw rows, so it is idempotent: a second run, two
at once or a run after a failure write the same sums. The pages show what the last round
left, at most one round (ANALYTICS_TICK) behind the raw rows.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, date, datetime, time, timedelta

from django.db import IntegrityError, transaction
from django.db.models import Count, Q, Sum

from analytics.models import AccountDaily, Age, AudienceDay, DeliverySnapshot, MessageDay, MessageRegion

MESSAGES_AT_ONCE = 1_000
BATCH = 2_000


def _bounds(day: date) -> tuple[datetime, datetime]:
    start = datetime.combine(day, time.min, tzinfo=UTC)
    return start, start + timedelta(days=1)


def _plus(*values: int | None) -> int:
    return sum(value or 0 for value in values)


def _replace(model, stale, rows: list) -> None:
    """Swap the stale rows for the new ones at once; a refresh running beside this one
    writes the same sums, so losing the race to it (IntegrityError) loses nothing."""
    try:
        with transaction.atomic():
            stale.delete()
            model.objects.bulk_create(rows, batch_size=BATCH)
    except IntegrityError:
        pass


def _message_days(day: date) -> None:
    start, end = _bounds(day)
    grouped = (
        DeliverySnapshot.objects.filter(age_hours=Age.DAY, collected_at__gte=start, collected_at__lt=end)
        .values("delivery__message_id", "account__mission_id", "account__mission__region", "account__network")
        .annotate(
            rows=Count("pk"),
            read=Count("pk", filter=Q(unknown="")),
            accounts=Count("account", distinct=True, filter=Q(unknown="")),
            total_views=Sum("views"),
            views_known=Count("views"),
            total_likes=Sum("likes"),
            total_comments=Sum("comments"),
            total_shares=Sum("shares"),
        )
        .order_by()
    )
    rows = [
        MessageDay(
            message_id=row["delivery__message_id"],
            mission_id=row["account__mission_id"],
            region=row["account__mission__region"],
            network=row["account__network"],
            day=day,
            rows=row["rows"],
            read=row["read"],
            accounts=row["accounts"],
            views=row["total_views"],
            views_known=row["views_known"],
            likes=row["total_likes"],
            comments=row["total_comments"],
            shares=row["total_shares"],
            engagement=_plus(row["total_likes"], row["total_comments"], row["total_shares"]),
        )
        for row in grouped
    ]
    _replace(MessageDay, MessageDay.objects.filter(day=day), rows)


def _audience_day(day: date) -> None:
    grouped = (
        AccountDaily.objects.filter(day=day)
        .values("account__mission_id", "account__mission__region", "account__network")
        .annotate(
            accounts=Count("pk"),
            total=Sum("followers"),
            known=Count("followers"),
            unknowns=Count("pk", filter=~Q(unknown="")),
        )
        .order_by()
    )
    rows = [
        AudienceDay(
            mission_id=row["account__mission_id"],
            region=row["account__mission__region"],
            network=row["account__network"],
            day=day,
            accounts=row["accounts"],
            followers=row["total"],
            followers_known=row["known"],
            unknowns=row["unknowns"],
        )
        for row in grouped
    ]
    _replace(AudienceDay, AudienceDay.objects.filter(day=day), rows)


def _message_regions(message_ids: list[int]) -> None:
    """Each message's reach per region, from each delivery's latest reading (any age)."""
    latest: dict[int, tuple] = {}
    rows = (
        DeliverySnapshot.objects.filter(delivery__message_id__in=message_ids)
        .values_list(
            "delivery_id",
            "delivery__message_id",
            "account__mission__region",
            "age_hours",
            "views",
            "likes",
            "comments",
            "shares",
            "unknown",
        )
        .order_by("delivery_id", "age_hours")
    )
    for row in rows:
        latest[row[0]] = row  # ordered by age: the last one is the latest reading
    sums: dict[tuple[int, str], MessageRegion] = {}
    for _delivery, message_id, region, _age, views, likes, comments, shares, unknown in latest.values():
        one = sums.setdefault((message_id, region), MessageRegion(message_id=message_id, region=region))
        if unknown:
            continue
        one.read += 1
        if views is not None:
            one.views = (one.views or 0) + views
        one.engagement = (one.engagement or 0) + _plus(likes, comments, shares)
    _replace(MessageRegion, MessageRegion.objects.filter(message_id__in=message_ids), list(sums.values()))


def rollups_refresh(*, days: Iterable[date]) -> int:
    """Recompute the pre-summed rows of these (UTC) days, and the reach per region of every
    message read on them; returns how many messages were summed again."""
    messages: set[int] = set()
    for day in sorted(set(days)):
        _message_days(day)
        _audience_day(day)
        start, end = _bounds(day)
        messages.update(
            # Every age named: the index (age_hours, collected_at) serves it.
            DeliverySnapshot.objects.filter(age_hours__in=Age.values, collected_at__gte=start, collected_at__lt=end)
            .values_list("delivery__message_id", flat=True)
            .distinct()
        )
    ordered = sorted(messages)
    for index in range(0, len(ordered), MESSAGES_AT_ONCE):
        _message_regions(ordered[index : index + MESSAGES_AT_ONCE])
    return len(ordered)
