"""The calendar: scheduled and published messages by week or month, in headquarters' time
or in each mission's own. The days are counted in SQL (posts/selectors/calendar.py): a
month shows each day's count by state and its first few messages, never every message."""

from __future__ import annotations

import calendar as calendar_module
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.utils import formats, timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET

from diplomacy_hub import policy
from diplomacy_hub.localtime import hq_zone, zone_city
from embassies.names import country_name
from globaltime import audience
from posts.forms import CalendarForm, week_start
from posts.models import Message
from posts.renderers import fast_renderer
from posts.selectors.calendar import CALENDAR_STATES, calendar_days
from posts.selectors.messages import calendar_missions, missions_for_filters
from posts.selectors.timing import diary
from posts.views.common import render_page

CALENDAR_DAY_ENTRIES = 3  # month view: past this many in one day, "and N more"
WEEK_DAY_ENTRIES = 25  # week view: the same, further
NOTES_PER_DAY = 4  # a day's holidays, international days, events and silences shown; then "and N more"


@dataclass
class CalendarEntry:
    message: Message
    moment: datetime  # aware, in the zone the reader asked for
    place: str
    state_label: str = ""  # (get_state_display() builds the choices' dict on each call)
    night: bool = False  # its mission's audience is asleep then (issue 18 §5)

    @property
    def iso(self) -> str:
        return self.moment.isoformat()

    @property
    def hour(self) -> str:
        return self.moment.strftime("%H:%M")


@dataclass
class CalendarDay:
    """One day of the grid, with its words and links ready: a month is 42 of them, and
    the template only places them."""

    day: date
    entries: list[CalendarEntry]
    total: int = 0
    counts: list[tuple[str, str, int]] = field(default_factory=list)  # (state, label, count)
    in_month: bool = True
    is_today: bool = False
    notes: list = field(default_factory=list)  # holidays, international days, events, silences
    week_url: str = ""  # this day's week
    label: str = ""  # "Week of Monday 26 October", for the date's link

    @property
    def shown(self) -> list[CalendarEntry]:
        return self.entries

    @property
    def more(self) -> int:
        return max(0, self.total - len(self.entries))

    @property
    def notes_shown(self) -> list:
        return self.notes[:NOTES_PER_DAY]

    @property
    def notes_more(self) -> int:
        return max(0, len(self.notes) - NOTES_PER_DAY)

    @property
    def more_words(self) -> str:
        return ngettext("and %(counter)s more", "and %(counter)s more", self.more) % {"counter": self.more}


@require_GET
def calendar(request: HttpRequest) -> HttpResponse:
    """Scheduled and published messages by week or month, in headquarters' time or in each
    mission's own; two queries for the messages, whatever their number."""
    user = request.user
    if not policy.roles_of(user):
        raise PermissionDenied
    zone = hq_zone()
    today = timezone.now().astimezone(zone).date()
    form = CalendarForm(request.GET.dict(), missions=missions_for_filters(user=user), today=today)
    form.renderer = fast_renderer
    chosen = form.values()
    anchor = chosen["date"]
    if chosen["view"] == CalendarForm.MONTH:
        first = anchor.replace(day=1)
        last = first.replace(day=calendar_module.monthrange(first.year, first.month)[1])
        start, end = week_start(first), week_start(last) + timedelta(days=6)
        previous, following = (first - timedelta(days=1)).replace(day=1), last + timedelta(days=1)
        per_day = CALENDAR_DAY_ENTRIES
    else:
        start = week_start(anchor)
        end = start + timedelta(days=6)
        first, last = start, end
        previous, following = start - timedelta(days=7), start + timedelta(days=7)
        per_day = WEEK_DAY_ENTRIES
    in_mission_time = chosen["tz"] == CalendarForm.MISSION
    found = calendar_days(
        user=user,
        start=start,
        end=end,
        zone_name=str(zone),
        in_mission_time=in_mission_time,
        region=chosen["region"] or None,
        mission=int(chosen["mission"]) if chosen["mission"] else None,
        per_day=per_day,
    )
    missions = calendar_missions(user=user, region=chosen["region"] or None, mission=chosen["mission"] or None)
    notes = diary(missions=missions, start=start, end=end, mission_ids=[m.pk for m in missions])
    shaded = missions[0] if chosen["mission"] and len(missions) == 1 else None
    labels = {state: str(label) for state, label in Message.State.choices}
    week_link = request.GET.copy()
    week_link["view"] = CalendarForm.WEEK
    days = []
    for day, messages in found.items():
        week_link["date"] = day.isoformat()
        entries = []
        for message in messages.first:
            own = in_mission_time and message.mission is not None
            entries.append(
                CalendarEntry(
                    message=message,
                    moment=message.moment.astimezone(message.mission.zone if own else zone),
                    place=message.mission.display_city if own else zone_city(zone),
                    state_label=labels[message.state],
                    night=message.mission is not None and not audience.is_awake(message.mission, message.moment),
                )
            )
        entries.sort(key=lambda entry: (entry.moment.time(), entry.message.pk))
        days.append(
            CalendarDay(
                day=day,
                entries=entries,
                total=messages.total,
                counts=[
                    (state, labels[state], messages.counts[state])
                    for state in CALENDAR_STATES
                    if messages.counts.get(state)
                ],
                in_month=first <= day <= last,
                is_today=day == today,
                week_url=f"?{week_link.urlencode()}",
                label=_("Week of %(day)s") % {"day": formats.date_format(day, "MONTH_DAY_FORMAT")},
                notes=notes.notes.get(day, []),
            )
        )
    return render_page(
        request,
        "posts/calendar.html",
        {
            "form": form,
            "chosen": chosen,
            "weeks": [days[index : index + 7] for index in range(0, len(days), 7)],
            "days": days,
            "start": start,
            "end": end,
            "first": first,
            "previous": previous.isoformat(),
            "following": following.isoformat(),
            "today": today,
            "total": sum(day.total for day in days),
            "in_mission_time": in_mission_time,
            "unknown_countries": [country_name(code) for code in notes.unknown_countries],
            "shaded": shaded,
            "night_rects": [(start, end - start) for start, end in audience.night_hours(shaded)] if shaded else [],
        },
    )
