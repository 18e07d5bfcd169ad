"""Missions, countries and cities in the reader's language, sorted as a reader expects."""

import re

import pytest
from django.urls import reverse
from django.utils import translation

from embassies.missions_csv import read_missions
from embassies.models import Mission
from embassies.names import country_name, language_name, sort_key
from embassies.roles import Role
from posts.selectors.messages import missions_for_filters
from tests.factories import UserFactory
from tests.security.otp import force_verified_login

pytestmark = pytest.mark.django_db

FRENCH = {"HTTP_ACCEPT_LANGUAGE": "fr"}


def test_every_mission_has_its_name_and_city_in_french_after_migrate():
    assert Mission.objects.filter(name_fr="").count() == 0
    assert Mission.objects.filter(city_fr="").count() == 0
    cairo = Mission.objects.get(code="emb-eg-cairo")
    assert (cairo.name_fr, cairo.city_fr) == ("Ambassade de France en Égypte", "Le Caire")
    assert Mission.objects.get(code="cg-eg-cairo").name_fr == "Consulat général de France au Caire"
    assert Mission.objects.get(code="emb-us-washington").name_fr == "Ambassade de France aux États-Unis"
    assert Mission.objects.get(code="emb-jp-tokyo").name_fr == "Ambassade de France au Japon"


def test_a_mission_speaks_the_readers_language():
    cairo = Mission.objects.get(code="emb-eg-cairo")
    with translation.override("fr"):
        assert (str(cairo), cairo.display_city, cairo.country_name) == (
            "Ambassade de France en Égypte",
            "Le Caire",
            "Égypte",
        )
    with translation.override("en"):
        assert (str(cairo), cairo.display_city, cairo.country_name) == ("Embassy of France in Egypt", "Cairo", "Egypt")


@pytest.mark.parametrize("language", ["en", "fr", "es", "de", "ar"])
def test_no_country_shows_an_iso_official_form(language):
    """ISO's inverted forms ("Congo, The Democratic Republic of the") are never shown."""
    codes = {row["country_code"] for row in read_missions()}
    names = {code: country_name(code, language) for code in codes}
    assert not [name for name in names.values() if "," in name or "(" in name or "،" in name]
    assert all(name != code for code, name in names.items())
    if language == "ar":  # every name in Arabic script, none left in English
        assert not [name for name in names.values() if re.search("[A-Za-z]", name)]
    assert (
        country_name("CD", language)
        == {
            "en": "Democratic Republic of the Congo",
            "fr": "République démocratique du Congo",
            "es": "República Democrática del Congo",
            "de": "Demokratische Republik Kongo",
            "ar": "جمهورية الكونغو الديمقراطية",
        }[language]
    )


def test_sorting_folds_accents_and_ignores_linking_words():
    names = ["Ambassade de France en Espagne", "Ambassade de France au Brésil", "Ambassade de France en Égypte"]
    assert sorted(names, key=sort_key) == [
        "Ambassade de France au Brésil",
        "Ambassade de France en Égypte",
        "Ambassade de France en Espagne",
    ]
    assert sort_key("Embassy of France in the Netherlands") == "embassy france netherlands"
    # "à" is folded to "a" before the linking words go: Djibouti among the D's, not first.
    names = ["Ambassade de France à Djibouti", "Ambassade de France en Afrique du Sud"]
    assert sorted(names, key=sort_key) == ["Ambassade de France en Afrique du Sud", "Ambassade de France à Djibouti"]
    assert sort_key("Délégation permanente auprès de l'UNESCO") == "delegation permanente unesco"


def test_the_missions_page_lists_by_name_in_french_for_a_french_reader(client):
    officer = UserFactory(roles=[Role.OFFICER], missions=["emb-es-madrid", "emb-eg-cairo", "emb-br-brasilia"])
    client.force_login(officer)
    response = client.get(reverse("embassies:mission_list"), **FRENCH)
    assert [str(m) for m in response.context["page"].object_list] == [
        "Ambassade de France au Brésil",
        "Ambassade de France en Égypte",
        "Ambassade de France en Espagne",
    ]
    assert "Le Caire" in response.text
    assert "Cairo" not in response.text
    english = client.get(reverse("embassies:mission_list"))
    assert [m.code for m in english.context["page"].object_list] == ["emb-br-brasilia", "emb-eg-cairo", "emb-es-madrid"]


def test_the_missions_page_finds_a_mission_by_its_french_name(client):
    press = UserFactory(roles=[Role.PRESS_OFFICE])
    force_verified_login(client, press)
    response = client.get(reverse("embassies:mission_list"), {"q": "Le Caire"}, **FRENCH)
    assert {m.code for m in response.context["page"].object_list} == {"emb-eg-cairo", "cg-eg-cairo"}


def test_the_mission_filters_are_by_name_in_the_readers_language():
    press = UserFactory(roles=[Role.PRESS_OFFICE])
    with translation.override("fr"):
        names = [option.name for option in missions_for_filters(user=press)]
    assert len(names) == 271
    assert names == sorted(names, key=sort_key)
    assert "Ambassade de France au Japon" in names
    assert names.index("Ambassade de France en Égypte") < names.index("Ambassade de France en Espagne")


def test_a_language_is_named_as_it_reads_in_a_sentence():
    assert [language_name(code, "en") for code in ("fr", "ar", "hy")] == ["French", "Arabic", "Armenian"]
    # French names of languages take no capital: "Texte en français".
    assert [language_name(code, "fr") for code in ("fr", "ar", "hy")] == ["français", "arabe", "arménien"]
    assert language_name("dv", "fr") == "divehi"  # not in Django's list: ISO 639's catalogue


def test_the_compose_form_labels_each_text_in_the_readers_language(client):
    officer = UserFactory(roles=[Role.OFFICER], missions=["emb-eg-cairo"])
    client.force_login(officer)
    mission_id = Mission.objects.get(code="emb-eg-cairo").pk
    html = client.get(reverse("posts:message_create"), {"mission": mission_id}, **FRENCH).text
    assert "Texte en français" in html
    assert "Texte en arabe" in html
    assert "Heure souhaitée (Le Caire)" in html


# --- Spanish, German and Arabic readers: the names of embassies/data/mission_names.csv -----------


def test_every_mission_has_its_name_and_city_in_spanish_german_and_arabic():
    from embassies.missions_csv import read_mission_names

    names = read_mission_names()
    assert set(names) == {row["code"] for row in read_missions()}
    for code, row in names.items():
        assert all(row.values()), code
        # Arabic script, but for the acronyms of an organisation (FAO).
        assert not re.search("[A-Za-z]", re.sub(r"\(.*\)", "", row["name_ar"] + row["city_ar"])), code


@pytest.mark.parametrize(
    ("language", "name", "city"),
    [
        ("es", "Embajada de Francia en Egipto", "El Cairo"),
        ("de", "Französische Botschaft in Kairo", "Kairo"),
        ("ar", "سفارة فرنسا في مصر", "القاهرة"),
        ("fr", "Ambassade de France en Égypte", "Le Caire"),
        ("en", "Embassy of France in Egypt", "Cairo"),
    ],
)
def test_a_reader_sees_the_mission_in_their_language(language, name, city):
    cairo = Mission.objects.get(code="emb-eg-cairo")
    with translation.override(language):
        assert (cairo.display_name, cairo.display_city) == (name, city)


@pytest.mark.parametrize(("language", "query"), [("es", "Egipto"), ("de", "Kairo"), ("ar", "مصر")])
def test_the_missions_page_finds_a_mission_by_its_name_in_the_readers_language(client, language, query):
    user = UserFactory(roles=[Role.PRESS_OFFICE])
    force_verified_login(client, user)
    client.cookies["django_language"] = language
    page = client.get(reverse("embassies:mission_list"), {"q": query}).text
    with translation.override(language):
        assert Mission.objects.get(code="emb-eg-cairo").display_name in page
        assert Mission.objects.get(code="emb-jp-tokyo").display_name not in page
