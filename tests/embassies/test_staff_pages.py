"""The staff pages: a person's roles, missions and second factor, and the confirmation pages
of each change (embassies/views.py)."""

import pytest
from django.urls import reverse

from embassies.roles import Role
from tests.factories import UserFactory
from tests.security.otp import force_verified_login

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin(client):
    user = UserFactory(username="staff-admin", roles=[Role.ADMINISTRATOR], is_staff=True)
    force_verified_login(client, user)
    return user


@pytest.fixture
def officer():
    return UserFactory(username="staff-officer", first_name="Aiko", last_name="Sato", roles=[Role.OFFICER],
                       missions=["emb-jp-tokyo"])


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
