"""End to end with real processes: the sandbox, Celery workers (threads pool) and beat, on
the test's database and broker (live/stack.py). Nothing of ours is mocked: the adapters
speak HTTP through their SDKs to the sandbox, which counts what each account received.

Small fan-outs (a dozen deliveries): the 1,084-delivery runs belong to the drills."""

from __future__ import annotations

from collections import Counter

import pytest

from channels.models import SocialAccount
from embassies.roles import Role
from posts.health import health_report
from posts.models import Delivery, Event, Message
from posts.services.operations import held_release, message_retract
from posts.services.pause import publishing_pause, publishing_resume
from tests.factories import UserFactory

from .helpers import accounts, approve, approve_crisis, deliveries_of
from .helpers import press_officer as make_press_officer

pytestmark = [pytest.mark.processes, pytest.mark.timeout(120)]
S = Delivery.State


def _start_workers(stack, *, crisis: bool = True, publish: bool = True, beat: bool = False) -> None:
    stack.start(crisis=4 if crisis else 0, publish=8 if publish else 0, beat=beat)


def _all_final(message: Message, states=(S.SENT,)):
    current = [d.state for d in deliveries_of(message)]
    return current if current and all(state in states for state in current) else False


def _wait_for_state(stack, message: Message, state: str) -> None:
    """The message's summary is refreshed just after its last delivery's outcome commits."""
    stack.wait_until(
        lambda: Message.objects.get(pk=message.pk).state == state, timeout=10, what=f"the message to become {state}"
    )


def _counts_by_account(stack, network: str = "twitter") -> Counter:
    counts: Counter = Counter()
    for row in stack.sandbox_counts(network):
        counts[row["account"]] += row["count"]
    return counts


def _assert_exactly_once(stack, message: Message) -> None:
    expected = Counter(
        d.account.network_account_id for d in Delivery.objects.filter(message=message).select_related("account")
    )
    received = _counts_by_account(stack)
    assert {account: received[account] for account in expected} == dict(expected)
    for delivery in Delivery.objects.filter(message=message):
        assert delivery.external_id, delivery


def test_live_health_turns_ok_with_beat_and_workers(live_stack):
    _start_workers(live_stack, beat=True)
    report = live_stack.wait_until(
        lambda: (r := health_report()) and r["status"] == "ok" and {"crisis", "publish"} <= set(r["queues"]) and r,
        timeout=30,
        what="the health report to turn ok, both queues seen",
    )
    names = {worker["name"] for worker in report["workers"]}
    assert {"worker1@live", "worker2@live"} <= names
    assert set(report["queues"]) >= {"crisis", "publish"}


def test_live_approve_now_reaches_every_target_exactly_once(live_stack):
    """No beat: the approval's kick alone sends everything."""
    _start_workers(live_stack)
    message = approve(targets=accounts(12))
    live_stack.wait_until(lambda: _all_final(message), timeout=30, what="every delivery sent")
    _assert_exactly_once(live_stack, message)
    _wait_for_state(live_stack, message, Message.State.PUBLISHED)


def test_live_crisis_alert_goes_through_the_crisis_queue(live_stack):
    """Only a crisis worker runs: the alert still goes out, the routine message waits."""
    _start_workers(live_stack, publish=False)
    routine = approve(targets=accounts(2))
    accounts(3, missions=["emb-jp-tokyo"])
    alert = approve_crisis(scope={"countries": ["JP"]})
    live_stack.wait_until(lambda: _all_final(alert), timeout=30, what="the alert sent")
    _assert_exactly_once(live_stack, alert)
    assert {d.state for d in deliveries_of(routine)} == {S.QUEUED}


def test_live_retries_under_5xx_and_429_end_sent_exactly_once(live_stack):
    _start_workers(live_stack, beat=True)
    targets = accounts(8)
    for target in targets[:3]:  # a 503 (nothing stored): unknown, not found, sent again
        live_stack.sandbox_fault(network="twitter", account=target.network_account_id, error_rate=1.0, count=1)
    for target in targets[3:6]:  # a 429 with its reset time: tried again after it
        live_stack.sandbox_fault(
            network="twitter",
            account=target.network_account_id,
            rate_limit_rate=1.0,
            rate_limit_reset_seconds=1,
            count=1,
        )
    message = approve(targets=targets)
    live_stack.wait_until(lambda: _all_final(message), timeout=60, what="every delivery sent")
    _assert_exactly_once(live_stack, message)
    kinds = Counter(kind for d in deliveries_of(message) for kind in d.attempt_log.values_list("outcome", flat=True))
    assert kinds["rate_limited"] == 3, kinds
    assert kinds["unknown"] + kinds["transient"] == 3, kinds


def test_live_revoked_account_fails_as_auth_and_the_rest_goes_through(live_stack):
    admin = UserFactory(roles=[Role.ADMINISTRATOR], email="admin@example.org")
    _start_workers(live_stack)
    targets = accounts(4)
    revoked = targets[0]
    live_stack.sandbox_fault(network="twitter", account=revoked.network_account_id, revoked=True)
    message = approve(targets=targets)
    live_stack.wait_until(
        lambda: _all_final(message, states=(S.SENT, S.FAILED)), timeout=30, what="every delivery sent or failed"
    )
    failed = Delivery.objects.get(message=message, account=revoked)
    assert (failed.state, failed.last_error_kind) == (S.FAILED, Delivery.ErrorKind.AUTH)
    assert SocialAccount.objects.get(pk=revoked.pk).status in (
        SocialAccount.Status.EXPIRED,
        SocialAccount.Status.REVOKED,
    )
    assert Event.objects.filter(delivery=failed, verb="delivery.failed").exists()
    assert {d.state for d in deliveries_of(message) if d.pk != failed.pk} == {S.SENT}
    _wait_for_state(live_stack, message, Message.State.PARTIALLY_PUBLISHED)
    mails = live_stack.wait_until(
        lambda: [m for m in live_stack.emails() if admin.email in m["To"]], timeout=10, what="the administrators' mail"
    )
    assert len(mails) == 1


def test_live_timeout_after_the_request_arrived_is_reconciled_to_one_post(live_stack):
    _start_workers(live_stack, beat=True)
    target = accounts(1)[0]
    live_stack.sandbox_fault(network="twitter", timeout_rate=1.0, hang_seconds=4, count=1)
    message = approve(targets=[target])
    live_stack.wait_until(lambda: _all_final(message), timeout=40, what="the delivery reconciled")
    (delivery,) = deliveries_of(message)
    verbs = list(Event.objects.filter(delivery=delivery).values_list("verb", flat=True))
    assert "delivery.unknown" in verbs, verbs
    assert "delivery.reconciled" in verbs, verbs
    assert delivery.attempts == 1
    assert _counts_by_account(live_stack)[target.network_account_id] == 1


def test_live_pause_holds_everything_and_release_sends_it_once(live_stack):
    _start_workers(live_stack, beat=True)
    press = make_press_officer()
    pause = publishing_pause(actor=press, scope="all", reason="Crisis in progress")
    message = approve(targets=accounts(5))
    live_stack.wait_until(lambda: _all_final(message, states=(S.HELD,)), timeout=20, what="everything held")
    assert live_stack.sandbox_counts("twitter") == []
    resumed = publishing_resume(actor=press, pause_id=pause.pk)
    assert len(resumed.held) == 5
    assert {d.state for d in deliveries_of(message)} == {S.HELD}  # resuming releases nothing
    held_release(actor=press, message_id=message.pk)
    live_stack.wait_until(lambda: _all_final(message), timeout=30, what="every delivery sent")
    _assert_exactly_once(live_stack, message)


def test_live_retract_deletes_everywhere(live_stack):
    _start_workers(live_stack)
    message = approve(targets=accounts(4))
    live_stack.wait_until(lambda: _all_final(message), timeout=30, what="every delivery sent")
    message_retract(actor=make_press_officer(), message_id=message.pk)
    live_stack.wait_until(
        lambda: _all_final(message, states=(S.RETRACTED,)), timeout=30, what="every delivery retracted"
    )
    received = live_stack.sandbox_received("twitter")
    ours = {d.external_id for d in deliveries_of(message)}
    assert {item["id"] for item in received if item["deleted"]} == ours
    message.refresh_from_db()
    assert message.state == Message.State.RETRACTED


def test_live_sweeper_recovers_lost_queue_messages_and_dead_calls(live_stack):
    """A delivery left `queued` (its broker message lost) and one left `sending` (its
    worker died mid-call, before the network got it) both end sent, once each."""
    from datetime import timedelta

    from django.utils import timezone

    from posts.models import DeliveryAttempt

    message = approve(targets=accounts(2))  # no worker yet: its kick waits in the broker
    lost, dead = deliveries_of(message)
    long_ago = timezone.now() - timedelta(seconds=60)
    Delivery.objects.filter(pk=lost.pk).update(state=S.QUEUED, state_changed_at=long_ago)
    Delivery.objects.filter(pk=dead.pk).update(state=S.SENDING, state_changed_at=long_ago, attempts=1)
    DeliveryAttempt.objects.create(delivery=dead, number=1, action="publish", started_at=long_ago)
    _start_workers(live_stack, beat=True)
    live_stack.wait_until(lambda: _all_final(message), timeout=40, what="both deliveries sent")
    verbs = Counter(Event.objects.filter(message=message).values_list("verb", flat=True))
    assert verbs["delivery.requeued"] == 1, verbs
    assert verbs["delivery.unknown"] == 1, verbs
    _assert_exactly_once(live_stack, message)
