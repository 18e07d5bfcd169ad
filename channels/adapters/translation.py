"""A machine translation provider speaking LibreTranslate's HTTP API: `POST /translate` with
`q`, `source`, `target`, `format` and `api_key`, answered `{"translatedText": …}`; `GET
/languages`, answered `[{"code", "name", "targets"}]`. Plain data in and out, like the
network adapters: no settings, no models, no cache (channels.translation has those).

Every failure is a `TranslationError` carrying a code worded in channels.problems, so that
a page says it in the reader's language and never turns it into a server error.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import requests

from channels.adapters.base import AdapterError, Said

FORMAT = "text"  # the public's text is plain text: never ask for HTML back


@dataclass(frozen=True)
class Translated:
    text: str
    source: str  # the language translated from (the detected one when asked for "auto")
    target: str
    provider: str


class TranslationError(AdapterError):
    """The provider could not translate: `code` says why (channels.problems)."""


def _error(text: str, code: str, *, status_code: int | None = None, **params: Any) -> TranslationError:
    return TranslationError(Said(text, code, **params), status_code=status_code)


@dataclass(frozen=True)
class LibreTranslateClient:
    """One provider: its base URL (where `/translate` and `/languages` live), its key and
    the name shown beside its translations."""

    url: str
    provider: str
    api_key: str = ""
    timeout: float = 5.0

    def translate(self, text: str, *, source: str, target: str) -> Translated:
        payload = {"q": text, "source": source or "auto", "target": target, "format": FORMAT}
        if self.api_key:
            payload["api_key"] = self.api_key
        answer = self._call("POST", "/translate", json=payload)
        translated = answer.get("translatedText") if isinstance(answer, dict) else None
        if not isinstance(translated, str):
            raise _error(
                f"{self.provider} sent an answer without a translation.", "translation.unreadable", **self._p()
            )
        detected = answer.get("detectedLanguage") or {}
        found = detected.get("language") if isinstance(detected, dict) else None
        return Translated(
            text=translated,
            source=str(found or source),
            target=target,
            provider=self.provider,
        )

    def languages(self) -> dict[str, list[str]]:
        """Each language the provider translates from, with the languages it translates into."""
        answer = self._call("GET", "/languages", params={"api_key": self.api_key} if self.api_key else None)
        if not isinstance(answer, list):
            raise _error(
                f"{self.provider} sent a list of languages we could not read.", "translation.unreadable", **self._p()
            )
        return {
            str(entry["code"]): [str(code) for code in entry.get("targets", [])]
            for entry in answer
            if isinstance(entry, dict) and entry.get("code")
        }

    def _p(self) -> dict[str, str]:
        return {"provider": self.provider}

    def _call(self, method: str, path: str, **kwargs: Any) -> Any:
        try:
            response = requests.request(method, self.url.rstrip("/") + path, timeout=self.timeout, **kwargs)
        except requests.Timeout as exc:
            # Named by the exception's class only: its message holds the URL.
            raise _error(
                f"{self.provider} did not answer in time ({type(exc).__name__}).", "translation.timeout", **self._p()
            ) from None
        except requests.RequestException as exc:
            raise _error(
                f"{self.provider} could not be reached ({type(exc).__name__}).", "translation.unreachable", **self._p()
            ) from None
        status = response.status_code
        try:
            body = response.json()
        except ValueError:
            body = None
        said = str(body.get("error", ""))[:200] if isinstance(body, dict) else ""
        if status == 400 and "not supported" in said.lower():
            raise _error(
                f"{self.provider} refused the language pair: {said}",
                "translation.language_refused",
                status_code=status,
                **self._p(),
            )
        if status in (401, 403):
            raise _error(
                f"{self.provider} refused the API key: {said}",
                "translation.key_refused",
                status_code=status,
                **self._p(),
            )
        if status == 429:
            raise _error(
                f"{self.provider} asks us to slow down: {said}",
                "translation.rate_limited",
                status_code=status,
                **self._p(),
            )
        if status >= 400:
            raise _error(
                f"{self.provider} answered HTTP {status}: {said}",
                "translation.failed",
                status_code=status,
                status=status,
                **self._p(),
            )
        if body is None:
            raise _error(f"{self.provider} sent an answer we could not read.", "translation.unreadable", **self._p())
        return body
