"""Correcting triage by hand: the mission's officers and the press office change category,
priority, language and tags on the conversation page; the change is audited from what to
what; a new category restarts the service clock with its own target, counted from when the
mission came to owe the answer."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from audit.models import AuditEvent
from channels.models import Network
from conversations.lifecycle import Category, Priority
from conversations.models import Conversation, RawEvent
from conversations.services.desk import conversation_triage_set
from conversations.services.ingest import items_ingest
from tests.conversations.conftest import heard
from tests.posts.factories import account, administrator, crisis_member, officer, press_officer
from tests.security.otp import force_verified_login

pytestmark = pytest.mark.django_db

CAIRO = ZoneInfo("Africa/Cairo")
THURSDAY_AFTERNOON = datetime(2026, 4, 30, 15, 0, tzinfo=CAIRO)
CONSULAR_AR = "كيف أجدد جواز سفري لدى السفارة؟"


@pytest.fixture
def conversation():
    cairo = account("emb-eg-cairo", Network.TWITTER)
    with time_machine.travel(THURSDAY_AFTERNOON, tick=False):
        items_ingest(
            account=cairo,
            items=[heard(thread_id="t", text=CONSULAR_AR, created_at=THURSDAY_AFTERNOON, language="")],
            source=RawEvent.Source.WEBHOOK,
        )
    return Conversation.objects.get(thread_id="t")


def _set(actor, conversation, **values):
    fields = {
        "category": conversation.category,
        "priority": conversation.priority,
        "language": conversation.language,
        "tags": list(conversation.tags),
        **values,
    }
    with time_machine.travel(THURSDAY_AFTERNOON + timedelta(minutes=5), tick=False):
        return conversation_triage_set(actor=actor, conversation_id=conversation.pk, **fields)


def test_distress_by_hand_restarts_the_clock_around_the_clock_from_the_start(conversation):
    assert conversation.category == Category.CONSULAR
    consular_due = conversation.due_at
    cairo_officer = officer("emb-eg-cairo")
    changed = _set(cairo_officer, conversation, category=Category.DISTRESS, priority=Priority.URGENT)
    # Distress: one hour around the clock, from when the item came, not from the correction.
    assert changed.due_at == THURSDAY_AFTERNOON + timedelta(hours=1) < consular_due
    assert changed.warn_at == THURSDAY_AFTERNOON + timedelta(minutes=45)
    audit = AuditEvent.objects.get(action="conversation.triage")
    assert audit.actor == cairo_officer
    changes = audit.details["changes"]
    assert changes["category"] == {"from": Category.CONSULAR, "to": Category.DISTRESS}
    assert changes["priority"] == {"from": conversation.priority, "to": Priority.URGENT}
    assert changes["due_at"]["to"] == changed.due_at.isoformat()
    assert conversation.events.filter(verb="conversation.triaged", actor=cairo_officer).count() == 1


def test_praise_by_hand_stops_the_clock_and_the_same_again_changes_nothing(conversation):
    press = press_officer()
    changed = _set(press, conversation, category=Category.PRAISE, priority=Priority.LOW, tags=["Thanks", "thanks"])
    assert (changed.due_at, changed.warn_at, changed.tags) == (None, None, ["thanks"])
    _set(press, changed, category=Category.PRAISE, priority=Priority.LOW, tags=["thanks"])
    assert AuditEvent.objects.filter(action="conversation.triage").count() == 1


def test_language_and_tags_alone_leave_the_clock_be(conversation):
    due = conversation.due_at
    changed = _set(press_officer(), conversation, language="fr", tags=["visa"])
    assert (changed.language, changed.tags, changed.due_at) == ("fr", ["visa"], due)
    details = AuditEvent.objects.get(action="conversation.triage").details["changes"]
    assert set(details) == {"language", "tags"}
    assert details["language"] == {"from": "ar", "to": "fr"}


def test_bad_values_are_refused_with_their_field(conversation):
    with pytest.raises(ValidationError) as refused:
        _set(press_officer(), conversation, category="unsorted", priority=9, language="klingon", tags=["a b"])
    assert set(refused.value.message_dict) == {"category", "priority", "language", "tags"}
    conversation.refresh_from_db()
    assert conversation.category == Category.CONSULAR


def test_another_missions_officer_the_crisis_unit_and_an_administrator_may_not(conversation):
    for actor in (officer("emb-jp-tokyo"), crisis_member(), administrator()):
        with pytest.raises(PermissionDenied):
            _set(actor, conversation, category=Category.HOSTILE)
    assert not AuditEvent.objects.filter(action="conversation.triage").exists()


def test_the_conversation_page_offers_the_form_and_saves_it(client, conversation):
    cairo_officer = officer("emb-eg-cairo")
    force_verified_login(client, cairo_officer)
    page = client.get(conversation.get_absolute_url())
    assert reverse("conversations:triage", args=[conversation.pk]).encode() in page.content
    response = client.post(
        reverse("conversations:triage", args=[conversation.pk]),
        {"category": "press", "priority": "2", "language": "ar", "tags": "journalist, visa"},
    )
    assert response.status_code == 302
    conversation.refresh_from_db()
    assert (conversation.category, conversation.priority, conversation.tags) == ("press", 2, ["journalist", "visa"])
    refused = client.post(
        reverse("conversations:triage", args=[conversation.pk]),
        {"category": "press", "priority": "2", "language": "12", "tags": ""},
        follow=True,
    )
    assert "two-letter code" in refused.content.decode()


def test_the_page_hides_the_form_from_the_crisis_unit(client, conversation):
    force_verified_login(client, crisis_member())
    page = client.get(conversation.get_absolute_url())
    assert page.status_code == 200
    assert reverse("conversations:triage", args=[conversation.pk]).encode() not in page.content
