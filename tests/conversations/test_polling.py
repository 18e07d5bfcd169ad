"""Polling: beat claims due cursors once; a poll ingests and moves the cursor in one
transaction; errors back off with jitter, rate limits wait what the network says, an
expired token takes channels' path; one failing account never stalls the others."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.conf import settings as django_settings
from django.core import mail
from django.utils import timezone

from channels.adapters.base import AuthError, RateLimited, TransientError
from channels.adapters.listening import Heard
from channels.models import Network, SocialAccount
from conversations import tasks
from conversations.models import Item, ListenCursor, RawEvent
from conversations.services.polling import account_poll, backoff_seconds, cursors_claim_due, cursors_open
from posts.models import Delivery
from tests.conversations.conftest import heard
from tests.posts.factories import UserFactory, account, approved_message, officer, press_officer

pytestmark = pytest.mark.django_db


@pytest.fixture
def cairo_x(networks):
    return account("emb-eg-cairo", Network.TWITTER, network_account_id="cairo-x")


def claim_one():
    claimed = cursors_claim_due()
    assert len(claimed) == 1
    return claimed[0]


def test_every_connected_account_gets_a_cursor_due_now(cairo_x):
    account("emb-jp-tokyo", Network.FACEBOOK, status=SocialAccount.Status.EXPIRED)
    assert cursors_open() == 1
    cursor = ListenCursor.objects.get()
    assert (cursor.account, cursor.cursor) == (cairo_x, "")
    assert cursor.next_poll_at <= timezone.now()
    assert cursors_open() == 0


def test_a_due_cursor_is_claimed_once(cairo_x):
    first = cursors_claim_due()
    assert len(first) == 1
    assert cursors_claim_due() == []  # claimed, not yet polled


def test_a_claim_lost_with_its_worker_lapses(cairo_x):
    lost = claim_one()
    ListenCursor.objects.update(claimed_until=timezone.now() - timedelta(seconds=1))
    again = claim_one()
    assert again.claim != lost.claim
    assert not account_poll(cursor_id=lost.cursor_id, claim=lost.claim).polled  # the old claim is void


def test_a_poll_ingests_and_moves_the_cursor(cairo_x, networks):
    networks["twitter"].script.append(Heard(items=[heard(external_id="1"), heard(external_id="2")], cursor="since:2"))
    claimed = claim_one()
    outcome = account_poll(cursor_id=claimed.cursor_id, claim=claimed.claim)
    assert outcome.polled
    assert outcome.result.created == 2
    cursor = ListenCursor.objects.get()
    assert (cursor.cursor, cursor.failures, cursor.claim, cursor.claimed_until) == ("since:2", 0, "", None)
    interval = django_settings.LISTEN_INTERVALS["twitter"]
    assert cursor.next_poll_at > timezone.now() + timedelta(seconds=interval - 5)
    assert set(RawEvent.objects.values_list("source", flat=True)) == {RawEvent.Source.POLL}
    # The next poll starts from there.
    ListenCursor.objects.update(next_poll_at=timezone.now())
    claimed = claim_one()
    account_poll(cursor_id=claimed.cursor_id, claim=claimed.claim)
    assert [call["cursor"] for call in networks["twitter"].calls] == ["", "since:2"]


def test_a_poll_asks_for_answers_under_our_recent_posts(cairo_x, networks):
    message = approved_message(
        approver=press_officer(), author=officer("emb-eg-cairo"), mission_or_code="emb-eg-cairo", targets=[cairo_x]
    )
    deliveries = list(Delivery.objects.filter(message=message).order_by("pk"))
    Delivery.objects.filter(pk=deliveries[0].pk).update(
        state=Delivery.State.SENT, external_id="recent", sent_at=timezone.now() - timedelta(days=1)
    )
    Delivery.objects.filter(pk=deliveries[1].pk).update(
        state=Delivery.State.SENT, external_id="too-old", sent_at=timezone.now() - timedelta(days=30)
    )
    claimed = claim_one()
    account_poll(cursor_id=claimed.cursor_id, claim=claimed.claim)
    assert networks["twitter"].calls[0]["our_posts"] == ["recent"]


def test_a_transient_failure_backs_off_and_keeps_the_cursor(cairo_x, networks):
    ListenCursor.objects.create(account=cairo_x, cursor="since:1")
    networks["twitter"].script.extend(
        [TransientError("503 from X", request_sent=True), TransientError("503 again", request_sent=True)]
    )
    for failures in (1, 2):
        ListenCursor.objects.update(next_poll_at=timezone.now())
        claimed = claim_one()
        outcome = account_poll(cursor_id=claimed.cursor_id, claim=claimed.claim)
        assert not outcome.polled
        cursor = ListenCursor.objects.get()
        assert (cursor.cursor, cursor.failures, cursor.claim) == ("since:1", failures, "")
        assert "503" in cursor.last_error
        wait = (cursor.next_poll_at - timezone.now()).total_seconds()
        base = django_settings.LISTEN_BACKOFF_BASE * 2 ** (failures - 1)
        assert base * 0.75 < wait <= base * 1.2 + 1


def test_the_backoff_grows_is_capped_and_jittered():
    waits = {backoff_seconds(3) for _ in range(20)}
    assert len(waits) > 1
    assert all(0.8 * 240 <= wait <= 1.2 * 240 for wait in waits)
    assert backoff_seconds(50) <= django_settings.LISTEN_BACKOFF_MAX * 1.2


def test_a_rate_limit_waits_what_the_network_says(cairo_x, networks):
    networks["twitter"].script.append(RateLimited("429", retry_after=700))
    claimed = claim_one()
    account_poll(cursor_id=claimed.cursor_id, claim=claimed.claim)
    cursor = ListenCursor.objects.get()
    assert cursor.failures == 0
    assert 690 < (cursor.next_poll_at - timezone.now()).total_seconds() <= 700


def test_a_poll_stopped_part_way_keeps_its_items_and_resumes_when_the_network_says(cairo_x, networks):
    networks["twitter"].script.append(Heard(items=[heard(external_id="1")], cursor="page:2", retry_after=120))
    claimed = claim_one()
    assert account_poll(cursor_id=claimed.cursor_id, claim=claimed.claim).result.created == 1
    cursor = ListenCursor.objects.get()
    assert (cursor.cursor, cursor.failures) == ("page:2", 0)
    assert 110 < (cursor.next_poll_at - timezone.now()).total_seconds() <= 120


def test_a_refused_token_marks_the_account_and_tells_the_administrators(
    cairo_x, networks, django_capture_on_commit_callbacks, mail_tasks
):
    UserFactory(roles=["administrator"], email="admin@example.org")
    networks["twitter"].script.append(AuthError("401 Unauthorized: token expired"))
    claimed = claim_one()
    with django_capture_on_commit_callbacks(execute=True):
        account_poll(cursor_id=claimed.cursor_id, claim=claimed.claim)
    mail_tasks.run()
    cairo_x.refresh_from_db()
    assert cairo_x.status == SocialAccount.Status.EXPIRED
    assert len(mail.outbox) == 1
    # No longer polled until reconnected.
    ListenCursor.objects.update(next_poll_at=timezone.now())
    assert cursors_claim_due() == []


def test_one_failing_account_never_stalls_the_others(networks):
    broken = account("emb-eg-cairo", Network.TWITTER, network_account_id="broken")
    working = account("emb-jp-tokyo", Network.FACEBOOK, network_account_id="working")
    networks["twitter"].script.append(ValueError("an SDK surprise"))
    networks["facebook"].script.append(
        Heard(items=[heard(network="facebook", external_id="fb1", thread_id="p")], cursor="after:1")
    )
    claimed = cursors_claim_due()
    assert len(claimed) == 2
    for claim in claimed:
        tasks.poll_account(claim.cursor_id, claim.claim)  # the task, run in this process
    assert list(Item.objects.values_list("external_id", flat=True)) == ["fb1"]
    assert ListenCursor.objects.get(account=working).cursor == "after:1"
    failed = ListenCursor.objects.get(account=broken)
    assert (failed.failures, failed.last_error) == (1, "error: ValueError")


def test_a_bad_item_in_a_poll_does_not_lose_the_page(cairo_x, networks):
    networks["twitter"].script.append(
        Heard(items=[heard(external_id="1", kind="like"), heard(external_id="2")], cursor="since:2")
    )
    claimed = claim_one()
    outcome = account_poll(cursor_id=claimed.cursor_id, claim=claimed.claim)
    assert (outcome.result.rejected, outcome.result.created) == (1, 1)
    assert ListenCursor.objects.get().cursor == "since:2"


def test_beat_sends_one_poll_per_due_account(networks, monkeypatch):
    accounts = [account(code, Network.TWITTER) for code in ("emb-eg-cairo", "emb-jp-tokyo", "emb-de-berlin")]
    sent = []
    monkeypatch.setattr(tasks.poll_account, "delay", lambda *args: sent.append(args))
    tasks.poll_due()
    assert len(sent) == len(accounts)
    assert len({cursor_id for cursor_id, _claim in sent}) == len(accounts)
    tasks.poll_due()
    assert len(sent) == len(accounts)  # all claimed: nothing sent twice


def test_the_tasks_go_to_the_listening_queue_and_beat_ticks_them():
    from diplomacy_hub.celery import app

    for name in ("conversations.poll_due", "conversations.poll_account"):
        assert app.amqp.router.route({}, name)["queue"].name == "listen"
    entry = django_settings.CELERY_BEAT_SCHEDULE["conversations-poll-due"]
    assert (entry["task"], entry["options"]["queue"]) == ("conversations.poll_due", "listen")
