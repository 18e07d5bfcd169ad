"""The triage rules' pages: the press office edits every keyword pack, list and target;
an officer adds and edits their own mission's packs and authors only; every change is in
the audit log and sorts the next item at once; bad input answers 400 with the problem in
words (English and French); what people typed is shown inert; the inbox and the
conversation page show the category, priority, language and clock."""

from __future__ import annotations

import pytest
from django.urls import reverse

from audit.models import AuditEvent
from channels.models import Network
from conversations.lifecycle import Category, Priority
from conversations.models import Conversation, KeywordPack, KnownAuthor, RawEvent, ServiceTarget
from conversations.services.ingest import items_ingest
from embassies.models import Mission
from tests.conversations.conftest import heard
from tests.posts.factories import account, officer, press_officer
from tests.security.otp import force_verified_login

pytestmark = pytest.mark.django_db

RULES = reverse("conversations:triage_rules")
CREATE = reverse("conversations:pack_create")


@pytest.fixture
def cairo() -> Mission:
    return Mission.objects.get(code="emb-eg-cairo")


@pytest.fixture
def press(client):
    user = press_officer()
    force_verified_login(client, user)
    return user


@pytest.fixture
def cairo_officer(client, cairo):
    user = officer(cairo)
    force_verified_login(client, user)
    return user


def _pack_data(**overrides) -> dict:
    data = {
        "name": "Nile ferry scam",
        "language": "en",
        "category": Category.SPAM,
        "priority": Priority.LOW,
        "terms": "felucca deal*\nnile cruise offer",
        "tags": "scam, nile",
        "position": "5",
        "is_active": "on",
        "mission": "",
    }
    return {**data, **overrides}


def _say(account_, text: str, thread: str) -> Conversation:
    items_ingest(
        account=account_,
        items=[heard(network=account_.network, thread_id=thread, text=text, language="")],
        source=RawEvent.Source.WEBHOOK,
    )
    return Conversation.objects.get(account=account_, thread_id=thread)


def test_the_press_office_adds_a_pack_for_every_mission_and_the_next_item_is_sorted_by_it(client, press, cairo):
    response = client.post(CREATE, _pack_data())
    assert response.status_code == 302
    pack = KeywordPack.objects.get(name="Nile ferry scam")
    assert (pack.mission, pack.tags, pack.updated_by) == (None, ["scam", "nile"], press)
    event = AuditEvent.objects.get(action="triage.pack_create")
    assert event.actor == press
    assert event.details["terms"] == ["felucca deal*", "nile cruise offer"]
    # Sorted at once, in this process, without waiting for the rule set's refresh.
    conversation = _say(account(cairo), "Best felucca deals today, friends of the embassy", "t1")
    assert (conversation.category, conversation.tags) == (Category.SPAM, ["scam", "nile"])


def test_an_officer_adds_a_pack_for_their_mission_only(client, cairo_officer, cairo):
    tokyo = Mission.objects.get(code="emb-jp-tokyo")
    assert client.post(CREATE, _pack_data(mission=tokyo.pk)).status_code == 400  # not theirs
    assert client.post(CREATE, _pack_data(mission="")).status_code == 400  # not for everyone
    assert not KeywordPack.objects.filter(name="Nile ferry scam").exists()
    assert client.post(CREATE, _pack_data(mission=cairo.pk)).status_code == 302
    pack = KeywordPack.objects.get(name="Nile ferry scam")
    assert pack.mission == cairo
    assert client.get(reverse("conversations:pack_edit", args=[pack.pk])).status_code == 200
    response = client.post(reverse("conversations:pack_edit", args=[pack.pk]), _pack_data(mission=cairo.pk, position=7))
    assert response.status_code == 302
    pack.refresh_from_db()
    assert pack.position == 7
    assert AuditEvent.objects.get(action="triage.pack_change").details["before"]["position"] == 5


def test_an_officer_may_read_the_press_offices_packs_but_not_change_them(client, cairo_officer):
    pack = KeywordPack.objects.filter(mission=None).first()
    page = client.get(RULES)
    assert page.status_code == 200
    assert pack.name in page.content.decode()
    assert client.get(reverse("conversations:pack_edit", args=[pack.pk])).status_code == 403
    assert client.post(reverse("conversations:pack_delete", args=[pack.pk])).status_code == 403
    assert KeywordPack.objects.filter(pk=pack.pk).exists()


def test_another_missions_pack_is_not_found_for_an_officer(client, cairo_officer):
    tokyo_pack = KeywordPack.objects.create(
        name="Tokyo's",
        language="ja",
        category="consular",
        priority=3,
        terms="ビザ",
        mission=Mission.objects.get(code="emb-jp-tokyo"),
    )
    assert client.get(reverse("conversations:pack_edit", args=[tokyo_pack.pk])).status_code == 404
    assert "Tokyo&#x27;s" not in client.get(RULES).content.decode()


@pytest.mark.parametrize(
    ("overrides", "field", "words"),
    [
        ({"terms": "  \n  "}, "terms", "required"),
        ({"terms": "!!!\n???"}, "terms", "no letters"),
        ({"language": "xx"}, "language", "ISO 639-1"),
        ({"category": "unsorted"}, "category", "valid choice"),
        ({"tags": "a b, c"}, "tags", "each a word"),
        ({"position": "-1"}, "position", "greater than or equal"),
        ({"terms": "x" * 101}, "terms", "at most"),
    ],
)
def test_bad_input_answers_400_with_the_problem_beside_its_field(client, press, overrides, field, words):
    response = client.post(CREATE, _pack_data(**overrides))
    assert response.status_code == 400
    errors = response.context["form"].errors
    assert field in errors, errors
    assert words.lower() in " ".join(errors[field]).lower()
    assert not KeywordPack.objects.filter(name="Nile ferry scam").exists()


def test_bad_input_is_explained_in_french(client, press):
    response = client.post(CREATE, _pack_data(terms="!!!"), HTTP_ACCEPT_LANGUAGE="fr")
    assert response.status_code == 400
    assert "Ces lignes ne contiennent aucune lettre à chercher." in response.content.decode()


def test_deleting_a_pack_is_audited(client, press):
    pack = KeywordPack.objects.filter(mission=None, category=Category.PRAISE, language="en").get()
    assert client.post(reverse("conversations:pack_delete", args=[pack.pk])).status_code == 302
    assert not KeywordPack.objects.filter(pk=pack.pk).exists()
    assert AuditEvent.objects.get(action="triage.pack_delete").details["name"] == pack.name


def test_known_authors_are_added_and_removed_and_sort_their_texts(client, press, cairo):
    data = {"network": Network.TWITTER, "key": "@NourReports", "kind": "journalist", "name": "Nour", "mission": ""}
    assert client.post(reverse("conversations:author_add"), data).status_code == 302
    author = KnownAuthor.objects.get()
    assert author.key == "nourreports"
    assert AuditEvent.objects.get(action="triage.author_add").details["handle"] == "nourreports"
    # Twice: refused in words.
    again = client.post(reverse("conversations:author_add"), data)
    assert again.status_code == 400
    assert "already on the list" in again.content.decode()
    cairo_x = account(cairo)
    items_ingest(
        account=cairo_x,
        items=[heard(thread_id="j", text="Thanks for the briefing", author_handle="NourReports", language="")],
        source=RawEvent.Source.POLL,
    )
    assert Conversation.objects.get(thread_id="j").category == Category.PRESS
    assert client.post(reverse("conversations:author_remove", args=[author.pk])).status_code == 302
    assert not KnownAuthor.objects.exists()
    assert AuditEvent.objects.filter(action="triage.author_remove").count() == 1


def test_the_press_office_sets_the_service_targets(client, press):
    page = client.get(RULES)
    assert 'id="targets-form"' in page.content.decode()
    data = {}
    for target in ServiceTarget.objects.all():
        data[f"{target.category}-minutes"] = target.minutes or ""
        if target.always_on:
            data[f"{target.category}-always_on"] = "on"
    data["press-minutes"] = "120"
    response = client.post(reverse("conversations:targets_save"), data)
    assert response.status_code == 302
    assert ServiceTarget.objects.get(category="press").minutes == 120
    event = AuditEvent.objects.get(action="triage.target_change")
    assert (event.details["category"], event.details["before"]["minutes"]) == ("press", 240)
    data["press-minutes"] = "0"
    assert client.post(reverse("conversations:targets_save"), data).status_code == 400


def test_an_officer_sees_the_targets_but_no_form(client, cairo_officer):
    content = client.get(RULES).content.decode()
    assert 'id="targets-form"' not in content
    assert "around the clock" in content


def test_what_people_typed_is_shown_inert(client, press, cairo):
    KeywordPack.objects.create(
        name="<script>alert(1)</script>", language="", category="spam", priority=4, terms="<b>x</b>", tags=["t"]
    )
    KnownAuthor.objects.create(network="twitter", key="<img src=x onerror=alert(1)>", kind="official", name="<i>n</i>")
    content = client.get(RULES).content.decode()
    assert "<script>alert(1)</script>" not in content
    assert "<img src=x" not in content
    assert "&lt;script&gt;" in content


def test_the_inbox_and_the_conversation_show_the_triage(client, press, cairo):
    conversation = _say(account(cairo), "النجدة، ابني اعتقل ولا أحد يرد", "d")
    inbox = client.get(reverse("conversations:inbox")).content.decode()
    assert "Consular, distress" in inbox
    assert "Urgent" in inbox
    detail = client.get(conversation.get_absolute_url()).content.decode()
    assert 'data-category="distress"' in detail
    assert ">ar<" in detail
