"""The answer library: lines to take, one text per topic and language, each change a new
version. The press office writes and approves them (the crisis unit its crisis lines);
missions propose theirs, approved like a message; withdrawing one flags it wherever used."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from conversations import clearance
from conversations.lifecycle import LineState
from conversations.models import AnswerLine
from diplomacy_hub import policy
from embassies.models import Mission


@dataclass(frozen=True)
class LineDraft:
    topic: str
    title: str
    category: str
    language: str
    text: str
    crisis: bool = False
    valid_from: datetime | None = None
    valid_until: datetime | None = None
    mission_id: int | None = None


def line_write(*, actor, draft: LineDraft) -> AnswerLine:
    """A new version of the topic's line in that language: approved at once when its writer
    may approve it, else proposed."""
    policy.require(actor, "line.propose")
    unknown = clearance.unknown_placeholders(draft.text)
    if unknown:
        raise ValidationError("line.placeholder_unknown", code="line.placeholder_unknown", params={"names": unknown})
    valid_from = draft.valid_from or timezone.now()
    if draft.valid_until is not None and draft.valid_until <= valid_from:
        raise ValidationError("line.dates", code="line.dates")
    mission = Mission.objects.filter(pk=draft.mission_id).first() if draft.mission_id else None
    with transaction.atomic():
        # One writer of a topic's language at a time: the version numbers stay in order.
        latest = (
            AnswerLine.objects.select_for_update()
            .filter(topic=draft.topic, language=draft.language)
            .aggregate(top=Max("version"))["top"]
        )
        line = AnswerLine(
            topic=draft.topic,
            title=draft.title,
            category=draft.category,
            language=draft.language,
            version=(latest or 0) + 1,
            text=draft.text,
            crisis=draft.crisis,
            mission=mission,
            valid_from=valid_from,
            valid_until=draft.valid_until,
            written_by=actor,
        )
        if policy.can(actor, "line.approve", line):
            _approve(line, actor)
        line.save()
    return line


def line_approve(*, actor, line_id: int) -> AnswerLine:
    with transaction.atomic():
        line = AnswerLine.objects.select_for_update().get(pk=line_id)
        policy.require(actor, "line.approve", line)
        if line.state == LineState.APPROVED:
            return line
        if line.state != LineState.PROPOSED:
            raise ValidationError(
                "reply.not_now", code="reply.not_now", params={"reply_state": line.get_state_display()}
            )
        _approve(line, actor)
        line.save()
    return line


def line_withdraw(*, actor, line_id: int) -> AnswerLine:
    with transaction.atomic():
        line = AnswerLine.objects.select_for_update().get(pk=line_id)
        policy.require(actor, "line.approve", line)
        AnswerLine.objects.filter(pk=line.pk).update(state=LineState.WITHDRAWN)
        line.refresh_from_db()
    return line


def _approve(line: AnswerLine, actor) -> None:
    """Approved, and the older approved versions of its topic and language superseded."""
    line.state, line.approved_by, line.approved_at = LineState.APPROVED, actor, timezone.now()
    AnswerLine.objects.filter(topic=line.topic, language=line.language, state=LineState.APPROVED).exclude(
        pk=line.pk
    ).update(state=LineState.SUPERSEDED)
