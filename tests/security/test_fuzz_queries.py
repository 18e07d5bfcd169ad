"""No address makes a page answer 500: every GET parameter of every page, and of the
Django admin's list, add and change pages (their filters, search, ordering and initial
values), gets the values that once broke one (fuzzing.HOSTILE), each alone and all at once;
then Hypothesis draws more (the profile, fuzzing.py, says how many). Run on SQLite and, in
CI, on PostgreSQL: a 500 on either fails.

The parameters are found by running the page and recording what its view and forms ask
request.GET for, plus the fields it shows: nothing to keep up to date by hand. Each request
is rolled back."""

from __future__ import annotations

import dataclasses

import pytest
from django.contrib import admin
from django.contrib.admin.views.main import ORDER_VAR, PAGE_VAR, SEARCH_VAR
from django.db import models, transaction
from django.urls import reverse
from hypothesis import given
from hypothesis import strategies as st

from tests.security.fuzzing import BEYOND_64_BITS, FUZZ, HOSTILE, LONG, get_parameters
from tests.security.test_fuzz_forms import GET_ROUTES, field_value
from tests.security.urlconf import data_for, url_for

pytestmark = pytest.mark.django_db


@pytest.fixture
def world_once(db, world_of_the_module):
    return dataclasses.replace(world_of_the_module)


def _ask(client, path: str, data: dict) -> int:
    client.raise_request_exception = False  # a 500 is counted, not raised: every case is listed
    with transaction.atomic():
        response = client.get(path, data)
        transaction.set_rollback(True)
    return response.status_code


def _sweep(client, path: str, names: list[str], valid: dict, *, together: list[str]) -> list[str]:
    """Each of `together` in every parameter at once; then each parameter alone (the rest
    valid) with one hostile value, a different one for each parameter and page (every one
    of them in the long profile). The requests that answered 5xx (502 and 503 are answers
    by design: a network's error, /healthz when red)."""
    failures = []
    for value in together:
        status = _ask(client, path, dict.fromkeys(names, value))
        if status >= 500 and status not in (502, 503):
            failures.append(f"all parameters = {value[:40]!r}")
    for index, name in enumerate(names):
        turn = (index + len(path)) % len(HOSTILE)
        for value in HOSTILE if LONG else [HOSTILE[turn]]:
            status = _ask(client, path, {**valid, name: value})
            if status >= 500 and status not in (502, 503):
                failures.append(f"{name}={value[:40]!r}")
    return failures


# --- The application's pages ---------------------------------------------------------------------

# All at once on every page (each of HOSTILE still reaches each parameter alone in turn).
TOGETHER = (
    HOSTILE
    if LONG
    else [
        "",
        "abc",
        BEYOND_64_BITS,
        "-1",
        "²",
        "a\x00b",
        "0001-01-01",
        "9999-12-31",
        "0001-01-01T00:00",
        "9999-12-31T23:59",
        f"1,{BEYOND_64_BITS}",
        "é" * 100_000,
    ]
)


_PAGES: dict = {}


def _page(world, route, role):
    """The client, path, parameter names and valid data of a page, once per world."""
    key = (id(world), route.name)
    if key not in _PAGES:
        _PAGES.clear()
        client = world.client(role)
        path, valid = url_for(route, world), data_for(route, world)
        _PAGES[key] = (client, path, sorted(get_parameters(client, path, valid)), valid)
    return _PAGES[key]


@pytest.mark.parametrize(("route", "role"), [pytest.param(r, role, id=r.name) for r, role in GET_ROUTES])
def test_every_get_parameter_of_every_page_answers_hostile_values(world_once, route, role):
    client, path, names, valid = _page(world_once, route, role)
    failures = _sweep(client, path, names, valid, together=TOGETHER)
    assert not failures, f"GET {path} answered 5xx to: " + "; ".join(failures)


@pytest.mark.parametrize(("route", "role"), [pytest.param(r, role, id=r.name) for r, role in GET_ROUTES])
@FUZZ
@given(data=st.data())
def test_no_mix_of_get_parameters_answers_500(world_once, route, role, data):
    client, path, names, valid = _page(world_once, route, role)
    payload = dict(valid) if data.draw(st.booleans(), label="from valid data") else {}
    chosen = data.draw(st.lists(st.sampled_from(names or ["q"]), min_size=1, max_size=8, unique=True), label="names")
    payload |= {name: data.draw(field_value, label=name) for name in chosen}
    status = _ask(client, path, payload)
    assert status < 500 or status in (502, 503), f"GET {path} {payload!r:.300} answered {status}"


def test_the_pages_parameters_are_found_by_running_them(world_once):
    """The recording sees what views read themselves, not only their forms' fields."""
    names = {route.name: _page(world_once, route, role)[2] for route, role in GET_ROUTES}
    assert "deliveries" in names["posts:monitor_release"]  # request.GET.get in the view
    assert "resumed" in names["posts:pause"]
    assert {"date", "view", "tz", "mission"} <= set(names["posts:calendar"])
    assert {"date_from", "date_to", "page"} <= set(names["posts:review_queue"])


# --- The admin's list, add and change pages ---------------------------------------------------------


def _lookups(model: type[models.Model]) -> set[str]:
    """The names an address may give the admin for `model`: each field, its id lookups
    through a relation, a list of them, and the date hierarchy's parts."""
    names = {"id__in"}
    for field in model._meta.get_fields():
        if not field.concrete and not field.many_to_many:
            continue
        names.add(field.name)
        if field.is_relation:
            names |= {f"{field.name}__id__exact", f"{field.name}__in"}
        if isinstance(field, models.DateField):
            names |= {f"{field.name}__year", f"{field.name}__gte"}
    return names


def _admin_pages(world) -> list[tuple[str, list[str]]]:
    """(path, parameter names) for every model admin's list, add and change pages."""
    client = world.client("admin")
    pages = []
    for model in admin.site._registry:
        info = (model._meta.app_label, model._meta.model_name)
        lookups = _lookups(model) | {SEARCH_VAR, ORDER_VAR, PAGE_VAR, "e", "all", "_popup", "_to_field", "_facets"}
        changelist = reverse("admin:{}_{}_changelist".format(*info))
        pages.append((changelist, sorted(get_parameters(client, changelist, {}) | lookups)))
        add = reverse("admin:{}_{}_add".format(*info))
        pages.append((add, sorted(get_parameters(client, add, {}) | {f.name for f in model._meta.fields})))
        first = model._default_manager.order_by("pk").first()
        if first is not None:
            change = reverse("admin:{}_{}_change".format(*info), args=[first.pk])
            pages.append((change, sorted(get_parameters(client, change, {}) | {"_changelist_filters", "_popup"})))
    return pages


_ADMIN_PAGES: dict = {}
# All at once, on the admin's 40-odd pages (the rest go one parameter at a time).
ADMIN_TOGETHER = HOSTILE if LONG else ["", "abc", BEYOND_64_BITS, "a\x00b", "9999-12-31", "0001-01-01", "é" * 100_000]


def test_every_admin_page_answers_hostile_values(world_once):
    client = world_once.client("admin")
    failures = []
    for path, names in _admin_pages(world_once):
        failures += [f"{path}: {failure}" for failure in _sweep(client, path, names, {}, together=ADMIN_TOGETHER)]
    assert not failures, "The admin answered 5xx to:\n" + "\n".join(failures)


@FUZZ
@given(data=st.data())
def test_no_mix_of_admin_parameters_answers_500(world_once, data):
    key = id(world_once)
    if key not in _ADMIN_PAGES:
        _ADMIN_PAGES.clear()
        _ADMIN_PAGES[key] = _admin_pages(world_once)
    pages = _ADMIN_PAGES[key]
    path, names = data.draw(st.sampled_from(pages), label="page")
    chosen = data.draw(st.lists(st.sampled_from(names), min_size=1, max_size=6, unique=True), label="names")
    payload = {name: data.draw(field_value, label=name) for name in chosen}
    status = _ask(world_once.client("admin"), path, payload)
    assert status < 500, f"GET {path} {payload!r:.300} answered {status}"
