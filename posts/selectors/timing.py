"""What a day or a moment means for a mission, in one place (issue 18 §2, §3, §5): host
countries' public holidays and national days, the UN's international days, the ministry's
commemorations and the missions' events, planned silences, and when the mission's audience
is awake. Read by the calendar, the compose page and the approve form."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from functools import lru_cache

from django.utils import formats, timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from diplomacy_hub.localtime import day_start, hq_zone
from embassies.models import Mission
from embassies.names import country_name
from globaltime import audience, days
from globaltime.selectors import occasions_between
from posts.models import PublishingPause
from posts.selectors.pauses import covers_mission, silences_between


@dataclass(frozen=True)
class Note:
    kind: str  # holiday | national | observance | commemoration | event | silence
    text: str


@dataclass
class Diary:
    """Notes per day, and the host countries whose holidays the library does not know."""

    notes: dict[date, list[Note]] = field(default_factory=dict)
    unknown_countries: list[str] = field(default_factory=list)


def _add(diary: Diary, day: date, note: Note) -> None:
    if day in diary.notes and note not in diary.notes[day]:
        diary.notes[day].append(note)


def _holiday_note(holiday: days.Holiday, code: str) -> Note:
    values = {"name": holiday.name, "country": country_name(code)}
    if holiday.national:
        return Note("national", _("National day in %(country)s: %(name)s") % values)
    return Note("holiday", _("Public holiday in %(country)s: %(name)s") % values)


def _silence_note(silence: PublishingPause, where: str) -> Note:
    return Note(
        "silence",
        _("%(kind)s: %(where)s (%(reason)s)")
        % {"kind": silence.get_kind_display(), "where": where, "reason": silence.reason},
    )


def diary(*, missions: Sequence[Mission], start: date, end: date, mission_ids: Iterable[int] | None) -> Diary:
    """The notes of each day from `start` to `end` for these missions' host countries and
    these missions (`mission_ids`: whose own events may be shown; None for all)."""
    countries = tuple(sorted({mission.country_code for mission in missions}))
    fixed, unknown = _fixed_notes(get_language(), countries, start, end)
    result = Diary(notes={day: list(notes) for day, notes in fixed.items()}, unknown_countries=list(unknown))
    for day, occasion in occasions_between(start=start, end=end, mission_ids=mission_ids):
        if occasion.mission is None:
            _add(result, day, Note("commemoration", occasion.title))
        elif occasion.mission in missions:
            _add(result, day, Note("event", f"{occasion.title} ({occasion.mission.display_city})"))
    _add_silences(result, missions=missions, start=start, end=end)
    return result


@lru_cache(maxsize=32)
def _fixed_notes(
    language: str | None, countries: tuple[str, ...], start: date, end: date
) -> tuple[dict[date, tuple[Note, ...]], tuple[str, ...]]:
    """The days' public holidays, national days and international days, which depend on the
    library and the data file alone: kept per process for each language, set of countries
    and range (a month of the press office's calendar held 2,000 notes, made on each request)."""
    found = Diary(notes={start + timedelta(days=n): [] for n in range((end - start).days + 1)})
    for code in countries:
        holidays = days.public_holidays(code, start, end)
        if holidays is None:
            found.unknown_countries.append(code)
            continue
        for holiday in holidays:
            _add(found, holiday.day, _holiday_note(holiday, code))
    for day, observance in days.observances_between(start, end):
        _add(found, day, Note("observance", observance.name))
    return {day: tuple(notes) for day, notes in found.notes.items()}, tuple(found.unknown_countries)


def _add_silences(result: Diary, *, missions: Sequence[Mission], start: date, end: date) -> None:
    zone = hq_zone()
    for silence in silences_between(start=day_start(start, zone), end=day_start(end + timedelta(days=1), zone)):
        if silence.kind == PublishingPause.Kind.PAUSE:
            continue
        covered = [mission for mission in missions if covers_mission(silence, mission)]
        if not covered:
            continue
        where = _where(silence, covered)
        first = max(start, silence.starts_at.astimezone(zone).date()) if silence.starts_at else start
        last = min(end, silence.ends_at.astimezone(zone).date()) if silence.ends_at else end
        day = first
        while day <= last:
            _add(result, day, _silence_note(silence, where))
            day += timedelta(days=1)


def _where(silence: PublishingPause, covered: Sequence[Mission]) -> str:
    if silence.scope == PublishingPause.Scope.COUNTRY:
        return country_name(silence.value)
    if silence.scope == PublishingPause.Scope.REGION:
        return str(Mission.Region(silence.value).label)
    return covered[0].display_name


# --- One mission at one moment (compose, approve) -----------------------------------------------


@dataclass
class MomentAdvice:
    notes: list[str]
    suggestion: audience.Suggestion
    asleep: bool


def moment_advice(*, mission: Mission, moment: datetime) -> MomentAdvice:
    """For a message of `mission` going out at `moment`: what that day is in its host
    country ("Friday is a public holiday in Egypt"), the silences in force then, and a
    time to suggest: the hour its audience engaged most, where analytics know it, else a time
    when it is awake."""
    local_day = moment.astimezone(mission.zone).date()
    weekday = formats.date_format(local_day, "l")
    words = []
    holidays = days.public_holidays(mission.country_code, local_day, local_day)
    country = country_name(mission.country_code)
    if holidays is None:
        words.append(_("Public holidays in %(country)s are unknown to the calendar.") % {"country": country})
    for holiday in holidays or []:
        template = (
            _("%(weekday)s is the national day of %(country)s (%(name)s).")
            if holiday.national
            else _("%(weekday)s is a public holiday in %(country)s (%(name)s).")
        )
        words.append(template % {"weekday": weekday, "country": country, "name": holiday.name})
    for _day, observance in days.observances_between(local_day, local_day):
        words.append(_("%(weekday)s: %(name)s.") % {"weekday": weekday, "name": observance.name})
    for _day, occasion in occasions_between(start=local_day, end=local_day, mission_ids=[mission.pk]):
        words.append(_("%(weekday)s: %(title)s.") % {"weekday": weekday, "title": occasion.title})
    for silence in silences_between(start=moment, end=moment + timedelta(seconds=1)):
        if silence.kind != PublishingPause.Kind.PAUSE and covers_mission(silence, mission):
            words.append(
                _("%(kind)s in force then (%(reason)s): the message would be held until a press officer releases it.")
                % {"kind": silence.get_kind_display(), "reason": silence.reason}
            )
    # One query where analytics know the mission's audience, none otherwise.
    suggestion = audience.suggest_time(mission, moment, audience.engaged_hour(mission, timezone.now()))
    return MomentAdvice(notes=words, suggestion=suggestion, asleep=not audience.is_awake(mission, moment))


def engaged_hour(*, mission: Mission) -> audience.EngagedHour | None:
    """The hour the mission's audience engaged most, where analytics know it (compose, before
    a time is chosen). One query."""
    return audience.engaged_hour(mission, timezone.now())


COMPOSE_DAYS_AHEAD = 14


def days_ahead(*, mission: Mission, today: date, count: int = COMPOSE_DAYS_AHEAD) -> list[tuple[date, list[Note]]]:
    """The next `count` days of the mission that have something to say (compose)."""
    found = diary(missions=[mission], start=today, end=today + timedelta(days=count - 1), mission_ids=[mission.pk])
    ahead = [(day, notes) for day, notes in found.notes.items() if notes]
    if found.unknown_countries:
        ahead.insert(
            0,
            (
                today,
                [
                    Note(
                        "unknown",
                        _("Public holidays in %(country)s are unknown to the calendar.")
                        % {"country": country_name(mission.country_code)},
                    )
                ],
            ),
        )
    return ahead
