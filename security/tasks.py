"""Accounts' Celery tasks: each takes ids, calls one service, holds no logic (as posts/tasks.py)."""

from __future__ import annotations

from diplomacy_hub.tasks import task
from security import services


@task(name=services.SEND_TASK)
def send_invitation(invitation_id: int, issue: int, **kwargs) -> None:
    """Mail link number `issue` of the invitation, once (a redelivered task mails nothing)."""
    services.invitation_mail(invitation_id=invitation_id, issue=issue)
