"""The live-process fixtures: `live_stack` (a LiveStack on the test's database, broker and
a reset sandbox), `live_sandbox` (one sandbox process per session) and
`_live_database_keeper`. The machinery is the `live` package (live/stack.py), shared with
the benchmarks and the drill."""

from __future__ import annotations

import importlib
import json

import pytest
from django.apps import apps as django_apps
from django.contrib.auth.models import Group, Permission
from django.contrib.contenttypes.models import ContentType
from django.db import IntegrityError, connection, transaction

from conversations.models import ServiceTarget
from diplomacy_hub.celery import app
from embassies.missions_csv import read_missions
from embassies.models import Mission
from embassies.roles import Role
from live.stack import (
    LIVE_ENV,
    LiveStack,
    SandboxProcess,
    database_url,
    filesystem_broker_options,
    purge_redis_queues,
    use_broker,
)


@pytest.fixture(scope="session")
def live_sandbox(tmp_path_factory):
    sandbox = SandboxProcess(tmp_path_factory.mktemp("live-sandbox"))
    yield sandbox
    sandbox.stop()


# Data migrations whose rows a flush removes, run again as they are (each is idempotent).
DATA_MIGRATIONS = (
    ("embassies.migrations.0007_weekend_on_friday", "set_weeks"),
    ("conversations.migrations.0006_seed_triage_rules", "seed"),
)


def _migration_data_missing() -> bool:
    return not Mission.objects.exists() or not ServiceTarget.objects.exists()


def _load_migration_data() -> None:
    """What the data migrations load: the 271 missions, the role groups, the missions'
    working weeks and triage's first rules."""
    for row in read_missions():
        code = row.pop("code")
        Mission.objects.update_or_create(code=code, defaults=row)
    for role in Role.values:
        Group.objects.get_or_create(name=role)
    for module, function in DATA_MIGRATIONS:
        getattr(importlib.import_module(module), function)(django_apps, None)


@pytest.fixture
def _live_database_keeper(django_db_setup, django_db_blocker):
    """Set up before the test database fixture, so torn down after its flush: puts back
    the rows the migrations loaded (missions, role groups) for the tests that follow and
    for the next --reuse-db session. If an earlier run left the database without them,
    they are loaded again first (and become what serialized rollbacks restore)."""
    with django_db_blocker.unblock():
        if _migration_data_missing():
            _load_migration_data()
            connection._test_serialized_contents = connection.creation.serialize_db_to_string()
    yield
    contents = getattr(connection, "_test_serialized_contents", None)
    with django_db_blocker.unblock():
        if contents:
            _restore(contents)
        if _migration_data_missing():
            _load_migration_data()


def _restore(contents: str) -> None:
    """Put the serialized rows back under their own ids, which the next test's serialized
    rollback writes again (as updates, then). A flush that ran the post_migrate handlers (a
    test without serialized rollback) re-created the content types and permissions under
    new ids: those are replaced by the serialized ones. Loaded under other ids, a row would
    be there twice by its natural key (a role group's name, a content type), and the next
    journey's setup would fail, whatever ran before it."""
    try:
        with transaction.atomic():
            connection.creation.deserialize_db_from_string(contents)
        return
    except IntegrityError:
        pass
    with transaction.atomic():
        Permission.objects.all().delete()
        ContentType.objects.all().delete()
        connection.creation.deserialize_db_from_string(contents)
    ContentType.objects.clear_cache()


@pytest.fixture
def live_stack(
    _live_database_keeper, transactional_db, django_db_serialized_rollback, live_sandbox, tmp_path, settings
):
    """A LiveStack on this test's database, broker and a reset sandbox (no process of
    ours started yet: the test starts the workers and beat it needs)."""

    settings.SANDBOX_URL = live_sandbox.url
    broker_url = app.conf.broker_url or settings.CELERY_BROKER_URL
    env = {
        **LIVE_ENV,
        "DATABASE_URL": database_url(connection.settings_dict),
        "CELERY_BROKER_URL": broker_url,
        "SANDBOX_URL": live_sandbox.url,
        "LIVE_MAIL_DIR": str(tmp_path / "mail"),
    }
    previous_options = app.conf.broker_transport_options
    if broker_url.startswith("filesystem://"):
        options = filesystem_broker_options(tmp_path / "broker")
        env["LIVE_BROKER_OPTIONS"] = json.dumps(options)
        use_broker(app, options)
    elif broker_url.startswith("redis"):
        purge_redis_queues(broker_url)
    stack = LiveStack(tmp_path=tmp_path, sandbox_url=live_sandbox.url, env=env, broker_url=broker_url)
    stack.sandbox_reset()
    try:
        yield stack
    finally:
        # The test is over: no need for a warm shutdown (an idle worker takes ~4 s).
        stack.stop(grace=0)
        if broker_url.startswith("filesystem://"):
            use_broker(app, previous_options)
        stack.sandbox_reset()
