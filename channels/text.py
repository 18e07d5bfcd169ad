"""How each network measures text, and the words we use to tell an officer it does not fit.

Used by the adapters' `validate()` and by the compose form's live counter, so both always
agree. Every count here is what the network itself counts (X's weighted characters,
YouTube's UTF-8 bytes...), never a plain `len()` unless the network really counts that.

Where a network does not say precisely what "a character" is (Facebook, YouTube titles and
tags, Flickr), we count UTF-16 code units, as their web forms (JavaScript) do. That is
never less than the number of code points, so a text we accept is never refused by the
network for its length; at worst an emoji costs two.
"""

from __future__ import annotations

import functools
import itertools
import re
import unicodedata
from collections.abc import Iterable, Sequence

from twitter_text import parse_tweet
from twitter_text.config import config as _twitter_text_config

from channels.adapters.base import Said

# No network takes a longer post than Facebook (about 63,206 characters). Past this, with
# a margin, a text is refused before any network's rules are asked (posts/limits.py), and
# nothing here counts it: X's parser takes seconds on a megabyte.
TEXT_MAX = 70_000

# --- X -------------------------------------------------------------------------------

TWEET_MAX = 280
TWEET_URL_LENGTH = 23  # every link becomes a t.co link of this weight

_TWEET_OPTIONS = _twitter_text_config["defaults"]  # twitter-text v3: emoji parsing on
# Characters X refuses in a post (twitter-text's invalid_chars: BOM and non-characters).
_TWEET_INVALID = {"\ufeff": "ZERO WIDTH NO-BREAK SPACE", "\ufffe": "U+FFFE", "\uffff": "U+FFFF"}

# twitter-text's URL regex backtracks badly on long runs of dots without a space
# ("1.2.3.4.5...", "a.b.c.d..."): 3,200 such characters take 20 s, enough to stall a
# web worker or the live counter. No URL anyone posts looks like that, so past this many
# dots in one run we stop looking for URLs in it and count an upper bound instead.
_DENSE_RUN_DOTS = 8
_LONE_SURROGATE = re.compile("[\ud800-\udfff]")
_RUNS = re.compile(r"\S+")
_ASCII_WEIGHT_ONE = re.compile(r"[\x20-\x7e]")


# Texts up to this long have their length remembered (_tweet_length_remembered): the same
# approved text is counted again by every X delivery of a crisis alert, and twitter-text's
# parser costs about a millisecond of CPU a time. The bound keeps the memory small.
_REMEMBER_UP_TO = 4_000


def tweet_length(text: str) -> int:
    """X's weighted length (see `_tweet_length`); a pure function of the text, so the
    lengths of recent short texts are remembered."""
    if len(text) <= _REMEMBER_UP_TO:
        return _tweet_length_remembered(text)
    return _tweet_length(text)


@functools.lru_cache(maxsize=256)
def _tweet_length_remembered(text: str) -> int:
    return _tweet_length(text)


def _tweet_length(text: str) -> int:
    """X's weighted length (twitter-text v3): NFC-normalised, every URL counts 23,
    CJK and emoji count 2 (an emoji sequence, such as a family or a flag, counts once),
    most other characters 1.

    Exact, except for a run of more than 8 dots without a space ("a.b.c.d.e.f.g.h.i.j"),
    which is given an upper bound: never less than X counts, so never a surprise refusal.
    A text past TEXT_MAX is not counted: its length in characters says "too long" at once.
    """
    if len(text) > TEXT_MAX:
        return len(text)
    text = _normalise_for_x(text)
    dense_runs: list[str] = []

    def set_aside(match: re.Match) -> str:
        run = match.group(0)
        if run.count(".") <= _DENSE_RUN_DOTS:
            return run
        dense_runs.append(run)
        return " "

    # A weighted length is additive across whitespace (URLs and emoji never contain
    # any), so a dense run can be swapped for one space (weight 1) and counted apart.
    rest = _RUNS.sub(set_aside, text)
    length = parse_tweet(rest, _TWEET_OPTIONS).weightedLength
    return length - len(dense_runs) + sum(_dense_run_upper_bound(run) for run in dense_runs)


def tweet_remaining(text: str) -> int:
    """What the live counter shows: characters left, negative when over."""
    return TWEET_MAX - tweet_length(text)


def tweet_invalid_characters(text: str) -> list[str]:
    """Names of the characters in `text` that X refuses outright (each named once)."""
    return [name for char, name in _TWEET_INVALID.items() if char in text]


def tweet_problems(text: str) -> list[str]:
    """What is wrong with `text` as an X post, in words (nothing is ever cut)."""
    problems = []
    length = tweet_length(text)
    if length > TWEET_MAX:
        problems.append(too_long(length, TWEET_MAX, network="X", key="twitter"))
    invalid = tweet_invalid_characters(text)
    if invalid:
        problems.append(
            Said(
                f"The text contains characters X refuses: {', '.join(invalid)}.",
                "text.refused_characters",
                network="twitter",
                characters=invalid,
            )
        )
    return problems


def _normalise_for_x(text: str) -> str:
    # A lone surrogate cannot reach X (it is not valid UTF-8) and would make
    # twitter-text's UTF-16 arithmetic raise: count it as a replacement character.
    return unicodedata.normalize("NFC", _LONE_SURROGATE.sub("\ufffd", text))


def _dense_run_upper_bound(run: str) -> int:
    # Never less than twitter-text's count: a URL (23) always ends with a dot followed by
    # the letter that starts its top-level domain, and URLs never overlap, so 23 per such
    # dot covers them; every other character counts 2 (the most any one weighs, emoji
    # such as © included), except plain ASCII, which X never counts as more than 1.
    urls = sum(1 for dot, after in itertools.pairwise(run) if dot == "." and after.isalpha())
    characters = sum(1 if _ASCII_WEIGHT_ONE.fullmatch(char) else 2 for char in run)
    return characters + TWEET_URL_LENGTH * urls


# --- Facebook ------------------------------------------------------------------------------

FACEBOOK_TEXT_MAX = 63_206


def facebook_length(text: str) -> int:
    return utf16_length(text)


def facebook_text_problems(text: str) -> list[str]:
    length = facebook_length(text)
    if length <= FACEBOOK_TEXT_MAX:
        return []
    return [too_long(length, FACEBOOK_TEXT_MAX, network="Facebook", key="facebook")]


# --- YouTube -------------------------------------------------------------------------------

YOUTUBE_TITLE_MAX = 100
YOUTUBE_DESCRIPTION_MAX_BYTES = 5_000
YOUTUBE_TAGS_MAX = 500
_ANGLE_BRACKETS = frozenset("<>")


def youtube_title_length(title: str) -> int:
    return utf16_length(title)


def youtube_description_bytes(description: str) -> int:
    """YouTube limits a description in UTF-8 bytes: é is 2, 日 is 3, an emoji 4."""
    return len(description.encode("utf-8", "surrogatepass"))


def youtube_tags_length(tags: Iterable[str]) -> int:
    """What YouTube counts against its 500: every tag, the commas between them, and
    the two quotes it puts around a tag that contains a space ("Foo Baz" counts 9)."""
    cleaned = [tag for tag in (t.strip() for t in tags) if tag]
    quoted = sum(utf16_length(tag) + (2 if " " in tag else 0) for tag in cleaned)
    return quoted + max(len(cleaned) - 1, 0)


def has_angle_brackets(text: str) -> bool:
    """YouTube refuses `<` and `>` in titles and descriptions."""
    return not _ANGLE_BRACKETS.isdisjoint(text)


def youtube_title_problems(title: str) -> list[str]:
    problems = []
    if not title.strip():
        problems.append(Said("YouTube needs a title.", "title.required", network="youtube"))
    length = youtube_title_length(title)
    if length > YOUTUBE_TITLE_MAX:
        problems.append(too_long(length, YOUTUBE_TITLE_MAX, network="YouTube", key="youtube", what="The title"))
    if has_angle_brackets(title):
        problems.append(Said("YouTube does not accept < or > in a title.", "title.angle_brackets", network="youtube"))
    return problems


def youtube_description_problems(description: str) -> list[str]:
    problems = []
    size = youtube_description_bytes(description)
    if size > YOUTUBE_DESCRIPTION_MAX_BYTES:
        said = too_long(
            size, YOUTUBE_DESCRIPTION_MAX_BYTES, network="YouTube", key="youtube", unit="byte", what="The description"
        )
        text = said + " Accented letters count 2 bytes, most Asian scripts 3, emoji 4."
        problems.append(Said(text, "description.too_long", **said.params))
    if has_angle_brackets(description):
        problems.append(
            Said("YouTube does not accept < or > in a description.", "description.angle_brackets", network="youtube")
        )
    return problems


def youtube_tags_problems(tags: Iterable[str]) -> list[str]:
    length = youtube_tags_length(tags)
    if length <= YOUTUBE_TAGS_MAX:
        return []
    said = too_long(length, YOUTUBE_TAGS_MAX, network="YouTube", key="youtube", what="Together the tags", verb="are")
    text = said + " Commas between tags, and quotes around tags with spaces, count too."
    return [Said(text, "tags.too_long", **said.params)]


# --- Flickr ---------------------------------------------------------------------------------

# Flickr documents no limit on titles or descriptions. 255 characters is our choice for
# titles (a common database column size, far beyond what a photo title needs); we set
# no limit on descriptions, as Flickr sets none.
FLICKR_TITLE_MAX = 255
FLICKR_TAGS_MAX = 75  # Flickr: "You can add up to 75 tags per photo"


def flickr_title_length(title: str) -> int:
    return utf16_length(title)


def flickr_title_problems(title: str) -> list[str]:
    length = flickr_title_length(title)
    if length <= FLICKR_TITLE_MAX:
        return []
    return [too_long(length, FLICKR_TITLE_MAX, network="Flickr", key="flickr", what="The title")]


def flickr_tags(tags: Iterable[str]) -> str:
    """Flickr's `tags` argument: space separated, a tag with a space inside in quotes."""
    cleaned = [tag for tag in (t.strip() for t in tags) if tag]
    return " ".join(f'"{tag}"' if " " in tag else tag for tag in cleaned)


def flickr_tag_problems(tags: Sequence[str]) -> list[str]:
    """Tags Flickr cannot take, in words: too many, or a double quote inside one (the
    quotes are Flickr's own tag separator)."""
    cleaned = [tag for tag in (t.strip() for t in tags) if tag]
    problems = []
    if len(cleaned) > FLICKR_TAGS_MAX:
        problems.append(
            Said(
                f"Flickr takes at most {FLICKR_TAGS_MAX} tags (this message has {len(cleaned)}).",
                "tags.too_many",
                network="flickr",
                limit=FLICKR_TAGS_MAX,
                count=len(cleaned),
            )
        )
    with_quotes = [tag for tag in cleaned if '"' in tag]
    if with_quotes:
        problems.append(
            Said(
                f"A Flickr tag cannot contain a double quote: {', '.join(with_quotes)}.",
                "tags.double_quote",
                network="flickr",
                tags=with_quotes,
            )
        )
    return problems


# --- Shared counts and wording ----------------------------------------------------------


def utf16_length(text: str) -> int:
    """Length in UTF-16 code units, as a browser's `maxlength` counts it."""
    return len(text.encode("utf-16-le", "surrogatepass")) // 2


def plural(count: int, word: str, words: str | None = None) -> str:
    """`plural(1, "character")` -> "1 character"; `plural(31, "character")` -> "31 characters"."""
    return f"{count:,} {word if count == 1 else (words or word + 's')}"


# The code of each `too_long` sentence, by what is too long.
_TOO_LONG_CODES = {
    "The text": "text.too_long",
    "The title": "title.too_long",
    "The description": "description.too_long",
}


def too_long(
    count: int,
    limit: int,
    *,
    network: str,
    key: str = "",
    unit: str = "character",
    what: str = "The text",
    verb: str = "is",
) -> Said:
    """ "The text is 31 characters too long for X (311 of 280)." `network` is the name people
    know, `key` the network's key for the code's parameters (the name in lower case)."""
    return Said(
        f"{what} {verb} {plural(count - limit, unit)} too long for {network} ({count:,} of {limit:,}).",
        _TOO_LONG_CODES.get(what, "text.too_long"),
        network=key or network.lower(),
        excess=count - limit,
        count=count,
        limit=limit,
    )
