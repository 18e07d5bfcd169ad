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
from datetime import datetime

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from channels.models import Network
from diplomacy_hub import policy
from embassies.models import Mission
from posts.lifecycle import DELIVERY_WAITING
from posts.limits import REASON_MAX
from posts.models import Delivery, Priority, PublishingPause
from posts.selectors.pauses import active_pauses, held_deliveries, pause_covering_delivery, pause_filter
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
        existing = PublishingPause.objects.filter(
            ended_at__isnull=True, scope=scope, value=value, kind=PublishingPause.Kind.PAUSE
        ).first()
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


# --- Planned silences -------------------------------------------------------------------------

SILENCE_SCOPES = (Scope.REGION, Scope.COUNTRY, Scope.MISSION)


class SilenceHoldsCrisis(ValidationError):
    """The silence would hold crisis alerts: said before it is saved, and saved only once
    the person planning it confirms. `count` is how many crisis deliveries already
    scheduled in its range it would hold."""

    def __init__(self, count: int) -> None:
        self.count = count
        words = ngettext(
            "This silence would hold crisis alerts: %(count)s crisis delivery is already scheduled in it, and any "
            "alert sent in its scope and time would wait for a press officer. Confirm to plan it so.",
            "This silence would hold crisis alerts: %(count)s crisis deliveries are already scheduled in it, and "
            "any alert sent in its scope and time would wait for a press officer. Confirm to plan it so.",
            count,
        ) % {"count": count}
        super().__init__({"holds_crisis": [ValidationError(words, code="holds_crisis")]})


def crisis_deliveries_in(*, scope: str, value: str, starts_at: datetime, ends_at: datetime) -> int:
    """How many crisis deliveries already scheduled between the two times the scope covers."""
    probe = PublishingPause(scope=scope, value=value, holds_crisis=True)
    return (
        Delivery.objects.filter(
            pause_filter(probe),
            priority=Priority.CRISIS,
            state__in=DELIVERY_WAITING,
            next_attempt_at__gte=starts_at,
            next_attempt_at__lt=ends_at,
        )
        .order_by()
        .count()
    )


def silence_plan(
    *,
    actor,
    kind: str,
    scope: str,
    value: str,
    starts_at: datetime,
    ends_at: datetime,
    reason: str,
    holds_crisis: bool = False,
    crisis_confirmed: bool = False,
) -> PublishingPause:
    """Plan a silence (electoral silence, national mourning, an embargo) for a region, a
    country or a mission, from a time to a time: while it lasts the dispatcher and the
    worker hold what it covers, as for a pause; it ends by itself at its end and releases
    nothing (a press officer does). One that holds crisis alerts raises SilenceHoldsCrisis
    until `crisis_confirmed`."""
    policy.require(actor, "silence.plan")
    if kind not in PublishingPause.Kind.values or kind == PublishingPause.Kind.PAUSE:
        raise ValidationError({"kind": _("Choose the kind of silence.")})
    if scope not in SILENCE_SCOPES:
        raise ValidationError({"scope": _("A silence covers a region, a country or a mission.")})
    value = _check_scope(scope, value)
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": _("Say why publishing falls silent.")})
    if len(reason) > REASON_MAX:
        raise ValidationError({"reason": _("Keep the reason under %(max)s characters.") % {"max": REASON_MAX}})
    if timezone.is_naive(starts_at) or timezone.is_naive(ends_at):
        raise ValueError("A silence's times are aware datetimes.")
    if ends_at <= starts_at:
        raise ValidationError({"ends_at": _("The silence must end after it starts.")})
    if ends_at <= timezone.now():
        raise ValidationError({"ends_at": _("This time has passed: a silence is planned ahead.")})
    if holds_crisis and not crisis_confirmed:
        raise SilenceHoldsCrisis(crisis_deliveries_in(scope=scope, value=value, starts_at=starts_at, ends_at=ends_at))
    with transaction.atomic():
        silence = PublishingPause.objects.create(
            kind=kind,
            scope=scope,
            value=value,
            reason=reason,
            started_by=actor,
            starts_at=starts_at,
            ends_at=ends_at,
            holds_crisis=holds_crisis,
        )
        record_event(
            verb="publishing.silence",
            actor=actor,
            details={
                "pause_id": silence.pk,
                "kind": kind,
                "scope": scope,
                "value": value,
                "starts_at": starts_at.isoformat(),
                "ends_at": ends_at.isoformat(),
                "holds_crisis": holds_crisis,
                "reason": reason,
            },
        )
    return silence
