"""Bad input never gives a server error: malformed JSON, wrong types, huge bodies, bad
tokens each get a clear 4xx as application/problem+json with a stable code."""

from __future__ import annotations

import pytest

from diplomacy_hub.errors import server_error
from tests.api.conftest import ApiClient

PROBLEM = "application/problem+json"


def _problem(response, status: int, code: str) -> dict:
    assert response.status_code == status, response.content
    assert response["Content-Type"] == PROBLEM
    body = response.json()
    assert (body["status"], body["code"]) == (status, code)
    assert body["title"]
    return body


def test_malformed_json_is_a_400(world, api_as):
    response = api_as("officer_a").raw("post", "/api/v1/messages/", b'{"mission": 1, "title": ')
    _problem(response, 400, "request.malformed")


@pytest.mark.parametrize(
    "body",
    [
        {"mission": "Tokyo", "title": "x", "texts": [], "target_ids": []},
        {"mission": 1, "title": ["x"], "texts": "fr", "target_ids": "1"},
        {"mission": 1, "title": "x", "texts": [{"language": 3, "body": None}], "target_ids": [-1]},
        [],
        "a string",
        None,
    ],
)
def test_wrong_types_are_a_400_naming_the_fields(world, api_as, body):
    response = api_as("officer_a").raw("post", "/api/v1/messages/", __import__("json").dumps(body).encode())
    problem = _problem(response, 400, "request.invalid")
    assert problem["errors"]


def test_a_huge_body_is_a_413(world, api_as, settings):
    settings.API_MAX_BODY = 1000
    body = b'{"title": "' + b"x" * 5000 + b'"}'
    _problem(api_as("officer_a").raw("post", "/api/v1/messages/", body), 413, "request.too_large")


def test_a_form_body_is_a_415(world, api_as):
    response = api_as("officer_a").raw("post", "/api/v1/messages/", b"title=x", "application/x-www-form-urlencoded")
    _problem(response, 415, "request.unsupported_media_type")


def test_what_the_services_refuse_is_a_422_with_their_codes(world, api_as):
    api = api_as("officer_a")
    response = api.post(
        "/api/v1/messages/",
        {
            "mission": world.mission_a.pk,
            "title": "Too far",
            "texts": [{"language": "de", "body": "Hallo."}],
            "target_ids": [world.account_b.pk],
        },
    )
    problem = _problem(response, 422, "validation.failed")
    assert set(problem["errors"]) == {"texts"} or set(problem["errors"]) == {"texts", "target_ids"}
    # Submitting an empty message: the validation problems' own codes (posts.problems).
    created = api.post(
        "/api/v1/messages/",
        {"mission": world.mission_a.pk, "title": "Empty", "texts": [], "target_ids": []},
    ).json()
    submitted = api.post(f"/api/v1/messages/{created['id']}/submit/", {})
    problem = _problem(submitted, 422, "message.problems")
    assert {"texts.none", "targets.none"} <= {item["code"] for item in problem["problems"]}


@pytest.mark.parametrize(
    "header", ["Bearer", "Bearer a b", "Bearer dh_nothere_xxxxxxxx", "Bearer not-a-token", "Bearer \u00e9"]
)
def test_a_bad_token_is_a_401(world, header):
    client = ApiClient()
    client.headers = {"Authorization": header}
    response = client.get("/api/v1/messages/")
    _problem(response, 401, "auth.failed")
    assert response["WWW-Authenticate"].startswith("Bearer")


def test_no_credentials_is_a_401(world):
    _problem(ApiClient().get("/api/v1/messages/"), 401, "auth.required")


def test_an_unknown_id_is_a_404_and_a_missing_one_too(world, api_as):
    api = api_as("press")
    _problem(api.get("/api/v1/messages/999999/"), 404, "not_found")
    assert api.get("/api/v1/messages/x/").status_code == 404


def test_a_server_error_under_the_api_is_problem_json_too(rf):
    response = server_error(rf.get("/api/v1/messages/"))
    assert response.status_code == 500
    assert response["Content-Type"] == PROBLEM
    assert b'"code": "server.error"' in response.content
    assert server_error(None).status_code == 500  # no request: the plain page
