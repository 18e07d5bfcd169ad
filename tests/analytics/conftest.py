"""Fixtures for analytics: a mission's accounts on the sandbox, and messages published to
them for real (through the adapters), their deliveries sent some hours ago."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from analytics.models import DeliverySnapshot
from analytics.rollups import rollups_refresh
from channels.adapters.base import Content
from channels.models import Network
from channels.services import adapter_for
from posts.models import Delivery
from tests.channels.adapters.helpers import FACEBOOK, TWITTER, YOUTUBE
from tests.posts.factories import account, approved_message, officer, press_officer

HELPERS = {"twitter": TWITTER, "facebook": FACEBOOK, "youtube": YOUTUBE}


@pytest.fixture
def on_sandbox(settings, sandbox_url):
    settings.SANDBOX_URL = sandbox_url
    return sandbox_url


def sandbox_account(code: str, network: str = Network.TWITTER):
    helper = HELPERS[network]
    return account(code, network, network_account_id=helper.account_id, credentials=helper.credentials())


def published(target, *, hours_ago: float, text: str = "Réception pour la fête nationale.") -> Delivery:
    """A message approved and sent to `target` for real, `hours_ago` hours ago."""
    author = officer(target.mission)
    message = approved_message(
        approver=press_officer(), author=author, mission_or_code=target.mission, targets=[target], texts={"fr": text}
    )
    delivery = message.deliveries.get()
    out = adapter_for(target).publish(target.open_credentials(), Content(text=text))
    Delivery.objects.filter(pk=delivery.pk).update(
        state=Delivery.State.SENT,
        external_id=out.external_id,
        external_url=out.url,
        sent_at=timezone.now() - timedelta(hours=hours_ago),
    )
    delivery.refresh_from_db()
    return delivery


def sent(target, *, title: str, likes: int | None, views: int | None = 100, unknown: str = "", hours_ago: float = 30):
    message = approved_message(
        approver=press_officer(),
        author=officer(target.mission),
        mission_or_code=target.mission,
        targets=[target],
        title=title,
        texts={"fr": title},
    )
    delivery = message.deliveries.get()
    Delivery.objects.filter(pk=delivery.pk).update(
        state=Delivery.State.SENT, external_id=f"x{delivery.pk}", sent_at=timezone.now() - timedelta(hours=hours_ago)
    )
    DeliverySnapshot.objects.create(
        delivery=delivery,
        account=target,
        age_hours=24,
        views=views,
        likes=likes,
        comments=1 if likes is not None else None,
        shares=0 if likes is not None else None,
        unknown=unknown,
        collected_at=timezone.now(),
    )
    rollups_refresh(days=[timezone.now().date()])  # as the next collection round does
    return message
