"""Accounts' Celery tasks: each takes ids, calls one service, holds no logic (as posts/tasks.py)."""

from __future__ import annotations

from celery import shared_task

from security import services

_OPTIONS = {"acks_late": True, "reject_on_worker_lost": True, "ignore_result": True, "serializer": "json"}


@shared_task(name=services.SEND_TASK, **_OPTIONS)
def send_invitation(invitation_id: int, issue: int, **kwargs) -> None:
    """Mail link number `issue` of the invitation, once (a redelivered task mails nothing)."""
    services.invitation_mail(invitation_id=invitation_id, issue=issue)
