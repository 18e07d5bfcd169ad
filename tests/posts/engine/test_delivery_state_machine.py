"""A Hypothesis state machine over the delivery engine: the dispatcher, the worker's
publish (with every kind of network answer, duplicate broker messages and a worker killed
mid-call), the sweeper, reconciliation, retries, cancellation and pauses — in any order.

The network is the engine tests' in-memory FakeNetwork, which records every post with the
delivery's network token (what the content carries as its reference). After every step:
no delivery reached the network twice, every `sent` delivery is on the network under its
own id, and nothing reached it without an approval (RELIABILITY.md I1-I4).
"""

from __future__ import annotations

import contextlib
import os
from datetime import timedelta

import pytest
from django.db.models import F
from django.utils import timezone
from hypothesis import HealthCheck, Phase
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule, run_state_machine_as_test

from channels.adapters.base import AuthError, PermanentError, RateLimited, TransientError
from channels.models import SocialAccount
from posts.lifecycle import DELIVERY_PENDING as PENDING_DELIVERY_STATES
from posts.lifecycle import DELIVERY_TRANSITIONS, MESSAGE_TRANSITIONS
from posts.models import Delivery, DeliveryAttempt, Event, InvalidTransition, Message, PublishingPause
from posts.selectors.pauses import held_deliveries
from posts.services.delivery import delivery_publish
from posts.services.dispatch import dispatch_due
from posts.services.operations import delivery_retry, held_release
from posts.services.pause import publishing_pause, publishing_resume
from posts.services.reconcile import delivery_reconcile
from posts.services.review import message_cancel
from posts.services.sweeper import sweep

from .conftest import STORED
from .helpers import accounts, approve
from .helpers import press_officer as make_press_officer

S = Delivery.State


class WorkerKilled(BaseException):
    """The worker process dies in the middle of the network call (SIGKILL): nothing of
    ours runs after it, not even `except Exception`."""


def _answers():
    """What the network does with the next call."""
    return st.sampled_from(
        [
            "ok",
            "ok",
            "ok",
            "rate_limited",
            "refused_before_sending",
            "failed_after_sending",
            "stored_then_timeout",
            "stored_then_worker_killed",
            "auth",
            "permanent",
            "duplicate",
        ]
    )


ANSWERS = {
    "ok": None,
    "rate_limited": RateLimited("Too Many Requests", retry_after=60),
    "refused_before_sending": TransientError("Connection refused", request_sent=False),
    "failed_after_sending": TransientError("503 Service Unavailable", request_sent=True, status_code=503),
    "stored_then_timeout": (STORED, TransientError("Read timed out", request_sent=True)),
    "stored_then_worker_killed": (STORED, WorkerKilled()),
    "auth": AuthError("Invalid or expired token", status_code=401),
    "permanent": PermanentError("Text is not allowed", status_code=400),
    "duplicate": PermanentError("Duplicate content", status_code=403, duplicate=True),
}


def delivery_machine(broker, network, press_officer):
    class DeliveryEngine(RuleBasedStateMachine):
        @initialize()
        def start(self):
            # Each example starts from nothing, so that the same choices meet the same rows
            # (Hypothesis replays choices; rows left by an earlier example would change them).
            Delivery.objects.all().delete()
            Message.objects.all().delete()
            PublishingPause.objects.all().delete()
            SocialAccount.objects.all().delete()
            broker.clear()
            network.posts.clear()
            network.script.clear()
            network.find = "search"
            self.handled: set[int] = set()  # publish task ids a worker has already taken
            self.reconciled: set[int] = set()

        def _later(self, hours: float = 3):
            return timezone.now() + timedelta(hours=hours)

        @rule(how_many=st.integers(1, 3))
        def approve_a_message(self, how_many):
            approve(targets=accounts(how_many), approver=press_officer)

        @rule(answer=_answers())
        def the_network_will_answer(self, answer):
            if ANSWERS[answer] is not None:
                network.script["*"].append(ANSWERS[answer])

        @rule(later=st.booleans())
        def dispatcher_tick(self, later):
            dispatch_due(now=self._later() if later else None)

        @rule(data=st.data())
        def a_worker_takes_a_publish_task(self, data):
            waiting = [pk for pk in broker.ids() if pk not in self.handled]
            if not waiting:
                return
            pk = data.draw(st.sampled_from(waiting))
            self.handled.add(pk)
            with contextlib.suppress(WorkerKilled):  # the delivery stays `sending`: the sweeper's job
                delivery_publish(delivery_id=pk)

        @rule(data=st.data())
        def the_broker_delivers_a_task_again(self, data):
            if not self.handled:
                return
            pk = data.draw(st.sampled_from(sorted(self.handled)))
            before = Delivery.objects.get(pk=pk).state
            outcome = delivery_publish(delivery_id=pk)
            if before != S.QUEUED:
                assert outcome.state == "", "a redelivered task published a delivery that was not queued"

        @rule()
        def sweeper_runs_much_later(self):
            sweep(now=self._later())

        @rule(network_can_tell=st.booleans())
        def reconciliation(self, network_can_tell):
            network.find = "search" if network_can_tell else TransientError("timeline unavailable", request_sent=False)
            for pk in broker.ids("posts.reconcile_delivery"):
                if pk not in self.reconciled:
                    self.reconciled.add(pk)
                    delivery_reconcile(delivery_id=pk)
            network.find = "search"

        @rule(data=st.data())
        def press_office_retries_a_failure(self, data):
            failed = list(
                Delivery.objects.filter(state=S.FAILED, account__status="connected").values_list("pk", flat=True)[:20]
            )
            if failed:
                delivery_retry(actor=press_officer, delivery_id=data.draw(st.sampled_from(failed)))

        @rule(data=st.data())
        def press_office_cancels_a_message(self, data):
            cancellable = list(
                Message.objects.filter(state__in=[Message.State.SCHEDULED, Message.State.PUBLISHING]).values_list(
                    "pk", flat=True
                )[:20]
            )
            if cancellable:
                chosen = data.draw(st.sampled_from(cancellable))
                try:
                    message_cancel(actor=press_officer, message_id=chosen)
                except InvalidTransition:
                    # Refused only when every delivery has gone out or is going out.
                    assert not Delivery.objects.filter(message_id=chosen, state__in=PENDING_DELIVERY_STATES).exists()

        @rule()
        def pause_then_resume(self):
            pause = publishing_pause(actor=press_officer, scope="all", reason="Drill")
            dispatch_due(now=self._later())
            assert not Delivery.objects.filter(state=S.QUEUED, pk__in=held_deliveries(pause=pause)).exists()
            publishing_resume(actor=press_officer, pause_id=pause.pk)

        @rule()
        def press_office_releases_what_was_held(self):
            held = list(Delivery.objects.filter(state=S.HELD).values_list("pk", flat=True)[:50])
            if held:
                held_release(actor=press_officer, delivery_ids=held)

        @invariant()
        def no_delivery_reached_the_network_twice(self):
            references = [post["reference"] for post in network.posts]
            assert len(references) == len(set(references)), "a delivery was published twice"

        @invariant()
        def every_sent_delivery_is_on_the_network_under_its_id(self):
            on_network = {post["reference"]: post["id"] for post in network.posts}
            sent = Delivery.objects.filter(state=S.SENT).values_list("network_token", "external_id")
            for token, external_id in sent:
                assert on_network.get(token) == external_id

        @invariant()
        def nothing_reached_the_network_without_an_approval(self):
            references = {post["reference"] for post in network.posts}
            approved = set(
                Delivery.objects.filter(network_token__in=references, message__approved_by__isnull=False).values_list(
                    "network_token", flat=True
                )
            )
            assert references == approved

        @invariant()
        def every_recorded_change_follows_the_state_machines(self):
            """posts.lifecycle's tables are what the engine does, not a wish."""
            changes = Event.objects.exclude(from_state="").exclude(to_state="").exclude(from_state=F("to_state"))
            for is_delivery, before, after, verb in changes.values_list(
                "delivery_id", "from_state", "to_state", "verb"
            ):
                table = DELIVERY_TRANSITIONS if is_delivery else MESSAGE_TRANSITIONS
                assert after in table[before], f"{verb}: {before} -> {after}"

        @invariant()
        def attempts_are_counted_once_each(self):
            for delivery in Delivery.objects.filter(attempts__gt=0).only("pk", "attempts"):
                recorded = DeliveryAttempt.objects.filter(delivery=delivery, action="publish").count()
                assert recorded == delivery.attempts

    return DeliveryEngine


@pytest.mark.usefixtures("_live_database_keeper", "transactional_db", "django_db_serialized_rollback")
def test_delivery_engine_state_machine(broker, network, settings):
    settings.PUBLISH_MAX_ATTEMPTS = 3
    press_officer = make_press_officer()
    machine = delivery_machine(broker, network, press_officer)
    run_state_machine_as_test(machine, settings=settings_for_hypothesis())


def settings_for_hypothesis():
    return hypothesis_settings(
        max_examples=int(os.environ.get("STATE_MACHINE_EXAMPLES", "25")),
        stateful_step_count=25,
        deadline=None,
        database=None,  # a replayed example would meet rows of earlier ones: generate afresh
        phases=[Phase.explicit, Phase.generate],  # no shrinking: rows outlive an example
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
    )
