"""py3langid's model, read once per process, for whoever tells a text's language: the
compose check (posts.language) and the conversation desk (conversations.language). Its
model ships inside the package; nothing is downloaded at run time. One copy (about 80 MB)
per process, however many callers."""

from __future__ import annotations

import re
import threading

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
# Links, handles, hashtags, digits and punctuation say nothing of the language.
_NOISE = re.compile(r"https?://\S+|www\.\S+|[@#]\w+|\d+|[^\w\s]", re.UNICODE)

_lock = threading.Lock()
_identifier: LanguageIdentifier | None = None


def letters(text: str) -> str:
    """The text without what says nothing of its language."""
    return " ".join(_NOISE.sub(" ", text or "").split())


def model() -> LanguageIdentifier:
    """The model, read at the first call (about 2 s): the web process calls it at boot, the
    listen worker at its first text; the publishing workers never pay for it."""
    global _identifier
    if _identifier is None:
        with _lock:
            if _identifier is None:
                identifier = LanguageIdentifier.from_model_file(MODEL_DIR / MODEL_FILE, norm_probs=True)
                identifier.set_languages(sorted({*LANGUAGES, *DIALECTS}))
                _identifier = identifier
    return _identifier
