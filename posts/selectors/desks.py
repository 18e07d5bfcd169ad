"""Reads on the review desks' record: the review times each desk achieved (closed
assignments of posts.models.ReviewAssignment) over a period."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db.models import Count, F, Q

from globaltime.models import Desk
from posts.models import ReviewAssignment

Outcome = ReviewAssignment.Outcome


@dataclass(frozen=True)
class DeskTimes:
    desk: Desk
    decided: int  # messages decided while offered to this desk
    within_target: int  # of them, before their due time
    passed_on: int  # targets missed and passed to the next desk
    median_minutes: float | None  # from offered to decided
    waiting: int  # offered to it now

    @property
    def share_within_target(self) -> int | None:
        return round(100 * self.within_target / self.decided) if self.decided else None


def review_times(*, since: datetime) -> list[DeskTimes]:
    """Per desk, over the assignments offered since `since`: decided, within target, passed
    on, the median time to a decision, and what waits now. One grouped query and one for the
    durations."""
    rows: dict[int, dict] = {
        row["desk"]: dict(row)
        for row in ReviewAssignment.objects.filter(offered_at__gte=since)
        .values("desk")
        .annotate(
            decided=Count("pk", filter=Q(outcome=Outcome.DECIDED)),
            within=Count("pk", filter=Q(outcome=Outcome.DECIDED, ended_at__lte=F("due_at"))),
            passed=Count("pk", filter=Q(outcome=Outcome.PASSED)),
            waiting=Count("pk", filter=Q(ended_at__isnull=True)),
        )
        .order_by()
    }
    durations: dict[int, list[timedelta]] = {}
    for desk_id, offered, ended in ReviewAssignment.objects.filter(
        offered_at__gte=since, outcome=Outcome.DECIDED
    ).values_list("desk_id", "offered_at", "ended_at"):
        if ended is not None:
            durations.setdefault(desk_id, []).append(ended - offered)
    result = []
    for desk in Desk.objects.order_by("-is_headquarters", "name"):
        row = rows.get(desk.pk, {})
        result.append(
            DeskTimes(
                desk=desk,
                decided=row.get("decided", 0),
                within_target=row.get("within", 0),
                passed_on=row.get("passed", 0),
                median_minutes=_median_minutes(durations.get(desk.pk, [])),
                waiting=row.get("waiting", 0),
            )
        )
    return result


def _median_minutes(values: list[timedelta]) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    middle = len(ordered) // 2
    median = ordered[middle] if len(ordered) % 2 else (ordered[middle - 1] + ordered[middle]) / 2
    return round(median.total_seconds() / 60, 1)


def open_assignment(*, message) -> ReviewAssignment | None:
    """The desk a message in review is offered to now, with its due time."""
    return ReviewAssignment.objects.filter(message=message, ended_at__isnull=True).select_related("desk").first()
