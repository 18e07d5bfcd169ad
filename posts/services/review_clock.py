"""The review desks that follow the sun (issue 18 §1): a submitted message is offered to the
desk on duty for its mission (by region, then the hour), with a review clock at the press
office's target for its priority; at the target it is offered to the next desk on duty and
the desks' leads are told. Desks change nobody's rights: any press officer still reviews
anything, and a decision by anyone stops the clock.

Called inside the transitions' own transactions (submit, the decisions), and by a small
beat task (`posts.review_clock`) for the targets that passed.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from audit.services import record as audit_record
from diplomacy_hub import policy
from diplomacy_hub.mail import absolute_url, mail_queue
from globaltime.models import Desk
from globaltime.selectors import active_desks, desks_in_order, is_on_duty
from posts.models import Message, Priority, ReviewAssignment, ReviewTarget
from posts.services.events import record_event

# Until the press office sets its own (the review targets page).
DEFAULT_TARGET_MINUTES = {Priority.ROUTINE: 30, Priority.CRISIS: 5}
MAX_TARGET_MINUTES = 1440
Outcome = ReviewAssignment.Outcome


def target_minutes(priority: str) -> int:
    row = ReviewTarget.objects.filter(priority=priority).values_list("minutes", flat=True).first()
    return row if row is not None else DEFAULT_TARGET_MINUTES[Priority(priority)]


def targets() -> dict[str, int]:
    """Minutes per priority, the press office's or the defaults."""
    return {priority: target_minutes(priority) for priority in Priority.values}


def review_targets_set(*, actor, minutes_by_priority: dict[str, int]) -> None:
    """The press office sets how long each priority may wait at one desk (1 to 1440
    minutes). Applies to messages offered from now on."""
    policy.require(actor, "review.targets")
    errors = {
        priority: _("Between 1 and 1440 minutes.")
        for priority, minutes in minutes_by_priority.items()
        if priority not in Priority.values or not 1 <= int(minutes) <= MAX_TARGET_MINUTES
    }
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        for priority, minutes in minutes_by_priority.items():
            ReviewTarget.objects.update_or_create(
                priority=priority, defaults={"minutes": int(minutes), "changed_by": actor}
            )
        audit_record(action="review.targets", actor=actor, details={"minutes": dict(minutes_by_priority)})


def _region(message: Message) -> str | None:
    return message.mission.region if message.mission is not None else None


def review_offer(*, message: Message, now: datetime) -> ReviewAssignment | None:
    """Offer a message now in review to the first desk in `desks_in_order` (none when no desk
    exists), its clock due at the target. In the caller's transaction."""
    review_clock_stop(message=message, outcome=Outcome.WITHDRAWN, now=now)  # one open at a time
    desks = desks_in_order(region=_region(message), at=now)
    if not desks:
        return None
    desk = desks[0]
    assignment = ReviewAssignment.objects.create(
        message=message, desk=desk, offered_at=now, due_at=now + timedelta(minutes=target_minutes(message.priority))
    )
    record_event(
        verb="message.offered",
        message=message,
        details={"desk": desk.name, "desk_id": desk.pk, "due_at": assignment.due_at.isoformat()},
    )
    return assignment


def review_clock_stop(*, message: Message, outcome: str, now: datetime) -> None:
    """Close the message's open assignment (a decision, or the message left review)."""
    ReviewAssignment.objects.filter(message=message, ended_at__isnull=True).update(ended_at=now, outcome=outcome)


@dataclass
class Tick:
    passed_on: int = 0
    told: int = 0
    closed: int = 0


def review_clock_tick(*, now: datetime | None = None) -> Tick:
    """Every assignment whose target passed: offered to the next desk on duty (not one it
    was already offered to in this round), the leads of both desks told; with no other
    desk, it stays and the lead is told once. Assignments of messages that left review
    are closed. Idempotent: each assignment is handled once, under its row lock."""
    now = now or timezone.now()
    tick = Tick()
    due_ids = list(
        ReviewAssignment.objects.filter(ended_at__isnull=True, due_at__lte=now, lead_told_at__isnull=True)
        .order_by("due_at")
        .values_list("pk", flat=True)[:200]
    )
    desks = active_desks()
    for assignment_id in due_ids:
        with transaction.atomic():
            assignment = (
                ReviewAssignment.objects.select_for_update(of=("self",))
                .select_related("message__mission", "desk__lead")
                .filter(pk=assignment_id, ended_at__isnull=True, lead_told_at__isnull=True)
                .first()
            )
            if assignment is None:
                continue
            message = assignment.message
            if message.state != Message.State.IN_REVIEW:
                assignment.ended_at, assignment.outcome = now, Outcome.WITHDRAWN
                assignment.save(update_fields=["ended_at", "outcome"])
                tick.closed += 1
                continue
            tried = set(
                ReviewAssignment.objects.filter(message=message, offered_at__gte=_round_start(message)).values_list(
                    "desk_id", flat=True
                )
            )
            following = _next_desk(message, now, desks, tried)
            assignment.lead_told_at = now
            if following is None:
                assignment.save(update_fields=["lead_told_at"])
                tick.told += _tell_leads(message, missed=assignment.desk, offered=None, due_at=assignment.due_at)
                continue
            assignment.ended_at, assignment.outcome = now, Outcome.PASSED
            assignment.save(update_fields=["ended_at", "outcome", "lead_told_at"])
            offered = ReviewAssignment.objects.create(
                message=message,
                desk=following,
                offered_at=now,
                due_at=now + timedelta(minutes=target_minutes(message.priority)),
            )
            record_event(
                verb="message.passed_on",
                message=message,
                details={
                    "from_desk": assignment.desk.name,
                    "desk": following.name,
                    "desk_id": following.pk,
                    "due_at": offered.due_at.isoformat(),
                },
            )
            tick.passed_on += 1
            tick.told += _tell_leads(message, missed=assignment.desk, offered=following, due_at=offered.due_at)
    return tick


def _round_start(message: Message) -> datetime:
    """When this round of review began: the end of the last decided (or left) one; desks
    tried before that do not count."""
    last_round = (
        ReviewAssignment.objects.filter(message=message, outcome__in=[Outcome.DECIDED, Outcome.WITHDRAWN])
        .order_by("-ended_at")
        .values_list("ended_at", flat=True)
        .first()
    )
    return last_round or message.created_at


def _next_desk(message: Message, now: datetime, desks: list[Desk], tried: set[int]) -> Desk | None:
    """The best desk on duty now not yet tried in this round, else None."""
    for desk in desks_in_order(region=_region(message), at=now, desks=desks):
        if desk.pk not in tried and is_on_duty(desk, now):
            return desk
    return None


def _tell_leads(message: Message, *, missed: Desk, offered: Desk | None, due_at: datetime) -> int:
    leads = {desk.lead for desk in (missed, offered) if desk is not None and desk.lead is not None}
    return mail_queue(
        subject=f"Review target passed: {message.title}",
        template="review_passed_on.txt",
        context={
            "title": message.title,
            "missed": missed.name,
            "offered": offered.name if offered else "",
            "due_at": due_at,
            "link": absolute_url(message.get_absolute_url()),
        },
        recipients=[lead.email for lead in leads],
    )
