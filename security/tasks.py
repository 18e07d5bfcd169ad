"""Accounts' Celery tasks: each takes ids, calls one service, holds no logic (as posts/tasks.py)."""

from __future__ import annotations

from diplomacy_hub.mail import MAIL_RETRY_OPTIONS
from diplomacy_hub.tasks import task
from security import services


@task(name=services.SEND_TASK, **MAIL_RETRY_OPTIONS)
def send_invitation(invitation_id: int, issue: int, **kwargs) -> None:
    """Mail link number `issue` of the invitation, once (a redelivered task mails nothing). A
    mail server that is down rolls the link back and the task is tried again with backoff
    (diplomacy_hub.mail.MAIL_RETRY_OPTIONS)."""
    services.invitation_mail(invitation_id=invitation_id, issue=issue)


@task(name="security.mail_unsent_invitations")
def mail_unsent_invitations(**kwargs) -> None:
    """Beat's look for pending invitations whose link never left (the broker was down when it
    was asked for, or every retry failed): each is queued again."""
    services.invitations_mail_unsent()
