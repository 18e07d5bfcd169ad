"""What the reply tests share: a mission's sandbox account on each network, a post of ours
the sandbox's public answers, its items heard and stored by the hub, and library lines."""

from __future__ import annotations

from pathlib import Path

import requests
from django.utils import timezone

from channels.adapters.listening import ItemKind
from channels.services import adapter_for
from conversations.lifecycle import LineState
from conversations.models import AnswerLine, Conversation, Item, RawEvent
from conversations.services.ingest import items_ingest
from tests.channels.adapters.helpers import FACEBOOK, FLICKR, TWITTER, YOUTUBE
from tests.channels.listening.conftest import say
from tests.posts.factories import account, press_officer

HELPERS = {"twitter": TWITTER, "facebook": FACEBOOK, "youtube": YOUTUBE, "flickr": FLICKR}


def answers(sandbox_url: str, network: str | None = None) -> list[dict]:
    params = {"network": network} if network else {}
    answer = requests.get(f"{sandbox_url}/_sandbox/answers", params=params, timeout=10)
    answer.raise_for_status()
    return answer.json()["answers"]


def private_replies(sandbox_url: str) -> list[dict]:
    return requests.get(f"{sandbox_url}/_sandbox/answers", timeout=10).json()["private_replies"]


def fault(sandbox_url: str, network: str, **rule) -> None:
    answer = requests.post(f"{sandbox_url}/_sandbox/faults", json={"network": network, **rule}, timeout=5)
    assert answer.status_code == 201, answer.text


def heard_conversation(
    sandbox_url: str,
    tmp_path: Path,
    network: str = "twitter",
    *,
    mission: str = "emb-eg-cairo",
    seed: int = 3,
    languages=("en",),
) -> tuple[Conversation, Item]:
    """A post of ours on the mission's account, the public's answers heard and stored; the
    conversation and a live item of it that may be answered (on X, one that summoned us)."""
    helper = HELPERS[network]
    social = account(mission, network, network_account_id=helper.account_id)
    adapter = adapter_for(social)
    credentials = helper.credentials()
    post = adapter.publish(credentials, helper.sample(tmp_path)).external_id
    said = say(sandbox_url, network, helper.account_id, seed=seed, count=12, languages=list(languages))
    deleted = {entry["id"] for entry in said if entry["deleted"]}
    heard = adapter.listen(credentials, cursor="", our_posts=[post]).items
    items_ingest(account=social, items=heard, source=RawEvent.Source.POLL)
    handle = adapter.check_credentials(credentials).handle if network == "twitter" else ""
    for item in Item.objects.filter(account=social, deleted_at__isnull=True).order_by("pk"):
        if item.external_id in deleted:
            continue
        summoned = (
            item.kind in (ItemKind.MENTION, ItemKind.QUOTE) or item.parent_id == post or f"@{handle}" in item.text
        )
        if network != "twitter" or summoned:
            return item.conversation, item
    raise AssertionError("The public said nothing answerable.")


def library_line(
    *,
    text: str,
    language: str = "en",
    category: str = "consular",
    topic: str = "visa-appointments",
    crisis=False,
    author=None,
) -> AnswerLine:
    author = author or press_officer()
    return AnswerLine.objects.create(
        topic=topic,
        title=topic.replace("-", " ").capitalize(),
        category=category,
        language=language,
        text=text,
        state=LineState.APPROVED,
        crisis=crisis,
        written_by=author,
        approved_by=author,
        approved_at=timezone.now(),
    )
