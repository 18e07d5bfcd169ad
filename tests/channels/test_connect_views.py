"""Connecting accounts from the web UI, end to end: our views, the network's SDK, and the
sandbox playing the network's authorization server and consent page."""

from html.parser import HTMLParser
from urllib.parse import urljoin, urlsplit

import pytest
import requests
from django.urls import reverse

from channels.models import SocialAccount
from embassies.models import Mission
from embassies.roles import Role
from tests.factories import MissionFactory, SocialAccountFactory, UserFactory
from tests.security.otp import force_verified_login

Status = SocialAccount.Status
NETWORKS = ["twitter", "facebook", "youtube", "flickr"]
# Sandbox account ids shaped like each network's own (X user id, Page id, channel id, NSID).
SANDBOX_IDS = {
    "twitter": "1790000000000000101",
    "facebook": "104000000000101",
    "youtube": "UCdiplomacyhubtest0000101",
    "flickr": "79000101@N00",
}


class _ConsentForm(HTMLParser):
    """The consent page's form: its action, inputs, and the #authorize / #deny buttons."""

    def __init__(self) -> None:
        super().__init__()
        self.action: str | None = None
        self.fields: dict[str, str] = {}
        self.buttons: dict[str, tuple[str, str]] = {}

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form" and self.action is None:
            self.action = attrs.get("action") or ""
        elif tag == "input" and attrs.get("name"):
            self.fields[attrs["name"]] = attrs.get("value") or ""
        elif tag == "button" and attrs.get("id"):
            self.buttons[attrs["id"]] = (attrs.get("name", ""), attrs.get("value", ""))


def consent(authorize_url: str, *, button: str = "authorize", **fields: str) -> str:
    """Open the sandbox's consent page as a browser would, submit its form with the button
    `#authorize` (or `#deny`), and return where the network sends the browser back (our
    callback URL, with the code and state in its query)."""
    page = requests.get(authorize_url, timeout=10)
    assert page.status_code == 200, page.text[:500]
    form = _ConsentForm()
    form.feed(page.text)
    assert button in form.buttons, f"no #{button} on the consent page"
    name, value = form.buttons[button]
    data = {**form.fields, **fields, name: value}
    answer = requests.post(urljoin(page.url, form.action or page.url), data=data, allow_redirects=False, timeout=10)
    assert answer.status_code in (301, 302, 303), answer.text[:500]
    return answer.headers["Location"]


def callback_path(location: str) -> str:
    """Our callback as the test client requests it: path and query of the URL."""
    parts = urlsplit(location)
    assert parts.path.startswith("/accounts/social/callback/"), location
    return f"{parts.path}?{parts.query}"


@pytest.fixture
def tokyo(db) -> Mission:
    return MissionFactory(name="Embassy of France in Japan", region=Mission.Region.ASIA_PACIFIC)


@pytest.fixture
def admin_client(client, db):
    force_verified_login(client, UserFactory(roles=[Role.ADMINISTRATOR]))
    return client


@pytest.fixture
def use_sandbox(settings, sandbox_url):
    settings.SANDBOX_URL = sandbox_url
    return sandbox_url


def pending(mission: Mission, network: str) -> SocialAccount:
    return SocialAccountFactory(
        mission=mission, network=network, status=Status.PENDING, handle="", network_account_id="", credentials=False
    )


def start_connect(client, account: SocialAccount, sandbox_url: str) -> str:
    response = client.post(reverse("channels:account_connect", args=[account.pk]))
    assert response.status_code == 302
    assert response.url.startswith(sandbox_url + "/"), response.url
    return response.url


@pytest.mark.parametrize("network", NETWORKS)
def test_account_connect_through_the_networks_consent_page(network, admin_client, tokyo, use_sandbox):
    """POST connect -> the sandbox's consent page -> #authorize -> our callback: the account
    is CONNECTED with the id the network gave, its credentials sealed and working."""
    account = pending(tokyo, network)
    authorize_url = start_connect(admin_client, account, use_sandbox)

    location = consent(
        authorize_url, account_id=SANDBOX_IDS[network], handle="FranceinJapan", display_name="France in Japan"
    )
    response = admin_client.get(callback_path(location))

    assert response.status_code == 302
    assert response.url == reverse("channels:account_detail", args=[account.pk])
    account.refresh_from_db()
    assert account.status == Status.CONNECTED
    assert account.network_account_id == SANDBOX_IDS[network]
    assert account.handle
    credentials = account.open_credentials()
    assert credentials.access_token.startswith(f"sbx.{network}.{SANDBOX_IDS[network]}.")
    assert credentials.access_token not in account.sealed_credentials
    # The pending connect is gone from the session: a callback is honoured once.
    assert not [key for key, _ in admin_client.session.items() if key.startswith("channels.connect.")]
    detail = admin_client.get(response.url)
    assert credentials.access_token not in detail.content.decode()


def test_account_callback_with_a_forged_state_stores_nothing(admin_client, tokyo, use_sandbox):
    account = pending(tokyo, "youtube")
    authorize_url = start_connect(admin_client, account, use_sandbox)
    location = consent(authorize_url, account_id=SANDBOX_IDS["youtube"])
    parts = urlsplit(location)
    forged = parts.query.replace("state=", "state=forged")

    response = admin_client.get(f"{parts.path}?{forged}")

    assert response.status_code == 400
    assert "does not match a connection started in this session" in response.content.decode()
    account.refresh_from_db()
    assert account.status == Status.PENDING
    assert (account.sealed_credentials, account.network_account_id) == ("", "")


def test_account_callback_without_a_state_stores_nothing(admin_client, tokyo, use_sandbox):
    account = pending(tokyo, "youtube")
    start_connect(admin_client, account, use_sandbox)

    response = admin_client.get(reverse("channels:account_callback", args=["youtube"]) + "?code=stolen")

    assert response.status_code == 400
    account.refresh_from_db()
    assert (account.status, account.sealed_credentials) == (Status.PENDING, "")


def test_account_callback_from_another_session_stores_nothing(admin_client, client_factory_admin, tokyo, use_sandbox):
    """A callback URL carried into another administrator's browser (login CSRF, a leaked
    link) does not connect anything there."""
    account = pending(tokyo, "youtube")
    location = consent(start_connect(admin_client, account, use_sandbox), account_id=SANDBOX_IDS["youtube"])

    response = client_factory_admin.get(callback_path(location))

    assert response.status_code == 400
    account.refresh_from_db()
    assert account.status == Status.PENDING


def test_account_callback_is_honoured_once(admin_client, tokyo, use_sandbox):
    account = pending(tokyo, "flickr")
    location = consent(start_connect(admin_client, account, use_sandbox), account_id=SANDBOX_IDS["flickr"])
    assert admin_client.get(callback_path(location)).status_code == 302
    sealed = SocialAccount.objects.get(pk=account.pk).sealed_credentials

    replay = admin_client.get(callback_path(location))

    assert replay.status_code == 400
    assert SocialAccount.objects.get(pk=account.pk).sealed_credentials == sealed


def test_account_callback_after_the_administrator_denied(admin_client, tokyo, use_sandbox):
    account = pending(tokyo, "youtube")
    location = consent(start_connect(admin_client, account, use_sandbox), button="deny")

    response = admin_client.get(callback_path(location))

    assert response.status_code == 400
    assert "Nothing was stored" in response.content.decode()
    account.refresh_from_db()
    assert (account.status, account.sealed_credentials) == (Status.PENDING, "")


def test_account_connect_refuses_an_account_already_connected_to_another_mission(admin_client, tokyo, use_sandbox):
    connected = pending(tokyo, "twitter")
    location = consent(start_connect(admin_client, connected, use_sandbox), account_id=SANDBOX_IDS["twitter"])
    assert admin_client.get(callback_path(location)).status_code == 302
    other = pending(MissionFactory(name="Embassy of France in Germany"), "twitter")

    location = consent(start_connect(admin_client, other, use_sandbox), account_id=SANDBOX_IDS["twitter"])
    response = admin_client.get(callback_path(location))

    assert response.status_code == 400
    expected = "This X account is already connected for another mission: Embassy of France in Japan."
    assert expected in response.content.decode()
    other.refresh_from_db()
    assert other.status == Status.PENDING
    assert (other.sealed_credentials, other.network_account_id) == ("", "")


def test_account_reconnect_of_an_expired_account(admin_client, tokyo, use_sandbox):
    """Reconnecting the same network account (same id) onto its own row is allowed."""
    account = pending(tokyo, "flickr")
    location = consent(start_connect(admin_client, account, use_sandbox), account_id=SANDBOX_IDS["flickr"])
    admin_client.get(callback_path(location))
    SocialAccount.objects.filter(pk=account.pk).update(status=Status.EXPIRED)

    location = consent(start_connect(admin_client, account, use_sandbox), account_id=SANDBOX_IDS["flickr"])
    response = admin_client.get(callback_path(location))

    assert response.status_code == 302
    assert SocialAccount.objects.get(pk=account.pk).status == Status.CONNECTED


# --- Registration, list, and the other actions ------------------------------------------------------


def test_account_register_through_the_form(admin_client, tokyo):
    response = admin_client.post(
        reverse("channels:account_register"),
        {
            "mission": tokyo.pk,
            "network": "youtube",
            "is_sandbox": "on",
            "handle": "",
        },
    )

    account = SocialAccount.objects.get(mission=tokyo, network="youtube")
    assert response.status_code == 302
    assert response.url == reverse("channels:account_detail", args=[account.pk])
    assert (account.status, account.is_sandbox) == (Status.PENDING, True)


def test_account_list_groups_accounts_by_mission_with_their_health(admin_client, tokyo, django_assert_max_num_queries):
    missions = [tokyo, *MissionFactory.create_batch(4)]
    for mission in missions:
        for network in NETWORKS:
            SocialAccountFactory(mission=mission, network=network)
    SocialAccount.objects.filter(mission=tokyo, network="twitter").update(status=Status.EXPIRED)

    with django_assert_max_num_queries(12):
        response = admin_client.get(reverse("channels:account_list"), {"region": "Asia-Pacific"})

    page = response.content.decode()
    assert response.status_code == 200
    assert "Embassy of France in Japan" in page
    assert "Expired: reconnect" in page


def test_account_list_filters_by_network_and_status(admin_client, tokyo):
    expired = SocialAccountFactory(mission=tokyo, network="twitter", status=Status.EXPIRED, handle="@Expired1")
    SocialAccountFactory(mission=tokyo, network="flickr", handle="@Flickr1")

    page = admin_client.get(
        reverse("channels:account_list"), {"network": "twitter", "status": "expired"}
    ).content.decode()

    assert expired.handle in page
    assert "@Flickr1" not in page


def test_account_disconnect_and_disable_from_the_detail_page(admin_client, tokyo):
    account = SocialAccountFactory(mission=tokyo, network="twitter")

    assert admin_client.post(reverse("channels:account_disconnect", args=[account.pk])).status_code == 302
    account.refresh_from_db()
    assert (account.status, account.sealed_credentials) == (Status.PENDING, "")

    assert admin_client.post(reverse("channels:account_disable", args=[account.pk])).status_code == 302
    account.refresh_from_db()
    assert account.status == Status.DISABLED


def test_account_check_queues_a_health_check_after_commit(admin_client, tokyo, django_capture_on_commit_callbacks):
    account = SocialAccountFactory(mission=tokyo, network="twitter")

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = admin_client.post(reverse("channels:account_check", args=[account.pk]))

    assert response.status_code == 302
    assert len(callbacks) == 1


CHANGES = ["account_connect", "account_disconnect", "account_disable", "account_check"]


@pytest.mark.parametrize("name", CHANGES)
def test_account_changes_are_post_only(admin_client, tokyo, name):
    account = SocialAccountFactory(mission=tokyo)

    assert admin_client.get(reverse(f"channels:{name}", args=[account.pk])).status_code == 405


# --- Who may do what -------------------------------------------------------------------------------------


@pytest.fixture
def client_factory_admin(db):
    from django.test import Client

    other = Client()
    force_verified_login(other, UserFactory(roles=[Role.ADMINISTRATOR]))
    return other


@pytest.mark.parametrize("role", [Role.OFFICER, Role.PRESS_OFFICE, Role.CRISIS_UNIT])
def test_only_administrators_manage_accounts(client, tokyo, role):
    account = SocialAccountFactory(mission=tokyo)
    force_verified_login(client, UserFactory(roles=[role], missions=[tokyo] if role == Role.OFFICER else []))

    assert client.get(reverse("channels:account_register")).status_code == 403
    assert (
        client.post(reverse("channels:account_register"), {"mission": tokyo.pk, "network": "twitter"}).status_code
        == 403
    )
    for name in CHANGES:
        assert client.post(reverse(f"channels:{name}", args=[account.pk])).status_code == 403, name
    account.refresh_from_db()
    assert account.status == Status.CONNECTED
    # They may look: officers at their missions' accounts, the press office at all.
    assert client.get(reverse("channels:account_detail", args=[account.pk])).status_code == 200
    assert client.get(reverse("channels:account_list")).status_code == 200


def test_another_missions_account_is_not_found_for_an_officer(client, tokyo):
    account = SocialAccountFactory(mission=tokyo, handle="@FranceinJapanX")
    client.force_login(UserFactory(roles=[Role.OFFICER], missions=[MissionFactory()]))

    assert client.get(reverse("channels:account_detail", args=[account.pk])).status_code == 404
    for name in CHANGES:
        assert client.post(reverse(f"channels:{name}", args=[account.pk])).status_code == 404, name
    assert account.handle not in client.get(reverse("channels:account_list")).content.decode()


def test_the_django_admin_is_closed_to_officers_and_the_press_office(client, tokyo):
    account = SocialAccountFactory(mission=tokyo)
    for role in (Role.OFFICER, Role.PRESS_OFFICE):
        force_verified_login(client, UserFactory(roles=[role], missions=[tokyo], is_staff=True))
        for url in (
            reverse("admin:channels_socialaccount_changelist"),
            reverse("admin:channels_socialaccount_change", args=[account.pk]),
        ):
            assert client.get(url).status_code == 403, (role, url)


def test_anonymous_visitors_are_sent_to_the_login_page(client, tokyo):
    account = SocialAccountFactory(mission=tokyo)

    for url in (
        reverse("channels:account_list"),
        reverse("channels:account_detail", args=[account.pk]),
        reverse("channels:account_callback", args=["twitter"]),
    ):
        response = client.get(url)
        assert response.status_code == 302
        assert response.url.startswith(reverse("login"))
