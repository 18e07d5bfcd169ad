"""Names of missions, countries and cities in the reader's language, and the order a reader
expects them in: pycountry's gettext catalogues for countries, with the names people use
where ISO's are official forms ("Congo, The Democratic Republic of the")."""

from __future__ import annotations

import gettext
import re
import unicodedata
from collections.abc import Iterable
from functools import cache
from typing import TypeVar

import pycountry
from django.conf.locale import LANG_INFO
from django.utils import translation
from django.utils.translation import get_language

from embassies.missions_csv import read_missions

# Where ISO's name is an official or inverted form, the name a reader expects, per language.
COUNTRY_NAMES: dict[str, dict[str, str]] = {
    "BN": {"en": "Brunei", "fr": "Brunei"},
    "BY": {"en": "Belarus", "fr": "Biélorussie"},
    "CD": {"en": "Democratic Republic of the Congo", "fr": "République démocratique du Congo"},
    "CG": {"en": "Republic of the Congo", "fr": "Congo"},
    "GQ": {"en": "Equatorial Guinea", "fr": "Guinée équatoriale"},
    "PS": {"en": "Palestinian Territories", "fr": "Territoires palestiniens"},
    "RU": {"en": "Russia", "fr": "Russie"},
    "SR": {"en": "Suriname", "fr": "Suriname"},
    "SV": {"en": "El Salvador", "fr": "Salvador"},
    "VA": {"en": "Holy See", "fr": "Saint-Siège"},
    "VE": {"en": "Venezuela", "fr": "Venezuela"},
    "VN": {"en": "Vietnam", "fr": "Viêt Nam"},
    # Not assigned by ISO 3166-1, so in no catalogue.
    "XK": {"en": "Kosovo", "fr": "Kosovo"},
}

# Words a sort ignores, so that "Ambassade de France au Brésil" sorts beside "Ambassade de
# France en Bolivie" and "Embassy of France in the Netherlands" under N.
# Matched after accents are folded: "à" is "a" then, "près" "pres".
_SORT_IGNORED = re.compile(r"\b(?:a|au|aux|en|de|du|des|d|la|le|les|l|pres|aupres|of|in|the|to)\b")


def reader_language(language: str | None = None) -> str:
    """The base language (`fr`, `en`) of `language`, or of the request's active language."""
    return (language or get_language() or "en").split("-")[0].lower()


def in_reader_language(english: str, french: str, *, language: str | None = None) -> str:
    """`french` for a French reader when there is one, else `english`."""
    return french if french and reader_language(language) == "fr" else english


@cache
def _catalogue(language: str) -> gettext.NullTranslations:
    return gettext.translation("iso3166-1", pycountry.LOCALES_DIR, languages=[language], fallback=True)


def country_name(code: str, language: str | None = None) -> str:
    """The country's everyday name in the reader's language ("Égypte", "South Korea"), or the
    code itself when it is unknown."""
    return _country_name(code, reader_language(language))


@cache
def _country_name(code: str, language: str) -> str:
    if code in COUNTRY_NAMES:
        names = COUNTRY_NAMES[code]
        return names.get(language, names["en"])
    country = pycountry.countries.get(alpha_2=code)
    if country is None:
        return code
    english = getattr(country, "common_name", None) or country.name
    return english if language == "en" else _catalogue(language).gettext(english)


@cache
def _language_catalogue(language: str) -> gettext.NullTranslations:
    return gettext.translation("iso639-3", pycountry.LOCALES_DIR, languages=[language], fallback=True)


def language_name(code: str, language: str | None = None) -> str:
    """A language's name for the reader, as it reads inside a sentence: "Arabic" in English,
    "arabe" in French (where names of languages take no capital): Django's names first,
    then ISO 639's, else the code itself."""
    reader = reader_language(language)
    info = LANG_INFO.get(code)
    if info and "name" in info:
        with translation.override(reader):
            name = translation.gettext(info["name"])
    else:
        iso = pycountry.languages.get(alpha_2=code) if code else None
        name = _language_catalogue(reader).gettext(iso.name) if iso else (code or "?")
    return name[:1].lower() + name[1:] if reader == "fr" else name


def sort_key(name: str) -> str:
    """A key that sorts names as a reader expects: accents and case folded (É beside E, not
    after Z), and linking words ignored."""
    folded = "".join(char for char in unicodedata.normalize("NFKD", name.casefold()) if not unicodedata.combining(char))
    return " ".join(_SORT_IGNORED.sub(" ", folded.replace("'", " ")).split())


T = TypeVar("T")


def by_name(missions: Iterable[T]) -> list[T]:
    """Missions (or anything with a `display_name`) sorted by name in the reader's language."""
    return sorted(missions, key=lambda mission: sort_key(mission.display_name))


# --- The demo's sandbox accounts --------------------------------------------------------------
# The demo (seed_demo) gives each mission one sandbox account per network; the sandbox
# names them from the same rule, so that its pages show the account as the app does.

_DEMO_PREFIX = "dh-"


def demo_account_id(code: str, network: str) -> str:
    return f"{_DEMO_PREFIX}{code}-{network}"


def demo_handle(*, code: str, kind: str, city: str, country_code: str) -> str:
    """ "FranceinJapan" for an embassy, "FranceinNewYork" for a consulate, "FranceUNNairobi"
    for a delegation (del-<organisation>-<city>): letters and digits only, in English."""
    if kind == "embassy":
        prefix, place = "Francein", country_name(country_code, "en")
    elif kind == "consulate":
        prefix, place = "Francein", city
    else:
        prefix, place = "France" + code.split("-")[1].upper(), city
    ascii_place = unicodedata.normalize("NFKD", place).encode("ascii", "ignore").decode()
    words = re.split(r"[^0-9A-Za-z]+", ascii_place)
    return prefix + "".join(word[:1].upper() + word[1:] for word in words)


@cache
def _missions_by_code() -> dict[str, dict]:
    return {row["code"]: row for row in read_missions()}


def demo_account(network: str, account_id: str) -> tuple[str, str] | None:
    """(name, handle) of a demo account from its id ("dh-emb-jp-tokyo-twitter"), or None."""
    suffix = f"-{network}"
    if not (account_id.startswith(_DEMO_PREFIX) and account_id.endswith(suffix)):
        return None
    row = _missions_by_code().get(account_id[len(_DEMO_PREFIX) : -len(suffix)])
    if row is None:
        return None
    handle = demo_handle(code=row["code"], kind=row["kind"], city=row["city"], country_code=row["country_code"])
    return row["name"], handle
