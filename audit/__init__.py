"""The append-only audit log of sensitive actions: who did what to which object, when and
from which address. Write with `audit.record(...)`; read on the `audit:log` page.
"""

from typing import Any


def record(*, action: str, actor: Any = None, obj: Any = None, details: dict | None = None, **options: Any):
    """Append one audit event in the caller's transaction. See `audit.services.record`."""
    from audit.services import record as _record

    return _record(action=action, actor=actor, obj=obj, details=details, **options)
