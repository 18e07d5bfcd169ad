"""The webhook views with the networks' own adapters (channels/adapters/*): X Activity API
events and Facebook Page feed changes as the networks send them, signed as they sign, kept
and then ingested by the drain."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json

import pytest
from django.conf import settings

from channels.models import Network
from conversations.models import Item
from conversations.services.webhooks import webhooks_drain
from tests.posts.factories import account

pytestmark = pytest.mark.django_db

X_URL = "/conversations/webhooks/x/"
FACEBOOK_URL = "/conversations/webhooks/facebook/"


def _secret(network: str) -> bytes:
    return settings.SOCIAL_APPS[network]["client_secret"].encode()


def x_event(post_id: str, *, user_id: str = "cairo-x", event_type: str = "post.mention.create") -> bytes:
    return json.dumps(
        {
            "data": {
                "event_uuid": "1",
                "filter": {"user_id": user_id},
                "event_type": event_type,
                "tag": "diplomacy-hub",
                "payload": {
                    "id": post_id,
                    "text": "@FranceEgypte &lt;b&gt;when&lt;/b&gt; is the visa office open?",
                    "created_at": "2026-12-01T09:00:00.000Z",
                    "author_id": "77",
                    "conversation_id": post_id,
                    "lang": "en",
                    "edit_history_tweet_ids": [post_id],
                },
                "includes": {"users": [{"id": "77", "name": "Omar", "username": "omar"}]},
            }
        }
    ).encode()


def post_x(client, body: bytes):
    signature = "sha256=" + base64.b64encode(hmac.new(_secret("twitter"), body, hashlib.sha256).digest()).decode()
    return client.post(
        X_URL, body, content_type="application/json", headers={"x-twitter-webhooks-signature": signature}
    )


def post_facebook(client, payload: dict):
    body = json.dumps(payload).encode()
    signature = "sha256=" + hmac.new(_secret("facebook"), body, hashlib.sha256).hexdigest()
    return client.post(FACEBOOK_URL, body, content_type="application/json", headers={"X-Hub-Signature-256": signature})


def test_x_crc_is_answered_by_the_adapter(client):
    response = client.get(X_URL, {"crc_token": "abc"})
    expected = base64.b64encode(hmac.new(_secret("twitter"), b"abc", hashlib.sha256).digest()).decode()
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert response.json() == {"response_token": f"sha256={expected}"}


def test_facebook_verification_is_answered_by_the_adapter(client):
    params = {"hub.mode": "subscribe", "hub.verify_token": settings.FACEBOOK_WEBHOOK_VERIFY_TOKEN, "hub.challenge": "7"}
    response = client.get(FACEBOOK_URL, params)
    assert (response.status_code, response.content) == (200, b"7")
    assert client.get(FACEBOOK_URL, {**params, "hub.verify_token": "guess"}).status_code == 403


def test_an_x_activity_event_becomes_an_item_of_the_account_it_names(client):
    cairo = account("emb-eg-cairo", Network.TWITTER, network_account_id="cairo-x")
    assert post_x(client, x_event("555")).status_code == 200
    assert webhooks_drain().created == 1
    item = Item.objects.get()
    assert (item.account, item.external_id, item.kind, item.author_handle) == (cairo, "555", "mention", "omar")
    assert item.text == "@FranceEgypte <b>when</b> is the visa office open?"  # stored as said; escaped when shown
    post_x(client, x_event("555"))
    assert webhooks_drain().unchanged == 1


def test_an_x_event_without_its_post_is_refused_and_logged(client):
    account("emb-eg-cairo", Network.TWITTER, network_account_id="cairo-x")
    body = json.dumps({"data": {"filter": {"user_id": "cairo-x"}, "event_type": "post.mention.create"}}).encode()
    assert post_x(client, body).status_code == 200
    assert webhooks_drain().rejected == 1
    assert Item.objects.count() == 0


def test_a_facebook_comment_and_its_removal(client):
    page = account("emb-eg-cairo", Network.FACEBOOK, network_account_id="104000000000001")
    change = {
        "field": "feed",
        "value": {
            "item": "comment",
            "verb": "add",
            "comment_id": "104000000000001_9_1",
            "post_id": "104000000000001_9",
            "parent_id": "104000000000001_9",
            "from": {"id": "88", "name": "Nadia"},
            "message": "Merci !",
            "created_time": 1764579600,
        },
    }
    entry = {"id": page.network_account_id, "time": 1764579600, "changes": [change]}
    assert post_facebook(client, {"object": "page", "entry": [entry]}).status_code == 200
    assert webhooks_drain().created == 1
    removal = {**change, "value": {**change["value"], "verb": "remove", "message": ""}}
    post_facebook(client, {"object": "page", "entry": [{**entry, "changes": [removal]}]})
    webhooks_drain()
    item = Item.objects.get()
    assert (item.text, item.deleted_at is not None) == ("Merci !", True)
