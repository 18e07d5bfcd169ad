"""Property-based tests of the OpenAPI document against the running app (schemathesis):
the app served by pytest-django's live server on loopback, every operation called with
generated requests, valid and invalid, by a press officer's token. No request may give a
server error, and every answer must be one the document describes: its status, its media
type and its body's schema. Bounded (a few examples per operation) to stay short in CI."""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.generation.modes import GenerationMode
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from api.services.tokens import token_create_for_person
from tests.security.conftest import build_world

EXAMPLES = 8


# The migrations' rows (missions, role groups) are put back after the flush (tests/live.py).
pytestmark = pytest.mark.usefixtures("_live_database_keeper", "transactional_db", "django_db_serialized_rollback")


@pytest.fixture
def running_app(live_server):
    """The app on a live server, with the security suite's world in a committed database."""
    server = live_server
    world = build_world()
    token = token_create_for_person(actor=world.users["admin"], user_id=world.users["press"].pk, name="schemathesis")
    return server.url, token.secret


CHECKS = [
    schemathesis.checks.not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]


@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE])
def test_the_api_answers_as_its_document_says(running_app, mode):
    """Each operation in turn, with Hypothesis driving schemathesis's strategy for it (the
    pytest plugin's subtests do not run under this pytest): failures are gathered, so that
    one report names every operation that broke its contract."""
    url, secret = running_app
    schema = schemathesis.openapi.from_url(f"{url}/api/v1/schema/?format=json")
    headers = {"Authorization": f"Bearer {secret}"}
    failures: list[str] = []
    operations = 0
    for result in schema.get_all_operations():
        operation = result.ok()
        operations += 1

        @given(case=operation.as_strategy(mode))
        @settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)
        def check(case):
            case.call_and_validate(base_url=url, headers=headers, checks=CHECKS)

        try:
            check()
        except Exception as failure:
            failures.append(f"{operation.method.upper()} {operation.path}: {failure}")
    assert operations >= 20
    assert not failures, "\n\n".join(failures)
