"""The calendar's reads: how many messages go out each day, by state, and the first few of
each day, counted and cut in SQL. Two queries whatever the number of messages: a busy
month (thousands of messages) loads a few hundred rows, never every message.

A day is a day where the reader asked for the times: at headquarters, or in each
mission's own zone (a crisis alert, which has no mission, in headquarters' zone).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from django.db import models
from django.db.models import Case, Count, F, Func, Q, Value, When, Window
from django.db.models.functions import Coalesce, RowNumber

from posts.lifecycle import MESSAGE_PUBLISHABLE, MESSAGE_WITH_FAILURES
from posts.models import Message
from posts.selectors.messages import goes_out_at, messages_filtered

# The calendar shows what was approved to go out, in the order of the states' choices.
CALENDAR_STATES = tuple(state for state in Message.State if state in MESSAGE_PUBLISHABLE)


class _InZone(Func):
    """A moment's wall-clock date or time in a zone given per row (an IANA name)."""

    arity = 2
    cast = ""  # "date" or "time"

    def as_postgresql(self, compiler, connection, **extra_context):
        return self.as_sql(
            compiler,
            connection,
            template=f"((%(expressions)s))::{self.cast}",
            arg_joiner=" AT TIME ZONE ",
            **extra_context,
        )

    def as_sqlite(self, compiler, connection, **extra_context):
        # Django's own SQLite function (the one TruncDate uses), with the zone as a column.
        sql, params = self.as_sql(
            compiler,
            connection,
            function=f"django_datetime_cast_{self.cast}",
            template="%(function)s(%(expressions)s, %%s)",
            **extra_context,
        )
        return sql, (*params, connection.timezone_name)


class LocalDate(_InZone):
    cast = "date"
    output_field = models.DateField()


class LocalTime(_InZone):
    cast = "time"
    output_field = models.TimeField()


@dataclass
class DayMessages:
    """One day: its messages counted by state, and the few chosen to be listed (failed
    ones first, then the earliest; in no particular order: the view sorts them by time)."""

    counts: dict[str, int] = field(default_factory=dict)
    first: list[Message] = field(default_factory=list)

    @property
    def total(self) -> int:
        return sum(self.counts.values())


def calendar_days(
    *,
    user,
    start: date,
    end: date,
    zone_name: str,
    in_mission_time: bool,
    region: str | None = None,
    mission: int | None = None,
    per_day: int,
) -> dict[date, DayMessages]:
    """{day: DayMessages} from `start` to `end` (inclusive), for the messages the user may
    see that are scheduled, going out or gone out: each day's messages counted by state,
    and `per_day` of them, chosen failed ones first, then by local time. Each chosen
    message carries `moment` (when it goes out, aware). Two queries: one pass over the
    range with window functions, then the chosen messages by id."""
    zone = Coalesce(F("mission__time_zone"), Value(zone_name)) if in_mission_time else Value(zone_name)
    messages = (
        messages_filtered(
            user=user,
            state=list(CALENDAR_STATES),
            region=region,
            mission=mission,
            date_from=start - timedelta(days=1),
            date_to=end + timedelta(days=1),
        )
        .annotate(local_day=LocalDate(goes_out_at(), zone))
        .filter(local_day__gte=start, local_day__lte=end)
    )
    days = {start + timedelta(days=offset): DayMessages() for offset in range((end - start).days + 1)}
    # One pass over the range: a row per message shown (the first `per_day` of its day,
    # failed ones first) and a row per day and state carrying that state's count.
    problems_first = Case(
        When(state__in=MESSAGE_WITH_FAILURES, then=Value(0)), default=Value(1), output_field=models.IntegerField()
    )
    rows = (
        messages.annotate(
            day_rank=Window(
                RowNumber(),
                partition_by=[F("local_day")],
                order_by=[problems_first, LocalTime(goes_out_at(), zone).asc(), F("pk").asc()],
            ),
            state_rank=Window(RowNumber(), partition_by=[F("local_day"), F("state")], order_by=[F("pk").asc()]),
            state_count=Window(Count("pk"), partition_by=[F("local_day"), F("state")]),
        )
        .filter(Q(day_rank__lte=per_day) | Q(state_rank=1))
        .order_by()
        .values_list("pk", "local_day", "state", "day_rank", "state_rank", "state_count")
    )
    shown: dict[int, date] = {}
    for pk, day, state, day_rank, state_rank, state_count in rows:
        if isinstance(day, datetime):  # defensive: a backend returning a timestamp
            day = day.date()
        if day not in days:
            continue
        if state_rank == 1:
            days[day].counts[state] = state_count
        if day_rank <= per_day:
            shown[pk] = day
    listed = (
        Message.objects.filter(pk__in=list(shown))
        .annotate(moment=goes_out_at())
        .select_related("mission")
        .only(
            "pk",
            "title",
            "state",
            "priority",
            "mission__code",
            "mission__name",
            "mission__name_fr",
            "mission__city",
            "mission__city_fr",
            "mission__time_zone",
            "mission__audience_wakes",
            "mission__audience_sleeps",
        )
    )
    for message in listed:
        days[shown[message.pk]].first.append(message)
    return days
