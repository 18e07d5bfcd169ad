"""The probe's ten ways to a 500 (issue 12), each answered with a 4xx or a form error in the
reader's language, on SQLite and on PostgreSQL (run with DATABASE_URL too)."""

from __future__ import annotations

import pytest
from axes.models import AccessAttempt
from django.db import transaction
from django.test import Client
from django.urls import reverse
from django.utils import translation

from audit.models import AuditEvent
from posts.models import Delivery, Message
from tests.security.conftest import build_world

pytestmark = pytest.mark.django_db

BEYOND_64_BITS = "9223372036854775808"


@pytest.fixture
def world(db):
    return build_world()


def _french(client: Client) -> Client:
    client.cookies["django_language"] = "fr"
    return client


def _get(client, path, data=None):
    with transaction.atomic():
        response = client.get(path, data or {})
        transaction.set_rollback(True)
    return response


# --- 1. The crisis alert form -----------------------------------------------------------------


@pytest.mark.parametrize("networks", [None, "youtube-not", ["twitter", "nowhere"]])
def test_crisis_alert_without_a_valid_network_is_a_form_error(world, networks):
    client = _french(world.client("crisis"))
    data = {"title": "t", "text_fr": "alerte", "scope_kind": "countries", "countries": "JP"}
    if networks is not None:
        data["networks"] = networks
    response = client.post(reverse("posts:crisis_create"), data)
    assert response.status_code == 400
    assert "id_networks" in response.text or "networks" in response.text
    error = "Choisissez au moins un réseau." if networks is None else "Sélectionnez un choix valide."
    assert error in response.text
    assert not Message.objects.filter(title="t").exists()


def test_the_crisis_form_shows_the_reach_of_a_valid_form_only(world):
    client = world.client("crisis")
    data = {"title": "t", "text_fr": "alerte", "scope_kind": "countries", "countries": "JP", "networks": "twitter"}
    response = client.post(reverse("posts:crisis_create"), data)
    assert response.status_code == 200
    assert response.context["reach"].accounts == 1


# --- 2. Login with a long username --------------------------------------------------------------


@pytest.mark.parametrize("length", [151, 256, 300, 100_000])
def test_a_username_longer_than_any_is_refused_before_anything_records_it(client, length):
    client.cookies["django_language"] = "fr"
    response = client.post(reverse("login"), {"username": "u" * length, "password": "x"}, REMOTE_ADDR="203.0.113.9")
    assert response.status_code == 200
    assert "au plus 150 caractères" in response.text  # the limit, said, in French
    assert not AccessAttempt.objects.exists()
    assert not AuditEvent.objects.filter(action="auth.login_failed").exists()


def test_a_username_of_150_characters_is_still_tried_and_counted(client):
    response = client.post(reverse("login"), {"username": "u" * 150, "password": "x"}, REMOTE_ADDR="203.0.113.9")
    assert response.status_code == 200
    assert AccessAttempt.objects.get().username == "u" * 150


# --- 3. Dates out of range ------------------------------------------------------------------------


@pytest.mark.parametrize("value", ["0001-01-01T00:00", "9999-12-31T23:59", "0001-01-01T08:00"])
def test_time_in_hq_answers_an_out_of_range_time_with_its_words(world, value):
    for mission in (world.mission_a, world.mission_b):
        client = _french(world.client("press"))
        response = _get(client, reverse("posts:time_in_hq"), {"mission": mission.pk, "desired_at": value})
        assert response.status_code == 200
        assert "time-check--error" in response.text


@pytest.mark.parametrize("value", ["0001-01-01", "9999-12-31", "0001-01-02", "9999-12-30"])
@pytest.mark.parametrize("view", ["week", "month"])
def test_the_calendar_answers_a_date_out_of_range(world, value, view):
    for tz in ("hq", "mission"):
        response = _get(world.client("press"), reverse("posts:calendar"), {"date": value, "view": view, "tz": tz})
        assert response.status_code == 200


@pytest.mark.parametrize("name", ["date_from", "date_to"])
@pytest.mark.parametrize("value", ["0001-01-01", "9999-12-31"])
def test_the_review_queue_answers_a_date_out_of_range(world, name, value):
    response = _get(world.client("press"), reverse("posts:review_queue"), {name: value})
    assert response.status_code == 200


@pytest.mark.parametrize("value", ["0001-01-01T00:00", "9999-12-31T23:59"])
def test_saving_a_draft_with_a_time_out_of_range_is_a_form_error(world, value):
    client = _french(world.client("officer_a"))
    data = {"title": "Draft", "text_fr": "Bonjour", "desired_at": value, "targets": [world.account_a.pk]}
    response = client.post(reverse("posts:message_create"), data)
    assert response.status_code in (200, 400)
    assert not Message.objects.filter(title="Draft").exists()


@pytest.mark.parametrize("value", ["0001-01-01T00:00", "9999-12-31T23:59"])
def test_approving_at_a_time_out_of_range_is_a_form_error(world, value):
    client = _french(world.client("press"))
    message = Message.objects.get(pk=world.message_a.pk)
    data = {"version": message.version, "when": "at", "publish_at": value}
    response = client.post(reverse("posts:message_approve", args=[message.pk]), data)
    assert response.status_code == 400
    message.refresh_from_db()
    assert message.state == Message.State.IN_REVIEW


# --- 4. Ids beyond 64 bits ---------------------------------------------------------------------------


@pytest.mark.parametrize("method", ["get", "post"])
@pytest.mark.parametrize("deliveries", [BEYOND_64_BITS, f"1,{BEYOND_64_BITS}", "²", "1\x00", "abc"])
def test_release_with_a_damaged_list_of_deliveries_says_so_and_releases_nothing(world, method, deliveries):
    """Never "all of them" for a list that names something else: the page says it is damaged."""
    client = _french(world.client("press"))
    path = reverse("posts:monitor_release", args=[world.approved_a.pk])
    before = sorted(Delivery.objects.filter(message=world.approved_a).values_list("pk", "state", "next_attempt_at"))
    if method == "get":
        response = client.get(path, {"deliveries": deliveries})
    else:
        response = client.post(path, {"deliveries": deliveries, "when": "now", "confirmed": "yes"})
    assert response.status_code == 400
    assert "La liste des envois est abîmée" in response.text
    after = sorted(Delivery.objects.filter(message=world.approved_a).values_list("pk", "state", "next_attempt_at"))
    assert after == before


# --- 5. The admin ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("value", ["abc", BEYOND_64_BITS, "-1", "1\x00"])
def test_the_membership_add_page_with_a_bad_user(world, value):
    client = world.client("admin")
    response = _get(client, reverse("admin:embassies_staffmembership_add"), {"user": value})
    assert response.status_code in (200, 400)


ADMIN_LISTS = [
    ("posts", "message", "mission"),
    ("posts", "message", "author"),
    ("posts", "delivery", "message"),
    ("posts", "delivery", "account__id__exact"),
    ("posts", "event", "message"),
    ("channels", "socialaccount", "mission"),
    ("embassies", "staffmembership", "user"),
    ("embassies", "staffmembership", "mission__id__exact"),
    ("auth", "user", "groups__id__exact"),
    ("audit", "auditevent", "id"),
]


@pytest.mark.parametrize(("app", "model", "lookup"), ADMIN_LISTS)
@pytest.mark.parametrize("value", [BEYOND_64_BITS, "-9223372036854775809", "abc", "a\x00b", "1,2"])
def test_admin_list_filters_with_bad_ids(world, app, model, lookup, value):
    response = _get(world.client("admin"), reverse(f"admin:{app}_{model}_changelist"), {lookup: value})
    assert response.status_code < 500


@pytest.mark.parametrize("value", ["a\x00b", "x" * 5000, "emb-jp-tokyo\x00"])
def test_membership_remove_with_a_nul_byte(world, value):
    path = reverse("embassies:membership_remove", args=[world.users["officer_a"].pk])
    response = _get(world.client("admin"), path, {"mission": value})
    assert response.status_code == 404


def test_language_of_the_error_answers(world):
    with translation.override("fr"):
        assert translation.gettext("Choose at least one network.") == "Choisissez au moins un réseau."


def test_the_admin_says_which_filter_is_not_an_id_in_french(world):
    client = _french(world.client("admin"))
    response = _get(client, reverse("admin:posts_message_changelist"), {"mission": BEYOND_64_BITS})
    assert response.status_code == 400
    assert "mission\u00a0» dans l’adresse doit être un identifiant" in response.text


def test_the_admin_still_filters_by_a_good_id(world):
    client = world.client("admin")
    response = _get(client, reverse("admin:posts_message_changelist"), {"mission": world.mission_a.pk})
    assert response.status_code == 200
    assert world.message_a.title in response.text
    assert world.message_b.title not in response.text
    response = _get(client, reverse("admin:embassies_staffmembership_add"), {"user": world.users["officer_a"].pk})
    assert response.status_code == 200


def test_the_admin_checks_the_address_after_the_login(world):
    response = _get(Client(), reverse("admin:posts_message_changelist"), {"mission": BEYOND_64_BITS})
    assert response.status_code == 302


@pytest.mark.parametrize(
    ("path", "data", "words"),
    [
        ("admin:posts_message_changelist", {"created_at__year": BEYOND_64_BITS}, "doit être un nombre"),
        ("admin:posts_message_changelist", {"created_at__year": "9999"}, "une année entre 2000 et 2099"),
        ("admin:posts_message_changelist", {"created_at__gte": "9999-12-31 00:00:00+00:00"}, "une date entre"),
        ("admin:auth_user_changelist", {"date_joined__gte": "0001-01-01"}, "une date entre"),
    ],
)
def test_the_admin_bounds_the_dates_in_its_addresses(world, path, data, words):
    response = _get(_french(world.client("admin")), reverse(path), data)
    assert response.status_code == 400
    assert words in response.text


def test_the_admin_still_shows_a_year_of_the_date_hierarchy(world):
    year = str(world.message_a.created_at.year)
    response = _get(world.client("admin"), reverse("admin:posts_message_changelist"), {"created_at__year": year})
    assert response.status_code == 200
    assert world.message_a.title in response.text


def test_an_empty_to_field_on_a_change_page_is_refused(world):
    path = reverse("admin:posts_publishingpause_change", args=[world.pause.pk])
    response = _get(_french(world.client("admin")), path, {"_to_field": ""})
    assert response.status_code == 400
    assert "doit nommer un champ" in response.text


@pytest.mark.parametrize(
    ("model", "lookup"), [("audit_auditevent", "source_address"), ("axes_accessattempt", "ip_address")]
)
def test_an_address_filter_that_is_no_ip_address_is_refused(world, model, lookup):
    """PostgreSQL's inet refuses it in the query (a 500 before): the address says so first."""
    response = _get(_french(world.client("admin")), reverse(f"admin:{model}_changelist"), {lookup: "../../etc"})
    assert response.status_code == 400
    assert "doit être une adresse IP" in response.text
    response = _get(world.client("admin"), reverse(f"admin:{model}_changelist"), {lookup: "203.0.113.7"})
    assert response.status_code == 200
