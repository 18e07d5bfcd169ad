"""Journey 8: a press office's day as the README shows it. Officers of three missions have
messages waiting for review, others are scheduled through the month, one went out with a
failure; the press officer opens the dashboard, the review queue and the calendar, and the
Cairo officer composes in French and Arabic. `make screenshots` refreshes those four
pictures from here (dashboard-press, review-queue, calendar, compose)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import expect

from channels.models import Network
from posts.models import Delivery, Message
from tests.posts.factories import account, approved_message, officer, press_officer, submitted_message

from .helpers import shot

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(120)]


def _the_day(press):
    """What is on the press office's desk: three messages to review, six scheduled over the
    next weeks, and a published one with a refused delivery. The Cairo officer, and the
    Cairo accounts."""
    cairo = officer("emb-eg-cairo", username="amira", first_name="Amira", last_name="Haddad")
    tokyo = officer("emb-jp-tokyo", username="kenji", first_name="Kenji", last_name="Sato")
    berlin = officer("emb-de-berlin", username="jonas", first_name="Jonas", last_name="Weber")
    cairo_x, cairo_facebook = account("emb-eg-cairo"), account("emb-eg-cairo", Network.FACEBOOK)
    tokyo_x = account("emb-jp-tokyo")
    berlin_x = account("emb-de-berlin")
    submitted_message(
        author=cairo,
        targets=[cairo_x, cairo_facebook],
        title="National day reception",
        texts={"fr": "Réception pour la fête nationale à la résidence.", "ar": "حفل استقبال بمناسبة العيد الوطني."},
    )
    submitted_message(
        author=tokyo,
        mission_or_code="emb-jp-tokyo",
        targets=[tokyo_x],
        title="Monet exhibition opens",
        texts={"fr": "L’exposition Monet ouvre ses portes à Tokyo.", "en": "The Monet exhibition opens in Tokyo."},
    )
    submitted_message(
        author=berlin,
        mission_or_code="emb-de-berlin",
        targets=[berlin_x],
        title="Franco-German youth office at 60",
        texts={"fr": "L’OFAJ a 60 ans.", "de": "Das DFJW wird 60."},
    )
    plans = [
        (cairo, "emb-eg-cairo", [cairo_x], "Francophonie week", 3),
        (tokyo, "emb-jp-tokyo", [tokyo_x], "Beaujolais nouveau evening", 50),
        (berlin, "emb-de-berlin", [berlin_x], "Film festival: French cinema", 74),
        (cairo, "emb-eg-cairo", [cairo_facebook], "Scholarships: applications open", 122),
        (tokyo, "emb-jp-tokyo", [tokyo_x], "Rugby: France–Japan", 170),
        (berlin, "emb-de-berlin", [berlin_x], "Consular hours in December", 218),
    ]
    for author, mission, targets, title, hours in plans:
        approved_message(
            approver=press,
            author=author,
            mission_or_code=mission,
            targets=targets,
            title=title,
            texts={"fr": f"{title}."},
            in_hours=hours,
        )
    failed = approved_message(
        approver=press,
        author=cairo,
        targets=[cairo_x, cairo_facebook],
        title="Evening of Arabic poetry",
        texts={"fr": "Soirée de poésie arabe.", "ar": "أمسية الشعر العربي."},
        in_hours=None,
    )
    now = timezone.now()
    for delivery in failed.deliveries.all():
        refused = delivery.account_id == cairo_facebook.pk and delivery.language == "ar"
        delivery.state = Delivery.State.FAILED if refused else Delivery.State.SENT
        delivery.state_changed_at = now - timedelta(minutes=12)
        if refused:
            delivery.last_error_kind = Delivery.ErrorKind.PERMANENT
            delivery.last_error = "Facebook refused the call: (#368) The action attempted has been deemed abusive"
            delivery.last_error_code = "network.refused_call"
            delivery.last_error_params = {
                "network": "facebook",
                "detail": "(#368) The action attempted has been deemed abusive",
            }
        delivery.save()
    # What the engine's summary would make of it (posts.services.summary), as it stands.
    Message.objects.filter(pk=failed.pk).update(state=Message.State.PARTIALLY_PUBLISHED)
    return cairo, [cairo_x, cairo_facebook]


def test_the_press_office_dashboard_queue_and_calendar_and_compose(live_server, login):
    press = press_officer(username="claire", first_name="Claire", last_name="Dupont")
    cairo, cairo_accounts = _the_day(press)

    page = login(press)
    page.goto(reverse("posts:dashboard"))
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    expect(page.get_by_text("National day reception").first).to_be_visible()
    expect(page.get_by_text("Evening of Arabic poetry").first).to_be_visible()
    shot(page, "dashboard-press")

    page.goto(reverse("posts:review_queue"))
    for title in ("National day reception", "Monet exhibition opens", "Franco-German youth office at 60"):
        expect(page.get_by_text(title).first).to_be_visible()
    shot(page, "review-queue")

    page.goto(reverse("posts:calendar") + "?view=month")
    expect(page.locator(".cal-entry").first).to_be_visible()
    shot(page, "calendar")

    writer = login(cairo)
    writer.goto(reverse("posts:message_create"))
    writer.get_by_label("Internal title").fill("Cultural season 2027")
    writer.locator("#id_text_fr").fill("La saison culturelle 2027 s’ouvre au Caire : concerts, cinéma et expositions.")
    if writer.locator("#tab-ar").is_visible():
        writer.locator("#tab-ar").click()
    writer.locator("#id_text_ar").fill("يفتتح الموسم الثقافي 2027 في القاهرة: حفلات موسيقية وسينما ومعارض.")
    expect(writer.locator("#id_text_ar")).to_have_attribute("dir", "rtl")
    for target in cairo_accounts:
        writer.locator(f"#id_targets_{target.pk}").check()
    expect(writer.get_by_text("Choose at least one account")).to_have_count(0)
    shot(writer, "compose")
