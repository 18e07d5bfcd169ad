"""The dispatcher: claims due deliveries, holds paused ones, defers those over budget,
enqueues ids after commit on the right queue."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from posts.models import Delivery, Event, Heartbeat, Message
from posts.services.dispatch import dispatch_due, kick_dispatcher
from posts.services.pause import publishing_pause
from posts.services.review import message_cancel

from .helpers import MISSIONS, accounts, approve, approve_crisis, deliveries_of, states
from .helpers import press_officer as make_press_officer

pytestmark = pytest.mark.django_db
S = Delivery.State


def test_approval_now_kicks_the_dispatcher_on_both_publishing_queues(broker, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        approve(targets=accounts(1))
    assert [(name, queue) for name, _, queue in broker.sent if name != "mail.send"] == [
        ("posts.dispatch_due", "crisis"),
        ("posts.dispatch_due", "publish"),
    ]


def test_dispatch_due_claims_due_deliveries_and_enqueues_them_on_the_publish_queue(broker):
    message = approve(targets=accounts(3))
    result = dispatch_due()
    assert sorted(result.queued) == [d.pk for d in deliveries_of(message)]
    assert states(message) == [S.QUEUED] * 3
    assert sorted(broker.ids(queue="publish")) == sorted(result.queued)
    assert all(d.state_changed_at is not None for d in deliveries_of(message))
    message.refresh_from_db()
    assert message.state == Message.State.PUBLISHING
    assert Heartbeat.objects.filter(name="dispatcher").exists()


def test_dispatch_due_leaves_future_and_cancelled_deliveries(broker):
    later = approve(targets=accounts(1), publish_at=timezone.now() + timedelta(hours=1))
    cancelled = approve(targets=accounts(1))
    message_cancel(actor=make_press_officer(), message_id=cancelled.pk, reason="wrong")
    result = dispatch_due()
    assert result.queued == []
    assert states(later) == [S.SCHEDULED]
    assert broker.ids() == []


def test_dispatch_due_does_not_claim_deliveries_of_a_message_no_longer_publishable(broker):
    message = approve(targets=accounts(2))
    Message.objects.filter(pk=message.pk).update(state=Message.State.CANCELLED)
    assert dispatch_due().queued == []
    assert states(message) == [S.SCHEDULED, S.SCHEDULED]


def test_dispatch_due_sends_crisis_alerts_first_on_the_crisis_queue(broker):
    routine = approve(targets=accounts(3))
    accounts(2, missions=["emb-jp-tokyo"])
    alert = approve_crisis(scope={"countries": ["JP"]})
    result = dispatch_due()
    crisis_ids = [d.pk for d in deliveries_of(alert)]
    assert len(crisis_ids) == 2
    assert crisis_ids[0] > max(d.pk for d in deliveries_of(routine))
    assert result.queued[: len(crisis_ids)] == crisis_ids
    assert sorted(broker.ids(queue="crisis")) == crisis_ids
    assert sorted(broker.ids(queue="publish")) == [d.pk for d in deliveries_of(routine)]


def test_dispatch_due_claims_in_batches(broker, settings, django_assert_max_num_queries):
    settings.DISPATCH_BATCH_SIZE = 4
    message = approve(targets=accounts(10))
    result = dispatch_due()
    assert len(result.queued) == 10
    assert states(message) == [S.QUEUED] * 10


def test_dispatch_due_enqueues_a_crisis_alerts_small_first_batch_before_claiming_the_rest(
    broker, settings, monkeypatch
):
    from posts.services import dispatch

    settings.DISPATCH_FIRST_BATCH_SIZE, settings.DISPATCH_BATCH_SIZE = 3, 5
    accounts(12, missions=MISSIONS)
    message = approve_crisis(scope={"all": True})
    enqueued_before_each_claim = []
    claim = dispatch._dispatch_batch

    def counting_claim(**kwargs):
        enqueued_before_each_claim.append(len(broker.ids()))
        return claim(**kwargs)

    monkeypatch.setattr(dispatch, "_dispatch_batch", counting_claim)
    queued = len(dispatch_due().queued)
    assert queued == len(deliveries_of(message)) >= 12
    assert enqueued_before_each_claim[:3] == [0, 3, 8]
    assert set(states(message)) == {S.QUEUED}


def test_dispatch_due_claims_routine_messages_in_full_batches(broker, settings, monkeypatch):
    from posts.services import dispatch

    settings.DISPATCH_FIRST_BATCH_SIZE, settings.DISPATCH_BATCH_SIZE = 3, 5
    message = approve(targets=accounts(4))
    sizes = []
    claim = dispatch._dispatch_batch

    def recording_claim(**kwargs):
        sizes.append(kwargs["size"])
        return claim(**kwargs)

    monkeypatch.setattr(dispatch, "_dispatch_batch", recording_claim)
    assert len(dispatch_due().queued) == 4
    assert sizes == [5]
    assert states(message) == [S.QUEUED] * 4


def test_dispatch_due_holds_what_a_pause_covers_with_an_event(broker):
    cairo, tokyo = accounts(1, missions=["emb-eg-cairo"]) + accounts(1, missions=["emb-jp-tokyo"])
    held = approve(targets=[cairo])
    free = approve(targets=[tokyo])
    pause = publishing_pause(actor=make_press_officer(), scope="country", value="eg", reason="Unrest")
    result = dispatch_due()
    assert states(held) == [S.HELD]
    assert states(free) == [S.QUEUED]
    assert result.held == [deliveries_of(held)[0].pk]
    event = Event.objects.get(verb="delivery.held")
    assert event.details["pause_id"] == pause.pk
    assert (event.from_state, event.to_state) == (S.SCHEDULED, S.HELD)
    assert broker.ids() == [deliveries_of(free)[0].pk]


@pytest.mark.parametrize(
    ("scope", "value", "held_codes"),
    [
        ("all", "", {"emb-eg-cairo", "emb-jp-tokyo"}),
        ("region", "Asia-Pacific", {"emb-jp-tokyo"}),
        ("mission", "emb-eg-cairo", {"emb-eg-cairo"}),
        ("network", "facebook", {"emb-jp-tokyo"}),
    ],
)
def test_dispatch_due_pause_scopes(broker, scope, value, held_codes):
    cairo = accounts(1, missions=["emb-eg-cairo"])[0]
    tokyo = accounts(1, network="facebook", missions=["emb-jp-tokyo"])[0]
    approve(targets=[cairo], mission_code="emb-eg-cairo")
    approve(targets=[tokyo], mission_code="emb-jp-tokyo")
    publishing_pause(actor=make_press_officer(), scope=scope, value=value, reason="Because")
    dispatch_due()
    held = set(Delivery.objects.filter(state=S.HELD).values_list("account__mission__code", flat=True))
    assert held == held_codes


def test_dispatch_due_defers_deliveries_over_the_accounts_budget(broker, settings):
    settings.PUBLISH_RATE_LIMITS = {"twitter": {"account": [2, 900]}}
    target = accounts(1)[0]
    messages = [approve(targets=[target], text=f"Texte {n}") for n in range(3)]
    result = dispatch_due()
    assert len(result.queued) == 2
    assert len(result.deferred) == 1
    deferred = Delivery.objects.get(pk=result.deferred[0])
    assert deferred.state == S.SCHEDULED
    assert deferred.next_attempt_at > timezone.now() + timedelta(seconds=800)
    assert dispatch_due().queued == []  # the queued ones still count
    assert len(messages) == 3


def test_dispatch_due_puts_back_what_the_broker_refused(broker):
    message = approve(targets=accounts(2))
    broker.down = True
    result = dispatch_due()
    assert sorted(result.not_sent) == [d.pk for d in deliveries_of(message)]
    assert states(message) == [S.SCHEDULED, S.SCHEDULED]
    broker.down = False
    assert len(dispatch_due().queued) == 2


def test_dispatch_due_twice_claims_each_delivery_once(broker):
    approve(targets=accounts(4))
    first, second = dispatch_due(), dispatch_due()
    assert len(first.queued) == 4
    assert second.queued == []
    assert len(broker.ids()) == 4


def test_kick_dispatcher_never_raises_when_the_broker_is_down(broker):
    broker.down = True
    kick_dispatcher()
    assert broker.sent == []


def test_dispatch_due_enqueues_each_messages_first_delivery_before_any_second(broker):
    first = approve(targets=accounts(2))
    second = approve(targets=accounts(2))
    third = approve(targets=accounts(1))
    dispatch_due()
    order = [Delivery.objects.get(pk=pk).message_id for pk in broker.ids(queue="publish")]
    assert order == [first.pk, second.pk, third.pk, first.pk, second.pk]


def test_dispatch_due_with_nothing_due_reads_once_and_writes_only_the_heartbeats(broker, django_assert_num_queries):
    approve(targets=accounts(1), publish_at=timezone.now() + timedelta(hours=1))
    with django_assert_num_queries(2):  # "anything due?", then one upsert of the heartbeats
        result = dispatch_due(worker="crisis1@host", queue="crisis")
    assert result.queued == []
    assert set(Heartbeat.objects.values_list("name", flat=True)) >= {
        "dispatcher",
        "worker:crisis1@host",
        "queue:crisis",
    }


def test_dispatch_due_makes_every_claimed_message_publishing_with_one_event_each(broker):
    messages = [approve(targets=accounts(2)) for _ in range(3)]
    later = approve(targets=accounts(1), publish_at=timezone.now() + timedelta(hours=1))
    dispatch_due()
    for message in messages:
        message.refresh_from_db()
        assert message.state == Message.State.PUBLISHING
        (event,) = Event.objects.filter(message=message, verb="message.publishing")
        assert (event.from_state, event.to_state) == (Message.State.SCHEDULED, Message.State.PUBLISHING)
        assert event.details == {"deliveries": {S.QUEUED: 2}}
    later.refresh_from_db()
    assert later.state == Message.State.SCHEDULED
    assert not Event.objects.filter(message=later, verb="message.publishing").exists()
    dispatch_due()  # nothing new: no second event
    assert Event.objects.filter(verb="message.publishing").count() == 3
