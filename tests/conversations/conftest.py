"""Fixtures for the conversation desk's tests.

`networks` puts a `ScriptedListener` behind every account: an in-memory listener (as the
publishing engine's FakeNetwork) whose polls a test scripts (items, rate limits, refused
tokens, an SDK's surprise) and which checks pushed deliveries the way X and Facebook sign
them (X: `x-twitter-webhooks-signature: sha256=<base64 HMAC-SHA256(consumer secret, body)>`;
Facebook: `X-Hub-Signature-256: sha256=<hex HMAC-SHA256(app secret, body)>`). The polling
and interleaving tests use it for speed and for the faults they need; the webhook tests,
test_webhooks_adapters.py and test_sandbox.py go through the real adapters and SDKs.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import itertools
import json
from collections import deque
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from django.conf import settings

from channels.adapters.base import Credentials, PermanentError
from channels.adapters.listening import Heard, HeardItem, ItemKind

T0 = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
_ids = itertools.count(1000)


def heard(
    *,
    network: str = "twitter",
    external_id: str | None = None,
    thread_id: str = "thread-1",
    text: str = "Bonjour, how do I renew my passport?",
    kind: str = ItemKind.REPLY,
    created_at: datetime = T0,
    edited_at: datetime | None = None,
    deleted: bool = False,
    author_id: str = "author-1",
    author_name: str = "Amal",
    author_handle: str = "",
    answers_post_id: str = "",
    language: str = "en",
) -> HeardItem:
    external_id = str(next(_ids)) if external_id is None else external_id
    return HeardItem(
        network=network,
        external_id=external_id,
        kind=kind,
        thread_id=thread_id,
        author_id=author_id,
        author_name=author_name,
        author_handle=author_handle,
        text=text,
        created_at=created_at,
        url=f"https://x.com/i/web/status/{external_id}",
        answers_post_id=answers_post_id,
        language=language,
        edited_at=edited_at,
        deleted=deleted,
        raw={"id": external_id, "text": text, "edited_at": str(edited_at), "deleted": deleted},
    )


# --- Signing as the networks sign -----------------------------------------------------------------


def x_signature(body: bytes, secret: str | None = None) -> str:
    secret = secret or settings.SOCIAL_APPS["twitter"]["client_secret"]
    return "sha256=" + base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest()).decode()


def facebook_signature(body: bytes, secret: str | None = None) -> str:
    secret = secret or settings.SOCIAL_APPS["facebook"]["client_secret"]
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def _time(value: Any) -> datetime:
    if isinstance(value, int | float):
        return datetime.fromtimestamp(value, tz=UTC)
    return datetime.fromisoformat(str(value).replace("Z", "+00:00"))


class ScriptedListener:
    """The read side of one network, in memory: `script` holds what each poll answers (a
    Heard, or an exception to raise), in order; `calls` what it was asked."""

    def __init__(self, network: str, script: deque) -> None:
        self.network = network
        self.challenge_content_type = "application/json" if network == "twitter" else "text/plain"
        self.script = script
        self.calls: list[dict] = []

    def listen(self, credentials: Credentials, *, cursor: str, our_posts: Sequence[str]) -> Heard:
        self.calls.append({"account_id": credentials.account_id, "cursor": cursor, "our_posts": list(our_posts)})
        answer = self.script.popleft() if self.script else Heard(items=[], cursor=cursor)
        if isinstance(answer, BaseException):
            raise answer
        return answer

    def webhook_challenge(self, *, params: Mapping[str, str], app_secret: str, verify_token: str) -> str | None:
        if self.network == "twitter":
            token = params.get("crc_token")
            if not token:
                return None
            digest = hmac.new(app_secret.encode(), token.encode(), hashlib.sha256).digest()
            return json.dumps({"response_token": "sha256=" + base64.b64encode(digest).decode()})
        if params.get("hub.mode") == "subscribe" and hmac.compare_digest(
            params.get("hub.verify_token", ""), verify_token
        ):
            return params.get("hub.challenge") or None
        return None

    def verify_webhook(self, *, body: bytes, headers: Mapping[str, str], app_secret: str) -> bool:
        if self.network == "twitter":
            given, expected = headers.get("x-twitter-webhooks-signature", ""), x_signature(body, app_secret)
        else:
            given, expected = headers.get("X-Hub-Signature-256", ""), facebook_signature(body, app_secret)
        return bool(given) and hmac.compare_digest(given, expected)

    def webhook_parts(self, payload: Any) -> Sequence[tuple[str, Mapping[str, Any]]]:
        """X: the whole delivery for its `for_user_id`; Facebook: one part per Page entry."""
        if not isinstance(payload, Mapping):
            raise PermanentError("not a JSON object")
        if self.network == "twitter":
            return [(str(payload.get("for_user_id") or ""), payload)]
        if not isinstance(payload.get("entry"), list):
            raise PermanentError("no entry list")
        return [
            (str(entry.get("id") or "") if isinstance(entry, Mapping) else "", {**payload, "entry": [entry]})
            for entry in payload["entry"]
        ]

    def webhook_items(self, payload: Mapping[str, Any]) -> Sequence[HeardItem]:
        """X: {"for_user_id", "events": [v2 posts]}; Facebook: the Page `feed` changes."""
        try:
            if self.network == "twitter":
                return [
                    HeardItem(
                        network="twitter",
                        external_id=str(post["id"]),
                        kind=post.get("kind", ItemKind.MENTION),
                        thread_id=str(post["conversation_id"]),
                        author_id=str(post["author_id"]),
                        author_name=post.get("author_name", ""),
                        text=post["text"],
                        created_at=_time(post["created_at"]),
                        url=f"https://x.com/i/web/status/{post['id']}",
                        answers_post_id=post.get("answers", ""),
                        language=post.get("lang", ""),
                        edited_at=_time(post["edited_at"]) if post.get("edited_at") else None,
                        deleted=bool(post.get("deleted")),
                        raw=post,
                    )
                    for post in payload["events"]
                ]
            items = []
            for entry in payload["entry"]:
                for change in entry["changes"]:
                    value = change["value"]
                    items.append(
                        HeardItem(
                            network="facebook",
                            external_id=str(value["comment_id"]),
                            kind=ItemKind.COMMENT
                            if value.get("parent_id", value["post_id"]) == value["post_id"]
                            else ItemKind.REPLY,
                            thread_id=str(value["post_id"]),
                            author_id=str(value["from"]["id"]),
                            author_name=value["from"].get("name", ""),
                            text=value.get("message", ""),
                            created_at=_time(value["created_time"]),
                            url=f"https://www.facebook.com/{value['comment_id']}",
                            answers_post_id=str(value["post_id"]),
                            deleted=value.get("verb") == "remove",
                            raw=value,
                        )
                    )
            return items
        except (KeyError, TypeError, ValueError) as exc:
            raise PermanentError(f"malformed delivery: {exc!r}") from None


@pytest.fixture
def networks(monkeypatch):
    """network -> ScriptedListener, behind every account of that network."""
    listeners = {
        network: ScriptedListener(network, deque()) for network in ("twitter", "facebook", "youtube", "flickr")
    }
    monkeypatch.setattr("conversations.services.webhooks.listener_for", lambda network: listeners[network])
    monkeypatch.setattr("conversations.services.webhooks.adapter_listener", lambda account: listeners[account.network])
    monkeypatch.setattr("conversations.services.polling.adapter_listener", lambda account: listeners[account.network])
    return listeners


def later(minutes: float) -> datetime:
    return T0 + timedelta(minutes=minutes)
