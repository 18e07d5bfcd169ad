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

from embassies.names import reader_language

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
    """The library's code for the reader's language where it names this country's holidays
    in it ("de", or a regional form such as "ar_EG"), else English, else None: the library's
    default, the country's own language."""
    supported = tuple(getattr(holiday_library.country_holidays(country_code), "supported_languages", ()) or ())
    regional = sorted(language for language in supported if language.startswith(f"{reader}_"))
    own_region = f"{reader}_{country_code.upper()}"
    wanted = (reader, own_region, *regional)
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


# The languages the data file names each day in, besides English.
OBSERVANCE_LANGUAGES = ("fr", "es", "de", "ar")


@dataclass(frozen=True)
class Observance:
    month: int
    day: int
    name_en: str
    names: tuple[tuple[str, str], ...] = ()  # (language, name) for OBSERVANCE_LANGUAGES

    @property
    def name(self) -> str:
        """Its name in the reader's language, else in English."""
        return dict(self.names).get(reader_language()) or self.name_en


@cache
def observances() -> tuple[Observance, ...]:
    with OBSERVANCES_FILE.open(encoding="utf-8") as handle:
        lines = [line for line in handle if not line.startswith("#")]
    return tuple(
        Observance(
            month=int(row["month"]),
            day=int(row["day"]),
            name_en=row["name_en"],
            names=tuple((language, row[f"name_{language}"]) for language in OBSERVANCE_LANGUAGES),
        )
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
