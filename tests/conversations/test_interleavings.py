"""Hypothesis drives polls and signed webhooks carrying versions of a few items (creations,
edits, deletions), replayed, duplicated and out of order, through the real views and
services: each item exists once, shows its newest words, is deleted when a deletion was
heard, and each conversation counts its items exactly once."""

from __future__ import annotations

import json
from collections import deque
from dataclasses import dataclass

import pytest
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from channels.adapters.listening import Heard, HeardItem, ItemKind
from channels.models import Network
from conversations.models import Conversation, Item, ListenCursor, RawEvent
from conversations.services.polling import account_poll, cursors_claim_due
from conversations.services.webhooks import webhooks_drain
from tests.conversations.conftest import later, x_signature
from tests.posts.factories import account

pytestmark = pytest.mark.django_db

ITEMS = 3  # external ids "1".."3"; item n is in thread "t{n % 2}"
VERSIONS = 3  # version 0 is the creation, then edits; -1 is the deletion


@dataclass(frozen=True)
class Version:
    item: int
    version: int  # -1: deleted

    @property
    def text(self) -> str:
        return "" if self.version < 0 else f"item {self.item} version {self.version}"

    def edited_at(self):
        return later(10 * self.version) if self.version > 0 else None

    def post(self) -> dict:
        """As X's webhook carries it (tests/conversations/conftest.py's ScriptedListener)."""
        edited = self.edited_at()
        return {
            "id": str(self.item),
            "conversation_id": f"t{self.item % 2}",
            "author_id": f"author-{self.item}",
            "text": self.text,
            "created_at": later(0).isoformat(),
            "kind": ItemKind.REPLY,
            **({"edited_at": edited.isoformat()} if edited else {}),
            **({"deleted": True} if self.version < 0 else {}),
        }

    def heard(self) -> HeardItem:
        """As a poll returns it: the same item in the API's own shape."""
        return HeardItem(
            network="twitter",
            external_id=str(self.item),
            kind=ItemKind.REPLY,
            thread_id=f"t{self.item % 2}",
            author_id=f"author-{self.item}",
            author_name="",
            text=self.text,
            created_at=later(0),
            url="",
            edited_at=self.edited_at(),
            deleted=self.version < 0,
            raw={"data": {"id": str(self.item), "text": self.text, "v": self.version}},
        )


versions = st.builds(Version, item=st.integers(1, ITEMS), version=st.integers(-1, VERSIONS - 1))
steps = st.lists(
    # A webhook's delivery is kept, and ingested by the next drain: polls and other
    # deliveries may come in between, and one drain may take several deliveries at once.
    st.tuples(st.sampled_from(["webhook", "poll", "drain"]), st.lists(versions, min_size=1, max_size=3)),
    min_size=1,
    max_size=12,
)


@pytest.fixture
def cairo(networks):
    return account("emb-eg-cairo", Network.TWITTER, network_account_id="cairo-x")


def _webhook(client, versions_sent: list[Version]) -> None:
    body = json.dumps({"for_user_id": "cairo-x", "events": [version.post() for version in versions_sent]}).encode()
    response = client.post(
        reverse("conversations:webhook_x"),
        body,
        content_type="application/json",
        headers={"x-twitter-webhooks-signature": x_signature(body)},
    )
    assert response.status_code == 200, response.content


def _poll(networks, versions_sent: list[Version]) -> None:
    ListenCursor.objects.update(next_poll_at=timezone.now())  # the poll's time has come
    claimed = cursors_claim_due()
    assert len(claimed) == 1
    networks["twitter"].script = deque([Heard(items=[version.heard() for version in versions_sent], cursor="c")])
    assert account_poll(cursor_id=claimed[0].cursor_id, claim=claimed[0].claim).polled


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(steps=steps)
def test_any_interleaving_stores_each_item_once_in_its_newest_state(client, networks, cairo, steps):
    with transaction.atomic():
        for channel, sent in steps:
            if channel == "webhook":
                _webhook(client, sent)
            elif channel == "poll":
                _poll(networks, sent)
            else:
                webhooks_drain()
        webhooks_drain()

        heard = [version for channel, sent in steps if channel != "drain" for version in sent]
        expected = {}
        for number in {version.item for version in heard}:
            contents = [version.version for version in heard if version.item == number and version.version >= 0]
            expected[str(number)] = (
                f"item {number} version {max(contents)}" if contents else "",
                any(version.item == number and version.version < 0 for version in heard),
            )
        stored = {item.external_id: (item.text, item.deleted_at is not None) for item in Item.objects.all()}
        assert stored == expected
        for conversation in Conversation.objects.all():
            assert conversation.item_count == conversation.items.count()
        # One raw event per distinct content per shape (webhook or poll) heard: none lost, none twice.
        shapes = {(channel, version) for channel, sent in steps if channel != "drain" for version in sent}
        assert RawEvent.objects.count() == len(shapes)
        transaction.set_rollback(True)
