"""Language detection, offline: the sandbox public's lines in eight languages, short texts
decided by the mission's languages, too little text left unknown, dialects as their
language, and no network call (the model ships inside the package)."""

from __future__ import annotations

import socket

import pytest

from channels.sandbox.public import LINES
from conversations.language import detect_language

SAMPLES = [
    (language, text.format(h="@embassy"))
    for language, categories in LINES.items()
    for texts in categories.values()
    for text in texts
]


def test_the_sandbox_publics_lines_are_told_apart_with_the_missions_languages_as_prior():
    wrong = [
        (language, detect_language(text, likely=[language, "en", "fr"]), text)
        for language, text in SAMPLES
        if detect_language(text, likely=[language, "en", "fr"]) != language
    ]
    # Two lines are too short to be sure of ("Позор вам" reads as Tajik); the rest are right.
    assert len(wrong) <= 2, wrong
    assert len(SAMPLES) >= 90


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("كيف أجدد جواز سفري لدى السفارة؟", "ar"),
        ("パスポートの更新はどうすればいいですか？", "ja"),
        ("Wann ist das Konsulat geöffnet?", "de"),
        ("¿Dónde está la embajada?", "es"),
        ("Where is the embassy, please?", "en"),
        ("Как продлить паспорт в посольстве?", "ru"),
        ("Quando abre a embaixada para vistos?", "pt"),
    ],
)
def test_a_clear_sentence_is_recognised_without_any_prior(text, expected):
    assert detect_language(text) == expected


def test_links_handles_and_numbers_alone_leave_the_language_unknown_or_the_networks_hint():
    assert detect_language("@embassy http://spam.example/win 1000 $ !!!") == ""
    assert detect_language("https://example.org 42", hint="fr") == "fr"
    assert detect_language("🙏🙏", hint="en-GB") == "en"
    assert detect_language("", hint="xx") == ""


def test_links_and_handles_do_not_turn_an_arabic_line_into_another_language():
    assert detect_language("اربح 1000 دولار الآن!!! http://spam.example/win @x", likely=["fr", "ar"]) == "ar"


def test_detection_opens_no_connection(monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError("language detection tried to reach the network")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    assert detect_language("Bonjour, le consulat est-il ouvert demain ?") == "fr"
