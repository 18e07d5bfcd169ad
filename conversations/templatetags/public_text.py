"""Showing what a stranger wrote: escaped as always, and its invisible controls made inert.

Autoescaping neutralises markup; this filter also turns control characters and the
bidirectional overrides and isolates (which can reorder the words around them on the page)
into visible, harmless marks such as ⟨U+202E⟩. Templates put the text in an element of its
own with dir="auto", so right-to-left text never spills over the page."""

from __future__ import annotations

import re

from django import template

register = template.Library()

# C0 and C1 controls except tab and newline; the bidi embeddings, overrides, isolates and
# marks; zero-width characters used to hide or join words; the byte-order mark.
_INVISIBLE = re.compile(
    "[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff\ufff9-\ufffb]"
)


def make_inert(value: object) -> str:
    text = "" if value is None else str(value)
    return _INVISIBLE.sub(lambda match: f"⟨U+{ord(match.group()):04X}⟩", text)


@register.filter
def inert(value: object) -> str:
    """The text with its invisible controls shown; the result is still escaped."""
    return make_inert(value)


@register.filter
def web_link(value: object) -> str:
    """The address if it is a plain http(s) link, else "": a `javascript:` or `data:` address
    from a payload must never become a link."""
    text = "" if value is None else str(value).strip()
    return text if re.match(r"https?://[^\s<>\"']+\Z", text, flags=re.IGNORECASE) else ""
