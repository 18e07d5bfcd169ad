"""The dialogue, measured: how soon and how often the missions answer the public.

Reads for the dialogue page, the dashboards' counts and the weekly report, each a fixed
number of aggregate queries whatever the number of conversations, over what the user may
see (the desk's own scope, `conversations.selectors.conversations_visible_to`).

- Time to first answer: from the conversation's start to its first reply that reached the
  network, counted as its service clock counts (the mission's business hours, around the
  clock for an always-on category), stamped once on the conversation when the reply is
  sent (`conversations.services.replies`).
- Answered within the service time: of the conversations with a target whose outcome is
  known (answered, or past their due time), the share first answered by their due time.
- Backlog by age: the conversations still to do now, by the time since they started.
- Clearance time: from a reply written to its clearance, for replies that needed one.
- Dialogue ratio: replies sent per message published (a message counted once per mission
  whose accounts it reached), per mission and region.

Lives in analytics (above the desk and posts) so that it may read both; the desk imports
nothing of it.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db.models import Avg, Count, DurationField, ExpressionWrapper, F, Q, QuerySet, Sum
from django.db.models.functions import TruncDate
from django.utils import timezone
from django.utils.translation import gettext as _

from analytics.selectors import Table
from channels.models import Network
from conversations.lifecycle import CONVERSATION_ACTIVE, Category, Clearance, ConversationStatus, ReplyState
from conversations.models import Conversation, Reply
from conversations.selectors import conversations_visible_to
from diplomacy_hub import policy
from embassies.models import Mission
from embassies.names import language_name
from posts.models import Delivery

PERIODS = (7, 30, 90)  # days the page offers
DEFAULT_DAYS = 7

# The backlog's ages, in hours: each bucket holds what started at most that long ago (and
# more than the one before); the last holds the rest.
AGE_BUCKETS = (1, 4, 24, 72, 168)


@dataclass(frozen=True)
class Period:
    start: datetime
    end: datetime
    days: int


def period_of(days: int = DEFAULT_DAYS, *, now: datetime | None = None) -> Period:
    end = now or timezone.now()
    return Period(start=end - timedelta(days=days), end=end, days=days)


@dataclass(frozen=True)
class Summary:
    """The dialogue of a scope over a period, in figures (None: nothing to measure)."""

    conversations: int
    answered: int
    closed: int
    on_time_share: float | None  # per cent
    minutes_to_answer: float | None  # average, on the service clock
    clearance_minutes: float | None  # average
    cleared: int
    answers: int
    published: int
    ratio: float | None
    backlog: int


def _scoped(user) -> tuple[QuerySet[Conversation], QuerySet[Reply], QuerySet[Delivery]]:
    return (
        conversations_visible_to(user),
        policy.scope(user, Reply.objects.on_desk()),
        policy.scope(user, Delivery.objects.all(), mission_field="account__mission"),
    )


def _share(part: int, whole: int) -> float | None:
    return round(100 * part / whole, 1) if whole else None


def _minutes(seconds: float | None) -> float | None:
    return None if seconds is None else round(seconds / 60, 1)


def _average_minutes(row: dict[str, Any]) -> float | None:
    """The average time to first answer of a group's sum and count."""
    return _minutes(row["seconds"] / row["timed"]) if row["timed"] else None


def _ratio(answers: int, published: int) -> float | None:
    return round(answers / published, 2) if published else None


def _measures(now: datetime) -> dict[str, Any]:
    """The per-group aggregates over conversations started in a period."""
    decided = Q(due_at__isnull=False) & (Q(first_answered_at__isnull=False) | Q(due_at__lt=now))
    return {
        "conversations": Count("pk"),
        "answered": Count("pk", filter=Q(first_answered_at__isnull=False)),
        "closed": Count("pk", filter=Q(status=ConversationStatus.CLOSED)),
        "decided": Count("pk", filter=decided),
        "on_time": Count("pk", filter=decided & Q(first_answered_at__lte=F("due_at"))),
        "seconds": Sum("first_answer_seconds"),
        "timed": Count("first_answer_seconds"),
    }


def _started(conversations: QuerySet[Conversation], period: Period) -> QuerySet[Conversation]:
    return conversations.filter(created_at__gte=period.start, created_at__lt=period.end)


def _answers(replies: QuerySet[Reply], period: Period) -> QuerySet[Reply]:
    return replies.filter(state=ReplyState.SENT, sent_at__gte=period.start, sent_at__lt=period.end)


def _published(deliveries: QuerySet[Delivery], period: Period) -> QuerySet[Delivery]:
    return deliveries.filter(state=Delivery.State.SENT, sent_at__gte=period.start, sent_at__lt=period.end)


def _clearance(replies: QuerySet[Reply], period: Period) -> dict[str, Any]:
    waited = ExpressionWrapper(F("cleared_at") - F("created_at"), output_field=DurationField())
    return replies.filter(level__gt=Clearance.NONE, cleared_at__gte=period.start, cleared_at__lt=period.end).aggregate(
        cleared=Count("pk"), waited=Avg(waited)
    )


def summarize(
    *,
    conversations: QuerySet[Conversation],
    replies: QuerySet[Reply],
    deliveries: QuerySet[Delivery],
    period: Period,
) -> Summary:
    """Five queries, whatever the scope's size."""
    return _summary(
        started=_started(conversations, period).aggregate(**_measures(period.end)),
        backlog=conversations.filter(status__in=CONVERSATION_ACTIVE).count(),
        clearance=_clearance(replies, period),
        answers=_answers(replies, period).count(),
        published=_published(deliveries, period).aggregate(messages=Count("message", distinct=True))["messages"],
    )


def _summary(
    *, started: dict[str, Any], backlog: int, clearance: dict[str, Any], answers: int, published: int
) -> Summary:
    waited = clearance["waited"]
    return Summary(
        conversations=started["conversations"],
        answered=started["answered"],
        closed=started["closed"],
        on_time_share=_share(started["on_time"], started["decided"]),
        minutes_to_answer=_average_minutes(started),
        clearance_minutes=_minutes(waited.total_seconds() if waited is not None else None),
        cleared=clearance["cleared"],
        answers=answers,
        published=published,
        ratio=_ratio(answers, published),
        backlog=backlog,
    )


def dialogue_summary(*, user, period: Period) -> Summary:
    """The user's scope: their missions for an officer, every mission for the press office."""
    conversations, replies, deliveries = _scoped(user)
    return summarize(conversations=conversations, replies=replies, deliveries=deliveries, period=period)


def mission_summary(*, mission: Mission, period: Period) -> Summary:
    """One mission's (the weekly report's section per mission)."""
    return summarize(
        conversations=Conversation.objects.on_desk().filter(mission=mission),
        replies=Reply.objects.on_desk().filter(mission=mission),
        deliveries=Delivery.objects.filter(account__mission=mission),
        period=period,
    )


def summary_table(summary: Summary, *, key: str = "dialogue") -> Table:
    """The figures as a table of two columns: the weekly report's dialogue section."""
    table = Table(key, _("The dialogue with the public"), [_("Measure"), _("Value")])
    table.rows = [
        [_("Conversations started"), summary.conversations],
        [_("Answered"), summary.answered],
        [_("Closed without reply"), summary.closed],
        [_("Answered within the service time (%)"), summary.on_time_share],
        [_("Average time to first answer (minutes)"), summary.minutes_to_answer],
        [_("Average clearance time (minutes)"), summary.clearance_minutes],
        [_("Answers sent"), summary.answers],
        [_("Messages published"), summary.published],
        [_("Answers per message published"), summary.ratio],
        [_("Conversations still to do"), summary.backlog],
    ]
    return table


# --- The page's tables --------------------------------------------------------------------


def _volume_columns(first: str) -> list[str]:
    return [
        first,
        _("Conversations"),
        _("Answered"),
        _("Closed without reply"),
        _("Answered within the service time (%)"),
        _("Average time to first answer (minutes)"),
    ]


def _volume_table(key: str, caption: str, first: str, rows: Iterable[tuple[str, dict[str, Any]]]) -> Table:
    table = Table(key, caption, _volume_columns(first))
    for label, row in rows:
        table.rows.append(
            [
                label,
                row["conversations"],
                row["answered"],
                row["closed"],
                _share(row["on_time"], row["decided"]),
                _average_minutes(row),
            ]
        )
    return table


def _grouped(started: QuerySet[Conversation], field: str, now: datetime) -> dict[str, dict[str, Any]]:
    return {row[field]: row for row in started.values(field).annotate(**_measures(now)).order_by(field)}


def backlog_by_age(conversations: QuerySet[Conversation], *, now: datetime) -> Table:
    """One query: the conversations still to do, by the time since they started."""
    bounds = [now - timedelta(hours=hours) for hours in AGE_BUCKETS]
    active = conversations.filter(status__in=CONVERSATION_ACTIVE)
    counts: dict[str, Any] = {}
    newer = None
    for index, bound in enumerate(bounds):
        within = Q(created_at__gte=bound) if newer is None else Q(created_at__gte=bound, created_at__lt=newer)
        counts[f"b{index}"] = Count("pk", filter=within)
        counts[f"o{index}"] = Count("pk", filter=within & Q(due_at__lt=now))
        newer = bound
    counts["rest"] = Count("pk", filter=Q(created_at__lt=newer))
    counts["rest_overdue"] = Count("pk", filter=Q(created_at__lt=newer, due_at__lt=now))
    numbers = active.aggregate(**counts)
    labels = [
        _("Less than an hour"),
        _("1 to 4 hours"),
        _("4 to 24 hours"),
        _("1 to 3 days"),
        _("3 to 7 days"),
        _("More than 7 days"),
    ]
    table = Table("backlog", _("Backlog by age"), [_("Started"), _("Still to do"), _("Past their due time")])
    for index, label in enumerate(labels[:-1]):
        table.rows.append([label, numbers[f"b{index}"], numbers[f"o{index}"]])
    table.rows.append([labels[-1], numbers["rest"], numbers["rest_overdue"]])
    return table


def per_day(started: QuerySet[Conversation], period: Period) -> Table:
    """One query: each day's conversations started and, of them, answered, by headquarters'
    calendar (the network's day is everyone's)."""
    zone = ZoneInfo(settings.HEADQUARTERS_TIME_ZONE)
    counts = {
        row["day"]: row
        for row in started.annotate(day=TruncDate("created_at", tzinfo=zone))
        .values("day")
        .annotate(conversations=Count("pk"), answered=Count("pk", filter=Q(first_answered_at__isnull=False)))
        .order_by("day")
    }
    first: date = period.start.astimezone(zone).date()
    last: date = period.end.astimezone(zone).date()
    table = Table("days", _("Per day"), [_("Day"), _("Conversations started"), _("Answered")])
    day = first
    while day <= last:
        row = counts.get(day) or {}
        table.rows.append([day, row.get("conversations", 0), row.get("answered", 0)])
        day += timedelta(days=1)
    return table


def dialogue(*, user, period: Period) -> dict[str, Any]:
    """The dialogue page: the summary, then its tables (each also a CSV) and their charts.
    A fixed number of queries (tests/analytics/test_dialogue.py pins it)."""
    conversations, replies, deliveries = _scoped(user)
    now = period.end
    started = _started(conversations, period)
    missions = {mission.pk: mission for mission in policy.scope(user, Mission.objects.all(), mission_field="")}
    networks = dict(Network.choices)
    categories = dict(Category.choices)
    regions = dict(Mission.Region.choices)

    by_mission_rows = _grouped(started, "mission_id", now)
    by_mission = _volume_table(
        "missions",
        _("By mission"),
        _("Mission"),
        sorted(
            ((missions[pk].display_name if pk in missions else str(pk), row) for pk, row in by_mission_rows.items()),
            key=lambda pair: pair[0],
        ),
    )
    by_network = _volume_table(
        "networks",
        _("By network"),
        _("Network"),
        ((str(networks.get(key, key)), row) for key, row in _grouped(started, "network", now).items()),
    )
    by_category = _volume_table(
        "categories",
        _("By category"),
        _("Category"),
        ((str(categories.get(key, key)), row) for key, row in _grouped(started, "category", now).items()),
    )
    by_language = _volume_table(
        "languages",
        _("By language"),
        _("Language"),
        (
            (f"{language_name(key)} ({key})" if key else _("Not recognised"), row)
            for key, row in _grouped(started, "language", now).items()
        ),
    )

    # The dialogue ratio: answers sent per message published, per mission and per region.
    answers_by_mission = dict(
        _answers(replies, period).values("mission_id").annotate(n=Count("pk")).values_list("mission_id", "n")
    )
    published = _published(deliveries, period)
    published_by_mission = dict(
        published.values("account__mission_id")
        .annotate(n=Count("message", distinct=True))
        .values_list("account__mission_id", "n")
    )
    published_by_region = dict(
        published.values("account__mission__region")
        .annotate(n=Count("message", distinct=True))
        .values_list("account__mission__region", "n")
    )
    answers_by_region: dict[str, int] = defaultdict(int)
    for pk, count in answers_by_mission.items():
        if pk in missions:
            answers_by_region[missions[pk].region] += count
    ratio_columns = [_("Answers sent"), _("Messages published"), _("Answers per message published")]
    ratio_missions = Table("ratio_missions", _("Dialogue ratio by mission"), [_("Mission"), *ratio_columns])
    for pk in sorted(
        set(answers_by_mission) | set(published_by_mission),
        key=lambda pk: missions[pk].display_name if pk in missions else "",
    ):
        if pk not in missions:
            continue
        answered, sent = answers_by_mission.get(pk, 0), published_by_mission.get(pk, 0)
        ratio_missions.rows.append([missions[pk].display_name, answered, sent, _ratio(answered, sent)])
        ratio_missions.links.append(missions[pk].code)
    ratio_regions = Table("ratio_regions", _("Dialogue ratio by region"), [_("Region"), *ratio_columns])
    for value, label in regions.items():
        answered, sent = answers_by_region.get(value, 0), published_by_region.get(value, 0)
        if answered or sent:
            ratio_regions.rows.append([str(label), answered, sent, _ratio(answered, sent)])

    backlog = backlog_by_age(conversations, now=now)
    days = per_day(started, period)
    # The page's figures are the sums of its tables': no scan of its own.
    totals = dict.fromkeys(_measures(now), 0)
    for row in by_mission_rows.values():
        for key in totals:
            totals[key] += row[key] or 0
    summary = _summary(
        started=totals,
        backlog=sum(row[1] for row in backlog.rows),
        clearance=_clearance(replies, period),
        answers=sum(answers_by_mission.values()),
        published=published.aggregate(messages=Count("message", distinct=True))["messages"],
    )
    return {
        "summary": summary,
        "period": period,
        "backlog": backlog,
        "by_mission": by_mission,
        "by_network": by_network,
        "by_category": by_category,
        "by_language": by_language,
        "ratio_missions": ratio_missions,
        "ratio_regions": ratio_regions,
        "backlog_chart": _chart(backlog, [1, 2]),
        "networks_chart": _chart(by_network, [1, 2]),
        "categories_chart": _chart(by_category, [4]),
        "ratio_chart": _chart(ratio_regions, [3]),
        "days": days,
        "days_chart": {**_chart(days, [1, 2]), "labels": [row[0].isoformat() for row in days.rows]},
    }


def _chart(table: Table, columns: list[int]) -> dict[str, Any]:
    """A chart's data from a table's first column and some of its numbers (None: unknown)."""
    return {
        "labels": [str(row[0]) for row in table.rows],
        "datasets": [
            {"label": str(table.columns[column]), "data": [row[column] for row in table.rows]} for column in columns
        ],
    }
