"""The first hour's details in a real browser: the 271-mission pickers are searchable (a
combobox a keyboard can drive, served as a file under the CSP), and French readers get
missions, countries and cities in French."""

from __future__ import annotations

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from tests.e2e.helpers import shot
from tests.posts.factories import administrator, officer, press_officer

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
