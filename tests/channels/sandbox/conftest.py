"""Helpers for the sandbox's tests: plain HTTP against the `sandbox` fixture of
tests/conftest.py. Nothing here needs the database."""

from __future__ import annotations

import hashlib
import hmac
from urllib.parse import parse_qs, urlsplit

import pytest
import requests

from tests.channels.adapters.helpers import FACEBOOK


@pytest.fixture
def http():
    """A requests session that ignores proxy settings of the environment (loopback only)."""
    with requests.Session() as session:
        session.trust_env = False
        yield session


def add_fault(http: requests.Session, sandbox_url: str, **rule) -> dict:
    response = http.post(f"{sandbox_url}/_sandbox/faults", json=rule)
    assert response.status_code == 201, response.text
    return response.json()["rule"]


def received(http: requests.Session, sandbox_url: str, **filters: str) -> list[dict]:
    return http.get(f"{sandbox_url}/_sandbox/received", params=filters).json()["items"]


def consent(
    http: requests.Session,
    page_url: str,
    *,
    decision: str = "authorize",
    account_id: str = "",
    display_name: str = "",
    handle: str = "",
) -> dict[str, str]:
    """Show a consent page, answer it as a person would, and return the query parameters
    of the redirect (to redirect_uri or oauth_callback)."""
    page = http.get(page_url)
    assert page.status_code == 200, page.text
    assert 'id="authorize"' in page.text
    assert 'id="deny"' in page.text
    form = {"decision": decision, "account_id": account_id, "display_name": display_name, "handle": handle}
    answer = http.post(page_url, data=form, allow_redirects=False)
    assert answer.status_code == 302, answer.text
    return {key: values[-1] for key, values in parse_qs(urlsplit(answer.headers["Location"]).query).items()}


def facebook_proof(token: str) -> str:
    """The appsecret_proof of a Facebook call with `token`, for the adapter tests' app (the
    suite's sandbox knows it and requires the proof: tests/conftest.py)."""
    secret = FACEBOOK.app.client_secret
    return hmac.new(secret.encode(), token.encode(), hashlib.sha256).hexdigest()
