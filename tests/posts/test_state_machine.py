"""A Hypothesis state machine over the message workflow's services: create, edit, submit,
approve (by the author or by someone else), request changes, reject, cancel, and the
publishing engine itself: the dispatcher's tick (`dispatch_due`) and workers running
`delivery_publish` on what it queued (all of it, one delivery, or a worker killed while the
network answers). After every step, the invariants that keep an embassy from publishing
what nobody approved, or twice (RELIABILITY.md F19, F20, S5, S6).

The broker is the engine tests' FakeBroker (it records the ids sent) and the network their
FakeNetwork (tests/posts/engine/conftest.py); everything of ours runs."""

from __future__ import annotations

import itertools
import os
from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone
from hypothesis import HealthCheck, Phase, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    Bundle,
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)

from embassies.roles import Role
from posts.fingerprint import message_fingerprint
from posts.models import Delivery, Event, InvalidTransition, Message, Review
from posts.services.delivery import delivery_publish
from posts.services.dispatch import dispatch_due
from posts.services.messages import message_create, message_update
from posts.services.review import (
    ApprovalNeedsTime,
    ValidationProblems,
    message_approve,
    message_cancel,
    message_reject,
    message_request_changes,
    message_submit,
)
from posts.validation import with_content
from tests.posts.engine.conftest import FakeBroker, FakeNetwork
from tests.posts.factories import UserFactory, account, mission, press_officer

pytestmark = pytest.mark.django_db

State = Message.State
LIVE = (Delivery.State.SCHEDULED, Delivery.State.HELD, Delivery.State.QUEUED)
TEXTS = {
    "ok": "Réception au Caire.",
    "ok2": "Réception au Caire, jeudi.",
    "ok3": "Jeudi au Caire.",
    "too_long": "x" * 300,
}
ON_ITS_WAY = (Delivery.State.QUEUED, Delivery.State.SENDING, Delivery.State.SENT)


class WorkerKilled(BaseException):
    """The worker's process dies while the network answers: nothing of ours catches it."""


class Network(FakeNetwork):
    """The engine's FakeNetwork; `kill_next` kills the worker during the next call."""

    kill_next = False

    def publish(self, credentials, content, *, progress=None):
        if self.kill_next:
            self.kill_next = False
            self.calls.append(("killed", credentials.account_id))
            raise WorkerKilled
        return super().publish(credentials, content)


class MessageWorkflow(RuleBasedStateMachine):
    messages = Bundle("messages")

    def __init__(self) -> None:
        super().__init__()
        # Each example runs in a savepoint rolled back at teardown.
        self._atomic = transaction.atomic()
        self._atomic.__enter__()
        cairo = mission("emb-eg-cairo")
        # The author also holds the press-office role: four eyes must still stop them.
        self.author = UserFactory(roles=[Role.OFFICER, Role.PRESS_OFFICE], missions=[cairo])
        self.approver = press_officer()
        self.accounts = [account(cairo), account(cairo, "facebook")]
        self.expected: dict[int, str] = {}
        self.valid: dict[int, bool] = {}
        self.network: Network = type(self).network
        self.network.__init__()
        self.broker: FakeBroker = type(self).broker
        self.broker.clear()

    def _any(self, *states: str) -> bool:
        """Steer towards the interesting paths: a rule runs when some message could take it
        (the other message, in any state, still tries it and must be refused cleanly)."""
        return any(state in states for state in self.expected.values())

    def teardown(self) -> None:
        transaction.set_rollback(True)
        self._atomic.__exit__(None, None, None)

    # --- Rules ------------------------------------------------------------------------------

    # One message per example, so that its 15 steps make a long life: submitted, approved,
    # edited back into review, approved again, cancelled... A second one may join.
    @initialize(target=messages, text=st.sampled_from(sorted(TEXTS)), how_many=st.integers(1, 2))
    def create(self, text, how_many):
        return self._create(text, how_many)

    @precondition(lambda self: len(self.expected) < 2)
    @rule(target=messages, text=st.sampled_from(sorted(TEXTS)), how_many=st.integers(1, 2))
    def create_another(self, text, how_many):
        return self._create(text, how_many)

    def _create(self, text, how_many):
        message = message_create(
            actor=self.author,
            mission=mission("emb-eg-cairo"),
            title="Reception",
            texts={"fr": TEXTS[text]},
            target_ids=[a.pk for a in self.accounts[:how_many]],
        )
        self.expected[message.pk] = State.DRAFT
        self.valid[message.pk] = text != "too_long"
        return message.pk

    @precondition(lambda self: self._any(*Message.EDITABLE_STATES))
    @rule(pk=messages, text=st.sampled_from(sorted(TEXTS)))
    def edit(self, pk, text):
        before = self.expected[pk]
        current = with_content(Message.objects.all()).get(pk=pk)
        unchanged = current.texts.get().body == TEXTS[text]
        in_flight = Delivery.objects.filter(message_id=pk).exclude(state__in=[*LIVE, "cancelled"]).exists()
        try:
            message_update(actor=self.author, message_id=pk, expected_version=None, texts={"fr": TEXTS[text]})
        except InvalidTransition:
            assert before not in Message.EDITABLE_STATES or (before == State.SCHEDULED and in_flight)
            return
        assert before in Message.EDITABLE_STATES
        self.valid[pk] = text != "too_long"
        if before == State.SCHEDULED and not unchanged:
            self.expected[pk] = State.IN_REVIEW

    @precondition(lambda self: self._any(State.DRAFT, State.CHANGES_REQUESTED))
    @rule(pk=messages)
    def submit(self, pk):
        before = self.expected[pk]
        try:
            message_submit(actor=self.author, message_id=pk)
        except ValidationProblems:
            assert before in (State.DRAFT, State.CHANGES_REQUESTED)
            assert not self.valid[pk]
            return
        except InvalidTransition:
            assert before not in (State.DRAFT, State.CHANGES_REQUESTED, State.IN_REVIEW)
            return
        self.expected[pk] = State.IN_REVIEW

    def _approve(self, pk, *, by_author: bool, when: str) -> None:
        before = self.expected[pk]
        publish_at = {
            "now": None,
            "later": timezone.now() + timedelta(hours=2),
            "past": timezone.now() - timedelta(hours=1),
        }[when]
        actor = self.author if by_author else self.approver
        try:
            message_approve(actor=actor, message_id=pk, publish_at=publish_at)
        except PermissionDenied:
            assert by_author
            return
        except ApprovalNeedsTime:
            assert when == "past"
            assert before == State.IN_REVIEW
            return
        except ValidationProblems:
            assert before == State.IN_REVIEW
            assert not self.valid[pk]
            return
        except InvalidTransition:
            assert before not in (State.IN_REVIEW, State.SCHEDULED)
            return
        assert not by_author
        assert before in (State.IN_REVIEW, State.SCHEDULED)
        self.expected[pk] = State.SCHEDULED

    @precondition(lambda self: self._any(State.IN_REVIEW))
    @rule(pk=messages, when=st.sampled_from(["now", "later", "past"]))
    def approve(self, pk, when):
        self._approve(pk, by_author=False, when=when)

    @rule(pk=messages, when=st.sampled_from(["now", "later"]))
    def author_approves_own_message(self, pk, when):
        self._approve(pk, by_author=True, when=when)

    @precondition(lambda self: self._any(State.IN_REVIEW))
    @rule(pk=messages, reject=st.booleans())
    def decide(self, pk, reject):
        before = self.expected[pk]
        service, to_state = (
            (message_reject, State.REJECTED) if reject else (message_request_changes, State.CHANGES_REQUESTED)
        )
        try:
            service(actor=self.approver, message_id=pk, comment="Because.")
        except InvalidTransition:
            assert before not in (State.IN_REVIEW, to_state)
            return
        assert before in (State.IN_REVIEW, to_state)
        self.expected[pk] = to_state

    @precondition(lambda self: self._any(State.IN_REVIEW, State.SCHEDULED, State.PUBLISHING))
    @rule(pk=messages)
    def cancel(self, pk):
        before = self.expected[pk]
        deliveries = Delivery.objects.filter(message_id=pk)
        pending = deliveries.filter(state__in=LIVE).exists()
        out = deliveries.exclude(state__in=[*LIVE, Delivery.State.CANCELLED]).exists()  # sent, or sending
        try:
            result = message_cancel(actor=self.approver, message_id=pk)
        except InvalidTransition:
            assert before in (State.REJECTED, State.PUBLISHED) or (out and not pending)
            return
        assert before not in (State.REJECTED, State.PUBLISHED)
        if out and before != State.CANCELLED:
            assert result.left_in_flight
            assert result.state == before
        else:
            self.expected[pk] = State.CANCELLED

    @precondition(lambda self: self._any(State.SCHEDULED, State.PUBLISHING))
    @rule(workers=st.sampled_from(["all", "one", "one_killed"]))
    def advance_the_publishing_engine(self, workers):
        """The engine's own path: the dispatcher claims what is due (scheduled -> queued) and
        sends the ids; workers run `delivery_publish` (queued -> sending -> sent) on every
        queued delivery, on one only, or on one whose worker is killed mid-call (it stays
        `sending`, for the sweeper). A delivery already taken is left alone."""
        result = dispatch_due()
        assert sorted(self.broker.ids()) == sorted(result.queued)
        self.broker.clear()
        queued = list(Delivery.objects.filter(state=Delivery.State.QUEUED).order_by("pk"))
        touched = {delivery.message_id for delivery in queued}
        if workers != "all":
            queued = queued[:1]
        for delivery in queued:
            if workers == "one_killed":
                self.network.kill_next = True
                try:
                    delivery_publish(delivery_id=delivery.pk)
                except WorkerKilled:
                    pass
                else:
                    raise AssertionError("the killed call returned")
            else:
                assert delivery_publish(delivery_id=delivery.pk).state == Delivery.State.SENT
            # A second copy of the same broker message finds it taken and does nothing.
            assert delivery_publish(delivery_id=delivery.pk).state == ""
        # The message's state is the summary of its deliveries (DESIGN.md).
        for pk in touched:
            states = [
                state
                for state in Delivery.objects.filter(message_id=pk).values_list("state", flat=True)
                if state != Delivery.State.CANCELLED
            ]
            assert set(states) <= {*ON_ITS_WAY, Delivery.State.SCHEDULED}, states
            if all(state == Delivery.State.SENT for state in states):
                self.expected[pk] = State.PUBLISHED
            else:
                self.expected[pk] = State.PUBLISHING

    # --- Invariants -------------------------------------------------------------------------------

    @invariant()
    def each_delivery_reaches_the_network_at_most_once(self):
        references = [post["reference"] for post in self.network.posts]
        assert len(references) == len(set(references))
        sent = Delivery.objects.filter(state=Delivery.State.SENT).count()
        assert sent == len(self.network.posts)
        assert Delivery.objects.filter(state=Delivery.State.SENDING).count() == sum(
            1 for call, _ in self.network.calls if call == "killed"
        )

    @invariant()
    def states_are_as_the_workflow_says(self):
        actual = dict(Message.objects.filter(pk__in=self.expected).values_list("pk", "state"))
        assert actual == self.expected

    @invariant()
    def no_one_approves_their_own_message(self):
        for message in Message.objects.exclude(approved_by=None):
            assert message.approved_by_id != message.author_id
        for review in Review.objects.select_related("message"):
            assert review.reviewer_id != review.message.author_id

    @invariant()
    def a_scheduled_message_is_exactly_what_was_approved(self):
        for message in with_content(Message.objects.filter(state=State.SCHEDULED)):
            assert message.approved_fingerprint
            assert message_fingerprint(message) == message.approved_fingerprint

    @invariant()
    def deliveries_only_for_approved_messages_and_none_pending_once_cancelled(self):
        for message in Message.objects.all():
            live = Delivery.objects.filter(message=message).exclude(state=Delivery.State.CANCELLED)
            if message.state in (State.DRAFT, State.CHANGES_REQUESTED, State.IN_REVIEW, State.REJECTED):
                assert not live.exists()
            if message.state == State.CANCELLED:
                assert not live.filter(state__in=LIVE).exists()
            if message.state == State.SCHEDULED:
                assert live.exists()
            if live.exists():
                assert Review.objects.filter(message=message, decision=Review.Decision.APPROVE).exists()

    @invariant()
    def every_state_change_is_an_event(self):
        for message in Message.objects.all():
            changes = [
                (event.from_state, event.to_state)
                for event in Event.objects.filter(message=message, delivery=None).order_by("pk")
                if event.from_state != event.to_state
            ]
            assert changes[0] == ("", State.DRAFT)
            for (_, previous), (start, _) in itertools.pairwise(changes):
                assert start == previous
            assert changes[-1][1] == message.state


@pytest.fixture
def engine(monkeypatch):
    """The FakeNetwork behind every account and the FakeBroker behind the engine, for the
    machine's examples."""
    network, broker = Network(), FakeBroker()
    monkeypatch.setattr("posts.services.delivery.adapter_for", lambda account: network)
    for module in ("posts.services.dispatch", "posts.services.sweeper", "diplomacy_hub.tasks"):
        monkeypatch.setattr(f"{module}.current_app", broker)
    monkeypatch.setattr(MessageWorkflow, "network", network, raising=False)
    monkeypatch.setattr(MessageWorkflow, "broker", broker, raising=False)
    return network


def _check(machine: MessageWorkflow) -> None:
    """Every invariant of the machine, as Hypothesis runs them after a step."""
    invariants = [
        getattr(MessageWorkflow, name)
        for name in dir(MessageWorkflow)
        if hasattr(getattr(MessageWorkflow, name), "hypothesis_stateful_invariant")
    ]
    assert len(invariants) >= 6
    for invariant_ in invariants:
        invariant_(machine)


def test_the_publishing_path_through_the_machine(db, engine):
    """The machine's rarest paths, every run (its random examples reach them now and then):
    approved now, dispatched, one delivery published, a killed worker, cancelled with one
    delivery left in flight; approved now and published to the end. Invariants after each."""
    machine = MessageWorkflow()
    try:
        two = machine.create("ok", 2)
        _check(machine)
        for step in (
            lambda: machine.submit(two),
            lambda: machine.approve(two, "now"),
            lambda: machine.advance_the_publishing_engine("one"),
            lambda: machine.advance_the_publishing_engine("one_killed"),
            lambda: machine.cancel(two),
            lambda: machine.edit(two, "ok2"),
        ):
            step()
            _check(machine)
        assert machine.expected[two] == State.PUBLISHING
        assert sorted(Delivery.objects.filter(message_id=two).values_list("state", flat=True)) == [
            Delivery.State.SENDING,
            Delivery.State.SENT,
        ]
        one = machine.create_another("ok3", 1)
        for step in (
            lambda: machine.submit(one),
            lambda: machine.approve(one, "now"),
            lambda: machine.advance_the_publishing_engine("all"),
            lambda: machine.cancel(one),
        ):
            step()
            _check(machine)
        assert machine.expected[one] == State.PUBLISHED
        assert len(engine.posts) == 2
    finally:
        machine.teardown()


def test_message_workflow_state_machine(db, engine):
    run_state_machine_as_test(
        MessageWorkflow,
        settings=settings(
            # STATE_MACHINE_EXAMPLES=300 for a longer hunt; 30 keeps the suite fast.
            max_examples=int(os.environ.get("STATE_MACHINE_EXAMPLES", 30)),
            stateful_step_count=15,
            deadline=None,
            database=None,
            phases=[Phase.explicit, Phase.generate, Phase.shrink],  # "explain" traces every line: minutes
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
        ),
    )
