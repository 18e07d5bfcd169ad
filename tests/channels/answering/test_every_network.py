"""Replies through each network's SDK against the sandbox: our reply lands once in the
thread, where the public sees it; it is found again to settle an unknown outcome; a
deleted target ends clearly, nothing sent; over-long text is refused before any call."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import requests

from channels.adapters.answering import REPLY_TEXT_MAX, Answerer, Remover, ReplyTarget
from channels.adapters.base import PermanentError
from channels.adapters.listening import HeardItem, ItemKind
from tests.channels.adapters.helpers import FACEBOOK, NETWORKS, TWITTER, YOUTUBE
from tests.channels.listening.conftest import say


def answers(sandbox_url: str, network: str) -> list[dict]:
    answer = requests.get(f"{sandbox_url}/_sandbox/answers", params={"network": network}, timeout=10)
    answer.raise_for_status()
    return answer.json()["answers"]


def _summoned(item: HeardItem, post: str, handle: str) -> bool:
    return item.kind in (ItemKind.MENTION, ItemKind.QUOTE) or item.parent_id == post or f"@{handle}" in item.text


def heard_target(sandbox_url: str, network, tmp_path, *, seed: int = 5) -> tuple[HeardItem, str]:
    """A live item of the public under a fresh post of ours (on X, one that summoned us)."""
    adapter = network.adapter(sandbox_url)
    post = adapter.publish(network.credentials(), network.sample(tmp_path)).external_id
    said = say(sandbox_url, network.name, network.account_id, seed=seed, count=12)
    deleted = {entry["id"] for entry in said if entry["deleted"]}
    heard = adapter.listen(network.credentials(), cursor="", our_posts=[post]).items
    handle = requests.get(f"{sandbox_url}/_sandbox/public", params={"network": network.name}, timeout=10)
    assert handle.ok
    candidates = [item for item in heard if item.external_id not in deleted and item.author_id != network.account_id]
    if network is TWITTER:
        me = adapter.check_credentials(network.credentials()).handle
        candidates = [item for item in candidates if _summoned(item, post, me)]
    assert candidates
    return candidates[0], post


def target_of(item: HeardItem) -> ReplyTarget:
    return ReplyTarget(item_id=item.external_id, thread_id=item.thread_id, kind=item.kind, post_id=item.answers_post_id)


@pytest.mark.parametrize("network", NETWORKS, ids=str)
def test_a_reply_lands_once_in_the_thread_and_is_found_again(sandbox_url, tmp_path, network):
    adapter = network.adapter(sandbox_url)
    assert isinstance(adapter, Answerer)
    item, post = heard_target(sandbox_url, network, tmp_path)
    before = datetime.now(UTC) - timedelta(seconds=2)
    text = f"Thank you, the answer is on our website ({network.name})."

    answered = adapter.reply(network.credentials(), target=target_of(item), text=text)

    ours = [entry for entry in answers(sandbox_url, network.name) if entry["text"] == text]
    assert [entry["id"] for entry in ours] == [answered.external_id]
    assert ours[0]["author"]["id"] == network.account_id
    assert ours[0]["thread"]  # in the thread, where the public reads it
    found = adapter.find_reply(network.credentials(), target=target_of(item), text=text, since=before)
    assert found is not None
    assert found.external_id == answered.external_id
    # Not found under another text, nor before it was made.
    assert adapter.find_reply(network.credentials(), target=target_of(item), text=text + " (2)", since=before) is None
    later = datetime.now(UTC) + timedelta(minutes=5)
    assert adapter.find_reply(network.credentials(), target=target_of(item), text=text, since=later) is None
    # The network's listings give our reply back, by our account (the desk leaves it out);
    # X's only where it searches: the threads of our posts.
    if network is TWITTER and item.thread_id != post:
        return
    heard = adapter.listen(network.credentials(), cursor="", our_posts=[post]).items
    assert any(h.external_id == answered.external_id and h.author_id == network.account_id for h in heard)


@pytest.mark.parametrize("network", NETWORKS, ids=str)
def test_a_reply_to_a_deleted_item_ends_clearly_and_sends_nothing(sandbox_url, tmp_path, network):
    adapter = network.adapter(sandbox_url)
    item, _ = heard_target(sandbox_url, network, tmp_path, seed=6)
    gone = requests.post(
        f"{sandbox_url}/_sandbox/public/delete", json={"network": network.name, "id": item.external_id}, timeout=10
    )
    assert gone.ok
    target = target_of(item)
    if network.name == "flickr":  # comments are flat on the photo: the photo itself goes
        adapter.delete(network.credentials(), item.thread_id)

    with pytest.raises(PermanentError) as refused:
        adapter.reply(network.credentials(), target=target, text="Too late.")

    assert refused.value.code == "reply.target_gone"
    assert not [entry for entry in answers(sandbox_url, network.name) if entry["text"] == "Too late."]


@pytest.mark.parametrize("network", NETWORKS, ids=str)
def test_an_over_long_reply_is_refused_with_the_networks_limit_before_any_call(sandbox_url, network):
    adapter = network.adapter(sandbox_url)
    target = ReplyTarget(item_id="1", thread_id="1", kind=ItemKind.COMMENT)
    with pytest.raises(PermanentError) as refused:
        adapter.reply(network.credentials(), target=target, text="a" * (REPLY_TEXT_MAX[network.name] + 1))
    assert refused.value.code == "text.too_long"
    assert refused.value.params["limit"] == REPLY_TEXT_MAX[network.name]


def test_x_refuses_a_reply_to_someone_who_did_not_summon_the_account(sandbox_url, tmp_path):
    adapter = TWITTER.adapter(sandbox_url)
    post = adapter.publish(TWITTER.credentials(), TWITTER.sample(tmp_path)).external_id
    say(sandbox_url, "twitter", TWITTER.account_id, seed=9, count=30)
    me = adapter.check_credentials(TWITTER.credentials()).handle
    heard = adapter.listen(TWITTER.credentials(), cursor="", our_posts=[post]).items
    unsummoned = [item for item in heard if not _summoned(item, post, me)]
    if not unsummoned:
        pytest.skip("The script said nothing unsummoned for this seed.")

    with pytest.raises(PermanentError) as refused:
        adapter.reply(TWITTER.credentials(), target=target_of(unsummoned[0]), text="Hello.")

    assert refused.value.code == "reply.not_summoned"
    assert unsummoned[0].external_id in refused.value.params["url"]


def test_facebook_private_reply_goes_once_per_comment(sandbox_url, tmp_path):
    adapter = FACEBOOK.adapter(sandbox_url)
    item, _ = heard_target(sandbox_url, FACEBOOK, tmp_path, seed=7)

    sent = adapter.private_reply(FACEBOOK.credentials(), comment_id=item.external_id, text="Please write to us.")
    with pytest.raises(PermanentError) as refused:
        adapter.private_reply(FACEBOOK.credentials(), comment_id=item.external_id, text="Again.")

    assert sent.external_id.startswith("m_")
    assert refused.value.code == "private_reply.already_sent"
    private = requests.get(f"{sandbox_url}/_sandbox/answers", timeout=10).json()["private_replies"]
    assert [entry["text"] for entry in private if entry["comment_id"] == item.external_id] == ["Please write to us."]


@pytest.mark.parametrize("network", [FACEBOOK, YOUTUBE], ids=str)
def test_a_hidden_comment_is_hidden_and_shown_again(sandbox_url, tmp_path, network):
    adapter = network.adapter(sandbox_url)
    item, _ = heard_target(sandbox_url, network, tmp_path, seed=8)

    def hidden() -> bool:
        said = requests.get(f"{sandbox_url}/_sandbox/public", params={"network": network.name}, timeout=10).json()
        return next(entry for entry in said["said"] if entry["id"] == item.external_id)["hidden"]

    adapter.set_hidden(network.credentials(), item_id=item.external_id, hidden=True)
    assert hidden()
    adapter.set_hidden(network.credentials(), item_id=item.external_id, hidden=False)
    assert not hidden()


def _x_public(sandbox_url: str, said_id: str) -> dict:
    said = requests.get(f"{sandbox_url}/_sandbox/public", params={"network": "twitter"}, timeout=10).json()["said"]
    return next(entry for entry in said if entry["id"] == said_id)


def test_x_hides_a_reply_in_our_conversation_and_its_public_stops_seeing_it(sandbox_url, tmp_path):
    """tweepy's hide_reply / unhide_reply against the sandbox: the post's page keeps the
    reply only behind "View hidden replies"; asking twice is harmless; unhide brings it back."""
    adapter = TWITTER.adapter(sandbox_url)
    post = adapter.publish(TWITTER.credentials(), TWITTER.sample(tmp_path)).external_id
    said = say(sandbox_url, "twitter", TWITTER.account_id, seed=8, count=20)
    deleted = {entry["id"] for entry in said if entry["deleted"]}
    heard = adapter.listen(TWITTER.credentials(), cursor="", our_posts=[post]).items
    reply = next(
        item
        for item in heard
        if item.kind == ItemKind.REPLY and item.thread_id == post and item.external_id not in deleted
    )

    def in_the_thread() -> bool:
        page = requests.get(f"{sandbox_url}/_sandbox/post/twitter/{post}", timeout=10).text
        return f'id="said-{reply.external_id}"' in page.split("View hidden replies")[0]

    assert in_the_thread()
    adapter.set_hidden(TWITTER.credentials(), item_id=reply.external_id, hidden=True)
    adapter.set_hidden(TWITTER.credentials(), item_id=reply.external_id, hidden=True)  # idempotent
    assert _x_public(sandbox_url, reply.external_id)["hidden"] is True
    assert not in_the_thread()
    adapter.set_hidden(TWITTER.credentials(), item_id=reply.external_id, hidden=False)
    assert _x_public(sandbox_url, reply.external_id)["hidden"] is False
    assert in_the_thread()


def test_x_refuses_to_hide_outside_our_conversations_with_a_link_to_x(sandbox_url, tmp_path):
    """A mention starts its author's own conversation: X's 403 becomes a worded refusal
    with the post's link; a post that is gone says so."""
    adapter = TWITTER.adapter(sandbox_url)
    adapter.publish(TWITTER.credentials(), TWITTER.sample(tmp_path))
    said = say(sandbox_url, "twitter", TWITTER.account_id, seed=9, count=40)
    mention = next(entry for entry in said if entry["kind"] == "mention" and not entry["deleted"])

    with pytest.raises(PermanentError) as refused:
        adapter.set_hidden(TWITTER.credentials(), item_id=mention["id"], hidden=True)

    assert refused.value.code == "hide.not_own_conversation"
    assert refused.value.status_code == 403
    assert mention["id"] in refused.value.params["url"]
    assert _x_public(sandbox_url, mention["id"])["hidden"] is False
    with pytest.raises(PermanentError) as gone:
        adapter.set_hidden(TWITTER.credentials(), item_id="1" * 18, hidden=True)
    assert gone.value.code == "reply.target_gone"


@pytest.mark.parametrize("network", [FACEBOOK, YOUTUBE], ids=str)
def test_a_removed_comment_is_gone_for_good_and_removing_it_again_is_harmless(sandbox_url, tmp_path, network):
    """Facebook deletes the comment (`DELETE /{comment-id}`); YouTube rejects it, and
    publishing it again does not bring it back."""
    adapter = network.adapter(sandbox_url)
    assert isinstance(adapter, Remover)
    item, _ = heard_target(sandbox_url, network, tmp_path, seed=10)

    def public() -> dict:
        said = requests.get(f"{sandbox_url}/_sandbox/public", params={"network": network.name}, timeout=10).json()
        return next(entry for entry in said["said"] if entry["id"] == item.external_id)

    adapter.remove(network.credentials(), item_id=item.external_id)
    adapter.remove(network.credentials(), item_id=item.external_id)  # a lost answer, asked again

    if network is FACEBOOK:
        assert public()["deleted"] is True
    else:
        assert (public()["rejected"], public()["hidden"]) == (True, True)
        adapter.set_hidden(network.credentials(), item_id=item.external_id, hidden=False)
        assert public()["hidden"] is True
