"""The pages' pre-summed rows: recomputed per day from the raw rows (idempotent, unknown
kept unknown, a retried reading moved to the day it was read), and the pages reading only
them with a fixed number of queries however many messages and accounts there are."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from analytics import selectors, tasks
from analytics.models import AccountDaily, AudienceDay, DeliverySnapshot, MessageDay, MessageRegion, Unknown
from analytics.rollups import rollups_refresh
from channels.models import Network
from posts.models import Delivery, Message
from tests.analytics.conftest import sent
from tests.posts.factories import account, approved_message, officer, press_officer
from tests.security.otp import force_verified_login

pytestmark = pytest.mark.django_db


def test_a_refresh_sums_a_day_and_a_second_one_writes_the_same():
    cairo_x = account("emb-eg-cairo", Network.TWITTER)
    cairo_fb = account("emb-eg-cairo", Network.FACEBOOK)
    today = timezone.now().date()
    AccountDaily.objects.create(account=cairo_x, day=today, followers=900, collected_at=timezone.now())
    AccountDaily.objects.create(
        account=cairo_fb, day=today, followers=None, unknown=Unknown.PERMISSION, collected_at=timezone.now()
    )
    one = sent(cairo_x, title="One", likes=10, views=200)
    sent(cairo_fb, title="Lost", likes=None, views=None, unknown=Unknown.PERMISSION)

    def rows():
        return (
            sorted(MessageDay.objects.values_list("message_id", "network", "rows", "read", "views", "engagement")),
            sorted(AudienceDay.objects.values_list("network", "accounts", "followers", "followers_known", "unknowns")),
            sorted(MessageRegion.objects.values_list("message_id", "region", "read", "views", "engagement")),
        )

    first = rows()
    rollups_refresh(days=[today])
    assert rows() == first
    days, audience, regions = first
    assert (one.pk, "twitter", 1, 1, 200, 11) in days
    lost = next(row for row in days if row[1] == "facebook")
    assert lost[2:] == (1, 0, None, 0)  # read as unknown: no views, and counted as not read
    assert sorted(audience) == [("facebook", 1, None, 0, 1), ("twitter", 1, 900, 1, 0)]
    assert [row[2:] for row in regions if row[0] == one.pk] == [(1, 200, 11)]


def test_a_reading_retried_on_a_later_day_moves_to_that_day():
    cairo_x = account("emb-eg-cairo", Network.TWITTER)
    message = sent(cairo_x, title="Late", likes=None, views=None, unknown=Unknown.UNREACHABLE)
    today = timezone.now().date()
    earlier = timezone.now() - timedelta(days=2)
    DeliverySnapshot.objects.update(collected_at=earlier)
    rollups_refresh(days=[earlier.date(), today])
    assert list(MessageDay.objects.values_list("day", "read")) == [(earlier.date(), 0)]
    DeliverySnapshot.objects.update(collected_at=timezone.now(), unknown="", views=50, likes=3, comments=1, shares=0)
    tasks.refresh_rollups()  # the nightly refresh: the last 31 days
    assert list(MessageDay.objects.values_list("day", "read", "views")) == [(today, 1, 50)]
    assert list(MessageRegion.objects.filter(message=message).values_list("read", "views", "engagement")) == [
        (1, 50, 4)
    ]


def sent_to(targets, *, title: str) -> Message:
    """One message published to every one of `targets`, each read at 24 hours."""
    message = approved_message(
        approver=press_officer(),
        author=officer("emb-eg-cairo"),
        targets=targets,
        title=title,
        texts={"fr": title},
    )
    message.deliveries.update(state=Delivery.State.SENT, sent_at=timezone.now() - timedelta(hours=30))
    for n, delivery in enumerate(message.deliveries.all()):
        DeliverySnapshot.objects.create(
            delivery=delivery,
            account=delivery.account,
            age_hours=24,
            views=10 * n,
            likes=n,
            comments=0,
            shares=0,
            collected_at=timezone.now(),
        )
    rollups_refresh(days=[timezone.now().date()])
    return message


def test_the_pages_make_the_same_queries_for_one_message_or_many(client, django_assert_num_queries):
    today = timezone.now().date()
    cairo_x = account("emb-eg-cairo", Network.TWITTER)
    AccountDaily.objects.create(account=cairo_x, day=today, followers=5, collected_at=timezone.now())
    one = sent_to([cairo_x], title="To one")
    press, cairo_officer = press_officer(), officer("emb-eg-cairo")

    def pages(message: Message) -> list[tuple]:
        return [
            (press, reverse("analytics:overview")),
            (cairo_officer, reverse("analytics:overview")),
            (cairo_officer, reverse("analytics:mission", args=["emb-eg-cairo"])),
            (press, reverse("analytics:message", args=[message.pk])),
            (press, reverse("analytics:overview") + "?csv=top"),
        ]

    def counts(message: Message) -> list[int]:
        found = []
        for user, url in pages(message):
            force_verified_login(client, user)
            with CaptureQueriesContext(connection) as queries:
                assert client.get(url).status_code == 200
            found.append(len(queries))
        return found

    before = counts(one)
    more = [account("emb-eg-cairo", network) for network in (Network.FACEBOOK, Network.TWITTER) for _n in range(3)]
    for target in more:
        AccountDaily.objects.create(account=target, day=today, followers=7, collected_at=timezone.now())
        sent(target, title=f"Alone on {target.handle}", likes=3)
    many = sent_to([cairo_x, *more], title="To many")
    for (user, url), expected in zip(pages(many), before, strict=True):
        force_verified_login(client, user)
        with django_assert_num_queries(expected):
            assert client.get(url).status_code == 200


def test_a_crisis_alert_lists_its_accounts_a_page_at_a_time(client, monkeypatch):
    targets = [account("emb-eg-cairo", Network.TWITTER) for _n in range(3)]
    message = sent_to(targets, title="Alerte")
    force_verified_login(client, press_officer())
    url = reverse("analytics:message", args=[message.pk])
    monkeypatch.setattr(selectors, "PER_PAGE", 2)
    first, second = client.get(url), client.get(url, {"page": 2})
    every = client.get(url, {"csv": "accounts"})
    assert len(first.context["accounts"].rows) == 2
    assert len(second.context["accounts"].rows) == 1
    assert 'rel="next"' in first.content.decode()
    assert len(every.content.decode().strip().splitlines()) == 1 + 3  # the CSV: every account
    assert first.context["regions"].rows[0][1:] == [3, 3, 30, 3]  # views 0+10+20, likes 0+1+2
