"""Every page but the login page requires a login.

The URLconf is enumerated, so a view added later is covered the day it is added: a view
that answers an anonymous visitor fails here unless it is listed in PUBLIC below, with
the reason it may be public.
"""

import re
import uuid
from urllib.parse import quote

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, resolve, reverse
from django.urls.converters import IntConverter, PathConverter, SlugConverter, StringConverter, UUIDConverter

# URL names (namespace:name) that answer anonymous visitors, and why.
PUBLIC = {
    "login": "the login page itself",
    "set_language": "switching language on the login page; it only sets a cookie and redirects",
    "admin:login": "the admin's own login page",
    "healthz": "load balancers and monitoring; counts and ages only, no message or account",
    "conversations:webhook_x": "X pushes to it; every POST is proven by its HMAC signature, else 403",
    "conversations:webhook_facebook": "Facebook pushes to it; every POST is proven by its HMAC signature, else 403",
    "invitation:open": "an invited person has no account yet: the link's single-use token is the credential",
    "invitation:accept": "the invited person sets their password; works only with a valid link kept in the session",
    "api:schema": "the API's OpenAPI document: how to call it, no data",
    "api:docs": "the API's documentation page, drawn from that document",
    "feeds:mission": "Atom feed of what a mission published: public already, on the networks",
    "feeds:crisis": "Atom feed of the published crisis alerts: public already, meant for citizens abroad",
}
# The API (api/) asks a program for credentials instead of sending it to an HTML login page:
# 401 with `WWW-Authenticate: Bearer` and a problem+json body.
API = "/api/v1/"

SAMPLES = {
    IntConverter: 1,
    SlugConverter: "emb-jp-tokyo",
    PathConverter: "1/2",
    UUIDConverter: uuid.UUID(int=1),
    StringConverter: "1",
}


def _sample_route(route: str, converters: dict) -> str:
    def fill(match: re.Match) -> str:
        name = match.group("name")
        converter = converters[name]
        sample = next((value for kind, value in SAMPLES.items() if isinstance(converter, kind)), "1")
        return converter.to_url(sample)

    return re.sub(r"<(?:(?P<conv>[^>:]+):)?(?P<name>[^>]+)>", fill, route)


def _sample_regex(regex: str) -> str:
    """A string matching a simple regex URL pattern, enough for Django's and ours."""

    def group(match: re.Match) -> str:
        body = match.group("body")
        if re.fullmatch(r"[\w-]+(\|[\w-]+)*", body):  # alternatives: take the first
            return body.split("|")[0]
        return "1"

    text = re.sub(r"\(\?P<\w+>(?P<body>[^()]*)\)", group, regex)
    return text.removeprefix("^").removesuffix("$").removesuffix(r"\Z").replace("\\", "")


def _sample_pattern(pattern) -> str:
    if hasattr(pattern, "_route"):
        return _sample_route(pattern._route, pattern.converters)
    return _sample_regex(pattern._regex)


def all_urls(patterns=None, prefix: str = "", namespace: str = ""):
    """(path, "namespace:name" or None, view) for every URL pattern, recursively."""
    if patterns is None:
        patterns = get_resolver().url_patterns
    for entry in patterns:
        part = prefix + _sample_pattern(entry.pattern)
        if isinstance(entry, URLResolver):
            inner = f"{namespace}:{entry.namespace}".strip(":") if entry.namespace else namespace
            yield from all_urls(entry.url_patterns, part, inner)
        elif isinstance(entry, URLPattern):
            name = f"{namespace}:{entry.name}".strip(":") if entry.name else None
            yield "/" + part, name, entry.callback


URLS = list(all_urls())


def test_every_url_pattern_gets_a_sample_path_that_resolves_to_its_view():
    """Otherwise the test below would check some other view than the one it names."""
    for path, name, view in URLS:
        match = resolve(path)
        assert match.func == view, f"{path} ({name}) resolves to {match.view_name}"


def test_public_urls_still_exist():
    """A stale entry in PUBLIC would hide nothing, but says something false."""
    names = {name for _path, name, _view in URLS}
    for name in PUBLIC:
        assert name in names, f"{name} is in PUBLIC but no URL pattern has that name"


@pytest.mark.django_db
@pytest.mark.parametrize(("path", "name"), [(path, name) for path, name, _ in URLS if name not in PUBLIC])
def test_anonymous_visitor_is_sent_to_log_in(client, path, name):
    """Admin pages may send the visitor to the admin's login page, the rest to ours."""
    response = client.get(path)
    if path.startswith(API):
        assert response.status_code == 401, f"{path} ({name}) answered {response.status_code} to anonymous"
        assert response["WWW-Authenticate"].startswith("Bearer")
        assert response["Content-Type"] == "application/problem+json"
        return
    assert response.status_code == 302, f"{path} ({name}) answered {response.status_code} to anonymous"
    logins = [reverse("login")]
    if path.startswith(reverse("admin:index")):
        logins.append(reverse("admin:login"))
    assert response["Location"] in [f"{login}?next={quote(path)}" for login in logins]


@pytest.mark.django_db
def test_login_page_answers_anonymous_visitors(client):
    response = client.get(reverse("login"))
    assert response.status_code == 200
    assert 'name="username"' in response.text


@pytest.mark.django_db
def test_unknown_url_answers_404_not_a_login_redirect(client):
    """An unknown address is not found, for anyone: no view runs, so there is nothing to protect."""
    response = client.get("/no-such-page/")
    assert response.status_code == 404
