"""The first hour's details in a real browser: the 271-mission pickers are searchable (a
combobox a keyboard can drive, served as a file under the CSP), and French readers get
missions, countries and cities in French."""

from __future__ import annotations

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from audit.services import record as record_audit
from tests.e2e.helpers import shot
from tests.posts.factories import administrator, approved_message, officer, press_officer

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(90)]


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
    shot(page, "mission-picker", full_page=False)
    picker.press("Escape")
    expect(listbox).to_be_hidden()
    expect(picker).to_have_value("Embassy of France in Egypt")
    assert not [error for error in errors if "Content Security Policy" in error or "Refused" in error], errors


def test_a_french_reader_sees_missions_cities_and_countries_in_french(live_server, login):
    page = login(officer("emb-eg-cairo", "emb-br-brasilia", "emb-es-madrid", username="officer-fr"))
    page.goto(reverse("embassies:mission_list"))
    page.get_by_role("button", name="Français").click()
    page.wait_for_load_state()
    rows = page.locator("tbody th[scope=row] a")
    expect(rows).to_have_text(
        ["Ambassade de France au Brésil", "Ambassade de France en Égypte", "Ambassade de France en Espagne"]
    )
    expect(page.get_by_role("cell", name="Le Caire")).to_be_visible()
    expect(page.get_by_role("cell", name="Égypte", exact=True)).to_be_visible()
    shot(page, "missions-in-french", full_page=False)


@pytest.mark.parametrize("language", ["English", "Français"])
def test_the_header_holds_on_one_row_at_desktop_width(live_server, login, language):
    """The administrator has the longest menu; 1280 px is a common laptop's width."""
    page = login(administrator(username=f"admin-header-{language[:2]}", is_staff=True))
    page.get_by_role("button", name=language).click()
    page.wait_for_load_state()
    brand = page.locator(".brand").bounding_box()
    tools = page.locator(".header-tools").bounding_box()
    last_link = page.locator(".main-nav li").last.bounding_box()
    assert abs(tools["y"] + tools["height"] / 2 - (brand["y"] + brand["height"] / 2)) < 8
    assert abs(last_link["y"] + last_link["height"] / 2 - (brand["y"] + brand["height"] / 2)) < 8
    assert last_link["x"] + last_link["width"] <= tools["x"]
    shot(page, f"header-{language[:2].lower()}", full_page=False)


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
    shot(page, "audit-log", full_page=False)


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
    shot(page, "calendar-week", full_page=False)
