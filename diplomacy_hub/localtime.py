"""Local times, in one place: headquarters' zone, the bound on every date people type, and
the fields that turn a wall-clock time in a named zone into an aware UTC datetime.

A time that does not exist in that zone on that day (the clocks go forward over it) or
that happens twice (they go back) is refused with a clear error, never guessed.
"""

from __future__ import annotations

import zoneinfo
from datetime import UTC, date, datetime, time
from typing import Any

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils import formats, timezone
from django.utils.translation import gettext, gettext_noop
from django.utils.translation import gettext_lazy as _

# Every date typed or asked for (fields, filters, the calendar) lies within these: far from
# the ends of Python's and the databases' calendars, so that a day on either side, in any
# zone, stays a date.
EARLIEST_DATE = date(2000, 1, 1)
LATEST_DATE = date(2099, 12, 31)

LOCAL_INPUT_FORMATS = ("%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%d %H:%M:%S")


def hq_zone() -> zoneinfo.ZoneInfo:
    return zoneinfo.ZoneInfo(settings.HEADQUARTERS_TIME_ZONE)


# Headquarters' city, named in the reader's language ("París", "باريس"); a mission's city
# comes from its own names (Mission.display_city).
_CITIES = {"Paris": gettext_noop("Paris")}


def zone_city(zone: zoneinfo.ZoneInfo | str) -> str:
    """ "Paris" for Europe/Paris, "New York" for America/New_York: how people name a zone."""
    city = str(zone).rsplit("/", 1)[-1].replace("_", " ")
    return gettext(_CITIES[city]) if city in _CITIES else city


def hq_place() -> str:
    return zone_city(hq_zone())


def zone_of(mission: Any) -> zoneinfo.ZoneInfo:
    """The zone a mission's times are typed in (its `zone`); headquarters' for none (a
    crisis alert)."""
    return mission.zone if mission is not None else hq_zone()


def place_of(mission: Any) -> str:
    """The mission's city in the reader's language ("Le Caire"); headquarters' for none."""
    return mission.display_city if mission is not None else hq_place()


def hq_context() -> dict[str, str]:
    """What templates need to show headquarters' time: {% timezone hq_zone %} ... {{ hq_place }}."""
    zone = hq_zone()
    return {"hq_zone": str(zone), "hq_place": zone_city(zone)}


# --- The bound on dates ------------------------------------------------------------------------


def check_date(day: date) -> date:
    """`day` if within the bound, else a ValidationError saying the bound."""
    if not EARLIEST_DATE <= day <= LATEST_DATE:
        raise ValidationError(
            _("Choose a date between %(earliest)s and %(latest)s."),
            code="out_of_range",
            params={"earliest": EARLIEST_DATE.isoformat(), "latest": LATEST_DATE.isoformat()},
        )
    return day


class BoundedDateField(forms.DateField):
    """A date (a <input type="date">) within EARLIEST_DATE and LATEST_DATE."""

    def __init__(self, **kwargs) -> None:
        kwargs.setdefault("widget", forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))
        super().__init__(**kwargs)
        self.widget.attrs.setdefault("min", EARLIEST_DATE.isoformat())
        self.widget.attrs.setdefault("max", LATEST_DATE.isoformat())

    def to_python(self, value):
        day = super().to_python(value)
        return None if day is None else check_date(day)


# --- Wall-clock times in a zone -----------------------------------------------------------------


def parse_local(value: Any) -> datetime | None:
    """A naive datetime from what a datetime-local input sends, or None if unreadable."""
    value = str(value or "").strip()
    for fmt in LOCAL_INPUT_FORMATS:
        try:
            return datetime.strptime(value, fmt)  # noqa: DTZ007 (naive on purpose: a wall-clock time)
        except ValueError:
            continue
    return None


def local_to_aware(naive: datetime, zone: zoneinfo.ZoneInfo, *, place: str) -> datetime:
    """The instant a wall-clock time in `zone` means, in UTC. Raises ValidationError when
    its date is out of the bound, when that time does not exist (the clocks go forward
    over it) or when it happens twice (they go back)."""
    check_date(naive.date())
    first = naive.replace(tzinfo=zone, fold=0)
    second = naive.replace(tzinfo=zone, fold=1)
    if first.utcoffset() != second.utcoffset():
        shown = formats.date_format(naive, "DATETIME_FORMAT")
        if first.astimezone(UTC).astimezone(zone).replace(tzinfo=None) != naive:
            raise ValidationError(
                _(
                    "%(time)s does not exist in %(place)s: the clocks go forward at that hour on that day. "
                    "Choose a time an hour later or earlier."
                ),
                code="nonexistent",
                params={"time": shown, "place": place},
            )
        raise ValidationError(
            _(
                "%(time)s happens twice in %(place)s: the clocks go back at that hour on that day. "
                "Choose a time outside that hour so that nobody has to guess which one you mean."
            ),
            code="ambiguous",
            params={"time": shown, "place": place},
        )
    return first.astimezone(UTC)


def day_start(day: date, zone: zoneinfo.ZoneInfo) -> datetime:
    """Midnight starting `day` in `zone`, aware (a day filter's edge)."""
    return datetime.combine(day, time.min, tzinfo=zone)


class LocalDateTimeInput(forms.DateTimeInput):
    input_type = "datetime-local"

    def __init__(self, attrs=None):
        super().__init__(attrs=attrs, format="%Y-%m-%dT%H:%M")


class LocalDateTimeField(forms.Field):
    """A time typed in `zone` (a datetime-local input), cleaned to an aware UTC datetime.
    Without a zone: headquarters'. `place` names the zone in errors ("Tokyo")."""

    widget = LocalDateTimeInput
    default_error_messages = {
        "invalid": _("Enter a date and a time, for example 2030-03-14 09:30."),
    }

    def __init__(self, *, zone: zoneinfo.ZoneInfo | None = None, place: str = "", **kwargs) -> None:
        self.zone = zone or hq_zone()
        self.place = place or zone_city(self.zone)
        super().__init__(**kwargs)
        self.widget.attrs.setdefault("min", f"{EARLIEST_DATE.isoformat()}T00:00")
        self.widget.attrs.setdefault("max", f"{LATEST_DATE.isoformat()}T23:59")

    def prepare_value(self, value):
        if isinstance(value, datetime):
            if timezone.is_aware(value):
                value = value.astimezone(self.zone).replace(tzinfo=None)
            return value.strftime("%Y-%m-%dT%H:%M")
        return value

    def to_python(self, value):
        if value in self.empty_values:
            return None
        if isinstance(value, datetime):
            if timezone.is_aware(value):
                check_date(value.astimezone(self.zone).date())
                return value
            return local_to_aware(value, self.zone, place=self.place)
        naive = parse_local(value)
        if naive is None:
            raise ValidationError(self.error_messages["invalid"], code="invalid")
        return local_to_aware(naive, self.zone, place=self.place)
