"""Writes on staff: roles (Django groups of the role's name) and memberships of missions.

Each asks the policy ("staff.manage": administrators), runs in a transaction, and is
audited in it: a change of roles by the audit app's receiver of group changes
("role.grant" / "role.revoke", audit/receivers.py, whatever changes the groups), a change of
memberships here ("staff.membership_add" / "staff.membership_remove", `_audit`). Asking for
what already is changes nothing and returns False.
"""

from __future__ import annotations

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
