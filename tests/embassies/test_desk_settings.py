"""A mission's business hours and the languages its staff read, edited by administrators
in the app (no longer only in the Django admin): validated with clear errors, audited from
what to what, and what triage's clocks and "global time" then count on."""

from __future__ import annotations

from datetime import time

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from audit.models import AuditEvent
from conversations.services import triage
from embassies.models import Mission, StaffMembership
from embassies.roles import Role
from embassies.services import mission_hours_set, staff_languages_set
from tests.factories import UserFactory, mission
from tests.security.otp import force_verified_login

pytestmark = pytest.mark.django_db

CAIRO = "emb-eg-cairo"


@pytest.fixture
def admin():
    return UserFactory(username="desk-admin", roles=[Role.ADMINISTRATOR], is_staff=True)


@pytest.fixture
def cairo_officer():
    return UserFactory(
        username="cairo-officer", first_name="Amal", last_name="Haddad", roles=[Role.OFFICER], missions=[CAIRO]
    )


def _membership(user) -> StaffMembership:
    return StaffMembership.objects.get(user=user, mission=mission(CAIRO))


def test_hours_are_set_audited_and_read_by_triage(admin):
    cairo = mission(CAIRO)
    before = list(cairo.business_days)
    assert mission_hours_set(actor=admin, mission_id=cairo.pk, days=[7, 1, 2, 3], opens_at=time(8), closes_at=time(15))
    cairo.refresh_from_db()
    assert (cairo.business_days, cairo.opens_at, cairo.closes_at) == ([1, 2, 3, 7], time(8), time(15))
    event = AuditEvent.objects.get(action="mission.hours_change")
    assert event.actor == admin
    assert event.details["before"]["business_days"] == before
    assert event.details["after"] == {"business_days": [1, 2, 3, 7], "opens_at": "08:00", "closes_at": "15:00"}
    hours = triage.rules_load().missions[cairo.pk].hours
    assert (hours.opens, hours.closes) == (time(8), time(15))
    # The same again changes nothing, and writes nothing.
    assert not mission_hours_set(
        actor=admin, mission_id=cairo.pk, days=[1, 2, 3, 7], opens_at=time(8), closes_at=time(15)
    )
    assert AuditEvent.objects.filter(action="mission.hours_change").count() == 1


@pytest.mark.parametrize(
    ("days", "opens", "closes", "field"),
    [
        ([], time(9), time(17), "business_days"),
        ([1, 8], time(9), time(17), "business_days"),
        ([1], time(17), time(9), "closes_at"),
        ([1], time(9), time(9), "closes_at"),
    ],
)
def test_bad_hours_are_refused_by_field(admin, days, opens, closes, field):
    cairo = mission(CAIRO)
    with pytest.raises(ValidationError) as refused:
        mission_hours_set(actor=admin, mission_id=cairo.pk, days=days, opens_at=opens, closes_at=closes)
    assert field in refused.value.message_dict
    assert not AuditEvent.objects.filter(action="mission.hours_change").exists()


def test_only_administrators_set_hours_and_languages(cairo_officer):
    cairo = mission(CAIRO)
    for actor in (cairo_officer, UserFactory(username="press", roles=[Role.PRESS_OFFICE])):
        with pytest.raises(PermissionDenied):
            mission_hours_set(actor=actor, mission_id=cairo.pk, days=[1], opens_at=time(9), closes_at=time(17))
        with pytest.raises(PermissionDenied):
            staff_languages_set(actor=actor, mission_id=cairo.pk, languages={_membership(cairo_officer).pk: ["ar"]})


def test_languages_are_set_per_person_audited_and_read_by_triage(admin, cairo_officer):
    membership = _membership(cairo_officer)
    assert (
        staff_languages_set(
            actor=admin, mission_id=membership.mission_id, languages={membership.pk: ["AR", "fr", "ar"]}
        )
        == 1
    )
    membership.refresh_from_db()
    assert membership.languages == ["ar", "fr"]
    event = AuditEvent.objects.get(action="staff.languages_change")
    assert (event.details["before"], event.details["after"], event.details["mission_code"]) == ([], ["ar", "fr"], CAIRO)
    assert triage.rules_load().missions[membership.mission_id].reads == frozenset({"ar", "fr"})


def test_an_unknown_language_refuses_the_lot(admin, cairo_officer):
    other = UserFactory(username="cairo-2", roles=[Role.OFFICER], missions=[CAIRO])
    first, second = _membership(cairo_officer), _membership(other)
    with pytest.raises(ValidationError) as refused:
        staff_languages_set(
            actor=admin, mission_id=first.mission_id, languages={first.pk: ["ar"], second.pk: ["xx", "fr"]}
        )
    assert "xx" in refused.value.message_dict[f"languages-{second.pk}"][0]
    first.refresh_from_db()
    assert first.languages == []


def test_a_membership_of_another_mission_is_refused(admin):
    tokyo_officer = UserFactory(username="tokyo", roles=[Role.OFFICER], missions=["emb-jp-tokyo"])
    tokyo = StaffMembership.objects.get(user=tokyo_officer)
    with pytest.raises(ValidationError):
        staff_languages_set(actor=admin, mission_id=mission(CAIRO).pk, languages={tokyo.pk: ["ja"]})
    tokyo.refresh_from_db()
    assert tokyo.languages == []


def test_the_page_saves_and_says_what_is_wrong_beside_the_field(client, admin, cairo_officer):
    force_verified_login(client, admin)
    detail = client.get(reverse("embassies:mission_detail", args=[CAIRO]))
    url = reverse("embassies:desk_settings", args=[CAIRO])
    assert url in detail.text
    page = client.get(url)
    assert page.status_code == 200
    assert "Amal Haddad" in page.text
    hours = reverse("embassies:mission_hours", args=[CAIRO])
    refused = client.post(hours, {"opens_at": "17:00", "closes_at": "09:00"})
    assert refused.status_code == 400
    assert "Choose at least one working day." in refused.text
    assert "The mission closes after it opens" in refused.text
    saved = client.post(hours, {"business_days": ["7", "1", "2", "3", "4"], "opens_at": "08:30", "closes_at": "16:00"})
    assert saved.status_code == 302
    assert Mission.objects.get(code=CAIRO).opens_at == time(8, 30)
    field = f"languages-{_membership(cairo_officer).pk}"
    languages = reverse("embassies:staff_languages", args=[CAIRO])
    unknown = client.post(languages, {field: "ar, klingon"})
    assert unknown.status_code == 400
    assert "Unknown languages: klingon" in unknown.text
    assert client.post(languages, {field: "ar, fr"}).status_code == 302
    assert _membership(cairo_officer).languages == ["ar", "fr"]


def test_an_officer_gets_no_settings_page(client, cairo_officer):
    force_verified_login(client, cairo_officer)
    assert client.get(reverse("embassies:desk_settings", args=[CAIRO])).status_code == 403
    response = client.post(
        reverse("embassies:mission_hours", args=[CAIRO]),
        {"business_days": ["1"], "opens_at": "08:00", "closes_at": "09:00"},
    )
    assert response.status_code == 403
