"""The one ingest service: an upsert on (network, external id), the raw event kept once per
content, threads, our post linked, a resolved conversation reopened by a new item."""

from __future__ import annotations

import pytest
from django.db import DatabaseError, IntegrityError, connection, transaction
from django.test.utils import CaptureQueriesContext

from channels.models import Network
from conversations.models import Conversation, ConversationEvent, Item, ModerationAction, RawEvent
from conversations.services import triage
from conversations.services.ingest import items_ingest
from posts.models import Delivery
from tests.conversations.conftest import heard, later
from tests.posts.factories import account, approved_message, officer, press_officer

pytestmark = pytest.mark.django_db

POLL = RawEvent.Source.POLL
WEBHOOK = RawEvent.Source.WEBHOOK


@pytest.fixture
def cairo_x():
    return account("emb-eg-cairo", Network.TWITTER)


def test_a_new_item_starts_a_conversation_of_the_accounts_mission(cairo_x):
    result = items_ingest(account=cairo_x, items=[heard(external_id="1", thread_id="t")], source=POLL)
    assert (result.created, result.updated, result.unchanged) == (1, 0, 0)
    item = Item.objects.get()
    conversation = item.conversation
    assert (conversation.mission, conversation.account, conversation.thread_id) == (cairo_x.mission, cairo_x, "t")
    assert conversation.status == Conversation.Status.NEW
    assert conversation.item_count == 1
    assert RawEvent.objects.count() == 1
    assert list(conversation.events.values_list("verb", flat=True)) == [
        "conversation.started",
        "conversation.item_added",
    ]


def test_the_same_item_twice_changes_nothing(cairo_x):
    item = heard(external_id="1")
    items_ingest(account=cairo_x, items=[item], source=WEBHOOK)
    result = items_ingest(account=cairo_x, items=[item, item], source=POLL)
    assert result.unchanged == 2
    assert Item.objects.count() == 1
    assert RawEvent.objects.count() == 1
    assert Conversation.objects.get().item_count == 1


def test_items_of_one_thread_share_a_conversation_and_others_do_not(cairo_x):
    items_ingest(
        account=cairo_x,
        items=[
            heard(external_id="1", thread_id="a"),
            heard(external_id="2", thread_id="a", created_at=later(5)),
            heard(external_id="3", thread_id="b"),
        ],
        source=POLL,
    )
    a = Conversation.objects.get(thread_id="a")
    assert a.item_count == 2
    assert a.last_item_at == later(5)
    assert Conversation.objects.get(thread_id="b").item_count == 1


def test_an_edit_updates_the_item_and_an_older_version_never_overwrites_it(cairo_x):
    original = heard(external_id="1", text="first")
    edit = heard(external_id="1", text="second", edited_at=later(3))
    items_ingest(account=cairo_x, items=[original, edit], source=POLL)
    item = Item.objects.get()
    assert (item.text, item.edited_at) == ("second", later(3))
    # The original again, late (a slow poll): it is recorded, and changes nothing.
    stale = heard(external_id="1", text="first", created_at=original.created_at)
    stale = type(stale)(**{**stale.__dict__, "raw": {"from": "another poll"}})
    result = items_ingest(account=cairo_x, items=[stale], source=WEBHOOK)
    assert result.unchanged == 1
    assert Item.objects.get().text == "second"
    assert RawEvent.objects.count() == 3
    assert ConversationEvent.objects.filter(verb="item.edited").count() == 1


def test_an_edit_heard_before_its_original_keeps_the_edit_and_the_original_time(cairo_x):
    # X: an edit is a new post (its own creation time); the item keeps the first id.
    edit = heard(external_id="1", text="second", created_at=later(7), edited_at=later(7))
    original = heard(external_id="1", text="first", created_at=later(0))
    items_ingest(account=cairo_x, items=[edit, original], source=POLL)
    item = Item.objects.get()
    assert (item.text, item.created_at_network, item.edited_at) == ("second", later(0), later(7))


def test_a_deletion_marks_the_item_keeps_its_words_and_is_never_undone(cairo_x):
    items_ingest(account=cairo_x, items=[heard(external_id="1", text="words")], source=POLL)
    items_ingest(account=cairo_x, items=[heard(external_id="1", text="", deleted=True)], source=WEBHOOK)
    item = Item.objects.get()
    assert item.deleted_at is not None
    assert item.text == "words"
    items_ingest(account=cairo_x, items=[heard(external_id="1", text="words again", edited_at=later(1))], source=POLL)
    item.refresh_from_db()
    assert item.deleted_at is not None


def test_a_deletion_heard_first_is_filled_in_by_the_item_heard_later(cairo_x):
    items_ingest(account=cairo_x, items=[heard(external_id="1", text="", deleted=True)], source=WEBHOOK)
    items_ingest(account=cairo_x, items=[heard(external_id="1", text="the words")], source=POLL)
    item = Item.objects.get()
    assert (item.text, item.deleted_at is not None) == ("the words", True)
    assert Conversation.objects.get().item_count == 1


def test_an_answer_to_our_post_links_the_conversation_to_its_delivery(cairo_x):
    message = approved_message(
        approver=press_officer(), author=officer("emb-eg-cairo"), mission_or_code="emb-eg-cairo", targets=[cairo_x]
    )
    Delivery.objects.filter(message=message).update(state=Delivery.State.SENT, external_id="our-post")
    delivery = Delivery.objects.get(message=message, language="ar")
    Delivery.objects.filter(pk=delivery.pk).update(external_id="our-post-ar")
    items_ingest(account=cairo_x, items=[heard(external_id="1", answers_post_id="our-post-ar")], source=POLL)
    conversation = Conversation.objects.get()
    assert conversation.delivery == delivery
    assert conversation.events.filter(verb="conversation.linked_to_post").count() == 1


def test_another_accounts_post_with_the_same_id_is_not_ours(cairo_x):
    other = account("emb-jp-tokyo", Network.TWITTER)
    message = approved_message(
        approver=press_officer(),
        author=officer("emb-jp-tokyo"),
        mission_or_code="emb-jp-tokyo",
        targets=[other],
        texts={"fr": "Bonjour", "ja": "こんにちは"},
    )
    Delivery.objects.filter(message=message).update(state=Delivery.State.SENT, external_id="post")
    items_ingest(account=cairo_x, items=[heard(external_id="1", answers_post_id="post")], source=POLL)
    assert Conversation.objects.get().delivery is None


@pytest.mark.parametrize("status", [Conversation.Status.RESOLVED, Conversation.Status.WAITING_FOR_AUTHOR])
def test_a_new_item_reopens_a_resolved_or_waiting_conversation(cairo_x, status):
    items_ingest(account=cairo_x, items=[heard(external_id="1")], source=POLL)
    Conversation.objects.update(status=status)
    items_ingest(account=cairo_x, items=[heard(external_id="2", created_at=later(9))], source=POLL)
    conversation = Conversation.objects.get()
    assert conversation.status == Conversation.Status.OPEN
    assert conversation.events.get(verb="conversation.reopened").from_status == status


def test_a_replayed_item_does_not_reopen_a_resolved_conversation(cairo_x):
    item = heard(external_id="1")
    items_ingest(account=cairo_x, items=[item], source=POLL)
    Conversation.objects.update(status=Conversation.Status.RESOLVED)
    items_ingest(account=cairo_x, items=[item], source=WEBHOOK)
    assert Conversation.objects.get().status == Conversation.Status.RESOLVED


def test_a_closed_conversation_stays_closed_with_its_reason(cairo_x):
    items_ingest(account=cairo_x, items=[heard(external_id="1")], source=POLL)
    Conversation.objects.update(status=Conversation.Status.CLOSED, close_reason=Conversation.CloseReason.SPAM)
    items_ingest(account=cairo_x, items=[heard(external_id="2")], source=POLL)
    assert Conversation.objects.get().status == Conversation.Status.CLOSED


@pytest.mark.parametrize(
    "bad",
    [
        heard(external_id="1", network="facebook"),  # another network's item
        heard(external_id="1", kind="like"),
        heard(external_id="", thread_id="t"),
        heard(external_id="1", thread_id=""),
    ],
)
def test_an_item_that_cannot_be_stored_is_rejected_and_the_rest_kept(cairo_x, bad):
    result = items_ingest(account=cairo_x, items=[bad, heard(external_id="2")], source=POLL)
    assert (result.rejected, result.created) == (1, 1)
    assert list(Item.objects.values_list("external_id", flat=True)) == ["2"]


def test_the_database_refuses_a_second_item_with_the_same_network_and_id(cairo_x):
    items_ingest(account=cairo_x, items=[heard(external_id="1")], source=POLL)
    row = Item.objects.get()
    row.pk = None
    with pytest.raises(IntegrityError), transaction.atomic():
        row.save()


def test_the_database_refuses_a_snooze_without_a_time_and_a_closing_without_a_reason(cairo_x):
    items_ingest(account=cairo_x, items=[heard(external_id="1")], source=POLL)
    with pytest.raises(IntegrityError), transaction.atomic():
        Conversation.objects.update(status=Conversation.Status.SNOOZED)
    with pytest.raises(IntegrityError), transaction.atomic():
        Conversation.objects.update(status=Conversation.Status.CLOSED)


def test_a_raw_event_is_never_changed(cairo_x):
    items_ingest(account=cairo_x, items=[heard(external_id="1")], source=POLL)
    with pytest.raises(DatabaseError), transaction.atomic():
        RawEvent.objects.update(payload={"forged": True})


# --- Batches: one transaction and a constant number of statements -------------------------------


def _statements(callable_) -> int:
    with CaptureQueriesContext(connection) as queries:
        callable_()
    return len(queries)


def test_a_batch_takes_the_same_number_of_statements_at_any_size(cairo_x):
    triage.rules()  # read once per process and minute, not per batch
    counts: dict[str, list[int]] = {"new": [], "replayed": [], "edited": []}
    for size in (1, 10, 40):
        page = [heard(external_id=f"{size}-{n}", thread_id=f"{size}-{n // 3}") for n in range(size)]
        edits = [heard(external_id=f"{size}-{n}", text="Edited", edited_at=later(2)) for n in range(size)]
        counts["new"].append(_statements(lambda page=page: items_ingest(account=cairo_x, items=page, source=POLL)))
        counts["replayed"].append(
            _statements(lambda page=page: items_ingest(account=cairo_x, items=page, source=WEBHOOK))
        )
        counts["edited"].append(
            _statements(lambda edits=edits: items_ingest(account=cairo_x, items=edits, source=POLL))
        )
    for label, values in counts.items():
        assert len(set(values)) == 1, (label, values)
    assert Item.objects.count() == 51
    assert set(Item.objects.values_list("text", flat=True)) == {"Edited"}
    assert ConversationEvent.objects.filter(verb="item.edited").count() == 51
    assert sum(Conversation.objects.values_list("item_count", flat=True)) == 51


def test_a_batch_of_new_items_reopens_a_resolved_conversation_once_and_counts_each(cairo_x):
    items_ingest(account=cairo_x, items=[heard(external_id="1")], source=POLL)
    Conversation.objects.update(status=Conversation.Status.RESOLVED)
    batch = [heard(external_id=str(n), created_at=later(n)) for n in range(2, 6)]
    result = items_ingest(account=cairo_x, items=[*batch, batch[0]], source=WEBHOOK)
    assert (result.created, result.unchanged) == (4, 1)
    conversation = Conversation.objects.get()
    assert (conversation.status, conversation.item_count, conversation.last_item_at) == ("open", 5, later(5))
    assert conversation.events.filter(verb="conversation.reopened").count() == 1
    assert conversation.events.filter(verb="conversation.item_added").count() == 5
    assert conversation.due_at is not None  # the clock runs again


def test_an_item_created_and_edited_in_one_batch_is_one_item_in_its_last_version(cairo_x):
    result = items_ingest(
        account=cairo_x,
        items=[
            heard(external_id="1", text="second", edited_at=later(3)),
            heard(external_id="1", text="first"),
            heard(external_id="1", text="", deleted=True),
        ],
        source=POLL,
    )
    assert (result.created, result.updated, result.unchanged) == (1, 1, 1)
    item = Item.objects.get()
    assert (item.text, item.deleted_at is not None) == ("second", True)
    assert list(ConversationEvent.objects.values_list("verb", flat=True)) == [
        "conversation.started",
        "conversation.item_added",
        "item.deleted",
    ]


@pytest.mark.postgresql
def test_an_item_the_database_refuses_does_not_lose_the_rest_of_its_batch(cairo_x):
    refused = heard(external_id="1", text="a NUL \x00 byte")
    result = items_ingest(account=cairo_x, items=[heard(external_id="2"), refused, heard(external_id="3")], source=POLL)
    assert (result.created, result.rejected) == (2, 1)
    assert sorted(Item.objects.values_list("external_id", flat=True)) == ["2", "3"]
    assert Conversation.objects.get().item_count == 2


THREAT = "I will find you and your family, we know where you live"
SPAM = "Cheap visas, click here, DM me"


def test_a_batch_keeps_threats_apart_and_proposes_hiding_its_spam_in_constant_statements():
    """Protection and the rules' proposals ride on the batch: a page with spam and a threat
    takes as many statements at 2 items a kind as at 12."""
    tokyo_fb = account("emb-jp-tokyo", Network.FACEBOOK)
    triage.rules()

    def page(size: int) -> list:
        fb = {"network": "facebook", "kind": "comment", "thread_id": f"post-{size}"}
        return [
            *(heard(**fb, external_id=f"{size}-q{n}", text="When does the consulate open?") for n in range(size)),
            *(heard(**fb, external_id=f"{size}-s{n}", text=SPAM, author_id=f"s{n}") for n in range(size)),
            *(heard(**fb, external_id=f"{size}-x{n}", text=THREAT, author_id="menace") for n in range(size)),
        ]

    counts = [
        _statements(lambda size=size: items_ingest(account=tokyo_fb, items=page(size), source=POLL)) for size in (2, 12)
    ]
    assert counts[0] == counts[1]

    desk, protected = (
        Conversation.objects.on_desk().get(thread_id="post-12"),
        Conversation.objects.protected().get(thread_id="protected:post-12"),
    )
    assert (protected.restricted_reason, protected.due_at, protected.item_count) == ("threat", None, 12)
    assert (desk.restricted_at, desk.item_count) == (None, 24)
    assert desk.due_at is not None
    for item in protected.items.all():
        assert (item.kept_as["text"], item.kept_as["raw_event"]) == (THREAT, item.raw_event_id)
    assert not desk.items.exclude(kept_as=None).exists()
    assert list(protected.events.values_list("verb", flat=True)[:3]) == [
        "conversation.started",
        "conversation.protected",
        "conversation.item_added",
    ]
    proposals = ModerationAction.objects.filter(item__conversation=desk)
    assert sorted(proposals.values_list("item__external_id", flat=True)) == sorted(f"12-s{n}" for n in range(12))
    assert set(proposals.values_list("state", "action", "reason")) == {("proposed", "hide", "spam")}
    for proposal in proposals:
        assert proposal.evidence["text"] == SPAM
        event = desk.events.get(verb="item.hide_proposed", item=proposal.item)
        assert event.details == {"action": proposal.pk, "rule": proposal.rule, "reason": "spam"}
        # Each proposal right after its item's arrival, as when items came one by one.
        added = desk.events.get(verb="conversation.item_added", item=proposal.item)
        assert desk.events.filter(pk__gt=added.pk, pk__lt=event.pk).count() == 0


def test_a_batch_protects_again_a_released_thread_threatened_again(cairo_x):
    items_ingest(account=cairo_x, items=[heard(external_id="x1", text=THREAT, author_id="menace")], source=POLL)
    Conversation.objects.protected().update(restricted_at=None)  # given back to the desk
    released = Conversation.objects.get(thread_id="protected:thread-1")
    again = [heard(external_id="x2", text=THREAT, author_id="menace"), heard(external_id="q1")]
    assert items_ingest(account=cairo_x, items=again, source=WEBHOOK).created == 2
    released.refresh_from_db()
    assert (released.restricted_at is not None, released.restricted_reason, released.item_count) == (True, "threat", 2)
    assert released.due_at is None  # protected before its item was counted: no desk clock
    assert released.events.filter(verb="conversation.protected").count() == 2
    assert Item.objects.get(external_id="x2").kept_as["text"] == THREAT
    assert Conversation.objects.on_desk().get().thread_id == "thread-1"
