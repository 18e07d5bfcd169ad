"""Flickr's read side through flickrapi against the sandbox's public: the hourly activity,
then each photo's new comments; Flickr pushes nothing."""

from __future__ import annotations

import json

import pytest
import requests

from channels.adapters.base import PermanentError, RateLimited
from channels.adapters.flickr import ACTIVITY_EVERY_SECONDS
from channels.adapters.listening import ItemKind
from tests.channels.adapters.helpers import FLICKR
from tests.channels.listening.conftest import live, say


def _our_photos(sandbox_url: str, folder, count: int = 2) -> list[str]:
    adapter = FLICKR.adapter(sandbox_url)
    return [
        adapter.publish(FLICKR.credentials(), FLICKR.sample(folder, reference=f"dh-{n}", name=f"p{n}")).external_id
        for n in range(count)
    ]


def _listen(sandbox_url: str, cursor: str = ""):
    return FLICKR.adapter(sandbox_url).listen(FLICKR.credentials(), cursor=cursor, our_posts=[])


def _an_hour_later(cursor: str) -> str:
    """The cursor as it stands once the hour Flickr asks us to wait has passed."""
    state = json.loads(cursor)
    state["activity_at"] -= ACTIVITY_EVERY_SECONDS
    return json.dumps(state)


def _requests(sandbox_url: str) -> int:
    return requests.get(f"{sandbox_url}/_sandbox/stats", timeout=5).json()["requests"]


def test_listen_hears_every_comment_under_our_photos_once(sandbox_url, tmp_path):
    photos = _our_photos(sandbox_url, tmp_path)
    said = live(say(sandbox_url, "flickr", FLICKR.account_id, seed=1, count=25, languages=["ja", "en", "fr"]))

    heard = _listen(sandbox_url)

    assert sorted(item.external_id for item in heard.items) == sorted(item["id"] for item in said)
    by_id = {item.external_id: item for item in heard.items}
    for item in said:
        got = by_id[item["id"]]
        assert got.kind == ItemKind.COMMENT
        assert got.thread_id == got.parent_id == got.answers_post_id == item["post"]
        assert got.thread_id in photos
        assert (got.text, got.author_id, got.author_name) == (
            item["text"],
            item["author"]["id"],
            item["author"]["name"],
        )
        assert got.raw["permalink"].endswith(f"#comment{item['id']}")


def test_the_activity_is_asked_at_most_once_an_hour(sandbox_url, tmp_path):
    _our_photos(sandbox_url, tmp_path, 1)
    say(sandbox_url, "flickr", FLICKR.account_id, seed=2, count=5)
    first = _listen(sandbox_url)
    before = _requests(sandbox_url)

    again = _listen(sandbox_url, first.cursor)

    assert again.items == []
    assert _requests(sandbox_url) == before + 1  # this question only: Flickr was not called
    assert again.retry_after is not None
    assert ACTIVITY_EVERY_SECONDS - 60 < again.retry_after <= ACTIVITY_EVERY_SECONDS


def test_the_cursor_resumes_after_the_last_comment_read(sandbox_url, tmp_path):
    _our_photos(sandbox_url, tmp_path)
    say(sandbox_url, "flickr", FLICKR.account_id, seed=3, count=12)
    first = _listen(sandbox_url)
    # Said in the same second as the last one read: Flickr counts whole seconds.
    later = live(say(sandbox_url, "flickr", FLICKR.account_id, seed=4, count=6, spread_seconds=0))

    second = _listen(sandbox_url, _an_hour_later(first.cursor))

    assert sorted(item.external_id for item in second.items) == sorted(item["id"] for item in later)
    assert _listen(sandbox_url, _an_hour_later(second.cursor)).items == []


def test_a_rate_limit_says_how_long_to_wait(sandbox_url, tmp_path):
    _our_photos(sandbox_url, tmp_path, 1)
    say(sandbox_url, "flickr", FLICKR.account_id, seed=5, count=3)
    FLICKR.fault(sandbox_url, rate_limit_rate=1.0, count=1)

    with pytest.raises(RateLimited) as raised:
        _listen(sandbox_url)

    assert raised.value.retry_after == 60.0  # Flickr's 429 names no time: our own minute


def test_flickr_has_no_webhooks(sandbox_url):
    adapter = FLICKR.adapter(sandbox_url)

    assert adapter.webhook_challenge(params={"hub.challenge": "1"}, app_secret="s", verify_token="t") is None
    assert not adapter.verify_webhook(body=b"{}", headers={}, app_secret="s")
    with pytest.raises(PermanentError):
        adapter.webhook_items({})
