"""Pausing publishing, for everything or for a region, a country, a mission or a network.

A pause stops nothing that already left. What falls due while it lasts is held (the
dispatcher at claim time, the worker again just before calling the network) and waits,
state `held`, for a press officer to release or reschedule it: resuming lists what is
held, it never floods it out at once (`posts.services.operations.held_release`).

Whether crisis alerts are held too is a setting (PUBLISHING_PAUSE_HOLDS_CRISIS, default
yes: "pause" means everything the scope covers).
"""

from __future__ import annotations

from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from channels.models import Network
from diplomacy_hub import policy
from embassies.models import Mission
from posts.limits import REASON_MAX
from posts.models import Delivery, PublishingPause
from posts.selectors.pauses import active_pauses, held_deliveries, pause_covering_delivery
from posts.services.events import record_event

Scope = PublishingPause.Scope


def _check_scope(scope: str, value: str) -> str:
    value = (value or "").strip()
    if scope not in Scope.values:
        raise ValidationError({"scope": _("Unknown scope “%(scope)s”.") % {"scope": scope}})
    if scope == Scope.ALL:
        return ""
    if not value:
        raise ValidationError({"value": _("Say which one to pause.")})
    valid, unknown = {
        Scope.REGION: (lambda: value in Mission.Region.values, _("No region “%(value)s” is known.")),
        Scope.COUNTRY: (
            lambda: Mission.objects.filter(country_code__iexact=value).exists(),
            _("No country “%(value)s” is known."),
        ),
        Scope.MISSION: (lambda: Mission.objects.filter(code=value).exists(), _("No mission “%(value)s” is known.")),
        Scope.NETWORK: (lambda: value in Network.values, _("No network “%(value)s” is known.")),
    }[Scope(scope)]
    if not valid():
        raise ValidationError({"value": unknown % {"value": value}})
    return value.upper() if scope == Scope.COUNTRY else value


def publishing_pause(*, actor, scope: str, value: str = "", reason: str) -> PublishingPause:
    """Pause publishing for a scope, with a reason. Pausing a scope already paused
    returns the pause in force."""
    policy.require(actor, "publishing.pause")
    value = _check_scope(scope, value)
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": _("Say why publishing is paused.")})
    if len(reason) > REASON_MAX:
        raise ValidationError({"reason": _("Keep the reason under %(max)s characters.") % {"max": REASON_MAX}})
    with transaction.atomic():
        existing = PublishingPause.objects.filter(ended_at__isnull=True, scope=scope, value=value).first()
        if existing is not None:
            return existing
        pause = PublishingPause.objects.create(scope=scope, value=value, reason=reason, started_by=actor)
        record_event(
            verb="publishing.pause",
            actor=actor,
            details={"pause_id": pause.pk, "scope": scope, "value": value, "reason": reason},
        )
    return pause


@dataclass(frozen=True)
class Resumed:
    pause: PublishingPause
    held: list[Delivery]  # what fell due during the pause: a press officer releases it


def publishing_resume(*, actor, pause_id: int) -> Resumed:
    """End a pause (ending it again changes nothing). Lists the held deliveries it covered
    and no other pause still covers; they stay held until a press officer releases them."""
    policy.require(actor, "publishing.resume")
    with transaction.atomic():
        pause = PublishingPause.objects.select_for_update().get(pk=pause_id)
        if pause.ended_at is None:
            pause.ended_at = timezone.now()
            pause.ended_by = actor
            pause.save(update_fields=["ended_at", "ended_by"])
            record_event(
                verb="publishing.resume",
                actor=actor,
                details={"pause_id": pause.pk, "scope": pause.scope, "value": pause.value},
            )
    still = active_pauses()
    held = [d for d in held_deliveries(pause=pause) if pause_covering_delivery(still, d) is None]
    return Resumed(pause=pause, held=held)
