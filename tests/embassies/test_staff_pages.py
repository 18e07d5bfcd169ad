"""The staff pages: a person's roles, missions and second factor, and the confirmation pages
of each change (embassies/views.py)."""

import pytest
from django.urls import reverse
from django.utils import formats, timezone

from embassies.roles import Role
from security import services as security_services
from tests.factories import UserFactory
from tests.security.otp import force_verified_login, totp_device

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin(client):
    user = UserFactory(username="staff-admin", roles=[Role.ADMINISTRATOR], is_staff=True)
    force_verified_login(client, user)
    return user


@pytest.fixture
def officer():
    return UserFactory(
        username="staff-officer", first_name="Aiko", last_name="Sato", roles=[Role.OFFICER], missions=["emb-jp-tokyo"]
    )


def test_role_grant_confirms_with_the_role_and_its_consequences(client, admin, officer):
    response = client.get(reverse("embassies:role_grant", args=[officer.pk]), {"role": Role.PRESS_OFFICE})
    assert response.status_code == 200
    assert "Give Aiko Sato the role “Press office”?" in response.text
    assert "The press office approves, schedules" in response.text
    assert "Yes, give the role" in response.text


def test_role_revoke_confirms_as_a_danger_and_says_when_nothing_changed(client, admin, officer):
    url = reverse("embassies:role_revoke", args=[officer.pk])
    response = client.get(url, {"role": Role.OFFICER})
    assert "Take the role “Officer” away from Aiko Sato?" in response.text
    assert "Yes, take the role away" in response.text
    response = client.post(url, {"role": Role.CRISIS_UNIT, "confirmed": "yes"}, follow=True)
    assert "Aiko Sato did not have this role." in response.text
    response = client.post(url, {"role": Role.OFFICER, "confirmed": "yes"}, follow=True)
    assert "Aiko Sato is no longer “Officer”." in response.text
    assert not officer.groups.filter(name=Role.OFFICER).exists()


def test_role_grant_of_an_unknown_role_changes_nothing(client, admin, officer):
    response = client.post(reverse("embassies:role_grant", args=[officer.pk]), {"role": "pope", "confirmed": "yes"})
    assert response.status_code == 400
    assert [group.name for group in officer.groups.all()] == [Role.OFFICER]


# --- The person's authenticator app --------------------------------------------------------------

OPEN_ENROLMENT = "Open enrolment of an authenticator app…"


def _staff_page(client, person) -> str:
    response = client.get(reverse("embassies:staff_detail", args=[person.pk]))
    assert response.status_code == 200
    return response.text


def test_a_press_officer_without_an_app_gets_a_link_to_open_an_enrolment(client, admin):
    press = UserFactory(username="staff-press", roles=[Role.PRESS_OFFICE])
    page = _staff_page(client, press)
    assert "No authenticator app" in page
    link = f"{reverse('admin:security_enrolmentgrant_add')}?user={press.pk}"
    assert f'href="{link}">{OPEN_ENROLMENT}</a>' in page
    assert client.get(link).status_code == 200  # the administrator may open it there


def test_an_open_enrolment_shows_its_deadline_instead_of_the_link(client, admin):
    press = UserFactory(username="staff-press", roles=[Role.PRESS_OFFICE])
    grant, _ = security_services.enrolment_grant_open(user_id=press.pk, actor=admin)
    page = _staff_page(client, press)
    assert "Enrolment open until" in page
    assert formats.date_format(timezone.localtime(grant.expires_at), "DATETIME_FORMAT") in page
    assert OPEN_ENROLMENT not in page


def test_an_enrolled_person_shows_their_app_is_set_up(client, admin):
    crisis = UserFactory(username="staff-crisis", roles=[Role.CRISIS_UNIT])
    totp_device(crisis)
    page = _staff_page(client, crisis)
    assert "Authenticator app set up" in page
    assert OPEN_ENROLMENT not in page
    assert "No authenticator app" not in page


def test_an_officer_needs_no_app_and_the_page_says_nothing_of_it(client, admin, officer):
    page = _staff_page(client, officer)
    assert 'id="authenticator"' not in page
    assert OPEN_ENROLMENT not in page


@pytest.mark.parametrize("role", [Role.OFFICER, Role.PRESS_OFFICE])
def test_only_administrators_see_a_persons_authenticator_app(client, role):
    press = UserFactory(username="staff-press", roles=[Role.PRESS_OFFICE])
    force_verified_login(client, UserFactory(username="staff-viewer", roles=[role], missions=["emb-jp-tokyo"]))
    response = client.get(reverse("embassies:staff_detail", args=[press.pk]))
    assert response.status_code == 403
    assert OPEN_ENROLMENT not in response.text
