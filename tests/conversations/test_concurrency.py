"""Webhook and poll at the same moment, in separate connections (threads), on PostgreSQL
where they truly run at once: the same item is stored once and counted once, whatever
the race, two beats claim a due cursor once, and beats checking the service clocks at once
warn and escalate each conversation once."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from django.db import close_old_connections, connection

from channels.models import Network
from conversations.models import Conversation, ConversationEvent, Item, ListenCursor, RawEvent
from conversations.services.clocks import conversations_check_clocks
from conversations.services.ingest import items_ingest
from conversations.services.polling import cursors_claim_due, cursors_open
from tests.conversations.conftest import heard
from tests.live import _live_database_keeper  # noqa: F401 (a fixture)
from tests.posts.factories import account

pytestmark = [
    pytest.mark.postgresql,
    pytest.mark.usefixtures("_live_database_keeper", "transactional_db", "django_db_serialized_rollback"),
]

RACERS = 6


def _race(work) -> list[BaseException]:
    barrier = threading.Barrier(RACERS)
    errors: list[BaseException] = []

    def run(index: int) -> None:
        try:
            barrier.wait()
            work(index)
        except BaseException as exc:
            errors.append(exc)
        finally:
            close_old_connections()
            connection.close()

    threads = [threading.Thread(target=run, args=(index,)) for index in range(RACERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    return errors


def test_the_same_item_heard_at_once_by_webhook_and_polls_is_stored_once():
    cairo = account("emb-eg-cairo", Network.TWITTER)
    versions = [
        heard(external_id="42", thread_id="t", text="hello"),
        heard(external_id="43", thread_id="t", text="other"),
    ]

    def work(index: int) -> None:
        source = RawEvent.Source.WEBHOOK if index % 2 else RawEvent.Source.POLL
        items_ingest(account=cairo, items=versions if index % 3 else list(reversed(versions)), source=source)

    assert _race(work) == []
    assert sorted(Item.objects.values_list("external_id", flat=True)) == ["42", "43"]
    conversation = Conversation.objects.get()
    assert conversation.item_count == 2
    assert RawEvent.objects.count() == 2


def test_two_beats_claim_a_due_cursor_once():
    for code in ("emb-eg-cairo", "emb-jp-tokyo", "emb-de-berlin", "emb-br-brasilia"):
        account(code, Network.FACEBOOK)
    cursors_open()
    claims: list = []

    def work(index: int) -> None:
        claims.extend(cursors_claim_due())

    assert _race(work) == []
    assert sorted(claim.cursor_id for claim in claims) == sorted(ListenCursor.objects.values_list("pk", flat=True))


def test_beats_checking_the_clocks_at_once_warn_and_escalate_once():
    cairo = account("emb-eg-cairo", Network.TWITTER)
    items_ingest(
        account=cairo,
        items=[heard(thread_id=f"c{index}", text="كيف أجدد جواز سفري؟", language="") for index in range(5)],
        source=RawEvent.Source.WEBHOOK,
    )
    due = max(Conversation.objects.values_list("due_at", flat=True))
    ticks: list = []

    def work(index: int) -> None:
        ticks.append(conversations_check_clocks(now=due + timedelta(minutes=1)))

    assert _race(work) == []
    assert sum(tick.warned for tick in ticks) == 5
    assert sum(tick.escalated for tick in ticks) == 5
    assert ConversationEvent.objects.filter(verb="conversation.clock_warned").count() == 5
    assert ConversationEvent.objects.filter(verb="conversation.escalated").count() == 5
