"""Reads of missions and staff (embassies/selectors.py)."""

import pytest
from django.http import Http404

from embassies import selectors
from embassies.roles import Role
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def people():
    return {
        "officer": UserFactory(
            username="sel-officer", last_name="Abe", roles=[Role.OFFICER], missions=["emb-jp-tokyo"]
        ),
        "press": UserFactory(username="sel-press", last_name="Bard", roles=[Role.PRESS_OFFICE]),
        "nobody": UserFactory(username="sel-nobody", last_name="Cole", roles=[]),
    }


def _names(people) -> list[str]:
    return [person.username for person in people if person.username.startswith("sel-")]


def test_staff_list_filters_by_role_or_by_no_role(people):
    assert _names(selectors.staff_list(role=Role.OFFICER)) == ["sel-officer"]
    assert _names(selectors.staff_list(role="none")) == ["sel-nobody"]
    assert _names(selectors.staff_list()) == ["sel-officer", "sel-press", "sel-nobody"]


def test_staff_list_searches_names_and_missions_once_per_person(people):
    people["officer"].memberships.create(mission_id=selectors.mission_get(user=people["press"], code="emb-eg-cairo").pk)
    assert _names(selectors.staff_list(query="emb-")) == ["sel-officer"]
    assert _names(selectors.staff_list(query="Tokyo")) == ["sel-officer"]
    assert _names(selectors.staff_list(query="bard")) == ["sel-press"]


def test_person_get_comes_with_roles_and_missions_or_is_not_found(people, django_assert_num_queries):
    # The person, their roles, their memberships, and every mission's names: the memberships
    # come by mission name in the reader's language (embassies.selectors.mission_name_order).
    with django_assert_num_queries(4):
        person = selectors.person_get(user_id=people["officer"].pk)
        assert [group.name for group in person.groups.all()] == [Role.OFFICER]
        assert [membership.mission.code for membership in person.memberships.all()] == ["emb-jp-tokyo"]
    with pytest.raises(Http404):
        selectors.person_get(user_id=0)


def test_mission_list_counts_staff_and_accounts_only_when_asked(people):
    (plain,) = selectors.mission_list(user=people["press"], query="emb-jp-tokyo")
    assert not hasattr(plain, "staff_count")
    (counted,) = selectors.mission_list(user=people["press"], query="emb-jp-tokyo", with_counts=True)
    assert (counted.staff_count, counted.accounts_total, counted.accounts_connected) == (1, 0, 0)
