"""The clearance a reply needs (diplomacy_hub.policy.reply_clearance), who may clear it, and
how a library line's edits are measured (conversations.clearance)."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from hypothesis import given
from hypothesis import strategies as st

from conversations.clearance import clean, edit_ratio, fill_line, personal_data, unknown_placeholders
from diplomacy_hub import policy
from tests.posts.factories import crisis_member, officer, press_officer

LINE = {"line_used": True, "line_in_force": True, "line_language_matches": True, "edit_ratio": 0.0}


def test_a_line_in_force_in_the_authors_language_on_a_routine_subject_goes_alone():
    assert policy.reply_clearance(category="consular", **LINE) == (0, ["library_line"])
    assert policy.reply_clearance(category="praise", **LINE | {"edit_ratio": 0.15}) == (0, ["library_line"])


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"line_used": False, "edit_ratio": None}, "free_text"),
        ({"line_in_force": False}, "line_not_in_force"),
        ({"line_language_matches": False}, "line_other_language"),
        ({"edit_ratio": 0.16}, "line_edited"),
        ({"machine_translated": True}, "machine_translated"),
    ],
)
def test_anything_else_is_four_eyes_and_says_why(change, reason):
    level, reasons = policy.reply_clearance(category="consular", **LINE | change)
    assert level == 1
    assert reason in reasons


def test_a_line_on_a_subject_not_routine_is_four_eyes():
    assert policy.reply_clearance(category="unsorted", **LINE) == (1, ["not_routine"])


@pytest.mark.parametrize(
    ("category", "extra", "reason"),
    [
        ("press", {}, "sensitive_category"),
        ("policy", {}, "sensitive_category"),
        ("distress", {}, "sensitive_category"),
        ("consular", {"author_listed": True}, "listed_author"),
        ("consular", {"individual_case": True}, "individual_case"),
    ],
)
def test_sensitive_subjects_listed_authors_and_individual_cases_go_to_the_press_office(category, extra, reason):
    assert policy.reply_clearance(category=category, **LINE | extra) == (2, [reason])


def test_a_crisis_line_is_level_0_for_everyone_during_an_alert_only():
    crisis = LINE | {"crisis_line": True}
    assert policy.reply_clearance(category="crisis", alert_active=True, **crisis) == (0, ["crisis_line"])
    assert policy.reply_clearance(category="press", alert_active=True, **crisis) == (0, ["crisis_line"])
    assert policy.reply_clearance(category="crisis", alert_active=False, **crisis)[0] == 1
    edited = crisis | {"edit_ratio": 0.5}
    assert policy.reply_clearance(category="crisis", alert_active=True, **edited)[0] == 1


@given(
    category=st.sampled_from(["unsorted", "consular", "distress", "press", "policy", "crisis", "hostile", "praise"]),
    line_used=st.booleans(),
    in_force=st.booleans(),
    language=st.booleans(),
    ratio=st.one_of(st.none(), st.floats(0, 1)),
    crisis_line=st.booleans(),
    alert=st.booleans(),
    listed=st.booleans(),
    case=st.booleans(),
    machine=st.booleans(),
)
def test_level_0_only_ever_for_an_unchanged_enough_line_in_force_in_the_right_language(
    category, line_used, in_force, language, ratio, crisis_line, alert, listed, case, machine
):
    level, reasons = policy.reply_clearance(
        category=category,
        line_used=line_used,
        line_in_force=in_force,
        line_language_matches=language,
        edit_ratio=ratio,
        crisis_line=crisis_line,
        alert_active=alert,
        author_listed=listed,
        individual_case=case,
        machine_translated=machine,
    )
    assert level in (0, 1, 2)
    assert reasons
    if level == 0:
        assert line_used
        assert in_force
        assert language
        assert ratio is not None
        assert ratio <= 0.15
        assert not machine
        assert (crisis_line and alert) or (category in ("consular", "praise") and not listed and not case)
    if (listed or case or category in ("press", "policy", "distress", "threat")) and not (crisis_line and alert):
        assert level == 2


@pytest.mark.django_db
def test_who_clears_what():
    cairo_author, cairo_colleague, tokyo = officer("emb-eg-cairo"), officer("emb-eg-cairo"), officer("emb-jp-tokyo")
    press, crisis = press_officer(), crisis_member()
    mission_id = cairo_author.memberships.get().mission_id

    def reply(level, category="consular"):
        return SimpleNamespace(level=level, category=category, mission_id=mission_id, author_id=cairo_author.pk)

    assert policy.can(cairo_colleague, "reply.clear", reply(1))
    assert policy.can(press, "reply.clear", reply(1))
    assert not policy.can(cairo_author, "reply.clear", reply(1))  # four eyes
    assert not policy.can(tokyo, "reply.clear", reply(1))
    assert not policy.can(crisis, "reply.clear", reply(1))
    assert policy.can(press, "reply.clear", reply(2))
    assert not policy.can(cairo_colleague, "reply.clear", reply(2))
    assert policy.can(crisis, "reply.clear", reply(1, "crisis"))
    assert not policy.can(cairo_colleague, "reply.clear", reply(1, "crisis"))


def test_the_edit_ratio_is_the_edit_distance_over_the_lines_length():
    assert edit_ratio("abcdefghij", "abcdefghij") == 0.0
    assert edit_ratio("abcdefghij", "abcdefghiX") == pytest.approx(0.1)
    assert edit_ratio("abcdefghij", "abXdefghij ") == pytest.approx(0.1)  # trailing space trimmed
    assert edit_ratio("abcdefghij", "zzzzzzzzzz") > 0.15
    assert edit_ratio("short", "a much longer text than the line") > 0.15


@given(st.text(max_size=60), st.text(max_size=60))
def test_the_banded_edit_ratio_agrees_with_the_full_one_up_to_the_limit(a, b):
    def full(x: str, y: str) -> int:
        previous = list(range(len(y) + 1))
        for i, cx in enumerate(x, 1):
            current = [i]
            for j, cy in enumerate(y, 1):
                current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (cx != cy)))
            previous = current
        return previous[-1]

    a, b = clean(a), clean(b)
    exact = full(a, b) / max(len(a), 1)
    measured = edit_ratio(a, b)
    if exact <= 0.15:
        assert measured == pytest.approx(exact)
    else:
        assert measured > 0.15


def test_placeholders_are_filled_as_plain_text_once():
    assert (
        fill_line("Hello {author}, {mission}.", {"author": "{mission}", "mission": "Tokyo"})
        == "Hello {mission}, Tokyo."
    )
    assert unknown_placeholders("Hi {author} {secret} {0}") == ["secret"]


def test_personal_data_is_found_but_not_the_lines_own():
    assert personal_data("Passport 12AB34567 and mail me at a@b.org") == ["passport", "email"]
    assert personal_data("I live at 12 rue de Rivoli") == ["address"]
    assert personal_data("Call the consulate: +33 1 43 17 53 53", allowed="Call the consulate: +33 1 43 17 53 53") == []
    assert personal_data("Thank you for your question on visas, see our website.") == []
