"""Collection against the sandbox, through the real adapters and SDKs: numbers stored,
unknowns stored as unknown with a reason (never 0), budgets respected, one account's
failure isolated from the others, a batch stopped early resumed next round."""

from __future__ import annotations

from datetime import timedelta

import pytest
import requests
from django.utils import timezone

from analytics import tasks
from analytics.models import AccountDaily, CollectionClaim, DeliverySnapshot, Unknown
from analytics.services import account_collect, accounts_claim_due, deliveries_due
from channels.budgets import budget_spend
from channels.models import Network, NetworkBudget, SocialAccount
from posts.models import Delivery
from tests.analytics.conftest import published, sandbox_account
from tests.channels.adapters.helpers import TWITTER

pytestmark = pytest.mark.django_db


def test_followers_and_snapshots_are_read_and_stored(on_sandbox):
    cairo = sandbox_account("emb-eg-cairo")
    hour_old = published(cairo, hours_ago=2, text="Une heure")
    day_old = published(cairo, hours_ago=30, text="Un jour")
    result = account_collect(account_id=cairo.pk)
    assert (result.daily, result.snapshots, result.unknown, result.stopped) == (True, 2, 0, "")
    daily = AccountDaily.objects.get(account=cairo)
    assert daily.day == timezone.now().date()
    assert daily.followers
    assert daily.followers >= 500
    ages = dict(DeliverySnapshot.objects.values_list("delivery_id", "age_hours").filter(delivery=hour_old))
    assert ages == {hour_old.pk: 1}
    # Its 1-hour reading was due in its first day only: missed, not made up with later numbers.
    assert set(DeliverySnapshot.objects.filter(delivery=day_old).values_list("age_hours", flat=True)) == {24}
    snapshot = DeliverySnapshot.objects.filter(delivery=hour_old).get()
    # The sandbox's numbers grow from the real publication (just now): counts, not NULLs.
    assert snapshot.likes is not None
    assert snapshot.views is not None
    assert snapshot.unknown == ""
    # Nothing left: a second round reads nothing again.
    assert account_collect(account_id=cairo.pk) == type(result)()
    assert deliveries_due(now=timezone.now()) == []


def test_an_account_that_lost_its_permission_is_unknown_never_zero(on_sandbox):
    cairo = sandbox_account("emb-eg-cairo")
    delivery = published(cairo, hours_ago=2)
    TWITTER.fault(on_sandbox, account=TWITTER.account_id, revoked=True)
    result = account_collect(account_id=cairo.pk)
    assert result.stopped == Unknown.PERMISSION
    daily = AccountDaily.objects.get(account=cairo)
    assert (daily.followers, daily.unknown) == (None, Unknown.PERMISSION)
    snapshot = DeliverySnapshot.objects.get(delivery=delivery)
    assert (snapshot.likes, snapshot.views, snapshot.unknown) == (None, None, Unknown.PERMISSION)


def test_a_network_that_does_not_answer_is_unknown_then_read_again(on_sandbox):
    cairo = sandbox_account("emb-eg-cairo")
    published(cairo, hours_ago=2)
    TWITTER.fault(on_sandbox, account=TWITTER.account_id, error_rate=1.0)
    result = account_collect(account_id=cairo.pk)
    # The first call failed: stored as unreachable, the rest of the batch waits.
    assert (result.stopped, result.left, result.unknown) == (Unknown.UNREACHABLE, 1, 1)
    assert AccountDaily.objects.get(account=cairo).unknown == Unknown.UNREACHABLE
    assert not DeliverySnapshot.objects.exists()
    requests.delete(f"{on_sandbox}/_sandbox/faults", timeout=5).raise_for_status()
    later = timezone.now() + timedelta(hours=1)
    result = account_collect(account_id=cairo.pk, now=later)
    assert (result.daily, result.snapshots, result.stopped) == (True, 1, "")
    assert AccountDaily.objects.get(account=cairo).unknown == ""


def test_one_failing_account_leaves_the_others_collected(on_sandbox):
    cairo = sandbox_account("emb-eg-cairo")
    tokyo = sandbox_account("emb-jp-tokyo", Network.FACEBOOK)
    broken = SocialAccount.objects.get(pk=cairo.pk)
    broken.sealed_credentials = "not-sealed"
    broken.save(update_fields=["sealed_credentials"])
    claimed = accounts_claim_due()
    assert {c.account_id for c in claimed} == {cairo.pk, tokyo.pk}
    for one in claimed:
        account_collect(account_id=one.account_id, claim=one.claim)
    assert AccountDaily.objects.get(account=cairo).unknown == Unknown.PERMISSION
    tokyo_day = AccountDaily.objects.get(account=tokyo)
    assert tokyo_day.unknown == ""
    assert tokyo_day.followers is not None
    assert not CollectionClaim.objects.exists()  # every claim released


def test_an_account_is_claimed_once_and_a_lost_claim_lapses(on_sandbox):
    cairo = sandbox_account("emb-eg-cairo")
    first = accounts_claim_due()
    assert [c.account_id for c in first] == [cairo.pk]
    assert accounts_claim_due() == []
    later = timezone.now() + timedelta(hours=1)
    again = accounts_claim_due(now=later)
    assert [c.account_id for c in again] == [cairo.pk]
    assert again[0].claim != first[0].claim
    # The lost task's claim is void: it reads nothing.
    assert account_collect(account_id=cairo.pk, claim=first[0].claim).daily is False
    assert not AccountDaily.objects.exists()


def test_the_daily_budget_of_a_network_is_never_exceeded(on_sandbox, settings):
    settings.NETWORK_DAILY_UNITS = {**settings.NETWORK_DAILY_UNITS, "twitter": 2}
    settings.NETWORK_CRISIS_RESERVE = 0
    cairo = sandbox_account("emb-eg-cairo")
    for hours in (2, 3, 4):
        published(cairo, hours_ago=hours, text=f"Message {hours}")
    result = account_collect(account_id=cairo.pk)
    assert (result.stopped, result.left) == ("budget", 2)
    assert NetworkBudget.objects.get(network="twitter").units == 2
    assert DeliverySnapshot.objects.count() == 1
    assert not budget_spend(network="twitter")
    # With the next day's budget, the rest.
    NetworkBudget.objects.all().delete()
    result = account_collect(account_id=cairo.pk)
    assert (result.snapshots, result.stopped) == (2, "")


def test_a_post_gone_from_the_network_is_unknown_and_the_batch_goes_on(on_sandbox):
    cairo = sandbox_account("emb-eg-cairo")
    gone = published(cairo, hours_ago=3, text="Effacé")
    kept = published(cairo, hours_ago=2, text="Gardé")
    Delivery.objects.filter(pk=gone.pk).update(external_id="1999999999999999999")
    account_collect(account_id=cairo.pk)
    assert DeliverySnapshot.objects.get(delivery=gone).unknown == Unknown.GONE
    assert DeliverySnapshot.objects.get(delivery=kept).unknown == ""


def test_the_beat_task_sends_one_task_per_account_on_its_queue(on_sandbox, memory_broker):
    cairo = sandbox_account("emb-eg-cairo")
    tasks.collect_due()
    sent = memory_broker()
    today = timezone.now().date()
    yesterday = today - timedelta(days=1)
    assert [(m["name"], m["args"][0]) for m in sent] == [
        ("analytics.refresh_rollups", [yesterday.isoformat(), today.isoformat()]),
        ("analytics.collect_account", cairo.pk),
    ]
    assert {m["queue"] for m in sent} == {"analytics"}
