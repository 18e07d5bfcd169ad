"""Emails: the author hears of every decision on their message, the press office of
failures, the administrators of accounts that need reconnecting.

Plain text only (templates/emails/*.txt, rendered without HTML escaping since nothing
interprets them as HTML: a title like `<script>` arrives as those very characters, and no
HTML part is sent that could run it). Each email carries an absolute link to the message.

Every function is called inside the transaction that made the decision and sends only once
it commits (`transaction.on_commit`, robust: a mail server that is down is logged and never
undoes the decision). A decision rolled back sends nothing.
"""

from __future__ import annotations

import logging
import zoneinfo
from collections.abc import Iterable
from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import EmailMessage, get_connection
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import NoReverseMatch, reverse
from django.utils import timezone

from diplomacy_hub.localtime import hq_place, hq_zone
from embassies.roles import Role
from posts.models import Delivery, Message, Review

logger = logging.getLogger(__name__)

SUBJECT_PREFIX = "[Diplomacy Hub] "
SUBJECT_MAX = 150


# --- Helpers ------------------------------------------------------------------------------------


def absolute_url(path: str) -> str:
    return settings.SITE_URL.rstrip("/") + path


def message_link(message: Message) -> str:
    return absolute_url(message.get_absolute_url())


def _one_line(text: str) -> str:
    """No line breaks or control characters in a subject (header injection)."""
    line = " ".join("".join(char if char.isprintable() else " " for char in str(text)).split())
    return line if len(line) <= SUBJECT_MAX else line[: SUBJECT_MAX - 1] + "…"


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


def users_in_groups(*groups: str) -> list:
    """Active users of these role groups who have an email address, each once."""
    users = (
        get_user_model()
        .objects.filter(groups__name__in=groups, is_active=True)
        .exclude(email="")
        .distinct()
        .order_by("pk")
    )
    return list(users)


def _send(*, subject: str, template: str, context: dict, recipients: Iterable[str]) -> int:
    addresses = sorted({address for address in recipients if address})
    if not addresses:
        return 0
    body = render_to_string(f"emails/{template}", context)
    subject = _one_line(SUBJECT_PREFIX + subject)
    # One email per person: nobody sees the list of recipients.
    emails = [
        EmailMessage(subject=subject, body=body, from_email=settings.DEFAULT_FROM_EMAIL, to=[address])
        for address in addresses
    ]
    with get_connection() as connection:
        return connection.send_messages(emails) or 0


def _on_commit(send) -> None:
    transaction.on_commit(send, robust=True)


# --- The author -----------------------------------------------------------------------------------

_DECISION_WORDS = {
    Review.Decision.APPROVE: ("approved", "Approved"),
    Review.Decision.REQUEST_CHANGES: ("asked for changes to", "Changes requested"),
    Review.Decision.REJECT: ("rejected", "Rejected"),
}


def notify_author_of_decision(review: Review) -> None:
    """Tell the author what the reviewer decided, with the comment and a link (on commit)."""
    _on_commit(lambda: _send_decision(review))


def _send_decision(review: Review) -> int:
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
    return _send(
        subject=f"{label}: {message.title}", template="decision.txt", context=context, recipients=[author.email]
    )


def notify_author_of_cancellation(*, message: Message, actor, reason: str = "") -> None:
    """Tell the author their message was cancelled, by whom and why (on commit)."""
    left = len(getattr(message, "left_in_flight", []) or [])
    _on_commit(lambda: _send_cancellation(message, actor, reason, left))


def _send_cancellation(message: Message, actor, reason: str, left: int) -> int:
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
    return _send(
        subject=f"Cancelled: {message.title}", template="cancelled.txt", context=context, recipients=[author.email]
    )


# --- The press office ---------------------------------------------------------------------------------


def notify_press_office_of_failure(*, message: Message, deliveries: Iterable[Delivery]) -> None:
    """Tell the press office (and the crisis unit, for a crisis alert) which deliveries
    failed and why, in words, with a link to the message (on commit)."""
    deliveries = list(deliveries)
    if not deliveries:
        return
    _on_commit(lambda: _send_failure(message, deliveries))


def _send_failure(message: Message, deliveries: list[Delivery]) -> int:
    groups = [Role.PRESS_OFFICE] + ([Role.CRISIS_UNIT] if message.is_crisis else [])
    from posts.validation import account_label, language_name

    items = [
        {
            "account": f"{account_label(delivery.account)} ({delivery.account.mission.name})",
            "language": language_name(delivery.language),
            "kind": delivery.get_last_error_kind_display() or delivery.get_state_display(),
            "error": _one_line(delivery.last_error),
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
    return _send(
        subject=f"{prefix}: {message.title} ({len(items)})",
        template="delivery_failure.txt",
        context=context,
        recipients=[user.email for user in users_in_groups(*groups)],
    )


# --- The administrators --------------------------------------------------------------------------------


def _account_link(account) -> str:
    for name in ("channels:account_detail", "admin:channels_socialaccount_change"):
        try:
            return absolute_url(reverse(name, args=[account.pk]))
        except NoReverseMatch:
            continue
    return absolute_url("/")


def notify_admins_of_account_problem(*, account, reason: str) -> None:
    """Tell the administrators that an account must be reconnected (expired or revoked
    token, missing permission), with the reason in words (on commit)."""
    _on_commit(lambda: _send_account_problem(account, reason))


def _send_account_problem(account, reason: str) -> int:
    from posts.validation import network_label

    context = {
        "network": network_label(account.network),
        "account_name": account.handle or account.display_name or f"#{account.pk}",
        "mission_name": account.mission.name,
        "reason": reason,
        "link": _account_link(account),
    }
    return _send(
        subject=f"Reconnect {context['network']} {context['account_name']} ({account.mission.name})",
        template="account_problem.txt",
        context=context,
        recipients=[user.email for user in users_in_groups(Role.ADMINISTRATOR)],
    )
