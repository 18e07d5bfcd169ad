"""With DEBUG on (the demo's training servers), a refused or unknown address shows the app's
own 404 and 403 pages, never Django's technical 404 that lists every URL pattern."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from embassies.roles import Role
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db
TECHNICAL = ("URLconf", "DEBUG = True", "Django tried these URL patterns")


@pytest.fixture
def debug(settings):
    settings.DEBUG = True


@pytest.fixture
def officer_client():
    officer = UserFactory(roles=[Role.OFFICER], missions=["emb-jp-tokyo"])
    client = Client()
    client.force_login(officer)
    return client


def assert_our_404(response) -> None:
    assert response.status_code == 404
    assert "Page not found" in response.text
    for words in TECHNICAL:
        assert words not in response.text


def test_an_unknown_address_shows_our_404_with_debug_on(debug, officer_client):
    assert_our_404(Client().get("/no-such-page/"))
    assert_our_404(officer_client.get("/no/such/page/"))


def test_another_missions_page_shows_our_404_with_debug_on(debug, officer_client):
    assert_our_404(officer_client.get(reverse("embassies:mission_detail", args=["emb-de-berlin"])))


def test_a_refused_page_shows_our_403_with_debug_on(debug, officer_client):
    response = officer_client.get(reverse("embassies:staff_list"))
    assert response.status_code == 403
    assert "Traceback" not in response.text
    assert '<main id="main"' in response.text


def test_a_missing_slash_is_still_redirected_with_debug_on(debug, officer_client):
    response = officer_client.get("/missions/staff")
    assert response.status_code == 301
    assert response["Location"] == "/missions/staff/"


def test_our_404_with_debug_off_too(officer_client):
    assert_our_404(officer_client.get("/no-such-page/"))
    assert_our_404(officer_client.get(reverse("embassies:mission_detail", args=["emb-de-berlin"])))
