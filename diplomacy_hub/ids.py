"""Ids and codes read from addresses and forms, parsed in one place.

A database id is a positive 64-bit integer written in ASCII digits; a code is a short slug.
Anything else (a word, a NUL byte, "²", 2**63) is not one, and reads as None: the caller
answers "not found" or says what is wrong, and no database ever sees it (SQLite cannot
bind an integer past 64 bits; PostgreSQL refuses a NUL byte in a string).
"""

from __future__ import annotations

import re
from collections.abc import Iterable

ID_MAX = 2**63 - 1  # a bigint's largest value, on PostgreSQL and SQLite alike
INT_MIN = -(2**63)
_DIGITS = re.compile(r"[0-9]{1,19}")
_INTEGER = re.compile(r"-?[0-9]{1,19}")
_SLUG = re.compile(r"[-a-zA-Z0-9_]{1,64}")


def parse_id(value: object) -> int | None:
    """The id `value` names (" 42 " → 42), or None when it names none."""
    text = str(value).strip() if isinstance(value, str | int) and not isinstance(value, bool) else ""
    if not _DIGITS.fullmatch(text):
        return None
    number = int(text)
    return number if 1 <= number <= ID_MAX else None


def parse_ids(values: str | Iterable[object], *, separator: str = ",") -> list[int] | None:
    """The ids of a list ("1,2,3", or several values), in order, without repeats; None if
    any part names no id (an empty part is skipped)."""
    parts = values.split(separator) if isinstance(values, str) else list(values)
    ids: list[int] = []
    for part in parts:
        if isinstance(part, str) and not part.strip():
            continue
        number = parse_id(part)
        if number is None:
            return None
        if number not in ids:
            ids.append(number)
    return ids


def parse_integer(value: object) -> int | None:
    """A 64-bit integer (negative allowed), or None."""
    text = str(value).strip() if isinstance(value, str | int) and not isinstance(value, bool) else ""
    if not _INTEGER.fullmatch(text):
        return None
    number = int(text)
    return number if INT_MIN <= number <= ID_MAX else None


def parse_slug(value: object) -> str | None:
    """A code (a mission's "emb-jp-tokyo"): letters, digits, hyphens and underscores, up
    to 64; or None."""
    text = str(value).strip() if isinstance(value, str) else ""
    return text if _SLUG.fullmatch(text) else None
