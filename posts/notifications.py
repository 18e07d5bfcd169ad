"""Emails about messages: the author hears of every decision on their message, the press
office of failures. Each carries an absolute link to the message, and is written in its
recipient's language (security.selectors.mail_recipients): subjects and contexts are
functions that diplomacy_hub.mail calls with that language active.

Every function is called inside the transaction that made the decision and returns how many
emails it queued; they leave after commit, by a task (diplomacy_hub.mail). A decision
rolled back sends nothing.
"""

from __future__ import annotations

import zoneinfo
from collections.abc import Iterable
from datetime import datetime, timedelta

from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import pgettext_lazy

from diplomacy_hub.localtime import hq_place, hq_zone
from diplomacy_hub.mail import absolute_url, mail_queue, one_line, users_in_groups
from embassies.roles import Role
from posts.models import Delivery, Message, Review
from posts.problems import display_language, word
from posts.validation import account_label
from security.selectors import mail_recipients

# --- Helpers ------------------------------------------------------------------------------------


def message_link(message: Message) -> str:
    return absolute_url(message.get_absolute_url())


def _name(user) -> str:
    if user is None:
        return _("Someone")
    return user.get_full_name() or user.get_username()


def _mission_name(message: Message) -> str:
    return message.mission.display_name if message.mission_id else ""


def describe_time(moment: datetime, message: Message) -> str:
    """ "on Sunday 14 March 2027 at 18:00 in Tokyo (10:00 in Paris, Sun 14 Mar)": the
    mission's local time beside headquarters' time (UTC beside headquarters' for a crisis
    alert), in the active language."""
    hq_city = hq_place()
    hq = timezone.localtime(moment, hq_zone())
    if moment <= timezone.now() + timedelta(seconds=60):
        return _("now")
    if message.mission is not None:
        local = timezone.localtime(moment, message.mission.zone)
        return _("on %(date)s at %(time)s in %(city)s (%(hq_time)s in %(hq_city)s, %(hq_date)s)") % {
            "date": date_format(local, "MONTH_DAY_FORMAT") + date_format(local, " Y"),
            "time": date_format(local, "TIME_FORMAT"),
            "city": message.mission.display_city,
            "hq_time": date_format(hq, "TIME_FORMAT"),
            "hq_city": hq_city,
            "hq_date": date_format(hq, "SHORT_DATE_FORMAT"),
        }
    utc = timezone.localtime(moment, zoneinfo.ZoneInfo("UTC"))
    return _("on %(date)s at %(time)s in %(hq_city)s (%(utc_time)s UTC)") % {
        "date": date_format(hq, "MONTH_DAY_FORMAT") + date_format(hq, " Y"),
        "time": date_format(hq, "TIME_FORMAT"),
        "hq_city": hq_city,
        "utc_time": date_format(utc, "TIME_FORMAT"),
    }


# --- The author -----------------------------------------------------------------------------------

# The subject's first word, by decision.
_DECISION_LABELS = {
    Review.Decision.APPROVE: pgettext_lazy("e-mail subject", "Approved"),
    Review.Decision.REQUEST_CHANGES: pgettext_lazy("e-mail subject", "Changes requested"),
    Review.Decision.REJECT: pgettext_lazy("e-mail subject", "Rejected"),
}


def notify_author_of_decision(review: Review) -> int:
    """Tell the author what the reviewer decided, with the comment and a link; nobody when
    they decided themselves or have no email address. Returns how many emails were queued."""
    message = review.message
    author = message.author
    if author.pk == review.reviewer_id or not author.email:
        return 0
    deliveries = message.deliveries.exclude(state=Delivery.State.CANCELLED).count()

    def context() -> dict:
        return {
            "author_name": _name(author),
            "reviewer_name": _name(review.reviewer),
            "decision": review.decision,
            "comment": review.comment,
            "message": message,
            "mission_name": _mission_name(message),
            "when": describe_time(message.scheduled_at, message) if message.scheduled_at else "",
            "deliveries": deliveries,
            "link": message_link(message),
        }

    def subject() -> str:
        return _("%(decision)s: %(title)s") % {"decision": _DECISION_LABELS[review.decision], "title": message.title}

    return mail_queue(subject=subject, template="decision.txt", context=context, recipients=mail_recipients([author]))


def notify_author_of_cancellation(*, message: Message, actor, reason: str = "") -> int:
    """Tell the author their message was cancelled, by whom and why. Returns how many
    emails were queued."""
    left = len(getattr(message, "left_in_flight", []) or [])
    author = message.author
    if author.pk == getattr(actor, "pk", None) or not author.email:
        return 0

    def context() -> dict:
        return {
            "author_name": _name(author),
            "actor_name": _name(actor),
            "message": message,
            "reason": reason,
            "mission_name": _mission_name(message),
            "partial": bool(left),
            "left": left,
            "link": message_link(message),
        }

    def subject() -> str:
        return _("Cancelled: %(title)s") % {"title": message.title}

    return mail_queue(subject=subject, template="cancelled.txt", context=context, recipients=mail_recipients([author]))


# --- The press office ---------------------------------------------------------------------------------


def notify_press_office_of_failure(*, message: Message, deliveries: Iterable[Delivery]) -> int:
    """Tell the press office (and the crisis unit, for a crisis alert) which deliveries
    failed and why, in words, with a link to the message. Returns how many emails were
    queued."""
    deliveries = list(deliveries)
    if not deliveries:
        return 0
    groups = [Role.PRESS_OFFICE] + ([Role.CRISIS_UNIT] if message.is_crisis else [])

    def context() -> dict:
        items = [
            {
                "account": f"{account_label(delivery.account)} ({delivery.account.mission.display_name})",
                "language": display_language(delivery.language),
                "kind": delivery.get_last_error_kind_display() or delivery.get_state_display(),
                # The worded problem, in the recipient's language; the network's own words
                # (no code of ours) as they came.
                "error": one_line(
                    word(delivery.last_error_code, delivery.last_error_params, default=delivery.last_error)
                ),
            }
            for delivery in deliveries
        ]
        return {
            "message": message,
            "deliveries": items,
            "link": message_link(message),
            "mission_name": _mission_name(message),
        }

    def subject() -> str:
        words = {"title": message.title, "count": len(deliveries)}
        if message.is_crisis:
            return _("Crisis alert failed: %(title)s (%(count)s)") % words
        return _("Publishing failed: %(title)s (%(count)s)") % words

    return mail_queue(
        subject=subject,
        template="delivery_failure.txt",
        context=context,
        recipients=mail_recipients(users_in_groups(*groups)),
    )
