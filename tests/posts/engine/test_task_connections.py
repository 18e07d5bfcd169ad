"""Around each task the worker drops connections it cannot trust, but an eager run (apply())
is its caller's own code inside its caller's transaction: that connection stays open."""

import pytest
from django.db import connection

from posts.tasks import sweep
from tests.posts.factories import officer

pytestmark = pytest.mark.django_db


def test_an_eager_task_leaves_its_callers_transaction_open():
    author = officer("emb-eg-cairo")
    assert connection.in_atomic_block
    sweep.apply().get()
    author.refresh_from_db()  # "connection already closed" if the task closed it
    assert connection.connection is not None
