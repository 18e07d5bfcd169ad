"""Setting a conversation's status and assigning it: the mission's officers, the press
office and the crisis unit; the transitions the life cycle allows; a reason to close
without reply, a time to come to snooze; each change an event; the same twice, nothing."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import timezone

from channels.models import Network
from conversations.models import Conversation, RawEvent
from conversations.services.desk import conversation_assign, conversation_set_status, conversations_wake_snoozed
from conversations.services.ingest import items_ingest
from posts.lifecycle import InvalidTransition
from tests.conversations.conftest import heard
from tests.posts.factories import account as social_account
from tests.posts.factories import administrator, officer, press_officer
from tests.security.otp import force_verified_login

pytestmark = pytest.mark.django_db

Status = Conversation.Status


@pytest.fixture
def conversation():
    cairo = social_account("emb-eg-cairo", Network.TWITTER)
    items_ingest(account=cairo, items=[heard(external_id="1", thread_id="t")], source=RawEvent.Source.POLL)
    return Conversation.objects.get()


def test_an_officer_of_the_mission_resolves_and_the_event_says_who(conversation):
    cairo_officer = officer("emb-eg-cairo")
    conversation_set_status(actor=cairo_officer, conversation_id=conversation.pk, status=Status.RESOLVED)
    conversation.refresh_from_db()
    assert conversation.status == Status.RESOLVED
    event = conversation.events.get(verb="conversation.status")
    assert (event.actor, event.from_status, event.to_status) == (cairo_officer, Status.NEW, Status.RESOLVED)
    # The same again changes nothing.
    conversation_set_status(actor=cairo_officer, conversation_id=conversation.pk, status=Status.RESOLVED)
    assert conversation.events.filter(verb="conversation.status").count() == 1


def test_another_missions_officer_and_an_administrator_may_not(conversation):
    for actor in (officer("emb-jp-tokyo"), administrator()):
        with pytest.raises(PermissionDenied):
            conversation_set_status(actor=actor, conversation_id=conversation.pk, status=Status.OPEN)
    conversation.refresh_from_db()
    assert conversation.status == Status.NEW


def test_closing_needs_a_reason_and_snoozing_a_time_to_come(conversation):
    press = press_officer()
    with pytest.raises(ValidationError):
        conversation_set_status(actor=press, conversation_id=conversation.pk, status=Status.CLOSED)
    with pytest.raises(ValidationError):
        conversation_set_status(
            actor=press,
            conversation_id=conversation.pk,
            status=Status.SNOOZED,
            snoozed_until=timezone.now() - timedelta(hours=1),
        )
    later = timezone.now() + timedelta(days=1)
    conversation_set_status(actor=press, conversation_id=conversation.pk, status=Status.SNOOZED, snoozed_until=later)
    conversation.refresh_from_db()
    assert (conversation.status, conversation.snoozed_until) == (Status.SNOOZED, later)
    conversation_set_status(actor=press, conversation_id=conversation.pk, status=Status.CLOSED, close_reason="spam")
    conversation.refresh_from_db()
    assert (conversation.status, conversation.snoozed_until, conversation.close_reason) == (Status.CLOSED, None, "spam")


def test_a_status_of_the_clearance_is_not_set_by_hand_nor_a_forbidden_move(conversation):
    press = press_officer()
    with pytest.raises(InvalidTransition):
        conversation_set_status(actor=press, conversation_id=conversation.pk, status=Status.AWAITING_CLEARANCE)
    conversation_set_status(actor=press, conversation_id=conversation.pk, status=Status.RESOLVED)
    with pytest.raises(InvalidTransition):
        conversation_set_status(actor=press, conversation_id=conversation.pk, status=Status.WAITING_FOR_AUTHOR)


def test_a_new_item_wakes_a_snoozed_conversation(conversation):
    conversation_set_status(
        actor=press_officer(),
        conversation_id=conversation.pk,
        status=Status.SNOOZED,
        snoozed_until=timezone.now() + timedelta(days=1),
    )
    items_ingest(account=conversation.account, items=[heard(external_id="2", thread_id="t")], source="poll")
    conversation.refresh_from_db()
    assert conversation.status == Status.OPEN


def test_only_someone_who_may_handle_it_is_assigned(conversation):
    press = press_officer()
    cairo_officer = officer("emb-eg-cairo")
    conversation_assign(actor=press, conversation_id=conversation.pk, assignee_id=cairo_officer.pk)
    conversation.refresh_from_db()
    assert conversation.assignee == cairo_officer
    with pytest.raises(ValidationError):
        conversation_assign(actor=press, conversation_id=conversation.pk, assignee_id=officer("emb-jp-tokyo").pk)
    conversation_assign(actor=press, conversation_id=conversation.pk, assignee_id=None)
    conversation.refresh_from_db()
    assert conversation.assignee is None
    assert conversation.events.filter(verb="conversation.assign").count() == 2


def test_the_page_sets_the_status_in_the_missions_time(client, conversation):
    cairo_officer = officer("emb-eg-cairo")
    force_verified_login(client, cairo_officer)
    response = client.post(
        reverse("conversations:status", args=[conversation.pk]),
        {"status": "snoozed", "snoozed_until": "2099-01-02T09:00"},
        follow=True,
    )
    assert response.status_code == 200
    conversation.refresh_from_db()
    assert conversation.status == Status.SNOOZED
    assert conversation.snoozed_until.isoformat() == "2099-01-02T07:00:00+00:00"  # Cairo is UTC+2


@pytest.mark.parametrize(
    "data",
    [{"status": "closed"}, {"status": "awaiting_clearance"}, {"status": "snoozed", "snoozed_until": "soon"}, {}],
)
def test_bad_input_on_the_page_is_said_not_a_500(client, conversation, data):
    force_verified_login(client, officer("emb-eg-cairo"))
    response = client.post(reverse("conversations:status", args=[conversation.pk]), data, follow=True)
    assert response.status_code == 200
    assert 'class="messages"' in response.content.decode()
    conversation.refresh_from_db()
    assert conversation.status == Status.NEW


def test_the_page_assigns(client, conversation):
    press = press_officer()
    force_verified_login(client, press)
    page = client.get(conversation.get_absolute_url()).content.decode()
    assert "Handle it" in page
    response = client.post(reverse("conversations:assign", args=[conversation.pk]), {"assignee": press.pk})
    assert response.status_code == 302
    conversation.refresh_from_db()
    assert conversation.assignee == press
    refused = client.post(reverse("conversations:assign", args=[conversation.pk]), {"assignee": administrator().pk})
    assert refused.status_code == 302
    conversation.refresh_from_db()
    assert conversation.assignee == press


def test_a_snooze_ends_at_its_time(conversation):
    until = timezone.now() + timedelta(hours=2)
    conversation_set_status(
        actor=press_officer(), conversation_id=conversation.pk, status=Status.SNOOZED, snoozed_until=until
    )
    assert conversations_wake_snoozed(now=until - timedelta(seconds=1)) == 0
    assert conversations_wake_snoozed(now=until) == 1
    conversation.refresh_from_db()
    assert (conversation.status, conversation.snoozed_until) == (Status.OPEN, None)
    assert conversation.events.filter(verb="conversation.woken").count() == 1
    assert conversations_wake_snoozed(now=until) == 0
