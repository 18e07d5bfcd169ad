"""Stored XSS: script, event-handler and `javascript:` payloads in message texts, titles,
comments, mission names, people's names, account handles, attachment file names and what the
public says to a mission (its text, its name, its link) are shown as text on
every page that shows them (the admin and the audit log included), in the previews, and in
the emails. Matrix S12, S13, S17; ASVS 1.2.1, 1.2.2, 3.2.2."""

from __future__ import annotations

from html.parser import HTMLParser

import pytest
from django.core import mail
from django.urls import reverse
from django.utils.html import escape

from channels.notifications import notify_admins_of_account_problem
from embassies.models import Mission
from posts.services.review import message_approve, message_cancel, message_reject
from tests.posts.factories import submitted_message
from tests.security.conftest import MISSION_A, build_world
from tests.security.urlconf import data_for, routes, url_for

pytestmark = pytest.mark.django_db


def payload(surface: str) -> str:
    """Three attacks at once, marked with the surface they were typed in."""
    return f'<script>alert("{surface}")</script>"><img src=x onerror=alert("{surface}")> javascript:alert(1)'


SURFACES = ("title", "text", "comment", "mission", "person", "handle", "file", "public")
# Where each surface must be seen, escaped, for the test to mean something.
SHOWN_ON = {
    "title": {"posts:message_detail", "posts:review_queue"},
    "text": {"posts:message_detail", "posts:message_edit"},
    "comment": {"posts:message_detail"},
    "mission": {"embassies:mission_list", "embassies:mission_detail", "posts:message_detail"},
    "person": {
        "embassies:staff_list",
        "embassies:mission_detail",
        "posts:message_detail",
        "posts:review_queue",
        "posts:crisis_board",
    },
    "handle": {"channels:account_list", "channels:account_detail"},
    "file": {"posts:message_detail"},
    # What a stranger said to the mission: its text and name, and its network link.
    "public": {"conversations:inbox", "conversations:detail"},
}


class ActiveContent(HTMLParser):
    """What a browser would run: script elements without src, on… attributes, javascript: URLs."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.found: list[str] = []

    def handle_starttag(self, tag, attrs):
        names = dict(attrs)
        if tag == "script" and "src" not in names:
            self.found.append("<script> without src")
        for name, value in attrs:
            if name.startswith("on"):
                self.found.append(f"<{tag} {name}={value!r}>")
            if name in ("href", "src", "action", "formaction", "xlink:href") and (
                value or ""
            ).strip().lower().startswith(("javascript:", "data:text/html")):
                self.found.append(f"<{tag} {name}={value!r}>")


def active_content(html: str) -> list[str]:
    parser = ActiveContent()
    parser.feed(html)
    return parser.found


@pytest.fixture
def poisoned(db):
    """The world, with a payload in every surface."""
    mission = Mission.objects.get(code=MISSION_A)
    mission.name = payload("mission")[:200]
    mission.save()
    world = build_world(
        title=payload("title")[:200],
        text=payload("text"),
        comment=payload("comment"),
        file_name='"><img src=x onerror=alert("file")>.png',
    )
    world.account_a.handle = payload("handle")[:100]
    world.account_a.save()
    world.conversation_a.items.update(
        text=payload("public"), author_name=payload("public")[:300], url="javascript:alert(1)"
    )
    # People's names: the message's author, the alert's author, an officer of B. Not the
    # users who look at the pages here: the page header shows their own name everywhere.
    for role in ("author_a", "crisis2", "officer_b"):
        user = world.users[role]
        user.first_name, user.last_name = '<script>alert("person")</script>', '"><img src=x onerror=alert("person")>'
        user.save(update_fields=["first_name", "last_name"])
    return world


def test_every_page_shows_every_payload_as_text(poisoned):
    seen = {surface: set() for surface in SURFACES}
    problems = []
    for role in ("officer_a", "press", "crisis", "admin"):
        client = poisoned.client(role)
        for htmx in (False, True):
            for route in routes():
                if htmx and route.is_admin():
                    continue  # the admin has no fragments
                response = client.get(
                    url_for(route, poisoned), data_for(route, poisoned), headers={"HX-Request": "true"} if htmx else {}
                )
                if response.status_code != 200 or not response.get("Content-Type", "").startswith("text/html"):
                    continue
                html = response.content.decode()
                problems += [f"{route.name} ({role}): {found}" for found in active_content(html)]
                for surface in SURFACES:
                    if f'alert("{surface}")' in html:
                        problems.append(f"{route.name} ({role}): the {surface} payload is in the page unescaped")
                    if escape(f'alert("{surface}")') in html:
                        seen[surface].add(route.name)
    assert not problems, "\n".join(sorted(set(problems)))
    for surface, names in SHOWN_ON.items():
        assert names <= seen[surface], f"the {surface} was not shown (escaped) on {names - seen[surface]}"


def test_the_audit_log_shows_the_payload_as_text(poisoned):
    """The approval of the poisoned message, filtered (the page is newest first)."""
    response = poisoned.client("admin").get(reverse("audit:log"), {"action": "message.approve"})
    assert not active_content(response.text)
    assert 'alert("title")' not in response.text
    assert escape('alert("title")') in response.text


def test_the_live_preview_shows_the_payload_as_text(poisoned):
    client = poisoned.client("officer_a")
    response = client.post(
        reverse("posts:message_preview"),
        {
            "message": poisoned.message_a.pk,
            "title": payload("title"),
            "text_fr": payload("text"),
            "text_ja": payload("text"),
            "targets": [poisoned.account_a.pk],
            "version": poisoned.message_a.version,
        },
        headers={"HX-Request": "true"},
    )
    assert response.status_code == 200
    assert not active_content(response.text)
    assert 'alert("text")' not in response.text
    assert escape('alert("text")') in response.text


def test_emails_are_plain_text_and_carry_the_payload_as_text(poisoned, django_capture_on_commit_callbacks, mail_tasks):
    """Plain text cannot run anything: no HTML part is ever sent, and the subject is one line."""
    world = poisoned
    press = world.users["press"]  # "… approved …" names the press officer in the mails
    press.first_name, press.last_name = world.users["author_a"].first_name, world.users["author_a"].last_name
    press.save(update_fields=["first_name", "last_name"])
    with django_capture_on_commit_callbacks(execute=True):
        message_reject(actor=world.users["press"], message_id=world.message_a.pk, comment=payload("comment"))
    other = submitted_message(
        author=world.users["author_a"],
        mission_or_code=MISSION_A,
        texts={"fr": "Bonjour."},
        title=payload("title")[:200] + "\r\nBcc: evil@example.org",
    )
    with django_capture_on_commit_callbacks(execute=True):
        message_approve(actor=world.users["press"], message_id=other.pk)
    with django_capture_on_commit_callbacks(execute=True):
        message_cancel(actor=world.users["press"], message_id=other.pk, reason=payload("comment"))
    with django_capture_on_commit_callbacks(execute=True):
        notify_admins_of_account_problem(account=world.account_a, reason=payload("comment"))
    mail_tasks.run()
    assert len(mail.outbox) >= 3
    for email in mail.outbox:
        assert email.content_subtype == "plain"
        assert not getattr(email, "alternatives", [])
        assert "\n" not in email.subject
        assert "\r" not in email.subject
        assert "evil@example.org" not in " ".join(email.recipients())
    bodies = "\n".join(email.body for email in mail.outbox)
    assert 'alert("comment")' in bodies  # shown as the text it is, not escaped into &lt;…
    assert '<script>alert("person")</script>' in bodies
