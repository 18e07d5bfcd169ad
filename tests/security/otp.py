"""Logging privileged users in, in tests: the press office, the crisis unit and
administrators must verify a TOTP code after their password (security/two_factor.py).

- Django test client, no password step wanted (most view tests):
      from tests.security.otp import force_verified_login
      force_verified_login(client, user)        # instead of client.force_login(user)
  Works for any user: for an officer it is just force_login.
- Django test client through the real login and code pages:
      verified_login(client, user)              # password "correct horse battery staple"
- Playwright page against a live server (e2e):
      verified_login(page, user, base_url=live_server.url)
  fills the login form, then the code page with the current code of the user's device.
- Fixtures, to import into a conftest (`from tests.security.otp import verified_client`):
  `verified_client(user) -> Client`, a fresh client verified as `user`.

A device is created for the user if they have none (`totp_device(user)`), and `totp_code(device)`
computes the code an authenticator app would show. Each code is accepted once: the helpers
let a test log the same user in again within the same 30 seconds by forgetting the last
accepted time step first (a test-only shortcut; the product refuses a replay).
"""

from __future__ import annotations

import time
from typing import Any

import pytest
from django.test import Client
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from live.otp import force_verified_login, totp_device

PASSWORD = "correct horse battery staple"  # tests.factories.UserFactory's


def totp_code(device: TOTPDevice, *, at: float | None = None, steps: int = 0) -> str:
    """The code the device's authenticator app shows now (or at `at`, or `steps` later)."""
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    totp.time = (time.time() if at is None else at) + steps * device.step
    return f"{totp.token():0{device.digits}d}"


def fresh_code(device: TOTPDevice) -> str:
    """A code the device accepts now: the current one, after forgetting a step already used
    (test-only: lets a test log the same user in twice within 30 seconds)."""
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    if device.last_t >= totp.t():
        TOTPDevice.objects.filter(pk=device.pk).update(last_t=totp.t() - 1)
        device.refresh_from_db()
    TOTPDevice.objects.filter(pk=device.pk).update(throttling_failure_count=0, throttling_failure_timestamp=None)
    return totp_code(device)


def verified_login(client_or_page: Any, user, *, password: str = PASSWORD, base_url: str = "") -> Any:
    """Log in through the real pages: the password, then (for a privileged user) the code.

    With a Django test client, asserts each step succeeded and returns the client. With a
    Playwright page, `base_url` is the live server's URL; waits until the dashboard shows."""
    from django.urls import reverse

    from security.two_factor import needs_two_factor

    device = totp_device(user) if needs_two_factor(user) else None
    if isinstance(client_or_page, Client):
        client = client_or_page
        response = client.post(reverse("login"), {"username": user.get_username(), "password": password})
        assert response.status_code == 302, f"the password step failed for {user}: {response.status_code}"
        if device is not None:
            response = client.post(reverse("security:otp_verify"), {"token": fresh_code(device)})
            assert response.status_code == 302, f"the code step failed for {user}: {response.status_code}"
        return client
    page = client_or_page
    page.goto(f"{base_url}{reverse('login')}")
    page.fill("input[name=username]", user.get_username())
    page.fill("input[name=password]", password)
    page.click("form:has(input[name=password]) button[type=submit]")
    if device is not None:
        page.wait_for_url("**/accounts/two-factor/**")
        page.fill("input[name=token]", fresh_code(device))
        page.click("form:has(input[name=token]) button[type=submit]")
    page.wait_for_url(lambda url: "/accounts/" not in url)
    return page


@pytest.fixture
def verified_client(db):
    """A factory: `verified_client(user)` is a new test client logged in and verified as `user`."""

    def make(user) -> Client:
        return force_verified_login(Client(), user)

    return make
