"""Scheduling precision: 100 messages approved for the same minute; how late does each
one's first delivery leave?

`python -m bench.precision [--quick]` (normally through `python -m bench.run`). 100
missions' officers each write a message for their X and Facebook accounts (200
deliveries); a press officer approves them all for the same minute, a little ahead. The
Procfile's workers (bench.common.procfile_workers, as `make run` starts them) and beat run
with production's engine settings (the dispatcher's tick every DISPATCH_INTERVAL s), the
sandbox holds every API call 200 ms. For each message: the seconds between its
scheduled time and its first delivery `sent`. Target: p95 at most 6 s (one tick of the
dispatcher plus one publish).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import django
from django.conf import settings
from django.db import connection
from django.db.models import Count, Min

from bench.common import (
    SETTINGS_MODULE,
    Backend,
    BenchError,
    Stack,
    create_database,
    drop_database,
    keep_databases,
    machine,
    now_iso,
    percentile,
    wait_for,
)

TARGET_P95_SECONDS = 6.0
NETWORKS = ("twitter", "facebook")


def officers_for(missions) -> dict[int, object]:
    # start-up: each benchmark sets Django up itself, once it has chosen its database.
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group

    from embassies.models import StaffMembership
    from embassies.roles import Role

    User = get_user_model()
    group = Group.objects.get_or_create(name=Role.OFFICER)[0]
    users = User.objects.bulk_create(
        [
            User(username=f"bench-officer-{mission.code}", email=f"{mission.code}@bench.invalid", password="!")  # noqa: S106 (an unusable password)
            for mission in missions
        ]
    )
    users = list(User.objects.filter(username__startswith="bench-officer-").order_by("pk"))
    by_name = {user.username: user for user in users}
    User.groups.through.objects.bulk_create([User.groups.through(user_id=u.pk, group_id=group.pk) for u in users])
    StaffMembership.objects.bulk_create(
        [StaffMembership(user=by_name[f"bench-officer-{m.code}"], mission=m) for m in missions]
    )
    return {m.pk: User.objects.get(pk=by_name[f"bench-officer-{m.code}"].pk) for m in missions}


def press_officer():
    # start-up: each benchmark sets Django up itself, once it has chosen its database.
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group

    from embassies.roles import Role

    User = get_user_model()
    user = User.objects.create(username="bench-press", email="press@bench.invalid", password="!")  # noqa: S106 (an unusable password)
    user.groups.add(Group.objects.get_or_create(name=Role.PRESS_OFFICE)[0])
    return User.objects.get(pk=user.pk)


def write_messages(count: int) -> list[int]:
    # start-up: each benchmark sets Django up itself, once it has chosen its database.
    from channels.models import SocialAccount
    from embassies.models import Mission
    from posts.services.messages import message_create
    from posts.services.review import message_submit

    missions = list(Mission.objects.order_by("pk")[:count])
    officers = officers_for(missions)
    accounts: dict[int, list[int]] = {}
    for pk, mission_id in SocialAccount.objects.values_list("pk", "mission_id"):
        accounts.setdefault(mission_id, []).append(pk)
    ids = []
    for n, mission in enumerate(missions):
        officer = officers[mission.pk]
        language = mission.languages[0]
        message = message_create(
            actor=officer,
            mission=mission,
            title=f"Bench scheduled {n}",
            texts={language: f"{mission.name}: national day reception tonight at the residence. ({n})"},
            target_ids=accounts[mission.pk],
        )
        message_submit(actor=officer, message_id=message.pk)
        ids.append(message.pk)
    return ids


def approve_for(approver, message_ids: list[int], at: datetime) -> None:
    # start-up: each benchmark sets Django up itself, once it has chosen its database.
    from posts.services.review import message_approve

    for message_id in message_ids:
        message_approve(actor=approver, message_id=message_id, publish_at=at)


def first_sent(message_ids: list[int]) -> dict[int, datetime] | None:
    # start-up: each benchmark sets Django up itself, once it has chosen its database.
    from posts.models import Delivery

    rows = dict(
        Delivery.objects.filter(message_id__in=message_ids, state=Delivery.State.SENT)
        .values("message_id")
        .annotate(first=Min("sent_at"))
        .values_list("message_id", "first")
    )
    return rows if len(rows) == len(message_ids) else None


def run(*, quick: bool = False, latency_ms: int = 200, count: int = 100) -> dict:
    # start-up: each benchmark sets Django up itself, once it has chosen its database.
    from bench.fanout import child_env, seed_accounts

    backend = Backend.from_environment()
    database_url = backend.database_for("precision")
    create_database(database_url)
    os.environ["DATABASE_URL"] = database_url
    os.environ["DJANGO_SETTINGS_MODULE"] = SETTINGS_MODULE
    os.environ.update(child_env())

    django.setup()

    # start-up: each benchmark sets Django up itself, once it has chosen its database.
    from posts.models import Delivery, Message

    count = 20 if quick else count
    seed_accounts(networks=NETWORKS, missions_limit=count)
    message_ids = write_messages(count)
    approver = press_officer()
    stack = Stack(name="precision", backend=backend, database_url=database_url, env=child_env())
    try:
        stack.start_sandbox()
        stack.use_in_this_process()
        stack.start_procfile_workers()  # as `make run` starts them
        stack.start_beat()
        stack.wait_ready()
        if latency_ms:
            stack.sandbox("POST", "faults", json={"network": "*", "account": "*", "latency_ms": latency_ms})
        # The next minute at least 15 s plus one per message away (quick: that far), time to
        # approve them all even on a busy machine (approving took 0.7 s each at load 20).
        now = datetime.now(UTC)
        lead = timedelta(seconds=15 + len(message_ids))
        at = (
            (now + lead).replace(microsecond=0)
            if quick
            else (now + lead + timedelta(seconds=60)).replace(second=0, microsecond=0)
        )
        approve_for(approver, message_ids, at)
        connection.close()
        wait_seconds = (at - datetime.now(UTC)).total_seconds()
        found = wait_for(
            lambda: first_sent(message_ids),
            wait_seconds + 120,
            interval=0.25,
            what="a first delivery sent for every message",
        )
        # The rest of the deliveries, for the record.
        wait_for(
            lambda: (
                not Delivery.objects.filter(message_id__in=message_ids)
                .exclude(state__in=[Delivery.State.SENT, Delivery.State.FAILED])
                .exists()
            ),
            60,
            interval=0.25,
            what="every delivery to end",
        )
        check = stack.sandbox("GET", "counts")["counts"]
        stack.check_alive()
        states = dict(
            Message.objects.filter(pk__in=message_ids).values_list("state").annotate(n=Count("pk")).order_by()
        )
    finally:
        stack.stop()
        connection.close()
        if not keep_databases():
            drop_database(database_url)

    late = sorted((found[m] - at).total_seconds() for m in message_ids)
    duplicates = sum(max(0, int(row["count"]) - 1) + int(row.get("duplicates_refused") or 0) for row in check)
    return {
        "messages": count,
        "deliveries": count * len(NETWORKS),
        "scheduled_for": at.isoformat(),
        "p50_seconds": round(percentile(late, 0.50), 3),
        "p95_seconds": round(percentile(late, 0.95), 3),
        "max_seconds": round(late[-1], 3),
        "min_seconds": round(late[0], 3),
        # The first message waited for the dispatcher's tick (its phase is chance: 0 to
        # DISPATCH_INTERVAL after the minute); the others also waited for the messages
        # before them to be published. The worst phase adds the whole interval.
        "spread_seconds": round(late[-1] - late[0], 3),
        "worst_phase_p95_seconds": round(
            percentile(late, 0.95) - late[0] + settings.DISPATCH_INTERVAL + latency_ms / 1000, 3
        ),
        "target_p95_seconds": TARGET_P95_SECONDS,
        "dispatch_interval": settings.DISPATCH_INTERVAL,
        "latency_ms": latency_ms,
        "message_states": states,
        "duplicates": duplicates,
        "backend": backend.name,
        "quick": quick,
        "date": now_iso(),
        "machine": machine(),
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="20 messages instead of 100")
    parser.add_argument("--latency-ms", type=int, default=200)
    parser.add_argument("--out", help="write the result here as JSON")
    args = parser.parse_args(argv)
    try:
        result = run(quick=args.quick, latency_ms=args.latency_ms)
    except BenchError as error:
        print(f"precision: {error}", file=sys.stderr)
        sys.exit(1)
    text = json.dumps(result, indent=2, default=str)
    if args.out:
        Path(args.out).write_text(text)
    print(text)


if __name__ == "__main__":
    main()
