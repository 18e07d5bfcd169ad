"""The audit log: every sensitive action recorded with actor, time, object and source
address; nobody can change or delete an entry through the app (model, queryset, admin) or
even with raw SQL as the app's role (a trigger, on PostgreSQL and on SQLite). The page for administrators.
ASVS 16.2.1, 16.3.1, 16.3.2, 16.4.2; matrix S33."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.contrib.auth.models import Group
from django.db import connection, transaction
from django.db.utils import DatabaseError, InternalError
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from audit import services as audit
from audit.models import AuditEvent, AuditLogImmutable
from channels.models import SocialAccount
from channels.services import account_disconnect
from embassies.roles import Role
from posts.models import Delivery
from posts.services.operations import delivery_settle, message_retract
from posts.services.pause import publishing_pause, publishing_resume
from posts.services.review import message_approve, message_reject
from tests.factories import SocialAccountFactory, UserFactory
from tests.posts.factories import submitted_message
from tests.security.conftest import MISSION_A, connect_through_the_ui
from tests.security.otp import PASSWORD, force_verified_login

pytestmark = pytest.mark.django_db


def last(action: str) -> AuditEvent:
    return AuditEvent.objects.filter(action=action).order_by("-pk").first()


# --- What is recorded ------------------------------------------------------------------------


def test_a_login_is_recorded_with_the_source_address():
    officer = UserFactory(roles=[Role.OFFICER], missions=[MISSION_A])
    Client().post(reverse("login"), {"username": officer.username, "password": PASSWORD}, REMOTE_ADDR="192.0.2.10")
    event = last("auth.login")
    assert (event.actor, event.actor_label, event.source_address) == (officer, officer.username, "192.0.2.10")
    assert (event.object_type, event.object_id) == ("auth.user", str(officer.pk))
    assert timezone.now() - event.created_at < timedelta(minutes=1)


def test_a_failed_login_is_recorded_with_the_name_tried_and_the_address():
    Client().post(reverse("login"), {"username": "ghost", "password": "nope nope"}, REMOTE_ADDR="198.51.100.3")
    event = last("auth.login_failed")
    assert (event.actor, event.details["username"], event.source_address) == (None, "ghost", "198.51.100.3")
    assert "nope nope" not in str(event.details)


def test_a_logout_is_recorded(client):
    officer = UserFactory(roles=[Role.OFFICER], missions=[MISSION_A])
    force_verified_login(client, officer)
    client.post(reverse("logout"))
    assert last("auth.logout").actor == officer


def test_a_role_granted_and_revoked_in_the_staff_pages_is_recorded_with_who_did_it(client):
    admin = UserFactory(roles=[Role.ADMINISTRATOR])
    person = UserFactory(roles=[Role.OFFICER], missions=[MISSION_A])
    force_verified_login(client, admin)
    client.post(
        reverse("embassies:role_grant", args=[person.pk]),
        {"role": Role.PRESS_OFFICE, "confirmed": "yes"},
        REMOTE_ADDR="192.0.2.20",
    )
    assert person.groups.filter(name=Role.PRESS_OFFICE).exists(), "the staff page did not grant the role"
    granted = last("role.grant")
    assert (granted.actor, granted.object_id, granted.details, granted.source_address) == (
        admin,
        str(person.pk),
        {"role": Role.PRESS_OFFICE},
        "192.0.2.20",
    )
    client.post(reverse("embassies:role_revoke", args=[person.pk]), {"role": Role.PRESS_OFFICE, "confirmed": "yes"})
    revoked = last("role.revoke")
    assert (revoked.actor, revoked.object_id, revoked.details) == (admin, str(person.pk), {"role": Role.PRESS_OFFICE})


@pytest.mark.parametrize("how", ["user.groups.add", "group.user_set.add", "user.groups.clear", "user.groups.set"])
def test_a_role_change_from_anywhere_is_recorded(how):
    """The shell, the Django admin, a migration: every way of changing a user's groups."""
    person = UserFactory(roles=[Role.OFFICER], missions=[MISSION_A])
    press = Group.objects.get_or_create(name=Role.PRESS_OFFICE)[0]
    if how == "user.groups.add":
        person.groups.add(press)
        expected = [("role.grant", Role.PRESS_OFFICE)]
    elif how == "group.user_set.add":
        press.user_set.add(person)
        expected = [("role.grant", Role.PRESS_OFFICE)]
    elif how == "user.groups.clear":
        person.groups.clear()
        expected = [("role.revoke", Role.OFFICER)]
    else:
        person.groups.set([press])
        expected = [("role.revoke", Role.OFFICER), ("role.grant", Role.PRESS_OFFICE)]
    events = AuditEvent.objects.filter(action__startswith="role.", object_id=str(person.pk)).order_by("pk")
    assert [(event.action, event.details["role"]) for event in events][-len(expected) :] == expected


def test_becoming_a_superuser_or_staff_is_recorded():
    person = UserFactory(roles=[Role.OFFICER], missions=[MISSION_A])
    person.is_superuser = True
    person.save()
    assert last("role.grant").details == {"role": "superuser"}
    person.is_staff = True
    person.save(update_fields=["is_staff"])
    assert last("role.grant").details == {"role": "staff"}


def test_an_account_connected_and_disconnected_is_recorded(client, fake_network):
    admin = UserFactory(roles=[Role.ADMINISTRATOR])
    account = SocialAccountFactory(
        mission__code="emb-zz-audit",
        network="twitter",
        handle="",
        network_account_id="",
        status=SocialAccount.Status.PENDING,
        credentials=False,
    )
    force_verified_login(client, admin)
    connect_through_the_ui(client, account)
    connected = last("account.connect")
    assert (connected.actor, connected.object_id, connected.source_address) == (admin, str(account.pk), "127.0.0.1")
    assert connected.details["network"] == "twitter"
    account_disconnect(actor=admin, account_id=account.pk)
    assert (last("account.disconnect").actor, last("account.disconnect").object_id) == (admin, str(account.pk))


def test_approve_publish_now_reject_settle_retract_pause_and_resume_are_recorded(world):
    press = world.users["press"]
    other = submitted_message(author=world.users["author_a"], mission_or_code=MISSION_A, texts={"fr": "Bonjour."})
    message_approve(actor=press, message_id=other.pk)  # publish now
    approved = last("message.approve")
    assert (approved.actor, approved.object_type, approved.object_id) == (press, "posts.message", str(other.pk))
    assert approved.details["now"] is True
    assert approved.details["to_state"] == "scheduled"

    message_reject(actor=press, message_id=world.message_b.pk, comment="Not now.")
    assert last("message.reject").object_id == str(world.message_b.pk)

    Delivery.objects.filter(pk=world.delivery_a.pk).update(state=Delivery.State.UNKNOWN)
    delivery_settle(actor=press, delivery_id=world.delivery_a.pk, outcome="sent")
    settled = last("delivery.settled")
    assert (settled.object_type, settled.object_id, settled.details["outcome"]) == (
        "posts.delivery",
        str(world.delivery_a.pk),
        "sent",
    )

    world.approved_a.deliveries.update(state=Delivery.State.SENT, external_id="x1")
    type(world.approved_a).objects.filter(pk=world.approved_a.pk).update(state="published")
    with transaction.atomic():
        message_retract(actor=press, message_id=world.approved_a.pk)
    assert last("message.retract_requested").object_id == str(world.approved_a.pk)

    pause = publishing_pause(actor=press, scope="all", reason="Crisis in the region")
    paused = last("publishing.pause")
    assert (paused.actor, paused.object_type, paused.object_id, paused.details["reason"]) == (
        press,
        "posts.publishingpause",
        str(pause.pk),
        "Crisis in the region",
    )
    publishing_resume(actor=press, pause_id=pause.pk)
    assert last("publishing.resume").object_id == str(pause.pk)


def test_a_refused_request_is_recorded(world):
    world.client("officer_a").get(reverse("posts:pause"))
    denied = last("access.denied")
    assert denied.actor == world.users["officer_a"]
    assert denied.details["path"] == reverse("posts:pause")


def test_secrets_never_enter_the_details():
    event = audit.record(
        action="test.secret",
        details={
            "access_token": "x",
            "nested": {"client_secret": "y", "fine": 1},
            "password": "z",
            "key_id": "k1",
            "country_code": "JP",
            "text": "a" * 5000,
        },
    )
    assert event.details["nested"] == {"fine": 1}
    assert "access_token" not in event.details
    assert "password" not in event.details
    assert event.details["key_id"] == "k1"
    assert event.details["country_code"] == "JP"
    assert len(event.details["text"]) == 2001


def test_an_action_is_dotted():
    with pytest.raises(ValueError, match="dotted"):
        audit.record(action="login")


def test_the_log_line_is_one_json_line_whatever_the_input(caplog):
    """Newlines and control characters cannot forge log lines (S34, ASVS 16.4.1)."""
    caplog.set_level("INFO", logger="diplomacy_hub.audit")
    audit.record(action="test.injection", obj=("posts.message", 1, "Title\nINFO forged line\x1b[31m"))
    audit.record(action="test.injection", details={"reason": "a\r\nb"})
    lines = [record.getMessage() for record in caplog.records if record.name == "diplomacy_hub.audit"]
    assert len(lines) == 2
    assert all("\n" not in line and "\r" not in line and "\x1b" not in line for line in lines)


# --- Append-only ---------------------------------------------------------------------------------


@pytest.fixture
def event():
    return audit.record(action="auth.login", details={"n": 1})


def test_an_event_cannot_be_saved_again(event):
    event.action = "auth.nothing"
    with pytest.raises(AuditLogImmutable):
        event.save()
    with pytest.raises(AuditLogImmutable):
        AuditEvent.objects.get(pk=event.pk).save(update_fields=["action"])


def test_an_event_cannot_be_deleted(event):
    with pytest.raises(AuditLogImmutable):
        event.delete()
    with pytest.raises(AuditLogImmutable):
        AuditEvent.objects.filter(pk=event.pk).delete()
    with pytest.raises(AuditLogImmutable):
        AuditEvent.objects.all().delete()


def test_events_cannot_be_updated_in_bulk(event):
    with pytest.raises(AuditLogImmutable):
        AuditEvent.objects.filter(pk=event.pk).update(action="auth.nothing")
    with pytest.raises(AuditLogImmutable):
        AuditEvent.objects.bulk_update([event], ["action"])
    assert AuditEvent.objects.get(pk=event.pk).action == "auth.login"


def test_the_actor_of_an_event_cannot_be_deleted(event):
    """A user with a trail is deactivated, not deleted: the trail keeps its actor."""
    from django.db.models import ProtectedError

    user = UserFactory()
    audit.record(action="auth.login", actor=user)
    with pytest.raises(ProtectedError):
        user.delete()


@pytest.mark.parametrize("superuser", [False, True])
def test_the_admin_shows_events_but_offers_no_add_change_or_delete(client, event, superuser):
    admin = UserFactory(roles=[Role.ADMINISTRATOR], is_staff=True, is_superuser=superuser)
    force_verified_login(client, admin)
    assert client.get(reverse("admin:audit_auditevent_changelist")).status_code == 200
    change = client.get(reverse("admin:audit_auditevent_change", args=[event.pk]))
    assert change.status_code == 200
    assert 'name="_save"' not in change.text
    assert 'name="_continue"' not in change.text
    assert client.get(reverse("admin:audit_auditevent_add")).status_code == 403
    assert client.get(reverse("admin:audit_auditevent_delete", args=[event.pk])).status_code == 403
    assert client.post(reverse("admin:audit_auditevent_delete", args=[event.pk]), {"post": "yes"}).status_code == 403
    response = client.post(reverse("admin:audit_auditevent_change", args=[event.pk]), {"action": "auth.nothing"})
    assert response.status_code == 403
    response = client.post(
        reverse("admin:audit_auditevent_changelist"),
        {"action": "delete_selected", "_selected_action": [event.pk], "post": "yes"},
    )
    assert AuditEvent.objects.filter(pk=event.pk, action="auth.login").exists()


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE audit_auditevent SET action = 'auth.nothing' WHERE id = %s",
        "DELETE FROM audit_auditevent WHERE id = %s",
        "DELETE FROM audit_auditevent WHERE id = %s OR 1 = 1",
    ],
)
def test_the_database_refuses_raw_updates_and_deletes(event, statement):
    """A trigger on both databases (audit/migrations/0002 on PostgreSQL, 0003 on SQLite)."""
    with (
        pytest.raises((InternalError, DatabaseError), match="append-only"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute(statement, [event.pk])
    assert AuditEvent.objects.get(pk=event.pk).action == "auth.login"


def test_the_database_still_accepts_new_events(event):
    """Positive control: the triggers refuse changes, not inserts."""
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO audit_auditevent (created_at, actor_label, action, object_type, object_id, "
            "object_label, details) VALUES (%s, '', 'auth.raw', '', '', '', '{}')",
            [timezone.now()],
        )
    assert AuditEvent.objects.filter(action="auth.raw").count() == 1


def test_the_append_only_triggers_are_installed():
    """By name, on whichever database runs: a SQLite migration that rebuilds the table
    (most ALTERs do) drops its triggers silently."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SELECT tgname FROM pg_trigger WHERE tgrelid = 'audit_auditevent'::regclass")
            expected = {"audit_auditevent_append_only"}
        else:
            assert connection.vendor == "sqlite", connection.vendor
            cursor.execute("SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'audit_auditevent'")
            expected = {"audit_auditevent_append_only_update", "audit_auditevent_append_only_delete"}
        assert expected <= {name for (name,) in cursor.fetchall()}


# --- The page ------------------------------------------------------------------------------------


@pytest.fixture
def trail():
    alice = UserFactory(username="alice", roles=[Role.PRESS_OFFICE])
    bob = UserFactory(username="bob", roles=[Role.OFFICER], missions=[MISSION_A])
    for n in range(60):
        audit.record(
            action="auth.login" if n % 2 else "message.approve", actor=alice if n % 3 else bob, details={"n": n}
        )
    old = AuditEvent.objects.filter(action="message.approve").order_by("pk").values_list("pk", flat=True)[:5]
    # Backdate a few (as a raw insert would: the ORM refuses updates).
    for pk in old:
        event = AuditEvent.objects.get(pk=pk)
        AuditEvent.objects.create(
            action="message.approve",
            actor=event.actor,
            actor_label=event.actor_label,
            details={"old": True},
            created_at=timezone.now() - timedelta(days=10),
        )
    return alice, bob


def test_the_page_is_for_administrators_only(world):
    assert world.client("admin").get(reverse("audit:log")).status_code == 200
    for role in ("officer_a", "press", "crisis"):
        assert world.client(role).get(reverse("audit:log")).status_code == 403


def test_the_page_filters_by_action_user_and_day(client, trail):
    force_verified_login(client, UserFactory(roles=[Role.ADMINISTRATOR]))
    page = client.get(reverse("audit:log"), {"action": "message.approve", "actor": "BOB"})
    rows = page.context["page"].object_list
    assert rows
    assert all(row.action == "message.approve" and row.actor_label == "bob" for row in rows)
    prefix = client.get(reverse("audit:log"), {"action": "message."}).context["page"].paginator.count
    assert prefix == 35
    today = timezone.localdate()
    old = client.get(
        reverse("audit:log"), {"action": "message.approve", "date_to": (today - timedelta(days=5)).isoformat()}
    )
    assert old.context["page"].paginator.count == 5
    assert all(row.details == {"old": True} for row in old.context["page"].object_list)
    bad = client.get(reverse("audit:log"), {"date_from": "not a date"})
    assert bad.status_code == 200
    assert "Enter a valid date" in bad.text


def test_the_page_is_paginated_with_a_constant_number_of_queries(client, trail, django_assert_max_num_queries):
    force_verified_login(client, UserFactory(roles=[Role.ADMINISTRATOR]))
    client.get(reverse("audit:log"))  # warm the session
    with django_assert_max_num_queries(12) as few:
        first = client.get(reverse("audit:log"))
    for n in range(100):
        audit.record(action="auth.login", actor=trail[n % 2], details={"more": n})
    with django_assert_max_num_queries(len(few.captured_queries)):
        client.get(reverse("audit:log"), {"page": 2})
    assert len(first.context["page"].object_list) == 50
    assert first.context["page"].paginator.num_pages == 2
