"""The conversation desk's pages (the inbox, a conversation, the dashboards and the dialogue
page) under 1,000,000 items: p50 and p95 with 20 concurrent clients, and the queries each
page makes at two sizes of the same data.

`python -m bench.inbox_pages [--quick]` (normally through `python -m bench.run`):

1. A database of its own (`dh_bench_inbox_pages`, or var/bench/inbox_pages.sqlite3),
   migrated, with bench/data.py's 2,000 users and 1,084 accounts.
2. A year of the public's words, written by COPY (bench/data.py's Writer): 250,000
   conversations on the 1,084 accounts (1 to 7 items each, 1,000,000 items in all; 25,000
   with --quick), one in ten of the last weeks still to do (new, open, awaiting clearance,
   waiting for the author), with priorities, categories, languages, due times and some
   escalated; the others resolved or closed. Authors come back: about 200,000 of them.
3. One conversation in 100 is written first and every page's queries are counted
   (in-process, on a session of the role that uses the page); then the rest, and they are
   counted again: a page whose count grows with the data has a query in a loop.
4. gunicorn (2 workers x 4 threads, as the Procfile): each page alone (one client: its p50),
   then 20 connections busy on it (`wrk` or a Python client of the same shape; a stress
   figure only), as bench/pages.py does.
5. The server's CPU per request of each page: one client sends `CPU_REQUESTS` requests in
   turn, and the CPU seconds gunicorn's processes and the database's PostgreSQL backends
   used meanwhile are divided by them (a shared machine inflates wall-clock times, not these).
6. The open loop (issue 16): 30 requests a second (`--rate`) for 30 s, to every page in
   turn, each due at its time whatever the answers do (bench/pages.py's `open_loop`): the
   p95 that the 150 ms target is judged on, with the server's CPU per request meanwhile.

`--reuse` measures the database a former run kept (`BENCH_KEEP_DATABASES=1`) without writing
it again (then the small sample's query counts are not taken).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from datetime import datetime, timedelta
from pathlib import Path
from urllib.parse import urlencode

import django
import requests
from django.conf import settings
from django.db import connection

from bench.common import (
    SETTINGS_MODULE,
    Backend,
    BenchError,
    PageLoad,
    Stack,
    count_queries,
    create_database,
    database_exists,
    drop_database,
    free_port,
    keep_databases,
    machine,
    measure_pages,
    now_iso,
    server_cpu_seconds,
    server_cpu_used,
)
from bench.data import DAY, mix
from bench.pages import (
    OPEN_LOOP_RATE,
    OPEN_LOOP_SECONDS,
    OPEN_LOOP_SECONDS_QUICK,
    TARGET_P95_MS,
    _check,
    _differences,
    _drain,
    load,
    open_loop,
    session_for,
)

__all__ = ["count_queries", "generate", "pages", "run"]  # count_queries: the suite's quick version uses it here

FULL_CONVERSATIONS = 250_000
QUICK_CONVERSATIONS = 25_000
STRIDE = 100  # the small sample: one conversation in 100
CPU_REQUESTS = 40  # per page, one after the other, for the server's CPU per request
CPU_REQUESTS_QUICK = 15
ACTIVE_SHARE = 0.1  # the last tenth of the year's conversations holds the work to do
LANGUAGES = ("en", "fr", "ar", "es", "ru", "zh", "pt", "de")
CATEGORIES = ("consular", "press", "praise", "hostile", "spam", "distress", "policy", "unsorted")
ACTIVE_STATUSES = ("new", "new", "open", "awaiting_clearance", "waiting_for_author")
KINDS = {"twitter": "reply", "facebook": "comment", "youtube": "comment", "flickr": "comment"}
WORDS = (
    "Hello, how do I renew my passport at the embassy? My appointment was cancelled twice and I travel soon.",
    "Merci pour la réception d'hier, très belle soirée !",
    "هل القنصلية مفتوحة يوم الجمعة للتأشيرات؟",
    "Journalist here: can the embassy comment on the minister's visit next week?",
    "¿Está abierto el consulado el viernes?",
)


def items_in(c: int) -> int:
    """Conversation c's number of items: 1 to 7, four on average."""
    return 1 + mix(c, 11) % 7


def conversation_row(c: int, total: int, now: datetime, people: dict, accounts: list[tuple[int, int, str]]) -> dict:
    """Conversation c (id c + 1): its account, time and fate depend on c and `total` only."""
    account_id, mission_id, network = accounts[mix(c, 1) * 7919 % len(accounts)]
    if c == focus_index(total):
        account_id, mission_id, network = focus_account(people, accounts)
    last = now - 365 * DAY * (1 - (c + 1) / total)
    active = c >= total * (1 - ACTIVE_SHARE)
    r = mix(c, 2)
    status = ACTIVE_STATUSES[r % len(ACTIVE_STATUSES)] if active else ("resolved" if r < 800 else "closed")
    due = last + timedelta(hours=1 + mix(c, 3) % 48) if active else None
    return {
        "id": c + 1,
        "mission_id": mission_id,
        "account_id": account_id,
        "network": network,
        "thread_id": f"bench-thread-{c}",
        "status": status,
        "close_reason": "no_reply_needed" if status == "closed" else "",
        "category": CATEGORIES[mix(c, 4) % len(CATEGORIES)],
        "priority": 1 + mix(c, 5) % 4,
        "language": LANGUAGES[mix(c, 6) % len(LANGUAGES)],
        "tags": [],
        "due_at": due,
        "escalated_at": last + timedelta(hours=2) if active and r % 20 == 0 else None,
        # Answered (the resolved ones): when, and in how many minutes of the clock.
        "first_answered_at": last - timedelta(minutes=30) if status == "resolved" else None,
        "first_answer_seconds": 60 * (5 + mix(c, 8) % 600) if status == "resolved" else None,
        "item_count": items_in(c),
        "last_item_at": last,
        "created_at": last - timedelta(hours=items_in(c)),
        "updated_at": last,
    }


def focus_index(total: int) -> int:
    """The conversation whose page is measured: recent, still to do, in the sample."""
    return total - STRIDE


def focus_account(people: dict, accounts: list[tuple[int, int, str]]) -> tuple[int, int, str]:
    """An X account of the mission of the first benchmark officer (whose session is used)."""
    mission_id = people["missions"][0][0]
    return next(account for account in accounts if account[1] == mission_id and account[2] == "twitter")


def generate(*, total: int, indices, now: datetime, people: dict) -> dict[str, int]:
    """Write conversations `indices` (of `total`) and their items, by COPY."""
    # start-up: each benchmark sets Django up itself, once it has chosen its database.
    from bench.data import Writer, reset_sequences
    from channels.models import SocialAccount
    from conversations.models import Conversation, Item

    accounts = list(SocialAccount.objects.order_by("pk").values_list("pk", "mission_id", "network"))
    conversations = Writer(Conversation, explicit_id=True)
    items = Writer(Item)
    for c in indices:
        row = conversation_row(c, total, now, people, accounts)
        conversations.add(row)
        count = row["item_count"]
        for n in range(count):
            at = row["last_item_at"] - timedelta(hours=count - 1 - n)
            # Authors come back: about 200,000 of them, some to the same mission.
            author = f"author-{mix(c, 7 + n) * 200 + mix(c + n, 9) % 200}"
            items.add(
                {
                    "network": row["network"],
                    "external_id": f"{c}-{n}",
                    "account_id": row["account_id"],
                    "conversation_id": row["id"],
                    "kind": KINDS[row["network"]],
                    "parent_id": f"{c}-{n - 1}" if n and mix(c, n) < 500 else "",
                    "answers_post_id": "",
                    "author_id": author,
                    "author_name": f"Person {author[7:]}",
                    "author_handle": f"@p{author[7:]}",
                    "text": WORDS[(c + n) % len(WORDS)],
                    "language": row["language"],
                    "url": f"https://x.com/i/web/status/{c}{n}",
                    "created_at_network": at,
                    "edited_at": None,
                    "version_at": at,
                    "deleted_at": None,
                    "first_seen_at": at,
                    "updated_at": at,
                    "raw_event_id": None,
                }
            )
        # The conversations before their items (each COPY is checked on its own), and before
        # the Writer's own flush at 50,000 rows.
        if len(items.buffer) >= 40_000:
            conversations.flush()
            items.flush()
    conversations.flush()
    items.flush()
    reset_sequences([Conversation, Item])
    return {"conversations": conversations.count, "items": items.count}


def pages(conversation_id: int, now_cursor: str) -> dict[str, tuple[str, str]]:
    """{key: (path, role)} of the pages measured."""
    # start-up: each benchmark sets Django up itself, once it has chosen its database.
    from django.urls import reverse

    inbox = reverse("conversations:inbox")
    detail = reverse("conversations:detail", args=[conversation_id])
    return {
        "inbox_headquarters": (inbox, "press_office"),
        "inbox_hq_to_do_region": (
            f"{inbox}?{urlencode({'status': 'active', 'region': 'Europe'})}",
            "press_office",
        ),
        "inbox_hq_overdue": (f"{inbox}?due=overdue", "press_office"),
        "inbox_officer": (inbox, "officer"),
        "inbox_live_count": (
            f"{reverse('conversations:inbox_changes')}?{urlencode({'since': now_cursor})}",
            "press_office",
        ),
        "conversation_press": (detail, "press_office"),
        "conversation_officer": (detail, "officer"),
        "dashboard_press": (reverse("posts:dashboard"), "press_office"),
        "dashboard_officer": (reverse("posts:dashboard"), "officer"),
        # The dialogue measured: a week and a quarter, the whole network and one officer's.
        "dialogue_press": (reverse("analytics:dialogue"), "press_office"),
        "dialogue_press_90_days": (f"{reverse('analytics:dialogue')}?days=90", "press_office"),
        "dialogue_officer": (reverse("analytics:dialogue"), "officer"),
    }


def server_cpu(
    base: str,
    paths: dict[str, tuple[str, str]],
    sessions: dict[str, str],
    *,
    web_pid: int,
    database: str,
    requests: int,
) -> dict[str, dict]:
    """Each page's CPU per request on the server: `requests` requests one after the other
    (one client), the CPU seconds gunicorn and PostgreSQL used meanwhile divided by them."""
    # start-up: each benchmark sets Django up itself, once it has chosen its database.
    from django.conf import settings

    found = {}
    for key, (path, role) in paths.items():
        _drain(base)
        client = http_session(f"{settings.SESSION_COOKIE_NAME}={sessions[role]}")
        client.get(f"{base}{path}", timeout=60)
        before = server_cpu_seconds(web_pid, database)
        started = time.monotonic()
        for _ in range(requests):
            client.get(f"{base}{path}", timeout=60).raise_for_status()
        elapsed = time.monotonic() - started
        web, db = server_cpu_used(before, server_cpu_seconds(web_pid, database))
        client.close()
        found[key] = {
            "requests": requests,
            "web_cpu_ms": round(web / requests * 1000, 1),
            "database_cpu_ms": round(db / requests * 1000, 1),
            "wall_ms": round(elapsed / requests * 1000, 1),
        }
        print(
            f"  {key:24} CPU per request: web {found[key]['web_cpu_ms']:6.1f} ms  "
            f"PostgreSQL {found[key]['database_cpu_ms']:6.1f} ms  (wall {found[key]['wall_ms']:6.1f} ms)",
            flush=True,
        )
    return found


def http_session(cookie: str) -> requests.Session:
    client = requests.Session()
    client.headers["Cookie"] = cookie
    return client


def run(
    *,
    quick: bool = False,
    clients: int = 20,
    seconds: float | None = None,
    rate: float = OPEN_LOOP_RATE,
    reuse: bool = False,
    port: int | None = None,
) -> dict:
    # start-up: each benchmark sets Django up itself, once it has chosen its database.
    from bench import data

    backend = Backend.from_environment()
    name = "inbox_pages_quick" if quick else "inbox_pages"
    database_url = backend.database_for(name)
    total = QUICK_CONVERSATIONS if quick else FULL_CONVERSATIONS
    seconds = seconds or (5.0 if quick else 15.0)
    started = time.monotonic()
    reuse = reuse and database_exists(database_url)
    if not reuse:
        create_database(database_url)
    os.environ["DATABASE_URL"] = database_url
    os.environ["DJANGO_SETTINGS_MODULE"] = SETTINGS_MODULE

    django.setup()
    # start-up: the models exist once Django is set up.
    from conversations.models import Conversation, Item

    now = data._dataset_now()
    print(f"inbox_pages: {total:,} conversations on {backend.name}{' (kept database)' if reuse else ''}", flush=True)
    people = None if reuse else data.seed_people_and_accounts()
    sample = set(range(0, total, STRIDE))
    cursor = str(int((now - timedelta(hours=1)).timestamp() * 1_000_000))
    paths = pages(focus_index(total) + 1, cursor)
    generate_seconds = 0.0
    if reuse:
        sessions = {role: session_for(role) for role in {role for _path, role in paths.values()}}
        small = {"conversations": 0, "items": 0}
        large = {"conversations": Conversation.objects.count(), "items": Item.objects.count()}
        counts_small = counts_large = count_queries(paths, sessions)
    else:
        small = generate(total=total, indices=sorted(sample), now=now, people=people)
        sessions = {role: session_for(role) for role in {role for _path, role in paths.values()}}
        counts_small = count_queries(paths, sessions)
        grown_at = time.monotonic()
        large = generate(total=total, indices=(c for c in range(total) if c not in sample), now=now, people=people)
        generate_seconds = time.monotonic() - grown_at
        if connection.vendor == "postgresql":
            with connection.cursor() as db:
                db.execute("ANALYZE")
        counts_large = count_queries(paths, sessions)
    connection.close()
    setup_seconds = time.monotonic() - started
    load_before = os.getloadavg()
    database = backend.database_name(name) if backend.postgres else ""

    stack = Stack(name=name, backend=backend, database_url=database_url)
    results: dict[str, dict] = {}
    cpu: dict[str, dict] = {}
    mixed: dict = {}
    try:
        port = port or free_port()
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
        )
        cpu = server_cpu(
            base,
            paths,
            sessions,
            web_pid=web.pid,
            database=database,
            requests=CPU_REQUESTS_QUICK if quick else CPU_REQUESTS,
        )
        for key, figures in cpu.items():
            if key in results:
                results[key]["cpu_per_request"] = figures
        targets = {
            key: (f"{base}{path}", f"{settings.SESSION_COOKIE_NAME}={sessions[role]}")
            for key, (path, role) in paths.items()
            if "error" not in results.get(key, {})
        }
        _drain(base)
        before = server_cpu_seconds(web.pid, database)
        mixed = open_loop(targets, rate=rate, seconds=OPEN_LOOP_SECONDS_QUICK if quick else OPEN_LOOP_SECONDS)
        used_web, used_db = server_cpu_used(before, server_cpu_seconds(web.pid, database))
        # Per answered request: a server that falls behind also works on requests whose
        # clients gave up (counted in errors_socket), so compare with the pages' own figures.
        mixed["web_cpu_seconds"] = round(used_web, 2)
        mixed["database_cpu_seconds"] = round(used_db, 2)
        mixed["web_cpu_ms_per_request"] = round(used_web / max(1, mixed["requests"]) * 1000, 1)
        mixed["database_cpu_ms_per_request"] = round(used_db / max(1, mixed["requests"]) * 1000, 1)
        print(
            f"  open loop, {rate:g} requests/s over {len(targets)} pages: p50 {mixed['p50_ms']:.1f} ms  "
            f"p95 {mixed['p95_ms']:.1f} ms, {mixed['errors_socket']} unanswered  "
            f"(CPU per answered request: web {mixed['web_cpu_ms_per_request']} ms, "
            f"PostgreSQL {mixed['database_cpu_ms_per_request']} ms; load {mixed['load_average']})",
            flush=True,
        )
        memory = stack.peak_rss_mb("web")
    finally:
        stack.stop()
        if not keep_databases():
            drop_database(database_url)
    load_after = os.getloadavg()
    measured_pages = [r for r in results.values() if "p95_ms" in r]
    return {
        "pages": results,
        "queries_constant": None
        if reuse
        else all(counts_small[key]["queries"] == counts_large[key]["queries"] for key in counts_large),
        "p95_max_ms": max((r["p95_ms"] for r in measured_pages), default=None),
        "p95_target_ms": TARGET_P95_MS,
        "open_loop": mixed,
        "clients": clients,
        "seconds_per_page": seconds,
        "conversations": small["conversations"] + large["conversations"],
        "items": small["items"] + large["items"],
        "small_sample": small,
        "reused_database": reuse,
        "generate_seconds": round(generate_seconds, 1),
        "setup_seconds": round(setup_seconds, 1),
        "gunicorn": "2 workers x 4 threads",
        "web_rss_mb": memory,
        "load_average_before": [round(value, 2) for value in load_before],
        "load_average_after": [round(value, 2) for value in load_after],
        "backend": backend.name,
        "quick": quick,
        "date": now_iso(),
        "machine": machine(),
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="25,000 conversations (about 100,000 items)")
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--seconds", type=float, help="load per page (default 15, quick 5)")
    parser.add_argument("--rate", type=float, default=OPEN_LOOP_RATE, help="open-loop requests a second")
    parser.add_argument("--reuse", action="store_true", help="measure the database a former run kept")
    parser.add_argument("--port", type=int, help="gunicorn's port (default: a free one)")
    parser.add_argument("--out", help="write the result here as JSON")
    args = parser.parse_args(argv)
    try:
        result = run(
            quick=args.quick,
            clients=args.clients,
            seconds=args.seconds,
            rate=args.rate,
            reuse=args.reuse,
            port=args.port,
        )
    except BenchError as error:
        print(f"inbox_pages: {error}", file=sys.stderr)
        sys.exit(1)
    text = json.dumps(result, indent=2, default=str)
    if args.out:
        Path(args.out).write_text(text)
    print(text)


if __name__ == "__main__":
    main()
