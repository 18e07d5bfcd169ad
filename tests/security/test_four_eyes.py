"""Four eyes everywhere: nobody approves (or decides on) a message they wrote, or wrote part
of, whatever roles they hold, through the service, the web UI or the Django admin; and a
crisis unit member never approves their own alert. Matrix S5; ASVS 2.3.5."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied
from django.urls import reverse

from audit.models import AuditEvent
from embassies.roles import Role
from posts.models import Message
from posts.services.crisis import crisis_alert_create
from posts.services.messages import message_update
from posts.services.review import message_approve, message_reject, message_request_changes, message_submit
from tests.factories import UserFactory
from tests.posts.factories import account, submitted_message
from tests.security.conftest import MISSION_A
from tests.security.otp import force_verified_login

pytestmark = pytest.mark.django_db


@pytest.fixture
def press_and_officer():
    """An officer of mission A who is also in the press office."""
    return UserFactory(username="both-hats", roles=[Role.OFFICER, Role.PRESS_OFFICE], missions=[MISSION_A])


@pytest.fixture
def own_message(press_and_officer):
    return submitted_message(author=press_and_officer, mission_or_code=MISSION_A, texts={"fr": "Bonjour."})


def assert_untouched(message: Message) -> None:
    fresh = Message.objects.get(pk=message.pk)
    assert fresh.state == Message.State.IN_REVIEW
    assert fresh.approved_by_id is None
    assert not fresh.deliveries.exists()


@pytest.mark.parametrize("decide", [
    lambda actor, pk: message_approve(actor=actor, message_id=pk),
    lambda actor, pk: message_request_changes(actor=actor, message_id=pk, comment="Fine by me."),
    lambda actor, pk: message_reject(actor=actor, message_id=pk, comment="No."),
], ids=["approve", "request_changes", "reject"])
def test_the_service_refuses_the_author_even_in_the_press_office(press_and_officer, own_message, decide):
    with pytest.raises(PermissionDenied):
        decide(press_and_officer, own_message.pk)
    assert_untouched(own_message)


def test_the_service_refuses_whoever_edited_the_message(press_and_officer):
    """A colleague who changed the text is an author too, press office or not."""
    author = UserFactory(roles=[Role.OFFICER], missions=[MISSION_A])
    message = submitted_message(author=author, mission_or_code=MISSION_A, texts={"fr": "Bonjour."})
    message_update(actor=press_and_officer, message_id=message.pk, texts={"fr": "Bonjour à tous."},
                   expected_version=message.version)
    message_submit(actor=author, message_id=message.pk)
    with pytest.raises(PermissionDenied, match="wrote part"):
        message_approve(actor=press_and_officer, message_id=message.pk)
    assert_untouched(message)


def test_the_web_ui_refuses_the_author(client, press_and_officer, own_message):
    force_verified_login(client, press_and_officer)
    detail = client.get(reverse("posts:message_detail", args=[own_message.pk]))
    assert 'action="' + reverse("posts:message_approve", args=[own_message.pk]) not in detail.text

    response = client.post(reverse("posts:message_approve", args=[own_message.pk]),
                           {"version": own_message.version, "when": "now"})

    assert response.status_code in (200, 403)
    assert_untouched(own_message)


def test_the_django_admin_action_refuses_the_author(client, own_message):
    author = own_message.author
    author.is_staff = True
    author.save()
    force_verified_login(client, author)
    response = client.post(reverse("admin:posts_message_changelist"), {
        "action": "approve_now", "_selected_action": [own_message.pk],
    }, follow=True)
    assert response.status_code == 200
    assert_untouched(own_message)


def test_a_crisis_member_cannot_approve_their_own_alert(client):
    author = UserFactory(roles=[Role.CRISIS_UNIT])
    account(MISSION_A)
    alert = crisis_alert_create(actor=author, title="Stay indoors", texts={"fr": "Restez chez vous."},
                                scope={"countries": ["JP"]})
    message_submit(actor=author, message_id=alert.pk)

    with pytest.raises(PermissionDenied):
        message_approve(actor=author, message_id=alert.pk)
    force_verified_login(client, author)
    response = client.post(reverse("posts:crisis_approve", args=[alert.pk]), {"version": alert.version,
                                                                               "confirmed": "yes"})
    assert response.status_code == 403
    assert_untouched(alert)
    # Another member may.
    other = UserFactory(roles=[Role.CRISIS_UNIT])
    message_approve(actor=other, message_id=alert.pk)
    assert Message.objects.get(pk=alert.pk).approved_by == other


def test_a_refused_approval_is_audited_as_access_denied(client):
    author = UserFactory(roles=[Role.CRISIS_UNIT])
    account(MISSION_A)
    alert = crisis_alert_create(actor=author, title="Alert", texts={"fr": "Texte."}, scope={"countries": ["JP"]})
    message_submit(actor=author, message_id=alert.pk)
    force_verified_login(client, author)
    client.post(reverse("posts:crisis_approve", args=[alert.pk]), {"confirmed": "yes"})
    denied = AuditEvent.objects.filter(action="access.denied", actor=author).get()
    assert denied.details["path"] == reverse("posts:crisis_approve", args=[alert.pk])
