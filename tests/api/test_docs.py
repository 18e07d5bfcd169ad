"""The OpenAPI document is generated from the code and valid; its browsable documentation
is served by the app itself (no CDN) and keeps the site's CSP (no inline script or style)."""

from __future__ import annotations

import re

import yaml
from django.contrib.staticfiles import finders
from django.test import Client
from drf_spectacular.validation import validate_schema


def test_the_document_is_valid_openapi_3_and_covers_the_resources(world):
    response = Client().get("/api/v1/schema/")
    assert response.status_code == 200
    document = yaml.safe_load(response.content)
    validate_schema(document)  # against the OpenAPI 3 JSON schema
    assert document["openapi"].startswith("3.")
    paths = set(document["paths"])
    for path in ("/api/v1/messages/", "/api/v1/messages/{id}/approve/", "/api/v1/deliveries/{id}/settle/"):
        assert path in paths
    assert {"/api/v1/crisis-alerts/", "/api/v1/conversation-items/"} <= paths
    assert document["components"]["securitySchemes"]["bearerToken"] == {
        "type": "http",
        "scheme": "bearer",
        "description": "An API token, created by an administrator.",
    }


def test_the_docs_page_loads_only_the_apps_own_files_and_no_inline_code(world):
    response = Client().get("/api/v1/docs/")
    assert response.status_code == 200
    page = response.content.decode()
    assert "Content-Security-Policy" in response
    assert "<style" not in page
    scripts = re.findall(r"<script([^>]*)>", page)
    assert scripts
    assert all('src="' in attributes for attributes in scripts)
    assets = re.findall(r'(?:src|href)="([^"]+)"', page)
    assert not [url for url in assets if url.startswith(("http:", "https:", "//"))]
    for url in assets:
        if url.startswith("/static/"):
            assert finders.find(url.removeprefix("/static/")), url
    setup = Client().get("/api/v1/docs/?script=")
    assert setup.status_code == 200
    assert b"SwaggerUIBundle" in setup.content


def test_the_browsable_api_answers_a_browser(world, api_as):
    api = api_as("press")
    response = api.client.get("/api/v1/missions/", headers=api.headers | {"Accept": "text/html"})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/html")
