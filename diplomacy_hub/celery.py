"""The Celery app. Queues: `crisis` (its own worker, so an alert never waits behind
routine work), `publish` and `maintenance`. Configuration lives in settings (CELERY_*)."""

import os

from celery import Celery

from diplomacy_hub import filesystem_broker, redis_broker

filesystem_broker.register()  # whole messages only on the embedded default's broker
redis_broker.register()  # a worker outlives a Redis restart
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "diplomacy_hub.settings.local")

app = Celery("diplomacy_hub")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
