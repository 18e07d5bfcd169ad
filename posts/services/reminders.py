"""Reminders of the days that come back each year (globaltime.models.Occasion): N days
before, the mission's officers (the press office, for the ministry's commemorations) are
told, with last year's message for that day to start from. Each reminder goes out once a
year (`Occasion.reminded_for_year`, set in the same transaction as the mail is queued)."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from django.contrib.auth import get_user_model
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from diplomacy_hub.localtime import day_start, hq_zone
from diplomacy_hub.mail import absolute_url, mail_queue, users_in_groups
from embassies.roles import Role
from globaltime.models import Occasion
from posts.lifecycle import MESSAGE_APPROVED
from posts.models import Message
from posts.selectors.messages import goes_out_at


def next_day(occasion: Occasion, today: date) -> date:
    """The occasion's next day on or after `today` (29 February: the 28th in common years)."""
    for year in (today.year, today.year + 1):
        try:
            day = occasion.day.replace(year=year)
        except ValueError:
            day = occasion.day.replace(year=year, day=28)
        if day >= today:
            return day
    raise AssertionError("unreachable")


def last_years_message(occasion: Occasion, day: date) -> Message | None:
    """The message that went out (or was approved to) on that day a year earlier, for the
    occasion's mission (for the ministry's: any message without a mission, a crisis alert
    excepted, else any)."""
    zone = occasion.mission.zone if occasion.mission else hq_zone()
    try:
        previous = day.replace(year=day.year - 1)
    except ValueError:
        previous = day.replace(year=day.year - 1, day=28)
    start = day_start(previous, zone)
    end = day_start(previous + timedelta(days=1), zone)
    messages = Message.objects.annotate(goes_out=goes_out_at()).filter(
        goes_out__gte=start, goes_out__lt=end, state__in=MESSAGE_APPROVED
    )
    if occasion.mission_id:
        messages = messages.filter(mission_id=occasion.mission_id)
    return messages.prefetch_related("texts").order_by("goes_out", "pk").first()


def _recipients(occasion: Occasion) -> list[str]:
    if occasion.mission_id is None:
        return [user.email for user in users_in_groups(Role.PRESS_OFFICE)]
    users = (
        get_user_model()
        .objects.filter(memberships__mission_id=occasion.mission_id, is_active=True, groups__name=Role.OFFICER)
        .exclude(email="")
        .distinct()
    )
    return [user.email for user in users]


def occasion_reminders_send(*, now: datetime | None = None) -> int:
    """Send the reminders that fall due (each once a year); returns how many mails."""
    now = now or timezone.now()
    sent = 0
    candidates = Occasion.objects.filter(recurring=True, remind_days_before__isnull=False).select_related("mission")
    for occasion in candidates:
        zone = occasion.mission.zone if occasion.mission else hq_zone()
        today = now.astimezone(zone).date()
        day = next_day(occasion, today)
        days = (day - today).days
        if days > (occasion.remind_days_before or 0) or occasion.reminded_for_year == day.year:
            continue
        with transaction.atomic():
            claimed = (
                Occasion.objects.filter(pk=occasion.pk)
                .exclude(reminded_for_year=day.year)
                .update(reminded_for_year=day.year)
            )
            if not claimed:
                continue
            last_year = last_years_message(occasion, day)
            sent += mail_queue(
                subject=f"In {days} days: {occasion.title}",
                template="occasion_reminder.txt",
                context={
                    "title": occasion.title,
                    "day": day,
                    "days": days,
                    "mission": occasion.mission.name if occasion.mission else "",
                    "note": occasion.note,
                    "last_year": last_year,
                    "last_year_link": absolute_url(last_year.get_absolute_url()) if last_year else "",
                    "last_year_texts": list(last_year.texts.all()) if last_year else [],
                    "compose_link": absolute_url(reverse("posts:message_create")),
                },
                recipients=_recipients(occasion),
            )
    return sent
