"""Journey 3: the crisis unit writes an alert to a short list of countries, sees whom it
reaches before sending, a second member approves it from the progress board, and the
board follows it live to the end; the sandbox feeds hold it, each account in its language."""

from __future__ import annotations

import re
from collections import Counter

import pytest
from playwright.sync_api import expect

from channels.models import Network
from posts.models import Message, Priority
from tests.posts.factories import account, crisis_member

from .helpers import all_sent, shot

pytestmark = [pytest.mark.e2e, pytest.mark.processes, pytest.mark.timeout(180)]

ARABIC = "تجنبوا وسط المدينة وابقوا في منازلكم."
FRENCH = "Évitez le centre-ville et restez chez vous. Suivez les consignes des autorités locales."


def test_crisis_alert_to_two_countries_approved_by_a_second_person_and_tracked_to_the_end(stack, login):
    targets = [
        account("emb-lb-beirut", Network.TWITTER),
        account("emb-lb-beirut", Network.FACEBOOK),
        account("emb-jo-amman", Network.TWITTER),
        account("emb-jo-amman", Network.FACEBOOK),
    ]
    author = crisis_member(username="claire", first_name="Claire", last_name="Martin")
    approver = crisis_member(username="hugo", first_name="Hugo", last_name="Bernard")

    page = login(author)
    page.goto("/crisis/new/")
    page.get_by_label("Internal title").fill("Unrest: avoid the city centres")
    page.get_by_label("Text in French").fill(FRENCH)
    page.get_by_label("Text in English").fill("Avoid the city centres and stay at home. Follow local instructions.")
    page.get_by_text("Add the text in other languages").click()
    page.get_by_label("Other language 1").select_option("ar")
    page.locator("#id_text_1").fill(ARABIC)
    page.get_by_label("A list of countries").check()
    page.get_by_role("textbox", name="Countries").fill("LB, JO")
    # The reach, before sending: every connected account of both countries' missions.
    expect(page.locator("#crisis-reach")).to_contain_text("It will reach 4 accounts of 2 missions")
    page.get_by_role("button", name="Send the alert for approval").click()

    expect(page.get_by_role("heading", level=1)).to_contain_text("Unrest: avoid the city centres")
    expect(page.get_by_text("You wrote this alert: another member")).to_be_visible()
    expect(page.locator("#approve-now")).to_have_count(0)
    alert = Message.objects.get(priority=Priority.CRISIS)
    assert alert.state == Message.State.IN_REVIEW
    board = f"/crisis/{alert.pk}/"

    second = login(approver)
    second.goto(board)
    expect(second.get_by_text("Waiting for your approval")).to_be_visible()
    second.locator("#approve-now").click()
    expect(second.get_by_role("heading", name="Approve this crisis alert and send it now?")).to_be_visible()
    second.locator("#confirm-button").click()

    # The board updates itself (htmx polling) until every account is reached.
    expect(second.locator("#count-reached")).to_have_text("4", timeout=30_000)
    expect(second.get_by_text("4 of 4 accounts reached")).to_be_visible()
    expect(second.get_by_text("finished", exact=True)).to_be_visible(timeout=10_000)
    expect(second.locator("#board-live")).not_to_have_attribute("hx-trigger", re.compile(".+"))
    stack.wait_until(lambda: all_sent(alert), timeout=10, what="every delivery sent")
    shot(second, "crisis-board")

    # The author's board has followed too, without a reload.
    expect(page.locator("#count-reached")).to_have_text("4", timeout=10_000)

    # In the sandbox: each account once, in its mission's language (Arabic, both missions' first
    # language after French that has a text).
    received = stack.sandbox_received()
    assert Counter(item["account"] for item in received) == Counter(target.network_account_id for target in targets)
    assert {item["text"] for item in received} == {ARABIC}

    # The engine is healthy while it works: the health page, in words.
    second.goto("/health/")
    expect(second.get_by_text("Healthy: messages are going out.")).to_be_visible(timeout=15_000)
    shot(second, "health")
