"""Hypothesis drives the public and the polls in any order, with polls stopped part-way
by rate limits: what the adapters hear, poll after poll, loses nothing."""

from __future__ import annotations

import requests
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from channels.adapters.base import Content, RateLimited
from tests.channels.adapters.helpers import FACEBOOK, TWITTER, YOUTUBE, video_post
from tests.channels.listening.conftest import say

# ("say", how many) | ("edit", which) | ("delete", which) | ("poll", refused at which call or None)
STEPS = st.lists(
    st.one_of(
        st.tuples(st.just("say"), st.integers(1, 130)),
        st.tuples(st.just("edit"), st.integers(0, 10_000)),
        st.tuples(st.just("delete"), st.integers(0, 10_000)),
        st.tuples(st.just("poll"), st.one_of(st.none(), st.integers(0, 4))),
    ),
    min_size=1,
    max_size=12,
)


def _interleave(sandbox, network, steps, *, contents: list[Content]) -> None:
    sandbox.reset()
    url = sandbox.url
    adapter = network.adapter(url)
    posts = [adapter.publish(network.credentials(), content).external_id for content in contents]
    said: list[dict] = []
    heard: set[str] = set()
    cursor = ""
    for number, (step, value) in enumerate(steps):
        if step == "say":
            said += say(url, network.name, network.account_id, seed=number, count=value)
        elif step in ("edit", "delete") and said:
            target = said[value % len(said)]
            body = {"network": network.name, "id": target["id"], "text": f"{target['text']} (corrected {number})"}
            requests.post(f"{url}/_sandbox/public/{step}", json=body, timeout=5)
        elif step == "poll":
            if value is not None:  # the network refuses the call after `value` went through
                network.fault(url, rate_limit_rate=1.0, count=1, after=value, rate_limit_reset_seconds=1)
            try:
                got = adapter.listen(network.credentials(), cursor=cursor, our_posts=posts)
            except RateLimited:
                pass  # nothing read: the cursor stays
            else:
                heard |= {item.external_id for item in got.items}
                cursor = got.cursor
            requests.delete(f"{url}/_sandbox/faults", timeout=5)
    final = adapter.listen(network.credentials(), cursor=cursor, our_posts=posts)
    heard |= {item.external_id for item in final.items}
    everything = requests.get(f"{url}/_sandbox/public", params={"network": network.name}, timeout=5).json()["said"]
    # Every live thing said is heard (on YouTube, a deleted thread takes its replies with
    # it), and nothing that was never said.
    deleted = {item["id"] for item in everything if item["deleted"]}
    gone = deleted if network is YOUTUBE else set()
    assert {item["id"] for item in everything if item["id"] not in deleted and item["parent"] not in gone} <= heard
    assert heard <= {item["id"] for item in everything}


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(steps=STEPS)
# Found by Hypothesis: a drain resumed from a stopped poll must also read what was said since.
@example(steps=[("say", 126), ("poll", 1), ("say", 2)])
def test_x_polls_stopped_anywhere_lose_nothing(sandbox, steps):
    _interleave(sandbox, TWITTER, steps, contents=[Content(text=f"Fête nationale {n}") for n in range(2)])


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(steps=STEPS)
def test_facebook_polls_stopped_anywhere_lose_nothing(sandbox, steps):
    _interleave(sandbox, FACEBOOK, steps, contents=[Content(text=f"Portes ouvertes {n}") for n in range(2)])


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(steps=STEPS)
def test_youtube_polls_stopped_anywhere_lose_nothing(sandbox, tmp_path, steps):
    videos = [video_post(tmp_path, reference=f"dh-{n}", name=f"v{n}") for n in range(2)]
    _interleave(sandbox, YOUTUBE, steps, contents=videos)
