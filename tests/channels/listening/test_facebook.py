"""Facebook's read side through facebook-sdk against the sandbox's public: comments under
our posts, visitors' posts, Meta's usage headers, and the Page `feed` webhook."""

from __future__ import annotations

import hashlib
import hmac
import json

import pytest
import requests

from channels.adapters.base import Content, PermanentError, RateLimited
from channels.adapters.facebook import POSTS_PER_POLL, appsecret_proof
from channels.adapters.listening import ItemKind
from channels.sandbox import facebook as sandbox_facebook
from tests.channels.adapters.helpers import FACEBOOK
from tests.channels.listening.conftest import live, say

APP_SECRET = FACEBOOK.app.client_secret
PAGE = FACEBOOK.account_id


def _our_posts(sandbox_url: str, count: int = 2) -> list[str]:
    adapter = FACEBOOK.adapter(sandbox_url)
    return [
        adapter.publish(FACEBOOK.credentials(), Content(text=f"Journée portes ouvertes n° {n}")).external_id
        for n in range(count)
    ]


def _listen(sandbox_url: str, posts: list[str], cursor: str = ""):
    return FACEBOOK.adapter(sandbox_url).listen(FACEBOOK.credentials(), cursor=cursor, our_posts=posts)


def test_listen_hears_every_comment_reply_and_visitor_post_once(sandbox_url):
    posts = _our_posts(sandbox_url)
    said = live(say(sandbox_url, "facebook", PAGE, seed=1, count=60, languages=["fr", "ar", "zh"]))

    heard = _listen(sandbox_url, posts)

    assert sorted(item.external_id for item in heard.items) == sorted(item["id"] for item in said)
    by_id = {item.external_id: item for item in heard.items}
    for item in said:
        got = by_id[item["id"]]
        assert (got.kind, got.text) == (item["kind"], item["text"])
        assert (got.author_id, got.author_name) == (item["author"]["id"], item["author"]["name"])
        if item["kind"] == ItemKind.REPLY:
            assert (got.thread_id, got.parent_id, got.answers_post_id) == (item["parent"], item["parent"], item["post"])
        elif item["kind"] == ItemKind.COMMENT:
            assert (got.thread_id, got.parent_id, got.answers_post_id) == (item["id"], item["post"], item["post"])
        else:
            assert (got.thread_id, got.answers_post_id) == (item["id"], "")
    assert {item.kind for item in heard.items} == {ItemKind.COMMENT, ItemKind.REPLY, ItemKind.VISITOR_POST}
    assert heard.remaining_calls is not None
    assert heard.remaining_calls < 100


def test_the_cursor_resumes_after_the_last_item_read(sandbox_url):
    posts = _our_posts(sandbox_url)
    say(sandbox_url, "facebook", PAGE, seed=2, count=250)  # comments on several pages
    first = _listen(sandbox_url, posts)
    assert _listen(sandbox_url, posts, first.cursor).items == []

    # Said within the second of the newest read: Graph counts whole seconds.
    later = live(say(sandbox_url, "facebook", PAGE, seed=3, count=8, spread_seconds=0))
    second = _listen(sandbox_url, posts, first.cursor)

    assert sorted(item.external_id for item in second.items) == sorted(item["id"] for item in later)


def test_a_page_over_its_allowance_stops_and_says_when_to_come_back(sandbox_url, monkeypatch):
    posts = _our_posts(sandbox_url)
    said = live(say(sandbox_url, "facebook", PAGE, seed=4, count=30))
    monkeypatch.setattr(sandbox_facebook, "PAGE_READS_PER_HOUR", 1)

    stopped = _listen(sandbox_url, posts)

    assert stopped.items
    assert stopped.retry_after is not None
    assert stopped.retry_after >= 60
    monkeypatch.setattr(sandbox_facebook, "PAGE_READS_PER_HOUR", 200)
    resumed = _listen(sandbox_url, posts, stopped.cursor)
    ids = [item.external_id for item in [*stopped.items, *resumed.items]]
    assert sorted(ids) == sorted(item["id"] for item in said)


def test_a_page_refused_at_once_raises_rate_limited(sandbox_url, monkeypatch):
    posts = _our_posts(sandbox_url, 1)
    say(sandbox_url, "facebook", PAGE, seed=5, count=3)
    monkeypatch.setattr(sandbox_facebook, "PAGE_READS_PER_HOUR", 0)

    with pytest.raises(RateLimited) as raised:
        _listen(sandbox_url, posts)

    assert raised.value.retry_after >= 60


# --- The Page `feed` webhook ---------------------------------------------------------------------------------


def _hook(sandbox_url: str, receiver, **faults) -> None:
    answer = requests.post(
        f"{sandbox_url}/_sandbox/webhooks",
        json={"network": "facebook", "url": receiver.url, "secret": APP_SECRET, **faults},
        timeout=5,
    )
    assert answer.status_code == 201, answer.text


def test_connecting_a_page_subscribes_it_to_the_feed_webhook(sandbox_url):
    FACEBOOK.adapter(sandbox_url).subscribe_to_feed(FACEBOOK.credentials())

    token = FACEBOOK.credentials().access_token
    answer = requests.get(
        f"{sandbox_url}/facebook/v24.0/{PAGE}/subscribed_apps",
        params={"access_token": token, "appsecret_proof": appsecret_proof(APP_SECRET, token)},
        timeout=5,
    ).json()
    assert answer["data"][0]["subscribed_fields"] == ["feed"]


def test_pushed_changes_are_signed_verified_and_read_with_edits_and_removals(sandbox_url, receiver):
    posts = _our_posts(sandbox_url)
    FACEBOOK.adapter(sandbox_url).subscribe_to_feed(FACEBOOK.credentials())
    _hook(sandbox_url, receiver)
    said = say(sandbox_url, "facebook", PAGE, seed=6, count=40)
    expected = len(said) + sum(1 for item in said if item["edited_at"]) + sum(1 for item in said if item["deleted"])

    deliveries = receiver.wait_for(expected)

    adapter = FACEBOOK.adapter(sandbox_url)
    heard = []
    for body, headers in deliveries:
        assert adapter.verify_webhook(body=body, headers=headers, app_secret=APP_SECRET)
        heard += adapter.webhook_items(json.loads(body))
    assert len(heard) == expected
    final = {item.external_id: item for item in heard}  # in order: the last word on each
    assert set(final) == {item["id"] for item in said}
    assert {item.account_id for item in heard} == {PAGE}  # the entry's id
    for item in said:
        got = final[item["id"]]
        assert got.deleted == item["deleted"]
        if not item["deleted"]:
            assert got.text == item["text"]
            assert (got.edited_at is not None) == bool(item["edited_at"])
        if item["kind"] != ItemKind.VISITOR_POST:
            assert got.answers_post_id in posts


def test_a_page_that_did_not_subscribe_gets_no_push(sandbox_url, receiver):
    _our_posts(sandbox_url, 1)
    _hook(sandbox_url, receiver)
    say(sandbox_url, "facebook", PAGE, seed=7, count=5)

    assert receiver.wait_for(1, timeout=1.0) == []


def test_the_verification_get_is_answered_only_with_our_verify_token(sandbox_url):
    adapter = FACEBOOK.adapter(sandbox_url)
    params = {"hub.mode": "subscribe", "hub.verify_token": "our-token", "hub.challenge": "1158201444"}

    assert adapter.webhook_challenge(params=params, app_secret=APP_SECRET, verify_token="our-token") == "1158201444"
    assert adapter.webhook_challenge(params=params, app_secret=APP_SECRET, verify_token="another") is None
    unsubscribe = params | {"hub.mode": "unsubscribe"}
    assert adapter.webhook_challenge(params=unsubscribe, app_secret=APP_SECRET, verify_token="our-token") is None
    assert adapter.challenge_content_type == "text/plain"


def test_forged_unsigned_and_altered_deliveries_are_refused(sandbox_url, receiver):
    _our_posts(sandbox_url, 1)
    FACEBOOK.adapter(sandbox_url).subscribe_to_feed(FACEBOOK.credentials())
    _hook(sandbox_url, receiver, bad_signature_rate=1.0)
    say(sandbox_url, "facebook", PAGE, seed=8, count=2)
    [(body, headers), *_] = receiver.wait_for(1)
    adapter = FACEBOOK.adapter(sandbox_url)

    assert not adapter.verify_webhook(body=body, headers=headers, app_secret=APP_SECRET)
    assert not adapter.verify_webhook(body=body, headers={}, app_secret=APP_SECRET)
    good = {"x-hub-signature-256": "sha256=" + hmac.new(APP_SECRET.encode(), body, hashlib.sha256).hexdigest()}
    assert adapter.verify_webhook(body=body, headers=good, app_secret=APP_SECRET)
    assert not adapter.verify_webhook(body=body[:-1], headers=good, app_secret=APP_SECRET)


def test_changes_we_do_not_read_are_skipped_and_malformed_ones_refused(sandbox_url):
    adapter = FACEBOOK.adapter(sandbox_url)
    reaction = {"field": "feed", "value": {"item": "reaction", "verb": "add", "post_id": "1_2"}}
    own_post = {"field": "feed", "value": {"item": "status", "verb": "add", "post_id": "1_2", "from": {"id": PAGE}}}
    other_field = {"field": "mention", "value": {}}

    payload = {"object": "page", "entry": [{"id": PAGE, "time": 1, "changes": [reaction, own_post, other_field]}]}
    assert adapter.webhook_items(payload) == []
    with pytest.raises(PermanentError):
        adapter.webhook_items({"object": "user", "entry": []})
    with pytest.raises(PermanentError):
        adapter.webhook_items(
            {"object": "page", "entry": [{"changes": [{"field": "feed", "value": {"item": "comment", "verb": "add"}}]}]}
        )


def test_a_deleted_post_of_ours_is_skipped_and_the_others_still_heard(sandbox_url):
    posts = _our_posts(sandbox_url)
    said = live(say(sandbox_url, "facebook", PAGE, seed=9, count=20))
    FACEBOOK.adapter(sandbox_url).delete(FACEBOOK.credentials(), posts[0])

    heard = _listen(sandbox_url, [*posts, f"{PAGE}_999"])  # and one that never was

    expected = {item["id"] for item in said if item["post"] != posts[0]}
    assert {item.external_id for item in heard.items} == expected
    assert set(json.loads(heard.cursor)["posts"]) == {posts[1]}


def test_a_poll_reads_the_newest_posts_only_within_the_pages_allowance(sandbox_url):
    """Each post costs a call at least: a poll reads POSTS_PER_POLL of them, the newest first."""
    posts = _our_posts(sandbox_url, POSTS_PER_POLL + 5)[::-1]  # the caller's list, newest first
    heard = _listen(sandbox_url, posts)

    assert sorted(json.loads(heard.cursor)["posts"]) == sorted(posts[:POSTS_PER_POLL])
