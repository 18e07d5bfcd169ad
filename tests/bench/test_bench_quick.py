"""The benchmarks' own machinery, small and without timing (the speed targets are met by
`make bench`, not here):

- a fan-out of 40 deliveries (10 missions x 4 networks, an image alert and a video alert
  approved in one transaction, as bench/fanout.py does) through real worker processes and
  the sandbox holding each call 50 ms: every account gets it exactly once, none is lost;
- the pages benchmark's data generator and query counter on a tiny year: each page that
  exists answers 200 with the same number of queries at two sizes of the data.
"""

from __future__ import annotations

import pytest

from bench import data, fanout, pages
from posts.models import Delivery
from tests.live import _live_database_keeper, live_sandbox, live_stack  # noqa: F401 (fixtures)


@pytest.mark.processes
@pytest.mark.timeout(180)
def test_fanout_of_40_deliveries_reaches_every_account_exactly_once(live_stack, settings, tmp_path):  # noqa: F811
    settings.MEDIA_ROOT = tmp_path / "media"
    live_stack.env["MEDIA_ROOT"] = str(settings.MEDIA_ROOT)
    live_stack.env.update(fanout.child_env())
    fanout.seed_accounts(networks=fanout.NETWORKS_WITH_IMAGE + fanout.NETWORKS_WITH_VIDEO, missions_limit=10)
    author, approver = fanout.crisis_users()
    message_ids = fanout.make_alerts(author, tag="test")
    live_stack.sandbox_fault(network="*", account="*", latency_ms=50)
    live_stack.start(crisis=8, publish=2)

    fanout.approve_together(approver, message_ids)
    summary = live_stack.wait_until(lambda: fanout.all_final(message_ids), timeout=90, what="every delivery to end")

    assert summary["total"] == 40
    assert summary["states"] == {Delivery.State.SENT: 40}
    check = fanout.sandbox_check(live_stack.sandbox_counts(), message_ids)
    assert check == {"duplicates": 0, "lost": 0, "duplicates_refused": 0, "received_by_unexpected_accounts": 0}


@pytest.mark.django_db
def test_pages_make_the_same_number_of_queries_at_two_sizes_of_the_data():
    total = 600
    now = data._dataset_now()
    people = data.seed_people_and_accounts()
    sampled = data.sample_indices(total, stride=20)
    data.generate(total=total, indices=sorted(sampled), now=now, people=people, log=lambda *_: None)
    paths, _missing = pages.resolve_pages()
    assert paths, "no page of the benchmark exists"
    sessions = {role: pages.session_for(role) for role in {page.role for page in pages.PAGES}}
    small = pages.count_queries(paths, sessions)

    written = data.generate(
        total=total, indices=[i for i in range(total) if i not in sampled], now=now, people=people, log=lambda *_: None
    )
    large = pages.count_queries(paths, sessions)

    assert written["posts.Delivery"] > 4 * len(sampled)  # the data did grow
    for key in paths:
        assert small[key]["status"] == 200, key
        assert large[key]["status"] == 200, key
        extra = pages._differences(small[key]["sql"], large[key]["sql"])
        assert large[key]["queries"] == small[key]["queries"], f"{key}: {extra}"
