"""Whether a text is written in the language it is filed under, told offline with py3langid
(its model ships inside the package, read once per process at the first text; nothing is
downloaded at run time). The conversation desk tells the public's language with the same
library (conversations/language.py).

Only a clear case is said: a text long enough to judge, that the model is sure is in
another language, and in which it sees almost nothing of the language chosen. "Merci !" in
the English tab, or a French text full of English names, says nothing: the check warns
(a problem code that does not block), it never refuses.
"""

from __future__ import annotations

from collections import defaultdict

from diplomacy_hub.langid import DIALECTS, LANGUAGES, letters, model

# Languages the model cannot tell apart reliably: one is never said to "look like" the other.
CLOSE = [frozenset({"bs", "hr", "sr"}), frozenset({"ms", "id"}), frozenset({"no", "da"}), frozenset({"cs", "sk"})]
MIN_LETTERS = 20  # fewer letters than this (a short line, a hashtag) are too little to judge
SURE = 0.9  # the other language at least this likely
NOTHING_OF_IT = 0.02  # and the chosen one at most this likely


def warm() -> None:
    """Read the model now (about 2 s and 80 MB): the web process does it at boot
    (diplomacy_hub/wsgi.py), so that no request waits for it while holding the others of
    its worker behind the interpreter lock (an autosave stalled behind the first preview)."""
    model()


def _close(one: str, other: str) -> bool:
    return any(one in group and other in group for group in CLOSE)


def looks_like(text: str, language: str) -> str:
    """The ISO 639-1 code of the language `text` is clearly written in when that is not
    `language`; "" when it is in `language`, when it cannot be told, or when the model does
    not know `language`."""
    language = (language or "").split("-")[0].lower()
    if language not in LANGUAGES:
        return ""
    clean = letters(text)
    if sum(char.isalpha() for char in clean) < MIN_LETTERS:
        return ""
    likelihood: dict[str, float] = defaultdict(float)
    for code, probability in model().rank(clean):
        likelihood[DIALECTS.get(code, code)] += float(probability)
    first = max(likelihood, key=likelihood.__getitem__)
    if first == language or _close(first, language):
        return ""
    if likelihood[first] >= SURE and likelihood[language] <= NOTHING_OF_IT:
        return first
    return ""
