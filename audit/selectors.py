"""Reading the audit log."""

from __future__ import annotations

from datetime import date, datetime, time

from django.db.models import QuerySet
from django.utils import timezone

from audit.models import AuditEvent


def audit_event_list(
    *, action: str = "", actor: str = "", date_from: date | None = None, date_to: date | None = None, tz=None
) -> QuerySet[AuditEvent]:
    """Events, newest first, filtered by action ("auth.login", or a prefix ending in a dot:
    "auth."), actor (username, exact, case-insensitive) and days (inclusive, in `tz`).
    One query whatever the page: the actor comes with the row."""
    events = AuditEvent.objects.select_related("actor")
    if action:
        events = events.filter(action__startswith=action) if action.endswith(".") else events.filter(action=action)
    if actor:
        events = events.filter(actor_label__iexact=actor)
    tz = tz or timezone.get_current_timezone()
    if date_from:
        events = events.filter(created_at__gte=timezone.make_aware(datetime.combine(date_from, time.min), tz))
    if date_to:
        events = events.filter(created_at__lte=timezone.make_aware(datetime.combine(date_to, time.max), tz))
    return events.order_by("-created_at", "-pk")


def audit_actions() -> list[str]:
    """The actions that occur in the log, for the filter's choices (one small query)."""
    return list(AuditEvent.objects.order_by("action").values_list("action", flat=True).distinct())
