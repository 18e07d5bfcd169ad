"""Journey 11: the Cairo embassy publishes on X; someone of the sandbox's public asks, in
Arabic, a consular question under that post; X's webhook (signed, from the sandbox) brings
it to the hub, where it appears in the Cairo inbox, in Arabic, sorted as consular with its
reply due; nobody answers, the test moves the clock past the target (no sleeping), and the
conversation is offered to the headquarters desk, where the press office sees it."""

from __future__ import annotations

import time
from datetime import timedelta

import pytest
import requests
from django.conf import settings
from playwright.sync_api import expect

from channels.models import Network
from channels.sandbox import public
from conversations.lifecycle import Category
from conversations.models import Conversation, Item
from conversations.services.clocks import conversations_check_clocks
from embassies.models import StaffMembership
from posts.models import Delivery
from tests.posts.factories import account, approved_message, officer, press_officer

from .helpers import shot

pytestmark = [pytest.mark.e2e, pytest.mark.processes, pytest.mark.timeout(180)]


def _until(check, what: str, timeout: float = 30.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = check()
        if found:
            return found
        time.sleep(0.2)
    raise AssertionError(f"Still waiting for {what} after {timeout:.0f} s.")


def _consular_question_in_arabic_under_our_post(account_id: str) -> int:
    """A seed of the sandbox's public whose first line is an Arabic consular question
    under our only post, neither edited nor deleted (the script is pure and seeded: the
    sandbox says the same for the same seed)."""
    for seed in range(1000):
        line = public.script(
            seed=str(seed), network="twitter", account=account_id, handle="x", count=1, our_posts=1, languages=["ar"]
        )[0]
        if (
            line.category == "consular"
            and line.post == 0
            and line.answers is None
            and not line.edit
            and not line.delete
        ):
            return seed
    raise AssertionError("No seed of the sandbox's public asks a consular question under a post.")


def test_an_arabic_comment_reaches_the_cairo_inbox_as_consular_and_escalates_to_headquarters(stack, login, live_server):
    cairo_x = account("emb-eg-cairo", Network.TWITTER, handle="@FranceenEgypte")
    author = officer("emb-eg-cairo", username="amira", first_name="Amira", last_name="Haddad")
    StaffMembership.objects.filter(user=author).update(languages=["fr", "ar", "en"])
    press = press_officer(username="claire", first_name="Claire", last_name="Martin")

    # Our post, published for real by the publishing worker to the sandbox's X.
    message = approved_message(
        approver=press,
        author=author,
        mission_or_code="emb-eg-cairo",
        targets=[cairo_x],
        texts={"ar": "حفل استقبال بمناسبة العيد الوطني."},
        publish_at=None,
        in_hours=None,
    )
    delivery = _until(
        lambda: Delivery.objects.filter(message=message, state=Delivery.State.SENT).first(), "our post to go out"
    )

    # X pushes what the public says to this hub's webhook, signed with the app's secret; the
    # listen worker's drain, ticked by beat every second, ingests what the webhook kept.
    stack.start_worker("listen", concurrency=2)
    sandbox = stack.sandbox_url + "/_sandbox"
    requests.post(
        f"{sandbox}/webhooks",
        json={
            "network": "twitter",
            "url": live_server.url + "/conversations/webhooks/x/",
            "secret": settings.SOCIAL_APPS["twitter"]["client_secret"],
        },
        timeout=10,
    ).raise_for_status()
    seed = _consular_question_in_arabic_under_our_post(cairo_x.network_account_id)
    said = requests.post(
        f"{sandbox}/public",
        json={
            "network": "twitter",
            "account": cairo_x.network_account_id,
            "seed": seed,
            "count": 1,
            "languages": ["ar"],
            "spread_seconds": 0,
        },
        timeout=10,
    )
    said.raise_for_status()
    comment = said.json()["said"][0]
    item = _until(lambda: Item.objects.filter(external_id=comment["id"]).first(), "the pushed comment")
    conversation = Conversation.objects.get(pk=item.conversation_id)
    assert conversation.delivery == delivery  # under our post
    assert (conversation.category, conversation.language, item.language) == (Category.CONSULAR, "ar", "ar")
    assert conversation.due_at is not None
    assert conversation.escalated_at is None  # Cairo reads Arabic; consular is not urgent

    # The Cairo officer sees it in the inbox, in Arabic, sorted as consular, with its clock.
    page = login(author)
    page.goto("/conversations/")
    row = page.locator("tbody tr").filter(has_text=comment["text"][:20])
    expect(row).to_have_count(1)
    expect(row.locator("[lang=ar]")).to_be_visible()
    expect(row.get_by_text("Consular, routine")).to_be_visible()
    expect(row.get_by_text("reply due")).to_be_visible()
    expect(row.get_by_text("Offered to headquarters")).to_have_count(0)
    shot(page, "inbox-cairo-arabic-consular")

    # Nobody answers. The test moves the clock (the beat's check, at a later time).
    tick = conversations_check_clocks(now=conversation.warn_at + timedelta(seconds=1))
    assert (tick.warned, tick.escalated) == (1, 0)
    tick = conversations_check_clocks(now=conversation.due_at + timedelta(seconds=1))
    assert tick.escalated == 1
    conversation.refresh_from_db()
    assert conversation.escalated_at is not None
    assert conversation.events.filter(verb="conversation.escalated", details__reason="breach").count() == 1

    # Headquarters: the press office's inbox shows it offered to the headquarters desk.
    hq = login(press)
    hq.goto("/conversations/")
    row = hq.locator("tbody tr").filter(has_text=comment["text"][:20])
    expect(row.get_by_text("Offered to headquarters")).to_be_visible()
    hq.goto(f"/conversations/{conversation.pk}/")
    expect(hq.get_by_text("Offered to headquarters")).to_be_visible()
    expect(hq.locator("blockquote.public-text[lang=ar]")).to_contain_text(comment["text"][:20])
    shot(hq, "conversation-escalated-to-headquarters")
