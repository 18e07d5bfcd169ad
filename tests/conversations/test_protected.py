"""People under threat (issue 15 §7): an item that threatens or exposes a person (triage's
threat packs, or a name on the protected list) goes to a protected conversation that only
the human-rights officer sees: never in an officer's or the press office's inbox, counts,
live count, earlier exchanges, reply queue or API; its items kept as evidence through edits
and deletions on the network; no reply unless that officer allows one."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from api.services.tokens import token_create_for_person
from audit.models import AuditEvent
from channels.models import Network
from conversations import selectors
from conversations.lifecycle import Category, ProtectedReason
from conversations.models import Conversation, Item, RawEvent
from conversations.services import triage
from conversations.services.clocks import conversations_check_clocks
from conversations.services.desk import conversation_triage_set
from conversations.services.ingest import items_ingest
from conversations.services.protection import (
    protected_person_add,
    protected_release,
    protected_reply_allow,
)
from embassies.roles import Role
from tests.conversations.conftest import heard
from tests.factories import UserFactory
from tests.posts.factories import account, administrator, officer, press_officer
from tests.security.otp import force_verified_login

pytestmark = pytest.mark.django_db

THREAT = "I will find you and your family, we know where you live"
ORDINARY = "When does the consulate open on Monday?"


@pytest.fixture(autouse=True)
def _fresh_rules():
    triage.rules_changed()
    yield
    triage.rules_changed()


@pytest.fixture
def cairo_x():
    return account("emb-eg-cairo", Network.TWITTER)


@pytest.fixture
def rights():
    return UserFactory(username="rights-1", first_name="Nadia", roles=[Role.HUMAN_RIGHTS_OFFICER])


@pytest.fixture
def desk_people():
    return {"officer": officer("emb-eg-cairo"), "press": press_officer(), "admin": administrator()}


def _hear(account_, *items):
    items_ingest(account=account_, items=list(items), source=RawEvent.Source.WEBHOOK)


@pytest.fixture
def threatened(cairo_x):
    """An ordinary question and a threat in the same thread under our post."""
    _hear(
        cairo_x,
        heard(external_id="q1", thread_id="t", text=ORDINARY),
        heard(external_id="x1", thread_id="t", text=THREAT, author_id="menace", author_name="Menace"),
    )
    return Conversation.objects.protected().get()


def test_a_threat_threads_apart_into_the_protected_queue_its_thread_stays_on_the_desk(threatened):
    assert (threatened.restricted_reason, threatened.network_thread_id) == (ProtectedReason.THREAT, "t")
    assert threatened.due_at is None
    assert threatened.escalated_at is None
    ordinary = Conversation.objects.on_desk().get()
    assert [item.external_id for item in ordinary.items.all()] == ["q1"]
    threat = threatened.items.get()
    assert threat.kept_as["text"] == THREAT
    assert threat.kept_as["raw_event"] == threat.raw_event_id


def test_no_one_on_the_desk_sees_it_in_any_list_count_or_page(client, threatened, desk_people):
    for role, user in desk_people.items():
        assert threatened.pk not in {c.pk for c in selectors.inbox(user=user)}, role
        counts = selectors.desk_counts(user=user)
        assert counts.new == 1, role  # the ordinary one only
        since = timezone.now() - timezone.timedelta(days=1)
        assert selectors.inbox_changed_since(user=user, since=since) == 1, role
        with pytest.raises(Conversation.DoesNotExist):
            selectors.conversation_get(user=user, conversation_id=threatened.pk)
        force_verified_login(client, user)
        assert client.get(threatened.get_absolute_url()).status_code == 404, role
        inbox = client.get(reverse("conversations:inbox"))
        assert THREAT not in inbox.content.decode()
        assert client.get(reverse("conversations:protected_queue")).status_code == 403, role
    # The author's earlier exchanges, seen from the ordinary conversation, leave it out too.
    ordinary = Conversation.objects.on_desk().get()
    assert not selectors.earlier_exchanges(ordinary, author_ids=["menace"]).exists()


def test_nor_in_the_api(threatened, desk_people):
    for role in ("officer", "press"):
        token = token_create_for_person(actor=desk_people["admin"], user_id=desk_people[role].pk, name=role)
        api = Client(headers={"Authorization": f"Bearer {token.secret}"})
        texts = [item["text"] for item in api.get("/api/v1/conversation-items/").json()["results"]]
        assert texts == [ORDINARY], role
        threat = threatened.items.get()
        assert api.get(f"/api/v1/conversation-items/{threat.pk}/").status_code == 404


def test_the_human_rights_officer_sees_it_and_only_it(client, threatened, rights):
    assert list(selectors.protected_queue(user=rights)) == [threatened]
    assert not selectors.protected_queue(user=press_officer()).exists()
    force_verified_login(client, rights)
    queue = client.get(reverse("conversations:protected_queue"))
    assert queue.status_code == 200
    assert "Menace" in queue.content.decode()
    page = client.get(threatened.get_absolute_url())
    assert page.status_code == 200
    assert THREAT in page.content.decode()
    ordinary = Conversation.objects.on_desk().get()
    assert client.get(ordinary.get_absolute_url()).status_code == 404


def test_the_evidence_survives_an_edit_and_a_deletion_on_the_network(cairo_x, threatened):
    threat = threatened.items.get()
    later = threat.created_at_network + timezone.timedelta(minutes=5)
    _hear(cairo_x, heard(external_id="x1", thread_id="t", text="nothing to see", edited_at=later, author_id="menace"))
    _hear(cairo_x, heard(external_id="x1", thread_id="t", text="", deleted=True, author_id="menace"))
    threat.refresh_from_db()
    assert threat.deleted_at is not None
    assert threat.kept_as["text"] == THREAT
    assert Item.objects.filter(pk=threat.pk).exists()
    assert RawEvent.objects.filter(external_id="x1").count() == 3  # every version as received


def test_no_reply_goes_out_until_the_human_rights_officer_allows_one(client, threatened, rights):
    force_verified_login(client, rights)
    url = reverse("conversations:reply", args=[threatened.pk])
    page = client.get(threatened.get_absolute_url()).content.decode()
    assert url not in page  # no reply form
    assert client.post(url, {"item": threatened.items.get().pk, "text": "We have reported this."}).status_code == 403
    assert protected_reply_allow(actor=rights, conversation_id=threatened.pk)
    assert url in client.get(threatened.get_absolute_url()).content.decode()
    event = AuditEvent.objects.get(action="protected.allow_reply")
    assert (event.actor, event.object_id) == (rights, str(threatened.pk))
    with pytest.raises(PermissionDenied):
        protected_reply_allow(actor=press_officer(), conversation_id=threatened.pk)


def test_a_name_on_the_protected_list_sends_an_item_there_and_the_audit_keeps_no_name(cairo_x, rights):
    protected_person_add(actor=rights, name="Jane Doe", note="journalist under threat")
    triage.rules_changed()
    _hear(cairo_x, heard(external_id="d1", thread_id="t2", text="Jane DOE lives at 12 rue X, go and see her"))
    conversation = Conversation.objects.get(items__external_id="d1")
    assert conversation.restricted_reason == ProtectedReason.PROTECTED_PERSON
    event = AuditEvent.objects.get(action="protected.person_add")
    assert "Jane" not in str(event.details) + event.object_label
    with pytest.raises(PermissionDenied):
        protected_person_add(actor=press_officer(), name="John Roe")


def test_an_officer_who_sets_threat_by_hand_hands_it_over(client, cairo_x, rights):
    _hear(cairo_x, heard(external_id="h1", thread_id="t3", text="You people will regret this, Amal"))
    conversation = Conversation.objects.get()
    cairo_officer = officer("emb-eg-cairo")
    force_verified_login(client, cairo_officer)
    response = client.post(
        reverse("conversations:triage", args=[conversation.pk]),
        {"category": Category.THREAT, "priority": "1", "language": "en", "tags": ""},
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("conversations:inbox")
    conversation.refresh_from_db()
    assert (conversation.restricted_reason, conversation.assignee) == (ProtectedReason.BY_HAND, None)
    assert conversation.items.get().kept_as["text"] == "You people will regret this, Amal"
    assert client.get(conversation.get_absolute_url()).status_code == 404
    assert list(selectors.protected_queue(user=rights)) == [conversation]
    # Given back by the human-rights officer: on the desk again, the evidence still kept.
    protected_release(actor=rights, conversation_id=conversation.pk)
    assert client.get(conversation.get_absolute_url()).status_code == 200
    with pytest.raises(PermissionDenied):
        conversation_triage_set(
            actor=officer("emb-jp-tokyo"),
            conversation_id=conversation.pk,
            category=Category.PRESS,
            priority=2,
            language="en",
            tags=[],
        )


def test_the_clocks_never_warn_nor_escalate_a_protected_conversation(threatened):
    Conversation.objects.filter(pk=threatened.pk).update(
        due_at=timezone.now() - timezone.timedelta(hours=1), warn_at=timezone.now() - timezone.timedelta(hours=2)
    )
    tick = conversations_check_clocks(now=timezone.now())
    threatened.refresh_from_db()
    assert (threatened.warned_at, threatened.escalated_at) == (None, None)
    assert tick.escalated == 0


def test_every_read_of_the_desk_leaves_protected_conversations_out_in_one_place():
    """The lists, counts, exports and API (analytics/, api/, the desk's selectors) read
    conversations, items and replies only through `on_desk()`, `protected()` or
    `desk_scope(...)`, so that a list added later cannot show what protects a person. A
    subquery tied to its outer conversation (OuterRef) is that conversation's already."""
    import re
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    files = [*root.glob("analytics/**/*.py"), *root.glob("api/**/*.py")]
    files += [root / "conversations" / "selectors.py", root / "conversations" / "reply_selectors.py"]
    read = re.compile(r"\b(Conversation|Item|Reply)\.objects\.(?!on_desk\(|protected\(|none\()")
    bare = [
        f"{path.relative_to(root)}:{number}: {line.strip()}"
        for path in files
        for number, line in enumerate(path.read_text().splitlines(), 1)
        if read.search(line) and "desk_scope(" not in line and "OuterRef(" not in line
    ]
    assert not bare, "Read through on_desk(), protected() or desk_scope():\n" + "\n".join(bare)


@pytest.mark.parametrize("code", ["fr", "es", "de", "ar"])
def test_the_protected_pages_speak_the_readers_language(client, threatened, rights, code):
    """The human-rights officer's pages are no column of the access matrix, so the
    every-language test does not read them: read here, with a protected person listed."""
    from tests.security.test_every_language_pages import _english, _visible_text

    protected_person_add(actor=rights, name="Jane Doe")
    force_verified_login(client, rights)
    client.cookies["django_language"] = code
    english = _english(code) if code != "fr" else []
    for url in (
        reverse("conversations:protected_queue"),
        reverse("conversations:protected_people"),
        threatened.get_absolute_url(),
        reverse("posts:dashboard"),
        reverse("conversations:inbox"),
    ):
        response = client.get(url)
        assert response.status_code == 200, url
        text = _visible_text(response.content.decode())
        assert not [sentence for sentence in english if sentence in text], url
        assert "human-rights officer" not in text, url


def test_a_thread_given_back_to_the_desk_is_protected_again_by_a_new_threat(cairo_x, threatened, rights):
    protected_release(actor=rights, conversation_id=threatened.pk)
    _hear(cairo_x, heard(external_id="x2", thread_id="t", text="You will pay for this", author_id="menace"))
    threatened.refresh_from_db()
    assert threatened.restricted_reason == ProtectedReason.THREAT
    assert threatened.items.get(external_id="x2").kept_as["text"] == "You will pay for this"
    assert list(selectors.protected_queue(user=rights)) == [threatened]


def test_the_human_rights_officers_are_told_at_once_and_nobody_else(cairo_x, rights, desk_people):
    """Nobody else sees the protected queue, so its officers are mailed as items arrive: once
    per batch, in their language, with where and why but never what the public wrote."""
    from mailroom.models import Mail

    rights.email, desk_people["officer"].email = "rights@example.org", "officer@example.org"
    rights.save()
    desk_people["officer"].save()
    _hear(
        cairo_x,
        heard(external_id="x1", thread_id="t1", text=THREAT, author_id="menace"),
        heard(external_id="x2", thread_id="t2", text=THREAT, author_id="menace"),
        heard(external_id="q1", thread_id="t3", text=ORDINARY),
    )
    [mail] = Mail.objects.all()
    assert mail.to == "rights@example.org"
    assert "2 conversation(s)" in mail.subject
    assert THREAT not in mail.body
    assert mail.body.count("/conversations/") == 2
