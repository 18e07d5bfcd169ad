"""Administrators' pages: the missions with their local time now, staff and their roles
and missions (each change a POST from a confirmation page, audited)."""

from __future__ import annotations

import pytest
from django.urls import reverse

from audit.models import AuditEvent
from embassies.models import StaffMembership
from embassies.roles import Role
from tests.posts.factories import mission, officer

pytestmark = pytest.mark.django_db


def test_missions_show_local_time_staff_and_accounts_to_administrators(admin_user, as_user, tokyo_officer):
    response = as_user(admin_user).get(reverse("embassies:mission_list"), {"q": "emb-jp-tokyo"})
    assert "JST" in response.text
    assert "daytime there" in response.text or "night there" in response.text
    assert response.context["page"].object_list[0].staff_count == 1
    assert reverse("embassies:staff_list") in response.text
    assert reverse("channels:account_list") in response.text


def test_missions_filter_by_region_and_kind(admin_user, as_user, django_assert_max_num_queries):
    client = as_user(admin_user)
    with django_assert_max_num_queries(9):
        response = client.get(reverse("embassies:mission_list"), {"region": "Americas", "kind": "consulate"})
    assert {m.kind for m in response.context["page"].object_list} == {"consulate"}
    assert {m.region for m in response.context["page"].object_list} == {"Americas"}


def test_press_officers_do_not_see_the_administrators_columns(press, as_user):
    page = as_user(press).get(reverse("embassies:mission_list")).text
    assert "Accounts connected" not in page
    assert reverse("embassies:staff_list") not in page


def test_staff_list_shows_roles_and_missions_in_constant_queries(admin_user, as_user, django_assert_max_num_queries):
    for number in range(30):
        officer("emb-jp-tokyo", "emb-eg-cairo", username=f"officer-{number}")
    client = as_user(admin_user)
    with django_assert_max_num_queries(9):
        response = client.get(reverse("embassies:staff_list"))
    assert "officer-7" in response.text
    assert "Embassy of France in Japan" in response.text
    assert (
        client.get(reverse("embassies:staff_list"), {"role": Role.ADMINISTRATOR}).context["page"].paginator.count == 1
    )


def test_grant_and_revoke_a_role_after_confirming(admin_user, as_user, tokyo_officer):
    client = as_user(admin_user)
    url = reverse("embassies:role_grant", args=[tokyo_officer.pk])
    page = client.get(url, {"role": Role.PRESS_OFFICE}).text
    assert "Give" in page
    assert "Press office" in page
    client.post(url, {"role": Role.PRESS_OFFICE})  # not confirmed
    assert not tokyo_officer.groups.filter(name=Role.PRESS_OFFICE).exists()
    response = client.post(url, {"role": Role.PRESS_OFFICE, "confirmed": "yes"})
    assert response.status_code == 302
    assert tokyo_officer.groups.filter(name=Role.PRESS_OFFICE).exists()
    assert AuditEvent.objects.filter(
        action="role.grant", object_id=str(tokyo_officer.pk), details__role=Role.PRESS_OFFICE
    ).exists()
    client.post(
        reverse("embassies:role_revoke", args=[tokyo_officer.pk]), {"role": Role.PRESS_OFFICE, "confirmed": "yes"}
    )
    assert not tokyo_officer.groups.filter(name=Role.PRESS_OFFICE).exists()


def test_an_administrator_cannot_remove_their_own_administrator_role(admin_user, as_user):
    response = as_user(admin_user).post(
        reverse("embassies:role_revoke", args=[admin_user.pk]), {"role": Role.ADMINISTRATOR, "confirmed": "yes"}
    )
    assert response.status_code == 400
    assert "You cannot remove your own administrator role" in response.text
    assert admin_user.groups.filter(name=Role.ADMINISTRATOR).exists()


def test_attach_and_detach_a_mission(admin_user, as_user, tokyo_officer):
    client = as_user(admin_user)
    add = reverse("embassies:membership_add", args=[tokyo_officer.pk])
    response = client.post(add, {"mission": "emb-de-berlin"})
    assert "will work for Embassy of France in Germany" in response.text
    response = client.post(add, {"mission": "no-such-mission", "confirmed": "yes"})
    assert response.status_code == 400
    assert 'id="id_mission_error"' in response.text
    client.post(add, {"mission": "emb-de-berlin", "confirmed": "yes"})
    assert StaffMembership.objects.filter(user=tokyo_officer, mission=mission("emb-de-berlin")).exists()
    assert AuditEvent.objects.filter(action="staff.membership_add", object_id=str(tokyo_officer.pk)).exists()
    remove = reverse("embassies:membership_remove", args=[tokyo_officer.pk])
    assert "Detach" in client.get(remove, {"mission": "emb-de-berlin"}).text
    client.post(remove, {"mission": "emb-de-berlin", "confirmed": "yes"})
    assert not StaffMembership.objects.filter(user=tokyo_officer, mission=mission("emb-de-berlin")).exists()
    assert AuditEvent.objects.filter(action="staff.membership_remove").exists()


def test_mission_page_lists_its_staff_for_administrators(admin_user, as_user, tokyo_officer):
    page = as_user(admin_user).get(reverse("embassies:mission_detail", args=["emb-jp-tokyo"])).text
    assert reverse("embassies:staff_detail", args=[tokyo_officer.pk]) in page
    assert "Officer" in page


def test_staff_pages_are_for_administrators_only(press, tokyo_officer, as_user):
    for user in (press, tokyo_officer):
        client = as_user(user)
        assert client.get(reverse("embassies:staff_detail", args=[tokyo_officer.pk])).status_code == 403
        assert (
            client.post(
                reverse("embassies:role_grant", args=[tokyo_officer.pk]),
                {"role": Role.ADMINISTRATOR, "confirmed": "yes"},
            ).status_code
            == 403
        )
    assert not tokyo_officer.groups.filter(name=Role.ADMINISTRATOR).exists()
