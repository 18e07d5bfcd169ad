"""What the invitation tests share: the task queue seen from the test process (the broker
call is recorded, then the real task runs here), and the link read from the mail."""

from __future__ import annotations

import re

import pytest
from django.core.mail.backends.base import BaseEmailBackend

from security.tasks import send_invitation

LINK = re.compile(r"https?://\S+/accounts/invitation/(?P<token>[A-Za-z0-9_-]+)/")


class Queue:
    """Tasks sent to the broker (name, args, queue), and `run()` to work them off here."""

    def __init__(self) -> None:
        self.sent: list[tuple[str, list, str]] = []

    def send_task(self, name, args=None, queue=None, **options):
        self.sent.append((name, list(args or []), queue))

    def run(self) -> None:
        sent, self.sent = self.sent, []
        for name, args, _queue in sent:
            assert name == send_invitation.name
            send_invitation(*args)


@pytest.fixture
def task_queue(monkeypatch) -> Queue:
    queue = Queue()
    monkeypatch.setattr("security.services.people.current_app.send_task", queue.send_task)
    return queue


def link_token(mail) -> str:
    match = LINK.search(mail.body)
    assert match, mail.body
    return match.group("token")


class BrokenMailServer(BaseEmailBackend):
    """A mail server that refuses every message (EMAIL_BACKEND in a test)."""

    def send_messages(self, email_messages):
        raise ConnectionRefusedError("the mail server is down")
