"""Fixtures and hooks shared by the whole suite.

- The sandbox networks, served from a thread of the test process.
- CI_NO_SKIPS=1 (set by .ci/run): a session in which any test was skipped fails, listing
  them. CI runs on PostgreSQL and Redis and promises the whole suite; a skip there is a
  hole, never a pass.
- `@pytest.mark.postgresql`: a test that only means something on PostgreSQL. Elsewhere it
  is skipped with that reason, so the gate above makes CI fail loudly if it ever runs on
  another database.
- `memory_broker`: the Celery app on kombu's in-memory transport for one test, what was sent
  read back with `drain()`; `mail_tasks` on top of it runs the queued `mail.send` tasks, as
  a worker would, so that a test sees in `mailoutbox` what left after commit.
- On SQLite, the flush that empties the tables after a transactional test lifts the audit
  table's append-only triggers for its own statements (PostgreSQL's flush is a TRUNCATE,
  which fires no row trigger): audit/migrations/0003_append_only_trigger_sqlite.py.
"""

from __future__ import annotations

import importlib
import os

import pytest
from celery import current_app
from celery.signals import before_task_publish
from django.conf import settings
from django.utils import translation

_SKIPPED: list[tuple[str, str]] = []


def pytest_configure(config):
    config.addinivalue_line(
        "markers",
        "postgresql: the test needs PostgreSQL (skipped elsewhere; CI_NO_SKIPS=1 turns that skip into a failure)",
    )
    config.addinivalue_line(
        "markers",
        "serial: under xdist, runs in the serial group (with e2e, processes and chaos): never beside another of them",
    )
    if not config.pluginmanager.hasplugin("xdist"):  # -p no:xdist: the groups below mean nothing, but exist
        config.addinivalue_line("markers", "xdist_group(name): pytest-xdist's group (--dist loadgroup)")
    _lift_audit_triggers_during_sqlite_flush()


# Tests that start processes, drive the browser or pause the shared Redis: under `make test`'s
# two xdist workers (--dist loadgroup) they form one group, run one after the other by one
# worker, while the other worker runs the rest (README.md, "make test").
SERIAL_MARKERS = ("e2e", "processes", "chaos", "serial")


@pytest.hookimpl(tryfirst=True)  # before xdist's own hook, which reads the groups
def pytest_collection_modifyitems(config, items):
    from django.conf import settings

    for item in items:
        if any(item.get_closest_marker(name) for name in SERIAL_MARKERS):
            item.add_marker(pytest.mark.xdist_group("serial"))
    if "postgresql" in settings.DATABASES["default"]["ENGINE"]:
        return
    skip = pytest.mark.skip(reason="needs PostgreSQL (DATABASE_URL=postgres://...); CI runs it")
    for item in items:
        if item.get_closest_marker("postgresql"):
            item.add_marker(skip)


# A test adds a line to the run's summary with `request.node.user_properties.append((SUMMARY_SECTION
# + "title", line))`: it travels in the test's report, so it is printed under xdist too (the
# chaos scenarios' numbers, tests/chaos/conftest.py).
SUMMARY_SECTION = "summary:"
_SUMMARY: dict[str, list[str]] = {}


def pytest_runtest_logreport(report):
    # An expected failure (xfail) is reported as skipped too, with `wasxfail`: not a skip.
    if report.skipped and not hasattr(report, "wasxfail"):
        reason = report.longrepr[2] if isinstance(report.longrepr, (tuple, list)) else str(report.longrepr)
        _SKIPPED.append((report.nodeid, reason))
    if report.when == "call":
        for name, line in report.user_properties:
            if name.startswith(SUMMARY_SECTION):
                _SUMMARY.setdefault(name.removeprefix(SUMMARY_SECTION), []).append(line)


def _gate_closed() -> bool:
    return os.environ.get("CI_NO_SKIPS") == "1" and bool(_SKIPPED)


def pytest_sessionfinish(session, exitstatus):
    if _gate_closed():
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    for title, lines in _SUMMARY.items():
        terminalreporter.section(title)
        for line in lines:
            terminalreporter.write_line(line)
    if _gate_closed():
        terminalreporter.write_sep("=", f"CI_NO_SKIPS=1: {len(_SKIPPED)} skipped test(s) fail this run", red=True)
        for nodeid, reason in _SKIPPED:
            terminalreporter.write_line(f"SKIPPED {nodeid}: {reason}")


def _lift_audit_triggers_during_sqlite_flush() -> None:
    from django.db.backends.sqlite3.base import DatabaseOperations  # base first: it imports operations

    if getattr(DatabaseOperations.sql_flush, "lifts_audit_triggers", False):
        return
    migration = importlib.import_module("audit.migrations.0003_append_only_trigger_sqlite")
    original = DatabaseOperations.sql_flush

    def sql_flush(self, style, tables, *args, **kwargs):
        statements = original(self, style, tables, *args, **kwargs)
        if not any("audit_auditevent" in statement for statement in statements):
            return statements
        return [*migration.SQLITE_DROP, *statements, *migration.SQLITE_CREATE]

    sql_flush.lifts_audit_triggers = True
    DatabaseOperations.sql_flush = sql_flush


@pytest.fixture(scope="session")
def sandbox_server():
    """The sandbox networks, served from a thread of the test process on a free port."""
    from django.conf import settings

    from channels.sandbox.server import SandboxServer

    server = SandboxServer(host="127.0.0.1", port=0)
    # The Flickr consumers whose signatures it checks: the settings' and the adapter tests'.
    flickr = settings.SOCIAL_APPS["flickr"]
    server.state.register_app("flickr", flickr["client_id"], flickr["client_secret"])
    server.state.register_app("flickr", "dh-flickr-key", "dh-flickr-secret")
    # The Facebook apps whose appsecret_proof it checks: the settings' and the adapter tests'.
    facebook = settings.SOCIAL_APPS["facebook"]
    server.state.register_app("facebook", facebook["client_id"], facebook["client_secret"])
    server.state.register_app("facebook", "dh-fb-app", "dh-fb-secret")
    server.start()
    yield server
    server.stop()


@pytest.fixture
def sandbox(sandbox_server):
    """The sandbox, emptied of everything received and of every fault before each test."""
    sandbox_server.reset()
    yield sandbox_server
    sandbox_server.reset()


@pytest.fixture
def sandbox_url(sandbox) -> str:
    return sandbox.url


QUEUES = ("crisis", "publish", "maintenance", "listen", "analytics")


@pytest.fixture
def memory_broker(monkeypatch):
    """The app on kombu's in-memory transport for one test; what it sends is read back with
    `drain()` (the serialized bodies and headers, as the broker holds them)."""
    conf = current_app.conf
    saved = {key: conf[key] for key in ("broker_url", "broker_write_url", "broker_transport_options")}

    def fresh_pools() -> None:
        current_app._pool = None
        current_app.amqp._producer_pool = None

    monkeypatch.setenv("CELERY_BROKER_URL", "memory://")
    monkeypatch.delenv("CELERY_BROKER_WRITE_URL", raising=False)
    conf.broker_url, conf.broker_write_url, conf.broker_transport_options = "memory://", None, {}
    fresh_pools()
    published: list[str] = []

    def record(sender=None, body=None, headers=None, **kwargs):
        published.append(sender)

    before_task_publish.connect(record, weak=False)

    def drain() -> list[dict]:
        messages = []
        with current_app.connection_for_write() as connection:
            channel = connection.default_channel
            for queue in QUEUES:
                channel.queue_declare(queue=queue)
                while (message := channel.basic_get(queue, no_ack=True)) is not None:
                    messages.append(
                        {
                            "queue": queue,
                            "name": message.headers.get("task"),
                            "raw": message.body if isinstance(message.body, str) else message.body.decode(),
                            "headers": message.headers,
                            "args": message.decode()[0],
                            "kwargs": message.decode()[1],
                        }
                    )
        return messages

    drain()  # nothing left from before
    drain.published = published
    yield drain
    before_task_publish.disconnect(record)
    for key, value in saved.items():
        conf[key] = value
    fresh_pools()


class MailTasks:
    """The `mail.send` tasks on the memory broker: `run()` drains them and runs each, in this
    process, with the arguments the broker carried (the real task body, as a worker would).
    Other tasks drained on the way are kept in `others`."""

    def __init__(self, drain) -> None:
        self.drain = drain
        self.others: list[dict] = []

    def queued(self) -> list[dict]:
        messages = self.drain()
        self.others += [message for message in messages if message["name"] != "mail.send"]
        return [message for message in messages if message["name"] == "mail.send"]

    def run(self) -> int:
        queued = self.queued()
        for message in queued:
            current_app.tasks["mail.send"].run(**message["kwargs"])
        return len(queued)


@pytest.fixture
def mail_tasks(memory_broker) -> MailTasks:
    return MailTasks(memory_broker)


@pytest.fixture(autouse=True)
def _triage_rules_read_afresh():
    """Triage keeps its rules per process (conversations.services.triage.rules): each test
    reads what its own database holds."""
    from conversations.services import triage  # start-up: Django is set up after this module loads

    triage.rules_changed()
    yield
    triage.rules_changed()


@pytest.fixture(autouse=True)
def _language_of_the_settings():
    """Each test starts in the settings' language: a French request activates French in the
    test's thread, and without this the next test would read French where it expects English."""
    translation.activate(settings.LANGUAGE_CODE)
    yield
    translation.activate(settings.LANGUAGE_CODE)
