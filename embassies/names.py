"""Names of missions, countries and cities in the reader's language, and the order a reader
expects them in: pycountry's gettext catalogues for countries, with the names people use
where ISO's are official forms ("Congo, The Democratic Republic of the")."""

from __future__ import annotations

import gettext
import re
import unicodedata
from collections.abc import Iterable
from functools import cache, lru_cache
from typing import TypeVar

import pycountry
from django.conf.locale import LANG_INFO
from django.utils import translation
from django.utils.translation import get_language

from embassies.missions_csv import read_mission_names, read_missions

# Where ISO's name is an official or inverted form, the name a reader expects, per language.
COUNTRY_NAMES: dict[str, dict[str, str]] = {
    "BN": {"en": "Brunei", "fr": "Brunei", "es": "Brunéi", "de": "Brunei", "ar": "بروناي"},
    "BY": {"en": "Belarus", "fr": "Biélorussie", "es": "Bielorrusia", "de": "Belarus", "ar": "بيلاروس"},
    "CD": {
        "en": "Democratic Republic of the Congo",
        "fr": "République démocratique du Congo",
        "es": "República Democrática del Congo",
        "de": "Demokratische Republik Kongo",
        "ar": "جمهورية الكونغو الديمقراطية",
    },
    "CG": {
        "en": "Republic of the Congo",
        "fr": "Congo",
        "es": "República del Congo",
        "de": "Republik Kongo",
        "ar": "جمهورية الكونغو",
    },
    "GQ": {
        "en": "Equatorial Guinea",
        "fr": "Guinée équatoriale",
        "es": "Guinea Ecuatorial",
        "de": "Äquatorialguinea",
        "ar": "غينيا الاستوائية",
    },
    "PS": {
        "en": "Palestinian Territories",
        "fr": "Territoires palestiniens",
        "es": "Territorios Palestinos",
        "de": "Palästinensische Gebiete",
        "ar": "الأراضي الفلسطينية",
    },
    "RU": {"en": "Russia", "fr": "Russie", "es": "Rusia", "de": "Russland", "ar": "روسيا"},
    "SR": {"en": "Suriname", "fr": "Suriname", "es": "Surinam", "de": "Suriname", "ar": "سورينام"},
    "SV": {"en": "El Salvador", "fr": "Salvador", "es": "El Salvador", "de": "El Salvador", "ar": "السلفادور"},
    "VA": {"en": "Holy See", "fr": "Saint-Siège", "es": "Santa Sede", "de": "Heiliger Stuhl", "ar": "الكرسي الرسولي"},
    "VE": {"en": "Venezuela", "fr": "Venezuela", "es": "Venezuela", "de": "Venezuela", "ar": "فنزويلا"},
    "VN": {"en": "Vietnam", "fr": "Viêt Nam", "es": "Vietnam", "de": "Vietnam", "ar": "فيتنام"},
    # Where a catalogue keeps the official form, or lacks the name.
    "HU": {"en": "Hungary", "fr": "Hongrie", "es": "Hungría", "de": "Ungarn", "ar": "المجر"},
    "IR": {"en": "Iran", "fr": "Iran", "es": "Irán", "de": "Iran", "ar": "إيران"},
    "KM": {"en": "Comoros", "fr": "Comores", "es": "Comoras", "de": "Komoren", "ar": "جزر القمر"},
    "KR": {"en": "South Korea", "fr": "Corée du Sud", "es": "Corea del Sur", "de": "Südkorea", "ar": "كوريا الجنوبية"},
    "MD": {
        "en": "Moldova",
        "fr": "Moldavie",
        "es": "Moldavia",
        "de": "Moldau",
        "ar": "مولدوفا",
    },  # ar: not the Maldives
    "LA": {"en": "Laos", "fr": "Laos", "es": "Laos", "de": "Laos", "ar": "لاوس"},
    "SY": {"en": "Syria", "fr": "Syrie", "es": "Siria", "de": "Syrien", "ar": "سوريا"},
    "TR": {"en": "Türkiye", "fr": "Turquie", "es": "Turquía", "de": "Türkei", "ar": "تركيا"},
    # Not assigned by ISO 3166-1, so in no catalogue.
    "XK": {"en": "Kosovo", "fr": "Kosovo", "es": "Kosovo", "de": "Kosovo", "ar": "كوسوفو"},
}

# Words a sort ignores, so that "Ambassade de France au Brésil" sorts beside "Ambassade de
# France en Bolivie" and "Embassy of France in the Netherlands" under N.
# Matched after accents are folded: "à" is "a" then, "près" "pres".
_SORT_IGNORED = re.compile(r"\b(?:a|au|aux|en|de|du|des|d|la|le|les|l|pres|aupres|of|in|the|to)\b")


def reader_language(language: str | None = None) -> str:
    """The base language (`fr`, `en`) of `language`, or of the request's active language."""
    return (language or get_language() or "en").split("-")[0].lower()


# The languages whose mission names are in embassies/data/mission_names.csv.
OTHER_NAME_LANGUAGES = ("es", "de", "ar")


@cache
def _other_names() -> dict[str, dict[str, str]]:
    return read_mission_names()


def in_reader_language(
    english: str, french: str, *, code: str = "", field: str = "name", language: str | None = None
) -> str:
    """A mission's name (or city, `field="city"`) for the reader: `french` for a French
    reader, the data file's form for a Spanish, German or Arabic one (by the mission's
    `code`), else `english`, which also stands in for a name that is missing."""
    reader = reader_language(language)
    if reader == "fr":
        return french or english
    if code and reader in OTHER_NAME_LANGUAGES:
        return _other_names().get(code, {}).get(f"{field}_{reader}") or english
    return english


def codes_named(query: str) -> list[str]:
    """The codes of the missions whose Spanish, German or Arabic name or city contains
    `query` (the names the database does not hold), case and accents as typed."""
    folded = query.casefold()
    return [code for code, names in _other_names().items() if any(folded in name.casefold() for name in names.values())]


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
    "arabe" in French and "árabe" in Spanish (where names of languages take no capital): Django's names first,
    then ISO 639's, else the code itself."""
    reader = reader_language(language)
    info = LANG_INFO.get(code)
    if info and "name" in info:
        with translation.override(reader):
            name = translation.gettext(info["name"])
    else:
        iso = pycountry.languages.get(alpha_2=code) if code else None
        name = _language_catalogue(reader).gettext(iso.name) if iso else (code or "?")
    return name[:1].lower() + name[1:] if reader in ("fr", "es") else name


@lru_cache(maxsize=4096)  # a few languages' names of the 271 missions: sorted on every list page
def sort_key(name: str) -> str:
    """A key that sorts names as a reader expects: accents and case folded (É beside E, not
    after Z), and linking words ignored. Kept per process: the list pages sort the same 271
    names in each request."""
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
