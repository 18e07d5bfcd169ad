"""The inbox per mission, per region and for headquarters: its filters (region, category,
language, status, due, assignee), its order (priority, then the reply due soonest), the
views a user saves, its live count of changes; the dashboards' counts; on the conversation
page, the chain of parents, internal notes and who else is looking."""

from __future__ import annotations

import itertools
import json
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from channels.models import Network
from conversations.lifecycle import Category, Priority
from conversations.models import Conversation, ConversationEvent, Note, RawEvent, SavedView, Viewer
from conversations.selectors import PRESENCE_SECONDS, desk_counts
from conversations.services.inbox import conversation_presence_beat
from conversations.services.ingest import items_ingest
from conversations.tasks import forget_viewers
from embassies.models import StaffMembership
from tests.conversations.conftest import heard, later
from tests.posts.factories import account, administrator, officer, press_officer
from tests.security.otp import force_verified_login

pytestmark = pytest.mark.django_db

INBOX = reverse("conversations:inbox")
CHANGES = reverse("conversations:inbox_changes")
_threads = itertools.count(1)


def say(account, text: str = "Question about visas", **fields) -> Conversation:
    fields.setdefault("thread_id", f"thread-{next(_threads)}")
    fields.setdefault("network", account.network)
    items_ingest(account=account, items=[heard(text=text, **fields)], source=RawEvent.Source.POLL)
    return Conversation.objects.get(account=account, thread_id=fields["thread_id"])


def triage(conversation: Conversation, **fields) -> Conversation:
    Conversation.objects.filter(pk=conversation.pk).update(**fields)
    conversation.refresh_from_db()
    return conversation


def texts_in(page: str, *texts: str) -> list[str]:
    return [text for text in texts if text in page]


@pytest.fixture
def cairo_x():
    return account("emb-eg-cairo", Network.TWITTER)


@pytest.fixture
def tokyo_fb():
    return account("emb-jp-tokyo", Network.FACEBOOK)


@pytest.fixture
def cairo_officer_user():
    return officer("emb-eg-cairo", first_name="Nadia", last_name="Haddad")


@pytest.fixture
def cairo_officer(client, cairo_officer_user):
    force_verified_login(client, cairo_officer_user)
    return client


@pytest.fixture
def headquarters_user():
    return press_officer(first_name="Paul", last_name="Martin")


@pytest.fixture
def headquarters(client, headquarters_user):
    force_verified_login(client, headquarters_user)
    return client


# --- Filters and order ------------------------------------------------------------------------


def test_the_inbox_is_sorted_by_priority_then_by_the_reply_due_soonest(headquarters, cairo_x):
    now = timezone.now()
    triage(say(cairo_x, "normal, due later"), priority=Priority.NORMAL, due_at=now + timedelta(hours=5))
    triage(say(cairo_x, "normal, due sooner"), priority=Priority.NORMAL, due_at=now + timedelta(hours=1))
    triage(say(cairo_x, "normal, no clock"), priority=Priority.NORMAL, due_at=None)
    triage(say(cairo_x, "urgent"), priority=Priority.URGENT, due_at=now + timedelta(hours=9))
    triage(say(cairo_x, "low"), priority=Priority.LOW, due_at=now - timedelta(hours=1))
    page = headquarters.get(INBOX).content.decode()
    order = ["urgent", "normal, due sooner", "normal, due later", "normal, no clock", "low"]
    positions = [page.index(f">{text}<") for text in order]
    assert positions == sorted(positions)


def test_the_filters_region_category_language_due_and_assignee(headquarters, headquarters_user, cairo_x, tokyo_fb):
    now = timezone.now()
    cairo = triage(
        say(cairo_x, "Cairo consular"),
        category=Category.CONSULAR,
        language="ar",
        due_at=now - timedelta(minutes=5),
        assignee=headquarters_user,
    )
    tokyo = triage(
        say(tokyo_fb, "Tokyo press"), category=Category.PRESS, language="ja", due_at=now + timedelta(minutes=30)
    )
    triage(say(tokyo_fb, "Tokyo escalated"), escalated_at=now, due_at=now + timedelta(hours=3))
    everything = ("Cairo consular", "Tokyo press", "Tokyo escalated")
    expected = {
        "region=Middle East %26 North Africa": ["Cairo consular"],
        "region=Asia-Pacific": ["Tokyo press", "Tokyo escalated"],
        "category=consular": ["Cairo consular"],
        "category=press": ["Tokyo press"],
        "language=AR": ["Cairo consular"],
        "due=overdue": ["Cairo consular"],
        "due=soon": ["Tokyo press"],
        "due=escalated": ["Tokyo escalated"],
        "assignee=me": ["Cairo consular"],
        "assignee=nobody": ["Tokyo press", "Tokyo escalated"],
        "status=active": list(everything),
    }
    for query, shown in expected.items():
        page = headquarters.get(f"{INBOX}?{query}").content.decode()
        assert texts_in(page, *everything) == shown, query
    # A resolved conversation is no longer overdue, nor to do.
    triage(cairo, status=Conversation.Status.RESOLVED)
    assert texts_in(headquarters.get(INBOX, {"due": "overdue"}).content.decode(), *everything) == []
    assert "Cairo consular" not in headquarters.get(INBOX, {"status": "active"}).content.decode()
    assert tokyo.pk


def test_a_wrong_filter_is_said_and_ignored(headquarters, cairo_x):
    say(cairo_x, "Cairo question")
    response = headquarters.get(INBOX, {"language": "<script>", "due": "yesterday", "region": "Mars"})
    assert response.status_code == 200
    page = response.content.decode()
    assert "Cairo question" in page
    assert "A language is a two-letter code" in page
    assert "<script>" not in page


def test_an_officer_filtering_by_region_sees_their_missions_only(cairo_officer, cairo_x):
    say(cairo_x, "Cairo question")
    say(account("emb-sa-riyadh", Network.TWITTER), "Riyadh question")
    page = cairo_officer.get(INBOX, {"region": "Middle East & North Africa"}).content.decode()
    assert texts_in(page, "Cairo question", "Riyadh question") == ["Cairo question"]


# --- Saved views ------------------------------------------------------------------------------


def test_a_user_saves_a_view_and_finds_it_again(headquarters, headquarters_user, cairo_x, tokyo_fb):
    say(cairo_x, "Cairo question")
    say(tokyo_fb, "Tokyo question")
    response = headquarters.post(
        reverse("conversations:view_save"), {"name": "  Facebook,   all  ", "network": "facebook", "due": "bogus"}
    )
    view = SavedView.objects.get(owner=headquarters_user)
    assert view.name == "Facebook, all"
    assert view.filters == {"network": "facebook"}  # the invalid filter is not kept
    assert response.status_code == 302
    assert response["Location"] == f"{INBOX}?network=facebook"
    page = headquarters.get(INBOX).content.decode()
    assert f'href="{INBOX}?network=facebook"' in page
    assert "Facebook, all" in page
    shown = headquarters.get(response["Location"]).content.decode()
    assert texts_in(shown, "Cairo question", "Tokyo question") == ["Tokyo question"]
    assert 'aria-current="page">Facebook, all' in shown
    # The same name again replaces what it keeps.
    headquarters.post(reverse("conversations:view_save"), {"name": "Facebook, all", "network": "twitter"})
    assert list(SavedView.objects.values_list("name", "filters")) == [("Facebook, all", {"network": "twitter"})]


def test_a_saved_view_is_its_owners_alone(client, headquarters_user, cairo_officer_user):
    view = SavedView.objects.create(owner=headquarters_user, name="HQ secret view", filters={"status": "new"})
    force_verified_login(client, cairo_officer_user)
    assert "HQ secret view" not in client.get(INBOX).content.decode()
    assert client.post(reverse("conversations:view_delete", args=[view.pk])).status_code == 404
    assert SavedView.objects.filter(pk=view.pk).exists()
    force_verified_login(client, headquarters_user)
    assert client.post(reverse("conversations:view_delete", args=[view.pk])).status_code == 302
    assert not SavedView.objects.filter(pk=view.pk).exists()


def test_a_saved_view_of_a_mission_one_has_left_shows_nothing_of_it(cairo_officer, cairo_officer_user, cairo_x):
    say(cairo_x, "Cairo question")
    cairo_officer.post(reverse("conversations:view_save"), {"name": "Cairo", "mission": str(cairo_x.mission.pk)})
    view = SavedView.objects.get(owner=cairo_officer_user)
    StaffMembership.objects.filter(user=cairo_officer_user).delete()
    cairo_officer_user.memberships.create(mission=account("emb-jp-tokyo").mission)
    page = cairo_officer.get(f"{INBOX}?mission={view.filters['mission']}").content.decode()
    assert "Cairo question" not in page
    assert "Select a valid choice" in page


def test_a_view_without_a_name_is_refused_with_words(headquarters):
    response = headquarters.post(reverse("conversations:view_save"), {"name": "   "}, follow=True)
    assert response.status_code == 200
    assert "This field is required" in response.content.decode() or "Give the view a name" in response.content.decode()
    assert not SavedView.objects.exists()


# --- The live count ---------------------------------------------------------------------------


def _live_url(page: str) -> str:
    start = page.index('data-live-url="') + len('data-live-url="')
    return page[start : page.index('"', start)].replace("&amp;", "&")


def test_the_live_count_offers_what_changed_since_the_page_was_shown(cairo_officer, cairo_x, tokyo_fb):
    say(cairo_x, "Already there")
    page = cairo_officer.get(INBOX, {"network": "twitter"}).content.decode()
    url = _live_url(page)
    assert "network=twitter" in url
    assert json.loads(cairo_officer.get(url).content) == {"changed": 0, "message": "", "show": "Show"}
    say(cairo_x, "Something new")
    say(tokyo_fb, "Another mission's")  # not this officer's
    say(account("emb-eg-cairo", Network.FACEBOOK), "Cairo on Facebook")  # not this inbox's filter
    answer = json.loads(cairo_officer.get(url).content)
    assert answer["changed"] == 1
    assert answer["message"] == "1 conversation is new or changed."
    assert 'data-live-url="' in page
    assert "js/desk-live.js" in page


def test_the_live_count_is_one_query_whatever_the_data(cairo_officer, cairo_x):
    url = _live_url(cairo_officer.get(INBOX).content.decode())
    cairo_officer.get(url)
    with CaptureQueriesContext(connection) as small:
        cairo_officer.get(url)
    for index in range(20):
        say(cairo_x, f"more {index}")
    with CaptureQueriesContext(connection) as large:
        assert json.loads(cairo_officer.get(url).content)["changed"] == 20
    assert len(small) == len(large)
    assert sum("conversations_conversation" in query["sql"] for query in large.captured_queries) == 1


@pytest.mark.parametrize("since", ["", "soon", "-5", "9" * 30, "1e9", "\x00"])
def test_a_bad_cursor_is_a_clear_400(cairo_officer, since):
    response = cairo_officer.get(CHANGES, {"since": since})
    assert response.status_code == 400
    assert "reload the inbox" in json.loads(response.content)["error"]


# --- The dashboards' counts ---------------------------------------------------------------------


def test_the_dashboards_count_new_overdue_and_escalated_in_the_users_scope(
    client, cairo_officer_user, headquarters_user, cairo_x, tokyo_fb
):
    now = timezone.now()
    say(cairo_x, "new in Cairo")
    triage(say(cairo_x, "overdue in Cairo"), status=Conversation.Status.OPEN, due_at=now - timedelta(minutes=1))
    triage(say(tokyo_fb, "escalated in Tokyo"), escalated_at=now, due_at=now - timedelta(minutes=1))
    triage(say(tokyo_fb, "resolved late"), status=Conversation.Status.RESOLVED, due_at=now - timedelta(days=1))
    mine = desk_counts(user=cairo_officer_user)
    assert (mine.new, mine.overdue, mine.escalated) == (1, 1, 0)
    everyone = desk_counts(user=headquarters_user)
    assert (everyone.new, everyone.overdue, everyone.escalated) == (2, 2, 1)
    force_verified_login(client, headquarters_user)
    page = client.get(reverse("posts:dashboard")).content.decode()
    assert "Conversations with the public" in page
    assert f'href="{INBOX}?due=overdue" data-desk-count="overdue">\n      <span class="stat__number">2</span>' in page
    assert (
        f'href="{INBOX}?due=escalated" data-desk-count="escalated">\n      <span class="stat__number">1</span>' in page
    )


# --- The conversation page: the chain of parents, notes, presence --------------------------------


def test_a_reply_shows_what_it_answers(cairo_officer, cairo_x):
    items_ingest(
        account=cairo_x,
        items=[
            heard(external_id="root", thread_id="t", text="the question", author_name="Amal"),
            heard(external_id="child", thread_id="t", text="a reply to Amal", author_name="Omar", created_at=later(1)),
        ],
        source=RawEvent.Source.POLL,
    )
    Conversation.objects.get(thread_id="t").items.filter(external_id="child").update(parent_id="root")
    conversation = Conversation.objects.get(thread_id="t")
    root = conversation.items.get(external_id="root")
    page = cairo_officer.get(conversation.get_absolute_url()).content.decode()
    assert f'In answer to <a href="#item-{root.pk}">Amal</a>' in page
    assert "conversation-item--depth-1" in page


def test_an_officer_writes_an_internal_note_shown_escaped(cairo_officer, cairo_officer_user, cairo_x):
    conversation = say(cairo_x)
    response = cairo_officer.post(
        reverse("conversations:note", args=[conversation.pk]), {"body": "Called the consul <b>today</b>"}, follow=True
    )
    page = response.content.decode()
    assert "The note is saved." in page
    assert "Called the consul &lt;b&gt;today&lt;/b&gt;" in page
    note = Note.objects.get()
    assert (note.author, note.conversation) == (cairo_officer_user, conversation)
    assert ConversationEvent.objects.filter(verb="conversation.noted", actor=cairo_officer_user).count() == 1


def test_an_empty_note_is_refused_and_an_administrator_writes_none(client, cairo_officer, cairo_x):
    conversation = say(cairo_x)
    page = cairo_officer.post(
        reverse("conversations:note", args=[conversation.pk]), {"body": "   "}, follow=True
    ).content.decode()
    assert "This field is required." in page
    force_verified_login(client, administrator())
    assert client.post(reverse("conversations:note", args=[conversation.pk]), {"body": "hi"}).status_code == 403
    assert "Add the note" not in client.get(conversation.get_absolute_url()).content.decode()
    assert not Note.objects.exists()


def test_presence_says_who_else_is_looking_and_forgets_them(client, cairo_officer_user, headquarters_user, cairo_x):
    conversation = say(cairo_x)
    url = reverse("conversations:presence", args=[conversation.pk])
    force_verified_login(client, headquarters_user)
    assert json.loads(client.post(url).content) == {"viewers": [], "message": ""}
    force_verified_login(client, cairo_officer_user)
    answer = json.loads(client.post(url).content)
    assert answer["viewers"] == ["Paul Martin"]
    assert answer["message"] == "Also looking at it now: Paul Martin."
    assert "Also looking at it now: Paul Martin." in client.get(conversation.get_absolute_url()).content.decode()
    # Twice is one row; a beat long ago is nobody.
    client.post(url)
    assert Viewer.objects.count() == 2
    Viewer.objects.filter(user=headquarters_user).update(
        seen_at=timezone.now() - timedelta(seconds=PRESENCE_SECONDS + 1)
    )
    assert json.loads(client.post(url).content)["viewers"] == []


def test_presence_of_another_missions_conversation_is_not_found(client, tokyo_fb):
    conversation = say(tokyo_fb)
    force_verified_login(client, officer("emb-eg-cairo"))
    assert client.post(reverse("conversations:presence", args=[conversation.pk])).status_code == 404
    assert not Viewer.objects.exists()


def test_a_presence_beat_forgets_people_gone_for_long(cairo_officer_user, headquarters_user, cairo_x):
    conversation = say(cairo_x)
    old = timezone.now() - timedelta(hours=2)
    conversation_presence_beat(user=headquarters_user, conversation=conversation, now=old)
    conversation_presence_beat(user=cairo_officer_user, conversation=conversation)
    assert list(Viewer.objects.values_list("user", flat=True)) == [cairo_officer_user.pk]


def test_beats_look_forgets_pages_closed_for_good_everywhere(cairo_officer_user, headquarters_user, cairo_x):
    """A page closed for good never beats again on its conversation: beat's look clears it."""
    closed, open_ = say(cairo_x), say(cairo_x)
    conversation_presence_beat(user=headquarters_user, conversation=closed, now=timezone.now() - timedelta(hours=2))
    conversation_presence_beat(user=cairo_officer_user, conversation=open_)
    forget_viewers.apply().get()
    assert list(Viewer.objects.values_list("conversation", flat=True)) == [open_.pk]


# --- Counting no further than is worth it ---------------------------------------------------------


def test_the_inbox_counts_no_further_than_its_cap_and_says_there_are_more(headquarters, cairo_x, monkeypatch):
    monkeypatch.setattr("conversations.views.CONVERSATIONS_PER_PAGE", 2)
    monkeypatch.setattr("conversations.views.INBOX_COUNT_CAP", 4)
    for index in range(5):
        say(cairo_x, f"question {index}")
    first = headquarters.get(INBOX).content.decode()
    assert "Page 1 of more than 2" in first
    last = headquarters.get(INBOX, {"page": 2}).content.decode()
    assert "Page 2 of more than 2" in last
    assert "narrow the filters to see them" in last
    assert 'rel="next"' not in last
    monkeypatch.setattr("conversations.views.INBOX_COUNT_CAP", 5)
    assert "Page 1 of 3" in headquarters.get(INBOX).content.decode()
