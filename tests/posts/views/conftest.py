"""Fixtures for the publishing pages' view tests: one user per role, a logged-in client."""

from __future__ import annotations

import pytest

from tests.posts.factories import administrator, crisis_member, mission, officer, press_officer
from tests.security.otp import force_verified_login


@pytest.fixture
def cairo(db):
    return mission("emb-eg-cairo")


@pytest.fixture
def tokyo(db):
    return mission("emb-jp-tokyo")


@pytest.fixture
def author(db):
    """An officer of the Cairo embassy (French, Arabic, English)."""
    return officer("emb-eg-cairo", first_name="Claire")


@pytest.fixture
def colleague(db):
    """Another officer of the Cairo embassy."""
    return officer("emb-eg-cairo", first_name="Nadia")


@pytest.fixture
def stranger(db):
    """An officer of another mission (Tokyo)."""
    return officer("emb-jp-tokyo", first_name="Kenji")


@pytest.fixture
def press(db):
    return press_officer(first_name="Léa")


@pytest.fixture
def crisis(db):
    return crisis_member(first_name="Inès")


@pytest.fixture
def admin_user(db):
    return administrator(first_name="Camille")


@pytest.fixture
def login(client):
    """login(user) -> the test client, logged in as that user (with the second factor
    verified for the roles that need one)."""

    def as_user(user):
        client.logout()
        force_verified_login(client, user)
        return client

    return as_user


@pytest.fixture
def htmx_headers():
    return {"HX-Request": "true"}
