"""What the benchmarks share: their databases and broker, their processes, the machine.

Each benchmark gets a database of its own, named after it, on the server that
DATABASE_URL names (`dh_bench_<name>` on PostgreSQL), or a file under var/bench/ on the
embedded default (SQLite); never the database DATABASE_URL itself. The broker is
CELERY_BROKER_URL as given (give a Redis database number of your own, e.g.
`redis://127.0.0.1:6379/13`: the benchmark empties the engine's queues in it, nothing
else), or a filesystem broker folder under var/bench/.

Processes reuse live/stack.py's `LiveProcess` (spawn, log, stop by pid) and its child
entry point `python -m live.stack worker|beat ...` (the real Celery command line, which
also points a filesystem broker at the benchmark's folders).
"""

from __future__ import annotations

import json
import math
import os
import platform
import re
import shlex
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import psycopg2
import requests

from live.stack import LiveProcess, filesystem_broker_options, free_port, purge_redis_queues, spawn, use_broker

REPO = Path(__file__).resolve().parent.parent
BENCH_VAR = REPO / "var" / "bench"
SETTINGS_MODULE = "bench.settings"


class BenchError(RuntimeError):
    """A benchmark could not run (a process died, a wait timed out)."""


# --- Waiting -------------------------------------------------------------------------------------


def wait_for(
    predicate: Callable[[], Any], timeout: float, *, interval: float = 0.05, what: str = "the condition"
) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise BenchError(f"Waited {timeout:g} s for {what}; last value: {value!r}")
        time.sleep(interval)


# --- Backends --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Backend:
    """Where the benchmarks run: the database server and the broker given in the environment."""

    database_url: str  # the server to use ("" = the embedded SQLite default)
    broker_url: str  # "" = the embedded filesystem broker

    @classmethod
    def from_environment(cls) -> Backend:
        database = os.environ.get("DATABASE_URL", "")
        broker = os.environ.get("CELERY_BROKER_URL", "")
        if database and not database.startswith(("postgres://", "postgresql://", "pgsql://", "sqlite:")):
            raise BenchError(f"The benchmarks run on PostgreSQL or SQLite, not {database.split(':')[0]}.")
        if database.startswith("sqlite:"):
            database = ""
        if broker.startswith("filesystem:"):
            broker = ""
        return cls(database_url=database, broker_url=broker)

    @property
    def postgres(self) -> bool:
        return bool(self.database_url)

    @property
    def redis(self) -> bool:
        return self.broker_url.startswith(("redis://", "rediss://"))

    @property
    def name(self) -> str:
        database = "postgres" if self.postgres else "sqlite"
        broker = "redis" if self.redis else ("filesystem" if not self.broker_url else self.broker_url.split(":")[0])
        return f"{database}+{broker}"

    def database_for(self, name: str) -> str:
        """DATABASE_URL of the benchmark's own database `name`."""
        if self.postgres:
            parts = urlsplit(self.database_url)
            return urlunsplit((parts.scheme, parts.netloc, f"/{self.database_name(name)}", parts.query, ""))
        BENCH_VAR.mkdir(parents=True, exist_ok=True)
        return f"sqlite:///{BENCH_VAR / f'{name}.sqlite3'}"

    def database_name(self, name: str) -> str:
        # BENCH_DATABASE_PREFIX: for two benchmark runs on one PostgreSQL server at once.
        prefix = os.environ.get("BENCH_DATABASE_PREFIX", "dh_bench_")
        return f"{prefix}{name}" if self.postgres else str(BENCH_VAR / f"{name}.sqlite3")


def _postgres_admin(url: str):
    parts = urlsplit(url)
    connection = psycopg2.connect(
        dbname="postgres",
        user=parts.username or None,
        password=parts.password or None,
        host=parts.hostname or None,
        port=parts.port or None,
        connect_timeout=5,
    )
    connection.autocommit = True
    return connection


def drop_database(url: str) -> None:
    if url.startswith("sqlite:"):
        path = Path(urlsplit(url).path)
        for suffix in ("", "-wal", "-shm", "-journal"):
            Path(str(path) + suffix).unlink(missing_ok=True)
        return
    name = urlsplit(url).path.lstrip("/")
    connection = _postgres_admin(url)
    try:
        with connection.cursor() as cursor:
            cursor.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        connection.close()


def database_exists(url: str) -> bool:
    if url.startswith("sqlite:"):
        return Path(urlsplit(url).path).exists()
    name = urlsplit(url).path.lstrip("/")
    connection = _postgres_admin(url)
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name])
            return cursor.fetchone() is not None
    finally:
        connection.close()


def keep_databases() -> bool:
    """BENCH_KEEP_DATABASES=1 keeps each benchmark's database after its run (to look at it or
    profile its pages); by default they are dropped, the server being shared."""
    return os.environ.get("BENCH_KEEP_DATABASES", "") not in ("", "0", "false")


def create_database(url: str) -> None:
    """A new empty database (dropped first if it exists), then the project's migrations."""
    drop_database(url)
    if not url.startswith("sqlite:"):
        name = urlsplit(url).path.lstrip("/")
        connection = _postgres_admin(url)
        try:
            with connection.cursor() as cursor:
                cursor.execute(f'CREATE DATABASE "{name}"')
        finally:
            connection.close()
    manage("migrate", "--noinput", "-v", "0", database_url=url)


def manage(*args: str, database_url: str, env: dict[str, str] | None = None) -> None:
    subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=REPO,
        check=True,
        env={**base_env(), "DATABASE_URL": database_url, **(env or {})},
    )


# --- Processes ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ProcfileWorker:
    """One Celery worker line of the Procfile: what `make run` starts (and docker-compose.yml
    mirrors), so that a benchmark measures the processes users run."""

    name: str
    queues: str
    pool: str
    concurrency: int
    env: dict[str, str] = field(default_factory=dict)

    @property
    def crisis(self) -> bool:
        return "crisis" in self.queues.split(",")


def procfile_workers(path: Path | None = None) -> list[ProcfileWorker]:
    """The Celery workers of the Procfile, in its order, with the environment each line sets
    (`NAME=value` before the command)."""
    workers = []
    for line in (path or REPO / "Procfile").read_text().splitlines():
        if not line.strip() or line.lstrip().startswith("#") or ":" not in line:
            continue
        name, command = line.split(":", 1)
        words = shlex.split(command)
        env = {}
        while words and re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*=.*", words[0]):
            key, value = words.pop(0).split("=", 1)
            env[key] = value
        if "celery" not in " ".join(words[:3]) or "worker" not in words:
            continue
        options = {}
        for index, word in enumerate(words[:-1]):
            if word.startswith("-"):
                options[word] = words[index + 1]
        workers.append(
            ProcfileWorker(
                name=name.strip(),
                queues=options.get("-Q") or options.get("--queues", "publish"),
                pool=options.get("--pool") or options.get("-P", "prefork"),
                concurrency=int(options.get("--concurrency") or options.get("-c", os.cpu_count() or 1)),
                env=env,
            )
        )
    return workers


def base_env() -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if not key.startswith("PYTEST_")}
    env["DJANGO_SETTINGS_MODULE"] = SETTINGS_MODULE
    env["PYTHONPATH"] = str(REPO) + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    env["PYTHONUNBUFFERED"] = "1"
    env["LIVE_CHILD"] = "1"
    return env


@dataclass
class Stack:
    """The processes of one benchmark run: sandbox, workers, beat, gunicorn. `stop()` ends
    them all by pid (SIGTERM, then SIGKILL)."""

    name: str
    backend: Backend
    database_url: str
    env: dict[str, str] = field(default_factory=dict)
    processes: list[LiveProcess] = field(default_factory=list)
    sandbox_url: str = ""
    broker_options: dict | None = None

    def __post_init__(self) -> None:
        self.log_dir = BENCH_VAR / "logs" / self.name
        shutil.rmtree(self.log_dir, ignore_errors=True)
        self.log_dir.mkdir(parents=True, exist_ok=True)
        self.env = {**base_env(), "DATABASE_URL": self.database_url, **self.env}
        if self.backend.redis:
            self.env["CELERY_BROKER_URL"] = self.backend.broker_url
            purge_redis_queues(self.backend.broker_url)
        else:
            folder = BENCH_VAR / f"broker-{self.name}"
            shutil.rmtree(folder, ignore_errors=True)
            self.broker_options = filesystem_broker_options(folder)
            self.broker_options["polling_interval"] = 0.2  # as in production (settings/base.py)
            self.env["CELERY_BROKER_URL"] = "filesystem://"
            self.env["LIVE_BROKER_OPTIONS"] = json.dumps(self.broker_options)

    # The driver (this process) must send to the same broker as the children.
    def use_in_this_process(self) -> None:
        # start-up: each benchmark sets Django up itself, once it has chosen its database.
        from diplomacy_hub.celery import app

        if self.broker_options is not None:
            use_broker(app, self.broker_options)

    def _spawn(
        self, name: str, kind: str, argv: list[str], env: dict[str, str] | None = None, queues: str = ""
    ) -> LiveProcess:
        process = spawn(name, kind, argv, {**self.env, **(env or {})}, self.log_dir / f"{name}.log", queues=queues)
        self.processes.append(process)
        return process

    def start_sandbox(self) -> str:
        port = free_port()
        self.sandbox_url = f"http://127.0.0.1:{port}"
        process = self._spawn("sandbox", "sandbox", [sys.executable, "manage.py", "run_sandbox", "--port", str(port)])
        self.env["SANDBOX_URL"] = self.sandbox_url
        os.environ["SANDBOX_URL"] = self.sandbox_url

        def answers() -> bool:
            self._check_alive(process)
            try:
                return self.sandbox("GET", "stats") is not None
            except OSError:
                return False

        # 90 s: on the shared machine, at load 20+, its start-up alone took over 30.
        wait_for(answers, 90, interval=0.1, what="the sandbox")
        return self.sandbox_url

    def sandbox(self, method: str, path: str, **kwargs) -> Any:
        response = requests.request(method, f"{self.sandbox_url}/_sandbox/{path}", timeout=30, **kwargs)
        response.raise_for_status()
        return response.json() if response.content else None

    def start_worker(
        self,
        name: str,
        queues: str,
        concurrency: int,
        *,
        pool: str = "threads",
        env: dict[str, str] | None = None,
        loglevel: str = "INFO",
    ) -> LiveProcess:
        argv = [
            sys.executable,
            "-m",
            "live.stack",
            "worker",
            "-Q",
            queues,
            "-P",
            pool,
            "-c",
            str(concurrency),
            "-n",
            f"{name}@bench",
            "--loglevel",
            loglevel,
            "--without-gossip",
            "--without-mingle",
            "--without-heartbeat",
        ]
        return self._spawn(name, "worker", argv, env, queues=queues)

    def start_procfile_workers(self, workers: list[ProcfileWorker] | None = None) -> list[LiveProcess]:
        """The Procfile's workers, as `make run` starts them (each with its line's environment)."""
        return [
            self.start_worker(worker.name, worker.queues, worker.concurrency, pool=worker.pool, env=worker.env)
            for worker in (workers if workers is not None else procfile_workers())
        ]

    def start_beat(self, env: dict[str, str] | None = None) -> LiveProcess:
        argv = [
            sys.executable,
            "-m",
            "live.stack",
            "beat",
            "--loglevel",
            "INFO",
            "--schedule",
            str(self.log_dir / "celerybeat-schedule"),
        ]
        return self._spawn("beat", "beat", argv, env)

    def start_gunicorn(self, port: int, *, workers: int, threads: int) -> LiveProcess:
        argv = [
            sys.executable,
            "-m",
            "gunicorn",
            "diplomacy_hub.wsgi",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            str(workers),
            "--threads",
            str(threads),
            "--timeout",
            "60",
            "--no-control-socket",
            "--log-level",
            "warning",
        ]
        process = self._spawn("gunicorn", "web", argv)

        def answers() -> bool:
            self._check_alive(process)

            try:
                requests.get(f"http://127.0.0.1:{port}/healthz", timeout=5)  # 503 without workers: up all the same
                return True
            except requests.RequestException:
                return False

        # A worker's first request imports the project: minutes on a machine loaded to 25.
        wait_for(answers, 240, interval=0.2, what="gunicorn")
        return process

    def wait_ready(self, timeout: float = 90) -> None:
        for process in self.processes:
            if process.kind not in ("worker", "beat"):
                continue
            needle = " ready." if process.kind == "worker" else "beat: Starting"

            def ready(process: LiveProcess = process, needle: str = needle) -> bool:
                self._check_alive(process)
                return needle in process.log()

            wait_for(ready, timeout, interval=0.1, what=f"{process.name} to be ready")

    @staticmethod
    def _check_alive(process: LiveProcess) -> None:
        if not process.running:
            raise BenchError(f"{process.name} ended:\n{process.log()[-4000:]}")

    def check_alive(self) -> None:
        for process in self.processes:
            self._check_alive(process)

    def peak_rss_mb(self, kind: str = "worker") -> dict[str, float]:
        """VmHWM (peak resident set) of each running process of this kind, in MB (gunicorn's
        workers as `<name>/<pid>`)."""
        found = {}
        for process in self.processes:
            if process.kind == kind and process.running:
                found[process.name] = peak_rss_mb(process.pid)
                for child in child_pids(process.pid):
                    found[f"{process.name}/{child}"] = peak_rss_mb(child)
        return found

    def cpu(self) -> dict[str, float]:
        """CPU seconds used so far by each running process of the stack."""
        return {p.name: cpu_seconds(p.pid) for p in self.processes if p.running}

    def stop(self) -> None:
        running = [p for p in self.processes if p.running]
        for process in running:
            process.signal(signal.SIGTERM)
        deadline = time.monotonic() + 10
        for process in running:
            try:
                process.popen.wait(max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                process.signal(signal.SIGKILL)
                process.popen.wait(10)


def cpu_seconds(pid: int) -> float:
    """User + system CPU time the process has used so far, in seconds."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def postgres_cpu_seconds(database: str) -> dict[int, float]:
    """CPU seconds of each PostgreSQL backend process serving `database` ({pid: seconds})."""
    found = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            command = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        if command.startswith("postgres:") and f" {database} " in command:
            found[int(entry.name)] = cpu_seconds(int(entry.name))
    return found


def tree_cpu_seconds(pid: int) -> float:
    """CPU seconds of a process and of its children so far (gunicorn's master and workers)."""
    return cpu_seconds(pid) + sum(cpu_seconds(child) for child in child_pids(pid))


def server_cpu_seconds(web_pid: int, database: str) -> tuple[float, dict[int, float]]:
    """The server's CPU seconds so far: a web server's process tree, and each PostgreSQL
    backend serving `database` ({} on SQLite). Taken before and after a run, the difference
    (`server_cpu_used`) divided by its requests is the server's CPU per request, which a busy
    machine does not inflate as it does wall-clock times."""
    return tree_cpu_seconds(web_pid), postgres_cpu_seconds(database) if database else {}


def server_cpu_used(
    before: tuple[float, dict[int, float]], after: tuple[float, dict[int, float]]
) -> tuple[float, float]:
    """(web, database) CPU seconds used between two `server_cpu_seconds`: per backend, as
    backends come and go (CONN_MAX_AGE); what a backend used before it ended is not seen."""
    database = sum(seconds - before[1].get(pid, 0.0) for pid, seconds in after[1].items())
    return after[0] - before[0], database


def cpu_per_request(
    before: tuple[float, dict[int, float]], after: tuple[float, dict[int, float]], requests: int
) -> tuple[float, float]:
    """(web, database) milliseconds of CPU per request between two `server_cpu_seconds`."""
    web, database = server_cpu_used(before, after)
    return round(web * 1000 / max(1, requests), 2), round(database * 1000 / max(1, requests), 2)


def machine_busy() -> tuple[float, float]:
    """(busy, total) CPU seconds of the whole machine since boot (all cores, /proc/stat)."""
    values = [int(v) for v in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    idle = values[3] + values[4]  # idle + iowait
    tick = os.sysconf("SC_CLK_TCK")
    return (sum(values) - idle) / tick, sum(values) / tick


def child_pids(pid: int) -> list[int]:
    children = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1]) == pid:
                    children.append(int(entry.name))
            except (OSError, ValueError, IndexError):
                continue
    return children


def peak_rss_mb(pid: int) -> float:
    """The process's peak resident memory (VmHWM), in MB (10^6 bytes)."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return 0.0
    match = re.search(r"^VmHWM:\s+(\d+) kB", status, re.MULTILINE)
    return round(int(match.group(1)) * 1024 / 1e6, 1) if match else 0.0


# --- The machine ---------------------------------------------------------------------------------------


def machine() -> dict[str, Any]:
    cpu = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    memory_gb = 0.0
    try:
        match = re.search(r"^MemTotal:\s+(\d+) kB", Path("/proc/meminfo").read_text(), re.MULTILINE)
        memory_gb = round(int(match.group(1)) / 1024 / 1024, 1) if match else 0.0
    except OSError:
        pass
    return {
        "nproc": os.cpu_count(),
        "memory_gb": memory_gb,
        "cpu": cpu or platform.processor(),
        "python": platform.python_version(),
        "load_average": [round(value, 2) for value in os.getloadavg()],
    }


def now_iso() -> str:
    return datetime.now(UTC).replace(microsecond=0).isoformat()


def percentile(values: list[float], fraction: float) -> float:
    """Nearest-rank percentile (fraction in 0..1) of a non-empty list."""
    ordered = sorted(values)
    return ordered[max(0, min(len(ordered), math.ceil(fraction * len(ordered))) - 1)]


# --- Pages under load: the loop bench/inbox_pages.py and bench/analytics_pages.py share ------------


@dataclass(frozen=True)
class PageLoad:
    """How a page is put under load: bench/pages.py's functions, handed in because that
    module builds on this one."""

    drain: Callable[[str], None]
    check: Callable[[str, str], int | str]
    load: Callable[..., dict]
    differences: Callable[[list[str], list[str]], list[str]]


def uncursored(queries: list[str]) -> list[str]:
    """The queries without the numbers of psycopg's named cursors (a new one each request)."""
    return [re.sub(r"_django_curs_\d+_sync_\d+", "_django_curs", query) for query in queries]


def count_queries(paths: dict[str, tuple[str, str]], sessions: dict[str, str]) -> dict[str, dict]:
    """Each page's queries in-process, on a session of its role (the second request: the
    first fills the caches)."""
    # start-up: each benchmark sets Django up itself, once it has chosen its database.
    from django.conf import settings
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    counts = {}
    for key, (path, role) in paths.items():
        client = Client()
        client.cookies[settings.SESSION_COOKIE_NAME] = sessions[role]
        client.get(path)
        with CaptureQueriesContext(connection) as captured:
            response = client.get(path)
        counts[key] = {
            "queries": len(captured.captured_queries),
            "status": response.status_code,
            "bytes": len(response.content),
            "sql": [query["sql"] for query in captured.captured_queries],
        }
    return counts


def measure_pages(
    base: str,
    paths: dict[str, tuple[str, str]],
    sessions: dict[str, str],
    *,
    counts_small: dict[str, dict],
    counts_large: dict[str, dict],
    clients: int,
    seconds: float,
    loader: PageLoad,
    alone: bool = False,
    cpu: Callable[[], tuple[float, float]] | None = None,
) -> dict[str, dict]:
    """Each page in turn on an idle server: warmed up, then `clients` connections busy for
    `seconds` (and one client alone, if asked): p50, p95, and its queries at both sizes.
    With `cpu` (e.g. `server_cpu_seconds` of the server), the server's CPU per request in
    milliseconds, (web, database), alone and under the load."""
    # start-up: each benchmark sets Django up itself, once it has chosen its database.
    from django.conf import settings

    results: dict[str, dict] = {}
    for key, (path, role) in paths.items():
        loader.drain(base)
        url = f"{base}{path}"
        cookie = f"{settings.SESSION_COOKIE_NAME}={sessions[role]}"
        check = loader.check(url, cookie)
        if check != 200:
            results[key] = {"status": check, "error": f"answered {check}, not 200"}
            continue
        loader.load(url, cookie, clients=clients, seconds=max(3.0, seconds / 3))  # warm-up
        before = cpu() if cpu else (0.0, 0.0)
        one = loader.load(url, cookie, clients=1, seconds=max(2.0, seconds / 3)) if alone else None
        middle = cpu() if cpu else (0.0, 0.0)
        measured = loader.load(url, cookie, clients=clients, seconds=seconds)
        after = cpu() if cpu else (0.0, 0.0)
        results[key] = {"path": path, "role": role, **measured}
        if cpu is not None:
            if one is not None:
                results[key]["alone_cpu_ms"] = cpu_per_request(before, middle, one["requests"])
            results[key]["cpu_ms"] = cpu_per_request(middle, after, measured["requests"])
        if one is not None:
            results[key].update(
                alone_p50_ms=one["p50_ms"],
                alone_p95_ms=one["p95_ms"],
                requests_per_second=round(measured["requests"] / measured["seconds"], 1),
            )
        results[key].update(
            queries=counts_large[key]["queries"],
            queries_small=counts_small[key]["queries"],
            bytes=counts_large[key]["bytes"],
        )
        extra = loader.differences(uncursored(counts_small[key]["sql"]), uncursored(counts_large[key]["sql"]))
        if extra:
            results[key]["queries_differ"] = extra
        alone_text = f"  alone p50 {one['p50_ms']:6.1f} ms" if one is not None else ""
        if "alone_cpu_ms" in results[key]:
            alone_text += f"  CPU {results[key]['alone_cpu_ms'][0]:5.1f} + {results[key]['alone_cpu_ms'][1]:4.1f} ms"
        print(
            f"  {key:24} p50 {measured['p50_ms']:7.1f} ms  p95 {measured['p95_ms']:7.1f} ms"
            f"{alone_text}  {results[key]['queries']} queries",
            flush=True,
        )
    return results
