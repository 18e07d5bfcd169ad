"""The analytics pages' benchmark, small and without timing (the speed target is met by
`make bench`, not here): its data generator and query counter on 2,000 messages and 20 days
of followers: each page answers 200 with the same number of queries at two sizes."""

from __future__ import annotations

import pytest

from analytics.models import AccountDaily, DeliverySnapshot
from bench import analytics_pages, data, inbox_pages, pages
from embassies.models import StaffMembership


@pytest.mark.django_db
@pytest.mark.timeout(600)
def test_the_analytics_pages_make_the_same_number_of_queries_at_two_sizes_of_the_data():
    total, days = 2_000, 20
    now = data._dataset_now()
    people = data.seed_people_and_accounts()
    sample = data.sample_indices(total)
    data.generate(total=total, indices=sorted(sample), now=now, people=people, log=lambda *a, **k: None)
    analytics_pages.daily_rows(now=now, days=days, part="sample")
    analytics_pages.snapshot_rows(now=now, skip=set())
    officer = people["role_users"]["officer"][0]
    code = StaffMembership.objects.filter(user_id=officer).values_list("mission__code", flat=True).first()
    paths = analytics_pages.pages(mission_code=code, message_id=1)
    sessions = {role: pages.session_for(role) for role in {role for _path, role in paths.values()}}
    before = inbox_pages.count_queries(paths, sessions)
    snapshots_before = DeliverySnapshot.objects.count()

    done = set(DeliverySnapshot.objects.values_list("delivery_id", flat=True).distinct())
    data.generate(
        total=total,
        indices=[i for i in range(total) if i not in sample],
        now=now,
        people=people,
        log=lambda *a, **k: None,
    )
    analytics_pages.daily_rows(now=now, days=days, part="rest")
    analytics_pages.snapshot_rows(now=now, skip=done)
    after = inbox_pages.count_queries(paths, sessions)

    assert AccountDaily.objects.count() == 1_084 * days
    assert DeliverySnapshot.objects.count() > 3 * snapshots_before > 0
    for key in paths:
        assert before[key]["status"] == 200, key
        assert after[key]["status"] == 200, key
        extra = pages._differences(before[key]["sql"], after[key]["sql"])
        assert after[key]["queries"] == before[key]["queries"], f"{key}: {extra}"
