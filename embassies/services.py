"""Writes on staff: roles (Django groups of the role's name) and memberships of missions.

Each asks the policy ("staff.manage": administrators), runs in a transaction, and is
audited in it: a change of roles by the audit app's receiver of group changes
("role.grant" / "role.revoke", audit/receivers.py, whatever changes the groups), a change of
memberships here ("staff.membership_add" / "staff.membership_remove", `_audit`). Asking for
what already is changes nothing and returns False.
"""

from __future__ import annotations

from datetime import time
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from audit.services import record
from diplomacy_hub import policy
from embassies.models import Mission, StaffMembership
from embassies.roles import Role
from embassies.validators import is_language_code


def _audit(actor: Any, action: str, user: Any, **details: Any) -> None:
    """An audit event (audit.AuditEvent, in the caller's transaction) and its log line."""
    record(action=action, actor=actor, obj=user, details=details)


def _user(user_id: int):
    return get_user_model().objects.select_for_update().get(pk=user_id)


def _check_role(role: str) -> str:
    if role not in Role.values:
        raise ValidationError(
            {
                "role": _("Unknown role “%(role)s”: choose among %(roles)s.")
                % {"role": role, "roles": ", ".join(Role.values)}
            }
        )
    return role


def role_grant(*, actor, user_id: int, role: str) -> bool:
    """Give a user a role. True if it changed something."""
    policy.require(actor, "staff.manage")
    role = _check_role(role)
    with transaction.atomic():
        user = _user(user_id)
        group, _created = Group.objects.get_or_create(name=role)
        if user.groups.filter(pk=group.pk).exists():
            return False
        user.groups.add(group)  # audited as "role.grant" by audit/receivers.py
    return True


def role_revoke(*, actor, user_id: int, role: str) -> bool:
    """Take a role away from a user. An administrator cannot take away their own
    administrator role (someone else must, so that there is always one)."""
    policy.require(actor, "staff.manage")
    role = _check_role(role)
    if role == Role.ADMINISTRATOR and user_id == actor.pk:
        raise ValidationError({"role": _("You cannot remove your own administrator role: ask another administrator.")})
    with transaction.atomic():
        user = _user(user_id)
        group = Group.objects.filter(name=role).first()
        if group is None or not user.groups.filter(pk=group.pk).exists():
            return False
        user.groups.remove(group)  # audited as "role.revoke" by audit/receivers.py
    return True


def membership_add(*, actor, user_id: int, mission_id: int) -> bool:
    """Attach a user to a mission's staff. True if it changed something."""
    policy.require(actor, "staff.manage")
    with transaction.atomic():
        user = _user(user_id)
        mission = Mission.objects.filter(pk=mission_id).first()
        if mission is None:
            raise ValidationError({"mission": _("No such mission.")})
        _membership, created = StaffMembership.objects.get_or_create(user=user, mission=mission)
        if created:
            _audit(actor, "staff.membership_add", user, mission=mission.code)
    return created


def membership_remove(*, actor, user_id: int, mission_id: int) -> bool:
    """Detach a user from a mission's staff. True if it changed something."""
    policy.require(actor, "staff.manage")
    with transaction.atomic():
        user = _user(user_id)
        deleted, _by_model = StaffMembership.objects.filter(user=user, mission_id=mission_id).delete()
        if deleted:
            code = Mission.objects.filter(pk=mission_id).values_list("code", flat=True).first()
            _audit(actor, "staff.membership_remove", user, mission=code)
    return bool(deleted)


# --- The desk's settings: business hours and the languages the staff read (issue 14) -------


def _check_hours(*, days: list[int], opens_at: time | None, closes_at: time | None) -> list[int]:
    problems: dict[str, str] = {}
    if not days:
        problems["business_days"] = _("Choose at least one working day.")
    elif any(not isinstance(day, int) or day not in range(1, 8) for day in days):
        problems["business_days"] = _("Give the working days as weekday numbers from 1 to 7.")
    if opens_at is None:
        problems["opens_at"] = _("Give the time the mission opens.")
    if closes_at is None:
        problems["closes_at"] = _("Give the time the mission closes.")
    elif opens_at is not None and closes_at <= opens_at:
        problems["closes_at"] = _("The mission closes after it opens: give a closing time later than %(opens)s.") % {
            "opens": opens_at.strftime("%H:%M")
        }
    if problems:
        raise ValidationError(problems)
    return sorted(set(days))


def mission_hours_set(*, actor, mission_id: int, days: list[int], opens_at: time, closes_at: time) -> bool:
    """Set the mission's working days (ISO weekdays, 1 is Monday) and its opening hours, in
    its own zone: the service clocks of routine conversations run only then. Audited from
    what to what. True if it changed something. Triage reads the new hours within its
    rules' time to live (conversations.services.triage.RULES_TTL)."""
    policy.require(actor, "mission.manage")
    days = _check_hours(days=days, opens_at=opens_at, closes_at=closes_at)
    with transaction.atomic():
        mission = Mission.objects.select_for_update().get(pk=mission_id)
        before = {
            "business_days": list(mission.business_days),
            "opens_at": mission.opens_at.strftime("%H:%M"),
            "closes_at": mission.closes_at.strftime("%H:%M"),
        }
        after = {
            "business_days": days,
            "opens_at": opens_at.strftime("%H:%M"),
            "closes_at": closes_at.strftime("%H:%M"),
        }
        if before == after:
            return False
        mission.business_days, mission.opens_at, mission.closes_at = days, opens_at, closes_at
        mission.save(update_fields=["business_days", "opens_at", "closes_at"])
        record(
            action="mission.hours_change",
            actor=actor,
            obj=mission,
            details={"mission_code": mission.code, "before": before, "after": after},
        )
    return True


def staff_languages_set(*, actor, mission_id: int, languages: dict[int, list[str]]) -> int:
    """Say which languages each of the mission's staff reads (`languages`: membership id to
    ISO 639-1 codes): a conversation in a language nobody at the mission reads is offered to
    headquarters. All or nothing: one unknown code refuses the lot, named by membership id.
    Audited per person, from what to what. Returns how many people changed."""
    policy.require(actor, "staff.manage")
    cleaned: dict[int, list[str]] = {}
    problems: dict[str, str] = {}
    for membership_id, codes in languages.items():
        codes = list(dict.fromkeys(code.strip().lower() for code in codes if code.strip()))
        unknown = [code for code in codes if not is_language_code(code)]
        if unknown:
            problems[f"languages-{membership_id}"] = _(
                "Unknown languages: %(codes)s. Give ISO 639-1 codes, for example ar, fr or en."
            ) % {"codes": ", ".join(unknown)}
        cleaned[membership_id] = codes
    if problems:
        raise ValidationError(problems)
    changed = 0
    with transaction.atomic():
        memberships = StaffMembership.objects.select_for_update().filter(mission_id=mission_id, pk__in=list(cleaned))
        found = {membership.pk: membership for membership in memberships.select_related("user", "mission")}
        missing = set(cleaned) - set(found)
        if missing:
            raise ValidationError(_("This person no longer works for the mission: reload the page."))
        for membership_id, codes in cleaned.items():
            membership = found[membership_id]
            if list(membership.languages or []) == codes:
                continue
            before = list(membership.languages or [])
            membership.languages = codes
            membership.save(update_fields=["languages"])
            _audit(
                actor,
                "staff.languages_change",
                membership.user,
                mission_code=membership.mission.code,
                before=before,
                after=codes,
            )
            changed += 1
    return changed
