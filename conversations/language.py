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

from collections.abc import Iterable

from diplomacy_hub.langid import DIALECTS, LANGUAGES, letters, model

CONFIDENT = 0.8  # above this the model's first answer stands
PRIOR_FACTOR = 0.5  # a prior language wins if at least half as likely as the first answer
LEAST = 0.5  # below this, and no prior language close, the language is unknown
MIN_LETTERS = 2


def detect_language(text: str, *, likely: Iterable[str] = (), hint: str = "") -> str:
    """The ISO 639-1 code of `text`'s language, or "" when it cannot be told.

    `likely`: the languages the mission speaks; `hint`: what the network said, if anything."""
    hint = (hint or "").split("-")[0].lower()
    if hint not in LANGUAGES:
        hint = ""
    clean = letters(text)
    if sum(char.isalpha() for char in clean) < MIN_LETTERS:
        return hint
    prior = {code for code in likely if code in LANGUAGES}
    if hint:
        prior.add(hint)
    ranked = [(DIALECTS.get(code, code), float(p)) for code, p in model().rank(clean)[:6]]
    first, probability = ranked[0]
    if probability >= CONFIDENT:
        return first
    for code, likelihood in ranked:
        if code in prior and likelihood >= probability * PRIOR_FACTOR:
            return code
    return first if probability >= LEAST else hint
