"""The conversation desk's benchmarks, small and without timing (the speed targets are met
by `make bench`, not here):

- the ingestion burst (bench/ingest.py) at 400 items to 20 accounts, through the real
  sandbox, gunicorn, the listen worker and beat, webhooks and polling overlapping: nothing
  lost, nothing duplicated, every webhook answered 200;
- the inbox pages' data generator and query counter (bench/inbox_pages.py) on 3,000
  conversations: each page answers 200 with the same number of queries at two sizes.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
from django.conf import settings

from bench import data, inbox_pages, pages
from bench.common import REPO
from conversations.models import Conversation, Item


@pytest.mark.processes
@pytest.mark.timeout(300)
def test_a_small_burst_is_stored_once_by_webhooks_and_polling_together(tmp_path):
    out = tmp_path / "ingest.json"
    env = {key: value for key, value in os.environ.items() if not key.startswith("PYTEST_")}
    database = settings.DATABASES["default"]
    if "postgresql" in database["ENGINE"]:
        env["DATABASE_URL"] = (
            f"postgres://{database['USER']}@{database['HOST'] or '127.0.0.1'}:{database['PORT'] or 5432}/x"
        )
    else:
        env.pop("DATABASE_URL", None)
    process = subprocess.run(  # noqa: S603 (our own benchmark, by this interpreter)
        [
            sys.executable,
            "-m",
            "bench.ingest",
            "--items",
            "400",
            "--missions",
            "5",
            "--name",
            "ingest_test",
            "--no-steady",  # the suite checks correctness; steady polling's cost is make bench's
            "--out",
            str(out),
        ],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=280,
        check=False,
    )
    assert process.returncode == 0, process.stderr[-3000:]
    result = json.loads(out.read_text())
    assert result["accounts"] == 20
    assert result["items_said"] == 400
    assert not result["timed_out"]
    assert (result["lost"], result["duplicates"]) == (0, 0)
    assert result["stored"] >= result["items_live"]
    assert set(result["webhook_answers"]) == {"200"}
    assert result["raw_events"].get("webhook")  # both ways in
    assert result["raw_events"].get("poll")
    assert result["accounts_polled"] == 20
    assert result["conversations"] <= result["threads_said"]


@pytest.mark.django_db
def test_the_inbox_pages_make_the_same_number_of_queries_at_two_sizes_of_the_data():
    total = 3_000
    now = data._dataset_now()
    people = data.seed_people_and_accounts()
    sample = set(range(0, total, inbox_pages.STRIDE))
    small = inbox_pages.generate(total=total, indices=sorted(sample), now=now, people=people)
    paths = inbox_pages.pages(inbox_pages.focus_index(total) + 1, "1")
    sessions = {role: pages.session_for(role) for role in {role for _path, role in paths.values()}}
    before = inbox_pages.count_queries(paths, sessions)

    large = inbox_pages.generate(
        total=total, indices=[c for c in range(total) if c not in sample], now=now, people=people
    )
    after = inbox_pages.count_queries(paths, sessions)

    assert small["conversations"] == 30
    assert Conversation.objects.count() == total
    assert Item.objects.count() == small["items"] + large["items"] > 3 * total
    for key in paths:
        assert before[key]["status"] == 200, key
        assert after[key]["status"] == 200, key
        extra = pages._differences(before[key]["sql"], after[key]["sql"])
        assert after[key]["queries"] == before[key]["queries"], f"{key}: {extra}"
