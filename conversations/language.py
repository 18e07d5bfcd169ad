"""Which language the public wrote in, told offline: py3langid's model ships inside the
package and is read once per process (about 80 MB), nothing is downloaded at run time.

Why py3langid and not lingua: on the sandbox's short lines in eight languages both got 105
of 112 right, but lingua's accurate mode holds about 630 MB in the listen worker (its
low-accuracy mode, 50 MB, got 93), and py3langid classifies a line in about 30 µs.

Short texts are ambiguous ("Merci !", "Позор вам"), so the mission's own languages and the
network's hint (X's `lang`) are a prior: when the model is unsure, a likely language that
the mission speaks wins over a slightly likelier one it does not. Too little to go on
gives "" (unknown), never a guess.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterable

from py3langid.langid import MODEL_DIR, MODEL_FILE, LanguageIdentifier

# What the network's missions publish in (embassies/data/missions.csv) and py3langid
# knows; the model compares only these, which also makes it faster and surer.
LANGUAGES = frozenset(
    {
        *("af", "am", "ar", "az", "be", "bg", "bn", "bs", "ca", "cs", "da", "de", "el", "en", "es"),
        *("et", "fa", "fi", "fr", "ga", "he", "hi", "hr", "ht", "hu", "hy", "id", "is", "it", "ja"),
        *("ka", "kk", "km", "ko", "ku", "ky", "lb", "lo", "lt", "lv", "mg", "mk", "mn", "ms", "mt"),
        *("my", "ne", "nl", "no", "pl", "ps", "pt", "ro", "ru", "rw", "si", "sk", "sl", "sn", "sq"),
        *("sr", "sv", "sw", "ta", "tg", "th", "tk", "tl", "tr", "uk", "ur", "uz", "vi", "zh"),
    }
)
# The model's dialects and their ISO 639-1 language.
DIALECTS = {"arz": "ar", "ary": "ar"}
CONFIDENT = 0.8  # above this the model's first answer stands
PRIOR_FACTOR = 0.5  # a prior language wins if at least half as likely as the first answer
LEAST = 0.5  # below this, and no prior language close, the language is unknown
MIN_LETTERS = 2
# Links, handles, hashtags, digits and punctuation say nothing of the language.
_NOISE = re.compile(r"https?://\S+|www\.\S+|[@#]\w+|\d+|[^\w\s]", re.UNICODE)

_lock = threading.Lock()
_identifier: LanguageIdentifier | None = None


def _model() -> LanguageIdentifier:
    """The model, read at the first text (the web and listen processes read text; the
    publishing workers never pay for it)."""
    global _identifier
    if _identifier is None:
        with _lock:
            if _identifier is None:
                identifier = LanguageIdentifier.from_model_file(MODEL_DIR / MODEL_FILE, norm_probs=True)
                identifier.set_languages(sorted({*LANGUAGES, *DIALECTS}))
                _identifier = identifier
    return _identifier


def detect_language(text: str, *, likely: Iterable[str] = (), hint: str = "") -> str:
    """The ISO 639-1 code of `text`'s language, or "" when it cannot be told.

    `likely`: the languages the mission speaks; `hint`: what the network said, if anything."""
    hint = (hint or "").split("-")[0].lower()
    if hint not in LANGUAGES:
        hint = ""
    clean = " ".join(_NOISE.sub(" ", text or "").split())
    if sum(char.isalpha() for char in clean) < MIN_LETTERS:
        return hint
    prior = {code for code in likely if code in LANGUAGES}
    if hint:
        prior.add(hint)
    ranked = [(DIALECTS.get(code, code), float(p)) for code, p in _model().rank(clean)[:6]]
    first, probability = ranked[0]
    if probability >= CONFIDENT:
        return first
    for code, likelihood in ranked:
        if code in prior and likelihood >= probability * PRIOR_FACTOR:
            return code
    return first if probability >= LEAST else hint
