"""Factories and builders for the publishing pipeline's tests.

Users and accounts come from the suite's shared factories (tests/factories.py); missions
are the 271 real ones loaded by the data migration. Messages are made through the services,
so that every test starts from a state the product can actually reach.
"""

from __future__ import annotations

import itertools
from datetime import timedelta

from django.utils import timezone

from channels.models import Network, SocialAccount
from embassies.models import Mission
from embassies.roles import Role
from posts.models import Message
from posts.services.messages import message_create
from posts.services.review import message_approve, message_submit
from tests.factories import SocialAccountFactory, UserFactory, mission

__all__ = [
    "SocialAccountFactory",
    "UserFactory",
    "account",
    "administrator",
    "approved_message",
    "crisis_member",
    "draft_message",
    "mission",
    "officer",
    "press_officer",
    "submitted_message",
]

_handles = itertools.count(1)


def officer(*missions: Mission | str, **kwargs):
    return UserFactory(roles=[Role.OFFICER], missions=list(missions), **kwargs)


def press_officer(**kwargs):
    return UserFactory(roles=[Role.PRESS_OFFICE], **kwargs)


def crisis_member(**kwargs):
    return UserFactory(roles=[Role.CRISIS_UNIT], **kwargs)


def administrator(**kwargs):
    return UserFactory(roles=[Role.ADMINISTRATOR], **kwargs)


def account(mission_or_code: Mission | str, network: str = Network.TWITTER, **kwargs) -> SocialAccount:
    """A connected sandbox account of a real mission."""
    target = mission_or_code if isinstance(mission_or_code, Mission) else mission(mission_or_code)
    number = next(_handles)
    kwargs.setdefault("handle", f"@France{target.country_code}{number}")
    return SocialAccountFactory(mission=target, network=network, is_sandbox=True, **kwargs)


def draft_message(
    *,
    author,
    mission_or_code: Mission | str = "emb-eg-cairo",
    texts=None,
    targets=None,
    title: str = "National day reception",
    desired_at=None,
) -> Message:
    """A draft made through message_create (by default in French and Arabic to one X account)."""
    target_mission = mission_or_code if isinstance(mission_or_code, Mission) else mission(mission_or_code)
    if targets is None:
        targets = [account(target_mission)]
    if texts is None:
        texts = {"fr": "Réception pour la fête nationale.", "ar": "حفل استقبال بمناسبة العيد الوطني."}
    return message_create(
        actor=author,
        mission=target_mission,
        title=title,
        texts=texts,
        target_ids=[target.pk for target in targets],
        desired_at=desired_at,
    )


def submitted_message(**kwargs) -> Message:
    message = draft_message(**kwargs)
    return message_submit(actor=kwargs["author"], message_id=message.pk)


def approved_message(*, approver, publish_at=None, in_hours: float | None = 2, **kwargs) -> Message:
    """Submitted by its author and approved by `approver`, by default for two hours later."""
    message = submitted_message(**kwargs)
    if publish_at is None and in_hours is not None:
        publish_at = timezone.now() + timedelta(hours=in_hours)
    return message_approve(actor=approver, message_id=message.pk, publish_at=publish_at)
