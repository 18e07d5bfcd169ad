"""A pause holds crisis alerts too by default (PUBLISHING_PAUSE_HOLDS_CRISIS=True: "pause"
means everything its scope covers), at the dispatcher and again at the worker; with the
setting off, crisis alerts go through a pause and routine messages stay held."""

from __future__ import annotations

import pytest

from posts.models import Delivery
from posts.services.delivery import delivery_publish
from posts.services.dispatch import dispatch_due
from posts.services.pause import publishing_pause

from .helpers import accounts, approve, approve_crisis, deliveries_of, states
from .helpers import press_officer as make_press_officer

pytestmark = pytest.mark.django_db
S = Delivery.State


def test_the_default_setting_holds_crisis_alerts():
    from django.conf import settings

    assert settings.PUBLISHING_PAUSE_HOLDS_CRISIS is True


@pytest.mark.parametrize(("scope", "value"), [("country", "JP"), ("all", "")])
def test_a_pause_holds_a_crisis_alert_at_the_dispatcher(broker, network, scope, value):
    accounts(2, missions=["emb-jp-tokyo"])
    alert = approve_crisis(scope={"countries": ["JP"]})
    publishing_pause(actor=make_press_officer(), scope=scope, value=value, reason="Wrong facts")
    result = dispatch_due()
    assert states(alert) == [S.HELD, S.HELD]
    assert broker.ids(queue="crisis") == []
    assert list(result.queued) == []
    assert network.calls == []


def test_a_pause_after_the_claim_holds_a_crisis_delivery_at_the_worker(broker, network):
    accounts(1, missions=["emb-jp-tokyo"])
    alert = approve_crisis(scope={"countries": ["JP"]})
    dispatch_due()
    assert states(alert) == [S.QUEUED]
    publishing_pause(actor=make_press_officer(), scope="all", reason="Stop")
    (delivery,) = deliveries_of(alert)
    delivery_publish(delivery_id=delivery.pk)
    delivery.refresh_from_db()
    assert delivery.state == S.HELD
    assert network.calls == []


def test_with_the_setting_off_a_pause_lets_crisis_alerts_through_and_holds_routine(broker, network, settings):
    settings.PUBLISHING_PAUSE_HOLDS_CRISIS = False
    _crisis_account, routine_account = accounts(2, missions=["emb-jp-tokyo"])
    alert = approve_crisis(scope={"countries": ["JP"]})
    routine = approve(targets=[routine_account])
    publishing_pause(actor=make_press_officer(), scope="all", reason="Routine only")
    dispatch_due()
    assert states(alert) == [S.QUEUED, S.QUEUED]
    assert sorted(broker.ids(queue="crisis")) == [d.pk for d in deliveries_of(alert)]
    assert states(routine) == [S.HELD]
    first = deliveries_of(alert)[0]
    delivery_publish(delivery_id=first.pk)
    first.refresh_from_db()
    assert first.state == S.SENT
