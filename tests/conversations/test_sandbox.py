"""End to end, nothing of ours mocked: the sandbox's public speaks to a mission's accounts,
the sandbox pushes signed webhooks to this hub's live server (with duplicates, shuffled,
some with a forged signature), replays them, the drain ingests what the webhooks kept, and
the hub polls through the real adapters and SDKs: every item said is stored exactly once,
the forged pushes stored nothing."""

from __future__ import annotations

import time

import pytest
import requests
from django.conf import settings as django_settings
from django.test.testcases import LiveServerThread, _StaticFilesHandler
from django.utils import timezone

from channels.models import Network
from channels.services import adapter_for
from conversations.models import Item, ListenCursor, RawEvent, WebhookDelivery
from conversations.services.polling import account_poll, cursors_claim_due
from conversations.services.webhooks import webhooks_drain
from tests.channels.adapters.helpers import FACEBOOK, TWITTER
from tests.live import _live_database_keeper  # noqa: F401 (a fixture)
from tests.posts.factories import account


@pytest.fixture
def hub_url(_live_database_keeper, transactional_db, django_db_serialized_rollback, sandbox_url):  # noqa: F811 (a fixture)
    """This hub, served from a thread on the test's database (pytest-django's live_server
    would set its database up before the keeper, whose missions the flush then loses).

    The database fixtures are named here, in this order (the keeper is torn down after the
    flush), and not fetched with `getfixturevalue`: pytest-django sets up the test
    databases that the collected tests name, so a test that only asked for them at run
    time, run alone, found the development database instead, unmigrated."""
    server = LiveServerThread("127.0.0.1", _StaticFilesHandler, port=0)
    server.daemon = True
    server.start()
    server.is_ready.wait()
    if server.error:
        raise server.error
    yield f"http://127.0.0.1:{server.port}"
    requests.delete(f"{sandbox_url}/_sandbox/webhooks", timeout=10)  # no push after the test
    server.terminate()


HELPERS = {"twitter": TWITTER, "facebook": FACEBOOK}  # the sandbox's accounts and their tokens
WEBHOOK_PATHS = {"twitter": "/conversations/webhooks/x/", "facebook": "/conversations/webhooks/facebook/"}


def _control(sandbox_url: str, method: str, path: str, **payload) -> dict:
    answer = requests.request(method, f"{sandbox_url}/_sandbox{path}", json=payload or None, timeout=30)
    assert answer.status_code < 300, answer.text
    return answer.json() if answer.content else {}


def _pushes_settled(sandbox_url: str, network: str, timeout: float = 20.0) -> dict:
    """The sandbox's record of its pushes once every one has had its answer."""
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        targets = [
            target for target in _control(sandbox_url, "GET", "/webhooks")["webhooks"] if target["network"] == network
        ]
        state = (targets[0]["sent"], dict(targets[0]["answers"])) if targets else None
        if state and state[0] and sum(state[1].values()) >= state[0] and state == last:
            return targets[0]
        last = state
        time.sleep(0.5)
    raise AssertionError(f"The sandbox's pushes did not settle: {last}")


def _poll_everything(network_account) -> None:
    """Poll the account until a poll brings nothing new (a poll reads a few pages at most)."""
    for _ in range(6):
        ListenCursor.objects.update(next_poll_at=timezone.now())  # its time has come
        created = 0
        for claim in cursors_claim_due():
            outcome = account_poll(cursor_id=claim.cursor_id, claim=claim.claim)
            assert outcome.polled, outcome.error
            created += outcome.result.created
        if not created:
            return


@pytest.mark.parametrize("network", [Network.TWITTER, Network.FACEBOOK])
def test_pushed_with_faults_replayed_and_polled_every_item_is_stored_once(hub_url, sandbox_url, settings, network):
    settings.SANDBOX_URL = sandbox_url
    helper = HELPERS[network]
    cairo = account("emb-eg-cairo", network, network_account_id=helper.account_id, credentials=helper.credentials())
    _control(
        sandbox_url,
        "POST",
        "/webhooks",
        network=network,
        url=hub_url + WEBHOOK_PATHS[network],
        secret=django_settings.SOCIAL_APPS[network]["client_secret"],
        duplicate_rate=0.5,
        shuffle=True,
        bad_signature_rate=0.3,
        concurrency=4,
    )
    if network == Network.FACEBOOK:
        # What connecting a Page does (`POST /{page-id}/subscribed_apps`): the feed is pushed.
        adapter_for(cairo).subscribe_to_feed(cairo.open_credentials())
    said = _control(
        sandbox_url,
        "POST",
        "/public",
        network=network,
        account=cairo.network_account_id,
        count=30,
        seed=7,
        spread_seconds=0,
    )["said"]
    live = {item["id"] for item in said if not item["deleted"]}
    pushes = _pushes_settled(sandbox_url, network)
    assert set(pushes["answers"]) <= {"200", "403"}, pushes  # never a 4xx of ours, never a 500
    assert pushes["answers"].get("403"), "the forged pushes are refused"
    # Every accepted push was kept (none of the forged ones), and the drain ingests them.
    assert WebhookDelivery.objects.count() == pushes["answers"]["200"]
    assert webhooks_drain().created
    stored = set(Item.objects.values_list("external_id", flat=True))
    assert stored <= {item["id"] for item in said}
    assert RawEvent.objects.filter(source=RawEvent.Source.WEBHOOK).exists()

    _control(sandbox_url, "POST", "/webhooks/replay", network=network)
    _pushes_settled(sandbox_url, network)
    webhooks_drain()
    assert WebhookDelivery.objects.count() == 0
    _poll_everything(cairo)

    stored = list(Item.objects.filter(account=cairo).values_list("external_id", flat=True))
    assert len(stored) == len(set(stored))
    assert live <= set(stored)
