"""Builders for the engine's tests: messages approved through the workflow's own services."""

from __future__ import annotations

import itertools
from datetime import timedelta

from django.test.utils import CaptureQueriesContext  # noqa: F401 (re-exported for tests)
from django.utils import timezone

from channels.models import Network, SocialAccount
from posts.models import Delivery, Message
from posts.services.crisis import crisis_alert_create
from posts.services.review import message_approve, message_submit
from tests.posts.factories import account, crisis_member, draft_message, officer, press_officer

MISSIONS = ("emb-eg-cairo", "emb-jp-tokyo", "emb-de-berlin", "emb-sn-dakar", "emb-us-washington")


_network_ids = itertools.count(1_000_000_001)


def accounts(count: int, network: str = Network.TWITTER, missions=MISSIONS[:1]) -> list[SocialAccount]:
    """`count` connected sandbox accounts of one real mission (or spread over `missions`: a
    routine message targets one mission's accounts only). Their ids on the network are
    numeric, as X user ids are (the sandbox's timeline route wants digits)."""
    return [
        account(missions[index % len(missions)], network, network_account_id=str(next(_network_ids)))
        for index in range(count)
    ]


def approve(
    *,
    targets: list[SocialAccount],
    text: str = "Réception pour la fête nationale.",
    publish_at=None,
    mission_code: str | None = None,
    approver=None,
) -> Message:
    """A routine message in French to `targets`, approved for now (or `publish_at`): one
    delivery per account. Its kick goes wherever the test's broker is."""
    mission_code = mission_code or targets[0].mission.code
    author = officer(mission_code)
    message = draft_message(author=author, mission_or_code=mission_code, texts={"fr": text}, targets=targets)
    message_submit(actor=author, message_id=message.pk)
    return message_approve(actor=approver or press_officer(), message_id=message.pk, publish_at=publish_at)


def approve_crisis(*, scope: dict, text: str = "Alerte : restez chez vous.", networks=("twitter",)) -> Message:
    author = crisis_member()
    alert = crisis_alert_create(actor=author, title="Crisis", texts={"fr": text}, scope=scope, networks=list(networks))
    message_submit(actor=author, message_id=alert.pk)
    return message_approve(actor=crisis_member(), message_id=alert.pk, publish_at=None)


def deliveries_of(message: Message) -> list[Delivery]:
    return list(Delivery.objects.filter(message=message).order_by("pk"))


def states(message: Message) -> list[str]:
    return [delivery.state for delivery in deliveries_of(message)]


def make_due(message: Message) -> None:
    """Bring a message's scheduled deliveries' time to now (without touching its approval)."""
    Delivery.objects.filter(message=message, state=Delivery.State.SCHEDULED).update(
        next_attempt_at=timezone.now() - timedelta(seconds=1)
    )
