"""Writing the audit log. One function: `record`."""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder

from audit import context
from audit.models import AuditEvent

logger = logging.getLogger("diplomacy_hub.audit")

# Keys whose names smell of a secret are dropped from details, at any depth: callers pass
# none, and this keeps it so (ASVS 16.2.5).
SECRET_WORDS = (
    "token",
    "secret",
    "credential",
    "password",
    "verifier",
    "code",
    "key",
    "otp",
    "cookie",
    "authorization",
    "session",
)
# Not secrets although their names contain one of the words above.
NOT_SECRET = frozenset({"key_id", "status_code", "country_code", "mission_code", "language_code"})
MAX_TEXT = 2000
MAX_ITEMS = 200


def _clean(value: Any, depth: int = 0) -> Any:
    """Details as plain JSON data: secrets dropped, long texts and lists cut (marked so)."""
    if depth > 5:
        return "…"
    if isinstance(value, Mapping):
        return {
            str(key)[:100]: _clean(item, depth + 1)
            for key, item in list(value.items())[:MAX_ITEMS]
            if str(key).lower() in NOT_SECRET or not any(word in str(key).lower() for word in SECRET_WORDS)
        }
    if isinstance(value, list | tuple | set | frozenset):
        items = list(value)
        cleaned = [_clean(item, depth + 1) for item in items[:MAX_ITEMS]]
        return [*cleaned, "…"] if len(items) > MAX_ITEMS else cleaned
    if value is None or isinstance(value, bool | int | float):
        return value
    if isinstance(value, str):
        text = value
    else:
        try:
            text = str(DjangoJSONEncoder().default(value))  # datetimes, decimals, UUIDs, lazy text
        except TypeError:
            text = str(value)
    return text[:MAX_TEXT] + "…" if len(text) > MAX_TEXT else text


def _object_fields(obj: Any) -> dict[str, str]:
    """What the event is about: a model instance, or (type, id, label) for something that is
    not one (a pause known by its id, a username that matched no user)."""
    if obj is None:
        return {}
    if isinstance(obj, tuple):
        object_type, object_id, label = ((*tuple(obj), "", "", ""))[:3]
        return {
            "object_type": str(object_type)[:100],
            "object_id": str(object_id)[:64],
            "object_label": str(label)[:300],
        }
    meta = getattr(obj, "_meta", None)
    object_type = meta.label_lower if meta is not None else type(obj).__name__.lower()
    try:
        label = str(obj)
    except Exception:  # a label is a courtesy: never lose the event over it
        label = ""
    return {
        "object_type": object_type[:100],
        "object_id": str(getattr(obj, "pk", "") or "")[:64],
        "object_label": label[:300],
    }


_FROM_CONTEXT: Any = object()


def record(
    *,
    action: str,
    actor: Any = None,
    obj: Any = None,
    details: Mapping[str, Any] | None = None,
    log: bool = True,
    source_address: Any = _FROM_CONTEXT,
) -> AuditEvent:
    """Append one audit event, in the caller's transaction (rolled back with the change it
    records, and failing it if it cannot be written: fail closed, ASVS 16.5.3).

    `action` is dotted ("auth.login", "message.approve"); `actor` a user or None (the
    system, or an anonymous visitor); `obj` a model instance or a (type, id, label) tuple.
    The source address comes from the request being served, if any (audit.context),
    unless given (a signal that carries its own request).
    With `log`, the event is also written as one JSON line to the `diplomacy_hub.audit`
    logger, for a log store outside the database (ASVS 16.4.3); JSON encoding keeps
    newlines and control characters in user text from forging log lines (16.4.1).
    """
    if not action or "." not in action:
        raise ValueError(f"An audit action is dotted, like 'auth.login': got {action!r}.")
    user = actor if getattr(actor, "pk", None) is not None else None
    event = AuditEvent(
        action=action[:64],
        actor=user,
        actor_label=(user.get_username() if user is not None else "")[:150],
        source_address=context.source_address() if source_address is _FROM_CONTEXT else source_address,
        details=_clean(dict(details or {})),
        **_object_fields(obj),
    )
    event.save()
    if log:
        logger.info(
            "audit %s",
            json.dumps(
                {
                    "id": event.pk,
                    "action": event.action,
                    "actor": event.actor_label or None,
                    "actor_id": event.actor_id,
                    "object": f"{event.object_type}:{event.object_id}".strip(":"),
                    "source": event.source_address,
                    "details": event.details,
                },
                cls=DjangoJSONEncoder,
                ensure_ascii=True,
                sort_keys=True,
            ),
        )
    return event
