"""channels.text: each network's way of counting text, and the words for a text too long."""

import unicodedata

import pytest
from hypothesis import HealthCheck, assume, example, given, settings
from hypothesis import strategies as st
from twitter_text import extract_emojis_with_indices, extract_urls_with_indices, parse_tweet

from channels import text
from channels.text import (
    FACEBOOK_TEXT_MAX,
    TEXT_MAX,
    TWEET_MAX,
    facebook_length,
    facebook_text_problems,
    flickr_tag_problems,
    flickr_tags,
    flickr_title_problems,
    has_angle_brackets,
    too_long,
    tweet_invalid_characters,
    tweet_length,
    tweet_problems,
    tweet_remaining,
    utf16_length,
    youtube_description_bytes,
    youtube_description_problems,
    youtube_tags_length,
    youtube_tags_problems,
    youtube_title_problems,
)

# --- X: examples ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("sample", "expected"),
    [
        ("Bonjour", 7),
        ("", 0),
        # Emoji weigh 2, a whole sequence once: ZWJ family, skin tone, keycap, rainbow flag.
        ("😀", 2),
        ("👨‍👩‍👧‍👦", 2),
        ("👍🏽", 2),
        ("1️⃣", 2),
        ("🏳️‍🌈", 2),
        ("©", 2),  # an emoji although its code point alone weighs 1
        # A flag is two regional indicators but one emoji; two flags are two.
        ("🇫🇷", 2),
        ("🇫🇷🇯🇵", 4),
        # CJK weigh 2 each; Hangul too; Thai and Cyrillic 1.
        ("日本語のテキスト", 16),
        ("한국어", 6),
        ("ภาษาไทย", 7),
        ("Привет", 6),
        # Right-to-left scripts weigh 1 a letter, as Latin does.
        ("مرحبا بالعالم", 13),
        ("שלום עולם", 9),
        # Punctuation X counts as 1 although it is above U+10FF: dashes, quotes, primes.
        ("\u2014\u201c\u201d\u2032", 4),
    ],
)
def test_tweet_length_counts_as_x_does(sample, expected):
    assert tweet_length(sample) == expected


@pytest.mark.parametrize(
    "url",
    [
        "https://www.diplomatie.gouv.fr/fr/conseils-aux-voyageurs/conseils-par-pays-destination/japon/",
        "http://example.com",
        "example.com",
        "jp.ambafrance.org/Visas?lang=fr",
        "t.co",
    ],
)
def test_every_url_counts_23_with_or_without_a_scheme(url):
    assert tweet_length(url) == 23
    assert tweet_length(f"Voir {url} !") == len("Voir ") + 23 + len(" !")


def test_combining_marks_count_the_same_composed_or_decomposed():
    composed = "Café à Genève, Ελληνικά, ñandú, Dvořák"
    decomposed = unicodedata.normalize("NFD", composed)
    assert len(decomposed) > len(composed)
    assert tweet_length(decomposed) == tweet_length(composed) == len(composed)


def test_vietnamese_letters_above_u10ff_weigh_2_once_composed():
    # "ộ" is U+1ED9 once NFC-composed (X composes), beyond the weight-1 ranges: 2, even
    # when typed as o + two combining marks.
    assert tweet_length("Hà Nội") == tweet_length(unicodedata.normalize("NFD", "Hà Nội")) == 7


def test_line_ends_count_once_whatever_their_kind():
    assert tweet_length("a\r\nb") == tweet_length("a\nb") == tweet_length("a\rb") == 3


def test_exactly_280_is_allowed_and_281_is_not():
    assert tweet_length("a" * 280) == TWEET_MAX
    assert tweet_problems("a" * 280) == []
    assert tweet_remaining("a" * 280) == 0
    assert tweet_problems("a" * 281) == ["The text is 1 character too long for X (281 of 280)."]
    assert tweet_remaining("a" * 281) == -1


def test_a_cjk_text_reaches_the_limit_at_140_characters():
    assert tweet_problems("日" * 140) == []
    assert tweet_problems("日" * 141) == ["The text is 2 characters too long for X (282 of 280)."]


def test_too_long_says_by_how_much_with_thousands_separators():
    assert too_long(311, 280, network="X") == "The text is 31 characters too long for X (311 of 280)."
    assert too_long(70_000, 63_206, network="Facebook") == (
        "The text is 6,794 characters too long for Facebook (70,000 of 63,206)."
    )


def test_characters_x_refuses_are_named():
    assert tweet_invalid_characters("Bonjour") == []
    assert tweet_invalid_characters("\ufeffBonjour") == ["ZERO WIDTH NO-BREAK SPACE"]
    assert tweet_problems("a\uffffb") == ["The text contains characters X refuses: U+FFFF."]


def test_a_lone_surrogate_is_counted_not_raised():
    assert tweet_length("a\ud800b") == 4  # as U+FFFD, which weighs 2


def test_a_long_run_of_dots_never_reaches_twitter_text_and_is_never_counted_under_x(monkeypatch):
    """twitter-text's URL regex takes seconds on "a.a.a.a..." runs; we bound them instead:
    the run is set aside before parse_tweet sees the text (its speed: `make bench`)."""
    parsed: list[str] = []

    def parse_tweet_spy(text_, options=None):
        parsed.append(text_)
        return parse_tweet(text_, options)

    monkeypatch.setattr(text, "parse_tweet", parse_tweet_spy)
    pathological = "x " + "a." * 1600
    length = tweet_length(pathological)
    assert parsed, "twitter-text counts the rest of the text"
    assert all(sample.count(".") <= text._DENSE_RUN_DOTS for sample in parsed), [s[:40] for s in parsed]
    assert length >= 2 + 3200  # at least one per character
    parsed.clear()
    short_run = "see a.b.c.d.e.f.g.h.i now"  # 8 dots: counted exactly by twitter-text
    tweet_length(short_run)
    assert parsed == [short_run]
    moderate = "see " + "ab." * 12 + "org now"  # 13 dots: slow enough to bound, small enough to check
    assert tweet_length(moderate) >= parse_tweet(moderate).weightedLength


def test_a_dotted_version_number_is_still_counted_exactly_enough():
    # No dot followed by a letter: no URL possible, so the bound is the character count.
    sample = "Version 1.2.3.4.5.6.7.8.9.10 released"
    assert tweet_length(sample) == len(sample)


# --- X: properties ----------------------------------------------------------------------------------

# Text a tweet could hold: any code point but surrogates, weighted towards the tricky ones.
tricky = st.sampled_from(
    [
        " ",
        "\n",
        "\r",
        ".",
        "/",
        ":",
        "@",
        "#",
        "-",
        "a",
        "Z",
        "5",
        "é",
        "\u0301",
        "日",
        "ع",
        "ש",
        "😀",
        "👍",
        "🏽",
        "\u200d",
        "🇫",
        "🇷",
        "\ufe0f",
        "\u20e3",
        "©",
        "http://",
        "https://",
        "www.",
        "example.com",
        "t.co/x",
        ".org",
        ".fr",
    ]
)
texts = st.lists(st.one_of(tricky, st.characters(exclude_categories=("Cs",))), max_size=40).map("".join)


@given(st.text())
@example("\ud83d")  # a lone surrogate
@settings(max_examples=300)
def test_tweet_length_never_raises_and_is_never_negative(sample):
    assert tweet_length(sample) >= 0


@given(texts)
@settings(max_examples=300)
def test_tweet_length_is_exactly_twitter_text_whenever_no_run_is_dense(sample):
    assume(all(run.count(".") <= text._DENSE_RUN_DOTS for run in sample.split()))
    assert tweet_length(sample) == parse_tweet(sample).weightedLength


@given(texts.filter(str.strip))
@settings(max_examples=300)
def test_any_text_with_a_visible_character_weighs_at_least_1(sample):
    assert tweet_length(sample) >= 1


@given(texts)
@settings(max_examples=300)
def test_normalisation_changes_nothing(sample):
    length = tweet_length(sample)
    assert tweet_length(unicodedata.normalize("NFD", sample)) == length
    assert tweet_length(unicodedata.normalize("NFC", sample)) == length


@given(texts, texts)
@settings(max_examples=300)
@example("", "éexample.com")
def test_lengths_add_up_across_a_space(left, right):
    """URLs and emoji never hold a space, so a text split at a space costs the sum of its
    parts, each keeping the space beside it. (Not without it: twitter-text reads
    "éexample.com" as é + example.com at the start of a text, as one URL after a space.)"""
    whole = tweet_length(f"{left} {right}")
    assert whole == tweet_length(f"{left} ") + tweet_length(f" {right}") - 1


@given(texts)
@settings(max_examples=300)
def test_without_urls_or_emoji_each_character_weighs_1_or_2(sample):
    normalised = unicodedata.normalize("NFC", sample).replace("\r\n", "\n")
    if extract_urls_with_indices(normalised) or extract_emojis_with_indices(normalised):
        return
    assert len(normalised) <= tweet_length(sample) <= 2 * len(normalised)


@given(st.text(alphabet=st.characters(whitelist_categories=("Lu", "Ll", "Nd", "Zs"), max_codepoint=0x7F)))
def test_plain_ascii_without_dots_weighs_its_length(sample):
    assert tweet_length(sample) == len(sample)


@given(texts)
@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow])
def test_the_bound_for_dense_runs_never_counts_less_than_x(sample):
    """With the bound forced on every run holding a dot: never under twitter-text's count."""
    original = text._DENSE_RUN_DOTS
    text._DENSE_RUN_DOTS = 0
    try:
        assert tweet_length(sample) >= parse_tweet(sample).weightedLength
    finally:
        text._DENSE_RUN_DOTS = original


# --- Facebook, YouTube, Flickr ------------------------------------------------------------------------


def test_utf16_length_counts_an_emoji_twice_as_browsers_do():
    assert utf16_length("abc") == 3
    assert utf16_length("😀") == 2
    assert utf16_length("日本") == 2
    assert utf16_length("é") == 1


def test_facebook_text_limit():
    assert facebook_length("a" * FACEBOOK_TEXT_MAX) == FACEBOOK_TEXT_MAX
    assert facebook_text_problems("a" * FACEBOOK_TEXT_MAX) == []
    assert facebook_text_problems("a" * (FACEBOOK_TEXT_MAX + 1)) == [
        "The text is 1 character too long for Facebook (63,207 of 63,206)."
    ]


def test_youtube_title_rules():
    assert youtube_title_problems("Fête nationale 2026") == []
    assert youtube_title_problems("  ") == ["YouTube needs a title."]
    assert youtube_title_problems("a" * 101) == ["The title is 1 character too long for YouTube (101 of 100)."]
    assert youtube_title_problems("<b>Gala</b>") == ["YouTube does not accept < or > in a title."]


def test_youtube_description_is_counted_in_utf8_bytes():
    assert youtube_description_bytes("abc") == 3
    assert youtube_description_bytes("é") == 2
    assert youtube_description_bytes("日") == 3
    assert youtube_description_bytes("😀") == 4
    assert youtube_description_problems("日" * 1666 + "ab") == []  # 5,000 bytes
    assert youtube_description_problems("日" * 1667) == [
        "The description is 1 byte too long for YouTube (5,001 of 5,000). "
        "Accented letters count 2 bytes, most Asian scripts 3, emoji 4."
    ]
    assert youtube_description_problems("a > b") == ["YouTube does not accept < or > in a description."]
    assert has_angle_brackets("<")
    assert not has_angle_brackets("«»")


def test_youtube_tags_count_commas_and_quotes():
    assert youtube_tags_length([]) == 0
    assert youtube_tags_length(["Foo-Baz"]) == 7
    assert youtube_tags_length(["Foo Baz"]) == 9
    assert youtube_tags_length(["Foo-Baz", "Foo Baz", " ", "diplomatie"]) == 7 + 1 + 9 + 1 + 10
    assert youtube_tags_problems(["a" * 500]) == []
    assert youtube_tags_problems(["a" * 250, "b" * 250]) == [
        "Together the tags are 1 character too long for YouTube (501 of 500). "
        "Commas between tags, and quotes around tags with spaces, count too."
    ]


def test_flickr_tags_are_space_separated_and_quoted_when_they_hold_a_space():
    tags = ["paris", "fête nationale", " ", "dh:ref=x"]
    assert flickr_tags(tags) == 'paris "fête nationale" dh:ref=x'
    assert flickr_tag_problems(["ok"] * 75) == []
    assert flickr_tag_problems(["ok"] * 76) == ["Flickr takes at most 75 tags (this message has 76)."]
    assert flickr_tag_problems(['say "hi"']) == ['A Flickr tag cannot contain a double quote: say "hi".']


def test_flickr_title_limit_is_ours_255():
    assert flickr_title_problems("a" * 255) == []
    assert flickr_title_problems("a" * 256) == ["The title is 1 character too long for Flickr (256 of 255)."]


def test_a_text_past_any_network_is_not_counted_only_said_too_long():
    """X's parser takes seconds on a megabyte; such a text is refused anyway (TEXT_MAX)."""
    megabyte = "é" * 1_000_000
    assert tweet_length(megabyte) == 1_000_000
    assert tweet_length("x" * TEXT_MAX) == TEXT_MAX  # up to the bound, counted as X does


def test_the_length_of_a_short_text_is_counted_once_and_a_long_one_each_time():
    remembered = text._tweet_length_remembered
    remembered.cache_clear()
    assert tweet_length("Crisis: call +33 1 00 00 00 00") == tweet_length("Crisis: call +33 1 00 00 00 00") == 30
    assert (remembered.cache_info().hits, remembered.cache_info().misses) == (1, 1)
    long = "a " * 2_500
    assert tweet_length(long) == tweet_length(long) == 5_000
    assert remembered.cache_info().misses == 1  # never remembered: the memory stays small
