"""The first hour's details in a real browser: the 271-mission pickers are searchable (a
combobox a keyboard can drive, served as a file under the CSP), and French readers get
missions, countries and cities in French."""

from __future__ import annotations

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from audit.services import record as record_audit
from posts.services.messages import message_update
from posts.services.review import message_request_changes, message_submit
from tests.e2e.helpers import ROOT, shot
from tests.posts.factories import (
    account,
    administrator,
    approved_message,
    crisis_member,
    officer,
    press_officer,
    submitted_message,
)

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(90)]


def _look(page, name: str) -> None:
    """A picture to look at under var/screenshots (not one of the README's)."""
    (ROOT / "var" / "screenshots").mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ROOT / "var" / "screenshots" / f"{name}.png"), animations="disabled")


def test_the_mission_picker_finds_a_mission_as_you_type(live_server, login):
    page = login(press_officer(username="press-picker"))
    errors = []
    page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    page.goto(reverse("posts:pause"))
    picker = page.get_by_role("combobox", name="Mission")
    expect(picker).to_be_visible()
    picker.click()
    picker.fill("egypt")
    listbox = page.get_by_role("listbox")
    expect(listbox).to_be_visible()
    expect(listbox.get_by_role("option")).to_have_count(1)  # the embassy; the consulates are "in Cairo"…
    picker.press("ArrowDown")
    picker.press("Enter")
    expect(picker).to_have_value("Embassy of France in Egypt")
    assert page.locator("select[name=mission]").input_value() == "emb-eg-cairo"
    # Accents and case folded; Escape closes and keeps the choice.
    picker.fill("SAO")
    expect(listbox.get_by_role("option", name="Consulate General of France in São Paulo")).to_be_visible()
    _look(page, "mission-picker")
    picker.press("Escape")
    expect(listbox).to_be_hidden()
    expect(picker).to_have_value("Embassy of France in Egypt")
    assert not [error for error in errors if "Content Security Policy" in error or "Refused" in error], errors


def test_the_invitation_picks_several_missions_by_typing(live_server, login):
    """The invitation's missions: the same picker, multi-selectable: each choice shows above
    the box with a button that removes it, and the form sends what is chosen."""
    page = login(administrator(username="admin-picker"))
    errors = []
    page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    page.goto(reverse("staff:invite"))
    picker = page.get_by_role("combobox", name="Missions")
    expect(picker).to_be_visible()
    expect(page.locator("ul[role=listbox]")).to_have_attribute("aria-multiselectable", "true")
    for typed in ("tokyo", "berlin", "senegal"):
        picker.fill(typed)
        picker.press("Enter")  # the first match is the active one
    # The list stays open for the next choice; the choices are ticked in it.
    expect(page.get_by_role("option", selected=True)).to_have_count(1)  # Senegal's, still filtered
    picker.press("Escape")
    expect(page.get_by_role("listbox")).to_be_hidden()
    chosen = page.locator(".combobox__chip")
    expect(chosen).to_have_count(3)
    page.get_by_role("button", name="Remove Embassy of France in Japan (Tokyo)").click()
    expect(chosen).to_have_count(2)
    selected = page.locator("select[name=missions]").evaluate(
        "select => Array.from(select.selectedOptions).map(option => option.value)"
    )
    assert sorted(selected) == ["emb-de-berlin", "emb-sn-dakar"]
    _look(page, "invitation-missions-picker")
    assert not [error for error in errors if "Content Security Policy" in error or "Refused" in error], errors


def test_a_french_reader_sees_missions_cities_and_countries_in_french(live_server, login):
    page = login(officer("emb-eg-cairo", "emb-br-brasilia", "emb-es-madrid", username="officer-fr"))
    page.goto(reverse("embassies:mission_list"))
    page.locator(".language-menu summary").click()
    page.get_by_role("button", name="Français").click()
    page.wait_for_load_state()
    rows = page.locator("tbody th[scope=row] a")
    expect(rows).to_have_text(
        ["Ambassade de France au Brésil", "Ambassade de France en Égypte", "Ambassade de France en Espagne"]
    )
    expect(page.get_by_role("cell", name="Le Caire")).to_be_visible()
    expect(page.get_by_role("cell", name="Égypte", exact=True)).to_be_visible()
    _look(page, "missions-in-french")


HEADER_USERS = {
    "administrator": lambda name: administrator(username=name, is_staff=True),
    "press": lambda name: press_officer(username=name),
    "crisis": lambda name: crisis_member(username=name),
    "officer": lambda name: officer("emb-eg-cairo", username=name),  # New message, and the inbox
}


@pytest.mark.parametrize("who", list(HEADER_USERS))
@pytest.mark.parametrize("language", ["English", "Français", "Español", "Deutsch", "العربيّة"])
def test_the_header_holds_on_one_row_at_desktop_width(live_server, login, language, who):
    """Each role's menu (the administrator's has Administration, the others the inbox), in
    each language (from the language menu); 1280 px is a common laptop's width. Brand, menu
    and tools side by side: no link under the brand or the tools (the menu may wrap within
    its own column); right to left, mirrored."""
    page = login(HEADER_USERS[who](f"{who}-header-{language[:2]}"))
    page.locator(".language-menu summary").click()
    page.get_by_role("button", name=language).click()
    page.wait_for_load_state()
    brand = page.locator(".brand").bounding_box()
    tools = page.locator(".header-tools").bounding_box()
    links = [link.bounding_box() for link in page.locator(".main-nav li").all()]
    assert abs(tools["y"] + tools["height"] / 2 - (brand["y"] + brand["height"] / 2)) < 8
    rtl = page.locator("html").get_attribute("dir") == "rtl"
    for link in links:
        if rtl:
            assert tools["x"] + tools["width"] <= link["x"]
            assert link["x"] + link["width"] <= brand["x"]
        else:
            assert brand["x"] + brand["width"] <= link["x"]
            assert link["x"] + link["width"] <= tools["x"]
    _look(page, f"header-{who}-{page.locator('html').get_attribute('lang')}")


def _overflow(page) -> int:
    """How far the page is wider than the window (0: it fits)."""
    return page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")


def test_the_audit_log_fits_the_page(live_server, login):
    admin = administrator(username="admin-audit", is_staff=True)
    # A long detail, as a retraction's or a connection's can be.
    record_audit(
        action="account.connect",
        actor=admin,
        details={"reason": "x" * 40 + " " + "https://example.org/" + "a" * 120, "network": "facebook"},
    )
    page = login(admin)
    page.goto(reverse("audit:log"))
    expect(page.locator("tbody tr").first).to_be_visible()
    assert _overflow(page) <= 0
    # Nothing scrolls sideways inside the table either.
    assert (
        page.evaluate(
            "(() => { const w = document.querySelector('.table-wrap'); return w.scrollWidth - w.clientWidth; })()"
        )
        <= 0
    )
    _look(page, "audit-log")


def test_the_week_calendar_gives_each_day_room(live_server, login):
    press = press_officer(username="press-week")
    author = officer("emb-eg-cairo", username="officer-week")
    for hours, title in ((2, "National day reception at the residence"), (3, "Visa office closed")):
        approved_message(approver=press, author=author, in_hours=hours, title=title)
    page = login(press)
    page.goto(reverse("posts:calendar") + "?view=week")
    assert _overflow(page) <= 0
    # Each message has room for its title (seven 170 px columns cut it to a word a line).
    widths = [box["width"] for box in (entry.bounding_box() for entry in page.locator(".cal-entry").all())]
    assert len(widths) == 2
    assert min(widths) >= 220
    _look(page, "calendar-week")


def test_the_reviewer_sees_what_changed_since_the_request(live_server, login):
    tokyo = officer("emb-jp-tokyo", username="officer-tokyo-review", first_name="Kenji")
    press = press_officer(username="press-review", first_name="Léa")
    message = submitted_message(
        author=tokyo,
        mission_or_code="emb-jp-tokyo",
        targets=[account("emb-jp-tokyo"), account("emb-jp-tokyo", "facebook")],
        title="Beaujolais nouveau evening",
        texts={
            "fr": "Soirée du Beaujolais nouveau jeudi à la résidence.",
            "en": "Beaujolais Nouveau evening on Thursday at the residence.",
        },
    )
    message_request_changes(actor=press, message_id=message.pk, comment="Give the time, please.")
    message.refresh_from_db()
    message_update(
        actor=tokyo,
        message_id=message.pk,
        expected_version=message.version,
        texts={
            "fr": "Soirée du Beaujolais nouveau jeudi 19 novembre à 19 h à la résidence.",
            "en": "Beaujolais Nouveau evening on Thursday at the residence.",
        },
    )
    message_submit(actor=tokyo, message_id=message.pk)
    page = login(press)
    page.goto(message.get_absolute_url())
    card = page.get_by_role("region", name="What changed since the request for changes")
    expect(card).to_be_visible()
    expect(card.locator("ins")).to_contain_text(["19 novembre à 19 h"])
    expect(card.get_by_text("unchanged")).to_be_visible()  # the English
    shot(page, "review", full_page=False)
