"""A Content Security Policy without inline script or style on every page; pages that keep
to it; CSRF on every POST, forms and htmx alike; and no GET that changes anything.
Matrix S10, S11, S12 (CSP half); ASVS 3.4.3, 3.4.6, 3.5.1, 3.5.3."""

from __future__ import annotations

import re

import pytest
from django.contrib.auth.models import Group
from django.db import transaction
from django.test import Client
from django.urls import reverse

from channels.models import SocialAccount
from embassies.models import StaffMembership
from posts.models import Comment, Delivery, Event, Message, PublishingPause, Review
from tests.security.otp import force_verified_login
from tests.security.test_access_matrix import APP_ROUTES, EXPECTED
from tests.security.urlconf import data_for, routes, url_for

pytestmark = pytest.mark.django_db

INLINE_SCRIPT = re.compile(r"<script\b(?![^>]*\bsrc=)[^>]*>", re.IGNORECASE)
EVENT_HANDLER = re.compile(r"<[^>]*\son[a-z]+\s*=", re.IGNORECASE)
STYLE_ATTRIBUTE = re.compile(r"<[^>]*\sstyle\s*=", re.IGNORECASE)
STYLE_ELEMENT = re.compile(r"<style\b", re.IGNORECASE)
JAVASCRIPT_URL = re.compile(r"""(?:href|src|action|formaction)\s*=\s*["']?\s*javascript:""", re.IGNORECASE)


def directives(header: str) -> dict[str, list[str]]:
    parsed = {}
    for part in header.split(";"):
        words = part.split()
        if words:
            parsed[words[0]] = words[1:]
    return parsed


def check_policy(response) -> list[str]:
    header = response.get("Content-Security-Policy", "")
    if not header:
        return ["no Content-Security-Policy header"]
    policy = directives(header)
    problems = []
    for name in ("default-src", "script-src", "style-src"):
        sources = policy.get(name, [])
        if not sources:
            problems.append(f"no {name}")
        if {"'unsafe-inline'", "'unsafe-eval'", "*", "data:"} & set(sources) and name != "img-src":
            problems.append(f"{name} allows {sources}")
    for name, value in (("frame-ancestors", ["'none'"]), ("object-src", ["'none'"]), ("base-uri", ["'none'"])):
        if policy.get(name) != value:
            problems.append(f"{name} is {policy.get(name)}")
    return problems


def check_markup(html: str) -> list[str]:
    found = []
    for label, pattern in (
        ("inline <script>", INLINE_SCRIPT),
        ("on…= handler", EVENT_HANDLER),
        ("style= attribute", STYLE_ATTRIBUTE),
        ("<style> element", STYLE_ELEMENT),
        ("javascript: URL", JAVASCRIPT_URL),
    ):
        found += [f"{label}: {match.group(0)[:90]}" for match in pattern.finditer(html)]
    return found


def pages_of(client: Client, world, *, htmx: bool = False):
    """(route name, response) for every GET that answers 200 with HTML."""
    headers = {"HX-Request": "true"} if htmx else {}
    for route in routes():
        response = client.get(url_for(route, world), data_for(route, world), headers=headers)
        if response.status_code == 200 and response.get("Content-Type", "").startswith("text/html"):
            yield route.name, response


@pytest.mark.parametrize("role", ["officer_a", "press", "crisis", "admin"])
@pytest.mark.parametrize("htmx", [False, True], ids=["page", "htmx"])
def test_every_page_has_the_policy_and_keeps_to_it(world, role, htmx):
    """Every page of the URLconf this role can open (the admin's too), and its htmx
    fragment: the policy header, no inline script, handler, style or javascript: URL.
    An offender is named with its URL: the fix is in its template (a class in
    static/css, a listener in static/js), never 'unsafe-inline' in the policy."""
    problems, seen = [], 0
    for name, response in pages_of(world.client(role), world, htmx=htmx):
        seen += 1
        problems += [f"{name}: {problem}" for problem in check_policy(response) + check_markup(response.text)]
    assert seen > 10
    assert not problems, "\n".join(problems)


def test_pages_before_login_and_before_the_second_factor_keep_to_it(world):
    """The login page (and its lockout variant) and the enrolment page with its QR code."""
    anonymous = Client()
    pages = [anonymous.get(reverse("login"))]
    press = Client()
    press.force_login(world.users["press"])  # password only: enrolment
    pages.append(press.get(reverse("security:otp_setup")))
    for _ in range(5):
        pages.append(Client().post(reverse("login"), {"username": "nobody-here", "password": "x"}))
    for response in pages:
        assert response.status_code in (200, 429)
        assert not check_policy(response) + check_markup(response.text), response.request["PATH_INFO"]
    assert pages[-1].status_code == 429


def test_htmx_is_told_not_to_inject_style_nor_to_evaluate_code(world):
    """htmx 2 adds an indicator <style> unless told not to (the policy would block it)."""
    html = world.client("press").get(reverse("posts:dashboard")).text
    meta = re.search(r"""<meta name="htmx-config" content='([^']*)'>""", html)
    assert meta, 'base.html lacks <meta name="htmx-config" …>'
    import json

    config = json.loads(meta.group(1))
    assert config.get("includeIndicatorStyles") is False
    assert config.get("allowEval") is False


def test_framing_is_refused_everywhere(world):
    """Clickjacking the approve page (S11): frame-ancestors 'none' and X-Frame-Options."""
    response = world.client("press").get(reverse("posts:message_detail", args=[world.message_a.pk]))
    assert "frame-ancestors 'none'" in response["Content-Security-Policy"]
    assert response["X-Frame-Options"] == "DENY"


# --- CSRF -------------------------------------------------------------------------------------


def _post_routes():
    """Every URL that some role may POST to (the matrix's A), with the first such role."""
    from tests.security.conftest import ROLES

    for route in APP_ROUTES:
        post = EXPECTED.get(route.name, ("", ""))[1]
        if "A" in post:
            yield route, ROLES[post.index("A")]


def test_every_post_without_a_csrf_token_is_refused(world):
    """Forms and htmx requests alike (S10). The session is valid: only the token is missing."""
    accepted = []
    for route, role in _post_routes():
        client = Client(enforce_csrf_checks=True)
        if role != "anonymous":
            force_verified_login(client, world.users[role])
        for headers in ({}, {"HX-Request": "true"}):
            with transaction.atomic():
                response = client.post(url_for(route, world), data_for(route, world), headers=headers)
                transaction.set_rollback(True)
            if response.status_code != 403 or (b"CSRF" not in response.content and b"csrf" not in response.content):
                accepted.append(f"{route.name} ({role}, {'htmx' if headers else 'form'}): {response.status_code}")
    assert not accepted, "POSTs accepted without a CSRF token:\n" + "\n".join(accepted)


def test_an_htmx_post_with_the_token_from_the_page_passes_the_csrf_check(world):
    """base.html puts the token in hx-headers on <body>: htmx sends it as X-CSRFToken."""
    client = Client(enforce_csrf_checks=True)
    force_verified_login(client, world.users["press"])
    page = client.get(reverse("posts:message_detail", args=[world.message_a.pk])).text
    token = re.search(r'hx-headers=\'\{"X-CSRFToken": "([^"]+)"\}\'', page).group(1)
    response = client.post(
        reverse("posts:comment_add", args=[world.message_a.pk]),
        {"body": "Seen."},
        headers={"HX-Request": "true", "X-CSRFToken": token},
    )
    assert response.status_code != 403
    assert Comment.objects.filter(body="Seen.").exists()


def test_every_form_on_every_page_carries_the_token(world):
    missing = []
    for role in ("officer_a", "press", "crisis", "admin"):
        for name, response in pages_of(world.client(role), world):
            for form in re.findall(r"<form\b[^>]*>.*?</form>", response.text, re.IGNORECASE | re.DOTALL):
                opening = form[: form.index(">") + 1]
                if re.search(r"method=[\"']?post", opening, re.IGNORECASE) and "csrfmiddlewaretoken" not in form:
                    missing.append(f"{name}: {opening[:100]}")
    assert not missing, "\n".join(sorted(set(missing)))


def _snapshot():
    return {
        "messages": list(Message.objects.order_by("pk").values_list("pk", "state", "version", "updated_at")),
        "deliveries": list(Delivery.objects.order_by("pk").values_list("pk", "state", "next_attempt_at")),
        "events": Event.objects.count(),
        "reviews": Review.objects.count(),
        "comments": Comment.objects.count(),
        "accounts": list(SocialAccount.objects.order_by("pk").values_list("pk", "status", "sealed_credentials")),
        "pauses": list(PublishingPause.objects.order_by("pk").values_list("pk", "ended_at")),
        "staff": list(StaffMembership.objects.order_by("pk").values_list("pk", "user_id", "mission_id")),
        "roles": list(Group.user_set.through.objects.order_by("pk").values_list("user_id", "group_id")),
    }


def test_no_get_changes_anything(world):
    """Every URL, GET, every role: the workflow's tables are as they were (S10, ASVS 3.5.3).
    The OAuth callback is the one GET that may change state, and only with this session's
    pending state, which nobody has here."""
    for route in routes():  # the objects the URLs name, made before looking
        url_for(route, world)
    before = _snapshot()
    for role in ("anonymous", "officer_a", "officer_b", "press", "crisis", "admin"):
        client = world.client(role)
        for route in routes():
            if route.name == "logout":
                continue
            client.get(url_for(route, world), data_for(route, world))
    assert _snapshot() == before
