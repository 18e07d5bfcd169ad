"""The admin pages of missions and staff ask the policy module."""

import pytest
from django.urls import reverse

from embassies.roles import Role
from tests.factories import UserFactory
from tests.security.otp import force_verified_login

pytestmark = pytest.mark.django_db

CHANGELIST = "admin:embassies_mission_changelist"


def test_admin_lists_the_271_missions_to_an_administrator(client):
    force_verified_login(client, UserFactory(roles=[Role.ADMINISTRATOR], is_staff=True))
    response = client.get(reverse(CHANGELIST))
    assert response.status_code == 200
    assert "271 missions" in response.text


def test_admin_filters_and_searches_missions(client):
    force_verified_login(client, UserFactory(roles=[Role.ADMINISTRATOR], is_staff=True))
    response = client.get(reverse(CHANGELIST), {"kind__exact": "delegation"})
    assert "16 missions" in response.text
    response = client.get(reverse(CHANGELIST), {"q": "Tokyo"})
    assert "Embassy of France in Japan" in response.text


def test_admin_refuses_missions_to_an_officer_even_with_staff_status(client):
    client.force_login(UserFactory(roles=[Role.OFFICER], missions=["emb-jp-tokyo"], is_staff=True))
    assert client.get(reverse(CHANGELIST)).status_code == 403
    assert client.get(reverse("admin:embassies_staffmembership_changelist")).status_code == 403


def test_admin_sends_an_officer_without_staff_status_to_log_in(client):
    client.force_login(UserFactory(roles=[Role.OFFICER], missions=["emb-jp-tokyo"]))
    response = client.get(reverse(CHANGELIST))
    assert response.status_code == 302
    assert "login" in response["Location"]


@pytest.mark.parametrize("role", [Role.PRESS_OFFICE, Role.CRISIS_UNIT])
def test_admin_refuses_mission_management_to_other_roles(client, role):
    force_verified_login(client, UserFactory(roles=[role], is_staff=True))
    assert client.get(reverse(CHANGELIST)).status_code == 403


def test_missions_cannot_be_deleted_even_by_an_administrator(client):
    force_verified_login(client, UserFactory(roles=[Role.ADMINISTRATOR], is_staff=True))
    response = client.get(reverse("admin:embassies_mission_delete", args=[1]))
    assert response.status_code == 403
