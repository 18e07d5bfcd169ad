"""Writes of the language each person reads the app in (security.models.LanguagePreference):
what they are mailed is written in it."""

from __future__ import annotations

from typing import Any

from django.conf import settings

from security.models import LanguagePreference


def supported_language(language: str | None) -> str | None:
    """`language` if the app speaks it ("fr-ca" counts as "fr"), else None."""
    if not language:
        return None
    known = {code for code, _name in settings.LANGUAGES}
    for candidate in (language.lower(), language.lower().split("-")[0]):
        if candidate in known:
            return candidate
    return None


def language_remember(*, user: Any, language: str | None) -> bool:
    """Keep `language` as the one `user` reads the app in (a language the app does not speak
    changes nothing). True if it changed. One write at most, and none when it is the same."""
    language = supported_language(language)
    if language is None or not getattr(user, "pk", None):
        return False
    changed = LanguagePreference.objects.filter(user_id=user.pk).exclude(language=language).update(language=language)
    if changed:
        return True
    _preference, created = LanguagePreference.objects.get_or_create(user_id=user.pk, defaults={"language": language})
    return created
