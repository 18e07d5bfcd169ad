"""Journey 15, machine translation (issue 15 §6), with real workers and the sandbox's
Facebook and translator: someone asks the Cairo embassy, in Arabic, under its Facebook post
how to get a visa; an officer who reads no Arabic opens it, sees the original and, below
it, a translation labelled with its provider; writes the answer in English, has the draft
translated into Arabic, and sends it: a machine-translated reply needs four eyes (level 1),
so nothing goes out until a colleague of the mission clears it; then the public sees the
Arabic answer once, under the comment."""

from __future__ import annotations

import pytest
import requests
from django.core.cache import cache
from playwright.sync_api import expect

from channels.models import Network
from channels.sandbox.translate import PHRASES
from channels.services import adapter_for
from conversations.models import Conversation, RawEvent, Reply
from conversations.services.ingest import items_ingest
from embassies.models import StaffMembership
from posts.models import Delivery
from tests.posts.factories import account, approved_message, officer, press_officer

from .helpers import shot

pytestmark = [pytest.mark.e2e, pytest.mark.processes, pytest.mark.timeout(300)]

QUESTION = PHRASES[0]  # "How do I get a visa?" in the five languages
ANSWER = PHRASES[2]  # "Visa appointments are booked online."
PROVIDER = "Sandbox translator"


@pytest.fixture
def translator(stack, settings):
    """The app under test (a thread of this process) asks the live sandbox's translator."""
    settings.TRANSLATION_URL = f"{stack.sandbox_url}/translate"
    settings.TRANSLATION_PROVIDER_NAME = PROVIDER
    cache.clear()
    yield stack
    cache.clear()


def _sandbox(stack, method: str, path: str, **kwargs) -> dict:
    answer = requests.request(method, f"{stack.sandbox_url}/_sandbox{path}", timeout=10, **kwargs)
    answer.raise_for_status()
    return answer.json()


def _arabic_visa_question_under(stack, social, post: str) -> dict:
    """A comment of the sandbox's public under our post, which its author then words as
    the visa question (the translator knows that sentence in the five languages)."""
    said = _sandbox(
        stack,
        "POST",
        "/public",
        json={
            "network": "facebook",
            "account": social.network_account_id,
            "seed": 15,
            "count": 20,
            "languages": ["ar"],
        },
    )["said"]
    answered = {s["parent"] for s in said}
    comment = next(
        s for s in said if s["kind"] == "comment" and s["post"] == post and not s["deleted"] and s["id"] not in answered
    )
    _sandbox(stack, "POST", "/public/edit", json={"network": "facebook", "id": comment["id"], "text": QUESTION["ar"]})
    return comment


def test_an_officer_reads_an_arabic_comment_translated_and_answers_it_cleared_by_four_eyes(translator, login):
    stack = translator
    cairo_fb = account("emb-eg-cairo", Network.FACEBOOK, handle="ambafranceegypte")
    adapter = adapter_for(cairo_fb)
    # Our post, published for real by the publishing worker to the sandbox's Facebook.
    message = approved_message(
        approver=press_officer(),
        author=officer("emb-eg-cairo"),
        mission_or_code="emb-eg-cairo",
        targets=[cairo_fb],
        texts={"ar": "حفل استقبال بمناسبة العيد الوطني."},
        publish_at=None,
        in_hours=None,
    )
    delivery = stack.wait_until(
        lambda: Delivery.objects.filter(message=message, state=Delivery.State.SENT).first(),
        timeout=30,
        what="our post to go out",
    )
    post = delivery.external_id
    comment = _arabic_visa_question_under(stack, cairo_fb, post)
    heard = adapter.listen(cairo_fb.open_credentials(), cursor="", our_posts=[post])
    items_ingest(account=cairo_fb, items=heard.items, source=RawEvent.Source.POLL)
    conversation = Conversation.objects.get(items__external_id=comment["id"])
    assert (conversation.delivery, conversation.item_count) == (delivery, 1)  # under our post, alone
    Conversation.objects.filter(pk=conversation.pk).update(category="consular", language="ar")  # triage's sorting
    item = conversation.items.get(external_id=comment["id"])
    assert item.text == QUESTION["ar"]
    writer = officer("emb-eg-cairo", username="tom", first_name="Tom", last_name="Weber")
    StaffMembership.objects.filter(user=writer).update(languages=["en", "fr"])  # no Arabic

    # The original, then its translation on demand, labelled with the provider.
    page = login(writer)
    page.goto(conversation.get_absolute_url())
    original = page.locator(f"#item-{item.pk} blockquote.public-text[lang=ar]").first
    expect(original).to_have_text(QUESTION["ar"])
    expect(page.locator(f"#translation-{item.pk}")).to_have_count(0)
    page.locator(f"[data-translate-item='{item.pk}']").click()
    translation = page.locator(f"#translation-{item.pk}")
    expect(translation.get_by_text(f"Machine translation ({PROVIDER})")).to_be_visible()
    expect(translation.locator("blockquote")).to_have_text(QUESTION["en"])
    expect(original).to_have_text(QUESTION["ar"])  # the original is always shown
    shot(page, "conversation-machine-translation")

    # The answer written in English, translated into the author's language.
    page.get_by_label("Answer").select_option(str(item.pk))
    page.locator("#id_text").fill(ANSWER["en"])
    page.get_by_role("button", name="Translate my draft into the author's language").click()
    expect(page.get_by_text(f"Your draft was translated by {PROVIDER}.", exact=False)).to_be_visible()
    expect(page.locator("#id_text")).to_have_value(ANSWER["ar"])
    expect(page.locator(".machine-translation blockquote")).to_have_text(ANSWER["en"])  # what was written
    assert not Reply.objects.exists()  # translating sends nothing
    shot(page, "reply-machine-translated-draft")

    # Sent: machine-translated, so level 1, waiting for another officer.
    page.get_by_role("button", name="Send or submit for clearance").click()
    expect(page.get_by_text("The reply awaits clearance by another officer or the press office.")).to_be_visible()
    reply = Reply.objects.get()
    assert (reply.level, reply.state, reply.text) == (1, Reply.State.AWAITING_CLEARANCE, ANSWER["ar"])
    assert (reply.machine_translated, reply.translation_provider) == (True, PROVIDER)
    assert (reply.drafted_text, reply.drafted_language[:2]) == (ANSWER["en"], "en")
    assert "machine_translated" in reply.level_reasons
    panel = page.locator(f"#reply-{reply.pk}")
    expect(panel.get_by_text("Level 1: four eyes")).to_be_visible()
    expect(panel.get_by_text(f"Machine translation ({PROVIDER})")).to_be_visible()
    page.goto("/conversations/replies/")
    expect(page.locator(f"#reply-{reply.pk}").get_by_text("Someone else clears this one.")).to_be_visible()
    expect(page.get_by_role("button", name="Clear and send")).to_have_count(0)  # never one's own
    assert not _sandbox(stack, "GET", "/answers", params={"network": "facebook"})["answers"]

    # A colleague of the mission reads what was written and what goes out, and clears it.
    colleague = login(officer("emb-eg-cairo", username="salma", first_name="Salma", last_name="Nour"))
    colleague.goto("/conversations/replies/")
    queued = colleague.locator(f"#reply-{reply.pk}")
    expect(queued.get_by_text(f"Machine translation ({PROVIDER})")).to_be_visible()
    expect(queued.locator("blockquote").filter(has_text=ANSWER["en"])).to_have_count(1)  # what was written
    expect(queued.locator("blockquote[lang=ar]")).to_have_text(ANSWER["ar"])  # what goes out
    shot(colleague, "reply-machine-translated-four-eyes")
    queued.get_by_role("button", name="Clear and send").click()
    expect(colleague.get_by_text("Cleared: the reply is on its way.")).to_be_visible()
    stack.wait_until(lambda: Reply.objects.get().state == Reply.State.SENT, timeout=30, what="the reply sent")
    answers = _sandbox(stack, "GET", "/answers", params={"network": "facebook"})["answers"]
    assert [(a["parent"], a["text"]) for a in answers] == [(comment["id"], ANSWER["ar"])]
    assert Reply.objects.get().cleared_by.username == "salma"
