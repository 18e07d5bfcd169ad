"""The inbox and the conversation page: officers see their missions only, headquarters
all; the filters; our post, the items in order with their language and link, the author's
earlier exchanges; a stranger's text always inert; English and French; constant queries."""

from __future__ import annotations

import itertools

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from channels.models import Network
from conversations.models import Conversation, RawEvent
from conversations.services.ingest import items_ingest
from posts.models import Delivery
from tests.conversations.conftest import heard, later
from tests.posts.factories import UserFactory, account, approved_message, officer, press_officer
from tests.security.otp import force_verified_login

pytestmark = pytest.mark.django_db

INBOX = reverse("conversations:inbox")
_threads = itertools.count(1)


def say(account, text: str = "Question about visas", **fields) -> Conversation:
    fields.setdefault("thread_id", f"thread-{next(_threads)}")
    fields.setdefault("network", account.network)
    items_ingest(account=account, items=[heard(text=text, **fields)], source=RawEvent.Source.POLL)
    return Conversation.objects.get(account=account, thread_id=fields["thread_id"])


@pytest.fixture
def cairo_x():
    return account("emb-eg-cairo", Network.TWITTER)


@pytest.fixture
def tokyo_fb():
    return account("emb-jp-tokyo", Network.FACEBOOK)


@pytest.fixture
def cairo_officer(client):
    force_verified_login(client, officer("emb-eg-cairo"))
    return client


@pytest.fixture
def headquarters(client):
    force_verified_login(client, press_officer())
    return client


def test_an_officer_sees_only_their_missions_conversations(cairo_officer, cairo_x, tokyo_fb):
    say(cairo_x, "Cairo question")
    tokyo = say(tokyo_fb, "Tokyo question")
    page = cairo_officer.get(INBOX).content.decode()
    assert "Cairo question" in page
    assert "Tokyo question" not in page
    assert cairo_officer.get(reverse("conversations:detail", args=[tokyo.pk])).status_code == 404


def test_headquarters_sees_every_mission_and_filters_them(headquarters, cairo_x, tokyo_fb):
    say(cairo_x, "Cairo question")
    tokyo = say(tokyo_fb, "Tokyo question")
    Conversation.objects.filter(pk=tokyo.pk).update(status=Conversation.Status.OPEN)
    page = headquarters.get(INBOX).content.decode()
    assert "Cairo question" in page
    assert "Tokyo question" in page
    for query in (
        {"mission": tokyo_fb.mission.pk},
        {"network": "facebook"},
        {"status": "open"},
    ):
        page = headquarters.get(INBOX, query).content.decode()
        assert ("Tokyo question" in page, "Cairo question" in page) == (True, False), query


def test_a_filter_for_another_mission_is_refused_not_obeyed(cairo_officer, cairo_x, tokyo_fb):
    say(cairo_x, "Cairo question")
    response = cairo_officer.get(INBOX, {"mission": tokyo_fb.mission.pk, "status": "bogus"})
    assert response.status_code == 200
    page = response.content.decode()
    assert "Cairo question" in page  # invalid filters are ignored, and said so
    assert "Select a valid choice" in page


def test_a_user_without_a_role_gets_no_inbox(client, db):
    force_verified_login(client, UserFactory())
    assert client.get(INBOX).status_code == 403


def test_the_conversation_page_shows_our_post_the_items_in_order_and_their_language(cairo_officer, cairo_x):
    message = approved_message(
        approver=press_officer(), author=officer("emb-eg-cairo"), mission_or_code="emb-eg-cairo", targets=[cairo_x]
    )
    delivery = Delivery.objects.get(message=message, language="ar")
    Delivery.objects.filter(pk=delivery.pk).update(state=Delivery.State.SENT, external_id="our-post")
    thread = "under-our-post"
    items_ingest(
        account=cairo_x,
        items=[
            heard(
                external_id="2", thread_id=thread, text="the later one", created_at=later(5), answers_post_id="our-post"
            ),
            heard(
                external_id="1",
                thread_id=thread,
                text="متى يفتح مكتب التأشيرات؟",
                language="ar",
                answers_post_id="our-post",
            ),
        ],
        source=RawEvent.Source.POLL,
    )
    conversation = Conversation.objects.get(thread_id=thread)
    page = cairo_officer.get(conversation.get_absolute_url()).content.decode()
    assert "حفل استقبال بمناسبة العيد الوطني." in page  # our post, in the delivery's language
    assert page.index("متى يفتح مكتب التأشيرات؟") < page.index("the later one")
    assert 'lang="ar"' in page
    assert 'href="https://x.com/i/web/status/1"' in page


def test_the_conversation_page_shows_the_authors_earlier_exchanges_with_the_mission(cairo_officer, cairo_x, tokyo_fb):
    say(cairo_x, "An earlier question", author_id="amal", created_at=later(-600))
    say(tokyo_fb, "Said to another mission", author_id="amal")
    now = say(cairo_x, "Today's question", author_id="amal")
    page = cairo_officer.get(now.get_absolute_url()).content.decode()
    earlier = page[page.index("earlier exchanges") :]
    assert "An earlier question" in earlier
    assert "Said to another mission" not in page


HOSTILE = "<script>alert(1)</script><img src=x onerror=alert(2)> \u202egnp.exe\u202c \x07bell \u2066iso\u2069"


def test_a_strangers_text_is_escaped_and_its_controls_shown_inert(cairo_officer, cairo_x):
    conversation = say(cairo_x, HOSTILE, author_name="\u202eevil<b>name</b>")
    for url in (INBOX, conversation.get_absolute_url()):
        page = cairo_officer.get(url).content.decode()
        assert "<script>alert(1)" not in page
        assert "<img src=x" not in page
        assert "<b>name</b>" not in page
        assert "&lt;script&gt;" in page
        for control in ("\u202e", "\u202c", "\x07", "\u2066", "\u2069"):
            assert control not in page, repr(control)
        assert "⟨U+202E⟩" in page


def test_a_link_that_is_not_http_is_never_made_a_link(cairo_officer, cairo_x):
    conversation = say(cairo_x, "hello")
    conversation.items.update(url="javascript:alert(1)")
    page = cairo_officer.get(conversation.get_absolute_url()).content.decode()
    assert "javascript:" not in page


def test_the_pages_speak_french(cairo_officer, cairo_x):
    conversation = say(cairo_x, "Bonjour")
    cairo_officer.cookies["django_language"] = "fr"
    inbox = cairo_officer.get(INBOX, headers={"accept-language": "fr"}).content.decode()
    assert "<h1>Dialogue</h1>" in inbox
    page = cairo_officer.get(conversation.get_absolute_url(), headers={"accept-language": "fr"}).content.decode()
    assert "Ce que le public a dit" in page


@pytest.mark.parametrize("who", ["officer", "press"])
def test_the_inbox_and_a_conversation_cost_a_constant_number_of_queries(
    client, cairo_x, django_assert_num_queries, who
):
    force_verified_login(client, officer("emb-eg-cairo") if who == "officer" else press_officer())
    conversation = say(cairo_x, "first", author_id="amal")
    for _ in range(2):
        say(cairo_x, "another", author_id="amal")
    urls = [INBOX, conversation.get_absolute_url()]
    counts = []
    for url in urls:
        client.get(url)  # warm-up: the session's first writes
        with CaptureQueriesContext(connection) as small:
            assert client.get(url).status_code == 200
        counts.append(len(small))
    assert counts == PINNED[who], counts

    for index in range(30):
        say(cairo_x, f"more {index}", author_id="amal")
        items_ingest(
            account=cairo_x,
            items=[heard(thread_id=conversation.thread_id, text=f"reply {index}", author_id=f"a{index}")],
            source=RawEvent.Source.POLL,
        )
    for url, count in zip(urls, counts, strict=True):
        with django_assert_num_queries(count):
            assert client.get(url).status_code == 200


# The queries of the inbox (with the saved views) and of a conversation page (with its assignee
# list, its notes and who else is looking, and the reply panel's replies, library lines and
# hidden items), session and roles included; the inbox's mission filter is ordered by name in
# the reader's language (embassies.names.by_name, on one query of the names). Both
# pages read the open moderation proposals in one query.
PINNED = {"officer": [9, 14], "press": [9, 14]}
