"""Machine translation as configured: the provider named by TRANSLATION_URL (none when it is
empty, and then nothing offers to translate), its results cached per (text, source, target).

    if translation.enabled(): translated = translation.translate(text, source="ar", target="fr")

`translate` raises TranslationError (its code worded in channels.problems) and never
anything else; the provider's name travels with each result, so that every translation is
shown labelled with the machine that made it.
"""

from __future__ import annotations

import hashlib

from django.conf import settings
from django.core.cache import cache

from channels.adapters.base import Said
from channels.adapters.translation import LibreTranslateClient, Translated, TranslationError

__all__ = ["Translated", "TranslationError", "enabled", "provider", "provider_name", "same_language", "translate"]

CACHE_SECONDS = 7 * 24 * 3600
TEXT_MAX = 5_000  # LibreTranslate's default character limit


def provider() -> LibreTranslateClient | None:
    url = (settings.TRANSLATION_URL or "").strip()
    if not url:
        return None
    return LibreTranslateClient(
        url=url,
        provider=provider_name(),
        api_key=settings.TRANSLATION_API_KEY,
        timeout=settings.TRANSLATION_TIMEOUT,
    )


def enabled() -> bool:
    return bool((settings.TRANSLATION_URL or "").strip())


def provider_name() -> str:
    return (settings.TRANSLATION_PROVIDER_NAME or "").strip() or "LibreTranslate"


def same_language(a: str, b: str) -> bool:
    """ "fr" and "fr-CA" are one language for translating."""
    return bool(a) and bool(b) and a.split("-")[0].lower() == b.split("-")[0].lower()


def _key(client: LibreTranslateClient, text: str, source: str, target: str) -> str:
    digest = hashlib.sha256(text.encode("utf-8")).hexdigest()
    where = hashlib.sha256(f"{client.url}|{client.provider}".encode()).hexdigest()[:16]
    return f"translation:{where}:{digest}:{source}:{target}"


def translate(text: str, *, source: str, target: str) -> Translated:
    """`text` from `source` ("" or "auto": let the provider tell) into `target`, from the
    cache when the same text was translated the same way before."""
    client = provider()
    if client is None:
        raise TranslationError(Said("Machine translation is not configured.", "translation.off"))
    if not text.strip():
        raise TranslationError(Said("Nothing to translate.", "translation.empty"))
    if len(text) > TEXT_MAX:
        raise TranslationError(Said("The text is too long to translate.", "translation.too_long", limit=TEXT_MAX))
    source = (source or "auto").lower()
    target = target.lower()
    key = _key(client, text, source, target)
    kept = cache.get(key)
    if isinstance(kept, dict):
        return Translated(**kept)
    translated = client.translate(text, source=source, target=target)
    cache.set(key, translated.__dict__, CACHE_SECONDS)
    return translated
