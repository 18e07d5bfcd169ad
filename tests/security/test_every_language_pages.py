"""No English on the pages of a Spanish, German or Arabic reader: every page of the URLconf
a role may open, with the objects of the access matrix's world (a message in review, a
delivery, a pause, a crisis alert, a conversation...), read in each language. None may show
a sentence of the catalogue in English (a string left out of the catalogue, or a page that
words something itself), and each says its language and direction on <html>."""

from __future__ import annotations

import html
import re

import pytest

from tests.embassies.test_translations import CATALOGUES
from tests.security.test_access_matrix import APP_ROUTES, EXPECTED
from tests.security.urlconf import url_for

# The roles to read each page as, most privileged first (columns of the matrix).
READERS = (("admin", 5), ("press", 3), ("crisis", 4), ("officer_a", 1))
DIRECTION = {"fr": "ltr", "es": "ltr", "de": "ltr", "ar": "rtl"}
# Machine pages and pages that are not ours to word (the API's Swagger UI, for developers).
SKIPPED = {"healthz", "set_language", "logout", "api:docs"}


def _english(code: str) -> list[str]:
    """The catalogue's English sentences that read differently in `code`: a few words at
    least, so that a name shared by both ("Webhook", "OK") is not taken for a leak."""
    sentences = set()
    for entry in CATALOGUES[code]:
        for english, translated in ((entry.msgid, entry.msgstr.get(0, "")), (entry.msgid_plural, "")):
            text = re.sub(r"%\(\w+\)[sd]|%[sd]|<[^>]+>", "\0", english)
            for part in text.split("\0"):
                part = part.strip(" .,:;()“”")
                if len(part) >= 12 and part.count(" ") >= 2 and part not in translated:
                    sentences.add(part)
    return sorted(sentences, key=len, reverse=True)


def _visible_text(page: str) -> str:
    page = re.sub(r"<(script|style)\b.*?</\1>", " ", page, flags=re.DOTALL)
    page = re.sub(r"<[^>]+>", " ", page)
    return " ".join(html.unescape(page).split())


@pytest.mark.parametrize("code", ["fr", "es", "de", "ar"])
def test_no_page_shows_english_to_a_reader_of_another_language(world, code):
    english = _english(code)
    opened, leaks = 0, []
    for route in APP_ROUTES:
        if route.name in SKIPPED or route.name not in EXPECTED:
            continue
        reader = next((role for role, column in READERS if EXPECTED[route.name][0][column] == "A"), None)
        if reader is None:
            continue
        client = world.client(reader)
        client.cookies["django_language"] = code
        response = client.get(url_for(route, world))
        if response.status_code != 200 or "text/html" not in response.get("Content-Type", ""):
            continue
        page = response.content.decode()
        opened += 1
        if "<html" in page:
            assert f'<html lang="{code}" dir="{DIRECTION[code]}">' in page, route.name
        text = _visible_text(page)
        leaks += [f"{route.name}: {sentence!r}" for sentence in english if sentence in text]
    assert opened >= 30, opened
    assert not leaks, "\n".join(leaks)
