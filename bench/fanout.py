"""Fan-out: a crisis alert to all 271 missions on all four networks (1,084 deliveries).

`python -m bench.fanout [--quick] [--latency-ms 200] [--profile]` (normally through
`python -m bench.run`). Real processes: the sandbox networks, the Procfile's workers as
`make run` starts them (bench.common.procfile_workers: two crisis workers of 4 Celery
threads and 64 call threads each, 128 calls in flight, and the publish/maintenance worker,
with their environment), and beat; real SDK calls, every one of them held 200 ms by the
sandbox (its `latency_ms` fault), as a network far away would. `--calls N` gives the crisis
workers N call threads in all (PUBLISH_CALL_THREADS = N / processes; `make bench` runs 128
and 64); `--processes N --concurrency M` replace the crisis workers by N processes sharing M
Celery threads, for experiments.

The media. One message cannot be valid on all four networks: YouTube takes only a video
(`requires="video"`, no image), Flickr only a photo (`requires="image"`, no video), and X
and Facebook take an image or a video but not both. So the crisis unit writes the alert
once with an image (and its alt text) for X, Facebook and Flickr, and once with a short
video for YouTube: two messages, 813 + 271 deliveries, both approved in ONE transaction
(one commit), which is "the approval" timed here.

What one delivery costs in API calls (counted by the sandbox, and checked here):
X 3 (the image upload, its alt text, the post), Facebook 1 (the photo with its message),
Flickr 1 (the upload), YouTube 2 (the resumable session, then the one chunk). The ideal
time is calls x latency / the calls the crisis workers keep in flight (all processes
together: per process, its call threads, or its Celery threads x PUBLISH_BATCH_SIZE if
fewer); efficiency = ideal / measured.

Measured: seconds from the approval's commit to the last delivery `sent` (sent_at, set by
the worker), to the first one; deliveries per second; duplicates and losses as the
sandbox counts them (`/_sandbox/counts`: an account that received the alert twice, a
"duplicate content" refusal, an account that never received it); the workers' peak
resident memory (VmHWM).

Settings changed for the run, through the environment: YouTube's own publish budget
(PUBLISH_RATE_LIMITS: 100 uploads a day per project, from YouTube's quota) is raised, or
171 of the 271 uploads would wait for tomorrow (that is the budget doing its job, not the
engine's speed); the rest of the engine's settings are production's.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

import django
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection, transaction
from django.db.models import Count, Max, Min
from django.utils import timezone

from bench.common import (
    BENCH_VAR,
    SETTINGS_MODULE,
    Backend,
    BenchError,
    ProcfileWorker,
    Stack,
    create_database,
    drop_database,
    keep_databases,
    machine,
    machine_busy,
    now_iso,
    postgres_cpu_seconds,
    procfile_workers,
    wait_for,
)
from live.media_samples import mp4_bytes, png_bytes

NETWORKS_WITH_IMAGE = ("twitter", "facebook", "flickr")
NETWORKS_WITH_VIDEO = ("youtube",)
# API calls per delivery, by network, for the contents below (an image with alt text; one
# short video in one chunk).
CALLS_PER_DELIVERY = {"twitter": 3, "facebook": 1, "flickr": 1, "youtube": 2}
# The budgets of production, with YouTube's app-wide one raised for the benchmark.
BENCH_RATE_LIMITS = {
    "twitter": {"account": [100, 15 * 60], "app": [10_000, 24 * 3600]},
    "facebook": {"account": [4_800, 24 * 3600]},
    "youtube": {"app": [100_000, 24 * 3600]},
    "flickr": {"app": [3_600, 3600]},
}
# Numeric network ids, unique per network: <prefix><mission id>.
ACCOUNT_ID_BASE = {
    "twitter": 1_500_000_000_000,
    "facebook": 100_000_000_000,
    "youtube": 700_000_000_000,
    "flickr": 200_000_000_000,
}


def child_env(extra: dict[str, str] | None = None) -> dict[str, str]:
    env = {"PUBLISH_RATE_LIMITS": json.dumps(BENCH_RATE_LIMITS)}
    return {**env, **(extra or {})}


# --- Data ----------------------------------------------------------------------------------------


def seed_accounts(*, networks: tuple[str, ...], missions_limit: int | None = None) -> int:
    """One connected sandbox account per mission and network, with numeric network ids and
    sandbox tokens valid for two hours (no refresh during the run)."""

    # start-up: each benchmark sets Django up itself, once it has chosen its database.
    from channels.models import SocialAccount
    from demo.management.commands.seed_demo import sandbox_credentials, sandbox_handle
    from embassies.models import Mission

    missions = list(Mission.objects.order_by("pk"))[:missions_limit]
    now = timezone.now()
    accounts = [
        SocialAccount(
            mission=mission,
            network=network,
            handle=sandbox_handle(mission),
            display_name=mission.name,
            network_account_id=str(ACCOUNT_ID_BASE[network] + mission.pk),
            status=SocialAccount.Status.CONNECTED,
            is_sandbox=True,
        )
        for mission in missions
        for network in networks
    ]
    SocialAccount.objects.bulk_create(accounts, batch_size=500)
    for account in accounts:
        credentials = sandbox_credentials(account.network, account.network_account_id, now=now)
        credentials = credentials.replace(expires_at=now + timedelta(hours=2) if credentials.expires_at else None)
        account.seal_credentials(credentials)
    SocialAccount.objects.bulk_update(accounts, ["sealed_credentials", "token_expires_at"], batch_size=500)
    return len(accounts)


def crisis_users():
    # start-up: each benchmark sets Django up itself, once it has chosen its database.
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group

    from embassies.roles import Role

    User = get_user_model()
    group, _ = Group.objects.get_or_create(name=Role.CRISIS_UNIT)
    users = []
    for username in ("bench-crisis-author", "bench-crisis-approver"):
        user, _ = User.objects.get_or_create(username=username, defaults={"email": f"{username}@bench.invalid"})
        user.groups.add(group)
        users.append(User.objects.get(pk=user.pk))  # fresh: no cached roles
    return users


def make_alerts(
    author, *, networks_image=NETWORKS_WITH_IMAGE, networks_video=NETWORKS_WITH_VIDEO, scope=None, tag: str = ""
) -> list[int]:
    """The alert as the crisis unit writes it: an image version for X, Facebook and Flickr,
    a video version for YouTube; both submitted for review. Returns the message ids."""

    # start-up: each benchmark sets Django up itself, once it has chosen its database.
    from posts.services.crisis import crisis_alert_create
    from posts.services.messages import attachment_add
    from posts.services.review import message_submit

    scope = scope or {"all": True}
    stamp = tag or time.strftime("%H:%M:%S")
    texts = {
        "fr": (
            "Alerte : un séisme a frappé la région. Ressortissants français : signalez-vous auprès de "
            f"l'ambassade et suivez les consignes des autorités locales. ({stamp})",
            f"Alerte séisme : consignes aux ressortissants ({stamp})",
        ),
        "en": (
            "Alert: an earthquake has struck the region. French nationals: contact the embassy and "
            f"follow the local authorities' instructions. ({stamp})",
            f"Earthquake alert: advice to French nationals ({stamp})",
        ),
    }
    ids = []
    for networks, media in ((networks_image, "image"), (networks_video, "video")):
        if not networks:
            continue
        message = crisis_alert_create(
            actor=author, title=f"Bench alert {media} {stamp}", texts=texts, scope=scope, networks=list(networks)
        )
        if media == "image":
            upload = SimpleUploadedFile("alert.png", png_bytes(320, 240), content_type="image/png")
            attachment_add(
                actor=author,
                message_id=message.pk,
                uploaded_file=upload,
                alt_text="Map of the area struck by the earthquake, with the embassy marked.",
            )
        else:
            upload = SimpleUploadedFile(
                "alert.mp4", mp4_bytes(seconds=8.0, padding=64 * 1024), content_type="video/mp4"
            )
            attachment_add(actor=author, message_id=message.pk, uploaded_file=upload)
        message_submit(actor=author, message_id=message.pk)
        ids.append(message.pk)
    return ids


def approve_together(approver, message_ids: list[int]) -> float:
    """Approve every message in one transaction; returns the wall-clock time of its commit
    (taken by the first on-commit callback, before the dispatcher's kick)."""

    # start-up: each benchmark sets Django up itself, once it has chosen its database.
    from posts.services.review import message_approve

    committed: list[float] = []
    with transaction.atomic():
        transaction.on_commit(lambda: committed.append(time.time()))
        for message_id in message_ids:
            message_approve(actor=approver, message_id=message_id)
    return committed[0]


# --- Measuring ----------------------------------------------------------------------------------------


def delivery_summary(message_ids: list[int]) -> dict:
    # start-up: each benchmark sets Django up itself, once it has chosen its database.
    from posts.models import Delivery

    deliveries = Delivery.objects.filter(message_id__in=message_ids)
    states = dict(deliveries.values_list("state").annotate(n=Count("pk")).order_by())
    times = deliveries.filter(state=Delivery.State.SENT).aggregate(first=Min("sent_at"), last=Max("sent_at"))
    return {"states": states, "first": times["first"], "last": times["last"], "total": sum(states.values())}


def all_final(message_ids: list[int]) -> dict | None:
    # start-up: each benchmark sets Django up itself, once it has chosen its database.
    from posts.models import Delivery

    summary = delivery_summary(message_ids)
    final = {Delivery.State.SENT, Delivery.State.FAILED, Delivery.State.CANCELLED}
    if summary["total"] and all(state in final for state in summary["states"]):
        return summary
    return None


def sandbox_check(counts: list[dict], message_ids: list[int]) -> dict:
    """Duplicates and losses as the sandbox saw them (`counts`: its /_sandbox/counts rows):
    each target account must hold the alert exactly once."""
    # start-up: each benchmark sets Django up itself, once it has chosen its database.
    from posts.models import Delivery

    expected = {
        (network, account_id)
        for network, account_id in Delivery.objects.filter(message_id__in=message_ids).values_list(
            "account__network", "account__network_account_id"
        )
    }
    received: dict[tuple[str, str], int] = {}
    refused = 0
    for row in counts:
        key = (row["network"], str(row["account"]))
        received[key] = received.get(key, 0) + int(row["count"])
        refused += int(row.get("duplicates_refused") or 0)
    duplicates = sum(count - 1 for key, count in received.items() if count > 1) + refused
    lost = sum(1 for key in expected if received.get(key, 0) == 0)
    strangers = sum(1 for key in received if key not in expected)
    return {
        "duplicates": duplicates,
        "lost": lost,
        "duplicates_refused": refused,
        "received_by_unexpected_accounts": strangers,
    }


def calls_in_flight(worker: ProcfileWorker, *, call_threads: int, batch_size: int) -> int:
    """The network calls one worker process keeps in flight: its call threads
    (PUBLISH_CALL_THREADS), unless its Celery threads claim fewer deliveries than that;
    without call threads (0), one per Celery thread."""
    threads = int(worker.env.get("PUBLISH_CALL_THREADS", call_threads))
    if threads <= 0:
        return worker.concurrency
    return min(threads, worker.concurrency * max(1, int(worker.env.get("PUBLISH_BATCH_SIZE", batch_size))))


def workers_to_run(
    *, processes: int | None = None, concurrency: int | None = None, calls: int | None = None
) -> list[ProcfileWorker]:
    """The Procfile's workers; with `processes` (and `concurrency`, all their Celery threads)
    its crisis workers are replaced by that many of the first one's kind, for experiments;
    with `calls`, the crisis workers share that many call threads."""
    workers = procfile_workers()
    crisis = [worker for worker in workers if worker.crisis]
    if not crisis:
        raise BenchError("The Procfile has no worker for the crisis queue.")
    if calls is not None:
        per_process = str(max(1, calls // len(crisis)))
        workers = [
            replace(worker, env={**worker.env, "PUBLISH_CALL_THREADS": per_process}) if worker.crisis else worker
            for worker in workers
        ]
        crisis = [worker for worker in workers if worker.crisis]
    if processes is None and concurrency is None:
        return workers
    processes = processes or len(crisis)
    threads = (concurrency or sum(worker.concurrency for worker in crisis)) // processes
    model = crisis[0]
    if calls is not None:
        model = replace(model, env={**model.env, "PUBLISH_CALL_THREADS": str(max(1, calls // processes))})
    replaced = [
        ProcfileWorker(
            name=f"crisis{index + 1}", queues=model.queues, pool=model.pool, concurrency=threads, env=model.env
        )
        for index in range(processes)
    ]
    return replaced + [worker for worker in workers if not worker.crisis]


def run(
    *,
    quick: bool = False,
    concurrency: int | None = None,
    latency_ms: int = 200,
    profile: bool = False,
    processes: int | None = None,
    calls: int | None = None,
) -> dict:
    backend = Backend.from_environment()
    database_url = backend.database_for("fanout")
    started = time.monotonic()
    create_database(database_url)
    os.environ["DATABASE_URL"] = database_url
    os.environ["DJANGO_SETTINGS_MODULE"] = SETTINGS_MODULE
    os.environ.update(child_env())

    django.setup()

    missions_limit = 40 if quick else None
    accounts = seed_accounts(networks=NETWORKS_WITH_IMAGE + NETWORKS_WITH_VIDEO, missions_limit=missions_limit)
    author, approver = crisis_users()
    stack = Stack(name="fanout", backend=backend, database_url=database_url, env=child_env())
    profile_proc = None
    try:
        stack.start_sandbox()
        stack.use_in_this_process()
        message_ids = make_alerts(author)
        setup_seconds = time.monotonic() - started
        layout = workers_to_run(processes=processes, concurrency=concurrency, calls=calls)
        started_workers = stack.start_procfile_workers(layout)
        crisis_workers = [process for process, worker in zip(started_workers, layout, strict=True) if worker.crisis]
        concurrency = sum(
            calls_in_flight(worker, call_threads=settings.PUBLISH_CALL_THREADS, batch_size=settings.PUBLISH_BATCH_SIZE)
            for worker in layout
            if worker.crisis
        )
        processes = len(crisis_workers)
        stack.start_beat()
        stack.wait_ready()
        time.sleep(1.0)  # let the workers settle (first beat ticks, connections)
        stack.sandbox("POST", "reset")
        if latency_ms:
            stack.sandbox("POST", "faults", json={"network": "*", "account": "*", "latency_ms": latency_ms})
        before = stack.sandbox("GET", "stats")["requests"]
        connection.close()
        if profile:
            profile_proc = start_profiler(crisis_workers[0].pid)
        cpu_before, busy_before = stack.cpu(), machine_busy()
        pg_before = postgres_cpu_seconds(backend.database_name("fanout")) if backend.postgres else {}
        committed = approve_together(approver, message_ids)
        summary = wait_for(
            lambda: all_final(message_ids),
            300 if not quick else 120,
            interval=0.1,
            what="every delivery to be sent or failed",
        )
        calls = stack.sandbox("GET", "stats")
        cpu_after, busy_after = stack.cpu(), machine_busy()
        if backend.postgres:
            pg_after = postgres_cpu_seconds(backend.database_name("fanout"))
            cpu_after["postgres"] = sum(pg_after.values())
            cpu_before["postgres"] = sum(pg_before.get(pid, 0.0) for pid in pg_after)
        if profile_proc is not None:
            stop_profiler(profile_proc)
        api_calls = calls["requests"] - before - 1  # less the stats call itself
        check = sandbox_check(stack.sandbox("GET", "counts")["counts"], message_ids)
        memory = stack.peak_rss_mb("worker")
        stack.check_alive()
    finally:
        stack.stop()
        connection.close()
        if not keep_databases():
            drop_database(database_url)
    deliveries = summary["total"]
    sent = summary["states"].get("sent", 0)
    load_at_end = [round(value, 2) for value in os.getloadavg()]
    seconds = summary["last"].timestamp() - committed if summary["last"] else None
    first_seconds = summary["first"].timestamp() - committed if summary["first"] else None
    expected_calls = sum(CALLS_PER_DELIVERY[n] for n in NETWORKS_WITH_IMAGE + NETWORKS_WITH_VIDEO) * (accounts // 4)
    ideal = api_calls * latency_ms / 1000 / concurrency
    cpu_used = {name: round(cpu_after.get(name, 0) - used, 2) for name, used in cpu_before.items()}
    ours = sum(cpu_used.values())
    without_sandbox = ours - cpu_used.get("sandbox", 0.0)
    crisis_cpu = sum(cpu_used.get(w.name, 0.0) for w in crisis_workers)
    cores = os.cpu_count() or 1
    return {
        "deliveries": deliveries,
        "sent": sent,
        "failed": summary["states"].get("failed", 0),
        "states": summary["states"],
        "seconds": round(seconds, 3) if seconds is not None else None,
        "first_seconds": round(first_seconds, 3) if first_seconds is not None else None,
        "deliveries_per_second": round(sent / seconds, 1) if seconds else None,
        "api_calls": api_calls,
        "api_calls_expected": expected_calls,
        "calls_per_delivery": round(api_calls / deliveries, 3) if deliveries else None,
        "latency_ms": latency_ms,
        "concurrency": concurrency,
        "ideal_seconds": round(ideal, 3),
        "efficiency": round(ideal / seconds, 3) if seconds else None,
        "sandbox_peak_concurrency": calls.get("peak_concurrency"),
        "cpu_seconds": cpu_used,
        # Our processes' CPU (sandbox, workers, beat, PostgreSQL) spread over every core: the
        # fan-out cannot end sooner than this on this machine, even with its cores to itself.
        "cpu_seconds_ours": round(ours, 2),
        "cpu_floor_seconds": round(ours / cores, 2),
        # The same without the sandbox: what real networks would leave to our processes.
        "cpu_seconds_ours_without_sandbox": round(without_sandbox, 2),
        "cpu_floor_seconds_without_sandbox": round(without_sandbox / cores, 2),
        "sandbox_cpu_ms_per_call": round(cpu_used.get("sandbox", 0.0) * 1000 / api_calls, 3) if api_calls else None,
        # The crisis workers' CPU over the deliveries they sent (Celery, claims, outcomes,
        # adapters, SDKs, HTTP), every network together; bench.publish_cpu has it per network.
        "worker_cpu_ms_per_delivery": round(crisis_cpu * 1000 / deliveries, 3) if deliveries else None,
        # The share of the machine's cores our processes got while it ran (the rest went to
        # whatever else ran on it: on a shared machine, the reason a run is slow).
        "share_of_cores": round(ours / (seconds * cores), 2) if seconds else None,
        "machine_cpu_busy": round((busy_after[0] - busy_before[0]) / max(1e-9, busy_after[1] - busy_before[1]), 2),
        "duplicates": check["duplicates"],
        "lost": check["lost"] + (deliveries - sent),
        "worker_processes": processes,
        "workers": [
            f"{w.name}: -Q {w.queues} -P {w.pool} -c {w.concurrency}"
            + "".join(f" {key}={value}" for key, value in w.env.items())
            for w in layout
        ],
        "worker_rss_mb": max(memory.get(w.name, 0.0) for w in crisis_workers),
        "crisis_workers_rss_mb_total": round(sum(memory.get(w.name, 0.0) for w in crisis_workers), 1),
        "workers_rss_mb": memory,
        "load_average": load_at_end,
        "backend": backend.name,
        "quick": quick,
        "setup_seconds": round(setup_seconds, 1),
        "date": now_iso(),
        "machine": machine(),
    }


# --- Profiling (py-spy, when installed) -----------------------------------------------------------------


def start_profiler(pid: int):
    py_spy = shutil.which("py-spy") or str(Path(sys.executable).parent / "py-spy")
    if not Path(py_spy).exists():
        print("--profile needs py-spy (pip install py-spy); running without it.", file=sys.stderr)
        return None
    out = BENCH_VAR / "fanout-profile.txt"
    return subprocess.Popen(
        [
            py_spy,
            "record",
            "-p",
            str(pid),
            "-o",
            str(out),
            "--format",
            "raw",
            "--rate",
            "200",
            "--gil",
            "--nonblocking",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def stop_profiler(process) -> None:
    process.send_signal(signal.SIGINT)
    try:
        process.wait(30)
    except Exception:
        process.kill()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="40 missions (160 deliveries)")
    parser.add_argument("--concurrency", type=int, help="crisis Celery threads in all (default: the Procfile's)")
    parser.add_argument("--calls", type=int, help="crisis call threads in all (default: the Procfile's and settings')")
    parser.add_argument("--latency-ms", type=int, default=200)
    parser.add_argument(
        "--processes", type=int, help="crisis worker processes sharing --concurrency threads (default: the Procfile's)"
    )
    parser.add_argument("--profile", action="store_true", help="py-spy the crisis worker (var/bench/)")
    parser.add_argument("--out", help="write the result here as JSON")
    args = parser.parse_args(argv)
    try:
        result = run(
            quick=args.quick,
            concurrency=args.concurrency,
            latency_ms=args.latency_ms,
            profile=args.profile,
            processes=args.processes,
            calls=args.calls,
        )
    except BenchError as error:
        print(f"fanout: {error}", file=sys.stderr)
        sys.exit(1)
    text = json.dumps(result, indent=2, default=str)
    if args.out:
        Path(args.out).write_text(text)
    print(text)


if __name__ == "__main__":
    main()
