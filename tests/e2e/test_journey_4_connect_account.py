"""Journey 4: an administrator registers a sandbox account for a mission and connects it
through the network's OAuth flow: the consent page (the sandbox's), Authorise, and back."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from channels.models import SocialAccount
from tests.posts.factories import administrator

from .helpers import shot

pytestmark = [pytest.mark.e2e, pytest.mark.processes, pytest.mark.timeout(120)]


def test_administrator_connects_a_sandbox_account_through_the_oauth_flow(live_app, login):
    admin = administrator(username="anne", first_name="Anne", last_name="Lefèvre", is_staff=True)
    page = login(admin)

    # The missions, as administrators see them: local time now, staff and accounts.
    page.goto("/missions/?region=Asia-Pacific")
    expect(page.get_by_role("link", name="Staff and roles")).to_be_visible()
    expect(page.get_by_role("columnheader", name="Local time")).to_be_visible()
    shot(page, "missions", full_page=False)

    page.goto("/accounts/social/register/")
    # The 271 missions: a picker that finds one as you type.
    page.get_by_role("combobox", name="Mission").fill("japan")
    page.get_by_role("option", name="Embassy of France in Japan").click()
    page.get_by_label("Network").select_option("twitter")
    page.get_by_label("Sandbox account").check()
    page.get_by_role("button", name="Register").click()
    expect(page.get_by_text("The account is registered")).to_be_visible()
    registered = SocialAccount.objects.get(mission__code="emb-jp-tokyo", network="twitter")
    assert registered.status == SocialAccount.Status.PENDING

    page.get_by_role("button", name="Connect").click()
    # The network's own consent page (the sandbox's X).
    expect(page.get_by_role("heading", name="Sandbox X: authorise Diplomacy Hub?")).to_be_visible()
    assert page.url.startswith(live_app.sandbox_url)
    page.fill("#handle", "FranceinJapan")
    page.click("#authorize")

    expect(page.get_by_text("is connected")).to_be_visible()
    registered.refresh_from_db()
    assert registered.status == SocialAccount.Status.CONNECTED
    assert registered.has_credentials
    assert registered.handle.lstrip("@") == "FranceinJapan"

    page.goto("/accounts/social/?region=Asia-Pacific")
    expect(page.get_by_role("link", name="FranceinJapan")).to_be_visible()
    shot(page, "accounts", full_page=False)
