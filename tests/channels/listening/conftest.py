"""What the listening tests share: the sandbox public's control API (the webhook
receiver is tests/channels/conftest.py's)."""

from __future__ import annotations

import requests


def say(sandbox_url: str, network: str, account: str, **script) -> list[dict]:
    """The sandbox's public says `count` things to the account (public.py's script)."""
    answer = requests.post(
        f"{sandbox_url}/_sandbox/public", json={"network": network, "account": account, **script}, timeout=30
    )
    assert answer.status_code == 201, answer.text
    return answer.json()["said"]


def live(said: list[dict]) -> list[dict]:
    return [item for item in said if not item["deleted"]]
