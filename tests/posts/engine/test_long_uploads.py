"""A long upload (a YouTube video sent chunk by chunk) outlives SWEEPER_SENDING_AFTER: while
it reports progress, the sweeper leaves its delivery `sending`; a silent one is still taken
for a dead worker and turned `unknown`."""

from __future__ import annotations

import time
from datetime import timedelta

import pytest
from django.utils import timezone

from channels.adapters.base import Content, Credentials, Published
from posts.models import Delivery
from posts.services.delivery import delivery_publish
from posts.services.dispatch import dispatch_due
from posts.services.sweeper import sweep

from .helpers import accounts, approve, deliveries_of

pytestmark = pytest.mark.django_db
S = Delivery.State
THRESHOLD = 3.0  # SWEEPER_SENDING_AFTER in these tests: a heartbeat at most every 0.3 s


class SlowUpload:
    """An adapter uploading in `chunks` parts. Before each part the upload is made to look as
    old as the sweeper's threshold and more (its start moved back in the database), then the
    sweeper runs, as it would during a long upload; `progress` is called after each part
    when the engine gave one."""

    def __init__(self, *, chunks: int = 3, reports: bool = True) -> None:
        self.chunks = chunks
        self.reports = reports
        self.states_seen: list[str] = []

    def publish(self, credentials: Credentials, content: Content, *, progress=None) -> Published:
        for _part in range(self.chunks):
            time.sleep(0.35)  # one part on the wire
            if progress is not None and self.reports:
                progress()
            Delivery.objects.filter(
                state=S.SENDING, state_changed_at__lt=timezone.now() - timedelta(seconds=0.3)
            ).update(state_changed_at=timezone.now() - timedelta(seconds=THRESHOLD * 2))
            sweep()
            self.states_seen.append(Delivery.objects.get().state)
        return Published(external_id="v123", url="https://www.youtube.com/watch?v=v123")


def _publish_with(adapter, monkeypatch, settings) -> Delivery:
    settings.SWEEPER_SENDING_AFTER = THRESHOLD
    monkeypatch.setattr("posts.services.delivery.adapter_for", lambda account: adapter)
    message = approve(targets=accounts(1))
    dispatch_due()
    (delivery,) = deliveries_of(message)
    delivery_publish(delivery_id=delivery.pk)
    delivery.refresh_from_db()
    return delivery


def test_an_upload_that_reports_progress_is_not_taken_for_dead_by_the_sweeper(broker, monkeypatch, settings):
    upload = SlowUpload(chunks=3)
    delivery = _publish_with(upload, monkeypatch, settings)
    assert upload.states_seen == [S.SENDING] * 3
    assert (delivery.state, delivery.external_id) == (S.SENT, "v123")


def test_a_silent_upload_past_the_threshold_is_turned_unknown_and_its_answer_still_lands(broker, monkeypatch, settings):
    upload = SlowUpload(chunks=2, reports=False)
    delivery = _publish_with(upload, monkeypatch, settings)
    assert upload.states_seen == [S.UNKNOWN, S.UNKNOWN]
    # The worker's answer is better than the sweeper's guess (delivery_mark_sent accepts it).
    assert delivery.state == S.SENT


def test_the_progress_heartbeat_writes_only_for_this_attempts_sending_delivery(broker, monkeypatch, settings):
    from posts.services.delivery import _progress_heartbeat

    settings.SWEEPER_SENDING_AFTER = THRESHOLD
    message = approve(targets=accounts(1))
    dispatch_due()
    (delivery,) = deliveries_of(message)
    long_ago = timezone.now() - timedelta(hours=1)
    Delivery.objects.filter(pk=delivery.pk).update(state=S.SENDING, state_changed_at=long_ago, attempts=2)
    delivery.refresh_from_db()
    progress = _progress_heartbeat(delivery)
    progress()  # within the first tenth of the threshold: no write
    assert Delivery.objects.get(pk=delivery.pk).state_changed_at == long_ago
    older_attempt = Delivery.objects.get(pk=delivery.pk)
    older_attempt.attempts = 1  # an older attempt's upload, still reporting
    stale = _progress_heartbeat(older_attempt)
    time.sleep(0.35)
    stale()
    assert Delivery.objects.get(pk=delivery.pk).state_changed_at == long_ago
    time.sleep(0.35)
    progress()
    assert Delivery.objects.get(pk=delivery.pk).state_changed_at > long_ago
