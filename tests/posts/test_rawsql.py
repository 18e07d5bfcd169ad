"""posts.rawsql: each hot path in plain SQL gives the same answer as its ORM twin (run on
SQLite by default, and on PostgreSQL with DATABASE_URL=postgres://...)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from posts import rawsql
from posts.lifecycle import DeliveryState
from posts.models import Attachment, Delivery, DeliveryAttempt, Event, PublishingPause
from tests.posts.factories import account, draft_message, officer, press_officer

pytestmark = pytest.mark.django_db


def test_any_pause_open_agrees_with_the_orm():
    def both():
        return rawsql.any_pause_open(), rawsql.any_pause_open_orm()

    assert both() == (False, False)
    press = press_officer()
    ended = PublishingPause.objects.create(reason="Over", started_by=press, ended_at=timezone.now(), ended_by=press)
    assert both() == (False, False)
    PublishingPause.objects.create(scope="network", value="twitter", reason="Crisis", started_by=press)
    assert both() == (True, True)
    ended.delete()
    assert both() == (True, True)


def test_any_pause_open_leaves_out_silences_past_their_end_as_the_orm_does():
    def both():
        return rawsql.any_pause_open(), rawsql.any_pause_open_orm()

    now = timezone.now()
    press = press_officer()
    over = {"kind": "electoral", "scope": "country", "value": "JP", "reason": "Vote", "started_by": press}
    PublishingPause.objects.create(**over, starts_at=now - timedelta(hours=3), ends_at=now - timedelta(hours=1))
    assert both() == (False, False)
    PublishingPause.objects.create(**over, starts_at=now + timedelta(hours=1), ends_at=now + timedelta(hours=3))
    assert both() == (True, True)  # planned: the pauses are read, and active_pauses leaves it out


@pytest.mark.parametrize("state", DeliveryState.values)
def test_deliveries_on_their_way_agrees_with_the_orm(state):
    author = officer("emb-eg-cairo")
    message = draft_message(author=author, texts={"fr": "Bonjour"})
    other = draft_message(author=author, texts={"fr": "Bonsoir"})
    assert rawsql.deliveries_on_their_way(message.pk) is rawsql.deliveries_on_their_way_orm(message.pk) is False
    Delivery.objects.create(message=message, account=message.targets.get(), language="fr", state=state)
    # Another message's deliveries never count.
    Delivery.objects.create(message=other, account=other.targets.get(), language="fr", state=DeliveryState.QUEUED)
    expected = state not in {"sent", "failed", "cancelled", "retracted"}
    assert rawsql.deliveries_on_their_way(message.pk) == rawsql.deliveries_on_their_way_orm(message.pk) == expected


def test_message_target_ids_agrees_with_the_orm():
    author = officer("emb-eg-cairo")
    targets = [account("emb-eg-cairo", network) for network in ("twitter", "facebook", "flickr")]
    message = draft_message(author=author, texts={"fr": "Bonjour"}, targets=targets)
    other = draft_message(author=author, texts={"fr": "Bonsoir"})
    ids = sorted(rawsql.message_target_ids(message.pk))
    assert ids == sorted(rawsql.message_target_ids_orm(message.pk)) == sorted(target.pk for target in targets)
    assert rawsql.message_target_ids(other.pk) == rawsql.message_target_ids_orm(other.pk) == [other.targets.get().pk]
    assert rawsql.message_target_ids(0) == rawsql.message_target_ids_orm(0) == []


@pytest.mark.parametrize("claim", [rawsql.deliveries_claim, rawsql.deliveries_claim_orm])
def test_deliveries_claim_takes_only_the_queued_and_counts_an_attempt(claim):
    author = officer("emb-eg-cairo")
    targets = [account("emb-eg-cairo", network) for network in ("twitter", "facebook", "flickr")]
    message = draft_message(author=author, texts={"fr": "Bonjour"}, targets=targets)
    queued, sending, scheduled = (
        Delivery.objects.create(message=message, account=target, language="fr", state=state, attempts=1)
        for target, state in zip(targets, ["queued", "sending", "scheduled"], strict=True)
    )
    now = timezone.now()
    ids = [queued.pk, sending.pk, scheduled.pk, 987654]
    assert claim(ids, now=now) == [queued.pk]
    queued.refresh_from_db()
    assert (queued.state, queued.attempts, queued.state_changed_at) == ("sending", 2, now)
    assert claim(ids, now=now) == []  # a second claim of the same batch takes nothing
    assert Delivery.objects.get(pk=sending.pk).attempts == Delivery.objects.get(pk=scheduled.pk).attempts == 1
    assert claim([], now=now) == []


def _values(instance) -> dict:
    return {field.attname: getattr(instance, field.attname) for field in type(instance)._meta.concrete_fields}


def test_deliveries_for_sending_agrees_with_the_orm():
    """Every column of the delivery, its message, account and mission, converted as the
    ORM converts it (datetimes, JSON, booleans), one message instance per message."""
    author = officer("emb-eg-cairo", "emb-jp-tokyo")
    targets = [account("emb-eg-cairo", network) for network in ("twitter", "facebook", "flickr")]
    message = draft_message(author=author, texts={"fr": "Bonjour"}, targets=targets)
    other = draft_message(author=author, texts={"fr": "Bonsoir"}, mission_or_code="emb-jp-tokyo")
    now = timezone.now()
    made = [
        Delivery.objects.create(
            message=message,
            account=targets[0],
            language="fr",
            state="sending",
            attempts=2,
            due_at=now,
            state_changed_at=now - timedelta(seconds=3),
            last_error_params={"minutes": 90, "due_at": "2026-12-07 10:00"},
        ),
        Delivery.objects.create(message=message, account=targets[1], language="fr", state="sending"),
        Delivery.objects.create(message=other, account=other.targets.get(), language="fr", state="queued"),
    ]
    Delivery.objects.create(message=message, account=targets[2], language="fr", state="queued")  # not asked for
    ids = [made[2].pk, made[0].pk, made[1].pk, 987654]
    raw, orm = rawsql.deliveries_for_sending(ids), rawsql.deliveries_for_sending_orm(ids)
    assert [d.pk for d in raw] == [d.pk for d in orm] == sorted(d.pk for d in made)
    for mine, theirs in zip(raw, orm, strict=True):
        assert _values(mine) == _values(theirs)
        assert _values(mine.message) == _values(theirs.message)
        assert _values(mine.account) == _values(theirs.account)
        assert _values(mine.account.mission) == _values(theirs.account.mission)
        assert mine.account.can_publish is theirs.account.can_publish is True
    assert raw[0].last_error_params == {"minutes": 90, "due_at": "2026-12-07 10:00"}
    assert raw[0].message is raw[1].message  # read once, shared
    assert rawsql.deliveries_for_sending([]) == []


def test_messages_texts_and_attachments_agrees_with_the_orm():
    author = officer("emb-eg-cairo")
    message = draft_message(author=author, texts={"fr": "Bonjour", "ar": "مرحبا"})
    other = draft_message(author=author, texts={"fr": "Bonsoir"})
    for position, name in enumerate(["b.png", "a.png"]):
        Attachment.objects.create(
            message=message,
            file=f"attachments/{name}",
            kind="image",
            mime_type="image/png",
            size=100 + position,
            sha256=str(position) * 64,
            original_name=name,
            alt_text="Un drapeau",
            width=320,
            height=240,
            position=position,
        )
    ids = [message.pk, other.pk, 0]
    raw, orm = rawsql.messages_texts_and_attachments(ids), rawsql.messages_texts_and_attachments_orm(ids)
    assert sorted(raw) == sorted(orm) == sorted(ids)
    for pk in ids:
        for mine, theirs in zip(raw[pk], orm[pk], strict=True):
            assert [_values(item) for item in mine] == [_values(item) for item in theirs]
    assert [len(raw[message.pk][0]), len(raw[message.pk][1])] == [2, 2]
    assert raw[0] == ([], [])
    assert raw[message.pk][1][0].file.path.endswith("attachments/b.png")  # a FieldFile, as the ORM's


@pytest.mark.parametrize("insert", [rawsql.insert_returning_ids, rawsql.insert_returning_ids_orm])
def test_insert_returning_ids_stores_what_bulk_create_stores(insert):
    """Each instance gets its own id, in order, and every column reads back as given (JSON,
    datetimes, nulls; `created_at` filled as auto_now_add fills it), in chunks if many."""
    author = officer("emb-eg-cairo")
    message = draft_message(author=author, texts={"fr": "Bonjour"})
    delivery = Delivery.objects.create(message=message, account=message.targets.get(), language="fr")
    now = timezone.now()
    before = timezone.now()
    events = [
        Event(
            verb="delivery.sent",
            message_id=message.pk,
            delivery_id=delivery.pk,
            from_state="sending",
            to_state="sent",
            details={"attempt": number, "url": "https://x.com/i/1", "status_code": None, "é": "« oui »"},
        )
        for number in range(300)  # more than one chunk of 900 values
    ]
    attempts = [DeliveryAttempt(delivery=delivery, number=1, action="publish", started_at=now)]
    returned = insert(events)
    insert(attempts)
    ids = [event.pk for event in events]
    assert [event.pk for event in returned] == ids
    assert None not in ids
    assert ids == sorted(set(ids))
    stored = {event.pk: event for event in Event.objects.filter(pk__in=ids)}
    for event in events:
        again = stored[event.pk]
        assert (again.verb, again.delivery_id, again.message_id, again.actor_id, again.details) == (
            "delivery.sent",
            delivery.pk,
            message.pk,
            None,
            event.details,
        )
        assert before <= again.created_at == event.created_at
        assert not event._state.adding
    attempt = DeliveryAttempt.objects.get(pk=attempts[0].pk)
    assert (attempt.started_at, attempt.finished_at, attempt.status_code, attempt.outcome) == (now, None, None, "")
    assert rawsql.insert_returning_ids([]) == []
