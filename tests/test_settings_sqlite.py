"""The embedded default's SQLite file (DESIGN.md "Running"): WAL, so that web, worker and
beat read while one of them writes; IMMEDIATE transactions and a busy timeout, so that
writers queue instead of failing with "database is locked". Checked on a connection the
local settings open, in a child process (whatever database this run uses)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.db import connection

ROOT = Path(__file__).resolve().parent.parent

PROBE = """
import json
import django
django.setup()
from django.db import connection
from django.conf import settings
with connection.cursor() as cursor:
    cursor.execute("PRAGMA journal_mode")
    journal = cursor.fetchone()[0]
    cursor.execute("PRAGMA busy_timeout")
    busy = cursor.fetchone()[0]
    cursor.execute("PRAGMA synchronous")
    synchronous = cursor.fetchone()[0]
print(json.dumps({"journal": journal, "busy_timeout_ms": busy, "synchronous": synchronous,
                  "engine": settings.DATABASES["default"]["ENGINE"],
                  "transaction_mode": connection.transaction_mode}))
"""


@pytest.fixture(scope="module")
def local_sqlite(tmp_path_factory):
    database = tmp_path_factory.mktemp("sqlite") / "hub.sqlite3"
    env = {key: value for key, value in os.environ.items() if not key.startswith(("DATABASE_URL", "CELERY_"))}
    env.update(
        DJANGO_SETTINGS_MODULE="diplomacy_hub.settings.local",
        DATABASE_URL=f"sqlite:///{database}",
        PYTHONPATH=str(ROOT),
    )
    answer = subprocess.run(  # noqa: S603
        [sys.executable, "-c", PROBE],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert answer.returncode == 0, answer.stderr[-3000:]
    return json.loads(answer.stdout.strip().splitlines()[-1])


def test_the_local_settings_open_sqlite_in_wal_mode(local_sqlite):
    assert local_sqlite["engine"] == "django.db.backends.sqlite3"
    assert local_sqlite["journal"] == "wal"


def test_writers_wait_for_each_other_instead_of_failing(local_sqlite):
    assert local_sqlite["busy_timeout_ms"] >= 5000
    assert local_sqlite["transaction_mode"] == "IMMEDIATE"


def test_synchronous_normal_is_safe_with_wal(local_sqlite):
    """NORMAL (1) loses no committed transaction on a crash of the application in WAL mode."""
    assert local_sqlite["synchronous"] == 1


@pytest.mark.django_db
def test_this_runs_sqlite_connection_is_set_up_the_same_way():
    """When this test run itself is on SQLite, its connection too (the suite's workers and
    live tests share the file)."""
    if connection.vendor != "sqlite":
        assert connection.vendor == "postgresql"
        return
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA busy_timeout")
        assert cursor.fetchone()[0] >= 5000
        cursor.execute("PRAGMA journal_mode")
        journal = cursor.fetchone()[0]
    # The suite's SQLite test database is a file (live/stack.py's workers open it), in WAL.
    assert journal == "wal"
