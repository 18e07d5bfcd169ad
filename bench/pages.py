"""Pages under a year of data: p50 with one client alone, p95 under an open-loop mixed load
of 30 requests a second, p50 and p95 with 20 concurrent clients (a stress figure), and the queries
each page makes at two sizes of the same year.

`python -m bench.pages [--quick]` (normally through `python -m bench.run`):

1. A database of its own (`dh_bench_pages`, or var/bench/pages.sqlite3), migrated, with
   2,000 users and 1,084 accounts (bench/data.py).
2. One message in 100 of the year is written (and one in 10 of its last three days: about
   1,080 of 100,000 in full, 110 of 10,000 with --quick) and every page's queries are counted in-process
   (django.test.utils.CaptureQueriesContext around the test client, on a session of the
   role that uses the page); then the rest of the year is written and they are
   counted again. A page whose count grows with the data has a query in a loop.
3. gunicorn serves the project as in the Procfile (2 workers x 4 threads), and `wrk`
   (Debian's package; without it a Python client of the same shape) keeps 20 connections
   busy on each page in turn, with the session cookie of a verified user (a privileged
   user's session also carries django-otp's `otp_device_id`, as after a second factor);
   before that, one client alone gives the page's own p50.
4. Then an open loop (`open_loop`): 30 requests a second (`--rate`) for 30 s, to every page
   in turn, each due at its time whatever the answers do; p50 and p95 from the time each
   request was due. The load average is recorded beside each figure.

Pages are looked up by URL name when the benchmark runs (the web UI is being built):
those missing are reported as missing, not failed.
"""

from __future__ import annotations

import argparse
import contextlib
import http.client
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from dataclasses import dataclass
from importlib import import_module
from pathlib import Path
from urllib.parse import urlsplit

import django
import requests
from django.conf import settings
from django.db import connection
from django.test.utils import CaptureQueriesContext

from bench.common import (
    SETTINGS_MODULE,
    Backend,
    BenchError,
    Stack,
    cpu_per_request,
    create_database,
    database_exists,
    drop_database,
    free_port,
    keep_databases,
    machine,
    now_iso,
    percentile,
    server_cpu_seconds,
)


@dataclass(frozen=True)
class Page:
    key: str
    url_names: tuple[str, ...]  # the first that exists is used
    role: str
    query: str = ""


PAGES = (
    Page("dashboard", ("posts:dashboard",), "press_office"),
    Page("dashboard_officer", ("posts:dashboard",), "officer"),
    Page("review_queue", ("posts:review_queue",), "press_office"),
    Page("calendar_month", ("posts:calendar",), "press_office", "?view=month"),
    Page("crisis_monitor", ("posts:monitor", "posts:crisis_board"), "crisis_unit"),
    Page("missions", ("embassies:mission_list",), "officer"),
)
CRISIS_ALERT_ID = 1  # message index 0 of bench/data.py: a crisis alert, 1,084 deliveries
TARGET_P95_MS = 150.0  # under the open-loop mixed load
TARGET_ALONE_P50_MS = 30.0  # one client alone
# What 600 staff and the live monitors make at a busy hour, spread over every page.
OPEN_LOOP_RATE = 30.0
OPEN_LOOP_SECONDS = 30.0
OPEN_LOOP_SECONDS_QUICK = 6.0
TIMEOUT_SECONDS = 30  # a request slower than this counts as an error


# --- Sessions ----------------------------------------------------------------------------------------


def session_for(role: str) -> str:
    """A logged-in session of the first benchmark user of `role` (verified with a second
    factor when django-otp is installed); returns its key."""

    # start-up: each benchmark sets Django up itself, once it has chosen its database.
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY, get_user_model

    user = get_user_model().objects.filter(username=f"bench-{role}-0").get()
    store = import_module(settings.SESSION_ENGINE).SessionStore()
    store[SESSION_KEY] = str(user.pk)
    store[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
    store[HASH_SESSION_KEY] = user.get_session_auth_hash()
    if "django_otp" in settings.INSTALLED_APPS and "django_otp.plugins.otp_totp" in settings.INSTALLED_APPS:
        # start-up: each benchmark sets Django up itself, once it has chosen its database.
        from django_otp.plugins.otp_totp.models import TOTPDevice

        device, _ = TOTPDevice.objects.get_or_create(user=user, name="bench", defaults={"confirmed": True})
        store["otp_device_id"] = device.persistent_id
    store.create()
    return store.session_key


# --- Which pages exist ---------------------------------------------------------------------------------


def resolve_pages() -> tuple[dict[str, str], list[str]]:
    """{page key: path} for the pages whose URL name exists now, and the missing keys."""
    # start-up: each benchmark sets Django up itself, once it has chosen its database.
    from django.urls import NoReverseMatch, reverse

    found, missing = {}, []
    for page in PAGES:
        path = None
        for name in page.url_names:
            for kwargs in ({}, {"pk": CRISIS_ALERT_ID}, {"message_id": CRISIS_ALERT_ID}):
                try:
                    path = reverse(name, kwargs=kwargs or None)
                    break
                except NoReverseMatch:
                    continue
            if path:
                break
        if path:
            found[page.key] = path + page.query
        else:
            missing.append(page.key)
    return found, missing


def count_queries(paths: dict[str, str], sessions: dict[str, str]) -> dict[str, dict]:
    """Each page's queries (the second request: the first may also write the session's
    stamps) and its status, in this process through the test client."""
    # start-up: each benchmark sets Django up itself, once it has chosen its database.
    from django.test import Client

    counts = {}
    for page in PAGES:
        if page.key not in paths:
            continue
        client = Client()
        client.cookies[settings.SESSION_COOKIE_NAME] = sessions[page.role]
        client.get(paths[page.key])
        with CaptureQueriesContext(connection) as captured:
            response = client.get(paths[page.key])
        counts[page.key] = {
            "queries": len(captured.captured_queries),
            "status": response.status_code,
            "bytes": len(response.content),
            "sql": [query["sql"] for query in captured.captured_queries],
        }
    return counts


# --- Load -----------------------------------------------------------------------------------------------

WRK_SCRIPT = r"""
done = function(summary, latency, requests)
  io.write(string.format(
    "WRK {\"requests\": %d, \"seconds\": %.3f, \"p50_ms\": %.2f, \"p95_ms\": %.2f, \"p99_ms\": %.2f, "
    .. "\"mean_ms\": %.2f, \"max_ms\": %.2f, \"errors_status\": %d, \"errors_socket\": %d}\n",
    summary.requests, summary.duration / 1e6, latency:percentile(50) / 1000, latency:percentile(95) / 1000,
    latency:percentile(99) / 1000, latency.mean / 1000, latency.max / 1000, summary.errors.status,
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout))
end
"""


def load_wrk(url: str, cookie: str, *, clients: int, seconds: float) -> dict:
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
        script.write(WRK_SCRIPT)
    try:
        output = subprocess.run(
            [
                "wrk",
                "-t",
                str(min(2, clients)),
                "-c",
                str(clients),
                "-d",
                f"{seconds:g}s",
                "--timeout",
                f"{TIMEOUT_SECONDS}s",
                "-H",
                f"Cookie: {cookie}",
                "-s",
                script.name,
                url,
            ],
            capture_output=True,
            text=True,
            timeout=seconds + 60,
            check=True,
        ).stdout
    finally:
        os.unlink(script.name)
    line = next((line for line in output.splitlines() if line.startswith("WRK ")), None)
    if line is None:
        raise BenchError(f"wrk printed no summary:\n{output}")
    result = json.loads(line[4:])
    result["tool"] = "wrk"
    return result


def load_python(url: str, cookie: str, *, clients: int, seconds: float) -> dict:
    """The same closed loop as wrk (clients connections, each sending its next request when
    the last answer arrived), for machines without wrk."""

    parts = urlsplit(url)
    path = parts.path + (f"?{parts.query}" if parts.query else "")
    latencies: list[float] = []
    errors = {"status": 0, "socket": 0}
    lock = threading.Lock()
    deadline = time.monotonic() + seconds

    def client() -> None:
        connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=TIMEOUT_SECONDS)
        mine = []
        while time.monotonic() < deadline:
            started = time.monotonic()
            try:
                connection.request("GET", path, headers={"Cookie": cookie})
                response = connection.getresponse()
                response.read()
                if response.status >= 400:
                    with lock:
                        errors["status"] += 1
            except OSError:
                with lock:
                    errors["socket"] += 1
                connection.close()
                connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=TIMEOUT_SECONDS)
                continue
            mine.append(time.monotonic() - started)
        connection.close()
        with lock:
            latencies.extend(mine)

    threads = [threading.Thread(target=client) for _ in range(clients)]
    started = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.monotonic() - started
    if not latencies:
        raise BenchError(f"No answer from {url}")
    return {
        "requests": len(latencies),
        "seconds": round(elapsed, 3),
        "p50_ms": round(percentile(latencies, 0.50) * 1000, 2),
        "p95_ms": round(percentile(latencies, 0.95) * 1000, 2),
        "p99_ms": round(percentile(latencies, 0.99) * 1000, 2),
        "mean_ms": round(sum(latencies) / len(latencies) * 1000, 2),
        "max_ms": round(max(latencies) * 1000, 2),
        "errors_status": errors["status"],
        "errors_socket": errors["socket"],
        "tool": "python",
    }


def open_loop(targets: dict[str, tuple[str, str]], *, rate: float, seconds: float, senders: int = 64) -> dict:
    """An open-loop mixed load: a request every 1/`rate` s whatever the answers do, to each
    page of `targets` ({key: (url, cookie)}) in turn, as staff and the live monitors make
    them. Each latency runs from the moment the request was due (not the moment a sender
    was free), so a slow server cannot hide its queue (coordinated omission). Senders keep
    one keep-alive connection each."""

    keys = sorted(targets)
    due_times = [n / rate for n in range(int(rate * seconds))]
    latencies: dict[str, list[float]] = {key: [] for key in keys}
    errors = {"status": 0, "socket": 0}
    lock = threading.Lock()
    cursor = iter(range(len(due_times)))
    local = threading.local()
    began = time.monotonic() + 0.2

    def connection_for(url: str) -> http.client.HTTPConnection:
        if getattr(local, "connection", None) is None:
            parts = urlsplit(url)
            local.connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=TIMEOUT_SECONDS)
        return local.connection

    def sender() -> None:
        while True:
            with lock:
                number = next(cursor, None)
            if number is None:
                break
            key = keys[number % len(keys)]
            url, cookie = targets[key]
            due = began + due_times[number]
            wait = due - time.monotonic()
            if wait > 0:
                time.sleep(wait)
            parts = urlsplit(url)
            try:
                connection = connection_for(url)
                connection.request(
                    "GET", parts.path + (f"?{parts.query}" if parts.query else ""), headers={"Cookie": cookie}
                )
                response = connection.getresponse()
                response.read()
                failed = response.status >= 400
            except (OSError, http.client.HTTPException):
                local.connection = None
                with lock:
                    errors["socket"] += 1
                continue
            took = time.monotonic() - due
            with lock:
                latencies[key].append(took)
                errors["status"] += failed
        if getattr(local, "connection", None) is not None:
            local.connection.close()

    threads = [threading.Thread(target=sender, daemon=True) for _ in range(senders)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(seconds + 120)
    every = [value for values in latencies.values() for value in values]
    if not every:
        raise BenchError("No page answered under the open-loop load.")
    return {
        "rate_per_second": rate,
        "seconds": seconds,
        "requests": len(every),
        "p50_ms": round(percentile(every, 0.50) * 1000, 2),
        "p95_ms": round(percentile(every, 0.95) * 1000, 2),
        "p99_ms": round(percentile(every, 0.99) * 1000, 2),
        "max_ms": round(max(every) * 1000, 2),
        "errors_status": errors["status"],
        "errors_socket": errors["socket"],
        "pages": {
            key: {
                "requests": len(values),
                "p50_ms": round(percentile(values, 0.50) * 1000, 2),
                "p95_ms": round(percentile(values, 0.95) * 1000, 2),
            }
            for key, values in latencies.items()
            if values
        },
        "load_average": [round(value, 2) for value in os.getloadavg()],
    }


def load(url: str, cookie: str, *, clients: int, seconds: float) -> dict:
    if shutil.which("wrk"):
        return load_wrk(url, cookie, clients=clients, seconds=seconds)
    return load_python(url, cookie, clients=clients, seconds=seconds)


# --- The run ----------------------------------------------------------------------------------------------


def run(
    *,
    quick: bool = False,
    clients: int = 20,
    seconds: float | None = None,
    rate: float = OPEN_LOOP_RATE,
    reuse: bool = False,
) -> dict:
    # start-up: each benchmark sets Django up itself, once it has chosen its database.
    from bench import data

    backend = Backend.from_environment()
    name = "pages_quick" if quick else "pages"
    database_url = backend.database_for(name)
    total = data.QUICK_MESSAGES if quick else data.FULL_MESSAGES
    seconds = seconds or (5.0 if quick else 15.0)
    started = time.monotonic()
    reuse = reuse and database_exists(database_url)
    if not reuse:
        create_database(database_url)
    os.environ["DATABASE_URL"] = database_url
    os.environ["DJANGO_SETTINGS_MODULE"] = SETTINGS_MODULE

    django.setup()

    now = data._dataset_now()
    print(f"pages: a year of {total:,} messages on {backend.name}{' (kept database)' if reuse else ''}", flush=True)
    generate_seconds = 0.0
    paths, missing = resolve_pages()
    if reuse:
        # start-up: each benchmark sets Django up itself, once it has chosen its database.
        from posts.models import Delivery, Message

        sessions = {role: session_for(role) for role in {page.role for page in PAGES}}
        small = {}
        counts_total = {"posts.Message": Message.objects.count(), "posts.Delivery": Delivery.objects.count()}
        counts_large = count_queries(paths, sessions)
        # Counted once, at one size: the small count is unknown, not equal.
        counts_small = {key: {**counted, "queries": None} for key, counted in counts_large.items()}
    else:
        people = data.seed_people_and_accounts()
        sampled = data.sample_indices(total)
        small = data.generate(total=total, indices=sorted(sampled), now=now, people=people)
        sessions = {role: session_for(role) for role in {page.role for page in PAGES}}
        counts_small = count_queries(paths, sessions)
        grown_at = time.monotonic()
        large = data.generate(
            total=total, indices=(i for i in range(total) if i not in sampled), now=now, people=people
        )
        counts_total = {label: small.get(label, 0) + large.get(label, 0) for label in large}
        generate_seconds = time.monotonic() - grown_at
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("ANALYZE")
        counts_large = count_queries(paths, sessions)
    connection.close()
    setup_seconds = time.monotonic() - started

    stack = Stack(name=name, backend=backend, database_url=database_url)
    results: dict[str, dict] = {}
    mixed: dict = {}
    targets: dict[str, tuple[str, str]] = {}
    try:
        port = free_port()
        web = stack.start_gunicorn(port, workers=2, threads=4)
        database = backend.database_name(name) if backend.postgres else ""
        for page in PAGES:
            if page.key not in paths:
                continue
            base = f"http://127.0.0.1:{port}"
            _drain(base)
            url = f"{base}{paths[page.key]}"
            cookie = f"{settings.SESSION_COOKIE_NAME}={sessions[page.role]}"
            check = _check(url, cookie)
            if check != 200:
                results[page.key] = {"status": check, "error": f"answered {check}, not 200"}
                continue
            # Warm-up (each worker's first requests import and compile templates), then one
            # client alone (the page's own time, no queueing), then the 20.
            load(url, cookie, clients=clients, seconds=max(3.0, seconds / 3))
            before = server_cpu_seconds(web.pid, database)
            alone = load(url, cookie, clients=1, seconds=max(2.0, seconds / 3))
            alone_cpu = cpu_per_request(before, server_cpu_seconds(web.pid, database), alone["requests"])
            alone_load = [round(value, 2) for value in os.getloadavg()]
            before = server_cpu_seconds(web.pid, database)
            measured = load(url, cookie, clients=clients, seconds=seconds)
            measured_cpu = cpu_per_request(before, server_cpu_seconds(web.pid, database), measured["requests"])
            targets[page.key] = (url, cookie)
            if not measured["requests"] or (not measured["p50_ms"] and measured["errors_socket"]):
                results[page.key] = {
                    "path": paths[page.key],
                    "error": f"no answer within {TIMEOUT_SECONDS} s",
                    "alone_p50_ms": alone["p50_ms"],
                    **measured,
                    "queries": counts_large.get(page.key, {}).get("queries"),
                    "queries_small": counts_small.get(page.key, {}).get("queries"),
                }
                continue
            results[page.key] = {
                "path": paths[page.key],
                "role": page.role,
                **measured,
                "alone_p50_ms": alone["p50_ms"],
                "alone_p95_ms": alone["p95_ms"],
                "alone_load_average": alone_load,
                # The server's CPU per request (gunicorn's processes, PostgreSQL's backends):
                # what a busy machine does not inflate, unlike the wall-clock figures.
                "alone_cpu_ms": alone_cpu,
                "cpu_ms": measured_cpu,
                "load_average": [round(value, 2) for value in os.getloadavg()],
                "requests_per_second": round(measured["requests"] / measured["seconds"], 1),
                "queries": counts_large.get(page.key, {}).get("queries"),
                "queries_small": counts_small.get(page.key, {}).get("queries"),
                "bytes": counts_large.get(page.key, {}).get("bytes"),
            }
            extra = _differences(
                counts_small.get(page.key, {}).get("sql", []), counts_large.get(page.key, {}).get("sql", [])
            )
            if extra:
                results[page.key]["queries_differ"] = extra
            print(
                f"  {page.key:18} p50 {measured['p50_ms']:7.1f} ms  p95 {measured['p95_ms']:7.1f} ms  "
                f"alone p50 {alone['p50_ms']:6.1f} ms  CPU {alone_cpu[0]:5.1f} + {alone_cpu[1]:4.1f} ms  "
                f"{results[page.key]['queries']} queries",
                flush=True,
            )
        if targets:
            _drain(f"http://127.0.0.1:{port}")
            before = server_cpu_seconds(web.pid, database)
            mixed = open_loop(targets, rate=rate, seconds=OPEN_LOOP_SECONDS_QUICK if quick else OPEN_LOOP_SECONDS)
            mixed["cpu_ms"] = cpu_per_request(before, server_cpu_seconds(web.pid, database), mixed["requests"])
            print(
                f"  open loop, {rate:g} requests/s over {len(targets)} pages: "
                f"p50 {mixed['p50_ms']:.1f} ms  p95 {mixed['p95_ms']:.1f} ms",
                flush=True,
            )
        memory = stack.peak_rss_mb("web")
    finally:
        stack.stop()
        if not keep_databases():
            drop_database(database_url)
    measured_pages = [r for r in results.values() if "p95_ms" in r]
    return {
        "pages": results,
        "missing_pages": missing,
        "pages_not_200": sorted(key for key, r in results.items() if "error" in r),
        "queries_constant": None
        if reuse
        else all(
            counts_small.get(key, {}).get("queries") == counts_large.get(key, {}).get("queries") for key in counts_large
        ),
        "reused_database": reuse,
        "p95_max_ms": max((r["p95_ms"] for r in measured_pages), default=None),
        "p95_target_ms": TARGET_P95_MS,
        "alone_p50_max_ms": max((r["alone_p50_ms"] for r in measured_pages), default=None),
        "alone_p50_target_ms": TARGET_ALONE_P50_MS,
        "open_loop": mixed,
        "clients": clients,
        "seconds_per_page": seconds,
        "rows": counts_total,
        "messages": counts_total.get("posts.Message"),
        "deliveries": counts_total.get("posts.Delivery"),
        "small_sample": {"messages": small.get("posts.Message"), "deliveries": small.get("posts.Delivery")},
        "generate_seconds": round(generate_seconds, 1),
        "setup_seconds": round(setup_seconds, 1),
        "gunicorn": "2 workers x 4 threads",
        "web_rss_mb": memory,
        "backend": backend.name,
        "quick": quick,
        "date": now_iso(),
        "machine": machine(),
    }


def _differences(small: list[str], large: list[str]) -> list[str]:
    """The queries of one run that the other has not (shapes only: numbers and quoted
    values blanked), so that a count that grows with the data shows its culprit."""

    def shape(sql: str) -> str:
        return re.sub(r"'[^']*'|\b\d+\b", "?", sql)[:300]

    a, b = Counter(map(shape, small)), Counter(map(shape, large))
    return [f"+ {q}" for q in (b - a).elements()] + [f"- {q}" for q in (a - b).elements()]


def _check(url: str, cookie: str) -> int | str:
    """The page's status for this session (a redirect means the session is not accepted)."""
    try:
        return requests.get(url, headers={"Cookie": cookie}, allow_redirects=False, timeout=180).status_code
    except requests.RequestException as error:
        return type(error).__name__


def _drain(base: str, *, timeout: float = 300) -> None:
    """Wait until gunicorn has worked off the requests that the last load left queued (a
    slow page's queue outlives wrk), so that the next page starts on an idle server."""

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        started = time.monotonic()
        with contextlib.suppress(requests.RequestException):
            requests.get(f"{base}/healthz", timeout=timeout)
        if time.monotonic() - started < 0.5:
            return
        time.sleep(0.5)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="10,000 messages instead of 100,000")
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--seconds", type=float, help="load per page (default 15, quick 5)")
    parser.add_argument("--rate", type=float, default=OPEN_LOOP_RATE, help="open-loop requests a second")
    parser.add_argument(
        "--reuse", action="store_true", help="measure on the database a run with BENCH_KEEP_DATABASES=1 kept"
    )
    parser.add_argument("--out", help="write the result here as JSON")
    args = parser.parse_args(argv)
    try:
        result = run(quick=args.quick, clients=args.clients, seconds=args.seconds, rate=args.rate, reuse=args.reuse)
    except BenchError as error:
        print(f"pages: {error}", file=sys.stderr)
        sys.exit(1)
    text = json.dumps(result, indent=2, default=str)
    if args.out:
        Path(args.out).write_text(text)
    print(text)


if __name__ == "__main__":
    main()
