"""The service clocks' beat: warn at three quarters of the target, escalate on breach, and
offer an urgent conversation to the headquarters desk when its mission closes ("global
time"). Each conversation in a transaction of its own, re-checked under its lock; running
twice at once, or again, changes nothing more."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime

from django.db import transaction
from django.utils import timezone

from conversations.business_hours import is_open
from conversations.lifecycle import CONVERSATION_CLOCK_RUNS, Priority
from conversations.models import Conversation
from conversations.notifications import tell_mission_desk
from conversations.services import triage
from conversations.services.escalation import VERB as ESCALATED
from conversations.services.escalation import escalation_announce
from conversations.services.ingest import record_event

logger = logging.getLogger(__name__)

BATCH = 500  # conversations per kind and tick: a backlog drains over a few ticks


@dataclass
class ClockTick:
    warned: int = 0
    escalated: int = 0
    after_hours: int = 0


def conversations_check_clocks(*, now: datetime | None = None) -> ClockTick:
    """Warn, escalate and offer what is due at `now` (beat, every minute)."""
    now = now or timezone.now()
    tick = ClockTick()
    # A protected conversation is no desk's: no warning, no escalation, no mail about it.
    running = Conversation.objects.on_desk().filter(status__in=CONVERSATION_CLOCK_RUNS)
    for pk in running.filter(warn_at__lte=now, warned_at__isnull=True).values_list("pk", flat=True)[:BATCH]:
        tick.warned += _warn(pk, now=now)
    due = running.filter(due_at__lte=now, escalated_at__isnull=True)
    for pk in due.values_list("pk", flat=True)[:BATCH]:
        tick.escalated += _escalate(pk, now=now, reason="breach")
    rules = triage.rules()
    urgent = running.filter(priority__lte=Priority.URGENT, escalated_at__isnull=True)
    for pk, mission_id in urgent.values_list("pk", "mission_id")[:BATCH]:
        facts = rules.missions.get(mission_id)
        if facts is not None and not is_open(now, facts.hours):
            tick.after_hours += _escalate(pk, now=now, reason="after_hours")
    return tick


def _locked_if(pk: int, now: datetime, *, field: str, when: str) -> Conversation | None:
    conversation = Conversation.objects.select_for_update(of=("self",)).select_related("mission", "assignee").get(pk=pk)
    if (
        conversation.status not in CONVERSATION_CLOCK_RUNS
        or conversation.restricted_at is not None
        or getattr(conversation, field) is not None
    ):
        return None
    moment = getattr(conversation, when) if when else None
    if when and (moment is None or moment > now):
        return None
    return conversation


def _warn(pk: int, *, now: datetime) -> int:
    with transaction.atomic():
        conversation = _locked_if(pk, now, field="warned_at", when="warn_at")
        if conversation is None:
            return 0
        conversation.warned_at = now
        conversation.save(update_fields=["warned_at", "updated_at"])
        record_event(
            verb="conversation.clock_warned", conversation=conversation, details={"due_at": _iso(conversation)}
        )
        tell_mission_desk(conversation)
    return 1


def _escalate(pk: int, *, now: datetime, reason: str) -> int:
    """Offer it to the headquarters desk: stamped, an event, one step more urgent, told."""
    with transaction.atomic():
        conversation = _locked_if(pk, now, field="escalated_at", when="due_at" if reason == "breach" else "")
        if conversation is None:
            return 0
        conversation.escalated_at = now
        conversation.priority = max(Priority.URGENT, conversation.priority - 1)
        conversation.save(update_fields=["escalated_at", "priority", "updated_at"])
        event = record_event(
            verb=ESCALATED, conversation=conversation, details={"reason": reason, "due_at": _iso(conversation)}
        )
        escalation_announce(conversation, event_id=event.pk, reason=reason)
    return 1


def _iso(conversation: Conversation) -> str:
    return conversation.due_at.isoformat() if conversation.due_at else ""
