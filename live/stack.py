"""The live-process harness: real sandbox, worker and beat processes on the test's database.

For tests that must prove what only real processes show (exactly-once through a real
broker, a worker killed mid-call, a Redis restart...), the `live_stack` fixture
(tests/live.py) gives a `LiveStack`; the benchmarks and the drill build their own:

    def test_fan_out(live_stack):
        live_stack.start_worker(queues="crisis")                     # -P threads
        live_stack.start_worker(queues="publish,maintenance")
        live_stack.start_beat()                                      # optional
        ... approve a message (in the test process: its kick goes to the same broker) ...
        live_stack.wait_until(lambda: all_sent(message), timeout=30, what="all sent")
        assert live_stack.sandbox_counts() == ...

What it sets up, and how the children are told:

- Database: the test's own (pytest-django `transactional_db`, so the children see what
  the test commits). On SQLite the test database is a file (diplomacy_hub/settings/test.py);
  on PostgreSQL it is `test_<name>`. Children get it as DATABASE_URL, built from
  `connection.settings_dict`. After the test, the flush empties the tables and the
  harness puts back what the migrations had loaded (the 271 missions, the role groups),
  so that tests after it, and the next `--reuse-db` session, find them.
- Broker: CELERY_BROKER_URL of the test process. The filesystem broker (the embedded
  default) gets folders of its own under the test's tmp_path, in the children and in the
  test process alike (`use_broker`); a Redis broker has its queues emptied first.
- Sandbox: `python manage.py run_sandbox --port <free port>`, one process for the test
  session, reset (received items and faults) before each test; SANDBOX_URL points at it.
- Settings: short engine timings for the children (LIVE_ENV below, through the
  environment: dispatcher and sweeper every second, sweeper thresholds of seconds, fast
  backoff, a 2 s network read timeout), overridable per test with `env=` on start_worker
  / start_beat or `live_stack.env.update(...)` before starting; mail goes to files under
  tmp_path (`live_stack.emails()`).
- Children run `python -m live.stack <celery arguments>`: the real Celery command line
  (`app.start`), after pointing the app at the test's broker folders and mail folder.
  Workers use the threads pool, as in production.
- Readiness: a worker is ready when its log says "ready."; beat when it logs its start;
  the sandbox when its control API answers.
- Teardown: SIGKILL for every process it started (by pid, never by name): the test is
  over, a warm shutdown would only cost seconds (`stop(grace=5)` or `stop_process()` do
  SIGTERM first, then SIGKILL). Each process's log is printed at teardown (pytest shows it for
  failed tests) and kept under tmp_path.

Helpers: `start()` (the usual workers, and beat, side by side), `start_worker()`,
`start_beat()`, `kill_worker(signal)`, `stop_process()`, `wait_until(predicate, timeout)`,
`sandbox_counts()`, `sandbox_received()`, `sandbox_fault(**rule)`, `emails()`.

Fault helpers (at the end; tests/chaos/ uses them): `RedisServer` (a private redis-server
to kill, restart or CLIENT PAUSE), `use_redis_broker()` / `restore_broker()`,
`terminate_pg_backends()`, and the children's LIVE_KILL_AFTER_ACCEPT hook (a worker that
SIGKILLs itself right after a network accepted a post).
"""

from __future__ import annotations

import itertools
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from email import message_from_bytes
from pathlib import Path
from typing import Any, NoReturn
from urllib.parse import quote

import django
import redis
import requests
from django.conf import settings
from django.db import connection
from kombu import pools

REPO = Path(__file__).resolve().parent.parent
SETTINGS_MODULE = "diplomacy_hub.settings.test"

# The engine's timings for live tests (seconds): fast enough for a 3-minute suite, with the
# same order as production (read timeout < sending threshold, dispatcher tick < queued
# threshold).
LIVE_ENV = {
    "DISPATCH_INTERVAL": "1",
    "SWEEP_INTERVAL": "1",
    "SWEEPER_QUEUED_AFTER": "6",
    "SWEEPER_SENDING_AFTER": "8",
    "RECONCILE_DELAY": "1",
    "RECONCILE_RETRY_DELAY": "1",
    "RECONCILE_MAX_ROUNDS": "3",
    "RECONCILE_MARGIN": "60",
    "PUBLISH_BACKOFF_BASE": "0.3",
    "PUBLISH_BACKOFF_MAX": "2",
    "NETWORK_CONNECT_TIMEOUT": "2",
    "NETWORK_READ_TIMEOUT": "2",
    "HEALTH_DISPATCHER_MAX_AGE": "10",
    "HEALTH_WORKER_MAX_AGE": "10",
}

STOP_GRACE_SECONDS = 5.0


# --- Waiting ------------------------------------------------------------------------------------------


class LiveFailure(AssertionError):
    """A process did not do what was waited for: a test fails with it, the drill reports it."""


def fail(text: str) -> NoReturn:
    raise LiveFailure(text)


def wait_until(
    predicate: Callable[[], Any], timeout: float = 30.0, *, interval: float = 0.2, what: str = "the condition"
) -> Any:
    """Call `predicate` until it returns something truthy, and return that; fail the test
    after `timeout` seconds, saying what was awaited and what it last returned."""
    deadline = time.monotonic() + timeout
    last: Any = None
    while True:
        last = predicate()
        if last:
            return last
        if time.monotonic() > deadline:
            fail(f"Waited {timeout:g} s for {what}; last value: {last!r}")
        time.sleep(interval)


_port_turn = itertools.count()


def free_port() -> int:
    """A port free now: from LIVE_PORTS ("8600-8699") when set, for people sharing a machine
    who each keep to a range of their own; otherwise one the kernel picks."""
    first, _, last = os.environ.get("LIVE_PORTS", "").partition("-")
    ports = list(range(int(first), int(last or first) + 1)) if first else []
    # Round the range, so that two calls before either port is bound give two ports.
    turn = next(_port_turn)
    for n in range(len(ports)):
        port = ports[(turn + n) % len(ports)]
        with socket.socket() as sock:
            try:
                sock.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


# --- Processes ------------------------------------------------------------------------------------------


@dataclass
class LiveProcess:
    name: str
    kind: str  # worker | beat | sandbox
    popen: subprocess.Popen
    log_path: Path
    queues: str = ""

    @property
    def pid(self) -> int:
        return self.popen.pid

    @property
    def running(self) -> bool:
        return self.popen.poll() is None

    def log(self) -> str:
        try:
            return self.log_path.read_text(errors="replace")
        except FileNotFoundError:
            return ""

    def signal(self, sig: int) -> None:
        if self.running:
            os.kill(self.pid, sig)

    def stop(self, grace: float = STOP_GRACE_SECONDS) -> None:
        """SIGTERM (a warm shutdown), then SIGKILL if it has not ended after `grace` s."""
        if not self.running:
            return
        self.signal(signal.SIGTERM)
        try:
            self.popen.wait(grace)
        except subprocess.TimeoutExpired:
            self.signal(signal.SIGKILL)
            self.popen.wait(5)


def spawn(name: str, kind: str, argv: list[str], env: dict[str, str], log_path: Path, queues: str = "") -> LiveProcess:
    log_path.parent.mkdir(parents=True, exist_ok=True)
    log = open(log_path, "ab")  # noqa: SIM115 (the child keeps it)
    try:
        popen = subprocess.Popen(  # noqa: S603 (our own interpreter and arguments)
            argv,
            cwd=REPO,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
        )
    finally:
        log.close()
    return LiveProcess(name=name, kind=kind, popen=popen, log_path=log_path, queues=queues)


def _base_env() -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if not key.startswith("PYTEST_")}
    env["DJANGO_SETTINGS_MODULE"] = SETTINGS_MODULE
    env["PYTHONPATH"] = str(REPO) + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    env["PYTHONUNBUFFERED"] = "1"
    env["LIVE_CHILD"] = "1"  # takes no test-database slot (diplomacy_hub/settings/test.py)
    return env


# --- The sandbox (one process per test session) ------------------------------------------------


class SandboxProcess:
    def __init__(self, log_dir: Path) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.process = spawn(
            "sandbox",
            "sandbox",
            [sys.executable, "manage.py", "run_sandbox", "--port", str(self.port)],
            _base_env(),
            log_dir / "sandbox.log",
        )
        # As long as a worker gets to be ready: on a loaded machine Django's start takes tens
        # of seconds, and a sandbox that ends fails at once anyway.
        try:
            wait_until(self._answers, timeout=120, what=f"the sandbox on {self.url}")
        except BaseException:
            self.process.stop()  # never left behind, holding its port, by a failed start
            raise

    def _answers(self) -> bool:
        if not self.process.running:
            fail(f"The sandbox process ended:\n{self.process.log()[-3000:]}")
        try:
            return requests.get(f"{self.url}/_sandbox/stats", timeout=1).ok
        except requests.RequestException:
            return False

    def stop(self) -> None:
        self.process.stop()


# --- The broker ---------------------------------------------------------------------------------------


def filesystem_broker_options(folder: Path) -> dict:
    for sub in ("queue", "processed", "control"):
        (folder / sub).mkdir(parents=True, exist_ok=True)
    return {
        "data_folder_in": str(folder / "queue"),
        "data_folder_out": str(folder / "queue"),
        "processed_folder": str(folder / "processed"),
        "control_folder": str(folder / "control"),
        "store_processed": False,
        "polling_interval": 0.1,
    }


def use_broker(app, transport_options: dict) -> None:
    """Point this process's Celery app at other broker transport options (new connections
    and producers; the pools made before are closed)."""
    app.conf.broker_transport_options = transport_options
    if app._pool is not None:
        app._pool.force_close_all()
        app._pool = None
    app.amqp._producer_pool = None
    # kombu also keeps process-wide producer pools keyed by connection URL: one made on the
    # pool closed above would be handed out again ("Acquire on closed pool") to the next
    # producer for the same broker.
    pools.reset()


def purge_redis_queues(url: str) -> None:
    """Empty the engine's queues (and kombu's unacked store) in a Redis broker database."""
    client = redis.Redis.from_url(url, socket_timeout=3, socket_connect_timeout=3)
    client.delete("crisis", "publish", "maintenance", "unacked", "unacked_index", "unacked_mutex")
    client.close()


def database_url(settings_dict: dict) -> str:
    """DATABASE_URL for the children, naming the test database this process uses."""
    engine = settings_dict["ENGINE"]
    name = settings_dict["NAME"]
    if engine == "django.db.backends.sqlite3":
        if not name or str(name).startswith(":memory:") or "mode=memory" in str(name):
            raise RuntimeError("Live tests need a file database: see diplomacy_hub/settings/test.py.")
        return f"sqlite:///{Path(name).resolve()}"
    if "postgresql" in engine:
        user = quote(settings_dict.get("USER") or "", safe="")
        password = quote(settings_dict.get("PASSWORD") or "", safe="")
        credentials = f"{user}:{password}@" if password else (f"{user}@" if user else "")
        host = settings_dict.get("HOST") or "127.0.0.1"
        port = settings_dict.get("PORT") or "5432"
        return f"postgres://{credentials}{host}:{port}/{name}"
    raise RuntimeError(f"No live-test support for {engine}.")


# --- The stack --------------------------------------------------------------------------------------


@dataclass
class LiveStack:
    tmp_path: Path
    sandbox_url: str
    env: dict[str, str]
    broker_url: str
    processes: list[LiveProcess] = field(default_factory=list)
    _numbers: dict[str, int] = field(default_factory=dict)

    # Processes ----------------------------------------------------------------------------------

    def _name(self, kind: str) -> str:
        self._numbers[kind] = self._numbers.get(kind, 0) + 1
        return f"{kind}{self._numbers[kind]}"

    def _child_env(self, extra: dict[str, str] | None) -> dict[str, str]:
        return {**_base_env(), **self.env, **(extra or {})}

    def start_worker(
        self,
        queues: str = "publish,maintenance",
        *,
        concurrency: int = 8,
        name: str | None = None,
        env: dict[str, str] | None = None,
        wait: bool = True,
    ) -> LiveProcess:
        """A Celery worker (threads pool) consuming `queues`; waits until it is ready."""
        name = name or self._name("worker")
        argv = [
            sys.executable,
            "-m",
            "live.stack",
            "worker",
            "-Q",
            queues,
            "-P",
            "threads",
            "-c",
            str(concurrency),
            "-n",
            f"{name}@live",
            "--loglevel",
            "INFO",
            "--without-gossip",
            "--without-mingle",
            "--without-heartbeat",
        ]
        process = spawn(
            name, "worker", argv, self._child_env(env), self.tmp_path / "logs" / f"{name}.log", queues=queues
        )
        self.processes.append(process)
        if wait:
            self.wait_ready(process)
        return process

    def start_beat(self, *, env: dict[str, str] | None = None, wait: bool = True) -> LiveProcess:
        """Celery beat with the engine's schedule (dispatcher and sweeper ticks)."""
        name = self._name("beat")
        argv = [
            sys.executable,
            "-m",
            "live.stack",
            "beat",
            "--loglevel",
            "INFO",
            "--schedule",
            str(self.tmp_path / f"{name}-schedule"),
            "--max-interval",
            "1",
        ]
        process = spawn(name, "beat", argv, self._child_env(env), self.tmp_path / "logs" / f"{name}.log")
        self.processes.append(process)
        if wait:
            self.wait_ready(process)
        return process

    def start(self, *, crisis: int = 4, publish: int = 8, beat: bool = False) -> list[LiveProcess]:
        """The usual set, started side by side: a crisis worker and a publish/maintenance
        worker (threads; 0 leaves one out), and beat if asked. Returns once all are ready."""
        started = []
        if crisis:
            started.append(self.start_worker("crisis", concurrency=crisis, wait=False))
        if publish:
            started.append(self.start_worker("publish,maintenance", concurrency=publish, wait=False))
        if beat:
            started.append(self.start_beat(wait=False))
        for process in started:
            self.wait_ready(process)
        return started

    def wait_ready(self, process: LiveProcess, timeout: float = 120) -> None:
        """Until a worker logs "ready." or beat logs its start."""
        self._wait_for_log(process, " ready." if process.kind == "worker" else "beat: Starting", timeout=timeout)

    def _wait_for_log(self, process: LiveProcess, needle: str, *, timeout: float) -> None:
        def ready() -> bool:
            if not process.running:
                fail(f"{process.name} ended before it was ready:\n{process.log()[-4000:]}")
            return needle in process.log()

        wait_until(ready, timeout=timeout, interval=0.1, what=f"{process.name} to be ready")

    def workers(self, queues: str | None = None) -> list[LiveProcess]:
        return [
            p for p in self.processes if p.kind == "worker" and p.running and (queues is None or p.queues == queues)
        ]

    def kill_worker(
        self, sig: int = signal.SIGKILL, *, name: str | None = None, queues: str | None = None
    ) -> LiveProcess:
        """Send `sig` to a running worker (by name, or the first one on `queues`, or the
        first one) and, for SIGKILL/SIGTERM, wait until it has ended."""
        candidates = [p for p in self.workers(queues) if name is None or p.name == name]
        if not candidates:
            raise LookupError(f"No running worker {name or queues or ''}".strip())
        process = candidates[0]
        process.signal(sig)
        if sig in (signal.SIGKILL, signal.SIGTERM):
            process.popen.wait(30)
        return process

    def stop_process(self, process: LiveProcess, grace: float = STOP_GRACE_SECONDS) -> None:
        process.stop(grace)

    def stop(self, grace: float = STOP_GRACE_SECONDS) -> None:
        """SIGTERM to every process still running, then SIGKILL to those still there
        after `grace` seconds (0: SIGKILL at once); prints each process's log."""
        running = [p for p in self.processes if p.running]
        for process in running:
            process.signal(signal.SIGTERM if grace > 0 else signal.SIGKILL)
        deadline = time.monotonic() + grace
        for process in running:
            try:
                process.popen.wait(max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                if grace > 0:
                    sys.stdout.write(f"{process.name} did not stop within {grace:g} s: killed.\n")
                process.signal(signal.SIGKILL)
                process.popen.wait(10)
        for process in self.processes:
            sys.stdout.write(f"\n===== {process.name} ({process.kind} {process.queues}) log =====\n")
            sys.stdout.write(process.log()[-20000:])

    # The sandbox --------------------------------------------------------------------------------

    def _sandbox(self, method: str, path: str, **kwargs) -> Any:
        response = requests.request(method, f"{self.sandbox_url}/_sandbox/{path}", timeout=10, **kwargs)
        response.raise_for_status()
        return response.json() if response.content else None

    def sandbox_reset(self) -> None:
        self._sandbox("POST", "reset")

    def sandbox_counts(self, network: str | None = None) -> list[dict]:
        """[{"network", "account", "text", "count"}]: how often each account got each text."""
        return self._sandbox("GET", "counts", params={"network": network} if network else None)["counts"]

    def sandbox_received(self, network: str | None = None, account: str | None = None) -> list[dict]:
        params = {key: value for key, value in (("network", network), ("account", account)) if value}
        return self._sandbox("GET", "received", params=params)["items"]

    def sandbox_fault(self, **rule) -> dict:
        """Add a fault rule (see docs/sandbox.md: error_rate, rate_limit_rate,
        rate_limit_reset_seconds, timeout_rate, hang_seconds, revoked, latency_ms, count...)."""
        return self._sandbox("POST", "faults", json=rule)

    def sandbox_clear_faults(self) -> None:
        self._sandbox("DELETE", "faults")

    # Mail ---------------------------------------------------------------------------------------------

    def emails(self) -> list:
        """The mails the children sent (email.message.Message objects), oldest first."""
        folder = self.tmp_path / "mail"
        if not folder.exists():
            return []
        mails = []
        for path in sorted(folder.iterdir(), key=lambda item: item.stat().st_mtime):
            # The file backend writes several messages per file, separated by a line of dashes.
            for chunk in path.read_bytes().split(b"\n" + b"-" * 79 + b"\n"):
                if chunk.strip():
                    mails.append(message_from_bytes(chunk.strip()))
        return mails

    # Waiting ----------------------------------------------------------------------------------------

    def wait_until(
        self, predicate: Callable[[], Any], timeout: float = 30.0, *, interval: float = 0.2, what: str = "the condition"
    ) -> Any:
        """As `wait_until`, failing early (with its log) when a worker died unexpectedly."""
        started = {p.name for p in self.processes if p.running}

        def check() -> Any:
            for process in self.processes:
                if (
                    process.name in started
                    and not process.running
                    and process.popen.returncode not in (0, -signal.SIGKILL, -signal.SIGTERM)
                ):
                    fail(f"{process.name} died ({process.popen.returncode}):\n{process.log()[-4000:]}")
            return predicate()

        return wait_until(check, timeout, interval=interval, what=what)


# --- The children's entry point -------------------------------------------------------------------


def _child_main(argv: list[str]) -> None:
    """`python -m live.stack worker|beat ...`: the Celery command line, after pointing the
    app at the test's broker folders and mail folder (from the environment)."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", SETTINGS_MODULE)

    django.setup()

    # start-up: the child sets Django up first, after pointing it at the test's broker and mail.
    from diplomacy_hub.celery import app

    if os.environ.get("LIVE_MAIL_DIR"):
        settings.EMAIL_BACKEND = "django.core.mail.backends.filebased.EmailBackend"
        settings.EMAIL_FILE_PATH = os.environ["LIVE_MAIL_DIR"]
    if os.environ.get("LIVE_BROKER_OPTIONS"):
        options = json.loads(os.environ["LIVE_BROKER_OPTIONS"])
        settings.CELERY_BROKER_TRANSPORT_OPTIONS = options
        app.conf.broker_transport_options = options
    _install_kill_after_accept()  # a test hook, only when LIVE_KILL_AFTER_ACCEPT is set (below)
    app.start(argv)


# --- Fault helpers (the chaos tests, tests/chaos/, and `make drill`) ---------------------------------
#
# Added after the harness above, which they leave as it was: a private redis-server to kill,
# restart or freeze; terminating PostgreSQL backends; and a test hook in the children that
# kills a worker right after a network accepted a post (installed by `_child_main` only
# when LIVE_KILL_AFTER_ACCEPT is set).

REDIS_SERVER_BINARY = "redis-server"

# The transport options of a Redis broker, as diplomacy_hub/settings/base.py sets them.
REDIS_BROKER_OPTIONS = {"visibility_timeout": 600, "socket_timeout": 3, "socket_connect_timeout": 3, "max_retries": 2}


class RedisServer:
    """A redis-server of our own on a free loopback port, without persistence (as a broker
    restarted without AOF loses its queues): `kill()` (SIGKILL), `start()`, `restart()`,
    `pause(ms)` (CLIENT PAUSE ... ALL), `url(db)`, `stop()`. Never the shared 6379.
    Fails the test when Debian's redis-server binary is missing: it never skips."""

    def __init__(self, log_dir: Path, port: int | None = None) -> None:
        self.binary = shutil.which(REDIS_SERVER_BINARY)
        if self.binary is None:
            fail(
                f"{REDIS_SERVER_BINARY} is not installed (apt-get install redis-server): "
                "the Redis fault scenarios start their own server and cannot run without it."
            )
        self.port = port or free_port()
        if self.port == 6379:
            raise ValueError("RedisServer never runs on 6379: that one is shared.")
        self.log_dir = log_dir
        self.process: LiveProcess | None = None
        self.starts = 0

    def url(self, db: int = 0) -> str:
        return f"redis://127.0.0.1:{self.port}/{db}"

    def start(self, timeout: float = 15) -> None:
        self.starts += 1
        argv = [
            self.binary,
            "--port",
            str(self.port),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
            "--daemonize",
            "no",
            "--dir",
            str(self.log_dir),
        ]
        self.process = spawn(
            f"redis{self.starts}", "redis", argv, os.environ.copy(), self.log_dir / f"redis-{self.port}.log"
        )
        wait_until(self._answers, timeout=timeout, interval=0.05, what=f"redis-server on port {self.port}")

    def _client(self):
        return redis.Redis(host="127.0.0.1", port=self.port, socket_timeout=2, socket_connect_timeout=2)

    def _answers(self) -> bool:
        if self.process is not None and not self.process.running:
            fail(f"redis-server on port {self.port} ended:\n{self.process.log()[-3000:]}")

        client = self._client()
        try:
            return bool(client.ping())
        except redis.RedisError:
            return False
        finally:
            client.close()

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.running

    def kill(self) -> None:
        """SIGKILL: whatever it held (queued messages, kombu's unacked store) is gone."""
        if self.process is not None and self.process.running:
            self.process.signal(signal.SIGKILL)
            self.process.popen.wait(10)

    def restart(self, down_seconds: float = 0.0) -> None:
        self.kill()
        if down_seconds:
            time.sleep(down_seconds)
        self.start()

    def pause(self, milliseconds: int) -> None:
        """CLIENT PAUSE <ms> ALL: every client's commands wait until it ends."""
        client = self._client()
        try:
            client.execute_command("CLIENT", "PAUSE", str(int(milliseconds)), "ALL")
        finally:
            client.close()

    def queue_lengths(self, db: int = 0, queues=("crisis", "publish", "maintenance")) -> dict[str, int]:
        client = redis.Redis(host="127.0.0.1", port=self.port, db=db, socket_timeout=2, socket_connect_timeout=2)
        try:
            return {queue: int(client.llen(queue)) for queue in queues}
        finally:
            client.close()

    def stop(self) -> None:
        self.kill()


def use_redis_broker(app, url: str) -> tuple[str | None, str | None, dict]:
    """Point this process's Celery app at the Redis broker `url`; `restore_broker` with
    what this returns points it back. Celery reads the CELERY_BROKER_URL environment
    variable before its own setting, so both change."""
    previous = (os.environ.get("CELERY_BROKER_URL"), app.conf.broker_url, dict(app.conf.broker_transport_options))
    os.environ["CELERY_BROKER_URL"] = url
    app.conf.broker_url = url
    use_broker(app, dict(REDIS_BROKER_OPTIONS))
    return previous


def restore_broker(app, previous: tuple[str | None, str | None, dict]) -> None:
    environ_url, conf_url, options = previous
    if environ_url is None:
        os.environ.pop("CELERY_BROKER_URL", None)
    else:
        os.environ["CELERY_BROKER_URL"] = environ_url
    app.conf.broker_url = conf_url
    use_broker(app, options)


def terminate_pg_backends(settings_dict: dict | None = None) -> int:
    """Terminate every PostgreSQL backend connected to this database except our own (as
    the superuser the tests connect as): the workers' and beat's connections drop at once,
    in the middle of whatever they were doing. Returns how many were terminated."""

    name = (settings_dict or connection.settings_dict)["NAME"]
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FILTER (WHERE pg_terminate_backend(pid)) FROM pg_stat_activity "
            "WHERE datname = %s AND pid <> pg_backend_pid() AND backend_type = 'client backend'",
            [name],
        )
        return int(cursor.fetchone()[0])


class _KillAfterAccept:
    """Wraps an adapter: right after `publish` returns (the network has the post), the
    worker process SIGKILLs itself, before the database hears of it. Once per marker file
    (created with O_EXCL), so the workers that follow publish normally."""

    def __init__(self, adapter, marker: str) -> None:
        self._adapter = adapter
        self._marker = marker

    def __getattr__(self, name: str):
        return getattr(self._adapter, name)

    def publish(self, credentials, content, *, progress=None):
        published = self._adapter.publish(credentials, content)
        if self._marker:
            try:
                os.close(os.open(self._marker, os.O_CREAT | os.O_EXCL | os.O_WRONLY))
            except FileExistsError:
                return published
        sys.stdout.write(
            f"LIVE_KILL_AFTER_ACCEPT: the network accepted {published.external_id}; "
            f"killing worker pid {os.getpid()} now.\n"
        )
        sys.stdout.flush()
        os.kill(os.getpid(), signal.SIGKILL)
        return published  # not reached


def _install_kill_after_accept() -> None:
    """LIVE_KILL_AFTER_ACCEPT=<network account id, or *>: the worker dies (SIGKILL) right
    after that account's next post is accepted (once per LIVE_KILL_AFTER_ACCEPT_MARKER
    file, if given). A test hook in the child only: the product code is not touched."""
    target = os.environ.get("LIVE_KILL_AFTER_ACCEPT", "")
    if not target:
        return
    marker = os.environ.get("LIVE_KILL_AFTER_ACCEPT_MARKER", "")
    # start-up: the child sets Django up first, after pointing it at the test's broker and mail.
    from posts.services import delivery

    original = delivery.adapter_for

    def adapter_for(account):
        adapter = original(account)
        if target not in ("*", account.network_account_id):
            return adapter
        return _KillAfterAccept(adapter, marker)

    delivery.adapter_for = adapter_for


if __name__ == "__main__":
    _child_main(sys.argv[1:])
