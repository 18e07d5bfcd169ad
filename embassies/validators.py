"""Validators for the codes a mission carries: IANA zones, ISO 3166-1 and ISO 639-1."""

import zoneinfo
from functools import cache

import pycountry
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

# Codes in common use that ISO 3166-1 has not assigned (yet).
USER_ASSIGNED_COUNTRY_CODES = {"XK": "Kosovo"}


@cache
def _time_zones() -> frozenset[str]:
    return frozenset(zoneinfo.available_timezones())


def validate_time_zone(value: str) -> None:
    if value not in _time_zones():
        raise ValidationError(
            _("“%(value)s” is not an IANA time zone (for example Europe/Paris)."),
            code="invalid_time_zone",
            params={"value": value},
        )


def validate_country_code(value: str) -> None:
    if value in USER_ASSIGNED_COUNTRY_CODES or pycountry.countries.get(alpha_2=value):
        return
    raise ValidationError(
        _("“%(value)s” is not an ISO 3166-1 alpha-2 country code (for example JP)."),
        code="invalid_country",
        params={"value": value},
    )


def is_language_code(value: str) -> bool:
    return isinstance(value, str) and len(value) == 2 and pycountry.languages.get(alpha_2=value) is not None


def validate_language_codes(value: list[str]) -> None:
    if not isinstance(value, list) or not value:
        raise ValidationError(_("List at least one publishing language."), code="no_language")
    unknown = [code for code in value if not is_language_code(code)]
    if unknown:
        raise ValidationError(
            _("Not ISO 639-1 language codes: %(codes)s."),
            code="invalid_language",
            params={"codes": ", ".join(map(str, unknown))},
        )
    if len(set(value)) != len(value):
        raise ValidationError(_("A language is listed twice."), code="duplicate_language")


def validate_read_languages(value: list[str]) -> None:
    """A person's languages: none yet is allowed; otherwise as a mission's."""
    if value == []:
        return
    validate_language_codes(value)
