"""The French catalogue: complete, and compiled (the committed django.mo matches django.po)."""

import ast
import re
from dataclasses import dataclass, field
from pathlib import Path

from django.conf import settings
from django.utils import translation

PO_FILE = Path(settings.BASE_DIR) / "locale" / "fr" / "LC_MESSAGES" / "django.po"
PLACEHOLDER = re.compile(r"%(?:\(\w+\))?[sdif]")


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


ENTRIES = read_po(PO_FILE)


def test_the_catalogue_has_entries():
    assert len(ENTRIES) > 100


def test_every_string_is_translated_and_none_is_fuzzy():
    untranslated = [e.msgid for e in ENTRIES if e.fuzzy or not all(e.msgstr.values()) or not e.msgstr]
    assert not untranslated, f"Translate these in {PO_FILE} (then `make messages` / compile): {untranslated}"


def test_translations_keep_their_placeholders():
    """A French plural form may drop the number ("un compte"), never add a placeholder."""
    for entry in ENTRIES:
        allowed = set(PLACEHOLDER.findall(entry.msgid + entry.msgid_plural))
        for msgstr in entry.msgstr.values():
            assert set(PLACEHOLDER.findall(msgstr)) <= allowed, entry.msgid
        if not entry.msgid_plural:
            assert set(PLACEHOLDER.findall(entry.msgstr[0])) == allowed, entry.msgid


def test_the_compiled_catalogue_matches_the_po_file():
    """Fails when django.po changed but django.mo was not compiled (`make run` compiles)."""
    stale = []
    with translation.override("fr"):
        for entry in ENTRIES:
            if entry.msgid_plural:
                got = [translation.ngettext(entry.msgid, entry.msgid_plural, n) for n in (1, 2)]
                expected = [entry.msgstr[0], entry.msgstr[1]]
            elif entry.msgctxt is not None:
                got, expected = translation.pgettext(entry.msgctxt, entry.msgid), entry.msgstr[0]
            else:
                got, expected = translation.gettext(entry.msgid), entry.msgstr[0]
            if got != expected:
                stale.append(entry.msgid)
    assert not stale, f"django.mo is older than django.po; compile it (make messages): {stale}"


def test_french_punctuation_keeps_its_no_break_space():
    """French puts a no-break space before : ; ! ? and inside « »: a plain space lets the
    line break before the colon; none at all is English typography."""
    wrong = re.compile(r"[ \u202f][:;!?»]|«[ \u202f]|(?<![\d\s\u00a0\"])(?<!https)(?<!http):(?=\s)")
    bad = [msgstr for entry in ENTRIES for msgstr in entry.msgstr.values() if wrong.search(msgstr)]
    assert not bad, bad


def test_the_catalogue_keeps_its_header_and_the_french_plural_rule():
    """msgcat of two catalogues (a merge) leaves a fuzzy header with "#-#-#" marks and each
    file's Plural-Forms; the header stays clean, and zero is singular in French."""
    header = PO_FILE.read_text(encoding="utf-8").split("\n\n", 1)[0]
    assert "fuzzy" not in header
    assert "#-#-#" not in header
    assert '"Plural-Forms: nplurals=2; plural=(n > 1);\\n"' in header
    plural = next(entry for entry in ENTRIES if entry.msgid_plural)
    with translation.override("fr"):
        assert translation.ngettext(plural.msgid, plural.msgid_plural, 0) == plural.msgstr[0]


# --- Problems and reasons: worded in one place (channels.problems, extended by posts.problems), ---
# --- every one in French ---------------------------------------------------------------------------

# A sample for each parameter name a problem may carry (posts.problems renders them by name).
SAMPLE_PARAMS = {
    "language": "ar",
    "heading_language": "ar",
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


def test_every_problem_reads_in_french_and_differs_from_the_english():
    """Every code of the registry, rendered with sample parameters: in French, complete
    (no placeholder or code left) and not the English sentence."""
    from posts.problems import PROBLEMS, word

    for code in PROBLEMS:
        with translation.override("en"):
            english = word(code, SAMPLE_PARAMS)
        with translation.override("fr"):
            french = word(code, SAMPLE_PARAMS)
        assert english != code, f"{code} does not render: a parameter without a sample here?"
        assert french != english, f"{code} is not translated: {english}"
        assert "%(" not in french, (code, french)
        assert code not in french, (code, french)
        for english_word in ("characters", "accounts", " and ", " the ", "needs"):
            assert english_word not in french, (code, french)


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
