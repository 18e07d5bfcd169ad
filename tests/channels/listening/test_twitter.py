"""X's read side through tweepy against the sandbox's public: mentions, our threads'
replies, paging, cursors, rate limits, and the X Activity API's webhook."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json

import pytest
import requests

from channels.adapters.base import Content, PermanentError, RateLimited
from channels.adapters.listening import ItemKind
from channels.adapters.twitter import THREADS_PER_POLL
from channels.sandbox import twitter as sandbox_twitter
from tests.channels.adapters.helpers import TWITTER
from tests.channels.listening.conftest import live, say

CONSUMER_SECRET = "x-consumer-secret"


def _our_posts(sandbox_url: str, count: int = 2) -> list[str]:
    adapter = TWITTER.adapter(sandbox_url)
    return [
        adapter.publish(TWITTER.credentials(), Content(text=f"Fête nationale, épisode {n}")).external_id
        for n in range(count)
    ]


def _listen(sandbox_url: str, *, cursor: str = "", our_posts: list[str] | None = None):
    return TWITTER.adapter(sandbox_url).listen(TWITTER.credentials(), cursor=cursor, our_posts=our_posts or [])


def test_listen_hears_every_mention_reply_and_quote_once(sandbox_url):
    """Mentions come from the mentions timeline, replies to replies from the search of
    our threads: together, every live thing the public said, each once."""
    posts = _our_posts(sandbox_url)
    said = live(say(sandbox_url, "twitter", TWITTER.account_id, seed=1, count=40, languages=["ar", "fr"]))

    heard = _listen(sandbox_url, our_posts=posts)

    assert sorted(item.external_id for item in heard.items) == sorted(item["id"] for item in said)
    by_id = {item.external_id: item for item in heard.items}
    for item in said:
        got = by_id[item["id"]]
        assert (got.kind, got.text, got.language) == (item["kind"], item["text"], item["language"])
        assert (got.author_id, got.author_name, got.author_handle) == (
            item["author"]["id"],
            item["author"]["name"],
            item["author"]["handle"],
        )
        assert got.thread_id == item["thread"]
        if item["kind"] == ItemKind.REPLY:
            assert got.parent_id == item["parent"]
            assert got.answers_post_id == item["post"]
        assert got.network == "twitter"
        assert got.raw["tweet"]["id"]
    assert {item.kind for item in heard.items} == {ItemKind.MENTION, ItemKind.REPLY, ItemKind.QUOTE}
    assert heard.remaining_calls is not None
    assert heard.remaining_calls < sandbox_twitter.MENTIONS_PER_WINDOW


def test_replies_to_replies_need_the_search_of_our_threads(sandbox_url):
    posts = _our_posts(sandbox_url)
    said = live(say(sandbox_url, "twitter", TWITTER.account_id, seed=1, count=40))
    deep = {item["id"] for item in said if item["kind"] == "reply" and item["parent"] != item["post"]}
    assert deep, "the script has replies to replies"

    mentions_only = {item.external_id for item in _listen(sandbox_url).items}
    with_threads = {item.external_id for item in _listen(sandbox_url, our_posts=posts).items}

    assert not deep & mentions_only
    assert deep <= with_threads


def test_the_cursor_resumes_where_the_last_poll_stopped(sandbox_url):
    posts = _our_posts(sandbox_url)
    first = say(sandbox_url, "twitter", TWITTER.account_id, seed=2, count=260)  # three pages of mentions
    heard = _listen(sandbox_url, our_posts=posts)
    assert len(heard.items) == len(live(first))

    again = _listen(sandbox_url, cursor=heard.cursor, our_posts=posts)
    assert again.items == []

    later = say(sandbox_url, "twitter", TWITTER.account_id, seed=3, count=7)
    new = _listen(sandbox_url, cursor=again.cursor, our_posts=posts)
    # An edit of an earlier post is a new post on X: it comes back, under its first id.
    edited_before = {item["id"] for item in first if item["edited_at"] and not item["deleted"]}
    assert {item.external_id for item in new.items} - edited_before == {item["id"] for item in live(later)}


def test_an_edit_updates_the_item_under_its_first_id(sandbox_url):
    [post] = _our_posts(sandbox_url, 1)
    said = live(say(sandbox_url, "twitter", TWITTER.account_id, seed=4, count=5))
    heard = _listen(sandbox_url, our_posts=[post])
    target = said[0]

    edited = requests.post(
        f"{sandbox_url}/_sandbox/public/edit",
        json={"network": "twitter", "id": target["id"], "text": f"@{TWITTER.account_id} corrected"},
        timeout=5,
    ).json()["said"]
    [item] = _listen(sandbox_url, cursor=heard.cursor, our_posts=[post]).items

    assert edited["version_id"] != target["id"]
    assert item.external_id == target["id"]
    assert item.edited_at is not None
    assert item.text == edited["text"]
    assert item.raw["tweet"]["edit_history_tweet_ids"] == [target["id"], edited["version_id"]]


def test_a_rate_limit_before_any_page_says_how_long_to_wait(sandbox_url):
    say(sandbox_url, "twitter", TWITTER.account_id, seed=5, count=3)
    TWITTER.fault(sandbox_url, rate_limit_rate=1.0, rate_limit_reset_seconds=42, count=1)

    with pytest.raises(RateLimited) as raised:
        _listen(sandbox_url)

    assert 30 < raised.value.retry_after <= 43


def test_a_rate_limit_mid_poll_keeps_the_pages_read_and_resumes_at_the_refused_one(sandbox_url, monkeypatch):
    said = live(say(sandbox_url, "twitter", TWITTER.account_id, seed=6, count=320))
    monkeypatch.setattr(sandbox_twitter, "MENTIONS_PER_WINDOW", 2)  # X's window spent after two pages

    stopped = _listen(sandbox_url)

    assert len(stopped.items) == 200
    assert stopped.retry_after is not None
    assert stopped.retry_after > 0
    assert stopped.remaining_calls == 0
    monkeypatch.setattr(sandbox_twitter, "MENTIONS_PER_WINDOW", 300)
    resumed = _listen(sandbox_url, cursor=stopped.cursor)
    ids = [item.external_id for item in stopped.items + list(resumed.items)]
    assert sorted(ids) == sorted(item["id"] for item in said)  # none lost, none twice
    assert resumed.retry_after is None


def test_a_cursor_that_is_not_ours_starts_again_from_the_default_window(sandbox_url):
    said = live(say(sandbox_url, "twitter", TWITTER.account_id, seed=7, count=4))
    mentions = {item["id"] for item in said if item["kind"] != "reply" or item["parent"] == item["post"]}

    heard = _listen(sandbox_url, cursor="not json at all")

    assert {item.external_id for item in heard.items} == mentions
    assert json.loads(heard.cursor)["mentions"]["since"]


# --- The X Activity API's webhook ----------------------------------------------------------------------------


def _signature(body: bytes, secret: str = CONSUMER_SECRET) -> str:
    return "sha256=" + base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest()).decode()


def test_the_crc_challenge_is_answered_with_the_consumer_secrets_hmac(sandbox_url):
    adapter = TWITTER.adapter(sandbox_url)

    answer = adapter.webhook_challenge(
        params={"crc_token": "challenge-42"}, app_secret=CONSUMER_SECRET, verify_token=""
    )

    expected = base64.b64encode(hmac.new(CONSUMER_SECRET.encode(), b"challenge-42", hashlib.sha256).digest())
    assert json.loads(answer) == {"response_token": "sha256=" + expected.decode()}
    assert adapter.challenge_content_type == "application/json"
    assert adapter.webhook_challenge(params={}, app_secret=CONSUMER_SECRET, verify_token="") is None


def test_pushed_events_are_signed_verified_and_read(sandbox_url, receiver):
    posts = _our_posts(sandbox_url)
    hook = requests.post(
        f"{sandbox_url}/_sandbox/webhooks",
        json={"network": "twitter", "url": receiver.url, "secret": CONSUMER_SECRET},
        timeout=5,
    )
    assert hook.status_code == 201, hook.text
    said = say(sandbox_url, "twitter", TWITTER.account_id, seed=8, count=30)
    pushed = [item for item in said if item["kind"] != "reply" or item["parent"] == item["post"]]

    deliveries = receiver.wait_for(len(pushed))

    adapter = TWITTER.adapter(sandbox_url)
    assert len(deliveries) == len(pushed)
    heard = []
    for body, headers in deliveries:
        assert adapter.verify_webhook(body=body, headers=headers, app_secret=CONSUMER_SECRET)
        heard += adapter.webhook_items(json.loads(body))
    assert [item.external_id for item in heard] == [item["id"] for item in pushed]
    assert {item.account_id for item in heard} == {TWITTER.account_id}  # the event's filter.user_id
    events = {json.loads(body)["data"]["event_type"] for body, _ in deliveries}
    assert events == {"post.mention.create", "post.reply.create", "post.quote.create"}
    replies = [item for item in heard if item.kind == ItemKind.REPLY]
    assert replies
    assert all(item.answers_post_id in posts for item in replies)


def test_forged_unsigned_and_altered_deliveries_are_refused(sandbox_url, receiver):
    requests.post(
        f"{sandbox_url}/_sandbox/webhooks",
        json={"network": "twitter", "url": receiver.url, "secret": CONSUMER_SECRET, "bad_signature_rate": 1.0},
        timeout=5,
    )
    say(sandbox_url, "twitter", TWITTER.account_id, seed=9, count=3)
    [(body, headers), *_] = receiver.wait_for(1)
    adapter = TWITTER.adapter(sandbox_url)

    assert not adapter.verify_webhook(body=body, headers=headers, app_secret=CONSUMER_SECRET)
    assert not adapter.verify_webhook(body=body, headers={}, app_secret=CONSUMER_SECRET)
    good = {"X-Twitter-Webhooks-Signature": _signature(body)}
    assert adapter.verify_webhook(body=body, headers=good, app_secret=CONSUMER_SECRET)
    assert not adapter.verify_webhook(body=body + b" ", headers=good, app_secret=CONSUMER_SECRET)
    assert not adapter.verify_webhook(body=body, headers=good, app_secret="")


def test_events_we_do_not_read_are_skipped_and_malformed_ones_refused(sandbox_url):
    adapter = TWITTER.adapter(sandbox_url)
    assert adapter.webhook_items({"data": {"event_type": "follow.follow", "payload": {}}}) == []
    with pytest.raises(PermanentError):
        adapter.webhook_items({"nothing": True})
    with pytest.raises(PermanentError):
        adapter.webhook_items({"data": {"event_type": "post.reply.create", "payload": {"id": "1"}}})


def test_a_poll_searches_the_newest_threads_only_within_xs_window(sandbox_url):
    """Recent search allows 300 calls a quarter of an hour: a poll searches at most
    THREADS_PER_POLL of our posts, the newest the caller gives first."""
    posts = [str(10**18 + n) for n in range(THREADS_PER_POLL + 10)]
    before = requests.get(f"{sandbox_url}/_sandbox/stats", timeout=5).json()["requests"]

    heard = _listen(sandbox_url, our_posts=posts)

    after = requests.get(f"{sandbox_url}/_sandbox/stats", timeout=5).json()["requests"]
    assert after - before == 1 + 1 + THREADS_PER_POLL  # this question, the mentions, the searches
    assert sorted(json.loads(heard.cursor)["threads"]) == sorted(posts[:THREADS_PER_POLL])
