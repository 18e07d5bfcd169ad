"""The fault drill: `make drill`, or `python -m live.drill [--scenario NAME ...] [--full]`.

Runs the chaos scenarios (live/scenarios.py) against a stack it starts itself, on
loopback only, and prints one JSON line per scenario on stdout:

    {"scenario", "expected", "sent", "failed", "settled", "duplicates", "lost", "seconds", "ok"}

(with "problems" and "logs" when something is wrong, "skipped" when a scenario does not
apply). Exits 1 if any scenario lost or duplicated anything (or broke one of its own
expectations), 0 otherwise. Progress goes to stderr.

The stack:
- a scratch database: a fresh SQLite file by default; with DATABASE_URL=postgres://...,
  scratch databases on that server (a migrated template, one copy per scenario, dropped
  afterwards): the database named in DATABASE_URL itself is never touched;
- the broker: the filesystem one (folders of its own) by default, or CELERY_BROKER_URL's
  Redis (its engine queues emptied first); the Redis scenarios always start a
  redis-server of their own on a free port;
- one sandbox process; workers and beat per scenario, through live/stack.py's process
  classes, with the scenarios' engine timings (harness.CHAOS_ENV, CHAOS_ENV_FULL).

`--full` runs the full sizes (1,084 deliveries to 271 missions on four networks, three
kills...); without it, the short versions the test suite runs. Every scenario stops by
itself: its own deadlines, and a hard limit (--limit seconds, SIGALRM) above them.
pg_terminate needs PostgreSQL: on SQLite it is reported as skipped, with the reason.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import shutil
import signal
import sqlite3
import sys
import tempfile
import time
import traceback
from pathlib import Path

import django
from django.conf import settings
from django.core.management import call_command
from django.db import connection, connections
from django.test.utils import setup_test_environment

from live import harness, scenarios
from live.scenarios import SCENARIOS
from live.stack import (
    LiveStack,
    RedisServer,
    SandboxProcess,
    database_url,
    filesystem_broker_options,
    purge_redis_queues,
    restore_broker,
    use_broker,
    use_redis_broker,
)

REPO = Path(__file__).resolve().parent.parent.parent
SUMMARY_KEYS = ("scenario", "expected", "sent", "failed", "settled", "duplicates", "lost", "seconds")


class DrillTimeout(Exception):
    pass


def _say(text: str) -> None:
    sys.stderr.write(text + "\n")
    sys.stderr.flush()


def _arguments(argv: list[str], names: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m live.drill", description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--scenario",
        action="append",
        choices=names,
        metavar="NAME",
        help=f"run only this scenario (repeatable): {', '.join(names)}",
    )
    parser.add_argument("--full", action="store_true", help="full sizes (make drill passes it)")
    parser.add_argument(
        "--limit", type=float, default=None, help="hard limit per scenario, seconds (default 300, or 900 with --full)"
    )
    parser.add_argument(
        "--keep",
        action="store_true",
        help="keep the work folder (logs, SQLite files) and the PostgreSQL scratch databases",
    )
    parser.add_argument("--details", action="store_true", help="add each verdict's details to its line")
    return parser.parse_args(argv)


def _prepare_environment(workdir: Path) -> tuple[str | None, str | None]:
    """Before Django starts: test settings, no test-database slot, media in the work folder;
    returns (the PostgreSQL DATABASE_URL given or None, the Redis broker given or None)."""
    given_database = os.environ.get("DATABASE_URL", "")
    given_broker = os.environ.get("CELERY_BROKER_URL", "")
    os.environ["DJANGO_SETTINGS_MODULE"] = "diplomacy_hub.settings.test"
    os.environ["LIVE_CHILD"] = "1"  # diplomacy_hub/settings/test.py: no test-database slot
    os.environ["MEDIA_ROOT"] = str(workdir / "media")
    postgres = given_database if given_database.startswith(("postgres://", "postgresql://", "pgsql://")) else None
    if given_database and not postgres:
        _say(f"DATABASE_URL is not PostgreSQL ({given_database.split(':', 1)[0]}): using scratch SQLite files.")
    if postgres:
        os.environ["DATABASE_URL"] = postgres  # the template is created on this server (below)
    else:
        os.environ["DATABASE_URL"] = f"sqlite:///{workdir / 'template.sqlite3'}"
    redis = given_broker if given_broker.startswith(("redis://", "rediss://")) else None
    if given_broker and not redis:
        _say(f"CELERY_BROKER_URL is not Redis ({given_broker.split(':', 1)[0]}): using the filesystem broker.")
    if redis:
        os.environ["CELERY_BROKER_URL"] = redis
    else:
        os.environ.pop("CELERY_BROKER_URL", None)
    return postgres, redis


class Databases:
    """A migrated template, and one scratch copy per scenario."""

    def __init__(self, workdir: Path, postgres: bool) -> None:
        self.workdir = workdir
        self.postgres = postgres
        self.settings = connection.settings_dict
        self.base = self.settings["NAME"]
        self.prefix = f"{self.base}_drill_{os.getpid()}"[:50]
        self.created: list[str] = []

    def _switch(self, name: str) -> None:
        connections.close_all()
        self.settings["NAME"] = name

    def _admin(self, sql: str) -> None:
        with connection._nodb_cursor() as cursor:
            cursor.execute(sql)

    def make_template(self) -> None:
        if self.postgres:
            template = f"{self.prefix}_tpl"
            self._admin(f'DROP DATABASE IF EXISTS "{template}"')
            self._admin(f'CREATE DATABASE "{template}"')
            self.created.append(template)
            self._switch(template)
        else:
            self._switch(str(self.workdir / "template.sqlite3"))
        call_command("migrate", verbosity=0, interactive=False)
        self.template = self.settings["NAME"]
        self._switch(self.template)

    def fresh(self, scenario: str) -> str:
        connections.close_all()
        if self.postgres:
            name = f"{self.prefix}_{scenario}"[:63]
            self._admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            self._admin(f'CREATE DATABASE "{name}" TEMPLATE "{self.template}"')
            self.created.append(name)
        else:
            name = str(self.workdir / f"{scenario}.sqlite3")
            source, target = sqlite3.connect(self.template), sqlite3.connect(name)
            with target:
                source.backup(target)
            source.close()
            target.close()
        self._switch(name)
        return name

    def drop(self, name: str) -> None:
        connections.close_all()
        if self.postgres:
            self._admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            if name in self.created:
                self.created.remove(name)

    def drop_all(self) -> None:
        if self.postgres:
            for name in list(self.created):
                try:
                    self.drop(name)
                except Exception as error:  # reported, never hides the drill's verdict
                    _say(f"Could not drop {name}: {error}")


def _kill_quietly(stack) -> None:
    """SIGKILL every process the stack started (by pid); their logs stay in the work folder."""
    for process in stack.processes:
        if process.running:
            process.signal(signal.SIGKILL)
    for process in stack.processes:
        try:
            process.popen.wait(10)
        except Exception as error:
            _say(f"{process.name} did not end: {error}")


def _run_one(
    name: str, *, args, workdir: Path, databases: Databases, sandbox, redis_given: str | None, limit: float
) -> dict:

    # start-up: Django is set up in main(), once the drill has chosen its database.
    from diplomacy_hub.celery import app

    need = scenarios.NEEDS.get(name)
    if need == "postgres" and not databases.postgres:
        return {"scenario": name, "skipped": "needs PostgreSQL: run with DATABASE_URL=postgres://...", "ok": True}
    folder = workdir / name
    folder.mkdir(parents=True, exist_ok=True)
    settings.SANDBOX_URL = sandbox.url
    database = databases.fresh(name)
    redis = None
    previous_broker = None
    previous_options = app.conf.broker_transport_options
    env = {
        **(harness.CHAOS_ENV_FULL if args.full else harness.CHAOS_ENV),
        "SANDBOX_URL": sandbox.url,
        "LIVE_MAIL_DIR": str(folder / "mail"),
        "MEDIA_ROOT": settings.MEDIA_ROOT,
        "DATABASE_URL": database_url(connection.settings_dict),
    }
    if need == "redis":
        redis = RedisServer(folder / "redis")
        redis.start()
        previous_broker = use_redis_broker(app, redis.url())
        broker_url = redis.url()
    elif redis_given:
        purge_redis_queues(redis_given)
        broker_url = redis_given
    else:
        options = filesystem_broker_options(folder / "broker")
        env["LIVE_BROKER_OPTIONS"] = json.dumps(options)
        use_broker(app, options)
        broker_url = "filesystem://"
    env["CELERY_BROKER_URL"] = broker_url
    stack = LiveStack(tmp_path=folder, sandbox_url=sandbox.url, env=env, broker_url=broker_url)
    chaos = scenarios.Chaos(stack=stack, full=args.full, redis=redis, postgres=databases.postgres, workdir=folder)

    def alarm(signum, frame):
        raise DrillTimeout(f"{name} passed its hard limit of {limit:g} s")

    started = time.monotonic()
    result: dict
    previous_handler = signal.signal(signal.SIGALRM, alarm)
    signal.alarm(int(limit))
    try:
        stack.sandbox_reset()
        verdict = scenarios.SCENARIOS[name](chaos)
        signal.alarm(0)
        result = {key: verdict.summary()[key] for key in SUMMARY_KEYS}
        result["ok"] = verdict.ok
        if not verdict.ok:
            result["problems"] = verdict.problems
        if args.details or not verdict.ok:
            result["refused_duplicates"] = verdict.refused_duplicates
            result["details"] = verdict.details
    except scenarios.NotApplicable as reason:
        signal.alarm(0)
        result = {"scenario": name, "skipped": str(reason), "ok": True}
    except Exception as error:
        signal.alarm(0)
        result = {
            "scenario": name,
            "expected": None,
            "sent": None,
            "failed": None,
            "settled": None,
            "duplicates": None,
            "lost": None,
            "seconds": round(time.monotonic() - started, 1),
            "ok": False,
            "problems": [f"{type(error).__name__}: {error}"],
        }
        (folder / "error.txt").write_text(traceback.format_exc())
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous_handler)
        _kill_quietly(stack)
        if previous_broker is not None:
            restore_broker(app, previous_broker)
        elif not redis_given:
            use_broker(app, previous_options)
        if redis is not None:
            redis.stop()
        try:
            stack.sandbox_reset()
        except Exception as error:
            _say(f"Could not reset the sandbox: {error}")
    if not result["ok"]:
        result["logs"] = str(folder)
    (folder / "verdict.json").write_text(json.dumps(result, indent=2, default=str))
    if result["ok"] and databases.postgres:
        databases.drop(database)
    return result


def main(argv: list[str] | None = None) -> int:
    names = list(SCENARIOS)
    args = _arguments(sys.argv[1:] if argv is None else argv, names)
    chosen = args.scenario or names
    limit = args.limit or (900.0 if args.full else 300.0)
    workdir = Path(tempfile.mkdtemp(prefix="dh-drill-"))
    postgres, redis_given = _prepare_environment(workdir)
    sys.path.insert(0, str(REPO))
    os.chdir(REPO)
    began = time.monotonic()

    django.setup()

    setup_test_environment()  # the test client's host, mail kept in memory in this process

    logging.getLogger().setLevel(logging.WARNING)  # this process's audit lines would drown the summary

    databases = Databases(workdir, postgres=bool(postgres))
    _say(
        f"Drill ({'full' if args.full else 'short'}) in {workdir}: database "
        f"{'PostgreSQL' if postgres else 'SQLite'}, broker {'Redis' if redis_given else 'filesystem'}; "
        f"scenarios: {', '.join(chosen)}."
    )
    results: list[dict] = []
    sandbox = None
    try:
        databases.make_template()
        sandbox = SandboxProcess(workdir / "logs")
        for name in chosen:
            _say(f"--- {name}")
            result = _run_one(
                name,
                args=args,
                workdir=workdir,
                databases=databases,
                sandbox=sandbox,
                redis_given=redis_given,
                limit=limit,
            )
            results.append(result)
            sys.stdout.write(json.dumps(result, default=str) + "\n")
            sys.stdout.flush()
    finally:
        if sandbox is not None:
            sandbox.stop()
        if not args.keep:
            databases.drop_all()
    failed = [result["scenario"] for result in results if not result["ok"]]
    total = time.monotonic() - began
    _say(
        f"Drill finished in {total:.0f} s: {len(results) - len(failed)} of {len(results)} scenarios clean"
        + (f"; NOT clean: {', '.join(failed)} (logs under {workdir})." if failed else ".")
    )
    if not failed and not args.keep:
        shutil.rmtree(workdir, ignore_errors=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
