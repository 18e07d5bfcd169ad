"""Journey 5: an officer cannot open another mission's message: not found, as if it did not
exist (its existence does not leak)."""

from __future__ import annotations

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from tests.posts.factories import draft_message, officer

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(60)]


def test_an_officer_gets_404_for_another_missions_message(live_server, login):
    cairo = officer("emb-eg-cairo", username="officer-cairo")
    secret = draft_message(
        author=cairo, mission_or_code="emb-eg-cairo", title="Cairo's private draft", texts={"fr": "Réception au Caire."}
    )
    tokyo = officer("emb-jp-tokyo", username="officer-tokyo")
    page = login(tokyo)
    for url in (reverse("posts:message_detail", args=[secret.pk]), reverse("posts:monitor", args=[secret.pk])):
        response = page.goto(url)
        assert response.status == 404, url
        expect(page.get_by_role("heading", name="Page not found")).to_be_visible()
        expect(page.get_by_text("Cairo's private draft")).to_have_count(0)
    # Their own mission's pages open.
    assert page.goto(reverse("embassies:mission_detail", args=["emb-jp-tokyo"])).status == 200
