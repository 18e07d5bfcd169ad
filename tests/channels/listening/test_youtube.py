"""YouTube's read side through google-api-python-client against the sandbox's public:
comment threads, replies when a thread's count grew, the quota units spent."""

from __future__ import annotations

import pytest

from channels.adapters.base import PermanentError, RateLimited
from channels.adapters.listening import ItemKind
from channels.adapters.youtube import seconds_until_quota_reset
from channels.sandbox import youtube as sandbox_youtube
from tests.channels.adapters.helpers import YOUTUBE
from tests.channels.listening.conftest import live, say


def _our_videos(sandbox_url: str, folder, count: int = 2) -> list[str]:
    adapter = YOUTUBE.adapter(sandbox_url)
    return [
        adapter.publish(YOUTUBE.credentials(), YOUTUBE.sample(folder, reference=f"dh-{n}", name=f"v{n}")).external_id
        for n in range(count)
    ]


def _listen(sandbox_url: str, cursor: str = ""):
    return YOUTUBE.adapter(sandbox_url).listen(YOUTUBE.credentials(), cursor=cursor, our_posts=[])


def test_listen_hears_every_comment_and_reply_once(sandbox_url, tmp_path):
    videos = _our_videos(sandbox_url, tmp_path)
    everything = say(sandbox_url, "youtube", YOUTUBE.account_id, seed=1, count=40, languages=["es", "ar"])
    said = live(everything)
    # A reply whose thread was deleted is gone with it on YouTube.
    gone = {item["id"] for item in everything if item["deleted"]}

    heard = _listen(sandbox_url)

    expected = {item["id"] for item in said if item["parent"] not in gone}
    assert {item.external_id for item in heard.items} == expected
    by_id = {item.external_id: item for item in heard.items}
    for item in said:
        if item["id"] not in expected:
            continue
        got = by_id[item["id"]]
        assert got.text == item["text"]
        assert got.answers_post_id == item["post"]
        assert got.answers_post_id in videos
        assert (got.author_id, got.author_name) == (item["author"]["id"], item["author"]["name"])
        if item["kind"] == "reply":
            assert (got.kind, got.thread_id, got.parent_id) == (ItemKind.REPLY, item["parent"], item["parent"])
        else:
            assert (got.kind, got.thread_id, got.parent_id) == (ItemKind.COMMENT, item["id"], item["post"])
    threads_with_replies = {item["parent"] for item in said if item["kind"] == "reply"} - gone
    assert heard.quota_units_spent == 1 + len(threads_with_replies)


def test_the_cursor_hears_new_threads_and_new_replies_only(sandbox_url, tmp_path):
    _our_videos(sandbox_url, tmp_path, 1)
    first_said = live(say(sandbox_url, "youtube", YOUTUBE.account_id, seed=2, count=15))
    first = _listen(sandbox_url)
    quiet = _listen(sandbox_url, first.cursor)
    assert quiet.items == []
    assert quiet.quota_units_spent == 1  # one page of threads, no thread grew

    later = live(say(sandbox_url, "youtube", YOUTUBE.account_id, seed=3, count=15, spread_seconds=0))
    second = _listen(sandbox_url, quiet.cursor)

    assert len(first.items) == len(first_said)
    assert {item.external_id for item in second.items} >= {item["id"] for item in later}
    # Replies of a thread that grew are read from the second of the last one read: only
    # those said in that very second may come again, the same items.
    again = {item.external_id for item in second.items} - {item["id"] for item in later}
    assert again <= {item["id"] for item in first_said if item["kind"] == "reply"}


def test_quota_exceeded_says_wait_until_midnight_in_california(sandbox_url, tmp_path, monkeypatch):
    _our_videos(sandbox_url, tmp_path, 1)
    say(sandbox_url, "youtube", YOUTUBE.account_id, seed=4, count=5)
    monkeypatch.setattr(sandbox_youtube, "QUOTA_UNITS_PER_DAY", 0)

    with pytest.raises(RateLimited) as raised:
        _listen(sandbox_url)

    assert abs(raised.value.retry_after - seconds_until_quota_reset()) < 5


def test_quota_spent_mid_poll_keeps_what_was_read(sandbox_url, tmp_path, monkeypatch):
    _our_videos(sandbox_url, tmp_path, 1)
    said = live(say(sandbox_url, "youtube", YOUTUBE.account_id, seed=5, count=30))
    assert any(item["kind"] == "reply" for item in said)
    monkeypatch.setattr(sandbox_youtube, "QUOTA_UNITS_PER_DAY", 1)  # the threads, not the replies

    stopped = _listen(sandbox_url)

    assert stopped.items
    assert all(item.kind == ItemKind.COMMENT for item in stopped.items)
    assert stopped.retry_after is not None
    assert abs(stopped.retry_after - seconds_until_quota_reset()) < 5


def test_youtube_has_no_comment_webhooks(sandbox_url):
    adapter = YOUTUBE.adapter(sandbox_url)

    assert adapter.webhook_challenge(params={"hub.challenge": "1"}, app_secret="s", verify_token="t") is None
    assert not adapter.verify_webhook(body=b"{}", headers={}, app_secret="s")
    with pytest.raises(PermanentError):
        adapter.webhook_items({})
