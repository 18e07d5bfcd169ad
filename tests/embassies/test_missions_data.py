"""The 271 missions loaded by the data migration: counts, codes, zones, languages."""

import zoneinfo
from collections import Counter

import pycountry
import pytest

from embassies.missions_csv import read_missions
from embassies.models import Mission
from embassies.validators import USER_ASSIGNED_COUNTRY_CODES, is_language_code

pytestmark = pytest.mark.django_db


def test_every_mission_of_the_list_is_loaded():
    assert Mission.objects.count() == len(read_missions()) == 271
    assert set(Mission.objects.values_list("code", flat=True)) == {row["code"] for row in read_missions()}


def test_counts_by_kind():
    counts = Counter(Mission.objects.values_list("kind", flat=True))
    assert counts == {"embassy": 163, "consulate": 92, "delegation": 16}


def test_codes_are_unique_and_say_the_kind():
    codes = [row["code"] for row in read_missions()]
    assert len(codes) == len(set(codes))
    # Consulates general are "cg-", the four plain consulates "con-".
    prefixes = {"embassy": ("emb-",), "consulate": ("cg-", "con-"), "delegation": ("del-",)}
    for row in read_missions():
        assert row["code"].startswith(prefixes[row["kind"]]), row["code"]


def test_every_time_zone_loads():
    for code, name in Mission.objects.values_list("code", "time_zone"):
        assert zoneinfo.ZoneInfo(name).key == name, code


def test_every_language_is_iso_639_1_french_first_and_listed_once():
    for mission in Mission.objects.all():
        assert mission.languages, mission.code
        assert all(is_language_code(code) for code in mission.languages), (mission.code, mission.languages)
        assert mission.languages[0] == "fr", mission.code
        assert len(set(mission.languages)) == len(mission.languages), mission.code


def test_every_country_code_is_iso_3166_1():
    for code, country in Mission.objects.values_list("code", "country_code"):
        assert country in USER_ASSIGNED_COUNTRY_CODES or pycountry.countries.get(alpha_2=country), code


def test_every_region_is_one_of_the_ministrys_directorates():
    assert set(Mission.objects.values_list("region", flat=True)) == set(Mission.Region.values)


def test_every_mission_passes_full_clean():
    for mission in Mission.objects.all():
        mission.full_clean()


def test_every_mission_has_a_country_name():
    for mission in Mission.objects.all():
        assert mission.country_name, mission.code
        assert mission.country_name != mission.country_code, mission.code


def test_the_demo_missions_exist():
    """seed_demo and the tests rely on these."""
    codes = {"emb-jp-tokyo", "emb-eg-cairo", "cg-us-new-york", "emb-de-berlin"}
    assert set(Mission.objects.filter(code__in=codes).values_list("code", flat=True)) == codes
