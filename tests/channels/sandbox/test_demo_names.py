"""The sandbox names the demo's accounts as the app does: the mission's name and the
handle seed_demo gave the account, not "Sandbox account dh-emb-jp-tokyo-twitter"."""

from __future__ import annotations

from channels.sandbox.state import SandboxState
from embassies.names import demo_account, demo_account_id


def test_a_demo_account_is_named_from_its_mission():
    account = SandboxState().account("twitter", demo_account_id("emb-jp-tokyo", "twitter"))
    assert (account.name, account.handle) == ("Embassy of France in Japan", "FranceinJapan")
    assert demo_account("facebook", "dh-del-un-nairobi-facebook") == (
        "Permanent Representation of France to the United Nations in Nairobi (UNEP, UN-Habitat)",
        "FranceUNNairobi",
    )


def test_other_accounts_keep_a_made_up_name():
    assert demo_account("twitter", "dh-emb-jp-tokyo-facebook") is None  # another network's id
    assert demo_account("twitter", "dh-nowhere-twitter") is None
    assert SandboxState().account("twitter", "1001").name == "Sandbox account 1001"


def test_the_feed_page_shows_the_demo_accounts_name(http, sandbox_url):
    feed = http.get(f"{sandbox_url}/_sandbox/feed/twitter/dh-emb-eg-cairo-twitter")
    assert feed.status_code == 200
    assert "Embassy of France in Egypt" in feed.text
    assert "@FranceinEgypt" in feed.text
