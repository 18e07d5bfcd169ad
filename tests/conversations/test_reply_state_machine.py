"""Hypothesis drives the real reply engine against the sandbox: any interleaving of sends
(duplicate broker messages), sweeps at any time, reconciliations, lost answers and dead
workers leaves each reply on the network at most once, and exactly once when it says sent;
a reply is never `sending` twice at once."""

from __future__ import annotations

import itertools
from datetime import timedelta

import pytest
import requests
from django.utils import timezone
from hypothesis import HealthCheck
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule

from conversations.models import Conversation, Reply
from conversations.services.replies import ReplyDraft, replies_sweep, reply_reconcile, reply_send, reply_write
from tests.conversations.replies_helpers import answers, fault, heard_conversation, library_line
from tests.posts.factories import officer

pytestmark = pytest.mark.django_db

State = Reply.State
_numbers = itertools.count(1)
LINE = "Thank you for your question: our website's visa section answers most questions, in your language."


def test_any_interleaving_sends_each_reply_at_most_once(settings, sandbox_url, tmp_path):
    settings.SANDBOX_URL = sandbox_url
    settings.NETWORK_READ_TIMEOUT = 0.5
    settings.RECONCILE_DELAY = 0
    conversation, item = heard_conversation(sandbox_url, tmp_path)
    Conversation.objects.filter(pk=conversation.pk).update(category="consular", language=item.language or "en")
    line = library_line(text=LINE, language=item.language or "en")
    author = officer("emb-eg-cairo")

    class Replies(RuleBasedStateMachine):
        def __init__(self) -> None:
            super().__init__()
            number = next(_numbers)
            # The reply before this example's is put aside (one reply on its way per item).
            Reply.objects.exclude(state__in=[State.SENT, State.FAILED]).update(state=State.FAILED)
            self.text = f"{LINE} ({number})"  # a few per cent changed: still level 0
            self.reply = reply_write(
                actor=author,
                conversation_id=conversation.pk,
                draft=ReplyDraft(item_id=item.pk, text=self.text, line_id=line.pk, idempotency_key=f"sm-{number}"),
            )
            self.clock = timezone.now()

        @rule()
        def send(self):
            reply_send(reply_id=self.reply.pk)

        @rule()
        def answer_lost(self):
            fault(sandbox_url, "twitter", timeout_rate=1, hang_seconds=1, count=1)

        @rule()
        def network_down(self):
            fault(sandbox_url, "twitter", error_rate=1, count=1)

        @rule(minutes=st.integers(0, 30))
        def sweep(self, minutes):
            self.clock += timedelta(minutes=minutes)
            replies_sweep(now=self.clock)

        @rule()
        def reconcile(self):
            reply_reconcile(reply_id=self.reply.pk)

        @rule()
        def worker_dies_mid_call(self):
            Reply.objects.filter(pk=self.reply.pk, state=State.QUEUED).update(
                state=State.SENDING, attempts=1, state_changed_at=timezone.now() - timedelta(hours=1)
            )

        @invariant()
        def at_most_once_and_exactly_once_when_sent(self):
            copies = [entry for entry in answers(sandbox_url, "twitter") if entry["text"] == self.text]
            state = Reply.objects.values_list("state", flat=True).get(pk=self.reply.pk)
            assert len(copies) <= 1
            if state == State.SENT:
                assert len(copies) == 1

        def teardown(self):
            requests_clear(sandbox_url)

    run = settings_for(Replies)
    run.TestCase().runTest()


def requests_clear(sandbox_url: str) -> None:
    requests.delete(f"{sandbox_url}/_sandbox/faults", timeout=5)


def settings_for(machine):
    machine.TestCase.settings = hypothesis_settings(
        max_examples=15,
        stateful_step_count=12,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
    )
    return machine
