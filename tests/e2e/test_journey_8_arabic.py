"""Journey 8 (issue 18): an officer of the Cairo embassy who reads Arabic chooses العربيّة on
the login page, logs in, and writes a message. The whole interface is right to left (the
navigation mirrored), in Arabic, and an English text left in the Arabic tab is flagged
before submitting, as a warning."""

from __future__ import annotations

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from channels.models import Network
from tests.posts.factories import account, officer

from .helpers import shot

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(90)]

ENGLISH_TEXT = "The embassy will be closed on Friday for the national day. Consular services reopen on Monday."
FRENCH_TEXT = "L'ambassade sera fermée vendredi pour la fête nationale. Les services consulaires rouvrent lundi."
# Sentences of ours that must not be on an Arabic reader's page.
ENGLISH = ("Log in", "Dashboard", "New message", "Internal title", "Submit for review", "looks like", "Preview")


def _box(locator) -> dict:
    box = locator.bounding_box()
    assert box is not None
    return box


def test_an_officer_reading_arabic_logs_in_and_writes_right_to_left(live_server, browser_context):
    x_account = account("emb-eg-cairo", Network.TWITTER, handle="@FranceEgypte")
    author = officer("emb-eg-cairo", username="amal", first_name="Amal", last_name="Saleh")
    author.set_password("a long passphrase for amal")
    author.save()

    page = browser_context().new_page()
    page.goto(f"{live_server.url}{reverse('login')}")
    # The language menu names each language in itself.
    page.locator(".language-menu summary").click()
    page.get_by_role("button", name="العربيّة").click()
    expect(page.locator("html")).to_have_attribute("dir", "rtl")
    expect(page.locator("html")).to_have_attribute("lang", "ar")
    expect(page.get_by_role("heading", name="تسجيل الدخول")).to_be_visible()
    # Mirrored: the brand is at the right, the language menu at the left.
    assert _box(page.locator(".brand"))["x"] > _box(page.locator(".language-menu"))["x"]

    page.fill("input[name=username]", "amal")
    page.fill("input[name=password]", "a long passphrase for amal")
    page.get_by_role("button", name="تسجيل الدخول").click()
    expect(page.get_by_role("heading", name="مرحبًا، Amal")).to_be_visible()

    # The navigation reads right to left: the dashboard first, at the right.
    nav = page.get_by_role("navigation", name="الرئيسية")
    dashboard, compose = nav.get_by_role("link", name="لوحة المتابعة"), nav.get_by_role("link", name="رسالة جديدة")
    assert _box(dashboard)["x"] > _box(compose)["x"]
    body = page.locator("body").inner_text()
    assert not [english for english in ENGLISH if english in body]

    compose.click()
    page.get_by_label("العنوان الداخلي").fill("العيد الوطني في القاهرة")
    page.locator("#id_text_fr").fill(FRENCH_TEXT)
    # The tabs read right to left too: the arrow to the left goes to the next language.
    page.get_by_role("tab", name="الفرنسية").focus()
    page.keyboard.press("ArrowLeft")
    expect(page.get_by_role("tab", name="العربية")).to_have_attribute("aria-selected", "true")
    page.locator("#id_text_ar").fill(ENGLISH_TEXT)  # the English text, in the Arabic tab by mistake
    page.locator(f"#id_targets_{x_account.pk}").check()
    expect(page.locator("#id_text_ar")).to_have_attribute("dir", "rtl")

    # Before submitting: a warning in Arabic, not a refusal.
    preview = page.locator("#preview")
    expect(preview.get_by_text("يبدو هذا النص بالعربية مكتوبًا بالإنجليزية", exact=False)).to_be_visible()
    body = page.locator("body").inner_text()
    assert not [english for english in ENGLISH if english in body]
    page.evaluate("window.scrollTo(0, 0)")
    shot(page, "compose-in-arabic", full_page=False)

    page.get_by_role("button", name="تقديم للمراجعة").click()
    expect(page.get_by_text("قُدّمت للمراجعة.")).to_be_visible()
