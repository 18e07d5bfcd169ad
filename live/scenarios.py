"""The fault scenarios, each a function of a `Chaos` (a LiveStack on a database, a broker
and a sandbox, plus what the scenario needs) that returns a `Verdict` (harness.py).

The pytest tests (tests/chaos/test_*.py) run the short versions in the suite; `make
drill` (live/drill.py) runs them all, full size with --full. Every scenario stops
by itself: each wait has its deadline, after which the verdict counts what is not final
as lost.

How each injects its fault is said in its docstring. Children's engine timings: CHAOS_ENV
(harness.py), given to every worker and beat through the environment.
"""

from __future__ import annotations

import hashlib
import json
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

from django.db.models import F
from django.utils import timezone

from live import harness
from live.harness import Verdict, judge, poll, settle
from live.stack import REPO, LiveStack, RedisServer, terminate_pg_backends

ALL_QUEUES = "crisis,publish,maintenance"
WAITING = ("scheduled", "queued")  # a delivery not started yet


@dataclass
class Chaos:
    """What a scenario is given. `redis` is a private redis-server that this stack's broker
    is (the Redis scenarios); `postgres` says whether the database is PostgreSQL."""

    stack: LiveStack
    full: bool = False
    redis: RedisServer | None = None
    postgres: bool = False
    workdir: Path | None = None

    def size(self, short: int, full: int) -> int:
        return full if self.full else short

    def networks(self) -> tuple[str, ...]:
        return harness.ALL_NETWORKS if self.full else ("twitter",)

    def timeout(self, short: float, full: float) -> float:
        return full if self.full else short


def _latency(stack: LiveStack, milliseconds: int, network: str = "*") -> None:
    """Every API call waits this long in the sandbox: fan-outs take long enough for a
    fault to land in their middle, with calls in flight."""
    stack.sandbox_fault(network=network, latency_ms=milliseconds)


def _start(stack: LiveStack, *workers: tuple[str, int, dict | None], beat: bool = True) -> list:
    """Beat (if asked) and the workers, started side by side; returns once all are ready:
    [beat?, worker, ...]."""
    started = [stack.start_beat(wait=False)] if beat else []
    for queues, concurrency, env in workers:
        started.append(stack.start_worker(queues, concurrency=concurrency, env=env, wait=False))
    for process in started:
        stack.wait_ready(process)
    return started


WORKER = (ALL_QUEUES, 8, None)


def _wait_sent(chaos: Chaos, messages, at_least: int, timeout: float) -> int:
    return poll(
        lambda: (n := harness.sent_count(messages)) >= at_least and n, timeout, interval=0.1, stack=chaos.stack
    ) or harness.sent_count(messages)


def _in_flight(messages) -> int:
    return harness.deliveries(messages).filter(state="sending").count()


# --- 1. Workers killed mid-publish -----------------------------------------------------------------------


def worker_kill(chaos: Chaos) -> Verdict:
    """SIGKILL the only worker three times (short: twice) during a fan-out to every mission
    (full: 271 missions x 4 networks = 1,084 deliveries; short: X only, 271), each time
    while calls are in flight (deliveries `sending`, 150 ms of sandbox latency each); a new
    worker starts after each kill. What the dead worker held is recovered by the sweeper
    (queued too long: enqueued again; sending too long: unknown, reconciled)."""
    stack = chaos.stack
    kills = chaos.size(2, 3)
    fleet = harness.make_fleet(chaos.networks())
    _latency(stack, 150)
    _, worker = _start(stack, WORKER)
    started = time.monotonic()
    messages = harness.fan_out(chaos.networks(), harness.run_tag())
    total = harness.deliveries(messages).count()
    problems, killed = [], []
    for number in range(1, kills + 1):
        _wait_sent(chaos, messages, total * number // (kills + 2), timeout=chaos.timeout(90, 300))
        poll(lambda: _in_flight(messages) > 0, 10, interval=0.02)
        in_flight = _in_flight(messages)
        stack.kill_worker(signal.SIGKILL, name=worker.name)
        killed.append({"worker": worker.name, "sent": harness.sent_count(messages), "sending": in_flight})
        if not in_flight:
            problems.append(f"Kill {number} found no call in flight: not mid-publish.")
        worker = stack.start_worker(ALL_QUEUES, concurrency=8)
    settled = settle(stack, messages, chaos.timeout(120, 420))
    return judge(
        "worker_kill",
        stack,
        messages,
        started=started,
        problems=problems,
        details={
            "accounts": len(fleet),
            "kills": killed,
            "finished_in_time": settled,
            "events": harness.event_counts(
                messages, ["delivery.requeued", "delivery.unknown", "delivery.reconciled", "delivery.not_found"]
            ),
        },
    )


# --- 2. Redis restarted mid-fan-out -----------------------------------------------------------------------


def redis_restart(chaos: Chaos) -> Verdict:
    """kill -9 the broker (a private redis-server without persistence) while a fan-out's
    messages wait in it, and start it again a second later: the queued messages are gone
    (and kombu's unacked store with them). The workers and beat reconnect by themselves;
    the deliveries left `queued` are enqueued again by the sweeper."""
    stack, redis = chaos.stack, chaos.redis
    if redis is None:
        raise RuntimeError("redis_restart needs a private redis-server (Chaos.redis).")
    fleet = harness.make_fleet(chaos.networks())
    _latency(stack, 150)
    workers = _start(stack, WORKER)[1:]
    started = time.monotonic()
    messages = harness.fan_out(chaos.networks(), harness.run_tag())
    total = harness.deliveries(messages).count()
    _wait_sent(chaos, messages, total // 4, timeout=chaos.timeout(60, 240))
    waiting = redis.queue_lengths()
    queued_in_db = harness.deliveries(messages).filter(state="queued").count()
    redis.restart(down_seconds=1.0)
    problems = []
    if not sum(waiting.values()):
        problems.append("Nothing waited in Redis when it was killed: the scenario lost no message.")
    settled = settle(stack, messages, chaos.timeout(120, 420))
    gone = [process.name for process in workers if not process.running]
    if gone:
        problems.append(f"Workers ended after the restart: {gone}.")
    return judge(
        "redis_restart",
        stack,
        messages,
        started=started,
        problems=problems,
        details={
            "accounts": len(fleet),
            "messages_in_redis_when_killed": waiting,
            "queued_in_db_when_killed": queued_in_db,
            "finished_in_time": settled,
            "events": harness.event_counts(messages, ["delivery.requeued", "delivery.unknown", "delivery.reconciled"]),
        },
    )


# --- 3. PostgreSQL connections dropped mid-fan-out ----------------------------------------------------------


class NotApplicable(Exception):
    """The scenario does not apply to this stack (said why)."""


def pg_terminate(chaos: Chaos) -> Verdict:
    """pg_terminate_backend() on every connection of the workers and beat to the test
    database (as the postgres superuser, from this process), three times during a fan-out:
    whatever they were doing fails with an OperationalError. The same worker processes
    must carry on (Django reconnects; a task that failed leaves its delivery `queued` or
    `sending`, which the sweeper recovers) — no restart."""
    if not chaos.postgres:
        raise NotApplicable("pg_terminate_backend is PostgreSQL's: run with DATABASE_URL=postgres://...")
    stack = chaos.stack
    fleet = harness.make_fleet(chaos.networks())
    _latency(stack, 100)
    beat, worker = _start(stack, WORKER)
    started = time.monotonic()
    messages = harness.fan_out(chaos.networks(), harness.run_tag())
    total = harness.deliveries(messages).count()
    terminations, problems = [], []
    for number in (1, 2, 3):
        _wait_sent(chaos, messages, total * number // 5, timeout=chaos.timeout(60, 240))
        terminated = terminate_pg_backends()
        terminations.append({"sent": harness.sent_count(messages), "backends_terminated": terminated})
        if not terminated:
            problems.append(f"Termination {number} found no backend to terminate.")
        time.sleep(0.5)
    last = timezone.now()
    settled = settle(stack, messages, chaos.timeout(120, 420))
    for process in (worker, beat):
        if not process.running:
            problems.append(f"{process.name} did not survive the dropped connections.")
    after = harness.deliveries(messages).filter(sent_at__gt=last).count()
    if not after:
        problems.append("Nothing was sent after the last termination: the worker did not recover.")
    return judge(
        "pg_terminate",
        stack,
        messages,
        started=started,
        problems=problems,
        details={
            "accounts": len(fleet),
            "terminations": terminations,
            "sent_after_last_termination": after,
            "worker_pid": worker.pid,
            "finished_in_time": settled,
            "events": harness.event_counts(messages, ["delivery.requeued", "delivery.unknown", "delivery.reconciled"]),
        },
    )


# --- 4. The networks misbehave ---------------------------------------------------------------------------

NETWORK_FAULTS = {
    "network": "*",
    "account": "*",
    "error_rate": 0.10,
    "rate_limit_rate": 0.05,
    "rate_limit_reset_seconds": 1,
    "timeout_rate": 0.01,
    "hang_seconds": 3,
    "seed": 7,
}
# Added first, so it decides the fan-out's first three calls: three sure timeouts after the
# request was received (a run of ~300 calls draws no 1 % timeout one time in twenty).
FIRST_CALLS_TIME_OUT = {"network": "*", "account": "*", "timeout_rate": 1.0, "hang_seconds": 3, "count": 3}


def network_faults(chaos: Chaos) -> Verdict:
    """One sandbox rule on every call of every account (publishing, reconciliation reads,
    uploads alike), seeded: 10 % 5xx (nothing stored), 5 % 429 with the network's reset
    headers (1 s), 1 % timeouts after the request was received (stored, then no answer for
    3 s > the 2 s read timeout), and the first three calls time out for sure. Everything
    ends sent (or settled), nothing twice."""
    stack = chaos.stack
    fleet = harness.make_fleet(chaos.networks())
    stack.sandbox_fault(**FIRST_CALLS_TIME_OUT)
    stack.sandbox_fault(**NETWORK_FAULTS)
    _start(stack, WORKER)
    started = time.monotonic()
    messages = harness.fan_out(chaos.networks(), harness.run_tag())
    settled = settle(stack, messages, chaos.timeout(150, 480))
    outcomes = harness.attempt_outcomes(messages)
    problems = []
    if not outcomes.get("publish:rate_limited"):
        problems.append(f"No publish was rate limited: the faults did not show ({outcomes}).")
    if not outcomes.get("publish:unknown"):
        problems.append(f"No publish ended unknown: the faults did not show ({outcomes}).")
    if not outcomes.get("reconcile:found"):
        problems.append(f"No timed-out post was found by reconciliation ({outcomes}).")
    return judge(
        "network_faults",
        stack,
        messages,
        started=started,
        problems=problems,
        details={
            "accounts": len(fleet),
            "faults": [FIRST_CALLS_TIME_OUT, NETWORK_FAULTS],
            "attempts": outcomes,
            "finished_in_time": settled,
        },
    )


# --- 5. Beat stopped ---------------------------------------------------------------------------------------


def beat_stopped(chaos: Chaos) -> Verdict:
    """Beat is down while scheduled messages fall due, then starts. Time is compressed:
    each message is approved for 3 s after its approval with beat off (a timed approval
    sends no kick), we wait until the last is 4 s overdue and check that nothing moved,
    then move their deliveries' due time ten minutes back (what ten minutes of downtime
    leaves behind: the approvals and their fingerprints are untouched) and start beat.
    Everything goes out, once."""

    # start-up: the drill imports this module (for the scenarios' names) before it sets Django up.
    from posts.services.review import message_approve

    stack = chaos.stack
    missions, per_mission = chaos.size(10, 100), chaos.size(5, 2)
    networks = ("twitter", "facebook") if chaos.full else ("twitter",)
    fleet = harness.make_fleet(networks, missions=missions, per_mission=per_mission)
    stack.start_worker(ALL_QUEUES, concurrency=8)
    tag = harness.run_tag()
    by_mission: dict[int, list] = {}
    for account in fleet:
        by_mission.setdefault(account.mission_id, []).append(account)
    started = time.monotonic()
    drafts = [
        harness.routine_message(targets=targets, text=f"Communiqué {tag} ({n}).", approve=False)
        for n, targets in enumerate(by_mission.values())
    ]
    approver = harness.press_officer()
    messages = [
        message_approve(actor=approver, message_id=draft.pk, publish_at=timezone.now() + timedelta(seconds=3))
        for draft in drafts
    ]
    last_due = max(message.scheduled_at for message in messages)
    # The real wait: overdue by 4 s (4 missed dispatcher ticks at DISPATCH_INTERVAL 1 s).
    time.sleep(max(0.0, (last_due - timezone.now()).total_seconds()) + 4)
    problems = []
    early = harness.state_counts(messages)
    if set(early) != {"scheduled"} or stack.sandbox_counts():
        problems.append(f"Something moved while beat was down: {dict(early)}.")
    overdue = harness.deliveries(messages).filter(state="scheduled")
    overdue.update(next_attempt_at=F("next_attempt_at") - timedelta(minutes=10))
    beat_started_at = timezone.now()
    stack.start_beat()
    settled = settle(stack, messages, chaos.timeout(60, 180))
    before = harness.deliveries(messages).filter(sent_at__lt=beat_started_at).count()
    if before:
        problems.append(f"{before} deliveries went out before beat started.")
    last = harness.deliveries(messages).order_by("-sent_at").values_list("sent_at", flat=True).first()
    return judge(
        "beat_stopped",
        stack,
        messages,
        started=started,
        problems=problems,
        details={
            "accounts": len(fleet),
            "messages": len(messages),
            "states_while_beat_was_down": dict(early),
            "all_out_seconds_after_beat_started": round((last - beat_started_at).total_seconds(), 1) if last else None,
            "finished_in_time": settled,
        },
    )


# --- 6. A token revoked mid-fan-out ------------------------------------------------------------------------


def token_revoked(chaos: Chaos) -> Verdict:
    """Two alerts fan out; once a quarter of the first is out, the sandbox revokes one X
    account none of whose deliveries has started (every call with its token then answers
    401, as X does). That account's deliveries (one per alert) fail as "auth", the account
    shows expired and the administrators are told once; every other delivery goes through."""
    # start-up: the drill imports this module (for the scenarios' names) before it sets Django up.
    from channels.models import SocialAccount
    from embassies.roles import Role
    from posts.models import Delivery

    stack = chaos.stack
    networks = ("twitter", "facebook") if chaos.full else ("twitter",)
    fleet = harness.make_fleet(networks, missions=chaos.size(100, None))
    admin = harness.person(Role.ADMINISTRATOR)
    _latency(stack, 100)
    _start(stack, WORKER)
    tag = harness.run_tag()
    started = time.monotonic()
    first = harness.crisis_alert(networks=networks, text=f"Alerte {tag} : première.")
    second = harness.crisis_alert(networks=networks, text=f"Alerte {tag} : seconde.")
    messages = [first, second]
    _wait_sent(chaos, [first], harness.deliveries([first]).count() // 4, timeout=chaos.timeout(60, 240))
    # The victim: an X account none of whose deliveries has started yet (the queue's order
    # is not the ids' order), the last such one.
    waiting = Counter(
        harness.deliveries(messages)
        .filter(account__network="twitter", state__in=WAITING)
        .values_list("account_id", flat=True)
    )
    candidates = (
        [pk for pk, count in waiting.items() if count == len(messages)]
        or list(waiting)
        or [max(account.pk for account in fleet if account.network == "twitter")]
    )  # then the check below says so
    victim = next(account for account in fleet if account.pk == max(candidates))
    stack.sandbox_fault(network="twitter", account=victim.network_account_id, revoked=True)
    # Right after the rule: what had not started must fail as auth; a call in flight may
    # have been answered before the rule (sent) or after (failed); what was sent stays sent.
    when_revoked = dict(harness.deliveries(messages).filter(account=victim).values_list("pk", "state"))
    problems = []
    if not any(state in WAITING for state in when_revoked.values()):
        problems.append(f"Every delivery of the victim had started when its token was revoked: {when_revoked}.")
    settled = settle(stack, messages, chaos.timeout(90, 300))
    victim.refresh_from_db()

    def expect_failed(delivery) -> bool | None:
        if delivery.account_id != victim.pk:
            return False
        state = when_revoked.get(delivery.pk)
        return True if state in WAITING else (None if state == Delivery.State.SENDING else False)

    for delivery in harness.deliveries(messages).filter(account=victim):
        if expect_failed(delivery) and (delivery.state, delivery.last_error_kind) != (
            Delivery.State.FAILED,
            Delivery.ErrorKind.AUTH,
        ):
            problems.append(
                f"The victim's delivery {delivery.pk} is {delivery.state}/{delivery.last_error_kind}, "
                "not failed as auth."
            )
    if victim.status not in (SocialAccount.Status.EXPIRED, SocialAccount.Status.REVOKED):
        problems.append(f"The revoked account shows {victim.status}, not expired.")
    mails = poll(lambda: [m for m in stack.emails() if admin.email in (m["To"] or "")], 10)
    if len(mails or []) != 1:
        problems.append(f"The administrators got {len(mails or [])} mails about the account, not one.")
    return judge(
        "token_revoked",
        stack,
        messages,
        started=started,
        problems=problems,
        expect_failed=expect_failed,
        details={
            "accounts": len(fleet),
            "victim": victim.network_account_id,
            "victim_status": victim.status,
            "victim_states_when_revoked": sorted(when_revoked.values()),
            "admin_mails": len(mails or []),
            "finished_in_time": settled,
        },
    )


# --- 7. Killed after the network accepted -------------------------------------------------------------------


def kill_after_accept(chaos: Chaos) -> Verdict:
    """The worker dies (SIGKILL, by its own hand: live/stack.py's LIVE_KILL_AFTER_ACCEPT
    hook, set in that worker's environment only) right after the network accepted one
    account's post, before the database heard of it. That delivery stays `sending` until
    the sweeper calls it `unknown`; the reconciler finds the post: sent, one attempt, one
    post on the account. A new worker (without the hook) takes over."""
    # start-up: the drill imports this module (for the scenarios' names) before it sets Django up.
    from posts.models import Delivery, Event

    stack = chaos.stack
    fleet = harness.make_fleet(("twitter",), missions=chaos.size(40, 271))
    victim = fleet[len(fleet) // 2]
    marker = Path(chaos.workdir or stack.tmp_path) / f"kill-after-accept-{victim.network_account_id}"
    _latency(stack, 100)
    _, doomed = _start(
        stack,
        (
            ALL_QUEUES,
            8,
            {"LIVE_KILL_AFTER_ACCEPT": victim.network_account_id, "LIVE_KILL_AFTER_ACCEPT_MARKER": str(marker)},
        ),
    )
    started = time.monotonic()
    messages = harness.fan_out(("twitter",), harness.run_tag())
    problems = []
    died = poll(lambda: not doomed.running, chaos.timeout(60, 120))
    victim_delivery = harness.deliveries(messages).get(account=victim)
    at_death = victim_delivery.state
    posts_at_death = [
        row["count"] for row in stack.sandbox_counts("twitter") if row["account"] == victim.network_account_id
    ]
    if not died or doomed.popen.returncode != -signal.SIGKILL:
        problems.append(f"The worker did not die by SIGKILL after the post (returncode {doomed.popen.returncode}).")
    if at_death != Delivery.State.SENDING or posts_at_death != [1]:
        problems.append(
            f"At the worker's death the delivery was {at_death} with {posts_at_death} posts: "
            "not 'accepted by the network, unknown to the database'."
        )
    stack.start_worker(ALL_QUEUES, concurrency=8)
    settled = settle(stack, messages, chaos.timeout(90, 240))
    victim_delivery.refresh_from_db()
    verbs = list(Event.objects.filter(delivery=victim_delivery).values_list("verb", flat=True))
    for verb in ("delivery.unknown", "delivery.reconciled"):
        if verb not in verbs:
            problems.append(f"The victim's delivery has no {verb} event: {verbs}.")
    if victim_delivery.attempts != 1:
        problems.append(f"The victim's delivery was attempted {victim_delivery.attempts} times, not once.")
    posts = stack.sandbox_received("twitter", victim.network_account_id)
    if len(posts) != 1 or posts[0]["id"] != victim_delivery.external_id:
        problems.append(
            f"The victim's account holds {len(posts)} posts; the delivery says {victim_delivery.external_id!r}."
        )
    return judge(
        "kill_after_accept",
        stack,
        messages,
        started=started,
        problems=problems,
        details={
            "accounts": len(fleet),
            "victim": victim.network_account_id,
            "state_at_death": at_death,
            "victim_events": verbs,
            "finished_in_time": settled,
        },
    )


# --- 8. Redis frozen while a press officer approves -----------------------------------------------------------


def redis_frozen(chaos: Chaos) -> Verdict:
    """CLIENT PAUSE 3000 ALL on the broker (a private redis-server) just before a press
    officer approves a crisis alert through its page (the test client, POST with the
    confirmation): the page answers within a second (the kick waits at most KICK_TIMEOUT
    and never raises); the deliveries go out after Redis resumes, once each."""
    # start-up: the drill imports this module (for the scenarios' names) before it sets Django up.
    from django.test import Client
    from django.urls import reverse

    from live.otp import force_verified_login
    from posts.models import Message

    stack, redis = chaos.stack, chaos.redis
    if redis is None:
        raise RuntimeError("redis_frozen needs a private redis-server (Chaos.redis).")
    fleet = harness.make_fleet(("twitter",), missions=chaos.size(20, 271))
    _start(stack, WORKER)
    alert = harness.crisis_alert(networks=("twitter",), text=f"Alerte {harness.run_tag()} : gel.", approve=False)
    client = force_verified_login(Client(), harness.press_officer())
    url = reverse("posts:crisis_approve", args=[alert.pk])
    page = client.get(url)  # the officer opens the confirmation page (Redis still fine)
    started = time.monotonic()
    redis.pause(3000)
    paused_at = timezone.now()
    before = time.monotonic()
    response = client.post(url, {"confirmed": "yes", "version": alert.version})
    answered_in = time.monotonic() - before
    problems = []
    if answered_in >= 1.0:
        problems.append(f"The approval page took {answered_in:.2f} s with Redis frozen.")
    alert.refresh_from_db()
    if page.status_code != 200:
        problems.append(f"The confirmation page answered HTTP {page.status_code}.")
    if response.status_code != 302 or alert.state == Message.State.IN_REVIEW:
        problems.append(f"The approval did not go through: HTTP {response.status_code}, alert {alert.state}.")
    settled = settle(stack, [alert], chaos.timeout(60, 180))
    first = harness.deliveries([alert]).order_by("sent_at").values_list("sent_at", flat=True).first()
    resumed = paused_at + timedelta(seconds=3)
    if first is not None and first < resumed - timedelta(seconds=0.2):
        problems.append(f"A delivery went out at {first.isoformat()}, before Redis resumed ({resumed.isoformat()}).")
    return judge(
        "redis_frozen",
        stack,
        [alert],
        started=started,
        problems=problems,
        details={
            "accounts": len(fleet),
            "approval_answered_in_seconds": round(answered_in, 3),
            "http_status": response.status_code,
            "first_sent_after_resume_seconds": round((first - resumed).total_seconds(), 2) if first else None,
            "finished_in_time": settled,
        },
    )


# --- 9. A crisis alert behind a routine backlog ---------------------------------------------------------------


def crisis_priority(chaos: Chaos) -> Verdict:
    """500 routine deliveries (one message of one mission to 500 X accounts; full: 1,000)
    are queued for the publish worker, every call taking 100 ms; then a crisis alert to 5
    accounts in Japan is approved: it goes through the crisis queue and its own worker, and
    is out within 10 s while the routine backlog is still draining."""
    stack = chaos.stack
    routine_accounts = harness.make_fleet(
        ("twitter",), mission_codes=["emb-eg-cairo"], per_mission=chaos.size(500, 1000)
    )
    crisis_accounts = harness.make_fleet(("twitter",), mission_codes=["emb-jp-tokyo"], per_mission=5)
    _latency(stack, 100)
    _start(stack, ("crisis", 4, None), ("publish,maintenance", 8, None))
    tag = harness.run_tag()
    started = time.monotonic()
    routine = harness.routine_message(targets=routine_accounts, text=f"Communiqué {tag} : programme.")
    problems = []
    poll(lambda: not harness.deliveries([routine]).filter(state="scheduled").exists(), 30)
    backlog = dict(harness.state_counts([routine]))
    approved_at = timezone.now()
    alert = harness.crisis_alert(networks=("twitter",), text=f"Alerte {tag} : urgence.", scope={"countries": ["JP"]})
    out = poll(lambda: harness.state_counts([alert]).get("sent", 0) == len(crisis_accounts), 10, interval=0.1)
    alert_out = harness.deliveries([alert]).order_by("-sent_at").values_list("sent_at", flat=True).first()
    out_in = (alert_out - approved_at).total_seconds() if alert_out and out else None
    routine_left = harness.deliveries([routine]).exclude(state="sent").count()
    if out_in is None or out_in > 10:
        problems.append(f"The crisis alert was not out within 10 s ({out_in}).")
    if not routine_left:
        problems.append("The routine backlog was gone before the alert: the alert jumped no queue.")
    settled = settle(stack, [routine, alert], chaos.timeout(90, 180))
    return judge(
        "crisis_priority",
        stack,
        [routine, alert],
        started=started,
        problems=problems,
        details={
            "routine_deliveries": len(routine_accounts),
            "routine_when_alert_approved": backlog,
            "alert_out_in_seconds": round(out_in, 2) if out_in is not None else None,
            "routine_not_sent_when_alert_out": routine_left,
            "finished_in_time": settled,
        },
    )


# --- 10. Ten callers refresh one X token at once -----------------------------------------------------------------

REFRESH_PROCESSES = (4, 3, 3)  # threads per process: ten callers in three processes


def refresh_race(chaos: Chaos) -> Verdict:
    """Ten callers in three processes (4 + 3 + 3 threads, each with its own database
    connection and its own copy of the row) ask at the same instant for the credentials of
    one X account whose token expires within the refresh margin; the sandbox takes 800 ms
    to answer the refresh, so all ten have read the stale row before the first refresh
    commits. X refresh tokens are single-use: had two refreshed, the sandbox would have
    revoked the whole family. Expected: one refresh (one audit line), ten identical fresh
    tokens, and the account still valid (its token works and its refresh token refreshes).

    Why threads in three processes rather than ten worker processes: ten Celery workers on
    two cores take ~40 s to start and would not call at the same instant anyway; what must
    be proven cross-process is the row lock (PostgreSQL) or the IMMEDIATE write lock
    (SQLite), which serialise threads and processes alike."""
    # start-up: the drill imports this module (for the scenarios' names) before it sets Django up.
    from channels.models import SocialAccount
    from channels.services import adapter_for, connect_flow_for

    stack = chaos.stack
    (account,) = harness.make_fleet(("twitter",), mission_codes=["emb-de-berlin"], token_minutes=1)
    original = account.open_credentials()
    stack.sandbox_fault(network="twitter", latency_ms=800)
    start_at = time.time() + 6.0  # the children start Django meanwhile
    env = stack._child_env(None)
    log_dir = stack.tmp_path / "logs"
    log_dir.mkdir(parents=True, exist_ok=True)
    started = time.monotonic()
    children = []
    for index, threads in enumerate(REFRESH_PROCESSES):
        log = open(log_dir / f"refresh-race-{index}.log", "w+b")  # noqa: SIM115 (closed below)
        argv = [
            sys.executable,
            "-m",
            "live.refresh_race",
            "--account",
            str(account.pk),
            "--threads",
            str(threads),
            "--start-at",
            repr(start_at),
        ]
        children.append(
            (
                subprocess.Popen(  # noqa: S603
                    argv,
                    cwd=REPO,
                    env=env,
                    stdout=log,
                    stderr=subprocess.STDOUT,
                    stdin=subprocess.DEVNULL,
                ),
                log,
            )
        )
    outputs, problems = [], []
    for popen, log in children:
        try:
            popen.wait(60)
        except subprocess.TimeoutExpired:
            popen.kill()
            popen.wait(5)
            problems.append(f"A refresh process did not finish within 60 s (pid {popen.pid}).")
        log.seek(0)
        outputs.append(log.read().decode(errors="replace"))
        log.close()
    results = [
        json.loads(line)
        for output in outputs
        for line in output.splitlines()
        if line.startswith("{") and '"caller"' in line
    ]
    refreshes = sum(output.count(f"account.refresh actor=system account={account.pk} ") for output in outputs)
    tokens = Counter(result.get("access") for result in results if "access" in result)
    errors = [result for result in results if "error" in result]
    starts = [result["started"] for result in results if "started" in result]
    spread = max(starts) - min(starts) if starts else None
    if spread is not None and spread > 0.5:  # the refresh takes 0.8 s: they must all have asked before it ended
        problems.append(f"The callers did not ask together (their calls spread over {spread:.2f} s).")
    account = SocialAccount.objects.get(pk=account.pk)
    stored = account.open_credentials()
    stored_access = hashlib.sha256(stored.access_token.encode()).hexdigest()[:16]
    still_valid = account.status == SocialAccount.Status.CONNECTED
    try:
        adapter_for(account).check_credentials(stored)
        connect_flow_for(network="twitter", is_sandbox=True).refresh(stored)
    except Exception as error:  # the family revoked: 401 on the token, 400 on the refresh
        still_valid = False
        problems.append(f"The account's token chain is broken after the race: {error}")
    if refreshes != 1:
        problems.append(f"{refreshes} refreshes, not one.")
    if len(results) != sum(REFRESH_PROCESSES):
        problems.append(
            f"{len(results)} callers answered, not {sum(REFRESH_PROCESSES)}:\n" + "\n".join(outputs)[-3000:]
        )
    if errors:
        problems.append(f"Callers failed: {errors}")
    if set(tokens) != {stored_access}:
        problems.append(f"The callers got {len(tokens)} different tokens, not the stored one.")
    if stored.refresh_token == original.refresh_token:
        problems.append("The stored refresh token is the original one: nothing was refreshed.")
    verdict = Verdict(
        scenario="refresh_race",
        expected=sum(REFRESH_PROCESSES),
        sent=tokens.get(stored_access, 0),
        failed=len(errors),
        settled=0,
        duplicates=max(0, refreshes - 1),
        lost=sum(REFRESH_PROCESSES) - len(results) + (0 if still_valid else 1),
        seconds=time.monotonic() - started,
        problems=problems,
        details={
            "refreshes": refreshes,
            "callers": len(results),
            "distinct_tokens": len(tokens),
            "calls_spread_seconds": round(spread, 3) if spread is not None else None,
            "account_status": account.status,
            "chain_still_valid": still_valid,
            "meaning": "expected/sent: callers / callers given the one fresh token; duplicates: "
            "refreshes beyond one; lost: callers without an answer, +1 if the account broke",
        },
    )
    return verdict


SCENARIOS: dict[str, Callable[[Chaos], Verdict]] = {
    "worker_kill": worker_kill,
    "redis_restart": redis_restart,
    "pg_terminate": pg_terminate,
    "network_faults": network_faults,
    "beat_stopped": beat_stopped,
    "token_revoked": token_revoked,
    "kill_after_accept": kill_after_accept,
    "redis_frozen": redis_frozen,
    "crisis_priority": crisis_priority,
    "refresh_race": refresh_race,
}
# What a scenario needs beyond the stack: a private redis-server, or PostgreSQL.
NEEDS: dict[str, str] = {"redis_restart": "redis", "redis_frozen": "redis", "pg_terminate": "postgres"}
