"""The ingestion burst: 10,000 items said in one go to 300 accounts (75 missions, each on
X, Facebook, YouTube and Flickr), half pushed by webhook and half found by polling, with
overlaps: stored and threaded (and triaged, when the rules run at ingestion) with nothing
lost and nothing duplicated. Reports the seconds from the burst to the last item stored.

`python -m bench.ingest [--quick]` (normally through `python -m bench.run`):

1. A database of its own (`dh_bench_ingest`, or var/bench/ingest.sqlite3), migrated, with
   one connected sandbox account per mission and network (bench/fanout.py's), and one
   photo published on each Flickr account (Flickr's comments are on photos only).
2. The sandbox, gunicorn (2 workers x 4 threads, as the Procfile's web) for the webhooks,
   the Procfile's `listen` worker and beat (ticking every second). The sandbox pushes X's
   and Facebook's items to the webhooks, each sent twice one time in five, out of order
   and eight at once; every account, the pushed ones included, is polled once the burst is
   said: X's and Facebook's items arrive both ways, YouTube's and Flickr's by polling.
3. The burst: `POST /_sandbox/public/burst` (10,000 items, the missions' languages, some
   edited, some deleted). The clock runs from that request until every item the sandbox
   holds (deleted ones aside: one deleted before any poll may never be seen) is stored.
4. Then: lost (said, not stored), duplicated (stored twice, or stored but never said),
   conversations against the threads said, the webhooks' answers (200 only, never a 4xx
   or 5xx of ours), the load average of the machine (it is shared).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

import django
from django.db import connection
from django.utils import timezone

from bench.common import (
    SETTINGS_MODULE,
    Backend,
    BenchError,
    Stack,
    child_pids,
    cpu_seconds,
    create_database,
    drop_database,
    free_port,
    keep_databases,
    machine,
    now_iso,
    postgres_cpu_seconds,
    procfile_workers,
    wait_for,
)

NETWORKS = ("twitter", "facebook", "youtube", "flickr")
PUSHED = ("twitter", "facebook")
FULL = {"items": 10_000, "missions": 75}  # 300 accounts
QUICK = {"items": 1_000, "missions": 10}  # 40 accounts
TARGET_SECONDS = 30.0
# Steady polling at production's cadence (settings/base.py's LISTEN_INTERVALS defaults),
# for every mission's four accounts: 271 x 4 = 1,084.
STEADY_INTERVALS = {"twitter": 300, "facebook": 900, "youtube": 1800, "flickr": 3600}
STEADY_ACCOUNTS_PER_NETWORK = 271
WEBHOOK_PATHS = {"twitter": "/conversations/webhooks/x/", "facebook": "/conversations/webhooks/facebook/"}
# The polls of the run: beat every second, every account claimed at once, and none polled
# twice within the run (the networks' own intervals are minutes to an hour).
LISTEN_ENV = {
    "LISTEN_TICK": "1",
    "LISTEN_BATCH_SIZE": "1000",
    "LISTEN_INTERVALS": json.dumps(dict.fromkeys(NETWORKS, 3600)),
}


def publish_flickr_photos(*, accounts) -> int:
    """One photo on each Flickr account, through the adapter and its SDK: what the public
    comments on. Not timed."""
    # start-up: each benchmark sets Django up itself, once it has chosen its database.
    from channels.adapters.base import Content, MediaFile
    from channels.services import adapter_for
    from live.media_samples import png_bytes

    with tempfile.NamedTemporaryFile(suffix=".png", delete=False) as handle:
        handle.write(png_bytes(64, 48))
    try:
        media = MediaFile(
            path=handle.name,
            mime_type="image/png",
            kind="image",
            size=Path(handle.name).stat().st_size,
            alt_text="A navy square",
        )
        for account in accounts:
            adapter_for(account).publish(
                account.open_credentials(), Content(text="Bench photo", title="Bench photo", media=(media,))
            )
    finally:
        os.unlink(handle.name)
    return len(accounts)


def expected_items(stack: Stack) -> tuple[set[tuple[str, str]], set[tuple[str, str]], int]:
    """(network, id) of what the sandbox's public said and did not delete, of everything it
    said, and the number of threads (per account) said."""
    said = stack.sandbox("GET", "public")["said"]
    live = {(item["network"], item["id"]) for item in said if not item["deleted"]}
    every = {(item["network"], item["id"]) for item in said}
    threads = {(item["network"], item["account"], item["thread"] or item["id"]) for item in said}
    return live, every, len(threads)


def stored_items() -> list[tuple[str, str]]:
    # start-up: each benchmark sets Django up itself, once it has chosen its database.
    from conversations.models import Item

    return list(Item.objects.values_list("network", "external_id"))


def stack_cpu(stack: Stack) -> dict[str, float]:
    """CPU seconds used so far by each process of the stack, its children included
    (gunicorn's workers)."""
    return {
        process.name: cpu_seconds(process.pid) + sum(cpu_seconds(child) for child in child_pids(process.pid))
        for process in stack.processes
        if process.running
    }


def cpu_used(before: dict, after: dict) -> dict[str, float]:
    return {name: round(after[name] - before.get(name, 0.0), 2) for name in after}


def postgres_cpu_used(before: dict[int, float], after: dict[int, float]) -> float:
    """CPU seconds of the database's backends between two readings (those that ended in
    between are not counted: a floor)."""
    return round(sum(seconds - before.get(pid, 0.0) for pid, seconds in after.items()), 2)


def queries_per_item(account, *, size: int = 100) -> dict[str, float]:
    """Statements per item of one batch of `size` new items (four to a thread), the same
    batch replayed, then edited: measured in this process, after the run."""
    # start-up: each benchmark sets Django up itself, once it has chosen its database.
    from django.test.utils import CaptureQueriesContext

    from channels.adapters.listening import HeardItem, ItemKind
    from conversations.models import RawEvent
    from conversations.services import triage
    from conversations.services.ingest import items_ingest

    triage.rules()  # read once per process and minute: not the batch's own statements
    at = timezone.now()

    def page(text: str, edited: bool) -> list:
        return [
            HeardItem(
                network=account.network,
                external_id=f"bench-q-{index}",
                kind=ItemKind.REPLY,
                thread_id=f"bench-q-thread-{index // 4}",
                author_id=f"bench-author-{index}",
                author_name="",
                text=f"{text} {index}",
                created_at=at,
                url="",
                edited_at=at + timedelta(minutes=1) if edited else None,
                raw={"id": f"bench-q-{index}", "text": f"{text} {index}"},
            )
            for index in range(size)
        ]

    figures = {}
    for label, items in (
        ("new", page("How do I renew my passport?", False)),
        ("replayed", page("How do I renew my passport?", False)),
        ("edited", page("How do I renew my passport, please?", True)),
    ):
        with CaptureQueriesContext(connection) as queries:
            items_ingest(account=account, items=items, source=RawEvent.Source.POLL)
        figures[label] = round(len(queries) / size, 3)
    return figures


def steady_polling(stack: Stack, *, database_name: str) -> dict:
    """Once the burst is stored, every account polled again, network by network (nothing
    new to hear): the CPU of the listen worker and beat per poll, and what polling all
    1,084 accounts (271 per network) costs at production's intervals, in % of one core."""
    # start-up: each benchmark sets Django up itself, once it has chosen its database.
    from conversations.models import Item, ListenCursor

    figures: dict = {}
    share = share_with_database = 0.0
    for network in NETWORKS:
        ids = list(ListenCursor.objects.filter(account__network=network).values_list("pk", flat=True))
        items_before = Item.objects.count()
        mark = timezone.now()
        before = stack_cpu(stack)
        pg_before = postgres_cpu_seconds(database_name) if database_name else {}
        ListenCursor.objects.filter(pk__in=ids).update(next_poll_at=mark)
        wait_for(
            lambda ids=ids, mark=mark: (
                ListenCursor.objects.filter(pk__in=ids, last_polled_at__gte=mark).count() == len(ids)
            ),
            300,
            interval=0.25,
            what=f"every {network} account to be polled again",
        )
        cpu = cpu_used(before, stack_cpu(stack))
        ours = cpu.get("listen", 0.0) + cpu.get("beat", 0.0)
        database = postgres_cpu_used(pg_before, postgres_cpu_seconds(database_name)) if database_name else 0.0
        per_poll = ours / max(len(ids), 1)
        share += per_poll * STEADY_ACCOUNTS_PER_NETWORK / STEADY_INTERVALS[network]
        share_with_database += (
            (ours + database) / max(len(ids), 1) * STEADY_ACCOUNTS_PER_NETWORK / STEADY_INTERVALS[network]
        )
        figures[network] = {
            "polls": len(ids),
            "items_heard": Item.objects.count() - items_before,
            "worker_and_beat_cpu_ms_per_poll": round(1000 * per_poll, 2),
            "postgres_cpu_ms_per_poll": round(1000 * database / max(len(ids), 1), 2) if database_name else None,
            "sandbox_cpu_seconds": cpu.get("sandbox"),
            "interval_seconds": STEADY_INTERVALS[network],
        }
    figures["percent_of_one_core"] = round(100 * share, 3)
    figures["percent_of_one_core_with_postgres"] = round(100 * share_with_database, 3) if database_name else None
    return figures


def pushes_settled(stack: Stack) -> dict:
    """The sandbox's pushes, once every one sent has its answer (or after 60 s)."""
    last = None
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        targets = {target["network"]: target for target in stack.sandbox("GET", "webhooks")["webhooks"]}
        state = {network: (t["sent"], sum(t["answers"].values())) for network, t in targets.items()}
        if state == last and all(sent == answered for sent, answered in state.values()):
            return targets
        last = state
        time.sleep(0.5)
    return targets


def run(
    *, quick: bool = False, items: int | None = None, missions: int | None = None, name: str = "", steady: bool = True
) -> dict:
    size = {
        **(QUICK if quick else FULL),
        **({"items": items} if items else {}),
        **({"missions": missions} if missions else {}),
    }
    backend = Backend.from_environment()
    name = name or ("ingest_quick" if quick else "ingest")
    database_url = backend.database_for(name)
    started = time.monotonic()
    create_database(database_url)
    os.environ["DATABASE_URL"] = database_url
    os.environ["DJANGO_SETTINGS_MODULE"] = SETTINGS_MODULE
    os.environ.update(LISTEN_ENV)

    django.setup()

    # start-up: each benchmark sets Django up itself, once it has chosen its database.
    from django.conf import settings
    from django.db.models import Count

    from bench.fanout import seed_accounts
    from channels.models import SocialAccount
    from channels.services import adapter_for
    from conversations.models import Conversation, ListenCursor, RawEvent
    from conversations.services.polling import cursors_open

    accounts = seed_accounts(networks=NETWORKS, missions_limit=size["missions"])
    stack = Stack(name=name, backend=backend, database_url=database_url, env=dict(LISTEN_ENV))
    try:
        settings.SANDBOX_URL = stack.start_sandbox()  # the adapters of this process too
        stack.use_in_this_process()
        every_account = list(SocialAccount.objects.select_related("mission").order_by("pk"))
        publish_flickr_photos(accounts=[a for a in every_account if a.network == "flickr"])
        for account in every_account:
            if account.network == "facebook":
                # What connecting a Page does: the sandbox pushes its feed from now on.
                adapter_for(account).subscribe_to_feed(account.open_credentials())
        # The cursors exist, and none is due before the burst.
        cursors_open()
        ListenCursor.objects.update(next_poll_at=timezone.now() + timedelta(days=1))

        port = free_port()
        hub = f"http://127.0.0.1:{port}"
        stack.start_gunicorn(port, workers=2, threads=4)
        listen = [worker for worker in procfile_workers() if "listen" in worker.queues.split(",")]
        if not listen:
            raise BenchError("The Procfile has no worker for the listen queue.")
        stack.start_procfile_workers(listen)
        stack.start_beat()
        stack.wait_ready()
        for network in PUSHED:
            stack.sandbox(
                "POST",
                "webhooks",
                json={
                    "network": network,
                    "url": hub + WEBHOOK_PATHS[network],
                    "secret": settings.SOCIAL_APPS[network]["client_secret"],
                    "duplicate_rate": 0.2,
                    "shuffle": True,
                    "concurrency": 8,
                },
            )
        connection.close()
        setup_seconds = time.monotonic() - started
        load_before = os.getloadavg()
        database_name = backend.database_name(name)
        cpu_before = stack_cpu(stack)
        pg_before = postgres_cpu_seconds(database_name) if backend.postgres else {}

        clock = time.monotonic()
        burst = stack.sandbox(
            "POST",
            "public/burst",
            json={
                "accounts": [
                    {"network": a.network, "account": a.network_account_id, "languages": a.mission.languages}
                    for a in every_account
                ],
                "count": size["items"],
                "seed": 14,
                "spread_seconds": 600,
            },
        )
        said_seconds = time.monotonic() - clock
        ListenCursor.objects.update(next_poll_at=timezone.now())  # every account polled now
        live, every, threads = expected_items(stack)

        # When a half, nine tenths and all of the items were stored (seconds after the burst).
        milestones: dict[str, float] = {}

        def all_stored() -> bool:
            stack.check_alive()
            have = len(live & set(stored_items()))
            for label, share in (("half", 0.5), ("nine_tenths", 0.9), ("all", 1.0)):
                if label not in milestones and have >= share * len(live):
                    milestones[label] = round(time.monotonic() - clock, 2)
            return have == len(live)

        try:
            wait_for(all_stored, 300 if quick else 900, interval=0.25, what="every item to be stored")
            timed_out = False
        except BenchError:
            timed_out = True
        seconds = time.monotonic() - clock
        load_after = os.getloadavg()
        pushes = pushes_settled(stack)
        # Every push answered and every item stored: what ingesting them cost.
        cpu = cpu_used(cpu_before, stack_cpu(stack))
        pg_cpu = postgres_cpu_used(pg_before, postgres_cpu_seconds(database_name)) if backend.postgres else None
        stored = stored_items()
        unique = set(stored)
        conversations = Conversation.objects.count()
        triaged = Conversation.objects.exclude(category="unsorted").count()
        raw_events = dict(
            RawEvent.objects.values_list("source").annotate(count=Count("pk")).values_list("source", "count")
        )
        cursors_failed = list(ListenCursor.objects.exclude(last_error="").values_list("last_error", flat=True)[:5])
        polled = ListenCursor.objects.filter(last_success_at__isnull=False).count()
        steady_figures = (
            steady_polling(stack, database_name=database_name if backend.postgres else "")
            if steady and not quick
            else None
        )
        queries = queries_per_item(every_account[0])
        connection.close()
    finally:
        stack.stop()
        if not keep_databases():
            drop_database(database_url)
    answers: dict[str, int] = {}
    for target in pushes.values():
        for status, count in target["answers"].items():
            answers[status] = answers.get(status, 0) + count
    return {
        "items_said": burst["said"],
        "items_live": len(live),
        "accounts": accounts,
        "stored": len(unique),
        # Said and not stored when the run ended: lost, unless the run timed out first.
        "lost": len(live - unique),
        "duplicates": (len(stored) - len(unique)) + len(unique - every),
        "timed_out": timed_out,
        "seconds": round(seconds, 2),
        "said_seconds": round(said_seconds, 2),
        "stored_after_seconds": milestones,
        "items_per_second": round(len(unique) / seconds, 1) if seconds else None,
        "target_seconds": TARGET_SECONDS,
        "conversations": conversations,
        "threads_said": threads,
        "triaged": triaged,
        "raw_events": raw_events,
        "pushed": {network: target["sent"] for network, target in pushes.items()},
        "webhook_answers": answers,
        "accounts_polled": polled,
        # CPU seconds from the burst until every push was answered and every item stored.
        "cpu_seconds": cpu,
        "cpu_seconds_ingesting": round(cpu.get("gunicorn", 0.0) + sum(v for k, v in cpu.items() if "listen" in k), 2),
        "cpu_ms_per_item_ingesting": round(
            1000 * (cpu.get("gunicorn", 0.0) + sum(v for k, v in cpu.items() if "listen" in k)) / max(len(unique), 1), 2
        ),
        "postgres_cpu_seconds": pg_cpu,
        "queries_per_item": queries,
        "steady_polling": steady_figures,
        "poll_errors": cursors_failed,
        "load_average_before": [round(value, 2) for value in load_before],
        "load_average_after": [round(value, 2) for value in load_after],
        "setup_seconds": round(setup_seconds, 1),
        "backend": backend.name,
        "quick": quick,
        "date": now_iso(),
        "machine": machine(),
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="1,000 items to 40 accounts")
    parser.add_argument("--items", type=int, help="items in the burst (default 10,000; quick 1,000)")
    parser.add_argument("--missions", type=int, help="missions, four accounts each (default 75; quick 10)")
    parser.add_argument("--name", default="", help="of its database and logs (default ingest or ingest_quick)")
    parser.add_argument("--out", help="write the result here as JSON")
    parser.add_argument("--no-steady", action="store_true", help="skip steady polling's rounds (not in --quick)")
    args = parser.parse_args(argv)
    try:
        result = run(
            quick=args.quick, items=args.items, missions=args.missions, name=args.name, steady=not args.no_steady
        )
    except BenchError as error:
        print(f"ingest: {error}", file=sys.stderr)
        sys.exit(1)
    text = json.dumps(result, indent=2, default=str)
    if args.out:
        Path(args.out).write_text(text)
    print(text)


if __name__ == "__main__":
    main()
