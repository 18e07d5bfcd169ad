"""Four eyes everywhere: nobody approves (or decides on) a message they wrote, or wrote part
of, whatever roles they hold, through the service, the web UI or the Django admin; and a
crisis unit member never approves their own alert. Matrix S5; ASVS 2.3.5."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.urls import reverse

from audit.models import AuditEvent
from diplomacy_hub import policy
from embassies.roles import Role
from embassies.services import role_grant
from posts.models import Message
from posts.services.crisis import crisis_alert_create
from posts.services.messages import message_update
from posts.services.review import message_approve, message_reject, message_request_changes, message_submit
from tests.factories import UserFactory
from tests.posts.factories import account, draft_message, submitted_message
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


@pytest.mark.parametrize(
    "decide",
    [
        lambda actor, pk: message_approve(actor=actor, message_id=pk),
        lambda actor, pk: message_request_changes(actor=actor, message_id=pk, comment="Fine by me."),
        lambda actor, pk: message_reject(actor=actor, message_id=pk, comment="No."),
    ],
    ids=["approve", "request_changes", "reject"],
)
def test_the_service_refuses_the_author_even_in_the_press_office(press_and_officer, own_message, decide):
    with pytest.raises(PermissionDenied):
        decide(press_and_officer, own_message.pk)
    assert_untouched(own_message)


def test_the_service_refuses_whoever_edited_the_message(press_and_officer):
    """A colleague who changed the text is an author too, press office or not."""
    author = UserFactory(roles=[Role.OFFICER], missions=[MISSION_A])
    message = submitted_message(author=author, mission_or_code=MISSION_A, texts={"fr": "Bonjour."})
    message_update(
        actor=press_and_officer,
        message_id=message.pk,
        texts={"fr": "Bonjour à tous."},
        expected_version=message.version,
    )
    message_submit(actor=author, message_id=message.pk)
    with pytest.raises(PermissionDenied, match="wrote part"):
        message_approve(actor=press_and_officer, message_id=message.pk)
    assert_untouched(message)


def test_the_web_ui_refuses_the_author(client, press_and_officer, own_message):
    force_verified_login(client, press_and_officer)
    detail = client.get(reverse("posts:message_detail", args=[own_message.pk]))
    assert 'action="' + reverse("posts:message_approve", args=[own_message.pk]) not in detail.text

    response = client.post(
        reverse("posts:message_approve", args=[own_message.pk]), {"version": own_message.version, "when": "now"}
    )

    assert response.status_code in (200, 403)
    assert_untouched(own_message)


def test_the_django_admin_action_refuses_the_author(client, own_message):
    author = own_message.author
    author.is_staff = True
    author.save()
    force_verified_login(client, author)
    response = client.post(
        reverse("admin:posts_message_changelist"),
        {
            "action": "approve_now",
            "_selected_action": [own_message.pk],
        },
        follow=True,
    )
    assert response.status_code == 200
    assert_untouched(own_message)


def test_a_crisis_member_cannot_approve_their_own_alert(client):
    author = UserFactory(roles=[Role.CRISIS_UNIT])
    account(MISSION_A)
    alert = crisis_alert_create(
        actor=author, title="Stay indoors", texts={"fr": "Restez chez vous."}, scope={"countries": ["JP"]}
    )
    message_submit(actor=author, message_id=alert.pk)

    with pytest.raises(PermissionDenied):
        message_approve(actor=author, message_id=alert.pk)
    force_verified_login(client, author)
    response = client.post(
        reverse("posts:crisis_approve", args=[alert.pk]), {"version": alert.version, "confirmed": "yes"}
    )
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


# --- An officer who edited a colleague's draft, then joined the press office --------------------

DECISIONS = ["message.approve", "message.request_changes", "message.reject"]


@pytest.fixture
def promoted_editor():
    """Officer B edits officer A's draft; A submits it; only then is B given the press-office
    role. Returns B (read afresh, so their new role counts) and the message."""
    author = UserFactory(username="officer-a", roles=[Role.OFFICER], missions=[MISSION_A])
    editor = UserFactory(username="officer-b", roles=[Role.OFFICER], missions=[MISSION_A], is_staff=True)
    message = draft_message(author=author, mission_or_code=MISSION_A, texts={"fr": "Bonjour."})
    message_update(
        actor=editor, message_id=message.pk, texts={"fr": "Bonjour à tous."}, expected_version=message.version
    )
    message_submit(actor=author, message_id=message.pk)
    role_grant(actor=UserFactory(roles=[Role.ADMINISTRATOR]), user_id=editor.pk, role=Role.PRESS_OFFICE)
    return get_user_model().objects.get(pk=editor.pk), Message.objects.get(pk=message.pk)


@pytest.mark.parametrize("action", DECISIONS)
def test_the_policy_refuses_an_editor_turned_press_officer_and_says_why(promoted_editor, action):
    editor, message = promoted_editor
    assert message.writer_ids() == {message.author_id, editor.pk}
    assert not policy.can(editor, action, message)
    with pytest.raises(PermissionDenied, match="you wrote part of this message, so someone else must review it"):
        policy.require(editor, action, message)
    assert policy.can(UserFactory(roles=[Role.PRESS_OFFICE]), action, message)


@pytest.mark.parametrize(
    "decide",
    [
        lambda actor, pk: message_approve(actor=actor, message_id=pk),
        lambda actor, pk: message_request_changes(actor=actor, message_id=pk, comment="Fine by me."),
        lambda actor, pk: message_reject(actor=actor, message_id=pk, comment="No."),
    ],
    ids=["approve", "request_changes", "reject"],
)
def test_the_service_refuses_an_editor_turned_press_officer(promoted_editor, decide):
    editor, message = promoted_editor
    with pytest.raises(PermissionDenied, match="wrote part of this message"):
        decide(editor, message.pk)
    assert_untouched(message)


def test_the_web_ui_shows_an_editor_turned_press_officer_no_decision_and_refuses_the_post(client, promoted_editor):
    editor, message = promoted_editor
    force_verified_login(client, editor)
    detail = client.get(reverse("posts:message_detail", args=[message.pk]))
    assert detail.status_code == 200
    for name in ("posts:message_approve", "posts:message_request_changes", "posts:message_reject"):
        assert 'action="' + reverse(name, args=[message.pk]) not in detail.text

    response = client.post(
        reverse("posts:message_approve", args=[message.pk]), {"version": message.version, "when": "now"}
    )

    assert response.status_code == 403
    assert_untouched(message)


def test_the_django_admin_refuses_an_editor_turned_press_officer_and_says_why(client, promoted_editor):
    editor, message = promoted_editor
    force_verified_login(client, editor)
    response = client.post(
        reverse("admin:posts_message_changelist"),
        {
            "action": "approve_now",
            "_selected_action": [message.pk],
        },
        follow=True,
    )
    assert response.status_code == 200
    assert "you wrote part of this message, so someone else must review it" in response.text
    assert_untouched(message)


def test_the_rule_costs_no_query_with_prefetched_events_nor_for_a_user_who_may_not_review(
    promoted_editor, django_assert_num_queries
):
    """The detail page prefetches the events; a list never pays a query per row for
    officers, who hold no reviewing role."""
    editor, message = promoted_editor
    officer = UserFactory(roles=[Role.OFFICER], missions=[MISSION_A])
    prefetched = Message.objects.prefetch_related("events").get(pk=message.pk)
    policy.roles_of(editor), policy.roles_of(officer)  # read once per request
    with django_assert_num_queries(0):
        assert not policy.can(editor, "message.approve", prefetched)
        assert not policy.can(officer, "message.approve", message)
