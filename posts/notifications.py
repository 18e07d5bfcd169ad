"""Emails about messages: the author hears of every decision on their message, the press
office of failures. Each carries an absolute link to the message.

Every function is called inside the transaction that made the decision and returns how many
emails it queued; they leave after commit, by a task (diplomacy_hub.mail). A decision
rolled back sends nothing.
"""

from __future__ import annotations

import zoneinfo
from collections.abc import Iterable
from datetime import datetime, timedelta

from django.utils import timezone

from diplomacy_hub.localtime import hq_place, hq_zone
from diplomacy_hub.mail import absolute_url, mail_queue, one_line, users_in_groups
from embassies.roles import Role
from posts.models import Delivery, Message, Review
from posts.validation import account_label, language_name

# --- Helpers ------------------------------------------------------------------------------------


def message_link(message: Message) -> str:
    return absolute_url(message.get_absolute_url())


def _name(user) -> str:
    if user is None:
        return "Someone"
    return user.get_full_name() or user.get_username()


def describe_time(moment: datetime, message: Message) -> str:
    """ "on Tue 14 Mar 2027 at 18:00 in Tokyo (10:00 in Paris)": the mission's local time
    beside headquarters' time (UTC beside headquarters' for a crisis alert)."""
    hq_city = hq_place()
    hq = timezone.localtime(moment, hq_zone())
    if moment <= timezone.now() + timedelta(seconds=60):
        return "now"
    if message.mission is not None:
        local = timezone.localtime(moment, message.mission.zone)
        return (
            f"on {local:%a %d %b %Y} at {local:%H:%M} in {message.mission.city} "
            f"({hq:%H:%M} in {hq_city}, {hq:%a %d %b})"
        )
    utc = timezone.localtime(moment, zoneinfo.ZoneInfo("UTC"))
    return f"on {hq:%a %d %b %Y} at {hq:%H:%M} in {hq_city} ({utc:%H:%M} UTC)"


# --- The author -----------------------------------------------------------------------------------

_DECISION_WORDS = {
    Review.Decision.APPROVE: ("approved", "Approved"),
    Review.Decision.REQUEST_CHANGES: ("asked for changes to", "Changes requested"),
    Review.Decision.REJECT: ("rejected", "Rejected"),
}


def notify_author_of_decision(review: Review) -> int:
    """Tell the author what the reviewer decided, with the comment and a link; nobody when
    they decided themselves or have no email address. Returns how many emails were queued."""
    message = review.message
    author = message.author
    if author.pk == review.reviewer_id or not author.email:
        return 0
    verb_phrase, label = _DECISION_WORDS[review.decision]
    context = {
        "author_name": _name(author),
        "reviewer_name": _name(review.reviewer),
        "verb_phrase": verb_phrase,
        "decision": review.decision,
        "comment": review.comment,
        "message": message,
        "mission_name": message.mission.name if message.mission_id else "",
        "when": describe_time(message.scheduled_at, message) if message.scheduled_at else "",
        "deliveries": message.deliveries.exclude(state=Delivery.State.CANCELLED).count(),
        "link": message_link(message),
    }
    return mail_queue(
        subject=f"{label}: {message.title}", template="decision.txt", context=context, recipients=[author.email]
    )


def notify_author_of_cancellation(*, message: Message, actor, reason: str = "") -> int:
    """Tell the author their message was cancelled, by whom and why. Returns how many
    emails were queued."""
    left = len(getattr(message, "left_in_flight", []) or [])
    author = message.author
    if author.pk == getattr(actor, "pk", None) or not author.email:
        return 0
    context = {
        "author_name": _name(author),
        "actor_name": _name(actor),
        "message": message,
        "reason": reason,
        "mission_name": message.mission.name if message.mission_id else "",
        "partial": bool(left),
        "left": left,
        "link": message_link(message),
    }
    return mail_queue(
        subject=f"Cancelled: {message.title}", template="cancelled.txt", context=context, recipients=[author.email]
    )


# --- The press office ---------------------------------------------------------------------------------


def notify_press_office_of_failure(*, message: Message, deliveries: Iterable[Delivery]) -> int:
    """Tell the press office (and the crisis unit, for a crisis alert) which deliveries
    failed and why, in words, with a link to the message. Returns how many emails were
    queued."""
    deliveries = list(deliveries)
    if not deliveries:
        return 0
    groups = [Role.PRESS_OFFICE] + ([Role.CRISIS_UNIT] if message.is_crisis else [])

    items = [
        {
            "account": f"{account_label(delivery.account)} ({delivery.account.mission.name})",
            "language": language_name(delivery.language),
            "kind": delivery.get_last_error_kind_display() or delivery.get_state_display(),
            "error": one_line(delivery.last_error),
        }
        for delivery in deliveries
    ]
    context = {
        "message": message,
        "deliveries": items,
        "link": message_link(message),
        "mission_name": message.mission.name if message.mission_id else "",
    }
    prefix = "Crisis alert failed" if message.is_crisis else "Publishing failed"
    return mail_queue(
        subject=f"{prefix}: {message.title} ({len(items)})",
        template="delivery_failure.txt",
        context=context,
        recipients=[user.email for user in users_in_groups(*groups)],
    )
