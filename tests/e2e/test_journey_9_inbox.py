"""Journey 9: the Cairo embassy's inbox, live. The sandbox's public speaks to the Cairo
embassy's X and YouTube accounts (in Arabic, French and English); polls through the real
adapters and SDKs bring it in. The officer reads the inbox, most urgent first; a new item
arrives while they read, and the page offers it ("1 conversation is new or changed. Show")
without moving the list; they save the view; they open a conversation that the press office
also has open, see who, follow the reply to its parent, and write an internal note.

Triage (language, category, priority, clocks) is set here as its rules would set it: the
rules are another part of the issue. The screenshots of the README are taken on the way."""

from __future__ import annotations

import time
from datetime import timedelta

import pytest
import requests
from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import expect

from channels.models import Network
from conversations.lifecycle import Category, Priority
from conversations.models import Conversation, ListenCursor, Viewer
from conversations.services.polling import account_poll, cursors_claim_due
from tests.channels.adapters.helpers import TWITTER, YOUTUBE
from tests.e2e.helpers import shot
from tests.posts.factories import account, officer, press_officer

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(180)]


def _say(sandbox_url: str, social_account, *, count: int, seed: int) -> list[dict]:
    answer = requests.post(
        f"{sandbox_url}/_sandbox/public",
        json={
            "network": social_account.network,
            "account": social_account.network_account_id,
            "count": count,
            "seed": seed,
            "languages": ["ar", "fr", "en"],
            "spread_seconds": 3 * 3600,
        },
        timeout=30,
    )
    assert answer.status_code == 201, answer.text
    return answer.json()["said"]


def _poll_everything() -> None:
    """Every account polled until a poll brings nothing new, through the real adapters."""
    for _ in range(6):
        ListenCursor.objects.update(next_poll_at=timezone.now())
        created = 0
        for claim in cursors_claim_due():
            outcome = account_poll(cursor_id=claim.cursor_id, claim=claim.claim)
            assert outcome.polled, outcome.error
            created += outcome.result.created
        if not created:
            return


# What the sandbox's public meant to say, as the rules would sort it.
CATEGORIES = {
    "consular": (Category.CONSULAR, Priority.NORMAL),
    "distress": (Category.DISTRESS, Priority.URGENT),
    "press": (Category.PRESS, Priority.HIGH),
    "hostile": (Category.HOSTILE, Priority.HIGH),
    "praise": (Category.PRAISE, Priority.LOW),
    "spam": (Category.SPAM, Priority.LOW),
}


def _triage_as_the_rules_would(said: list[dict]) -> None:
    meant = {item["id"]: item for item in said}
    now = timezone.now()
    for n, conversation in enumerate(Conversation.objects.order_by("pk")):
        first = conversation.items.order_by("created_at_network", "pk").first()
        item = meant.get(first.external_id, {})
        category, priority = CATEGORIES.get(item.get("category"), (Category.UNSORTED, Priority.NORMAL))
        Conversation.objects.filter(pk=conversation.pk).update(
            category=category,
            priority=priority,
            language=item.get("language", ""),
            due_at=now + timedelta(minutes=30 * (n - 2)),
            escalated_at=now if category == Category.DISTRESS and n < 4 else None,
        )


def test_the_cairo_inbox_live_with_presence_and_a_note(live_app, login):
    cairo_x = account(
        "emb-eg-cairo", Network.TWITTER, network_account_id=TWITTER.account_id, credentials=TWITTER.credentials()
    )
    cairo_yt = account(
        "emb-eg-cairo", Network.YOUTUBE, network_account_id=YOUTUBE.account_id, credentials=YOUTUBE.credentials()
    )
    said = _say(live_app.sandbox_url, cairo_x, count=6, seed=8) + _say(live_app.sandbox_url, cairo_yt, count=10, seed=8)
    _poll_everything()
    _triage_as_the_rules_would(said)
    assert Conversation.objects.count() >= 5
    threaded = Conversation.objects.filter(account=cairo_yt).order_by("-item_count", "pk").first()
    assert threaded is not None

    # The press office has the richest conversation open.
    press = login(press_officer(username="press-paul", first_name="Paul", last_name="Martin"))
    press.goto(threaded.get_absolute_url())
    deadline = time.monotonic() + 15
    while not Viewer.objects.filter(conversation=threaded).exists():
        assert time.monotonic() < deadline, "the press officer's page never said it was there"
        time.sleep(0.2)

    page = login(officer("emb-eg-cairo", username="officer-nadia", first_name="Nadia", last_name="Haddad"))
    page.goto(reverse("conversations:inbox"))
    table = page.get_by_role("table")
    expect(table).to_be_visible()
    priorities = [text.strip() for text in table.locator("tbody tr td:first-child").all_inner_texts()]
    order = ["Urgent", "High", "Normal", "Low"]
    assert [order.index(text) for text in priorities] == sorted(order.index(text) for text in priorities)
    rows_before = table.locator("tbody tr").count()

    # Someone writes again: the page offers it, and leaves the list where it is.
    _say(live_app.sandbox_url, cairo_x, count=1, seed=99)
    _poll_everything()
    notice = page.get_by_role("status").filter(has_text="new or changed")
    expect(notice).to_be_visible(timeout=40_000)
    expect(notice).to_contain_text("1 conversation is new or changed.")
    assert table.locator("tbody tr").count() == rows_before
    shot(page, "inbox")
    notice.get_by_role("link", name="Show").click()
    expect(page.get_by_role("table").locator("tbody tr")).to_have_count(rows_before + 1)

    # A view of what is still to do, saved and found again.
    page.get_by_label("Status").select_option("active")
    page.get_by_role("button", name="Filter").click()
    page.get_by_label("Save these filters as").fill("Cairo, to do")
    page.get_by_role("button", name="Save the view").click()
    expect(page.get_by_text("The view “Cairo, to do” is saved.")).to_be_visible()
    expect(page.get_by_role("link", name="Cairo, to do")).to_have_attribute("aria-current", "page")

    # The conversation: who else is looking, what answers what, a note for the desk.
    page.goto(threaded.get_absolute_url())
    expect(page.get_by_text("Also looking at it now: Paul Martin.")).to_be_visible()
    if threaded.items.exclude(parent_id="").exists():
        expect(page.get_by_text("In answer to").first).to_be_visible()
    page.get_by_role("textbox", name="Internal note").fill(
        "Called the consular section: they will answer in Arabic today."
    )
    page.get_by_role("button", name="Add the note").click()
    expect(page.get_by_text("The note is saved.")).to_be_visible()
    expect(page.get_by_text("Called the consular section: they will answer in Arabic today.")).to_be_visible()
    shot(page, "conversation")
