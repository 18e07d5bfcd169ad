"""The draft value and the pure functions of it: plan, content, validation and fingerprint,
on plain values (no database: these are what the preview, submit, approval and the
engine all share)."""

from __future__ import annotations

import dataclasses
import hashlib
import timeit
from datetime import UTC, datetime

import pytest

from posts.draft import Draft, DraftMedia, DraftTarget, DraftText, clean_body, clean_title, texts_of
from posts.fingerprint import draft_fingerprint, fingerprint_payload
from posts.validation import build_content, delivery_plan, validate_draft

CAIRO, TOKYO = 1, 2
CAIRO_LANGUAGES = ("fr", "ar", "en")


def target(pk: int, network: str = "twitter", *, mission: int = CAIRO, languages=CAIRO_LANGUAGES, **flags):
    return DraftTarget(
        id=pk,
        network=network,
        name=f"@acc{pk}",
        mission_id=mission,
        mission_languages=tuple(languages),
        mission_active=flags.get("active", True),
        can_publish=flags.get("can_publish", True),
        is_sandbox=True,
    )


def image(pk: int = 7, *, alt: str = "A flag") -> DraftMedia:
    return DraftMedia(
        id=pk,
        message_id=3,
        name="flag.png",
        path="/tmp/flag.png",  # noqa: S108 (never opened: validation reads the values only)
        mime_type="image/png",
        kind="image",
        size=1000,
        sha256="ab" * 32,
        alt_text=alt,
    )


def draft(*texts: DraftText, targets=(), media=(), **fields) -> Draft:
    values = {
        "texts": texts,
        "media": tuple(media),
        "target_ids": tuple(sorted(t.id for t in targets)),
        "targets": tuple(targets),
        "mission_id": CAIRO,
        "mission_name": "Embassy of France in Egypt",
        "mission_languages": CAIRO_LANGUAGES,
    }
    values.update(fields)
    return Draft(**values)


FR = DraftText("fr", "", "Bonjour", "Titre")
AR = DraftText("ar", "", "مرحبا")


# --- Cleaning what is typed -------------------------------------------------------------------


def test_texts_of_cleans_as_the_services_do_and_drops_empty_entries():
    typed = {
        ("fr", ""): {"body": "Ligne 1\r\nLigne 2", "title": "  Un   titre "},
        ("ar", ""): {"body": "   ", "title": ""},
        ("fr", "twitter"): {"body": "Court", "title": None},
    }
    assert texts_of(typed) == (
        DraftText("fr", "", "Ligne 1\nLigne 2", "Un titre"),
        DraftText("fr", "twitter", "Court", ""),
    )
    assert clean_body("a\rb") == "a\nb"
    assert clean_title(None) == ""


# --- The plan ------------------------------------------------------------------------------------


def test_delivery_plan_gives_every_account_every_language_in_the_missions_order():
    x, facebook = target(5), target(4, "facebook")
    plan = delivery_plan(draft(AR, FR, DraftText("fr", "twitter", "Court"), targets=[x, facebook]))
    assert [(t.id, language) for t, language in plan] == [(4, "fr"), (4, "ar"), (5, "fr"), (5, "ar")]


def test_delivery_plan_of_a_crisis_alert_reaches_each_account_once_in_its_own_language():
    tokyo = target(9, mission=TOKYO, languages=("fr", "ja"))
    cairo = target(8)
    ja = DraftText("ja", "", "こんにちは")
    plan = delivery_plan(draft(FR, ja, targets=[tokyo, cairo], is_crisis=True, mission_id=None))
    assert [(t.id, language) for t, language in plan] == [(8, "fr"), (9, "ja")]


# --- The content -----------------------------------------------------------------------------------


def test_build_content_takes_the_variant_and_falls_back_on_the_main_title():
    d = draft(FR, DraftText("fr", "youtube", "Pour YouTube"), media=[image()])
    content = build_content(d, network="youtube", language="fr", reference="dh1")
    assert (content.text, content.title, content.reference) == ("Pour YouTube", "Titre", "dh1")
    assert [(m.kind, m.alt_text) for m in content.media] == [("image", "A flag")]
    assert build_content(d, network="facebook", language="fr").text == "Bonjour"
    with pytest.raises(LookupError):
        build_content(d, network="facebook", language="ar")


# --- Validation --------------------------------------------------------------------------------------


def codes(problems) -> list[str]:
    return [problem.code for problem in problems]


def test_validate_draft_says_everything_at_once_as_codes_with_parameters():
    foreign = target(6, mission=TOKYO)
    unready = target(7, can_publish=False)
    problems = validate_draft(
        draft(DraftText("fr", "twitter", "Seule"), targets=[foreign, unready]),
        now=datetime(2030, 1, 1, tzinfo=UTC),
    )
    assert codes(problems) == [
        "targets.foreign",
        "targets.not_connected",
        "texts.none",
        "texts.variant_without_main",
    ]
    foreign_problem = problems[0]
    assert foreign_problem.params == {
        "mission": "Embassy of France in Egypt",
        "accounts": {"names": ["X @acc6"], "more": 0},
    }
    assert foreign_problem.account_ids == (6,)
    assert problems[1].blocking is False
    assert validate_draft(draft(targets=[]))[0].code == "targets.none"


def test_validate_draft_names_the_networks_problem_with_its_language_and_accounts():
    x = target(5)
    problems = validate_draft(draft(DraftText("ar", "", "ع" * 300), FR, targets=[x]))
    network = [problem for problem in problems if problem.code == "network.problem"]
    assert len(network) == 1
    assert network[0].params["heading_language"] == "ar"
    assert network[0].params["problem"]["code"] == "text.too_long"
    assert network[0].params["problem"]["params"]["excess"] == 20
    assert network[0].message == "Arabic, X @acc5: The text is 20 characters too long for X (300 of 280)."
    warning = next(problem for problem in problems if problem.code == "texts.languages_missing")
    assert (warning.params, warning.blocking) == ({"languages": ["en"]}, False)


def test_validate_draft_warns_of_a_passed_desired_time_only_before_approval():
    passed = datetime(2020, 1, 1, tzinfo=UTC)
    now = datetime(2030, 1, 1, tzinfo=UTC)
    assert "time.desired_passed" in codes(validate_draft(draft(FR, targets=[target(1)], desired_at=passed), now=now))
    scheduled = draft(FR, targets=[target(1)], desired_at=passed, state="scheduled")
    assert "time.desired_passed" not in codes(validate_draft(scheduled, now=now))


# --- The fingerprint ----------------------------------------------------------------------------------


def test_the_fingerprint_keeps_the_shape_of_every_fingerprint_already_stored():
    """Approvals stored before the draft existed must still match at send time: the canonical
    JSON is pinned here, byte for byte."""
    d = draft(
        FR,
        AR,
        targets=[target(5), target(3)],
        media=[image()],
        scheduled_at=datetime(2030, 6, 1, 9, 30, tzinfo=UTC),
    )
    canonical = (
        '{"attachments":[["' + "ab" * 32 + '","A flag",0]],"scheduled_at":"2030-06-01T09:30:00+00:00",'
        '"targets":[3,5],"texts":[["ar","","مرحبا",""],["fr","","Bonjour","Titre"]]}'
    )
    assert draft_fingerprint(d) == hashlib.sha256(canonical.encode("utf-8")).hexdigest()
    assert fingerprint_payload(d)["targets"] == [3, 5]


def test_the_fingerprint_covers_texts_media_targets_and_time_and_nothing_else():
    base = draft(FR, targets=[target(5)], media=[image()], scheduled_at=datetime(2030, 6, 1, tzinfo=UTC))
    same = draft_fingerprint(base)
    assert draft_fingerprint(dataclasses.replace(base)) == same
    for changed in (
        dataclasses.replace(base, texts=(DraftText("fr", "", "Bonsoir", "Titre"),)),
        dataclasses.replace(base, media=(image(alt="Another"),)),
        dataclasses.replace(base, target_ids=(5, 6)),
        dataclasses.replace(base, scheduled_at=datetime(2030, 6, 2, tzinfo=UTC)),
    ):
        assert draft_fingerprint(changed) != same
    # What never leaves does not count.
    assert draft_fingerprint(dataclasses.replace(base, desired_at=datetime(2031, 1, 1, tzinfo=UTC))) == same
    assert draft_fingerprint(dataclasses.replace(base, mission_name="Other", state="in_review")) == same


def test_the_fingerprint_of_a_crisis_alert_is_fast():
    """Checked before each delivery: a thousand targets cost well under a millisecond."""
    d = draft(FR, AR, target_ids=tuple(range(1000)), targets=(), media=[image()])
    seconds = min(timeit.repeat(lambda: draft_fingerprint(d), number=100, repeat=3)) / 100
    assert seconds < 0.005
