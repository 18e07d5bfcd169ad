"""posts.lifecycle: the state machines, the lock-and-check helper and the event registry,
and what the message page says of every event, in French too."""

from __future__ import annotations

import pytest
from django.db import transaction
from django.utils import translation

from posts.lifecycle import (
    AUDITED_EVENTS,
    DELIVERY_FINAL,
    DELIVERY_ON_ITS_WAY,
    DELIVERY_TRANSITIONS,
    EVENTS,
    MESSAGE_TRANSITIONS,
    DeliveryState,
    InvalidTransition,
    MessageState,
    lock_for_transition,
)
from posts.models import Delivery, Event, Message
from posts.services.events import record_event
from posts.services.outcomes import _allowed
from tests.posts.factories import approved_message, draft_message, officer, press_officer

pytestmark = pytest.mark.django_db


def test_every_state_has_its_transitions_and_final_ones_have_none():
    assert set(MESSAGE_TRANSITIONS) == set(MessageState.values)
    assert set(DELIVERY_TRANSITIONS) == set(DeliveryState.values)
    for state in (DeliveryState.CANCELLED, DeliveryState.RETRACTED):
        assert DELIVERY_TRANSITIONS[state] == frozenset()
    # Every state on its way can still reach a final one.
    for state in DELIVERY_ON_ITS_WAY:
        assert DELIVERY_TRANSITIONS[state] & DELIVERY_FINAL


def test_lock_for_transition_refuses_in_words_and_runs_the_guard_first():
    message = approved_message(approver=press_officer(), author=officer("emb-eg-cairo"))
    delivery = message.deliveries.first()
    seen = []
    with transaction.atomic(), pytest.raises(InvalidTransition, match="cannot become"):
        lock_for_transition(Delivery.objects.all(), pk=delivery.pk, to_state=DeliveryState.RETRACTED, guard=seen.append)
    assert [row.pk for row in seen] == [delivery.pk]
    with transaction.atomic(), pytest.raises(InvalidTransition, match="only failed"):
        lock_for_transition(
            Delivery.objects.all(),
            pk=delivery.pk,
            to_state=DeliveryState.SCHEDULED,
            from_states=[DeliveryState.FAILED],
            refusal=lambda row: "only failed",
        )
    with transaction.atomic():
        locked = lock_for_transition(Message.objects.all(), pk=message.pk, to_state=MessageState.PUBLISHING)
    assert locked.pk == message.pk


def test_recording_an_unregistered_event_is_refused():
    message = draft_message(author=officer("emb-eg-cairo"))
    with pytest.raises(ValueError, match="not registered"):
        record_event(verb="message.publish_now", message=message)
    assert not Event.objects.filter(verb="message.publish_now").exists()


def test_publish_now_is_not_an_audited_event():
    """ "Publish now" is audited as message.approve with now=true (tests/security/test_audit.py)."""
    assert "message.publish_now" not in EVENTS
    assert {"message.approve", "message.cancel", "delivery.settled", "publishing.pause"} <= AUDITED_EVENTS


def test_every_event_has_a_french_label():
    with translation.override("en"):
        english = {name: str(kind.label) for name, kind in EVENTS.items()}
    with translation.override("fr"):
        french = {name: str(kind.label) for name, kind in EVENTS.items()}
    assert [name for name in EVENTS if french[name] == english[name]] == []


def test_the_outcomes_service_moves_deliveries_only_as_the_machine_allows():
    assert _allowed([DeliveryState.SENDING, DeliveryState.UNKNOWN], DeliveryState.SENT) == ["sending", "unknown"]
    with pytest.raises(ValueError, match="from failed to sent"):
        _allowed([DeliveryState.FAILED], DeliveryState.SENT)
