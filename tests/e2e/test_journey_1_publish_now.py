"""Journey 1: an officer drafts a message with an image, in French and English, for the X
and Facebook accounts of the Tokyo embassy, and submits it; a press officer approves it for
now; the delivery monitor shows every account sent, and the sandbox feeds hold the posts."""

from __future__ import annotations

from collections import Counter

import pytest
from playwright.sync_api import expect

from channels.models import Network
from posts.models import Message
from tests.posts.factories import account, officer, press_officer

from .helpers import all_sent, image_file, shot

pytestmark = [pytest.mark.e2e, pytest.mark.processes, pytest.mark.timeout(180)]

FRENCH = "L'ambassade de France au Japon vous invite à l'exposition Monet, du 3 au 30 juin."
ENGLISH = "The French Embassy in Japan invites you to the Monet exhibition, 3 to 30 June."


def test_officer_drafts_press_officer_approves_for_now_every_account_receives_it(stack, login, tmp_path):
    x_account = account("emb-jp-tokyo", Network.TWITTER, handle="@FranceinJapan")
    facebook_account = account("emb-jp-tokyo", Network.FACEBOOK, handle="ambafrancejp")
    author = officer("emb-jp-tokyo", username="akiko", first_name="Akiko", last_name="Tanaka")
    reviewer = press_officer(username="pierre", first_name="Pierre", last_name="Durand")

    page = login(author)
    page.goto("/messages/new/")
    page.get_by_label("Internal title").fill("Monet exhibition opens in Tokyo")
    page.locator("#id_text_fr").fill(FRENCH)
    if page.locator("#tab-en").is_visible():
        page.locator("#tab-en").click()
    page.locator("#id_text_en").fill(ENGLISH)
    page.locator(f"#id_targets_{x_account.pk}").check()
    page.locator(f"#id_targets_{facebook_account.pk}").check()
    page.locator("#id_file").set_input_files(str(image_file(tmp_path)))
    page.locator("#id_alt_text").fill("Water lilies by Claude Monet, on the exhibition poster.")
    page.get_by_role("button", name="Upload").click()
    expect(page.get_by_text("is attached")).to_be_visible()
    page.get_by_role("button", name="Submit for review").click()
    expect(page.get_by_text("Submitted for review")).to_be_visible()
    message = Message.objects.get(title="Monet exhibition opens in Tokyo")
    assert message.state == Message.State.IN_REVIEW
    assert message.attachments.count() == 1

    review = login(reviewer)
    review.goto(f"/messages/{message.pk}/")
    review.get_by_label("Publish now").check()
    review.get_by_role("button", name="Approve", exact=True).click()
    expect(review.get_by_text("is going out now")).to_be_visible()

    # The monitor follows it live: every account, in both languages, sent, with its link.
    review.goto(f"/monitor/{message.pk}/")
    expect(review.get_by_text("4 of 4 deliveries finished")).to_be_visible(timeout=30_000)
    expect(review.get_by_text("final — nothing more will change by itself")).to_be_visible(timeout=10_000)
    expect(review.locator(".state--sent")).to_have_count(4)
    expect(review.get_by_role("link", name="See it on X")).to_have_count(2)
    expect(review.get_by_role("link", name="See it on Facebook")).to_have_count(2)
    stack.wait_until(lambda: all_sent(message), timeout=10, what="every delivery sent")
    stack.wait_until(
        lambda: Message.objects.get(pk=message.pk).state == Message.State.PUBLISHED,
        timeout=10,
        what="the message published",
    )
    shot(review, "monitor")

    # The sandbox feeds: each account once per language, with the image and its alt text.
    received = stack.sandbox_received()
    assert Counter((item["account"], item["text"]) for item in received) == Counter(
        {
            (x_account.network_account_id, FRENCH): 1,
            (x_account.network_account_id, ENGLISH): 1,
            (facebook_account.network_account_id, FRENCH): 1,
            (facebook_account.network_account_id, ENGLISH): 1,
        }
    )
    assert all(item["media"] for item in received)
