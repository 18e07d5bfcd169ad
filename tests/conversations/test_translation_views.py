"""Machine translation on the conversation page, through the sandbox's translator over HTTP:
"Translate" beside an item in another language than the reader's shows the translation under
the original, labelled with its provider, in each of the five languages, escaped; a failing
provider is a sentence beside the item, never a server error; a draft translated into the
author's language is recorded as machine-translated and cleared at level 1 at least; no
provider, no button."""

from __future__ import annotations

import html
import re

import pytest
import requests
from django.core.cache import cache
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from django.utils import translation as django_translation

from channels.models import Network
from channels.sandbox.translate import PHRASES
from conversations.lifecycle import ProtectedReason
from conversations.models import Conversation, Reply
from conversations.services.replies import MachineTranslation, ReplyDraft, reply_write
from embassies.roles import Role
from tests.conversations.replies_helpers import library_line
from tests.conversations.test_views import say
from tests.factories import UserFactory
from tests.posts.factories import account, officer
from tests.security.otp import force_verified_login

pytestmark = pytest.mark.django_db

THANKS = PHRASES[1]  # "Thank you for your message." in the five languages
QUESTION = PHRASES[0]  # "How do I get a visa?"
LABEL = "Machine translation (%(provider)s)"


@pytest.fixture
def translator(settings, sandbox_url):
    settings.TRANSLATION_URL = f"{sandbox_url}/translate"
    settings.TRANSLATION_PROVIDER_NAME = "Sandbox translator"
    settings.TRANSLATION_TIMEOUT = 2.0
    cache.clear()
    yield sandbox_url
    cache.clear()


@pytest.fixture
def cairo_x():
    return account("emb-eg-cairo", Network.TWITTER)


def logged_in(user, language: str = "en") -> Client:
    client = force_verified_login(Client(), user)
    client.cookies["django_language"] = language
    return client


def routine(conversation: Conversation, language: str) -> None:
    Conversation.objects.filter(pk=conversation.pk).update(category="consular", language=language)


def label(language: str) -> str:
    with django_translation.override(language):
        return django_translation.gettext(LABEL) % {"provider": "Sandbox translator"}


@pytest.mark.parametrize(
    ("reader", "written_in"), [("fr", "ar"), ("en", "ar"), ("es", "de"), ("de", "es"), ("ar", "en")]
)
def test_translate_shows_the_translation_under_the_original_labelled(translator, cairo_x, reader, written_in):
    conversation = say(cairo_x, QUESTION[written_in], language=written_in)
    item = conversation.items.get()
    client = logged_in(officer("emb-eg-cairo"), reader)
    page = client.get(conversation.get_absolute_url()).content.decode()
    assert f'href="?translate={item.pk}#item-{item.pk}"' in page
    if reader != "en":
        assert ">Translate</a>" not in page
        assert "Translate my draft" not in page

    page = client.get(conversation.get_absolute_url(), {"translate": item.pk}).content.decode()

    original, translated = html.escape(QUESTION[written_in]), html.escape(QUESTION[reader])
    assert original in page  # the original is always shown
    assert translated in page
    assert page.index(original) < page.index(translated)
    assert html.escape(label(reader)) in page
    if reader != "en":
        assert "Machine translation (" not in page


def test_no_translate_beside_an_item_in_the_readers_language(translator, cairo_x):
    conversation = say(cairo_x, QUESTION["fr"], language="fr")
    page = logged_in(officer("emb-eg-cairo"), "fr").get(conversation.get_absolute_url()).content.decode()
    assert "data-translate-item" not in page


def test_no_provider_no_button(settings, cairo_x):
    settings.TRANSLATION_URL = ""
    conversation = say(cairo_x, QUESTION["ar"], language="ar")
    item = conversation.items.get()
    page = logged_in(officer("emb-eg-cairo")).get(conversation.get_absolute_url(), {"translate": item.pk})
    text = page.content.decode()
    assert "data-translate-item" not in text
    assert 'value="translate"' not in text
    assert "Machine translation (" not in text


def test_the_publics_text_stays_escaped_in_its_translation(translator, cairo_x):
    hostile = '<script>alert("x")</script><img src=x onerror=alert(1)>'
    conversation = say(cairo_x, hostile, language="de")
    item = conversation.items.get()
    page = logged_in(officer("emb-eg-cairo"), "fr").get(conversation.get_absolute_url(), {"translate": item.pk})
    text = page.content.decode()
    assert "[fr] &lt;script&gt;" in text  # the sandbox's marked fallback, escaped
    assert "<script>alert" not in text
    assert "<img src=x" not in text


@pytest.mark.parametrize(
    ("rule", "words"),
    [
        ({"error_rate": 1}, "a échoué (HTTP 500)"),
        ({"timeout_rate": 1, "hang_seconds": 5}, "n’a pas répondu à temps"),
    ],
)
def test_a_failing_provider_is_said_beside_the_item_in_the_readers_language(translator, cairo_x, rule, words):
    answer = requests.post(f"{translator}/_sandbox/faults", json={"network": "translate", **rule}, timeout=5)
    assert answer.status_code == 201
    conversation = say(cairo_x, QUESTION["ar"], language="ar")
    item = conversation.items.get()
    page = logged_in(officer("emb-eg-cairo"), "fr").get(conversation.get_absolute_url(), {"translate": item.pk})
    assert page.status_code == 200
    text = html.unescape(page.content.decode())
    assert "Sandbox translator" in text
    assert words in text


def _form(page: str) -> dict:
    form = page[page.index('id="reply-form"') :]
    form = form[: form.index("</form>")]
    data = dict(re.findall(r'<input type="hidden" name="(\w+)" value="([^"]*)"', form))
    found = re.search(r'<textarea name="text"[^>]*>\n?(.*?)</textarea>', form, flags=re.DOTALL)
    data["text"] = html.unescape(found[1]) if found else ""
    return data


def test_a_draft_translated_into_the_authors_language_is_cleared_by_four_eyes(translator, cairo_x):
    """Even a library line in the author's language, sent verbatim, is level 1 when it was
    drafted by machine translation."""
    conversation = say(cairo_x, QUESTION["ar"], language="ar")
    routine(conversation, "ar")
    item = conversation.items.get()
    line = library_line(text=THANKS["ar"], language="ar", topic="thanks")
    client = logged_in(officer("emb-eg-cairo"), "fr")
    page = client.get(conversation.get_absolute_url()).content.decode()
    data = {**_form(page), "item": item.pk, "line": line.pk, "kind": "public", "text": THANKS["fr"]}

    client.post(reverse("conversations:reply", args=[conversation.pk]), {**data, "action": "translate"})
    page = client.get(conversation.get_absolute_url()).content.decode()

    assert html.escape(label("fr")) in page
    filled = _form(page)
    assert filled["text"] == THANKS["ar"]
    assert filled["translation"]
    assert not Reply.objects.exists()

    sent = client.post(
        reverse("conversations:reply", args=[conversation.pk]),
        {**filled, "item": item.pk, "line": line.pk, "kind": "public", "action": "send"},
        follow=True,
    )
    reply = Reply.objects.get()
    assert reply.text == THANKS["ar"]
    assert (reply.machine_translated, reply.translation_provider) == (True, "Sandbox translator")
    assert (reply.drafted_text, reply.drafted_language) == (THANKS["fr"], "fr")
    assert reply.level == 1
    assert reply.state == Reply.State.AWAITING_CLEARANCE
    assert "machine_translated" in reply.level_reasons
    page = sent.content.decode()
    assert html.escape(label("fr")) in page  # the reply shows it was machine-translated
    assert html.escape(THANKS["fr"]) in page  # and what its writer wrote
    queue = logged_in(officer("emb-eg-cairo"), "de").get(reverse("conversations:reply_queue")).content.decode()
    assert html.escape(label("de")) in queue  # so does the queue of replies to clear
    assert html.escape(THANKS["fr"]) in queue


def test_the_same_line_sent_by_hand_goes_at_level_0(cairo_x):
    conversation = say(cairo_x, QUESTION["ar"], language="ar")
    routine(conversation, "ar")
    item = conversation.items.get()
    line = library_line(text=THANKS["ar"], language="ar", topic="thanks")
    cairo = officer("emb-eg-cairo")
    draft = ReplyDraft(item_id=item.pk, text=THANKS["ar"], line_id=line.pk, idempotency_key="by-hand")
    assert reply_write(actor=cairo, conversation_id=conversation.pk, draft=draft).level == 0

    conversation = say(cairo_x, QUESTION["ar"], language="ar")
    routine(conversation, "ar")
    translated = ReplyDraft(
        item_id=conversation.items.get().pk,
        text=THANKS["ar"],
        line_id=line.pk,
        idempotency_key="by-machine",
        translation=MachineTranslation(provider="Sandbox translator", drafted_text=THANKS["en"], language="en"),
    )
    reply = reply_write(actor=cairo, conversation_id=conversation.pk, draft=translated)
    assert (reply.level, reply.machine_translated) == (1, True)


def test_a_forged_translation_mark_is_refused(translator, cairo_x):
    conversation = say(cairo_x, QUESTION["ar"], language="ar")
    item = conversation.items.get()
    client = logged_in(officer("emb-eg-cairo"))
    data = {**_form(client.get(conversation.get_absolute_url()).content.decode())}
    data |= {"item": item.pk, "kind": "public", "text": THANKS["ar"], "translation": "forged", "action": "send"}
    answer = client.post(reverse("conversations:reply", args=[conversation.pk]), data, follow=True)
    assert "The form has expired" in html.unescape(answer.content.decode())
    assert not Reply.objects.exists()


def test_translating_a_draft_for_an_author_of_unknown_language_is_worded(translator, cairo_x):
    conversation = say(cairo_x, "???", language="")
    Conversation.objects.filter(pk=conversation.pk).update(language="")
    item = conversation.items.get()
    client = logged_in(officer("emb-eg-cairo"))
    data = {**_form(client.get(conversation.get_absolute_url()).content.decode())}
    data |= {"item": item.pk, "kind": "public", "text": THANKS["en"], "action": "translate"}
    answer = client.post(reverse("conversations:reply", args=[conversation.pk]), data, follow=True)
    assert "The author's language is not known" in html.unescape(answer.content.decode())


def test_a_protected_conversation_is_never_sent_to_the_translator(translator, cairo_x):
    """What threatens or exposes a person stays in the hub: no "Translate", and a forged
    `?translate=` sends nothing out (CONVERSATION.md d.7)."""
    conversation = say(cairo_x, QUESTION["ar"], language="ar")
    Conversation.objects.filter(pk=conversation.pk).update(
        restricted_at=timezone.now(), restricted_reason=ProtectedReason.THREAT
    )
    item = conversation.items.get()
    client = logged_in(UserFactory(roles=[Role.HUMAN_RIGHTS_OFFICER]))
    page = client.get(conversation.get_absolute_url(), {"translate": item.pk})
    assert page.status_code == 200
    text = page.content.decode()
    assert f'href="?translate={item.pk}#item-{item.pk}"' not in text
    assert label("en") not in text
    assert QUESTION["en"] not in text
