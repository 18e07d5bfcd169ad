"""Planned silences (electoral silence, mourning, an embargo) hold what falls due in their
scope and time exactly as a pause does, at the dispatcher and at the worker; they end by
themselves and release nothing: what they held waits for a press officer. Crisis alerts
are held only when the silence says so, and planning one that does says so first."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from posts.models import Delivery, PublishingPause
from posts.selectors.pauses import active_pauses
from posts.services.delivery import delivery_publish
from posts.services.dispatch import dispatch_due
from posts.services.pause import SilenceHoldsCrisis, silence_plan
from tests.posts.factories import crisis_member, officer

from .helpers import accounts, approve, approve_crisis, deliveries_of, states
from .helpers import press_officer as make_press_officer

pytestmark = pytest.mark.django_db
S = Delivery.State


def plan(*, scope="country", value="JP", start, hours=2, holds_crisis=False, confirmed=False, actor=None):
    return silence_plan(
        actor=actor or crisis_member(),
        kind=PublishingPause.Kind.ELECTORAL,
        scope=scope,
        value=value,
        starts_at=start,
        ends_at=start + timedelta(hours=hours),
        reason="Electoral silence before the vote",
        holds_crisis=holds_crisis,
        crisis_confirmed=confirmed,
    )


def test_a_silence_holds_what_falls_due_in_it_and_ends_by_itself_releasing_nothing(broker, network):
    now = timezone.now()
    (tokyo,) = accounts(1, missions=["emb-jp-tokyo"])
    (cairo,) = accounts(1, missions=["emb-eg-cairo"])
    silence = plan(start=now + timedelta(hours=1), hours=2)
    during = approve(targets=[tokyo], publish_at=now + timedelta(hours=2))
    elsewhere = approve(targets=[cairo], publish_at=now + timedelta(hours=2))
    after = approve(targets=[tokyo], publish_at=now + timedelta(hours=4))
    assert active_pauses() == []  # planned, not yet in force

    with time_machine.travel(now + timedelta(hours=2, minutes=1), tick=False):
        assert active_pauses() == [silence]
        dispatch_due()
        assert states(during) == [S.HELD]
        assert states(elsewhere) == [S.QUEUED]  # another country: not covered

    with time_machine.travel(now + timedelta(hours=4, minutes=1), tick=False):
        assert active_pauses() == []  # over by itself, nobody ended it
        dispatch_due()
        assert states(during) == [S.HELD]  # still waits for a press officer
        assert states(after) == [S.QUEUED]
    silence.refresh_from_db()
    assert silence.ended_at is None
    assert silence.ended_by is None
    held_event = deliveries_of(during)[0].events.get(verb="delivery.held")
    assert held_event.details["pause_id"] == silence.pk


def test_a_silence_that_starts_after_the_claim_holds_at_the_worker(broker, network):
    now = timezone.now()
    (tokyo,) = accounts(1, missions=["emb-jp-tokyo"])
    message = approve(targets=[tokyo])
    dispatch_due()
    assert states(message) == [S.QUEUED]
    plan(scope="mission", value="emb-jp-tokyo", start=now - timedelta(minutes=1))
    (delivery,) = deliveries_of(message)
    delivery_publish(delivery_id=delivery.pk)
    delivery.refresh_from_db()
    assert delivery.state == S.HELD
    assert network.calls == []


def test_a_silence_lets_crisis_alerts_through_unless_it_says_it_holds_them(broker, network):
    now = timezone.now()
    _crisis_account, routine_account = accounts(2, missions=["emb-jp-tokyo"])
    plan(scope="region", value="Asia-Pacific", start=now - timedelta(minutes=1))
    alert = approve_crisis(scope={"countries": ["JP"]})
    routine = approve(targets=[routine_account])
    dispatch_due()
    assert states(alert) == [S.QUEUED, S.QUEUED]
    assert states(routine) == [S.HELD]


def test_a_silence_that_would_hold_crisis_alerts_says_so_before_it_is_saved(broker, network):
    now = timezone.now()
    accounts(2, missions=["emb-jp-tokyo"])
    alert = approve_crisis(scope={"countries": ["JP"]})
    Delivery.objects.filter(message=alert).update(next_attempt_at=now + timedelta(hours=1, minutes=30))
    with pytest.raises(SilenceHoldsCrisis) as refused:
        plan(start=now + timedelta(hours=1), holds_crisis=True)
    assert refused.value.count == 2
    assert "would hold crisis alerts: 2 crisis deliveries" in str(refused.value.messages[0])
    assert not PublishingPause.objects.exists()
    silence = plan(start=now + timedelta(hours=1), holds_crisis=True, confirmed=True)
    with time_machine.travel(now + timedelta(hours=1, minutes=31), tick=False):
        dispatch_due()
    assert states(alert) == [S.HELD, S.HELD]
    assert silence.holds_crisis is True


def test_planning_a_silence_checks_its_input_and_who_plans():
    now = timezone.now()
    with pytest.raises(PermissionDenied):
        plan(start=now, actor=officer("emb-jp-tokyo"))
    plan(start=now, actor=make_press_officer())  # the press office plans too
    with pytest.raises(ValidationError) as bad:
        plan(start=now, hours=-1)
    assert "must end after it starts" in str(bad.value)
    with pytest.raises(ValidationError):
        plan(scope="network", value="twitter", start=now)
    with pytest.raises(ValidationError):
        plan(value="ZZ", start=now)
    with pytest.raises(ValidationError) as passed:
        plan(start=now - timedelta(hours=5), hours=1)
    assert "planned ahead" in str(passed.value)
