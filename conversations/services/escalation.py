"""Offering a conversation to the headquarters desk, announced in one place: the clocks'
beat (a breach, a mission that closes) and ingestion ("global time") both escalate, and
both owe the same `conversation.escalated` webhook (written in the caller's transaction)
and the same mail to the press office."""

from __future__ import annotations

from conversations.models import Conversation
from conversations.notifications import tell_headquarters
from diplomacy_hub import outbox

VERB = "conversation.escalated"


def escalation_announce(conversation: Conversation, *, event_id: int, reason: str) -> None:
    """Call in the escalation's transaction, once its event is written: the webhooks owed
    commit or roll back with it; the mail goes after commit."""
    outbox.emit(VERB, {"event_id": event_id, "conversation_id": conversation.pk, "reason": reason})
    tell_headquarters(conversation)
