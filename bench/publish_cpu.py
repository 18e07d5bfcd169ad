"""CPU and queries per delivery, in one thread, without Celery: what one worker thread
spends on `delivery_publish` for each network.

`python -m bench.publish_cpu [--missions 40] [--profile]`. The fan-out's crisis alert (an
image version for X, Facebook and Flickr, a video for YouTube) to `--missions` missions, on
the benchmark's own database (`dh_bench_publishcpu` on the PostgreSQL server DATABASE_URL
names, or a file under var/bench/), against an in-process sandbox with no latency. Every
delivery is claimed by the dispatcher (`dispatch_due`, timed too; the broker is kombu's
in-memory one), then published by
`delivery_publish` in this thread, one after the other. Prints JSON: per network, the
median and mean CPU milliseconds (this thread's CPU time) and the queries per delivery
(the first few of each network are warm-up and are left out).

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

WARM_UP = 3  # deliveries per network left out (imports, first connections)


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


def run(
    *, missions: int = 40, profile: bool = False, show_queries: bool = False, gc_threshold: int | None = None
) -> dict:
    backend = Backend.from_environment()
    database_url = backend.database_for("publishcpu")
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
    from posts.services.delivery import delivery_publish

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
        cpu: dict[str, list[float]] = {}
        queries: dict[str, list[int]] = {}
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
        for pk, network in deliveries:
            seen = len(cpu.setdefault(network, [])) + len(queries.setdefault(network, []))
            counting = seen < WARM_UP + 5 and seen >= WARM_UP  # a few counted, not timed
            if counting:
                with CaptureQueriesContext(connection) as captured:
                    outcome = delivery_publish(delivery_id=pk)
                queries[network].append(len(captured))
                if show_queries and seen == WARM_UP:
                    print(f"--- {network}: {len(captured)} queries", file=sys.stderr)
                    for query in captured.captured_queries:
                        print("  ", query["sql"][:300], file=sys.stderr)
            else:
                if profiler is not None and seen >= WARM_UP:
                    profiler.enable()
                started = time.thread_time()
                outcome = delivery_publish(delivery_id=pk)
                used = time.thread_time() - started
                if profiler is not None:
                    profiler.disable()
                if seen >= WARM_UP:
                    cpu[network].append(used * 1000)
                else:
                    cpu[network].append(float("nan"))
            outcomes[outcome.state] = outcomes.get(outcome.state, 0) + 1
        if profiler is not None:
            out = io.StringIO()
            pstats.Stats(profiler, stream=out).sort_stats("cumulative").print_stats(60)
            out.write("\n\n")
            pstats.Stats(profiler, stream=out).sort_stats("tottime").print_stats(40)
            BENCH_VAR.mkdir(parents=True, exist_ok=True)
            (BENCH_VAR / "publish-cpu-profile.txt").write_text(out.getvalue())
    finally:
        connection.close()
        sandbox.stop()
        if not keep_databases():
            drop_database(database_url)
    per_network = {}
    for network, values in cpu.items():
        timed = [value for value in values if value == value]  # not the warm-up's NaN
        per_network[network] = {
            "cpu_ms_median": round(statistics.median(timed), 2),
            "cpu_ms_mean": round(statistics.fmean(timed), 2),
            # The quietest tenth: on a machine shared with other work, the least disturbed.
            "cpu_ms_p10": round(sorted(timed)[len(timed) // 10], 2),
            "queries": sorted(set(queries[network])),
            "timed": len(timed),
        }
    every = [value for values in cpu.values() for value in values if value == value]
    gc_time.stop()
    return {
        "dispatch_ms_per_delivery": round(dispatch_seconds * 1000 / len(deliveries), 3),
        "gc_ms_per_delivery": round(gc_time.seconds * 1000 / len(deliveries), 3),
        "gc_collections": gc_time.collections,
        "networks": per_network,
        "cpu_ms_mean": round(statistics.fmean(every), 2),
        "outcomes": outcomes,
        "backend": backend.name,
        "date": now_iso(),
        "machine": machine(),
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--missions", type=int, default=40)
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
            missions=args.missions, profile=args.profile, show_queries=args.show_queries, gc_threshold=args.gc_threshold
        ),
        indent=2,
    )
    if args.out:
        Path(args.out).write_text(text)
    print(text)


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    main()
