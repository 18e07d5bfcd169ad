"""What a reply's clearance is measured by: how much of a library line was changed, the
line's placeholders filled as plain text, and personal data that must not go out in public.
Pure functions: the rule itself is diplomacy_hub.policy.reply_clearance."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping

from diplomacy_hub.policy import LINE_EDIT_MAX

_PLACEHOLDER = re.compile(r"\{([a-z_]+)\}")
PLACEHOLDERS = ("mission", "city", "author")
# Beyond this length an edited line is not measured (about 0.1 s at 1,000 characters, growing
# with the square): a library answer is a few sentences.
EDIT_MEASURED_MAX = 2_000


def clean(text: str) -> str:
    return unicodedata.normalize("NFC", text).replace("\r\n", "\n").strip()


def unknown_placeholders(text: str) -> list[str]:
    """The placeholders in a line's text that we do not fill."""
    return sorted({name for name in _PLACEHOLDER.findall(text) if name not in PLACEHOLDERS})


def fill_line(text: str, values: Mapping[str, str]) -> str:
    """The line with {mission}, {city} and {author} put in as plain text (a value never
    becomes a placeholder itself: one pass, no format string)."""
    return _PLACEHOLDER.sub(lambda found: str(values.get(found[1], found[0])), text)


def edit_ratio(original: str, sent: str, *, limit: float = LINE_EDIT_MAX) -> float:
    """The Levenshtein distance between the two texts over the line's length, exact up to
    `limit`; above it, a value known only to exceed `limit` (Ukkonen's band: the work is
    the length times the band, not the square of the length)."""
    a, b = clean(original), clean(sent)
    if a == b:
        return 0.0
    base = max(len(a), 1)
    band = int(limit * base)
    over = min(1.0, (band + 1) / base)
    if abs(len(a) - len(b)) > band:
        return min(1.0, max(over, abs(len(a) - len(b)) / base))
    if max(len(a), len(b)) > EDIT_MEASURED_MAX:
        return 1.0  # too long to measure in a request: such a line goes verbatim or is cleared
    inf = band + 1
    previous = [j if j <= band else inf for j in range(len(b) + 1)]
    for i in range(1, len(a) + 1):
        low, high = max(1, i - band), min(len(b), i + band)
        current = [inf] * (len(b) + 1)
        current[0] = i if i <= band else inf
        best = current[0]
        char = a[i - 1]
        for j in range(low, high + 1):
            cost = 0 if char == b[j - 1] else 1
            value = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost)
            current[j] = value if value <= band else inf
            best = min(best, current[j])
        if best >= inf:
            return over
        previous = current
    distance = previous[len(b)]
    return over if distance >= inf else distance / base


# What looks like personal data, which a public reply must not carry: a passport number
# (two letters then seven digits, or nine digits beside the word), a phone number (eight
# digits or more, with the usual separators), an e-mail address, a street address.
_PERSONAL_DATA = (
    ("passport", re.compile(r"\b(?:[A-Z]{1,2}\d{6,8}|\d{2}[A-Z]{2}\d{5})\b")),
    ("phone", re.compile(r"(?<![\w/])\+?\d(?:[\s.\-()]*\d){7,14}(?!\w)")),
    ("email", re.compile(r"\b[\w.+-]+@[\w-]+\.[\w.-]+\b")),
    (
        "address",
        re.compile(
            r"\b\d{1,5},?\s+(?:rue|avenue|av\.|boulevard|bd|street|st\.|road|rd\.|calle|strasse|straße)\b",
            re.IGNORECASE,
        ),
    ),
)


def personal_data(text: str, *, allowed: str = "") -> list[str]:
    """The kinds of personal data the text seems to hold (passport, phone, email, address),
    leaving out what is already in `allowed` (the line as approved: its phone number is the
    consulate's)."""
    found = []
    for kind, pattern in _PERSONAL_DATA:
        approved = set(pattern.findall(allowed))
        if any(match not in approved for match in pattern.findall(text)):
            found.append(kind)
    return found
