"""Journey 7 (issue 13): an officer of the Cairo embassy who reads French writes a message
too long for X and with no title for YouTube: the live preview, then the refused submit,
say every problem in French, beside its field, and no sentence of ours in English."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from channels.models import Network
from tests.posts.factories import account, officer

from .helpers import shot

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(90)]

ENGLISH = ("too long for", "needs a title", "needs a video", "No text in", "Choose at least one account")


def test_an_officer_reading_french_sees_compose_problems_in_french(live_server, login):
    x_account = account("emb-eg-cairo", Network.TWITTER, handle="@FranceEgypte")
    youtube = account("emb-eg-cairo", Network.YOUTUBE, handle="FranceEgypteTV")
    author = officer("emb-eg-cairo", username="amira", first_name="Amira", last_name="Haddad")

    page = login(author)
    page.context.add_cookies([{"name": "django_language", "value": "fr", "url": live_server.url}])
    page.goto("/messages/new/")
    page.get_by_label("Titre interne").fill("Fête nationale au Caire")
    page.locator("#id_text_fr").fill("é" * 296)
    page.locator(f"#id_targets_{x_account.pk}").check()
    page.locator(f"#id_targets_{youtube.pk}").check()

    # The live preview, as one types.
    preview = page.locator("#preview")
    expect(preview.get_by_text("Le texte dépasse de 16 caractères la limite de X (296 sur 280).")).to_be_visible()
    expect(preview.get_by_text("YouTube demande un titre.")).to_be_visible()
    expect(preview.get_by_text("Pas de texte en arabe et anglais", exact=False)).to_be_visible()
    for english in ENGLISH:
        expect(preview.get_by_text(english, exact=False)).to_have_count(0)

    # Submitting: refused, each problem beside its field, in French.
    page.get_by_role("button", name="Soumettre à validation").click()
    expect(page.locator("#id_text_fr_error")).to_contain_text("Le texte dépasse de 16 caractères la limite de X")
    expect(page.get_by_text("YouTube demande une vidéo.", exact=False).first).to_be_visible()
    body = page.locator("body").inner_text()
    for english in ENGLISH:
        assert english not in body, english
    shot(page, "compose-problems-in-french", full_page=False)
