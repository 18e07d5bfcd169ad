"""The security suite's world: two missions (A, Tokyo; B, Berlin), one user per role, and
an object of each kind that a URL can name, made through the services.

Users: `officer_a` and `author_a` (officers of A; `author_a` wrote A's messages), `officer_b`
(officer of B), `press` and `press2` (press office), `crisis` and `crisis2` (crisis unit),
`admin` (administrator, staff: opens the Django admin).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.test import Client, override_settings
from django.utils import timezone

from channels.adapters.listening import HeardItem, ItemKind
from channels.models import Network
from conversations.models import Conversation, RawEvent
from conversations.services import triage
from conversations.services.ingest import items_ingest
from globaltime.models import Desk, Occasion
from live.media_samples import png_bytes
from posts.models import Delivery, Message, PublishingPause
from posts.services.crisis import crisis_alert_create
from posts.services.messages import attachment_add, comment_add, message_create
from posts.services.pause import publishing_pause
from posts.services.review import message_approve, message_submit
from tests.posts.conftest import FakeAdapter
from tests.posts.factories import account, administrator, crisis_member, mission, officer, press_officer
from tests.security.invitations import task_queue  # noqa: F401 (a fixture)
from tests.security.otp import force_verified_login, verified_client  # noqa: F401 (a fixture)

MISSION_A = "emb-jp-tokyo"
MISSION_B = "emb-de-berlin"
ROLES = ("anonymous", "officer_a", "officer_b", "press", "crisis", "admin")


def _offline(monkeypatch) -> dict[str, FakeAdapter]:
    adapters: dict[str, FakeAdapter] = {}
    monkeypatch.setattr(
        "posts.validation.adapter_for",
        lambda account: adapters.setdefault(account.network, FakeAdapter(account.network)),
    )
    monkeypatch.setattr("posts.services.review.kick_dispatcher", lambda: None)
    return adapters


@pytest.fixture(autouse=True)
def _offline_publishing(monkeypatch, settings, tmp_path, request):
    """Validation by in-memory adapters (the networks' main rules), uploads in a temporary
    MEDIA_ROOT (the module's, where the module's world keeps its attachment), and no
    dispatcher kick sent to a broker."""
    adapters = _offline(monkeypatch)
    if "world_of_the_module" in request.fixturenames:
        settings.MEDIA_ROOT = str(request.getfixturevalue("_module_media"))
    else:
        settings.MEDIA_ROOT = str(tmp_path / "media")
    return adapters


@dataclass
class World:
    mission_a: object
    mission_b: object
    users: dict
    account_a: object
    account_b: object
    message_a: Message  # in review, by author_a, with an attachment and a comment
    attachment_a: object
    approved_a: Message  # scheduled in two hours, approved by press
    delivery_a: Delivery
    message_b: Message  # in review, mission B
    pause: PublishingPause
    alert: Message  # a crisis alert in review, by crisis2
    conversation_a: Conversation  # a comment heard on account_a
    desk: Desk  # a regional review desk
    occasion_a: Occasion  # mission A's own recurring day

    def client(self, role: str) -> Client:
        """A test client logged in (and verified) as the role's user; anonymous: none."""
        client = Client()
        if role != "anonymous":
            force_verified_login(client, self.users[role])
        return client


def build_world(
    *,
    title: str = "National day reception",
    text: str = "Réception pour la fête nationale.",
    comment: str = "Looks good.",
    file_name: str = "photo.png",
) -> World:
    mission_a, mission_b = mission(MISSION_A), mission(MISSION_B)
    users = {
        "officer_a": officer(mission_a, username="officer-a"),
        "author_a": officer(mission_a, username="author-a"),
        "officer_b": officer(mission_b, username="officer-b"),
        "press": press_officer(username="press-1"),
        "press2": press_officer(username="press-2"),
        "crisis": crisis_member(username="crisis-1"),
        "crisis2": crisis_member(username="crisis-2"),
        "admin": administrator(username="admin-1", is_staff=True),
    }
    account_a = account(mission_a, Network.TWITTER)
    account_b = account(mission_b, Network.TWITTER)
    author = users["author_a"]
    message_a = message_create(
        actor=author,
        mission=mission_a,
        title=title,
        texts={"fr": text, "ja": "日本語の本文。"},
        target_ids=[account_a.pk],
    )
    attachment = attachment_add(
        actor=author,
        message_id=message_a.pk,
        alt_text="A photo",
        uploaded_file=SimpleUploadedFile(file_name, png_bytes(), "image/png"),
    )
    message_submit(actor=author, message_id=message_a.pk)
    comment_add(actor=users["press"], message_id=message_a.pk, body=comment)
    approved = message_create(
        actor=author,
        mission=mission_a,
        title=f"{title[:180]} (approved)",
        texts={"fr": "Bonjour.", "ja": "こんにちは。"},
        target_ids=[account_a.pk],
    )
    message_submit(actor=author, message_id=approved.pk)
    message_approve(actor=users["press"], message_id=approved.pk, publish_at=timezone.now() + timedelta(hours=2))
    message_b = message_create(
        actor=users["officer_b"],
        mission=mission_b,
        title="Berlin message",
        texts={"de": "Guten Tag.", "fr": "Bonjour."},
        target_ids=[account_b.pk],
    )
    message_submit(actor=users["officer_b"], message_id=message_b.pk)
    pause = publishing_pause(actor=users["press"], scope="network", value="flickr", reason="Flickr outage")
    alert = crisis_alert_create(
        actor=users["crisis2"], title="Stay indoors", texts={"fr": "Restez chez vous."}, scope={"countries": ["JP"]}
    )
    message_submit(actor=users["crisis2"], message_id=alert.pk)
    return World(
        mission_a=mission_a,
        mission_b=mission_b,
        users=users,
        account_a=account_a,
        account_b=account_b,
        message_a=Message.objects.get(pk=message_a.pk),
        attachment_a=attachment,
        approved_a=Message.objects.get(pk=approved.pk),
        delivery_a=approved.deliveries.order_by("pk").first(),
        message_b=Message.objects.get(pk=message_b.pk),
        pause=pause,
        alert=Message.objects.get(pk=alert.pk),
        conversation_a=_conversation(account_a),
        desk=Desk.objects.create(
            name=f"Asia desk {title[:60]}", time_zone="Asia/Tokyo", regions=["Asia-Pacific"], weekdays=[0, 1, 2, 3, 4]
        ),
        occasion_a=Occasion.objects.create(
            mission=mission_a, title=title, day=date(2026, 7, 14), recurring=True, created_by=author
        ),
    )


def _conversation(account_a) -> Conversation:
    said = HeardItem(
        network=account_a.network,
        external_id="heard-a-1",
        kind=ItemKind.REPLY,
        thread_id="thread-a",
        author_id="public-1",
        author_name="A member of the public",
        text="When does the consulate open?",
        created_at=timezone.now(),
        url="https://x.com/i/web/status/heard-a-1",
    )
    items_ingest(account=account_a, items=[said], source=RawEvent.Source.POLL)
    return Conversation.objects.get(account=account_a, thread_id="thread-a")


@pytest.fixture
def world(db) -> World:
    return build_world()


@pytest.fixture(scope="module")
def _module_media(tmp_path_factory):
    return tmp_path_factory.mktemp("media")


@pytest.fixture(scope="module")
def world_of_the_module(django_db_setup, django_db_blocker, _module_media):
    """One world for a module whose tests only make requests and roll each back (the
    fuzzing: hundreds of tests, where building a world per test was most of their time).
    Built once in a transaction held open across the module, inside which each test runs
    on a savepoint of its own (pytest-django's `db`); the whole is rolled back after the
    module's last test. A test takes it through a function fixture of its module that
    requires `db` and returns `dataclasses.replace(world_of_the_module)`: a World of its
    own (caches keyed by the world's id are the test's), holding the same rows."""
    with django_db_blocker.unblock(), pytest.MonkeyPatch.context() as monkeypatch:
        outer = transaction.atomic()
        outer.__enter__()
        with override_settings(MEDIA_ROOT=str(_module_media)):
            _offline(monkeypatch)
            triage.rules_changed()  # the rules of this database, as each test reads them
            world = build_world()
    try:
        yield world
    finally:
        with django_db_blocker.unblock():
            transaction.set_rollback(True)
            outer.__exit__(None, None, None)


# --- A network that connects without the network: the connect flow's contract, in memory ---------

CANARY = {
    "access": "canary-access-7Hq2Lx9Vw",
    "refresh": "canary-refresh-3Jd8Pz1Ka",
    "verifier": "canary-verifier-5Rt6Ym0Qb",
    "code": "canary-code-9Fs4Nc2Wd",
    "password": "canary-password-8Gv1Ze7Uo",
}


class FakeConnectFlow:
    """Starts with a state and a PKCE verifier (kept in the session, sealed); finishes with
    canary credentials. Anything that leaks them is found by searching for the canaries."""

    def start(self, *, redirect_uri: str):
        from channels.adapters.base import ConnectStart

        return ConnectStart(
            authorize_url="https://x.com/i/oauth2/authorize?state=state-123",
            keep={"state": "state-123", "code_verifier": CANARY["verifier"]},
        )

    connected = 0

    def finish(self, *, redirect_uri: str, callback_params: dict, kept: dict):
        from channels.adapters.base import AccountInfo, Connected, Credentials

        assert kept["code_verifier"] == CANARY["verifier"]
        assert callback_params["code"] == CANARY["code"]
        FakeConnectFlow.connected += 1
        account_id = f"4242{FakeConnectFlow.connected}"  # each connect is another network account
        return Connected(
            credentials=Credentials(
                access_token=CANARY["access"],
                refresh_token=CANARY["refresh"],
                expires_at=timezone.now() + timedelta(hours=2),
                account_id=account_id,
            ),
            account=AccountInfo(account_id=account_id, handle="@FranceJapon", display_name="France au Japon"),
        )


@pytest.fixture
def fake_network(monkeypatch):
    monkeypatch.setattr("channels.services.connect_flow_for", lambda **kwargs: FakeConnectFlow())
    return FakeConnectFlow


def connect_through_the_ui(client: Client, account) -> None:
    """What an administrator does: connect, consent on the network, come back."""
    from django.urls import reverse

    response = client.post(reverse("channels:account_connect", args=[account.pk]))
    assert response.status_code == 302, response
    assert response["Location"].startswith("https://x.com/"), response["Location"]
    response = client.get(
        reverse("channels:account_callback", args=["twitter"]), {"state": "state-123", "code": CANARY["code"]}
    )
    assert response.status_code == 302, response.content[:500]
