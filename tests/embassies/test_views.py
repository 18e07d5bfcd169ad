"""The missions directory and detail pages, the dashboard, and the shared layout."""

import re

import pytest
from django.urls import reverse

from embassies.roles import Role
from tests.factories import SocialAccountFactory, UserFactory, mission
from tests.security.otp import force_verified_login

pytestmark = pytest.mark.django_db


@pytest.fixture
def officer():
    return UserFactory(username="officer-t", roles=[Role.OFFICER], missions=["emb-jp-tokyo", "emb-eg-cairo"])


@pytest.fixture
def press():
    return UserFactory(username="press-t", roles=[Role.PRESS_OFFICE])


def test_mission_detail_of_another_mission_is_not_found_for_an_officer(client, officer):
    client.force_login(officer)
    assert client.get(reverse("embassies:mission_detail", args=["emb-jp-tokyo"])).status_code == 200
    response = client.get(reverse("embassies:mission_detail", args=["emb-de-berlin"]))
    assert response.status_code == 404
    assert "Embassy of France in Germany" not in response.text


def test_mission_list_shows_an_officer_only_their_missions(client, officer):
    client.force_login(officer)
    response = client.get(reverse("embassies:mission_list"))
    assert response.status_code == 200
    assert [m.code for m in response.context["page"].object_list] == ["emb-eg-cairo", "emb-jp-tokyo"]  # by name
    assert "Embassy of France in Germany" not in response.text


def test_mission_list_filters_by_region_kind_and_search(client, press):
    force_verified_login(client, press)
    url = reverse("embassies:mission_list")
    response = client.get(url, {"region": "Americas", "kind": "consulate", "q": "new york"})
    assert [m.code for m in response.context["page"].object_list] == ["cg-us-new-york"]
    assert response.context["page"].paginator.count == 1
    assert client.get(url, {"kind": "delegation"}).context["page"].paginator.count == 16


def test_mission_list_paginates_and_keeps_the_filters_in_its_links(client, press):
    force_verified_login(client, press)
    response = client.get(reverse("embassies:mission_list"), {"kind": "embassy"})
    page = response.context["page"]
    assert page.paginator.count == 163
    assert len(page.object_list) == 50
    assert "?kind=embassy&amp;page=2" in response.text
    assert client.get(reverse("embassies:mission_list"), {"kind": "embassy", "page": 4}).status_code == 200


def test_mission_list_shows_each_missions_local_time(client, press, settings):
    force_verified_login(client, press)
    response = client.get(reverse("embassies:mission_list"), {"q": "emb-jp-tokyo"})
    assert "JST" in response.text  # Asia/Tokyo's abbreviation, whatever the server's zone


def test_mission_list_costs_a_constant_number_of_queries(client, press, django_assert_max_num_queries):
    force_verified_login(client, press)
    with django_assert_max_num_queries(8):
        client.get(reverse("embassies:mission_list"))


def test_mission_detail_lists_the_missions_social_accounts(client, officer):
    SocialAccountFactory(mission=mission("emb-jp-tokyo"), handle="@FranceinJapan")
    client.force_login(officer)
    response = client.get(reverse("embassies:mission_detail", args=["emb-jp-tokyo"]))
    assert "@FranceinJapan" in response.text
    assert "Asia/Tokyo" in response.text


def test_dashboard_shows_an_officer_their_missions(client, officer):
    client.force_login(officer)
    response = client.get(reverse("posts:dashboard"))
    assert response.status_code == 200
    assert "Embassy of France in Japan" in response.text
    assert "Embassy of France in Egypt" in response.text
    assert "Embassy of France in Germany" not in response.text


def test_navigation_shows_only_what_the_role_may_open(client, officer):
    admin = UserFactory(username="admin-t", roles=[Role.ADMINISTRATOR], is_staff=True)
    client.force_login(officer)
    page = client.get(reverse("posts:dashboard")).text
    assert reverse("embassies:mission_list") in page
    assert reverse("admin:index") not in page
    force_verified_login(client, admin)
    assert reverse("admin:index") in client.get(reverse("posts:dashboard")).text


def test_a_user_without_role_is_told_so(client):
    client.force_login(UserFactory(username="nobody"))
    response = client.get(reverse("posts:dashboard"))
    assert "No role yet" in response.text
    assert reverse("embassies:mission_list") not in response.text


def test_every_page_carries_the_csrf_header_for_htmx_and_no_inline_script(client, officer):
    client.force_login(officer)
    page = client.get(reverse("posts:dashboard")).text
    assert 'hx-headers=\'{"X-CSRFToken": "' in page
    assert "/static/django_htmx/htmx-2.min.js" in page
    assert "<script>" not in page
    assert "cdn" not in page.lower()


def test_logout_is_a_post_from_the_user_menu(client, officer):
    client.force_login(officer)
    page = client.get(reverse("posts:dashboard")).text
    assert f'<form action="{reverse("logout")}" method="post">' in page
    response = client.post(reverse("logout"))
    assert response.status_code == 302
    assert client.get(reverse("posts:dashboard")).status_code == 302  # logged out


def test_login_logs_in_and_goes_to_the_dashboard(client):
    UserFactory(username="someone", roles=[Role.PRESS_OFFICE])
    credentials = {"username": "someone", "password": "correct horse battery staple"}
    response = client.post(reverse("login"), credentials)
    assert response.status_code == 302
    assert response["Location"] == reverse("posts:dashboard")


def test_login_with_a_wrong_password_shows_the_error_and_keeps_the_username(client):
    UserFactory(username="someone")
    response = client.post(reverse("login"), {"username": "someone", "password": "wrong"})
    assert response.status_code == 200
    assert 'role="alert"' in response.text
    assert 'value="someone"' in response.text


def test_login_page_hides_the_demo_users_unless_asked(client):
    """The hint appears only where the login view sets `show_demo_users` (DEBUG)."""
    assert "seed_demo" not in client.get(reverse("login")).text


def test_password_change_pages(client, officer):
    client.force_login(officer)
    assert client.get(reverse("password_change")).status_code == 200
    response = client.post(
        reverse("password_change"),
        {
            "old_password": "correct horse battery staple",
            "new_password1": "a new and long passphrase",
            "new_password2": "a new and long passphrase",
        },
    )
    assert response["Location"] == reverse("password_change_done")
    assert client.get(reverse("password_change_done")).status_code == 200


def test_page_in_french_after_switching_language(client, officer):
    client.force_login(officer)
    next_url = reverse("embassies:mission_list")
    response = client.post(reverse("set_language"), {"language": "fr", "next": next_url})
    assert response.status_code == 302
    page = client.get(reverse("embassies:mission_list")).text
    assert '<html lang="fr" dir="ltr">' in page
    assert "Tableau de bord" in page
    assert "Ambassade" in page  # the kind, from the model's choices


@pytest.mark.parametrize(
    ("language", "html", "dashboard"),
    [
        ("es", '<html lang="es" dir="ltr">', "Panel"),
        ("de", '<html lang="de" dir="ltr">', "Übersicht"),
        ("ar", '<html lang="ar" dir="rtl">', "لوحة المتابعة"),
    ],
)
def test_page_in_each_language_after_switching(client, officer, language, html, dashboard):
    """Arabic is read right to left: the whole page says so, and the browser mirrors it."""
    client.force_login(officer)
    next_url = reverse("embassies:mission_list")
    client.post(reverse("set_language"), {"language": language, "next": next_url})
    page = client.get(next_url).text
    assert html in page
    assert f">{dashboard}</a>" in page


def test_the_switcher_offers_each_language_in_its_own_name(client, officer):
    client.force_login(officer)
    page = client.get(reverse("embassies:mission_list")).text
    for code, name in [("en", "English"), ("fr", "Français"), ("es", "Español"), ("de", "Deutsch"), ("ar", "العربيّة")]:
        assert re.search(rf'value="{code}" lang="{code}"\s+aria-pressed="(true|false)">\s*{name}\s*</button>', page), (
            code
        )


def test_styled_404_page(client, officer):
    client.force_login(officer)
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    assert "Page not found" in response.text


def test_styled_403_page(rf, officer):
    from diplomacy_hub.errors import permission_denied

    request = rf.get("/")
    request.user = officer
    response = permission_denied(request)
    assert response.status_code == 403
    assert "You may not do this" in response.content.decode()


def test_500_page_renders_without_any_context():
    from diplomacy_hub.errors import server_error

    response = server_error(None)
    assert response.status_code == 500
    assert "Something went wrong" in response.content.decode()
