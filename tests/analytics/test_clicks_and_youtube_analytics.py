"""What each network gives beyond its public counts, through the real SDKs against the
sandbox: X's non_public_metrics (link and profile clicks) for our own posts in their first
30 days, refused after as X refuses them; Facebook's link clicks from the post's insights;
YouTube Analytics where the account granted it, statistics only otherwise; and where a
network gives no clicks, "unknown" with the reason, never 0."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import requests
from django.urls import reverse
from django.utils import timezone

from analytics.models import DeliverySnapshot, Unknown
from analytics.selectors import message_numbers
from analytics.services import account_collect
from channels.adapters.base import Credentials, Missing
from channels.adapters.twitter import post_created_at
from channels.adapters.youtube import ANALYTICS_SCOPE
from channels.models import Network
from channels.sandbox.state import Item
from posts.models import Delivery
from tests.analytics.conftest import published, sandbox_account
from tests.channels.adapters.helpers import FACEBOOK, TWITTER, YOUTUBE
from tests.posts.factories import approved_message, officer, press_officer
from tests.security.otp import force_verified_login

pytestmark = pytest.mark.django_db

X_EPOCH_MS = 1288834974657


def x_post_made(sandbox, *, days_ago: float, id_days_ago: float | None = None) -> str:
    """A post of the test X account in the sandbox, made `days_ago` (its id says
    `id_days_ago`, the same by default)."""
    made = datetime.now(UTC) - timedelta(days=days_ago)
    id_time = datetime.now(UTC) - timedelta(days=days_ago if id_days_ago is None else id_days_ago)
    post_id = str((int(id_time.timestamp() * 1000) - X_EPOCH_MS) << 22)
    sandbox.state.add_item(
        Item(network="twitter", account=TWITTER.account_id, id=post_id, kind="post", text="Ancien", created_at=made)
    )
    return post_id


def test_x_gives_our_young_posts_link_and_profile_clicks(on_sandbox, sandbox):
    post_id = x_post_made(sandbox, days_ago=0.2)
    assert abs((post_created_at(post_id) - (datetime.now(UTC) - timedelta(days=0.2))).total_seconds()) < 2
    numbers = TWITTER.adapter(on_sandbox).fetch_metrics(TWITTER.credentials(), post_id)
    assert numbers.clicks is not None
    assert numbers.profile_clicks is not None
    assert numbers.clicks_missing == ""
    assert numbers.likes is not None


def test_x_refuses_private_metrics_past_30_days_and_the_adapter_does_not_ask(on_sandbox, sandbox):
    old = x_post_made(sandbox, days_ago=40)
    # X itself: a 200 without the post, a "Field Authorization Error" in its place.
    answer = requests.get(
        f"{on_sandbox}/twitter/2/tweets/{old}",
        params={"tweet.fields": "public_metrics,non_public_metrics"},
        headers={"Authorization": f"Bearer {TWITTER.credentials().access_token}"},
        timeout=5,
    )
    assert answer.status_code == 200
    body = answer.json()
    assert "data" not in body
    assert body["errors"][0]["title"] == "Field Authorization Error"
    assert body["errors"][0]["type"] == "https://api.twitter.com/2/problems/not-authorized-for-field"
    numbers = TWITTER.adapter(on_sandbox).fetch_metrics(TWITTER.credentials(), old)
    assert (numbers.clicks, numbers.profile_clicks, numbers.clicks_missing) == (None, None, Missing.TOO_OLD)
    assert numbers.likes is not None  # the public ones still read


def test_x_refusing_at_the_edge_leaves_the_public_numbers(on_sandbox, sandbox):
    """The id says 29 days, X's clock says 31: X refuses, the adapter asks again without them."""
    edge = x_post_made(sandbox, days_ago=31, id_days_ago=29)
    numbers = TWITTER.adapter(on_sandbox).fetch_metrics(TWITTER.credentials(), edge)
    assert (numbers.clicks, numbers.clicks_missing) == (None, Missing.TOO_OLD)
    assert numbers.views is not None


def test_x_clicks_of_a_young_post_are_stored(on_sandbox):
    cairo = sandbox_account("emb-eg-cairo")
    young = published(cairo, hours_ago=2, text="Jeune")
    account_collect(account_id=cairo.pk)
    snapshot = DeliverySnapshot.objects.get(delivery=young)
    assert snapshot.clicks is not None
    assert snapshot.profile_clicks is not None
    assert snapshot.clicks_unknown == ""


def test_facebook_link_clicks_come_from_the_posts_insights(on_sandbox):
    adapter = FACEBOOK.adapter(on_sandbox)
    out = adapter.publish(FACEBOOK.credentials(), FACEBOOK.sample(None))
    numbers = adapter.fetch_metrics(FACEBOOK.credentials(), out.external_id)
    assert numbers.clicks is not None
    assert numbers.clicks_missing == ""
    # Graph's own answer, as the SDK read it.
    answer = requests.get(
        f"{on_sandbox}/facebook/v24.0/{out.external_id}/insights",
        params={"metric": "post_impressions_unique", "access_token": FACEBOOK.credentials().access_token},
        timeout=5,
    )
    assert answer.status_code == 400
    assert answer.json()["error"]["code"] == 100


def youtube_video(sandbox, *, hours_ago: float = 5) -> str:
    video_id = "dhVideo0001"
    sandbox.state.add_item(
        Item(
            network="youtube",
            account=YOUTUBE.account_id,
            id=video_id,
            kind="video",
            text="Discours",
            title="Fête nationale",
            created_at=datetime.now(UTC) - timedelta(hours=hours_ago),
        )
    )
    return video_id


def granted(credentials: Credentials) -> Credentials:
    scopes = "https://www.googleapis.com/auth/youtube.readonly " + ANALYTICS_SCOPE
    return credentials.replace(extra={**credentials.extra, "scopes": scopes})


def test_youtube_analytics_where_the_account_granted_it(on_sandbox, sandbox):
    video = youtube_video(sandbox)
    adapter = YOUTUBE.adapter(on_sandbox)
    numbers = adapter.fetch_metrics(granted(YOUTUBE.credentials()), video)
    assert numbers.analytics_missing == ""
    assert numbers.watch_minutes is not None
    assert numbers.watch_minutes > 0
    assert numbers.subscribers_gained is not None
    assert numbers.shares is not None
    assert (numbers.clicks, numbers.clicks_missing) == (None, Missing.NOT_GIVEN)
    # The numbers grow with the video's age, as the statistics do.
    older = adapter.fetch_metrics(granted(YOUTUBE.credentials()), youtube_video(sandbox, hours_ago=9))
    assert older.watch_minutes >= numbers.watch_minutes


def test_youtube_statistics_only_where_the_account_did_not_grant_analytics(on_sandbox, sandbox):
    video = youtube_video(sandbox)
    numbers = YOUTUBE.adapter(on_sandbox).fetch_metrics(YOUTUBE.credentials(), video)
    assert numbers.analytics_missing == Missing.NOT_GRANTED
    assert (numbers.watch_minutes, numbers.shares) == (None, None)
    assert numbers.views is not None


def test_the_message_page_shows_clicks_and_where_youtube_numbers_came_from(client, on_sandbox, sandbox):
    """Collected for real: the YouTube account without the Analytics grant says
    "statistics only" and why; an X post past 30 days says why it has no clicks."""
    youtube = sandbox_account("emb-jp-tokyo", Network.YOUTUBE)
    x = sandbox_account("emb-jp-tokyo", Network.TWITTER)
    message = approved_message(
        approver=press_officer(),
        author=officer(youtube.mission),
        mission_or_code=youtube.mission,
        targets=[x],
        title="Fête nationale",
        texts={"fr": "Fête nationale"},
    )
    on_x = message.deliveries.get()
    old_post = x_post_made(sandbox, days_ago=40)
    Delivery.objects.filter(pk=on_x.pk).update(
        state=Delivery.State.SENT, external_id=old_post, sent_at=timezone.now() - timedelta(days=30, hours=2)
    )
    # The same message's video on the mission's YouTube channel (made in the sandbox: an
    # approval would ask for a real video file).
    on_youtube = Delivery.objects.create(
        message=message,
        account=youtube,
        language="fr",
        priority=on_x.priority,
        state=Delivery.State.SENT,
        external_id=youtube_video(sandbox),
        sent_at=timezone.now() - timedelta(hours=2),
    )
    for account in (x, youtube):
        assert account_collect(account_id=account.pk).stopped == ""
    assert DeliverySnapshot.objects.get(delivery=on_youtube).analytics_unknown == Unknown.NOT_GRANTED
    numbers = message_numbers(message=message)
    columns = [str(column) for column in numbers["accounts"].columns]
    rows = {row[1]: row for row in numbers["accounts"].rows}
    assert rows["X"][columns.index("Link clicks")] == (
        "unknown: The network gives this number only for posts younger than 30 days"
    )
    assert rows["YouTube"][columns.index("Read from")] == (
        "Statistics only: The account did not grant the permission to read this number"
    )
    assert rows["YouTube"][columns.index("Link clicks")] == "unknown: The network does not give this number"
    force_verified_login(client, press_officer())
    html = client.get(reverse("posts:message_detail", args=[message.pk])).content.decode()
    assert "Link clicks" in html
    assert "younger than 30 days" in html
