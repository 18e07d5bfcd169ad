"""The networks' webhooks, through the networks' own adapters: their subscription checks,
signed deliveries (the X Activity API's events, the Page feed's changes) kept as received
before the 200 and ingested by the next drain, forged or unsigned ones refused with nothing
stored, oversized and malformed ones refused clearly, a batch's good parts kept when one
part is bad, unknown accounts counted."""

from __future__ import annotations

import json
import logging

import pytest
from django.test import Client, override_settings
from django.urls import reverse

from channels.models import Network
from conversations.models import Conversation, Item, RawEvent, WebhookDelivery
from conversations.services.webhooks import webhooks_drain
from tests.conversations.conftest import T0, facebook_signature, x_signature
from tests.posts.factories import account

pytestmark = pytest.mark.django_db

X_URL = "/conversations/webhooks/x/"
FACEBOOK_URL = "/conversations/webhooks/facebook/"


@pytest.fixture
def cairo_x():
    return account("emb-eg-cairo", Network.TWITTER, network_account_id="cairo-x")


@pytest.fixture
def cairo_page():
    return account("emb-eg-cairo", Network.FACEBOOK, network_account_id="cairo-page")


def x_post(post_id: str = "900", text: str = "@FranceEgypte when is the visa office open?") -> dict:
    return {
        "id": post_id,
        "conversation_id": post_id,
        "author_id": "u1",
        "text": text,
        "created_at": T0.isoformat().replace("+00:00", "Z"),
        "lang": "en",
        "edit_history_tweet_ids": [post_id],
    }


def x_body(*posts: dict, for_user_id: str = "cairo-x") -> bytes:
    """The X Activity API's post.mention.create events (one per post), for `for_user_id`."""
    events = [
        {
            "filter": {"user_id": for_user_id},
            "event_type": "post.mention.create",
            "payload": post,
            "includes": {"users": [{"id": "u1", "name": "Omar", "username": "omar"}]},
        }
        for post in posts
    ]
    return json.dumps({"data": events[0] if len(events) == 1 else events}).encode()


def comment(comment_id: str, *, verb: str = "add", message: str = "Merci pour cette information") -> dict:
    return {
        "field": "feed",
        "value": {
            "item": "comment",
            "verb": verb,
            "comment_id": comment_id,
            "post_id": "cairo-page_1",
            "parent_id": "cairo-page_1",
            "from": {"id": "p1", "name": "Nadia"},
            "message": message,
            "created_time": int(T0.timestamp()),
        },
    }


def facebook_body(*entries: dict) -> bytes:
    return json.dumps({"object": "page", "entry": list(entries)}).encode()


def page_entry(page_id: str, *changes: dict) -> dict:
    return {"id": page_id, "time": int(T0.timestamp()), "changes": list(changes)}


def post_x(client, body: bytes, signature: str | None = None):
    headers = {} if signature == "" else {"x-twitter-webhooks-signature": signature or x_signature(body)}
    return client.post(X_URL, body, content_type="application/json", headers=headers)


def post_facebook(client, body: bytes, signature: str | None = None):
    headers = {} if signature == "" else {"X-Hub-Signature-256": signature or facebook_signature(body)}
    return client.post(FACEBOOK_URL, body, content_type="application/json", headers=headers)


def test_the_urls_are_the_ones_given_to_the_networks():
    assert reverse("conversations:webhook_x") == X_URL
    assert reverse("conversations:webhook_facebook") == FACEBOOK_URL


# --- Subscription checks ----------------------------------------------------------------------------


def test_x_crc_check_is_answered_with_the_signed_token(client):
    response = client.get(X_URL, {"crc_token": "challenge-123"})
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert json.loads(response.content)["response_token"] == x_signature(b"challenge-123")


def test_x_crc_check_without_a_token_is_refused(client):
    assert client.get(X_URL).status_code == 403


def test_facebook_verification_echoes_the_challenge_with_the_right_token(client, settings):
    response = client.get(
        FACEBOOK_URL,
        {"hub.mode": "subscribe", "hub.verify_token": settings.FACEBOOK_WEBHOOK_VERIFY_TOKEN, "hub.challenge": "42"},
    )
    assert (response.status_code, response.content) == (200, b"42")


def test_facebook_verification_with_a_wrong_token_is_refused(client):
    response = client.get(FACEBOOK_URL, {"hub.mode": "subscribe", "hub.verify_token": "guess", "hub.challenge": "42"})
    assert response.status_code == 403
    assert b"42" not in response.content


# --- Signed deliveries ---------------------------------------------------------------------------------


def test_a_signed_x_delivery_is_kept_before_the_200_and_ingested_by_the_drain(client, cairo_x):
    body = x_body(x_post("900"))
    response = post_x(client, body)
    assert (response.status_code, response.json()) == (200, {"received": 1})
    kept = WebhookDelivery.objects.get()
    assert (kept.network, bytes(kept.body)) == ("twitter", body)
    assert Item.objects.count() == 0
    drained = webhooks_drain()
    assert (drained.deliveries, drained.created) == (1, 1)
    assert WebhookDelivery.objects.count() == 0
    item = Item.objects.get()
    assert (item.network, item.external_id, item.account) == ("twitter", "900", cairo_x)
    assert RawEvent.objects.get().source == RawEvent.Source.WEBHOOK


def test_a_signed_facebook_batch_is_stored_per_page(client, cairo_page):
    body = facebook_body(page_entry("cairo-page", comment("c1"), comment("c2")))
    response = post_facebook(client, body)
    assert response.status_code == 200
    assert webhooks_drain().created == 2
    assert sorted(Item.objects.values_list("external_id", flat=True)) == ["c1", "c2"]
    # On Facebook each top-level comment is a thread of its own, under our post.
    assert {item.conversation.thread_id for item in Item.objects.all()} == {"c1", "c2"}
    assert {item.answers_post_id for item in Item.objects.all()} == {"cairo-page_1"}


def test_a_replayed_delivery_stores_nothing_more(client, cairo_x):
    body = x_body(x_post("900"))
    post_x(client, body)
    webhooks_drain()
    response = post_x(client, body)
    assert response.status_code == 200
    assert webhooks_drain().unchanged == 1
    assert (Item.objects.count(), RawEvent.objects.count()) == (1, 1)


def test_a_delivery_sent_twice_in_one_drain_is_stored_once(client, cairo_x):
    body = x_body(x_post("900"))
    assert post_x(client, body).status_code == post_x(client, body).status_code == 200
    drained = webhooks_drain()
    assert (drained.deliveries, drained.created, drained.unchanged) == (2, 1, 1)
    assert (Item.objects.count(), RawEvent.objects.count()) == (1, 1)


def test_a_facebook_removal_marks_the_comment_deleted(client, cairo_page):
    post_facebook(client, facebook_body(page_entry("cairo-page", comment("c1"))))
    post_facebook(client, facebook_body(page_entry("cairo-page", comment("c1", verb="remove", message=""))))
    webhooks_drain()
    item = Item.objects.get()
    assert item.deleted_at is not None
    assert item.text == "Merci pour cette information"


# --- Forged, unsigned, oversized, malformed -------------------------------------------------------------


@pytest.mark.parametrize(
    "signature",
    ["", "sha256=", "sha256=AAAA", "sha1=whatever", x_signature(b"another body"), x_signature(b"x", "wrong-secret")],
)
def test_an_unsigned_or_forged_x_delivery_is_refused_and_nothing_stored(client, cairo_x, signature, caplog):
    with caplog.at_level(logging.WARNING):
        response = post_x(client, x_body(x_post()), signature=signature)
    assert response.status_code == 403
    assert (WebhookDelivery.objects.count(), Item.objects.count(), RawEvent.objects.count()) == (0, 0, 0)
    assert "no valid signature" in caplog.text


@pytest.mark.parametrize("signature", ["", facebook_signature(b"{}"), facebook_signature(b"x", "wrong-secret")])
def test_an_unsigned_or_forged_facebook_delivery_is_refused(client, cairo_page, signature):
    response = post_facebook(client, facebook_body(page_entry("cairo-page", comment("c1"))), signature=signature)
    assert response.status_code == 403
    assert WebhookDelivery.objects.count() == 0


def test_an_x_signature_is_not_a_facebook_signature(client, cairo_page):
    body = facebook_body(page_entry("cairo-page", comment("c1")))
    assert post_facebook(client, body, signature=x_signature(body)).status_code == 403


@override_settings(WEBHOOK_MAX_BYTES=2_000)
def test_an_oversized_delivery_is_refused_before_it_is_read(client, cairo_x, caplog):
    body = x_body(x_post(text="x" * 3_000))
    with caplog.at_level(logging.WARNING):
        response = post_x(client, body)
    assert response.status_code == 413
    assert "2000 bytes" in response.json()["error"]
    assert WebhookDelivery.objects.count() == 0
    assert "too large" in caplog.text


@pytest.mark.parametrize(
    "body",
    [b"not json", b"\xff\xfe", b"[]", b'"text"', json.dumps({"events": []}).encode()],
)
def test_a_malformed_x_delivery_is_a_clear_400(client, cairo_x, body, caplog):
    with caplog.at_level(logging.WARNING):
        response = post_x(client, body)
    assert response.status_code == 400
    assert "not a twitter webhook payload" in response.json()["error"]
    assert "malformed" in caplog.text
    assert WebhookDelivery.objects.count() == 0


def test_a_malformed_facebook_body_is_a_clear_400(client, cairo_page):
    response = post_facebook(client, json.dumps({"object": "page", "entry": "nope"}).encode())
    assert response.status_code == 400
    assert WebhookDelivery.objects.count() == 0


def test_a_bad_part_of_a_batch_is_logged_and_the_rest_stored(client, cairo_page, caplog):
    broken = page_entry("cairo-page", {"field": "feed", "value": "not a change"})
    body = facebook_body(page_entry("cairo-page", comment("c1")), broken, page_entry("cairo-page", comment("c2")))
    assert post_facebook(client, body).status_code == 200
    with caplog.at_level(logging.WARNING):
        drained = webhooks_drain()
    assert (drained.rejected, drained.deliveries) == (1, 1)
    assert sorted(Item.objects.values_list("external_id", flat=True)) == ["c1", "c2"]
    assert "malformed facebook webhook part" in caplog.text


def test_a_part_the_adapter_trips_on_is_logged_and_the_rest_stored(client, cairo_page, networks, caplog):
    parse = networks["facebook"].webhook_items

    def trips_on_c9(part):
        if part["entry"][0]["changes"][0]["value"]["comment_id"] == "c9":
            raise AttributeError("an adapter's bug")
        return parse(part)

    networks["facebook"].webhook_items = trips_on_c9
    body = facebook_body(page_entry("cairo-page", comment("c9")), page_entry("cairo-page", comment("c1")))
    assert post_facebook(client, body).status_code == 200
    with caplog.at_level(logging.ERROR):
        assert webhooks_drain().rejected == 1
    assert list(Item.objects.values_list("external_id", flat=True)) == ["c1"]
    assert "could not be read" in caplog.text


def test_an_item_for_an_account_we_dont_hold_is_counted_and_ignored(client, cairo_page):
    body = facebook_body(page_entry("someone-else", comment("c9")), page_entry("cairo-page", comment("c1")))
    assert post_facebook(client, body).status_code == 200
    assert webhooks_drain().unknown_account == 1
    assert list(Item.objects.values_list("external_id", flat=True)) == ["c1"]


def test_an_x_delivery_for_an_account_we_dont_hold_stores_nothing(client, cairo_x):
    assert post_x(client, x_body(x_post(), for_user_id="stranger")).status_code == 200
    drained = webhooks_drain()
    assert (drained.unknown_account, drained.deliveries) == (1, 1)
    assert (RawEvent.objects.count(), WebhookDelivery.objects.count()) == (0, 0)


def test_a_bad_content_length_is_a_clear_400(client, cairo_x):
    body = x_body(x_post())
    response = client.generic(
        "POST",
        X_URL,
        body,
        content_type="application/json",
        headers={"x-twitter-webhooks-signature": x_signature(body)},
        CONTENT_LENGTH="many",
    )
    assert response.status_code == 400


def test_the_webhooks_answer_only_get_and_post(client):
    assert client.put(X_URL).status_code == 405
    assert client.delete(FACEBOOK_URL).status_code == 405


def test_the_webhooks_need_no_login_and_no_csrf_token(cairo_x):
    strict = Client(enforce_csrf_checks=True)
    assert post_x(strict, x_body(x_post())).status_code == 200


# --- The drain ----------------------------------------------------------------------------------------


def test_the_drain_takes_batches_until_nothing_is_pending(client, cairo_x):
    for number in range(5):
        assert post_x(client, x_body(x_post(str(900 + number)))).status_code == 200
    drained = webhooks_drain(batch_size=2)
    assert (drained.deliveries, drained.created) == (5, 5)
    assert WebhookDelivery.objects.count() == 0


def test_a_drain_that_died_leaves_its_deliveries_to_the_next_once_its_claim_lapses(client, cairo_x, settings):
    from conversations.services.webhooks import _claim

    post_x(client, x_body(x_post("900")))
    _claim_id, taken = _claim(10)  # a drain that took the delivery and died
    assert len(taken) == 1
    assert webhooks_drain().deliveries == 0  # still claimed: not ingested twice at once
    settings.WEBHOOK_DRAIN_CLAIM_SECONDS = 0
    WebhookDelivery.objects.update(claimed_until=WebhookDelivery.objects.get().received_at)
    drained = webhooks_drain()
    assert (drained.deliveries, drained.created) == (1, 1)
    assert Item.objects.get().external_id == "900"


def test_a_delivery_that_keeps_failing_is_kept_not_retried_forever(client, cairo_x, settings):
    post_x(client, x_body(x_post("900")))
    WebhookDelivery.objects.update(attempts=settings.WEBHOOK_DRAIN_ATTEMPTS)
    assert webhooks_drain().deliveries == 0
    assert WebhookDelivery.objects.count() == 1


def test_beat_drains_the_webhooks_every_second(settings):
    entry = settings.CELERY_BEAT_SCHEDULE["conversations-drain-webhooks"]
    assert (entry["task"], entry["schedule"], entry["options"]["queue"]) == (
        "conversations.drain_webhooks",
        1.0,
        "listen",
    )


def test_one_drain_ingests_many_accounts_at_once_each_in_its_own_conversations(client, cairo_x):
    tokyo_x = account("emb-jp-tokyo", Network.TWITTER, network_account_id="tokyo-x")
    # The same thread id heard on two accounts: two conversations, one per account.
    post_x(client, x_body({**x_post("900"), "conversation_id": "t1"}))
    post_x(client, x_body({**x_post("901"), "conversation_id": "t1"}, for_user_id="tokyo-x"))
    post_x(client, x_body({**x_post("902"), "conversation_id": "t1"}))
    drained = webhooks_drain()
    assert (drained.deliveries, drained.created) == (3, 3)
    by_account = {
        conversation.account_id: (conversation.thread_id, conversation.item_count, conversation.mission_id)
        for conversation in Conversation.objects.all()
    }
    assert by_account == {cairo_x.pk: ("t1", 2, cairo_x.mission_id), tokyo_x.pk: ("t1", 1, tokyo_x.mission_id)}
    assert dict(Item.objects.values_list("external_id", "account")) == {
        "900": cairo_x.pk,
        "901": tokyo_x.pk,
        "902": cairo_x.pk,
    }


def test_a_delivery_the_adapter_cannot_cut_stays_and_the_others_are_ingested(client, cairo_page, networks, caplog):
    post_facebook(client, facebook_body(page_entry("cairo-page", comment("c9"))))
    post_facebook(client, facebook_body(page_entry("cairo-page", comment("c1"))))
    cut = networks["facebook"].webhook_parts

    def trips_on_c9(payload):
        if payload["entry"][0]["changes"][0]["value"]["comment_id"] == "c9":
            raise AttributeError("an adapter's bug")
        return cut(payload)

    networks["facebook"].webhook_parts = trips_on_c9
    with caplog.at_level(logging.ERROR):
        drained = webhooks_drain()
    assert (drained.deliveries, drained.failed, drained.created) == (1, 1, 1)
    assert list(Item.objects.values_list("external_id", flat=True)) == ["c1"]
    assert WebhookDelivery.objects.get().attempts == 1  # tried again once its claim lapses
    assert "could not be cut" in caplog.text
