"""Journey 2: the press office requests changes; the officer edits and resubmits; the press
office approves it for a time typed in the mission's local time (Tokyo), shown beside
headquarters' time; it waits, then goes out when due."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from channels.models import Network
from posts.models import Delivery, Message
from tests.posts.factories import account, officer, press_officer

from .helpers import all_sent

pytestmark = [pytest.mark.e2e, pytest.mark.processes, pytest.mark.timeout(240)]

TOKYO = ZoneInfo("Asia/Tokyo")
FIRST = "Concert de jazz à l'Institut français de Tokyo."
EDITED = "Concert de jazz à l'Institut français de Tokyo, samedi à 19 h. Entrée libre."
ENGLISH = "Jazz concert at the Institut français in Tokyo, Saturday at 7 pm. Free entry."


def seconds_ahead(seconds: int):
    """A whole second a little ahead. The time is typed with its seconds (a datetime-local
    input accepts them; the form reads them), so the journey waits seconds, not minutes."""
    return (timezone.now() + timedelta(seconds=seconds)).replace(microsecond=0)


def test_changes_requested_edited_resubmitted_then_approved_for_a_tokyo_time(stack, login):
    x_account = account("emb-jp-tokyo", Network.TWITTER, handle="@FranceinJapan")
    author = officer("emb-jp-tokyo", username="akiko", first_name="Akiko", last_name="Tanaka")
    reviewer = press_officer(username="pierre", first_name="Pierre", last_name="Durand")

    page = login(author)
    page.goto("/messages/new/")
    page.get_by_label("Internal title").fill("Jazz at the Institut")
    page.locator("#id_text_fr").fill(FIRST)
    page.locator(f"#id_targets_{x_account.pk}").check()
    page.get_by_role("button", name="Submit for review").click()
    expect(page.get_by_text("Submitted for review")).to_be_visible()
    message = Message.objects.get(title="Jazz at the Institut")

    # The press office sends it back, saying what should change.
    review = login(reviewer)
    review.goto(f"/messages/{message.pk}/")
    review.locator("#id_changes-comment").fill("Give the day and the time, and add the English text.")
    review.get_by_role("button", name="Send back to the author").click()
    expect(review.get_by_text("Changes requested")).to_be_visible()
    assert Message.objects.get(pk=message.pk).state == Message.State.CHANGES_REQUESTED

    # The officer reads why, edits, resubmits.
    page.goto(f"/messages/{message.pk}/")
    expect(page.get_by_text("Give the day and the time, and add the English text.").first).to_be_visible()
    page.goto(f"/messages/{message.pk}/edit/")
    page.locator("#id_text_fr").fill(EDITED)
    if page.locator("#tab-en").is_visible():
        page.locator("#tab-en").click()
    page.locator("#id_text_en").fill(ENGLISH)
    page.get_by_role("button", name="Submit for review").click()
    expect(page.get_by_text("Submitted for review")).to_be_visible()
    assert Message.objects.get(pk=message.pk).state == Message.State.IN_REVIEW

    # Approved for a time typed in Tokyo's local time, a little ahead.
    due = seconds_ahead(20)
    typed = due.astimezone(TOKYO).strftime("%Y-%m-%dT%H:%M:%S")
    review.goto(f"/messages/{message.pk}/")
    review.get_by_label("Publish at this time").check()
    review.locator("#id_publish_at").fill(typed)
    review.get_by_role("button", name="Approve", exact=True).click()
    expect(review.get_by_text("Approved:").first).to_be_visible()
    message.refresh_from_db()
    assert message.state == Message.State.SCHEDULED
    assert message.scheduled_at == due  # the Tokyo wall-clock time, stored as the right instant

    # Until then it waits: the monitor says when, in Tokyo's time and headquarters'.
    review.goto(f"/monitor/{message.pk}/")
    expect(review.get_by_text(f"{due.astimezone(TOKYO):%H:%M} in Tokyo")).to_be_visible()
    if timezone.now() < due - timedelta(seconds=3):
        assert not Delivery.objects.filter(message=message, state=Delivery.State.SENT).exists()

    # When due, beat's dispatcher sends it; the monitor follows.
    expect(review.get_by_text("2 of 2 deliveries finished")).to_be_visible(timeout=60_000)
    stack.wait_until(lambda: all_sent(message), timeout=10, what="every delivery sent")
    for delivery in Delivery.objects.filter(message=message):
        assert delivery.sent_at >= due
    received = stack.sandbox_received(account=x_account.network_account_id)
    assert Counter(item["text"] for item in received) == Counter({EDITED: 1, ENGLISH: 1})
