"""Property-based (Hypothesis): no input makes a page answer 500. Every URL that some role
may POST to gets arbitrary text, unicode, control characters, NUL bytes, huge values,
numbers out of range and lists where one value is expected, in every field its page shows
(and the usual ones besides). Query strings, the admin's included: test_fuzz_queries.py.

Each route is fuzzed as a role the policy lets through (the access matrix's first "A", or
ROLE_FOR), starting from the valid data of urlconf.DATA_FOR with some fields replaced, so
that the accepting path runs too (the press office approving at a strange time, not officer
A's 403). Each request is rolled back, so examples do not pile up."""

from __future__ import annotations

import dataclasses

import pytest
from django.db import transaction
from hypothesis import given
from hypothesis import strategies as st

from tests.security.conftest import ROLES
from tests.security.fuzzing import FUZZ, fields_on
from tests.security.test_access_matrix import APP_ROUTES, EXPECTED
from tests.security.urlconf import data_for, url_for

pytestmark = pytest.mark.django_db

COMMON_FIELDS = (
    "title",
    "text_fr",
    "text_ja",
    "title_fr",
    "targets",
    "version",
    "desired_at",
    "publish_at",
    "when",
    "comment",
    "body",
    "reason",
    "scope",
    "value",
    "scope_kind",
    "countries",
    "regions",
    "networks",
    "confirmed",
    "outcome",
    "external_url",
    "mission",
    "message",
    "role",
    "action",
    "q",
    "region",
    "kind",
    "network",
    "status",
    "page",
    "date_from",
    "date_to",
    "actor",
    "show",
    "token",
    "next",
    "language",
    "alt_text",
    "remove_attachment",
)

text = st.text(alphabet=st.characters(exclude_categories=("Cs",)), max_size=300)
values = st.one_of(
    text,
    st.sampled_from(
        [
            "",
            "0",
            "-1",
            "99999999999999999999",
            "1e309",
            "NaN",
            "null",
            "true",
            "[]",
            "{}",
            "2027-02-30T25:61",
            "0001-01-01 00:00",
            "9999-12-31 23:59",
            "../../etc/passwd",
            "\x00",
            "a\x00b",
            "\r\nBcc: x@example.org",
            "‮gnp.exe",
            "javascript:alert(1)",
            "<script>alert(1)</script>",
            "' OR 1=1 --",
            "%00",
            "😀" * 50,
            "now",
            "at",
            "2031-03-30 02:30",
            "2031-11-02T01:30",
            "1970-01-01 00:00",
        ]
    ),
    st.integers(min_value=-(2**63), max_value=2**63).map(str),
    st.builds(lambda c, n: c * n, st.sampled_from(["a", "é", "字", "\u200b"]), st.integers(10_000, 120_000)),
)
field_value = st.one_of(values, st.lists(values, min_size=2, max_size=3))

# Where the first allowed role of the matrix is not the one whose path matters most.
ROLE_FOR = {
    ("post", "posts:crisis_approve"): "crisis",  # the crisis unit approves alerts (the press office may too)
}


def _role(method: str, route) -> str | None:
    letters = EXPECTED[route.name][0 if method == "get" else 1]
    role = ROLE_FOR.get((method, route.name)) or (ROLES[letters.index("A")] if "A" in letters else None)
    assert role is None or letters[ROLES.index(role)] == "A", f"{route.name}: {role} may not {method}"
    return role


POST_ROUTES = [
    (route, _role("post", route)) for route in APP_ROUTES if route.name in EXPECTED and "A" in EXPECTED[route.name][1]
]
# Known 500s, reported to their owners: strict, so that the day one is fixed this says to
# remove it from here.
# Routes known to answer 500 to some input, each with where and why; a fixed one turns
# its xfail into a failure (strict), which says to remove it from here.
KNOWN: dict[tuple[str, str], str] = {}


def _params(routes, method):
    for route, role in routes:
        marks = (
            [pytest.mark.xfail(strict=True, reason=KNOWN[(method, route.name)])]
            if (method, route.name) in KNOWN
            else []
        )
        yield pytest.param(route, role, id=route.name, marks=marks)


GET_ROUTES = [
    (route, _role("get", route))
    for route in APP_ROUTES
    if route.name in EXPECTED and "A" in EXPECTED[route.name][0] and route.name != "logout"
]


@pytest.fixture
def world_once(db, world_of_the_module):
    return dataclasses.replace(world_of_the_module)


_PREPARED: dict = {}


def _prepare(world, route, role):
    """The client, path and field names for this route, once per world (not per example)."""
    key = (id(world), route.name)
    if key not in _PREPARED:
        _PREPARED.clear()
        client = world.client(role)
        path = url_for(route, world)
        page = client.get(path, data_for(route, world))
        html = b"" if page.streaming else page.content  # (never response.close(): it would close the
        # test's database connection through request_finished)
        valid = data_for(route, world)
        names = sorted(fields_on(html.decode(errors="replace")) | set(COMMON_FIELDS) | set(valid))
        _PREPARED[key] = (client, path, names, valid)
    return _PREPARED[key]


def _fuzz(world, route, role, method, data):
    client, path, names, valid = _prepare(world, route, role)
    payload = dict(valid) if data.draw(st.booleans(), label="from valid data") else {}
    payload |= {
        name: data.draw(field_value, label=name)
        for name in data.draw(st.lists(st.sampled_from(names), min_size=1, max_size=12, unique=True), label="fields")
    }
    with transaction.atomic():
        response = getattr(client, method)(path, payload)
        transaction.set_rollback(True)
    assert response.status_code < 500 or response.status_code in (502, 503), (
        f"{method.upper()} {path} answered {response.status_code}"
    )


@pytest.mark.parametrize(("route", "role"), list(_params(POST_ROUTES, "post")))
@FUZZ
@given(data=st.data())
def test_no_post_answers_500(world_once, route, role, data):
    _fuzz(world_once, route, role, "post", data)
