"""Journey 12, answering the public (issue 15), with real workers and the sandbox:

- an officer in Cairo answers a visa question asked in Arabic with the library's Arabic
  line: level 0, it goes at once, and the public sees it once in the thread;
- a journalist's question needs the press office: the officer's reply waits in "Replies to
  clear" until a press officer clears it, then goes;
- a hostile Facebook comment is hidden with a reason from the house rules;
- a scam is removed for good only when a second officer confirms."""

from __future__ import annotations

import pytest
import requests
from django.utils import timezone
from playwright.sync_api import expect

from channels.adapters.base import Content
from channels.models import Network
from channels.services import adapter_for
from conversations.lifecycle import LineState
from conversations.models import AnswerLine, Conversation, ModerationAction, RawEvent, Reply
from conversations.services.ingest import items_ingest
from tests.posts.factories import account, officer, press_officer

from .helpers import shot

pytestmark = [pytest.mark.e2e, pytest.mark.processes, pytest.mark.timeout(180)]

ARABIC_LINE = "مواعيد التأشيرة تحجز عبر الإنترنت على موقع {mission}. شكرا لسؤالكم."


def _public(stack, network: str, account_id: str, *, languages: list[str], seed: int, count: int = 10) -> list[dict]:
    answer = requests.post(
        f"{stack.sandbox_url}/_sandbox/public",
        json={"network": network, "account": account_id, "seed": seed, "count": count, "languages": languages},
        timeout=10,
    )
    answer.raise_for_status()
    return answer.json()["said"]


def _answers(stack, network: str) -> list[dict]:
    return requests.get(f"{stack.sandbox_url}/_sandbox/answers", params={"network": network}, timeout=10).json()[
        "answers"
    ]


def _heard(social, *, our_posts=()) -> None:
    """The hub polls the account once (the listen worker's service, in this process)."""
    credentials = social.open_credentials()
    heard = adapter_for(social).listen(credentials, cursor="", our_posts=list(our_posts))
    items_ingest(account=social, items=heard.items, source=RawEvent.Source.POLL)


def _line(author) -> AnswerLine:
    return AnswerLine.objects.create(
        topic="visa-appointments",
        title="Visa appointments",
        category="consular",
        language="ar",
        text=ARABIC_LINE,
        state=LineState.APPROVED,
        written_by=author,
        approved_by=author,
        approved_at=timezone.now(),
    )


def test_an_officer_answers_a_visa_question_in_arabic_with_a_library_line(stack, login):
    cairo_x = account("emb-eg-cairo", Network.TWITTER, handle="@FranceEgypte", network_account_id="1600000000000000801")
    handle = adapter_for(cairo_x).check_credentials(cairo_x.open_credentials()).handle
    said = _public(stack, "twitter", cairo_x.network_account_id, languages=["ar"], seed=11, count=20)
    _heard(cairo_x)
    question = next(s for s in said if s["category"] == "consular" and f"@{handle}" in s["text"] and not s["deleted"])
    conversation = Conversation.objects.get(items__external_id=question["id"])
    Conversation.objects.filter(pk=conversation.pk).update(category="consular", language="ar")  # triage's sorting
    line = _line(press_officer())
    author = officer("emb-eg-cairo", username="nadia", first_name="Nadia", last_name="Haddad")

    page = login(author)
    page.goto(conversation.get_absolute_url())
    page.get_by_label("Answer").select_option(str(conversation.items.get(external_id=question["id"]).pk))
    page.get_by_label("Line from the library").select_option(str(line.pk))
    shot(page, "reply-compose")
    page.get_by_role("button", name="Send or submit for clearance").click()
    expect(page.get_by_text("The reply is on its way.")).to_be_visible()

    reply = Reply.objects.get()
    assert (reply.level, reply.line_id) == (0, line.pk)
    stack.wait_until(lambda: Reply.objects.get().state == Reply.State.SENT, timeout=20, what="the reply sent")
    sent = [a for a in _answers(stack, "twitter") if a["parent"] == question["id"]]
    assert len(sent) == 1
    assert sent[0]["text"] == ARABIC_LINE.replace("{mission}", conversation.mission.name)
    page.reload()
    expect(page.locator("[data-reply-state=sent]")).to_have_count(1)
    shot(page, "reply-sent")


def test_a_press_question_waits_for_the_press_office(stack, login):
    cairo_x = account("emb-eg-cairo", Network.TWITTER, handle="@FranceEgypte", network_account_id="1600000000000000802")
    handle = adapter_for(cairo_x).check_credentials(cairo_x.open_credentials()).handle
    said = _public(stack, "twitter", cairo_x.network_account_id, languages=["en"], seed=12, count=30)
    _heard(cairo_x)
    question = next(s for s in said if s["category"] == "press" and f"@{handle}" in s["text"] and not s["deleted"])
    conversation = Conversation.objects.get(items__external_id=question["id"])
    Conversation.objects.filter(pk=conversation.pk).update(category="press", language="en")
    author = officer("emb-eg-cairo", username="omar", first_name="Omar", last_name="Said")
    text = "The ambassador will speak to the press on Thursday; details on our website."

    page = login(author)
    page.goto(conversation.get_absolute_url())
    page.get_by_label("Answer").select_option(str(conversation.items.get(external_id=question["id"]).pk))
    page.locator("#id_text").fill(text)
    page.get_by_role("button", name="Send or submit for clearance").click()
    expect(page.get_by_text("The reply awaits the press office's clearance.")).to_be_visible()
    expect(page.get_by_text("Level 2: the press office")).to_be_visible()
    assert not _answers(stack, "twitter")

    press = login(press_officer(username="claire", first_name="Claire", last_name="Martin"))
    press.goto("/conversations/replies/")
    expect(press.get_by_text(text)).to_be_visible()
    shot(press, "reply-queue")
    press.get_by_role("button", name="Clear and send").click()
    expect(press.get_by_text("Cleared: the reply is on its way.")).to_be_visible()
    stack.wait_until(lambda: Reply.objects.get().state == Reply.State.SENT, timeout=20, what="the reply sent")
    assert [a["text"] for a in _answers(stack, "twitter")] == [text]


def test_a_hostile_comment_is_hidden_with_a_reason(stack, login, tmp_path):
    cairo_fb = account("emb-eg-cairo", Network.FACEBOOK, handle="ambafranceegypte")
    adapter = adapter_for(cairo_fb)
    post = adapter.publish(cairo_fb.open_credentials(), _text_post()).external_id
    said = _public(stack, "facebook", cairo_fb.network_account_id, languages=["en"], seed=13, count=30)
    _heard(cairo_fb, our_posts=[post])
    hostile = next(s for s in said if s["category"] == "hostile" and not s["deleted"])
    conversation = Conversation.objects.get(items__external_id=hostile["id"])
    item = conversation.items.get(external_id=hostile["id"])
    author = officer("emb-eg-cairo", username="leila", first_name="Leila", last_name="Mansour")

    page = login(author)
    page.goto(conversation.get_absolute_url())
    expect(page.get_by_text("Disagreement, criticism or a political opinion is never a reason.")).to_be_visible()
    page.locator(f"#hide-reason-{item.pk}").select_option("abuse")
    shot(page, "moderation")
    page.locator(f"form:has(#hide-reason-{item.pk})").get_by_role("button", name="Hide").click()
    expect(page.get_by_text("Hidden, with its reason on record.")).to_be_visible()
    stack.wait_until(
        lambda: ModerationAction.objects.get(actor__isnull=False).state == "done",
        timeout=20,
        what="the comment hidden on Facebook",
    )
    public = requests.get(f"{stack.sandbox_url}/_sandbox/public", params={"network": "facebook"}, timeout=10).json()[
        "said"
    ]
    assert next(s for s in public if s["id"] == hostile["id"])["hidden"] is True
    action = ModerationAction.objects.get(actor__isnull=False)  # the rules may propose others
    assert (action.reason, action.evidence["text"]) == ("abuse", item.text)


def test_a_scam_is_removed_for_good_only_when_a_second_officer_confirms(stack, login):
    cairo_fb = account("emb-eg-cairo", Network.FACEBOOK, handle="ambafranceegypte")
    adapter = adapter_for(cairo_fb)
    post = adapter.publish(cairo_fb.open_credentials(), _text_post()).external_id
    said = _public(stack, "facebook", cairo_fb.network_account_id, languages=["en"], seed=14, count=30)
    _heard(cairo_fb, our_posts=[post])
    scam = next(s for s in said if s["category"] == "spam" and not s["deleted"])
    conversation = Conversation.objects.get(items__external_id=scam["id"])
    item = conversation.items.get(external_id=scam["id"])

    page = login(officer("emb-eg-cairo", username="leila", first_name="Leila", last_name="Mansour"))
    page.goto(conversation.get_absolute_url())
    expect(page.get_by_text("proposes hiding it", exact=False)).to_be_visible()  # the rule's, for now
    page.locator(f"#remove-reason-{item.pk}").select_option("spam")
    page.locator(f"form:has(#remove-reason-{item.pk})").get_by_role("button", name="Propose removing").click()
    expect(page.get_by_text("Proposed: it is removed for good only when someone else confirms.")).to_be_visible()
    expect(page.get_by_text("You proposed it: someone else confirms.")).to_be_visible()
    assert page.get_by_role("button", name="Confirm: remove for good").count() == 0

    colleague = login(officer("emb-eg-cairo", username="karim", first_name="Karim", last_name="Haddad"))
    colleague.goto(conversation.get_absolute_url())
    expect(colleague.get_by_text("This cannot be undone", exact=False)).to_be_visible()
    shot(colleague, "moderation-four-eyes")
    colleague.get_by_role("button", name="Confirm: remove for good").click()
    expect(colleague.get_by_text("Confirmed: it is being removed for good.")).to_be_visible()
    action = ModerationAction.objects.get(item=item, actor__isnull=False)
    stack.wait_until(
        lambda: ModerationAction.objects.get(pk=action.pk).state == "done", timeout=20, what="the comment deleted"
    )
    public = requests.get(f"{stack.sandbox_url}/_sandbox/public", params={"network": "facebook"}, timeout=10).json()
    assert next(s for s in public["said"] if s["id"] == scam["id"])["deleted"] is True


def _text_post() -> Content:
    return Content(text="Our embassy's national day reception, in pictures.")
