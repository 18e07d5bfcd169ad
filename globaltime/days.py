"""The days a calendar knows without anyone typing them: each host country's public
holidays and national day (the `holidays` library), and the United Nations' international
days (data/un_observances.csv, with its source).

A country the library does not cover is said to be unknown (`None`), never an empty year.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from datetime import date
from functools import cache, lru_cache
from pathlib import Path

import holidays as holiday_library

from embassies.names import in_reader_language, reader_language

OBSERVANCES_FILE = Path(__file__).with_name("data") / "un_observances.csv"
OBSERVANCES_SOURCE = "https://www.un.org/en/observances/list-days-weeks"
# How the library names a national day, in English: the holiday that is one.
NATIONAL_DAY_WORDS = ("national day", "independence day")


@dataclass(frozen=True)
class Holiday:
    day: date
    name: str
    national: bool  # the country's national (or independence) day


@cache
def covered_countries() -> frozenset[str]:
    return frozenset(holiday_library.list_supported_countries())


def is_covered(country_code: str) -> bool:
    return country_code.upper() in covered_countries()


@lru_cache(maxsize=2048)
def _year(country_code: str, year: int, reader: str) -> tuple[Holiday, ...]:
    # Whether it is the national day is read from its English name, whatever the reader's.
    english = holiday_library.country_holidays(country_code, years=year, language=_language(country_code, "en"))
    named = holiday_library.country_holidays(country_code, years=year, language=_language(country_code, reader))
    return tuple(
        Holiday(
            day=day,
            name=str(named.get(day, name)),
            national=any(word in str(name).lower() for word in NATIONAL_DAY_WORDS),
        )
        for day, name in sorted(english.items())
    )


@cache
def _language(country_code: str, reader: str) -> str | None:
    """The reader's language where the library has it, else English, else the library's
    default (the country's own language)."""
    supported = getattr(holiday_library.country_holidays(country_code), "supported_languages", ()) or ()
    wanted = ("fr", "fr_FR") if reader == "fr" else ()
    return next((language for language in (*wanted, "en_US", "en_GB", "en") if language in supported), None)


def public_holidays(country_code: str, start: date, end: date) -> list[Holiday] | None:
    """The country's public holidays in [start, end]; None when the library does not cover
    the country (unknown: not "no holiday")."""
    code = country_code.upper()
    if not is_covered(code):
        return None
    return [
        holiday
        for year in range(start.year, end.year + 1)
        for holiday in _year(code, year, reader_language())
        if start <= holiday.day <= end
    ]


@dataclass(frozen=True)
class Observance:
    month: int
    day: int
    name_en: str
    name_fr: str

    @property
    def name(self) -> str:
        return in_reader_language(self.name_en, self.name_fr)


@cache
def observances() -> tuple[Observance, ...]:
    with OBSERVANCES_FILE.open(encoding="utf-8") as handle:
        lines = [line for line in handle if not line.startswith("#")]
    return tuple(
        Observance(month=int(row["month"]), day=int(row["day"]), name_en=row["name_en"], name_fr=row["name_fr"])
        for row in csv.DictReader(lines)
    )


def observances_between(start: date, end: date) -> list[tuple[date, Observance]]:
    found = []
    for year in range(start.year, end.year + 1):
        for observance in observances():
            day = date(year, observance.month, observance.day)
            if start <= day <= end:
                found.append((day, observance))
    return sorted(found, key=lambda pair: pair[0])
