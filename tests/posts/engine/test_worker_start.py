"""A crisis worker's start: what every delivery shares is built then, and the cyclic
collector no longer walks what start-up loaded (posts.tasks._worker_ready)."""

import gc
from types import SimpleNamespace

import pytest

from channels.adapters import youtube
from posts import tasks
from posts.models import Heartbeat

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_started_worker_has_youtubes_collection_and_a_settled_collector(monkeypatch):
    monkeypatch.setattr(youtube, "_videos_collection", None)
    threshold = gc.get_threshold()
    try:
        tasks._worker_ready(sender=SimpleNamespace(hostname="crisis1@test"))
        assert youtube._videos_collection is not None
        assert gc.get_freeze_count() > 0
        assert gc.get_threshold()[0] == tasks.WORKER_GC_THRESHOLD
    finally:
        gc.unfreeze()
        gc.set_threshold(*threshold)
    assert Heartbeat.objects.filter(name="worker:crisis1@test").exists()
