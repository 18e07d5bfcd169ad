"""The analytics pages under a year of data: p50 and p95 with 20 concurrent clients, and the
queries each page makes at two sizes of the same data.

`python -m bench.analytics_pages [--quick]` (normally through `python -m bench.run`):

1. A database of its own (`dh_bench_analytics_pages`, or var/bench/…sqlite3), migrated,
   with bench/data.py's 2,000 users and 1,084 accounts.
2. bench/data.py's year of messages (100,000 messages, 400,000 deliveries; 10,000 with
   --quick), and on them a year of analytics: a row per account and day (1,084 x 365), and
   the snapshots of every sent delivery at each age it has reached (1 h, 24 h, 7 d, 30 d);
   then the pre-summed rows the pages read (analytics.rollups), as the rounds keep them.
3. One message in 100 (and its numbers) is written first and every page's queries are
   counted; then the rest, and they are counted again: a page whose count grows with the
   data has a query in a loop.
4. gunicorn (2 workers x 4 threads, as the Procfile) and bench/pages.py's load keep 20
   connections busy on each page in turn.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import django
from django.db import connection

from bench.common import (
    SETTINGS_MODULE,
    Backend,
    BenchError,
    PageLoad,
    Stack,
    count_queries,
    cpu_per_request,
    create_database,
    database_exists,
    drop_database,
    free_port,
    keep_databases,
    machine,
    measure_pages,
    now_iso,
    server_cpu_seconds,
)
from bench.data import mix
from bench.pages import (
    OPEN_LOOP_RATE,
    OPEN_LOOP_SECONDS,
    OPEN_LOOP_SECONDS_QUICK,
    TARGET_ALONE_P50_MS,
    TARGET_P95_MS,
    _check,
    _differences,
    _drain,
    load,
    open_loop,
    session_for,
)

FULL_MESSAGES = 100_000
QUICK_MESSAGES = 10_000
DAYS = 365
AGES = (1, 24, 168, 720)


def daily_rows(*, now: datetime, days: int, part: str) -> int:
    """Followers per account and day: the sample part writes every 100th day, then the rest."""
    # start-up: each benchmark sets Django up itself, once it has chosen its database.
    from analytics.models import AccountDaily, Unknown
    from bench.data import Writer
    from channels.models import SocialAccount

    writer = Writer(AccountDaily)
    accounts = list(SocialAccount.objects.order_by("pk").values_list("pk", flat=True))
    for offset in range(days):
        if (offset % 100 == 0) != (part == "sample"):
            continue
        day = (now - timedelta(days=offset)).date()
        for pk in accounts:
            lost = mix(pk, offset) % 200 == 0  # now and then a Page lost its permission
            writer.add(
                {
                    "account_id": pk,
                    "day": day,
                    "followers": None if lost else 500 + mix(pk) % 50_000 + (days - offset) * (mix(pk, 1) % 20),
                    "views": None,
                    "unknown": Unknown.PERMISSION if lost else "",
                    "collected_at": now - timedelta(days=offset),
                }
            )
    writer.flush()
    return writer.count


def snapshot_rows(*, now: datetime, skip: set[int]) -> int:
    """The snapshots of every sent delivery not in `skip`, at each age it has reached."""
    # start-up: each benchmark sets Django up itself, once it has chosen its database.
    from analytics.models import DeliverySnapshot
    from bench.data import Writer
    from posts.models import Delivery

    writer = Writer(DeliverySnapshot)
    rows = (
        Delivery.objects.filter(state=Delivery.State.SENT)
        .exclude(sent_at=None)
        .values_list("pk", "account_id", "sent_at")
        .order_by("pk")
        .iterator(chunk_size=10_000)
    )
    for pk, account_id, sent_at in rows:
        if pk in skip:
            continue
        for age in AGES:
            at = sent_at + timedelta(hours=age)
            if at > now:
                break
            likes = mix(pk, age) % (40 * age if age < 168 else 5_000)
            writer.add(
                {
                    "delivery_id": pk,
                    "account_id": account_id,
                    "age_hours": age,
                    "views": likes * 30 + mix(pk) % 500,
                    "likes": likes,
                    "comments": likes // 6,
                    "shares": likes // 4,
                    "unknown": "",
                    "collected_at": at,
                }
            )
    writer.flush()
    return writer.count


def summed(now: datetime) -> None:
    """The pre-summed rows the collection rounds would have kept over the year."""
    # start-up: each benchmark sets Django up itself, once it has chosen its database.
    from analytics.rollups import rollups_refresh

    started = time.monotonic()
    today = now.astimezone(UTC).date()
    messages = rollups_refresh(days=[today - timedelta(days=n) for n in range(DAYS + 31)])
    print(f"  summed {messages:,} messages' numbers in {time.monotonic() - started:.1f} s", flush=True)


def pages(*, mission_code: str, message_id: int) -> dict[str, tuple[str, str]]:
    # start-up: each benchmark sets Django up itself, once it has chosen its database.
    from django.urls import reverse

    return {
        "comparison_press": (reverse("analytics:overview"), "press_office"),
        "comparison_officer": (reverse("analytics:overview"), "officer"),
        "mission_officer": (reverse("analytics:mission", args=[mission_code]), "officer"),
        "mission_press": (reverse("analytics:mission", args=[mission_code]), "press_office"),
        "message_press": (reverse("analytics:message", args=[message_id]), "press_office"),
        "comparison_csv": (reverse("analytics:overview") + "?csv=top", "press_office"),
    }


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
    name = "analytics_pages_quick" if quick else "analytics_pages"
    database_url = backend.database_for(name)
    total = QUICK_MESSAGES if quick else FULL_MESSAGES
    seconds = seconds or (5.0 if quick else 15.0)
    started = time.monotonic()
    reuse = reuse and database_exists(database_url)
    if not reuse:
        create_database(database_url)
    os.environ["DATABASE_URL"] = database_url
    os.environ["DJANGO_SETTINGS_MODULE"] = SETTINGS_MODULE
    django.setup()

    # start-up: Django is set up just above, on the benchmark's own database.
    from django.conf import settings
    from django.contrib.auth import get_user_model

    from analytics.models import AccountDaily, DeliverySnapshot
    from embassies.models import StaffMembership

    now = data._dataset_now()
    print(f"analytics_pages: {total:,} messages on {backend.name}{' (kept database)' if reuse else ''}", flush=True)
    generate_seconds = 0.0
    if reuse:
        officer = get_user_model().objects.get(username="bench-officer-0").pk
    else:
        people = data.seed_people_and_accounts()
        sample = data.sample_indices(total)
        data.generate(total=total, indices=sorted(sample), now=now, people=people)
        small = {
            "daily": daily_rows(now=now, days=DAYS, part="sample"),
            "snapshots": snapshot_rows(now=now, skip=set()),
        }
        summed(now)
        officer = people["role_users"]["officer"][0]
    mission_code = StaffMembership.objects.filter(user_id=officer).values_list("mission__code", flat=True).first()
    paths = pages(mission_code=mission_code, message_id=1)  # index 0: yesterday's crisis alert
    sessions = {role: session_for(role) for role in {role for _path, role in paths.values()}}
    if reuse:
        small = {"daily": 0, "snapshots": 0}
        large = {"daily": AccountDaily.objects.count(), "snapshots": DeliverySnapshot.objects.count()}
        counts_large = count_queries(paths, sessions)
        # Counted once, at one size: the small count is unknown, not equal.
        counts_small = {key: {**counted, "queries": None} for key, counted in counts_large.items()}
    else:
        counts_small = count_queries(paths, sessions)
        grown_at = time.monotonic()
        done = set(DeliverySnapshot.objects.values_list("delivery_id", flat=True).distinct())
        data.generate(total=total, indices=[i for i in range(total) if i not in sample], now=now, people=people)
        large = {
            "daily": daily_rows(now=now, days=DAYS, part="rest"),
            "snapshots": snapshot_rows(now=now, skip=done),
        }
        summed(now)
        generate_seconds = time.monotonic() - grown_at
        if connection.vendor == "postgresql":
            with connection.cursor() as db:
                db.execute("ANALYZE")
        counts_large = count_queries(paths, sessions)
    connection.close()
    setup_seconds = time.monotonic() - started
    database = backend.database_name(name) if backend.postgres else ""

    stack = Stack(name=name, backend=backend, database_url=database_url)
    results: dict[str, dict] = {}
    mixed: dict = {}
    try:
        port = free_port()
        web = stack.start_gunicorn(port, workers=2, threads=4)
        base = f"http://127.0.0.1:{port}"
        results = measure_pages(
            base,
            paths,
            sessions,
            counts_small=counts_small,
            counts_large=counts_large,
            clients=clients,
            seconds=seconds,
            loader=PageLoad(drain=_drain, check=_check, load=load, differences=_differences),
            alone=True,
            cpu=lambda: server_cpu_seconds(web.pid, database),
        )
        # The open loop of bench/pages.py, over these pages: what the press office and the
        # missions' officers make when they read their numbers at a busy hour.
        targets = {
            key: (f"{base}{path}", f"{settings.SESSION_COOKIE_NAME}={sessions[role]}")
            for key, (path, role) in paths.items()
            if "error" not in results.get(key, {})
        }
        if targets:
            _drain(base)
            before = server_cpu_seconds(web.pid, database)
            mixed = open_loop(targets, rate=rate, seconds=OPEN_LOOP_SECONDS_QUICK if quick else OPEN_LOOP_SECONDS)
            mixed["cpu_ms"] = cpu_per_request(before, server_cpu_seconds(web.pid, database), mixed["requests"])
            print(
                f"  open loop, {rate:g} requests/s over {len(targets)} pages: p50 {mixed['p50_ms']:.1f} ms  "
                f"p95 {mixed['p95_ms']:.1f} ms  CPU {mixed['cpu_ms'][0]} + {mixed['cpu_ms'][1]} ms a request",
                flush=True,
            )
    finally:
        stack.stop()
        if not keep_databases():
            drop_database(database_url)
    measured_pages = [r for r in results.values() if "p95_ms" in r]
    return {
        "pages": results,
        "queries_constant": None
        if reuse
        else all(counts_small[key]["queries"] == counts_large[key]["queries"] for key in counts_large),
        "p95_max_ms": max((r["p95_ms"] for r in measured_pages), default=None),
        "p95_target_ms": TARGET_P95_MS,
        "alone_p50_max_ms": max((r["alone_p50_ms"] for r in measured_pages), default=None),
        "alone_p50_target_ms": TARGET_ALONE_P50_MS,
        "open_loop": mixed,
        "reused_database": reuse,
        "clients": clients,
        "seconds_per_page": seconds,
        "messages": total,
        "daily_rows": small["daily"] + large["daily"],
        "snapshots": small["snapshots"] + large["snapshots"],
        "generate_seconds": round(generate_seconds, 1),
        "setup_seconds": round(setup_seconds, 1),
        "backend": backend.name,
        "quick": quick,
        "date": now_iso(),
        "machine": machine(),
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="10,000 messages")
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
        print(f"analytics_pages: {error}", file=sys.stderr)
        sys.exit(1)
    text = json.dumps(result, indent=2, default=str)
    if args.out:
        Path(args.out).write_text(text)
    print(text)


if __name__ == "__main__":
    main()
