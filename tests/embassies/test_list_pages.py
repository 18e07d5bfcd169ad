"""The list pages (missions, staff, social accounts, the audit log) share their filter bar and
their pagination: every list is cut into pages, and the filters stay set from page to page,
both in the form and in the links."""

from html.parser import HTMLParser
from urllib.parse import parse_qs, urlsplit

import pytest
from django.urls import reverse

from embassies.models import Mission
from embassies.roles import Role
from tests.factories import SocialAccountFactory, UserFactory, mission
from tests.security.otp import force_verified_login

pytestmark = pytest.mark.django_db


class _ListPage(HTMLParser):
    """What a list page shows of its filters: the filter bar's values, its "Clear" link, its
    inputs' aria-describedby and the ids they may point at, and the pagination's links."""

    def __init__(self, html: str) -> None:
        super().__init__()
        self.values: dict[str, str] = {}
        self.clear: str | None = None
        self.described_by: dict[str, str] = {}
        self.ids: set[str] = set()
        self.page_links: dict[str, str] = {}
        self._in_filters = self._in_pagination = False
        self._select: str | None = None
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if attrs.get("id"):
            self.ids.add(attrs["id"])
        if tag == "form" and attrs.get("class") == "filters":
            self._in_filters = True
        elif tag == "nav" and attrs.get("class") == "pagination":
            self._in_pagination = True
        elif self._in_filters and tag in ("input", "select") and attrs.get("name"):
            self.values.setdefault(attrs["name"], attrs.get("value") or "")
            if attrs.get("aria-describedby"):
                self.described_by[attrs["name"]] = attrs["aria-describedby"]
            self._select = attrs["name"] if tag == "select" else None
        elif self._in_filters and tag == "option" and self._select and "selected" in attrs:
            self.values[self._select] = attrs.get("value") or ""
        elif self._in_filters and tag == "a":
            self.clear = attrs["href"]
        elif self._in_pagination and tag == "a":
            self.page_links[attrs["rel"]] = attrs["href"]

    def handle_endtag(self, tag):
        if tag == "form":
            self._in_filters = False
        elif tag == "nav":
            self._in_pagination = False
        elif tag == "select":
            self._select = None


@pytest.fixture
def admin(client):
    user = UserFactory(username="admin-lists", roles=[Role.ADMINISTRATOR])
    force_verified_login(client, user)
    return user


def _staff(count: int) -> None:
    for n in range(count):
        UserFactory(username=f"press-list-{n}", roles=[Role.PRESS_OFFICE])


def _accounts(count: int) -> None:
    codes = ["emb-al-tirana", "emb-at-vienna", "emb-be-brussels", "emb-bg-sofia", "emb-de-berlin", "emb-gr-athens"]
    for code in codes[:count]:
        SocialAccountFactory(mission=mission(code), network="twitter")


# name: (URL name, page size setting, set-up, filters that keep more than two rows)
LISTS = {
    "missions": (
        "embassies:mission_list",
        "embassies.views.MISSIONS_PER_PAGE",
        None,
        {"q": "emb-", "region": "Europe", "kind": "embassy"},
    ),
    "staff": (
        "embassies:staff_list",
        "embassies.views.STAFF_PER_PAGE",
        _staff,
        {"q": "press-list", "role": Role.PRESS_OFFICE},
    ),
    "accounts": (
        "channels:account_list",
        "channels.views.ACCOUNTS_PER_PAGE",
        _accounts,
        {"region": "Europe", "network": "twitter", "status": "connected"},
    ),
    "audit log": (
        "audit:log",
        "audit.views.EVENTS_PER_PAGE",
        _staff,
        {"action": "role.grant", "actor": "", "date_from": "", "date_to": ""},
    ),
}


@pytest.mark.parametrize("name", LISTS)
def test_a_list_page_is_cut_into_pages_that_keep_the_filters(client, admin, monkeypatch, name):
    url_name, page_size, set_up, filters = LISTS[name]
    monkeypatch.setattr(page_size, 2)
    if set_up:
        set_up(6)

    response = client.get(reverse(url_name), {**filters, "page": 2})

    page = _ListPage(response.text)
    assert response.status_code == 200
    assert response.context["page"].number == 2
    assert len(response.context["page"].object_list) == 2
    assert page.values == filters  # the form shows the filters it applied
    for rel, number in (("prev", "1"), ("next", "3")):
        query = parse_qs(urlsplit(page.page_links[rel]).query)
        assert query == {**{key: [value] for key, value in filters.items() if value}, "page": [number]}


@pytest.mark.parametrize("name", LISTS)
def test_clear_shows_once_a_filter_is_set_and_a_page_number_is_not_one(client, admin, monkeypatch, name):
    url_name, page_size, set_up, filters = LISTS[name]
    monkeypatch.setattr(page_size, 2)
    if set_up:
        set_up(6)
    url = reverse(url_name)

    assert _ListPage(client.get(url, {"page": 2}).text).clear is None
    assert _ListPage(client.get(url, {**filters, "page": 2}).text).clear == url


def test_an_invalid_filter_is_ignored_and_shown_with_its_error(client, admin):
    response = client.get(reverse("embassies:mission_list"), {"region": "Atlantis", "kind": "consulate"})

    assert response.context["page"].paginator.count == Mission.objects.filter(kind="consulate").count()
    assert 'aria-invalid="true"' in response.text
    assert "Select a valid choice" in response.text
    page = _ListPage(response.text)
    assert page.described_by["region"] in page.ids


def test_every_filter_hint_is_on_the_page_its_input_points_at(client, admin):
    """The audit log's action filter explains its prefix search; the input's aria-describedby
    names the hint's id."""
    response = client.get(reverse("audit:log"))

    page = _ListPage(response.text)
    assert page.described_by["action"] in page.ids
    assert "auth. for every login event" in response.text


def test_the_staff_list_costs_the_same_queries_for_one_person_or_a_full_page(
    client, admin, django_assert_max_num_queries
):
    url = reverse("embassies:staff_list")
    client.get(url)  # warm the session
    with django_assert_max_num_queries(20) as few:
        client.get(url)
    for n in range(60):
        UserFactory(username=f"officer-list-{n}", roles=[Role.OFFICER], missions=["emb-jp-tokyo", "emb-eg-cairo"])

    with django_assert_max_num_queries(len(few.captured_queries)):
        response = client.get(url)

    assert len(response.context["page"].object_list) == 50
