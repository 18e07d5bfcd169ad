"""Replies to the public under load (issue 15): 500 replies cleared at once go out within
the networks' posting limits with 0 duplicates, and a level-0 reply's network call starts
within a second of the officer sending it.

`python -m bench.replies [--quick]` (or `make bench ARGS="--only replies"`): the 271
missions' X accounts (quick: 50), each mentioned twice by the sandbox's public, heard and stored by
the hub's ingest; an officer of each mission writes free-text replies (level 1) to each
mention; a press officer clears all of them, one after the other as fast as the service
goes; the publish worker of the Procfile sends them, with the sandbox answering every call
after 200 ms. Then one level-0 reply (a library line) per mission more, timed from its
commit to the start of its network call (`first_attempt_at`). The sandbox's record of what
each account answered proves each reply went out once.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from collections import Counter
from pathlib import Path

import django
from django.db import connection
from django.utils import timezone

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
    procfile_workers,
    wait_for,
)
from bench.fanout import child_env, seed_accounts

MENTIONS_PER_ACCOUNT = 2


def _hear_everything(accounts) -> int:
    """The sandbox's public mentions each account; the hub polls and stores the items."""
    # start-up: each benchmark sets Django up itself, once it has chosen its database.
    from channels.services import adapter_for
    from conversations.models import RawEvent
    from conversations.services.ingest import items_ingest

    stored = 0
    for social in accounts:
        heard = adapter_for(social).listen(social.open_credentials(), cursor="", our_posts=[])
        stored += items_ingest(account=social, items=heard.items, source=RawEvent.Source.POLL).created
    return stored


def _user(username: str, role: str, mission=None):
    # start-up: each benchmark sets Django up itself, once it has chosen its database.
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group

    from embassies.models import StaffMembership

    user, _ = get_user_model().objects.get_or_create(username=username, defaults={"email": f"{username}@bench.invalid"})
    user.groups.add(Group.objects.get_or_create(name=role)[0])
    if mission is not None:
        StaffMembership.objects.get_or_create(user=user, mission=mission)
    return get_user_model().objects.get(pk=user.pk)  # fresh: no cached roles


def run(*, quick: bool = False, latency_ms: int = 200) -> dict:
    backend = Backend.from_environment()
    database_url = backend.database_for("replies")
    create_database(database_url)
    os.environ["DATABASE_URL"] = database_url
    os.environ["DJANGO_SETTINGS_MODULE"] = SETTINGS_MODULE
    os.environ.update(child_env())
    django.setup()

    # start-up: Django is set up above, on the benchmark's own database.
    from django.conf import settings

    from channels.models import SocialAccount
    from conversations.lifecycle import REPLY_ON_ITS_WAY, LineState
    from conversations.models import AnswerLine, Conversation, Item, Reply
    from conversations.services.replies import ReplyDraft, reply_clear, reply_write
    from embassies.roles import Role

    missions = 50 if quick else None  # all 271: some 500 replies
    seed_accounts(networks=("twitter",), missions_limit=missions)
    accounts = list(SocialAccount.objects.select_related("mission").order_by("pk"))
    stack = Stack(name="replies", backend=backend, database_url=database_url, env=child_env())
    try:
        settings.SANDBOX_URL = stack.start_sandbox()  # this process polls and clears, too
        stack.use_in_this_process()
        for social in accounts:
            stack.sandbox(
                "POST",
                "public",
                json={
                    "network": "twitter",
                    "account": social.network_account_id,
                    "seed": social.pk,
                    "count": MENTIONS_PER_ACCOUNT,
                    "spread_seconds": 0,
                },
            )
        _hear_everything(accounts)
        Conversation.objects.update(category="consular", language="en")
        Item.objects.update(language="en")
        press = _user("bench-press", Role.PRESS_OFFICE)
        officers = {
            social.mission_id: _user(f"bench-officer-{social.mission_id}", Role.OFFICER, social.mission)
            for social in accounts
        }
        items = list(Item.objects.filter(deleted_at__isnull=True).select_related("conversation").order_by("pk"))
        pending = []
        for number, item in enumerate(items):
            reply = reply_write(
                actor=officers[item.conversation.mission_id],
                conversation_id=item.conversation_id,
                draft=ReplyDraft(
                    item_id=item.pk, text=f"Thank you for your question ({number}).", idempotency_key=f"bench-{number}"
                ),
            )
            pending.append(reply.pk)
        layout = [worker for worker in procfile_workers() if "publish" in worker.queues.split(",")]
        stack.start_procfile_workers(layout)
        stack.start_beat()
        stack.wait_ready()
        time.sleep(1.0)
        if latency_ms:
            stack.sandbox("POST", "faults", json={"network": "*", "account": "*", "latency_ms": latency_ms})
        connection.close()

        # 1. Every pending reply cleared at once.
        started = time.monotonic()
        for reply_id in pending:
            reply_clear(actor=press, reply_id=reply_id)
        cleared_seconds = time.monotonic() - started
        wait_for(
            lambda: not Reply.objects.filter(pk__in=pending, state__in=REPLY_ON_ITS_WAY).exists(),
            300,
            interval=0.2,
            what="every cleared reply to be sent",
        )
        all_out = time.monotonic() - started
        states = Counter(Reply.objects.filter(pk__in=pending).values_list("state", flat=True))

        # 2. Level 0: a library line, sent by the officer alone, timed to its call's start.
        line = AnswerLine.objects.create(
            topic="thanks",
            title="Thanks",
            category="consular",
            language="en",
            text="Thank you: our website answers most questions about visas.",
            state=LineState.APPROVED,
            written_by=press,
            approved_by=press,
            approved_at=timezone.now(),
        )
        level0 = []
        for item in items[::MENTIONS_PER_ACCOUNT]:
            Reply.objects.filter(item=item).update(state="sent")
            reply = reply_write(
                actor=officers[item.conversation.mission_id],
                conversation_id=item.conversation_id,
                draft=ReplyDraft(item_id=item.pk, text=line.text, line_id=line.pk, idempotency_key=f"bench0-{item.pk}"),
            )
            level0.append(reply.pk)
        wait_for(
            lambda: not Reply.objects.filter(pk__in=level0, state__in=REPLY_ON_ITS_WAY).exists(),
            120,
            interval=0.2,
            what="every level-0 reply to be sent",
        )
        delays = [
            (first - written).total_seconds()
            for written, first in Reply.objects.filter(pk__in=level0).values_list("created_at", "first_attempt_at")
            if first is not None
        ]
        answers = stack.sandbox("GET", "answers", params={"network": "twitter"})["answers"]
        stack.check_alive()
    finally:
        stack.stop()
        connection.close()
        if not keep_databases():
            drop_database(database_url)
    copies = Counter((entry["account"], entry["parent"], entry["text"]) for entry in answers)
    sent_total = states.get("sent", 0) + len(delays)
    return {
        "replies": len(pending),
        "sent": states.get("sent", 0),
        "states": dict(states),
        "clear_seconds": round(cleared_seconds, 2),
        "seconds_to_all_sent": round(all_out, 2),
        "level0_replies": len(level0),
        "level0_call_start_p50": round(statistics.median(delays), 3) if delays else None,
        "level0_call_start_max": round(max(delays), 3) if delays else None,
        "answers_on_the_network": len(answers),
        "duplicates": sum(count - 1 for count in copies.values() if count > 1),
        "lost": len(pending) + len(level0) - sent_total,
        "latency_ms": latency_ms,
        "backend": backend.name,
        "quick": quick,
        "date": now_iso(),
        "machine": machine(),
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="50 missions (100 replies)")
    parser.add_argument("--latency-ms", type=int, default=200)
    parser.add_argument("--out", help="write the result here as JSON")
    args = parser.parse_args(argv)
    try:
        result = run(quick=args.quick, latency_ms=args.latency_ms)
    except BenchError as error:
        print(f"replies: {error}", file=sys.stderr)
        sys.exit(1)
    text = json.dumps(result, indent=2, default=str)
    if args.out:
        Path(args.out).write_text(text)
    print(text)


if __name__ == "__main__":
    main()
