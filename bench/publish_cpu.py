"""CPU and database round trips per delivery, in one thread, without Celery: what a
worker spends on `deliveries_publish` (posts.publish_batch) for each network.

`python -m bench.publish_cpu [--missions 40] [--batch 16] [--profile]`. The fan-out's crisis
alert (an image version for X, Facebook and Flickr, a video for YouTube) to `--missions`
missions, on the benchmark's own database (`dh_bench_publishcpu`, or BENCH_DATABASE_NAME,
on the PostgreSQL server DATABASE_URL names, or a file under var/bench/), against an
in-process sandbox with no latency. Every delivery is claimed by the dispatcher
(`dispatch_due`, timed too; the broker is kombu's in-memory one), then published in batches
of one network's deliveries (PUBLISH_BATCH_SIZE, or `--batch`) by `deliveries_publish` in
this thread (PUBLISH_CALL_THREADS = 0), one batch after the other. Prints JSON: per
network, the CPU milliseconds per delivery (this thread's CPU time, one figure per batch),
the statements and the round trips to the database per delivery (PostgreSQL's BEGIN and
COMMIT counted); the first batch of each network is warm-up and is left out.

A machine shared with other work changes the wall clock, not a thread's CPU time: this is
the figure to compare before and after a change. `--profile` writes cProfile's top entries
to var/bench/publish-cpu-profile.txt.
"""

from __future__ import annotations

import argparse
import cProfile
import gc
import io
import json
import os
import pstats
import statistics
import sys
import time
from pathlib import Path

import django
from django.conf import settings
from django.db import connection
from django.test.utils import CaptureQueriesContext

from bench.common import (
    BENCH_VAR,
    SETTINGS_MODULE,
    Backend,
    create_database,
    drop_database,
    keep_databases,
    machine,
    now_iso,
)


class _GcClock:
    """CPU time spent in the cyclic garbage collector (gc.callbacks), in this thread."""

    def __init__(self) -> None:
        self.seconds = 0.0
        self.collections = 0
        self._started = 0.0
        gc.callbacks.append(self._callback)

    def _callback(self, phase: str, info: dict) -> None:
        if phase == "start":
            self._started = time.thread_time()
        else:
            self.seconds += time.thread_time() - self._started
            self.collections += 1

    def stop(self) -> None:
        gc.callbacks.remove(self._callback)


class _RoundTrips:
    """Counts the statements a thread sends to the database (`connection.execute_wrapper`)
    and its round trips: each transaction's COMMIT besides, and on PostgreSQL its BEGIN
    (the driver's, before the first statement; SQLite's BEGIN is a statement of Django's)."""

    def __init__(self, connection) -> None:
        self.connection = connection
        self.postgres = connection.vendor == "postgresql"
        self.reset()
        original = connection._commit

        def commit(*args, **kwargs):
            self.commits += 1
            return original(*args, **kwargs)

        connection._commit = commit

    def reset(self) -> None:
        self.statements = 0
        self.commits = 0

    def __call__(self, execute, sql, params, many, context):
        self.statements += 1
        return execute(sql, params, many, context)

    @property
    def round_trips(self) -> int:
        return self.statements + self.commits * (2 if self.postgres else 1)


def run(
    *,
    missions: int = 40,
    batch: int = 0,
    profile: bool = False,
    show_queries: bool = False,
    gc_threshold: int | None = None,
) -> dict:
    backend = Backend.from_environment()
    database_url = backend.database_for(os.environ.get("BENCH_DATABASE_NAME", "publishcpu"))
    create_database(database_url)
    os.environ["DATABASE_URL"] = database_url
    os.environ["DJANGO_SETTINGS_MODULE"] = SETTINGS_MODULE
    os.environ["CELERY_BROKER_URL"] = "memory://"  # the approval's kick goes nowhere
    # start-up: each benchmark sets Django up itself, once it has chosen its database.
    from bench.fanout import child_env

    os.environ.update(child_env())
    # start-up: each benchmark sets Django up itself, once it has chosen its database.
    from channels.sandbox.server import SandboxServer

    sandbox = SandboxServer().start()
    os.environ["SANDBOX_URL"] = sandbox.url

    django.setup()

    # start-up: each benchmark sets Django up itself, once it has chosen its database.
    from bench.fanout import approve_together, crisis_users, make_alerts, seed_accounts
    from posts.models import Delivery
    from posts.services.delivery import deliveries_publish

    settings.PUBLISH_CALL_THREADS = 0  # every call in this thread, whose CPU time is measured

    try:
        seed_accounts(networks=("twitter", "facebook", "flickr", "youtube"), missions_limit=missions)
        author, approver = crisis_users()
        message_ids = make_alerts(author)
        approve_together(approver, message_ids)
        deliveries = list(
            Delivery.objects.filter(message_id__in=message_ids).order_by("pk").values_list("pk", "account__network")
        )
        # start-up: each benchmark sets Django up itself, once it has chosen its database.
        from posts.services.dispatch import dispatch_due

        started = time.thread_time()
        dispatched = dispatch_due()  # claims them all (`queued`), as the crisis worker's tick does
        dispatch_seconds = time.thread_time() - started
        if len(dispatched.queued) != len(deliveries):
            raise RuntimeError(f"The dispatcher claimed {len(dispatched.queued)} of {len(deliveries)}: {dispatched}")
        cpu: dict[str, list[float]] = {}  # per network: milliseconds per delivery, one figure per batch
        statements: dict[str, list[float]] = {}  # per network: statements per delivery, per batch
        trips: dict[str, list[float]] = {}  # per network: round trips per delivery, per batch
        outcomes: dict[str, int] = {}
        gc_time = _GcClock()
        if gc_threshold is not None:
            gc.collect()
            gc.freeze()
            if gc_threshold:
                gc.set_threshold(gc_threshold, *gc.get_threshold()[1:])
        profiler = None
        if profile:
            profiler = cProfile.Profile(time.thread_time)  # CPU, not the waits
        counter = _RoundTrips(connection)
        by_network: dict[str, list[int]] = {}
        for pk, network in deliveries:
            by_network.setdefault(network, []).append(pk)
        size = batch or settings.PUBLISH_BATCH_SIZE
        for network, pks in by_network.items():
            batches = [pks[index : index + size] for index in range(0, len(pks), size)]
            for number, ids in enumerate(batches):
                warm_up = number == 0  # imports, first connections
                if show_queries and number == 1:
                    captured = CaptureQueriesContext(connection)
                    captured.__enter__()
                if profiler is not None and not warm_up:
                    profiler.enable()
                counter.reset()
                started = time.thread_time()
                with connection.execute_wrapper(counter):
                    results = deliveries_publish(delivery_ids=ids)
                used = time.thread_time() - started
                if profiler is not None:
                    profiler.disable()
                if show_queries and number == 1:
                    captured.__exit__(None, None, None)
                    print(f"--- {network}: {len(captured)} queries for {len(ids)} deliveries", file=sys.stderr)
                    for query in captured.captured_queries:
                        print("  ", query["sql"][:300], file=sys.stderr)
                if not warm_up:
                    cpu.setdefault(network, []).append(used * 1000 / len(ids))
                    statements.setdefault(network, []).append(counter.statements / len(ids))
                    trips.setdefault(network, []).append(counter.round_trips / len(ids))
                for outcome in results.values():
                    outcomes[outcome.state] = outcomes.get(outcome.state, 0) + 1
                outcomes["not claimed"] = outcomes.get("not claimed", 0) + len(ids) - len(results)
        if profiler is not None:
            out = io.StringIO()
            pstats.Stats(profiler, stream=out).sort_stats("cumulative").print_stats(60)
            out.write("\n\n")
            pstats.Stats(profiler, stream=out).sort_stats("tottime").print_stats(40)
            BENCH_VAR.mkdir(parents=True, exist_ok=True)
            (BENCH_VAR / "publish-cpu-profile.txt").write_text(out.getvalue())
            profiler.dump_stats(BENCH_VAR / "publish-cpu.prof")  # for pstats' callers and callees
    finally:
        connection.close()
        sandbox.stop()
        if not keep_databases():
            drop_database(database_url)
    per_network = {}
    for network, values in cpu.items():
        per_network[network] = {
            "cpu_ms_median": round(statistics.median(values), 2),
            "cpu_ms_mean": round(statistics.fmean(values), 2),
            # The quietest tenth: on a machine shared with other work, the least disturbed.
            "cpu_ms_p10": round(sorted(values)[len(values) // 10], 2),
            "statements": round(statistics.fmean(statements[network]), 2),
            "round_trips": round(statistics.fmean(trips[network]), 2),
            "batches_timed": len(values),
        }
    every = [value for values in cpu.values() for value in values]
    every_trips = [value for values in trips.values() for value in values]
    gc_time.stop()
    return {
        "dispatch_ms_per_delivery": round(dispatch_seconds * 1000 / len(deliveries), 3),
        "gc_ms_per_delivery": round(gc_time.seconds * 1000 / len(deliveries), 3),
        "gc_collections": gc_time.collections,
        "networks": per_network,
        "cpu_ms_mean": round(statistics.fmean(every), 2),
        "round_trips_mean": round(statistics.fmean(every_trips), 2),
        "batch_size": size,
        "outcomes": outcomes,
        "backend": backend.name,
        "date": now_iso(),
        "machine": machine(),
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--missions", type=int, default=40)
    parser.add_argument("--quick", action="store_true", help="20 missions (a warm-up batch and one timed, per network)")
    parser.add_argument("--batch", type=int, default=0, help="deliveries per batch (PUBLISH_BATCH_SIZE by default)")
    parser.add_argument("--profile", action="store_true", help="cProfile into var/bench/")
    parser.add_argument("--show-queries", action="store_true", help="print one delivery's SQL per network")
    parser.add_argument(
        "--gc-threshold",
        type=int,
        help="as a worker does: gc.freeze() after set-up, then this first-generation threshold",
    )
    parser.add_argument("--out", help="write the result here as JSON")
    args = parser.parse_args(argv)
    text = json.dumps(
        run(
            missions=20 if args.quick else args.missions,
            batch=args.batch,
            profile=args.profile,
            show_queries=args.show_queries,
            gc_threshold=args.gc_threshold,
        ),
        indent=2,
    )
    if args.out:
        Path(args.out).write_text(text)
    print(text)


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    main()
