"""The invitation and deactivation pages: only administrators reach them; bad input gets a
clear message beside its field, in English and French, never a 500; the invited person's
link leaves the address bar, sets a password once, and the first login lands with the
right role and missions. Deactivating a person ends their sessions at once."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.contrib.auth import SESSION_KEY
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from audit.models import AuditEvent
from embassies.roles import Role
from security.models import Invitation
from tests.factories import UserFactory, mission
from tests.security.invitations import link_token
from tests.security.otp import PASSWORD as FACTORY_PASSWORD
from tests.security.otp import force_verified_login, verified_login

pytestmark = pytest.mark.django_db
NEW_PASSWORD = "Kumquat-orbit-7-lanterns"
FRENCH = {"HTTP_ACCEPT_LANGUAGE": "fr"}


@pytest.fixture
def admin():
    return UserFactory(username="inv-admin", first_name="Anne", last_name="Lefèvre", roles=[Role.ADMINISTRATOR])


@pytest.fixture
def admin_client(admin):
    return force_verified_login(Client(), admin)


def invite_form(**overrides) -> dict:
    return {
        "first_name": "Aiko",
        "last_name": "Sato",
        "email": "aiko.sato@example.org",
        "username": "asato",
        "role": Role.OFFICER,
        "missions": ["emb-jp-tokyo"],
        **overrides,
    }


def invite_through_the_page(admin_client, task_queue, mailoutbox, django_capture_on_commit_callbacks, **overrides):
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(reverse("staff:invite"), invite_form(**overrides))
    assert response.status_code == 302, response.content[:2000]
    assert mailoutbox == []  # not in the request
    task_queue.run()
    return link_token(mailoutbox[-1])


# --- Who may ------------------------------------------------------------------------------------


@pytest.mark.parametrize("role", [Role.OFFICER, Role.PRESS_OFFICE, Role.CRISIS_UNIT])
def test_only_administrators_reach_the_invitation_and_deactivation_pages(admin, role):
    someone = UserFactory(roles=[role], missions=["emb-jp-tokyo"])
    client = force_verified_login(Client(), someone)
    invitation = Invitation.objects.create(
        email="x@example.org",
        first_name="X",
        last_name="Y",
        username="xy",
        role=Role.OFFICER,
        invited_by=admin,
        expires_at=timezone.now() + timedelta(hours=1),
    )
    for url in (
        reverse("staff:invite"),
        reverse("staff:invitation_list"),
        reverse("staff:invitation_resend", args=[invitation.pk]),
        reverse("staff:invitation_revoke", args=[invitation.pk]),
        reverse("staff:deactivate", args=[admin.pk]),
        reverse("staff:reactivate", args=[admin.pk]),
    ):
        assert client.get(url).status_code == 403, url
        if url != reverse("staff:invitation_list"):  # a list, GET only
            assert client.post(url, {"confirmed": "yes"}).status_code == 403, url
    assert client.post(reverse("staff:invite"), invite_form()).status_code == 403
    assert Invitation.objects.count() == 1
    admin.refresh_from_db()
    assert admin.is_active


def test_an_administrator_owing_the_code_is_sent_to_it(admin):
    client = Client()
    client.force_login(admin)  # password only
    response = client.get(reverse("staff:invite"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("security:otp_setup"))


# --- Inviting -----------------------------------------------------------------------------------


def test_invite_page_lists_roles_and_missions(admin_client):
    response = admin_client.get(reverse("staff:invite"))
    assert response.status_code == 200
    assert "Invite a person" in response.text
    assert "Embassy of France in Japan (Tokyo)" in response.text
    assert 'value="press_office"' in response.text


@pytest.mark.parametrize(
    ("overrides", "english", "french"),
    [
        (
            {"missions": []},
            "An officer works for at least one mission",
            "Un chargé de communication travaille pour au moins un poste",
        ),
        (
            {"email": "TAKEN@example.org"},
            "Someone already has an account with this e-mail address",
            "Quelqu’un a déjà un compte avec cette adresse",
        ),
        ({"username": "Taken"}, "This username is already taken", "Ce nom d’utilisateur est déjà pris"),
        ({"email": "not-an-address"}, "Enter a valid email address", "Saisissez une adresse"),
        ({"username": "a b/c"}, "Enter a valid username", "Saisissez un nom d’utilisateur valide"),
        ({"missions": ["no-such-mission"]}, "Select a valid choice", "Sélectionnez un choix valide"),
        ({"role": "pope"}, "Select a valid choice", "Sélectionnez un choix valide"),
    ],
)
def test_bad_input_is_refused_beside_its_field_in_english_and_french(admin_client, overrides, english, french):
    UserFactory(username="taken", email="taken@example.org")
    response = admin_client.post(reverse("staff:invite"), invite_form(**overrides))
    assert response.status_code == 400
    assert english in response.text
    response = admin_client.post(reverse("staff:invite"), invite_form(**overrides), **FRENCH)
    assert response.status_code == 400
    assert french in response.text
    assert not Invitation.objects.exists()


def test_invite_then_resend_and_withdraw_from_the_list(
    admin_client, admin, task_queue, mailoutbox, django_capture_on_commit_callbacks
):
    old = invite_through_the_page(admin_client, task_queue, mailoutbox, django_capture_on_commit_callbacks)
    invitation = Invitation.objects.get()
    page = admin_client.get(reverse("staff:invitation_list"))
    assert "Aiko Sato" in page.text
    assert "Embassy of France in Japan" in page.text
    assert "sent" in page.text
    resend = reverse("staff:invitation_resend", args=[invitation.pk])
    assert "The link sent before stops working at once." in admin_client.get(resend).text
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(resend, {"confirmed": "yes"}, follow=True)
    assert "A new link is on its way to aiko.sato@example.org." in response.text
    task_queue.run()
    new = link_token(mailoutbox[-1])
    assert new != old
    revoke = reverse("staff:invitation_revoke", args=[invitation.pk])
    response = admin_client.post(revoke, {"confirmed": "yes"}, follow=True)
    assert "The invitation of Aiko Sato is withdrawn." in response.text
    response = admin_client.post(resend, {"confirmed": "yes"})
    assert response.status_code == 400
    assert "This invitation is already withdrawn: nothing to do." in response.text
    assert set(AuditEvent.objects.values_list("action", flat=True)) >= {
        "staff.invite",
        "staff.invitation_resend",
        "staff.invitation_revoke",
    }


def test_a_broker_that_is_down_does_not_fail_the_invitation(
    admin_client, monkeypatch, mailoutbox, django_capture_on_commit_callbacks
):
    def refuse(*args, **kwargs):
        raise ConnectionRefusedError("the broker is down")

    monkeypatch.setattr("security.services.people.current_app.send_task", refuse)
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(reverse("staff:invite"), invite_form())
    assert response.status_code == 302
    assert "not sent yet" in admin_client.get(reverse("staff:invitation_list")).text


def test_the_invitation_list_costs_the_same_queries_for_one_or_many(admin_client, admin):
    def add(number: int) -> None:
        invitation = Invitation.objects.create(
            email=f"p{number}@example.org",
            first_name="P",
            last_name=str(number),
            username=f"p{number}",
            role=Role.OFFICER,
            invited_by=admin,
            expires_at=timezone.now() + timedelta(hours=1),
        )
        invitation.missions.add(mission("emb-jp-tokyo"), mission("emb-de-berlin"))

    add(0)
    admin_client.get(reverse("staff:invitation_list"))  # warm the session
    with CaptureQueriesContext(connection) as one:
        admin_client.get(reverse("staff:invitation_list"))
    for number in range(1, 6):
        add(number)
    with CaptureQueriesContext(connection) as six:
        response = admin_client.get(reverse("staff:invitation_list"))
    assert response.text.count("Embassy of France in Japan") == 6
    assert len(six) == len(one)


# --- The invited person ---------------------------------------------------------------------------


def test_the_journey_from_the_link_to_the_first_login(
    admin_client, task_queue, mailoutbox, django_capture_on_commit_callbacks
):
    token = invite_through_the_page(
        admin_client,
        task_queue,
        mailoutbox,
        django_capture_on_commit_callbacks,
        missions=["emb-jp-tokyo", "emb-de-berlin"],
    )
    person = Client()
    response = person.get(reverse("invitation:open", args=[token]))
    assert response.status_code == 302
    assert response["Location"] == reverse("invitation:accept")  # the token leaves the address bar
    page = person.get(reverse("invitation:accept"))
    assert page.status_code == 200
    assert "Welcome, Aiko" in page.text
    assert "asato" in page.text
    weak = person.post(reverse("invitation:accept"), {"new_password1": "asato123", "new_password2": "asato123"})
    assert weak.status_code == 400
    assert "This password is too short" in weak.text
    response = person.post(
        reverse("invitation:accept"), {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD}, follow=True
    )
    assert response.redirect_chain[-1][0] == reverse("login")
    assert "Your account is ready, Aiko Sato. Log in as asato" in response.text
    # The first login lands with the officer's role and missions.
    response = person.post(reverse("login"), {"username": "asato", "password": NEW_PASSWORD}, follow=True)
    assert response.status_code == 200
    assert response.redirect_chain[-1][0] == reverse("posts:dashboard")
    user = response.context["user"]
    assert set(user.groups.values_list("name", flat=True)) == {Role.OFFICER}
    assert sorted(user.memberships.values_list("mission__code", flat=True)) == ["emb-de-berlin", "emb-jp-tokyo"]
    assert "New message" in response.text
    # The link again, now used.
    again = Client().get(reverse("invitation:open", args=[token]))
    assert again.status_code == 400
    assert "already used" in again.text


@pytest.mark.parametrize(
    ("spoil", "english", "french"),
    [
        ("tamper", "This link is not valid", "Ce lien n’est pas valide"),
        ("expire", "This invitation has expired", "Cette invitation a expiré"),
        ("revoke", "withdrawn by an administrator", "retirée par un administrateur"),
    ],
)
def test_a_spoilt_link_says_why_in_english_and_french(
    admin_client, admin, task_queue, mailoutbox, django_capture_on_commit_callbacks, spoil, english, french
):
    token = invite_through_the_page(admin_client, task_queue, mailoutbox, django_capture_on_commit_callbacks)
    invitation = Invitation.objects.get()
    if spoil == "tamper":
        token = token[:-2] + ("xy" if token[-2:] != "xy" else "yx")
    elif spoil == "expire":
        Invitation.objects.filter(pk=invitation.pk).update(
            created_at=timezone.now() - timedelta(days=4), expires_at=timezone.now() - timedelta(minutes=1)
        )
    else:
        admin_client.post(reverse("staff:invitation_revoke", args=[invitation.pk]), {"confirmed": "yes"})
    response = Client().get(reverse("invitation:open", args=[token]))
    assert response.status_code == 400
    assert english in response.text
    response = Client().get(reverse("invitation:open", args=[token]), **FRENCH)
    assert french in response.text


def test_the_accept_page_without_a_link_is_refused():
    response = Client().get(reverse("invitation:accept"))
    assert response.status_code == 400
    assert "This link is not valid" in response.text
    response = Client().post(reverse("invitation:accept"), {"new_password1": "x", "new_password2": "x"})
    assert response.status_code == 400


def test_a_link_withdrawn_while_the_password_page_is_open_makes_no_account(
    admin_client, task_queue, mailoutbox, django_capture_on_commit_callbacks
):
    token = invite_through_the_page(admin_client, task_queue, mailoutbox, django_capture_on_commit_callbacks)
    person = Client()
    person.get(reverse("invitation:open", args=[token]))
    admin_client.post(reverse("staff:invitation_revoke", args=[Invitation.objects.get().pk]), {"confirmed": "yes"})
    response = person.post(reverse("invitation:accept"), {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD})
    assert response.status_code == 400
    assert "withdrawn" in response.text
    assert not Invitation.objects.filter(status=Invitation.Status.ACCEPTED).exists()


def test_someone_logged_in_cannot_use_a_link(admin_client, task_queue, mailoutbox, django_capture_on_commit_callbacks):
    token = invite_through_the_page(admin_client, task_queue, mailoutbox, django_capture_on_commit_callbacks)
    response = admin_client.get(reverse("invitation:open", args=[token]))
    assert response.status_code == 400
    assert "You are logged in as inv-admin" in response.text
    assert Invitation.objects.get().status == Invitation.Status.PENDING


# --- Deactivating ---------------------------------------------------------------------------------


def test_deactivation_ends_sessions_keeps_memberships_and_refuses_login(admin_client, admin):
    officer = UserFactory(username="leaving", first_name="Léa", last_name="Martin", roles=[Role.OFFICER])
    officer.memberships.create(mission=mission("emb-jp-tokyo"))
    theirs = verified_login(Client(), officer)
    assert theirs.get(reverse("posts:dashboard")).status_code == 200
    url = reverse("staff:deactivate", args=[officer.pk])
    page = admin_client.get(url)
    assert "Their open sessions end at once." in page.text
    response = admin_client.post(url, {"confirmed": "yes"}, follow=True)
    assert "Léa Martin is deactivated" in response.text
    # Logged out at once: their next request goes to the login page.
    response = theirs.get(reverse("posts:dashboard"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))
    assert SESSION_KEY not in theirs.session
    officer.refresh_from_db()
    assert not officer.is_active
    assert list(officer.memberships.values_list("mission__code", flat=True)) == ["emb-jp-tokyo"]
    # The right password gets a clear refusal; a wrong one learns nothing.
    login = Client().post(reverse("login"), {"username": "leaving", "password": FACTORY_PASSWORD})
    assert "This account has been deactivated" in login.text
    login = Client().post(reverse("login"), {"username": "leaving", "password": FACTORY_PASSWORD}, **FRENCH)
    assert "Ce compte a été désactivé" in login.text
    login = Client().post(reverse("login"), {"username": "leaving", "password": "wrong password"})
    assert "deactivated" not in login.text
    assert AuditEvent.objects.get(action="staff.deactivate").details == {"logged_out": 1}
    assert AuditEvent.objects.get(action="user.deactivate").actor == admin
    # Reactivated: they log in again, with what they had.
    admin_client.post(reverse("staff:reactivate", args=[officer.pk]), {"confirmed": "yes"})
    verified_login(Client(), officer)
    assert AuditEvent.objects.filter(action="staff.reactivate").count() == 1


def test_an_administrator_cannot_deactivate_themselves(admin_client, admin):
    response = admin_client.post(reverse("staff:deactivate", args=[admin.pk]), {"confirmed": "yes"})
    assert response.status_code == 400
    assert "You cannot deactivate your own account" in response.text
    admin.refresh_from_db()
    assert admin.is_active


def test_the_staff_pages_lead_to_invitations_and_deactivation(admin_client):
    officer = UserFactory(roles=[Role.OFFICER])
    assert reverse("staff:invite") in admin_client.get(reverse("embassies:staff_list")).text
    detail = admin_client.get(reverse("embassies:staff_detail", args=[officer.pk])).text
    assert reverse("staff:deactivate", args=[officer.pk]) in detail


def test_an_unknown_person_or_invitation_is_not_found(admin_client):
    assert admin_client.get(reverse("staff:deactivate", args=[10**9])).status_code == 404
    assert admin_client.get(reverse("staff:invitation_resend", args=[10**9])).status_code == 404


def test_the_invitation_pages_speak_french(admin_client, task_queue, mailoutbox, django_capture_on_commit_callbacks):
    page = admin_client.get(reverse("staff:invite"), **FRENCH).text
    for words in ("Inviter une personne", "Prénom", "Envoyer l’invitation", "Chargé de communication"):
        assert words in page
    for words in ("Invite a person", "First name", "Send the invitation"):
        assert words not in page
    token = invite_through_the_page(admin_client, task_queue, mailoutbox, django_capture_on_commit_callbacks)
    listing = admin_client.get(reverse("staff:invitation_list"), **FRENCH).text
    assert "lien envoyé" in listing
    assert "Renvoyer…" in listing
    person = Client()
    person.get(reverse("invitation:open", args=[token]), **FRENCH)
    page = person.get(reverse("invitation:accept"), **FRENCH).text
    assert "Bienvenue, Aiko" in page
    assert "Enregistrer mon mot de passe" in page
