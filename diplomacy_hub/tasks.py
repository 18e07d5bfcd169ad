"""The one task decorator of every app (Sentry's): a stable `name=` is required, since a
rolling deploy sends by name to old and new workers alike; the queue comes from routing
(CELERY_TASK_ROUTES), never from the task (`queue=` on a task is deprecated); JSON only,
late acks, no result."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from celery import shared_task

_NAME = re.compile(r"[a-z_]+\.[a-z_]+")
DEFAULTS = {"acks_late": True, "reject_on_worker_lost": True, "ignore_result": True, "serializer": "json"}


def task(*, name: str, **options: Any) -> Callable:
    """`@task(name="posts.publish_delivery")`: a Celery shared task with our defaults."""
    if not isinstance(name, str) or not _NAME.fullmatch(name):
        raise TypeError(f"A task needs a stable dotted name, like 'posts.sweep': got {name!r}.")
    if "queue" in options:
        raise TypeError(f"{name}: give the queue in CELERY_TASK_ROUTES, not on the task.")
    return shared_task(name=name, **(DEFAULTS | options))
