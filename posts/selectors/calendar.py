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
from django.db.models import Case, Count, F, Func, Value, When, Window
from django.db.models.functions import Coalesce, RowNumber

from posts.models import Message
from posts.selectors.messages import goes_out_at, messages_filtered

PROBLEM_STATES = (Message.State.FAILED, Message.State.PARTIALLY_PUBLISHED)
CALENDAR_STATES = (
    Message.State.SCHEDULED, Message.State.PUBLISHING, Message.State.PUBLISHED,
    Message.State.PARTIALLY_PUBLISHED, Message.State.FAILED,
)


class _InZone(Func):
    """A moment's wall-clock date or time in a zone given per row (an IANA name)."""

    arity = 2
    cast = ""  # "date" or "time"

    def as_postgresql(self, compiler, connection, **extra_context):
        return self.as_sql(compiler, connection, template=f"((%(expressions)s))::{self.cast}",
                           arg_joiner=" AT TIME ZONE ", **extra_context)

    def as_sqlite(self, compiler, connection, **extra_context):
        # Django's own SQLite function (the one TruncDate uses), with the zone as a column.
        sql, params = self.as_sql(compiler, connection, function=f"django_datetime_cast_{self.cast}",
                                  template="%(function)s(%(expressions)s, %%s)", **extra_context)
        return sql, (*params, connection.timezone_name)


class LocalDate(_InZone):
    cast = "date"
    output_field = models.DateField()


class LocalTime(_InZone):
    cast = "time"
    output_field = models.TimeField()


@dataclass
class DayMessages:
    """One day: its messages counted by state, and the first of them (by local time)."""

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
    and `per_day` of them, failed ones first, then by time (listed by time). Each listed
    message carries `moment` (when it goes out, aware) and `local_time`. Two queries."""
    zone = Coalesce(F("mission__time_zone"), Value(zone_name)) if in_mission_time else Value(zone_name)
    messages = messages_filtered(
        user=user, state=list(CALENDAR_STATES), region=region, mission=mission,
        date_from=start - timedelta(days=1), date_to=end + timedelta(days=1),
    ).annotate(local_day=LocalDate(goes_out_at(), zone)).filter(local_day__gte=start, local_day__lte=end)
    days = {start + timedelta(days=offset): DayMessages() for offset in range((end - start).days + 1)}
    for row in messages.order_by().values("local_day", "state").annotate(n=Count("pk")):
        day = row["local_day"]
        if isinstance(day, datetime):  # defensive: a backend returning a timestamp
            day = day.date()
        if day in days:
            days[day].counts[row["state"]] = row["n"]
    problems_first = Case(When(state__in=PROBLEM_STATES, then=Value(0)), default=Value(1),
                          output_field=models.IntegerField())
    first = (
        messages.annotate(
            moment=goes_out_at(),
            local_time=LocalTime(goes_out_at(), zone),
            rank=Window(RowNumber(), partition_by=[F("local_day")],
                        order_by=[problems_first, F("local_time").asc(), F("pk").asc()]),
        )
        .filter(rank__lte=per_day)
        .select_related("mission")
        .only("pk", "title", "state", "priority", "mission__name", "mission__city", "mission__time_zone")
        .order_by("local_day", "local_time", "pk")
    )
    for message in first:
        if message.local_day in days:
            days[message.local_day].first.append(message)
    return days
