"""Reading the audit log."""

from __future__ import annotations

from datetime import date, timedelta

from django.db.models import QuerySet
from django.utils import timezone

from audit.models import AuditEvent
from diplomacy_hub.localtime import day_start


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
        events = events.filter(created_at__gte=day_start(date_from, tz))
    if date_to:
        events = events.filter(created_at__lt=day_start(date_to + timedelta(days=1), tz))
    return events.order_by("-created_at", "-pk")


def audit_actions() -> list[str]:
    """The actions that occur in the log, for the filter's choices (one small query)."""
    return list(AuditEvent.objects.order_by("action").values_list("action", flat=True).distinct())
