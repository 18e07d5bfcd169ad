"""How long ago, in words: never "0 minutes"."""

from datetime import timedelta

from django.template import Context, Template
from django.utils import timezone, translation


def _render(seconds: float, language: str = "en") -> str:
    now = timezone.now()
    template = Template("{% load time_words %}{{ then|since:now }}")
    with translation.override(language):
        return template.render(Context({"then": now - timedelta(seconds=seconds), "now": now}))


def test_under_a_minute_is_less_than_a_minute_not_zero_minutes():
    assert _render(5) == "less than a minute"
    assert _render(5, "fr") == "moins d’une minute"


def test_longer_times_are_djangos_own_words_and_plurals():
    assert _render(60) == "1\xa0minute"
    assert _render(3 * 3600 + 120) == "3\xa0hours, 2\xa0minutes"
