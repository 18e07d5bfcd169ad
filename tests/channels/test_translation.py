"""Machine translation through the sandbox's LibreTranslate-compatible provider, over HTTP:
known phrases translated in the five languages, anything else marked as not translated,
results cached per (text, source, target), and every failure (off, timeout, 5xx, 429, a
refused language or key, nobody listening) a worded code, never an exception of another kind."""

from __future__ import annotations

import socket

import pytest
import requests
from django.core.cache import cache
from django.utils import translation as django_translation

from channels import translation
from channels.adapters.translation import LibreTranslateClient, TranslationError
from channels.problems import word_error
from channels.sandbox.translate import PHRASES

LANGUAGES = ("en", "fr", "es", "de", "ar")


@pytest.fixture
def translator(settings, sandbox_url):
    settings.TRANSLATION_URL = f"{sandbox_url}/translate"
    settings.TRANSLATION_PROVIDER_NAME = "Sandbox translator"
    settings.TRANSLATION_API_KEY = ""
    settings.TRANSLATION_TIMEOUT = 2.0
    cache.clear()
    yield sandbox_url
    cache.clear()


def fault(sandbox_url: str, **rule) -> None:
    answer = requests.post(f"{sandbox_url}/_sandbox/faults", json={"network": "translate", **rule}, timeout=5)
    assert answer.status_code == 201, answer.text


@pytest.mark.parametrize("source", LANGUAGES)
@pytest.mark.parametrize("target", LANGUAGES)
def test_a_known_phrase_is_translated_between_the_five_languages(translator, source, target):
    row = PHRASES[0]
    translated = translation.translate(row[source], source=source, target=target)
    assert translated.text == row[target]
    assert translated.provider == "Sandbox translator"
    assert (translated.source, translated.target) == (source, target)


def test_auto_detects_a_known_phrase_and_marks_what_it_cannot_translate(translator):
    translated = translation.translate("شكرا على رسالتك.", source="auto", target="fr")
    assert (translated.text, translated.source) == ("Merci pour votre message.", "ar")
    unknown = translation.translate("Le consulat est-il ouvert samedi ?", source="fr", target="ar")
    assert unknown.text == "[ar] Le consulat est-il ouvert samedi ?"


def test_results_are_cached_per_text_source_and_target(translator):
    first = translation.translate("How do I get a visa?", source="en", target="de")
    fault(translator, error_rate=1)  # the provider now fails: the cache answers
    assert translation.translate("How do I get a visa?", source="en", target="de") == first
    with pytest.raises(TranslationError) as failed:
        translation.translate("How do I get a visa?", source="en", target="es")
    assert failed.value.code == "translation.failed"


def test_off_when_no_url_is_set(settings):
    settings.TRANSLATION_URL = ""
    assert not translation.enabled()
    with pytest.raises(TranslationError) as failed:
        translation.translate("Hello", source="en", target="fr")
    assert failed.value.code == "translation.off"


@pytest.mark.parametrize(
    ("rule", "code"),
    [
        ({"error_rate": 1}, "translation.failed"),
        ({"rate_limit_rate": 1}, "translation.rate_limited"),
        ({"timeout_rate": 1, "hang_seconds": 5}, "translation.timeout"),
    ],
)
def test_a_failing_provider_is_a_worded_problem(translator, rule, code):
    fault(translator, **rule)
    with pytest.raises(TranslationError) as failed:
        translation.translate("Thank you for your message.", source="en", target="fr")
    assert failed.value.code == code
    with django_translation.override("fr"):
        worded = word_error(failed.value)
    assert "Sandbox translator" in worded
    assert worded != code


def test_a_refused_language_and_a_refused_key_are_worded(translator, settings):
    with pytest.raises(TranslationError) as refused:
        translation.translate("Hello", source="en", target="tlh")
    assert refused.value.code == "translation.language_refused"
    with django_translation.override("de"):
        assert "Sandbox translator" in word_error(refused.value)
    settings.TRANSLATION_API_KEY = "refused"
    with pytest.raises(TranslationError) as refused_key:
        translation.translate("Hello", source="en", target="fr")
    assert refused_key.value.code == "translation.key_refused"


def test_nobody_listening_is_unreachable():
    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))
        port = closed.getsockname()[1]
    client = LibreTranslateClient(url=f"http://127.0.0.1:{port}", provider="Nobody", timeout=1)
    with pytest.raises(TranslationError) as failed:
        client.translate("Hello", source="en", target="fr")
    assert failed.value.code == "translation.unreachable"
    assert str(port) not in failed.value.detail  # the URL stays out of what a page shows


def test_the_languages_are_listed(translator):
    assert translation.provider().languages()["ar"] == list(LANGUAGES)


def test_too_long_and_empty_texts_are_refused_before_any_call(translator):
    for text, code in (("   ", "translation.empty"), ("x" * (translation.TEXT_MAX + 1), "translation.too_long")):
        with pytest.raises(TranslationError) as refused:
            translation.translate(text, source="en", target="fr")
        assert refused.value.code == code
