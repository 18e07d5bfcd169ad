"""The reply panel, the clearance queue, the answer library and hiding, through the pages:
a form sent twice is one reply; problems are worded (in French too); officers of another
mission find nothing; the moderation keeps the item as it stood and goes through the
sandbox's Facebook."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
import requests
import time_machine
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from channels.models import Network
from conversations.lifecycle import LineState
from conversations.models import AnswerLine, Conversation, ModerationAction, Reply
from conversations.reply_selectors import line_values
from conversations.services.moderation import moderation_apply
from conversations.services.replies import ReplyDraft, reply_write
from tests.conversations.replies_helpers import heard_conversation, library_line
from tests.conversations.test_views import say
from tests.posts.factories import account, crisis_member, officer, press_officer
from tests.security.otp import force_verified_login

pytestmark = pytest.mark.django_db


def logged_in(user, language: str = "en") -> Client:
    client = force_verified_login(Client(), user)
    client.cookies["django_language"] = language
    return client


def form_key(page: str) -> str:
    return re.search(r'name="key" value="([^"]+)"', page)[1]


@pytest.fixture
def cairo_x():
    return account("emb-eg-cairo", Network.TWITTER)


def test_an_officer_sends_a_library_line_from_the_page_once(cairo_x, django_capture_on_commit_callbacks):
    conversation = say(cairo_x, "How do I get a visa?")
    Conversation.objects.filter(pk=conversation.pk).update(category="consular", language="en")
    line = library_line(text="Visa appointments are booked online at {mission}.")
    client = logged_in(officer("emb-eg-cairo"))
    page = client.get(conversation.get_absolute_url()).content.decode()
    assert "Write a reply" in page
    assert "X lets an app reply only to people who mention or quote the account" in page
    assert "$0.20" in page  # the cost of a reply with a link, said before sending
    assert re.search(r'<textarea name="text"[^>]*dir="auto"', page)  # an Arabic reply reads right to left
    item = conversation.items.get()
    data = {"item": item.pk, "line": line.pk, "text": "", "kind": "public", "key": form_key(page)}

    with django_capture_on_commit_callbacks(execute=False) as queued:
        answer = client.post(reverse("conversations:reply", args=[conversation.pk]), data, follow=True)
        client.post(reverse("conversations:reply", args=[conversation.pk]), data)  # sent twice

    assert "The reply is on its way." in answer.content.decode()
    reply = Reply.objects.get()
    assert reply.text == f"Visa appointments are booked online at {conversation.mission.name}."
    assert (reply.state, reply.level, reply.line_id) == (Reply.State.QUEUED, 0, line.pk)
    assert len(queued) == 1
    assert "Line “Visa appointments”, version 1" in answer.content.decode()


@pytest.mark.parametrize("ended", ["withdrawn", "expired"])
def test_a_reply_citing_a_line_no_longer_in_force_is_flagged(cairo_x, ended):
    conversation = say(cairo_x, "How do I get a visa?")
    Conversation.objects.filter(pk=conversation.pk).update(category="consular", language="en")
    line = library_line(text="Visa appointments are booked online at {mission}.")
    cairo = officer("emb-eg-cairo")
    text = f"Visa appointments are booked online at {conversation.mission.name}."
    draft = ReplyDraft(item_id=conversation.items.get().pk, text=text, line_id=line.pk, idempotency_key="k")
    reply_write(actor=cairo, conversation_id=conversation.pk, draft=draft)
    flag = "the line is no longer in force"
    assert flag not in logged_in(cairo).get(conversation.get_absolute_url()).content.decode()

    if ended == "withdrawn":
        AnswerLine.objects.filter(pk=line.pk).update(state=LineState.WITHDRAWN)
    else:
        AnswerLine.objects.filter(pk=line.pk).update(valid_until=timezone.now() - timedelta(minutes=1))

    page = logged_in(cairo).get(conversation.get_absolute_url()).content.decode()
    assert "Line “Visa appointments”, version 1" in page
    assert flag in page


def test_problems_are_worded_in_the_readers_language(cairo_x):
    conversation = say(cairo_x, "Question")
    client = logged_in(officer("emb-eg-cairo"), "fr")
    page = client.get(conversation.get_absolute_url()).content.decode()
    data = {
        "item": conversation.items.get().pk,
        "text": "Votre passeport AB1234567 est prêt.",
        "kind": "public",
        "key": form_key(page),
    }
    answer = client.post(reverse("conversations:reply", args=[conversation.pk]), data, follow=True).content.decode()
    assert "La réponse semble contenir des données personnelles (un numéro de passeport)" in answer
    assert "Répondez en privé" in answer  # the suggestion
    assert not Reply.objects.exists()
    too_long = data | {"text": "a" * 300, "key": "k2"}
    answer = client.post(reverse("conversations:reply", args=[conversation.pk]), too_long, follow=True).content.decode()
    assert "280" in answer
    assert "300" in answer
    assert not Reply.objects.exists()


def test_a_free_text_reply_is_cleared_from_the_queue_by_another_officer(cairo_x, django_capture_on_commit_callbacks):
    conversation = say(cairo_x, "Question")
    writer, colleague = officer("emb-eg-cairo"), officer("emb-eg-cairo")
    client = logged_in(writer)
    page = client.get(conversation.get_absolute_url()).content.decode()
    data = {"item": conversation.items.get().pk, "text": "We open at nine.", "kind": "public", "key": form_key(page)}
    answer = client.post(reverse("conversations:reply", args=[conversation.pk]), data, follow=True).content.decode()
    assert "The reply awaits clearance by another officer or the press office." in answer
    reply = Reply.objects.get()

    own_queue = client.get(reverse("conversations:reply_queue")).content.decode()
    assert "We open at nine." in own_queue
    assert "Someone else clears this one." in own_queue
    assert client.post(reverse("conversations:reply_clear", args=[reply.pk])).status_code == 403
    tokyo = logged_in(officer("emb-jp-tokyo"))
    assert "We open at nine." not in tokyo.get(reverse("conversations:reply_queue")).content.decode()
    assert tokyo.post(reverse("conversations:reply_clear", args=[reply.pk])).status_code == 404

    with django_capture_on_commit_callbacks(execute=False) as queued:
        cleared = logged_in(colleague).post(
            reverse("conversations:reply_clear", args=[reply.pk]), {"next": "queue"}, follow=True
        )
    assert "Cleared: the reply is on its way." in cleared.content.decode()
    reply.refresh_from_db()
    assert reply.state == Reply.State.QUEUED
    assert reply.cleared_by == colleague
    assert len(queued) == 1


def test_the_press_office_writes_lines_and_approves_what_missions_propose():
    press, cairo = press_officer(), officer("emb-eg-cairo")
    data = {
        "topic": "visa-appointments",
        "title": "Visa appointments",
        "category": "consular",
        "language": "ar",
        "text": "تحجز مواعيد التأشيرة عبر الإنترنت لدى {mission}.",
    }
    logged_in(press).post(reverse("conversations:line_create"), data)
    first = AnswerLine.objects.get()
    assert (first.state, first.version, first.approved_by) == (LineState.APPROVED, 1, press)

    answer = logged_in(cairo).post(
        reverse("conversations:line_create"), data | {"text": "نص جديد {mission}"}, follow=True
    )
    assert "The line is proposed: headquarters approves it." in answer.content.decode()
    proposal = AnswerLine.objects.get(version=2)
    assert proposal.state == LineState.PROPOSED
    assert proposal.mission.code == "emb-eg-cairo"
    assert logged_in(cairo).post(reverse("conversations:line_approve", args=[proposal.pk])).status_code == 403
    assert logged_in(crisis_member()).post(reverse("conversations:line_approve", args=[proposal.pk])).status_code == 403

    logged_in(press).post(reverse("conversations:line_approve", args=[proposal.pk]))
    first.refresh_from_db()
    proposal.refresh_from_db()
    assert (first.state, proposal.state) == (LineState.SUPERSEDED, LineState.APPROVED)
    bad = (
        logged_in(press)
        .post(reverse("conversations:line_create"), data | {"text": "Hello {secret}"}, follow=True)
        .content.decode()
    )
    assert "Unknown placeholders: {secret}." in bad


def test_a_hostile_facebook_comment_is_hidden_with_a_reason_through_the_sandbox(settings, sandbox_url, tmp_path):
    settings.SANDBOX_URL = sandbox_url
    conversation, item = heard_conversation(sandbox_url, tmp_path, Network.FACEBOOK, seed=4)
    client = logged_in(officer("emb-eg-cairo"))
    page = client.get(conversation.get_absolute_url()).content.decode()
    assert "Disagreement, criticism or a political opinion is never a reason." in page

    refused = client.post(
        reverse("conversations:item_hide", args=[item.pk]), {"hidden": "1", "reason": ""}, follow=True
    )
    assert "Choose the house rule it breaks." in refused.content.decode()
    answer = client.post(
        reverse("conversations:item_hide", args=[item.pk]),
        {"hidden": "1", "reason": "abuse", "note": "Insults"},
        follow=True,
    )
    assert "Hidden, with its reason on record." in answer.content.decode()
    action = ModerationAction.objects.get(actor__isnull=False)  # the rules may propose others
    assert (action.reason, action.evidence["text"], action.state) == ("abuse", item.text, "pending")
    assert moderation_apply(action_id=action.pk) == "done"
    said = requests.get(f"{sandbox_url}/_sandbox/public", params={"network": "facebook"}, timeout=10).json()["said"]
    assert next(entry for entry in said if entry["id"] == item.external_id)["hidden"] is True
    assert conversation.events.filter(verb="item.hidden").exists()


def test_x_hides_only_replies_in_our_conversations_and_says_so(cairo_x):
    """A mention starts its author's own conversation: X lets no one else hide it."""
    conversation = say(cairo_x, "Shame on you", kind="mention")
    client = logged_in(press_officer())
    page = client.get(conversation.get_absolute_url()).content.decode()
    assert "House rule it breaks" not in page  # no hiding form for a mention
    answer = client.post(
        reverse("conversations:item_hide", args=[conversation.items.get().pk]),
        {"hidden": "1", "reason": "abuse"},
        follow=True,
    )
    assert "X hides only replies in conversations the account started" in answer.content.decode()
    assert not ModerationAction.objects.exists()
    under_our_post = say(cairo_x, "Shame on you", kind="reply", answers_post_id="1700")
    assert "House rule it breaks" in client.get(under_our_post.get_absolute_url()).content.decode()


@pytest.mark.parametrize(
    ("age", "shown"),
    [(timedelta(days=2, minutes=-30), "120 hours left"), (timedelta(hours=166, minutes=30), "1 hour left")],
)
def test_the_private_reply_window_shows_the_hours_left(age, shown):
    """Facebook's 7 days from the comment, counted from now (the comment's age is set)."""
    tokyo_fb = account("emb-jp-tokyo", Network.FACEBOOK)
    now = timezone.now()
    conversation = say(tokyo_fb, "Mon passeport a été volé", network="facebook", kind="comment", created_at=now - age)
    with time_machine.travel(now + timedelta(seconds=30), tick=False):
        page = logged_in(officer("emb-jp-tokyo")).get(conversation.get_absolute_url()).content.decode()
    assert "Private reply (Facebook Messenger, once per comment, within 7 days):" in page
    assert shown in page


def test_no_private_reply_window_once_seven_days_have_passed():
    tokyo_fb = account("emb-jp-tokyo", Network.FACEBOOK)
    old = timezone.now() - timedelta(days=7, minutes=1)
    conversation = say(tokyo_fb, "Mon passeport a été volé", network="facebook", kind="comment", created_at=old)
    page = logged_in(officer("emb-jp-tokyo")).get(conversation.get_absolute_url()).content.decode()
    assert "within 7 days" not in page


def test_a_french_reader_sees_the_missions_french_name_on_the_desks_pages(cairo_x):
    """The inbox, the conversation, the replies queue and the library name the mission in
    the reader's language, as the rest of the hub does; a French line names it in French."""
    conversation = say(cairo_x, "How do I get a visa?")
    Conversation.objects.filter(pk=conversation.pk).update(category="press", language="en")
    item = conversation.items.get()
    reply_write(
        actor=officer("emb-eg-cairo"),
        conversation_id=conversation.pk,
        draft=ReplyDraft(item_id=item.pk, text="We will answer by message.", idempotency_key="fr-names"),
    )
    line = library_line(text="Les rendez-vous de {mission} ({city}) se prennent en ligne.", language="fr")
    AnswerLine.objects.filter(pk=line.pk).update(mission=conversation.mission)
    client = logged_in(press_officer(), "fr")
    for url in (
        reverse("conversations:inbox"),
        conversation.get_absolute_url(),
        reverse("conversations:reply_queue"),
        reverse("conversations:lines"),
    ):
        page = client.get(url).content.decode()
        assert "Ambassade de France en Égypte" in page, url
        assert "Embassy of France in Egypt" not in page, url
    values = line_values(conversation, item, language=line.language)
    assert (values["mission"], values["city"]) == ("Ambassade de France en Égypte", "Le Caire")
