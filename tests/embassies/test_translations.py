"""The catalogues (French, Spanish, German, Arabic): complete, compiled (each committed
django.mo matches its django.po), placeholders kept, and each language's plural rule."""

import ast
import re
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from django.conf import settings
from django.utils import translation

# Every language of settings.LANGUAGES but English (the msgids) has a catalogue.
LANGUAGES = ("fr", "es", "de", "ar")
PO_FILES = {code: Path(settings.BASE_DIR) / "locale" / code / "LC_MESSAGES" / "django.po" for code in LANGUAGES}
PO_FILE = PO_FILES["fr"]
PLACEHOLDER = re.compile(r"%(?:\(\w+\))?[sdif]|\{\w*\}")
POSITIONAL = re.compile(r"%[sdif]")
PLURAL_FORMS = {
    "fr": "nplurals=2; plural=(n > 1);",
    "es": "nplurals=2; plural=(n != 1);",
    "de": "nplurals=2; plural=(n != 1);",
    # Zero, one, two, a few (3-10), many (11-99), and the rest (100, 101, 102...).
    "ar": "nplurals=6; plural=(n==0 ? 0 : n==1 ? 1 : n==2 ? 2 : n%100>=3 && n%100<=10 ? 3 : n%100>=11 ? 4 : 5);",
}
# A number that selects each plural form, in the order of the forms.
FORM_SAMPLES = {"fr": (1, 2), "es": (1, 2), "de": (1, 2), "ar": (0, 1, 2, 3, 11, 100)}


@dataclass
class Entry:
    msgid: str = ""
    msgid_plural: str = ""
    msgctxt: str | None = None
    msgstr: dict[int, str] = field(default_factory=dict)
    fuzzy: bool = False


def read_po(path: Path) -> list[Entry]:
    """A small reader of gettext .po files: enough for makemessages' output."""
    entries, entry, target = [], Entry(), None
    for line in [*path.read_text(encoding="utf-8").splitlines(), ""]:
        line = line.strip()
        if not line:
            if target is not None:
                entries.append(entry)
            entry, target = Entry(), None
        elif line.startswith("#,"):
            entry.fuzzy = "fuzzy" in line
        elif line.startswith("#"):
            continue
        elif line.startswith('"'):
            value = ast.literal_eval(line)
            if isinstance(target, int):
                entry.msgstr[target] += value
            else:
                setattr(entry, target, getattr(entry, target) + value)
        else:
            keyword, _, rest = line.partition(" ")
            value = ast.literal_eval(rest)
            if keyword.startswith("msgstr"):
                target = int(keyword[7:-1]) if "[" in keyword else 0
                entry.msgstr[target] = value
            else:
                target = keyword
                setattr(entry, keyword, value)
    return [entry for entry in entries if entry.msgid]  # the header has an empty msgid


CATALOGUES = {code: read_po(path) for code, path in PO_FILES.items()}
ENTRIES = CATALOGUES["fr"]


def _header(code: str) -> str:
    return PO_FILES[code].read_text(encoding="utf-8").split("\n\n", 1)[0]


def test_the_catalogue_has_entries():
    assert len(ENTRIES) > 100


def test_every_language_of_the_settings_has_a_catalogue():
    assert {code for code, _ in settings.LANGUAGES} == {"en", *LANGUAGES}


@pytest.mark.parametrize("code", LANGUAGES[1:])
def test_every_catalogue_has_the_french_msgids(code):
    """`make messages` updates every catalogue: one left behind would show English."""
    french = {(e.msgctxt, e.msgid) for e in ENTRIES}
    other = {(e.msgctxt, e.msgid) for e in CATALOGUES[code]}
    assert french - other == set(), f"Run `make messages`; missing in {code}: {sorted(french - other)[:10]}"
    assert other - french == set(), f"Run `make messages`; stale in {code}: {sorted(other - french)[:10]}"


@pytest.mark.parametrize("code", LANGUAGES)
def test_every_string_is_translated_and_none_is_fuzzy(code):
    entries = CATALOGUES[code]
    untranslated = [e.msgid for e in entries if e.fuzzy or not all(e.msgstr.values()) or not e.msgstr]
    assert not untranslated, f"Translate these in {PO_FILES[code]} (then `make messages`): {untranslated}"


@pytest.mark.parametrize("code", LANGUAGES)
def test_translations_keep_their_placeholders(code):
    """A plural form for one (or two) may drop a named number ("un compte", "حسابان"), never
    add a placeholder; the form for many keeps them all; a positional %d is in every form
    (Python's % would raise on a string without it)."""
    for entry in CATALOGUES[code]:
        allowed = set(PLACEHOLDER.findall(entry.msgid + entry.msgid_plural))
        positional = set(POSITIONAL.findall(entry.msgid + entry.msgid_plural))
        for msgstr in entry.msgstr.values():
            assert set(PLACEHOLDER.findall(msgstr)) <= allowed, (code, entry.msgid, msgstr)
            assert positional <= set(POSITIONAL.findall(msgstr)), (code, entry.msgid, msgstr)
        last = entry.msgstr[max(entry.msgstr)]
        assert set(PLACEHOLDER.findall(last)) == allowed, (code, entry.msgid, last)


@pytest.mark.parametrize("code", LANGUAGES)
def test_the_compiled_catalogue_matches_the_po_file(code):
    """Fails when django.po changed but django.mo was not compiled (`make messages`)."""
    stale = []
    with translation.override(code):
        for entry in CATALOGUES[code]:
            if entry.msgid_plural:
                got = [translation.ngettext(entry.msgid, entry.msgid_plural, n) for n in FORM_SAMPLES[code]]
                expected = [entry.msgstr[form] for form in range(len(FORM_SAMPLES[code]))]
            elif entry.msgctxt is not None:
                got, expected = translation.pgettext(entry.msgctxt, entry.msgid), entry.msgstr[0]
            else:
                got, expected = translation.gettext(entry.msgid), entry.msgstr[0]
            if got != expected:
                stale.append(entry.msgid)
    assert not stale, f"{code}/django.mo is older than its django.po; compile it (make messages): {stale}"


def test_french_punctuation_keeps_its_no_break_space():
    """French puts a no-break space before : ; ! ? and inside « »: a plain space lets the
    line break before the colon; none at all is English typography."""
    wrong = re.compile(r"[ \u202f][:;!?»]|«[ \u202f]|(?<![\d\s\u00a0\"])(?<!https)(?<!http):(?=\s)")
    bad = [msgstr for entry in ENTRIES for msgstr in entry.msgstr.values() if wrong.search(msgstr)]
    assert not bad, bad


@pytest.mark.parametrize("code", LANGUAGES)
def test_the_catalogue_keeps_its_header_and_its_plural_rule(code):
    """msgcat of two catalogues (a merge) leaves a fuzzy header with "#-#-#" marks and each
    file's Plural-Forms; the header stays clean, with the language's own rule."""
    header = _header(code)
    assert "fuzzy" not in header
    assert "#-#-#" not in header
    assert f'"Language: {code}\\n"' in header
    assert PLURAL_FORMS[code] in header.replace('"\n"', "")
    entries = [entry for entry in CATALOGUES[code] if entry.msgid_plural]
    assert all(len(entry.msgstr) == len(FORM_SAMPLES[code]) for entry in entries)


def test_zero_is_singular_in_french_and_has_its_own_form_in_arabic():
    french = next(entry for entry in ENTRIES if entry.msgid_plural)
    with translation.override("fr"):
        assert translation.ngettext(french.msgid, french.msgid_plural, 0) == french.msgstr[0]
    arabic = next(entry for entry in CATALOGUES["ar"] if entry.msgid == "%(counter)s account")
    with translation.override("ar"):
        said = [translation.ngettext(arabic.msgid, arabic.msgid_plural, n) % {"counter": n} for n in (1, 2, 5, 11, 101)]
    assert said == ["حساب واحد", "حسابان", "5 حسابات", "11 حسابًا", "101 حساب"]


# --- Problems and reasons: worded in one place (channels.problems, extended by posts.problems), ---
# --- every one in French ---------------------------------------------------------------------------

# A sample for each parameter name a problem may carry (posts.problems renders them by name).
SAMPLE_PARAMS = {
    "language": "ar",
    "heading_language": "ar",
    "detected": "en",
    "languages": ["en", "ar"],
    "network": "twitter",
    "accounts": {"names": ["X @FranceEgypte", "Facebook Ambassade"], "more": 2},
    "mission": "Ambassade de France en Égypte",
    "files": ["drapeau.png"],
    "file": "drapeau.png",
    "types": ["JPEG", "PNG"],
    "type": "AVIF",
    "characters": ["U+FFFF"],
    "tags": ['a"b'],
    "size": 6_000_000,
    "max_size": 5_000_000,
    "duration": 200.0,
    "max_duration": 140.0,
    "min_duration": 0.5,
    "excess": 16,
    "count": 296,
    "limit": 280,
    "seconds": 90,
    "detail": "KeyError 'fr'",
    "exception": "ConnectTimeout",
    "provider": "LibreTranslate",
    "due_at": "2030-06-01 09:30",
    "minutes": 90,
    "external_id": "1798",
    "person": "press1",
    "message_state": "cancelled",
    "account_status": "expired",
    "status": 503,
    "page": "Ambassade de France au Japon",
    "handle": "@FranceJapon",
    "kinds": ["passport", "phone"],
    "names": ["date"],
    "url": "https://x.com/i/status/1798",
    "reply_state": "Envoyée",
    "problem": {"code": "title.required", "params": {"network": "youtube"}, "text": "YouTube needs a title."},
    "problems": [{"code": "title.required", "params": {"network": "youtube"}, "text": "YouTube needs a title."}],
}


@pytest.mark.parametrize("code", LANGUAGES)
def test_every_problem_reads_in_each_language_and_differs_from_the_english(code):
    """Every code of the registry, rendered with sample parameters: in each language,
    complete (no placeholder or code left) and not the English sentence."""
    from posts.problems import PROBLEMS, word

    for problem in PROBLEMS:
        with translation.override("en"):
            english = word(problem, SAMPLE_PARAMS)
        with translation.override(code):
            said = word(problem, SAMPLE_PARAMS)
        assert english != problem, f"{problem} does not render: a parameter without a sample here?"
        assert said != english, f"{problem} is not translated into {code}: {english}"
        assert "%(" not in said, (problem, said)
        assert problem not in said, (problem, said)
        for english_word in ("characters", "accounts", " and ", " the ", "needs"):
            assert english_word not in said, (code, problem, said)


def _codes_in(path: Path) -> set[str]:
    """Problem codes written in a module: Said(text, "code"), MessageProblem("code"),
    word("code"), and code="..." keywords; an f-string code for both images and videos."""
    codes = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if not isinstance(node, ast.Call):
            continue
        name = getattr(node.func, "id", getattr(node.func, "attr", ""))
        candidates = [kw.value for kw in node.keywords if kw.arg == "code"]
        if name == "Said" and len(node.args) >= 2:
            candidates.append(node.args[1])
        if name in ("MessageProblem", "word") and node.args:
            candidates.append(node.args[0])
        for value in [*candidates]:
            if isinstance(value, ast.IfExp):  # "a.b" if ... else "a.c"
                candidates += [value.body, value.orelse]
        for value in candidates:
            if isinstance(value, ast.Constant) and isinstance(value.value, str) and value.value:
                codes.add(value.value)
            elif isinstance(value, ast.JoinedStr):
                for noun in ("image", "video"):
                    codes.add("".join(part.value if isinstance(part, ast.Constant) else noun for part in value.values))
    return codes


def test_every_problem_code_in_the_code_is_worded():
    """A code raised by an adapter, a rule, validation or a worker without a wording would
    reach the reader as English (or as the code itself)."""
    from posts.problems import PROBLEMS

    base = Path(settings.BASE_DIR)
    used = set()
    for app in ("channels", "posts"):
        for path in (base / app).rglob("*.py"):
            if "migrations" not in path.parts:
                used |= _codes_in(path)
    # Codes of other kinds that share the keyword: ValidationError codes, not problems.
    used = {code for code in used if "." in code}
    assert used, "the scan found no code at all"
    missing = sorted(used - set(PROBLEMS))
    assert not missing, f"Word these in posts/problems.py (and in French): {missing}"
