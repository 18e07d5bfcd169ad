"""What every network's read side does alike, through each SDK against the sandbox."""

from __future__ import annotations

import pytest
import requests

from channels.adapters.listening import Listener
from tests.channels.adapters.helpers import NETWORKS
from tests.channels.listening.conftest import say

# Well-formed JSON of the wrong shapes in every key any adapter reads.
GARBLED = (
    '{"mentions": 5, "threads": [], "posts": "x", "feed": {"since": "abc", "edge": 3}, "photos": {"1": "x"},'
    ' "pending": [1, 2], "activity_at": "x", "newest": 3, "edge": "y", "scan": {"next": 4}, "counts": {"a": [1]}}'
)


@pytest.mark.parametrize("network", NETWORKS, ids=str)
def test_a_garbled_cursor_reads_again_from_the_default_window(sandbox_url, tmp_path, network):
    adapter = network.adapter(sandbox_url)
    assert isinstance(adapter, Listener)
    post = adapter.publish(network.credentials(), network.sample(tmp_path)).external_id
    say(sandbox_url, network.name, network.account_id, seed=1, count=12)

    fresh = adapter.listen(network.credentials(), cursor="", our_posts=[post])
    garbled = adapter.listen(network.credentials(), cursor=GARBLED, our_posts=[post])

    assert fresh.items
    assert sorted(item.external_id for item in garbled.items) == sorted(item.external_id for item in fresh.items)


@pytest.mark.parametrize("network", NETWORKS, ids=str)
def test_every_item_carries_the_networks_own_record(sandbox_url, tmp_path, network):
    """What the network sent is kept as received: `raw` is its JSON, and says what the item says."""
    adapter = network.adapter(sandbox_url)
    post = adapter.publish(network.credentials(), network.sample(tmp_path)).external_id
    say(sandbox_url, network.name, network.account_id, seed=2, count=8)

    heard = adapter.listen(network.credentials(), cursor="", our_posts=[post])

    for item in heard.items:
        assert item.network == network.name
        assert item.account_id == network.account_id
        assert item.raw
        assert item.text in str(item.raw) or item.text.replace('"', '\\"') in str(item.raw)
        assert item.created_at.tzinfo is not None
        # A sandbox account's item links to the sandbox's page of it, which shows it.
        assert item.url.startswith(f"{sandbox_url}/_sandbox/post/{network.name}/")
        shown = requests.get(item.url, timeout=5)
        assert shown.status_code == 200
        assert f"said-{item.external_id}" in shown.text
