"""The compose page drafts one language's text by machine translation (the sandbox's
translator, over HTTP) from another language already written: shown for the officer to
check, never saved by itself; problems beside the field; no provider, no button."""

from __future__ import annotations

import html

import pytest
import requests
from django.core.cache import cache
from django.urls import reverse

from channels.sandbox.translate import PHRASES
from posts.models import Message
from tests.posts.factories import account

pytestmark = pytest.mark.django_db

HOURS = PHRASES[6]  # the embassy's opening hours in the five languages


@pytest.fixture
def translator(settings, sandbox_url):
    settings.TRANSLATION_URL = f"{sandbox_url}/translate"
    settings.TRANSLATION_PROVIDER_NAME = "Sandbox translator"
    settings.TRANSLATION_TIMEOUT = 2.0
    cache.clear()
    yield sandbox_url
    cache.clear()


def compose(mission, targets=(), **fields) -> dict:
    data = {"mission": mission.pk, "title": "Opening hours", "version": "", "targets": [t.pk for t in targets]}
    data.update(fields)
    return data


def test_an_empty_tab_is_drafted_from_the_text_written_and_nothing_is_saved(translator, login, author, cairo):
    page = login(author).get(reverse("posts:message_create") + f"?mission={cairo.pk}").text
    assert 'value="translate:ar"' in page
    response = login(author).post(
        reverse("posts:message_create") + f"?mission={cairo.pk}",
        compose(cairo, [account(cairo)], text_fr=HOURS["fr"], text_ar="", action="translate:ar"),
    )
    assert response.status_code == 200
    text = html.unescape(response.text)
    arabic = text[text.index('id="id_text_ar"') :][:600]
    assert HOURS["ar"] in arabic
    assert "Sandbox translator" in text
    assert HOURS["fr"] in text  # the French stays as typed
    assert not Message.objects.exists()


def test_the_drafting_button_reads_in_french(translator, login, author, cairo):
    client = login(author)
    client.cookies["django_language"] = "fr"
    page = client.get(reverse("posts:message_create") + f"?mission={cairo.pk}").text
    assert "Rédiger ce texte par traduction automatique" in page
    assert "Draft this text by machine translation" not in page
    assert 'value="translate:fr"' in page


def test_nothing_written_yet_or_a_failing_provider_is_said_beside_the_field(translator, login, author, cairo):
    url = reverse("posts:message_create") + f"?mission={cairo.pk}"
    empty = login(author).post(url, compose(cairo, action="translate:ar"))
    assert empty.status_code == 400
    said = html.unescape(empty.text)
    assert "Write the text in another of the mission's languages first." in said[said.index('id="id_text_ar_error"') :]

    answer = requests.post(f"{translator}/_sandbox/faults", json={"network": "translate", "error_rate": 1}, timeout=5)
    assert answer.status_code == 201
    failed = login(author).post(url, compose(cairo, text_en=HOURS["en"], action="translate:ar"))
    assert failed.status_code == 400
    said = html.unescape(failed.text)
    assert "Sandbox translator failed (HTTP 500)" in said[said.index('id="id_text_ar_error"') :]
    assert not Message.objects.exists()


def test_no_provider_no_button(settings, login, author, cairo):
    settings.TRANSLATION_URL = ""
    page = login(author).get(reverse("posts:message_create") + f"?mission={cairo.pk}").text
    assert "translate:" not in page
