"""Journey 6: an administrator invites two people from "Staff and roles"; a real worker mails
each a single-use link; each opens it, chooses a password and logs in for the first time:
the press officer sets up an authenticator app from the QR page's key, the officer lands
with the two missions they were given."""

from __future__ import annotations

from base64 import b32decode
from email.message import Message
from urllib.parse import urlsplit

import pytest
from django_otp.oath import TOTP
from playwright.sync_api import expect

from embassies.models import Mission
from tests.posts.factories import administrator
from tests.security.invitations import LINK

from .helpers import shot

pytestmark = [pytest.mark.e2e, pytest.mark.processes, pytest.mark.timeout(180)]
PASSWORD = "Kumquat-orbit-7-lanterns"


def invite(page, *, first: str, last: str, email: str, username: str, role: str, missions: list[str]) -> None:
    page.goto("/missions/staff/")
    page.get_by_role("link", name="Invite a person…").first.click()
    page.get_by_label("First name").fill(first)
    page.get_by_label("Last name").fill(last)
    page.get_by_label("E-mail").fill(email)
    page.get_by_label("Username").fill(username)
    page.get_by_label(role, exact=True).check()
    if missions:
        # The searchable picker: type, choose, and the list stays open for the next one.
        picker = page.get_by_role("combobox", name="Missions")
        for mission in missions:
            picker.fill(mission)
            page.get_by_role("option", name=mission).click()
        picker.press("Escape")
        for mission in missions:
            expect(page.get_by_role("button", name=f"Remove {mission}")).to_be_visible()
    return page


def mailed_link_path(stack, address: str) -> str:
    """The path of the link in the mail the worker sent to `address` (the worker's SITE_URL
    is not the live server's address: the path is what matters)."""

    def mail() -> Message | None:
        return next((m for m in stack.emails() if address in m["To"]), None)

    found = stack.wait_until(mail, timeout=30, what=f"the invitation mailed to {address}")
    body = found.get_payload(decode=True).decode()
    match = LINK.search(body)
    assert match, body
    return urlsplit(match.group(0)).path


def authenticator_code(page) -> str:
    """The code an authenticator app would show for the key written on the setup page."""
    key = "".join(page.locator("main code").inner_text().split())
    totp = TOTP(b32decode(key))
    return f"{totp.token():06d}"


def log_in(page, username: str) -> None:
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()


def test_an_administrator_onboards_a_press_officer_and_an_officer(live_app, login, browser_context):
    live_app.start_worker("publish,maintenance", concurrency=2)
    tokyo, berlin = Mission.objects.get(code="emb-jp-tokyo"), Mission.objects.get(code="emb-de-berlin")
    admin = administrator(username="anne", first_name="Anne", last_name="Lefèvre", is_staff=True)
    page = login(admin)

    # The press officer: invited, then the list of pending invitations.
    invite(
        page,
        first="Paul",
        last="Durand",
        email="paul.durand@example.org",
        username="pdurand",
        role="Press office",
        missions=[],
    )
    page.get_by_role("button", name="Send the invitation").click()
    expect(page.get_by_text("Paul Durand is invited")).to_be_visible()
    expect(page.get_by_role("cell", name="Press office")).to_be_visible()

    # The officer, for two missions (the form as the README shows it).
    invite(
        page,
        first="Aiko",
        last="Sato",
        email="aiko.sato@example.org",
        username="asato",
        role="Officer",
        missions=[f"{tokyo.name} ({tokyo.city})", f"{berlin.name} ({berlin.city})"],
    )
    shot(page, "invite")
    page.get_by_role("button", name="Send the invitation").click()
    expect(page.get_by_text("Aiko Sato is invited")).to_be_visible()

    # Paul: the link, a password, then the authenticator app at his first login.
    paul = browser_context().new_page()
    paul.goto(mailed_link_path(live_app, "paul.durand@example.org"))
    expect(paul.get_by_role("heading", name="Welcome, Paul")).to_be_visible()
    assert "/accounts/invitation/" in paul.url
    assert paul.url.rstrip("/").endswith("/accounts/invitation")  # the token left the address bar
    paul.get_by_label("Password", exact=True).fill(PASSWORD)
    paul.get_by_label("Password again").fill(PASSWORD)
    shot(paul, "set-password")
    paul.get_by_role("button", name="Set my password").click()
    expect(paul.get_by_text("Your account is ready, Paul Durand")).to_be_visible()
    log_in(paul, "pdurand")
    expect(paul.get_by_role("heading", name="Set up your authenticator app")).to_be_visible()
    expect(paul.locator("nav.main-nav")).to_have_count(0)  # no menu until the code is entered
    paul.get_by_label("Code from your authenticator app").fill(authenticator_code(paul))
    paul.get_by_role("button", name="Confirm").click()
    expect(paul.get_by_text("Your authenticator app is set up")).to_be_visible()
    expect(paul.get_by_role("link", name="Review queue")).to_be_visible()  # the press office's page
    expect(paul.get_by_role("link", name="New message", exact=True)).to_have_count(0)

    # Aiko: the link, a password, and her two missions at her first login.
    aiko = browser_context().new_page()
    aiko.goto(mailed_link_path(live_app, "aiko.sato@example.org"))
    aiko.get_by_label("Password", exact=True).fill(PASSWORD)
    aiko.get_by_label("Password again").fill(PASSWORD)
    aiko.get_by_role("button", name="Set my password").click()
    log_in(aiko, "asato")
    expect(aiko.get_by_role("link", name="New message", exact=True)).to_be_visible()
    aiko.get_by_role("link", name="New message", exact=True).click()
    expect(aiko.get_by_role("heading", name="For which mission?")).to_be_visible()
    choices = aiko.locator(".choice__title")
    expect(choices).to_have_count(2)
    assert sorted(choices.all_inner_texts()) == sorted([tokyo.name, berlin.name])

    # Both invitations are used: none pending any more, and the links are dead.
    page.goto("/missions/staff/invitations/")
    expect(page.get_by_text("No invitation here.")).to_be_visible()
    again = browser_context().new_page()
    again.goto(mailed_link_path(live_app, "aiko.sato@example.org"))
    expect(again.get_by_text("This invitation was already used")).to_be_visible()
