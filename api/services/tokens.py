"""API tokens: created and revoked by administrators, shown once, kept as a SHA-256 (a
token is 32 random bytes: no slow hash is needed against guessing), audited."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext as _

from api.models import ApiToken, Scope
from audit.services import record as audit_record
from diplomacy_hub import policy
from embassies.models import Mission, StaffMembership
from embassies.roles import Role

PREFIX = "dh_"


@dataclass(frozen=True)
class NewToken:
    token: ApiToken
    secret: str  # the whole token: shown once, never stored


def digest(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def _new_secret() -> tuple[str, str]:
    prefix = secrets.token_hex(6)
    return prefix, f"{PREFIX}{prefix}_{secrets.token_urlsafe(32)}"


def token_find(secret: str) -> ApiToken | None:
    """The live token whose secret this is, or None (unknown, revoked, expired, or its user
    deactivated), in constant time for the secret's check."""
    parts = secret.split("_")
    if len(parts) < 3 or not secret.startswith(PREFIX):
        return None
    token = ApiToken.objects.select_related("user").filter(prefix=parts[1]).first()
    if token is None or not hmac.compare_digest(token.digest, digest(secret)):
        return None
    return token if token.is_usable() else None


def _clean(*, name: str, expires_at: datetime | None, rate_per_minute: int | None) -> str:
    name = " ".join(str(name or "").split())
    if not name:
        raise ValidationError({"name": _("Give the token a name that says what uses it.")})
    if expires_at is not None and expires_at <= timezone.now():
        raise ValidationError({"expires_at": _("This time has passed: choose a time in the future.")})
    if rate_per_minute is not None and not 0 <= rate_per_minute <= 100_000:
        raise ValidationError({"rate_per_minute": _("Give a number of requests per minute up to 100000.")})
    return name[:100]


def token_create_for_person(
    *, actor, user_id: int, name: str, expires_at: datetime | None = None, rate_per_minute: int = 0
) -> NewToken:
    """A token that acts as one person, with exactly their rights."""
    policy.require(actor, "staff.manage")
    name = _clean(name=name, expires_at=expires_at, rate_per_minute=rate_per_minute)
    user = get_user_model().objects.filter(pk=user_id, is_active=True).first()
    if user is None or not policy.roles_of(user):
        raise ValidationError({"user": _("Choose an active person who has a role.")})
    prefix, secret = _new_secret()
    with transaction.atomic():
        token = ApiToken.objects.create(
            name=name,
            kind=ApiToken.Kind.PERSON,
            user=user,
            prefix=prefix,
            digest=digest(secret),
            expires_at=expires_at,
            rate_per_minute=rate_per_minute,
            created_by=actor,
        )
        audit_record(action="api.token_create", actor=actor, obj=token, details=_described(token))
    return NewToken(token=token, secret=secret)


def token_create_for_service(
    *,
    actor,
    name: str,
    role: str,
    mission_ids: Iterable[int],
    scopes: Iterable[str],
    expires_at: datetime,
    rate_per_minute: int = 0,
) -> NewToken:
    """A service account (a user of its own, with one role and, for an officer's role, the
    missions' memberships) and its token, narrowed to `mission_ids` (none: every mission
    the role sees) and to `scopes`, until `expires_at`."""
    policy.require(actor, "staff.manage")
    if expires_at is None:
        raise ValidationError({"expires_at": _("A service account's token must expire: give a date.")})
    name = _clean(name=name, expires_at=expires_at, rate_per_minute=rate_per_minute)
    if role not in Role.values or role == Role.ADMINISTRATOR:
        raise ValidationError({"role": _("Choose an officer's, the press office's or the crisis unit's role.")})
    scopes = sorted(set(scopes))
    if not scopes or set(scopes) - set(Scope.values):
        raise ValidationError({"scopes": _("Choose what the token may do.")})
    try:
        wanted = {int(pk) for pk in mission_ids}
    except (TypeError, ValueError) as exc:
        raise ValidationError({"missions": _("Choose missions from the list.")}) from exc
    missions = list(Mission.objects.filter(pk__in=wanted, is_active=True))
    if len(missions) != len(wanted) or (role == Role.OFFICER and not missions):
        raise ValidationError({"missions": _("Choose active missions (an officer's role needs at least one).")})
    prefix, secret = _new_secret()
    User = get_user_model()
    with transaction.atomic():
        base = f"svc-{slugify(name)[:40] or 'account'}"
        username = base
        while User.objects.filter(username=username).exists():
            username = f"{base}-{secrets.token_hex(3)}"
        user = User.objects.create_user(username=username, first_name=name[:150])
        user.set_unusable_password()
        user.save(update_fields=["password"])
        user.groups.add(Group.objects.get_or_create(name=role)[0])
        StaffMembership.objects.bulk_create([StaffMembership(user=user, mission=mission) for mission in missions])
        token = ApiToken.objects.create(
            name=name,
            kind=ApiToken.Kind.SERVICE,
            user=user,
            prefix=prefix,
            digest=digest(secret),
            scopes=scopes,
            expires_at=expires_at,
            rate_per_minute=rate_per_minute,
            created_by=actor,
        )
        token.missions.set(missions)
        audit_record(action="api.token_create", actor=actor, obj=token, details=_described(token) | {"role": role})
    return NewToken(token=token, secret=secret)


def token_revoke(*, actor, token_id: int) -> ApiToken:
    """Revoke a token (at once, for every request after). Revoking it again changes nothing.
    A service account's user is deactivated with its token: nothing else may act as it."""
    policy.require(actor, "staff.manage")
    with transaction.atomic():
        token = ApiToken.objects.select_for_update().select_related("user").get(pk=token_id)
        if token.revoked_at is not None:
            return token
        token.revoked_at = timezone.now()
        token.revoked_by = actor
        token.save(update_fields=["revoked_at", "revoked_by"])
        if token.kind == ApiToken.Kind.SERVICE and not token.user.api_tokens.filter(revoked_at__isnull=True).exists():
            token.user.is_active = False
            token.user.save(update_fields=["is_active"])
        audit_record(action="api.token_revoke", actor=actor, obj=token, details=_described(token))
    return token


def token_touch(token: ApiToken, *, now: datetime | None = None) -> None:
    """Note the token's use, at most once a minute (no write on every request)."""
    now = now or timezone.now()
    if token.last_used_at is None or (now - token.last_used_at).total_seconds() >= 60:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
        token.last_used_at = now


def _described(token: ApiToken) -> dict:
    return {
        "name": token.name,
        "kind": token.kind,
        "user": token.user.get_username(),
        "prefix": token.prefix,
        "scopes": token.scopes,
        "missions": sorted(token.missions.values_list("code", flat=True)) if token.pk else [],
        "expires_at": token.expires_at.isoformat() if token.expires_at else None,
    }
