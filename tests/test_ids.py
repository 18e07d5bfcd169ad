"""Ids and codes from addresses and forms (diplomacy_hub/ids.py): a positive 64-bit
integer in ASCII digits, or a short slug; anything else names nothing."""

from __future__ import annotations

import pytest

from diplomacy_hub.ids import ID_MAX, parse_id, parse_ids, parse_integer, parse_slug


@pytest.mark.parametrize(("value", "expected"), [("42", 42), (" 7 ", 7), (42, 42), (str(ID_MAX), ID_MAX)])
def test_an_id_is_read(value, expected):
    assert parse_id(value) == expected


@pytest.mark.parametrize(
    "value",
    [None, "", "0", "-1", "abc", "1.0", "1e3", str(ID_MAX + 1), "9" * 40, "²", "١٢", "1\x00", "\x00", True, [1], "0x1"],
)
def test_anything_else_names_no_id(value):
    assert parse_id(value) is None


def test_a_list_of_ids_is_read_in_order_without_repeats_or_not_at_all():
    assert parse_ids("3,1,3, ,2") == [3, 1, 2]
    assert parse_ids("") == []
    assert parse_ids(["5", "6"]) == [5, 6]
    assert parse_ids(f"1,{ID_MAX + 1}") is None  # never "1" alone: the list was damaged
    assert parse_ids("1,abc") is None


def test_an_integer_may_be_negative_within_64_bits():
    assert parse_integer("-5") == -5
    assert parse_integer(str(-(2**63))) == -(2**63)
    assert parse_integer(str(-(2**63) - 1)) is None
    assert parse_integer(str(2**63)) is None
    assert parse_integer("--1") is None


@pytest.mark.parametrize(("value", "expected"), [("emb-jp-tokyo", "emb-jp-tokyo"), ("a\x00b", None), ("x" * 65, None)])
def test_a_code_is_a_short_slug(value, expected):
    assert parse_slug(value) == expected
