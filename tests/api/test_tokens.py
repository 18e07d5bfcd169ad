"""Tokens: made by administrators, shown once, kept as a digest, revoked at once, audited,
limited per token; a person's token has their rights, nothing more."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from api.models import ApiToken
from api.services.tokens import digest, token_create_for_person, token_create_for_service, token_revoke
from audit.models import AuditEvent
from tests.api.conftest import ApiClient
from tests.security.otp import force_verified_login


def test_a_token_is_kept_only_as_its_digest_and_audited(world):
    new = token_create_for_person(actor=world.users["admin"], user_id=world.users["press"].pk, name="Archive")
    stored = ApiToken.objects.get(pk=new.token.pk)
    assert new.secret.startswith(f"dh_{stored.prefix}_")
    assert stored.digest == digest(new.secret)
    assert new.secret not in str(ApiToken.objects.filter(pk=stored.pk).values().get())
    event = AuditEvent.objects.get(action="api.token_create")
    assert event.actor == world.users["admin"]
    assert new.secret not in str(event.details)
    assert ApiClient(new.secret).get("/api/v1/me/").json()["username"] == "press-1"


def test_only_administrators_make_tokens(world):
    with pytest.raises(PermissionDenied):
        token_create_for_person(actor=world.users["press"], user_id=world.users["press"].pk, name="Mine")


def test_a_revoked_or_expired_token_stops_at_once(world):
    new = token_create_for_person(
        actor=world.users["admin"],
        user_id=world.users["press"].pk,
        name="Short",
        expires_at=timezone.now() + timedelta(hours=1),
    )
    api = ApiClient(new.secret)
    assert api.get("/api/v1/me/").status_code == 200
    ApiToken.objects.filter(pk=new.token.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    assert api.get("/api/v1/me/").status_code == 401
    ApiToken.objects.filter(pk=new.token.pk).update(expires_at=None)
    token_revoke(actor=world.users["admin"], token_id=new.token.pk)
    assert api.get("/api/v1/me/").status_code == 401
    assert AuditEvent.objects.filter(action="api.token_revoke").count() == 1


def test_a_service_account_needs_an_expiry_scopes_and_for_an_officer_missions(world):
    admin = world.users["admin"]
    later = timezone.now() + timedelta(days=1)
    with pytest.raises(ValidationError):
        token_create_for_service(
            actor=admin, name="x", role="officer", mission_ids=[], scopes=["read"], expires_at=later
        )
    with pytest.raises(ValidationError):
        token_create_for_service(
            actor=admin, name="x", role="press_office", mission_ids=[], scopes=[], expires_at=later
        )
    with pytest.raises(ValidationError):
        token_create_for_service(
            actor=admin, name="x", role="administrator", mission_ids=[], scopes=["read"], expires_at=later
        )
    new = token_create_for_service(
        actor=admin, name="Website", role="officer", mission_ids=[world.mission_a.pk], scopes=["read"], expires_at=later
    )
    assert new.token.user.memberships.get().mission == world.mission_a
    assert not new.token.user.has_usable_password()
    token_revoke(actor=admin, token_id=new.token.pk)
    new.token.user.refresh_from_db()
    assert not new.token.user.is_active  # nothing else acts as it


def test_each_token_has_its_own_rate(world):
    slow = token_create_for_person(
        actor=world.users["admin"], user_id=world.users["press"].pk, name="Slow", rate_per_minute=2
    )
    other = token_create_for_person(
        actor=world.users["admin"], user_id=world.users["press"].pk, name="Other", rate_per_minute=2
    )
    api = ApiClient(slow.secret)
    assert [api.get("/api/v1/me/").status_code for _ in range(3)] == [200, 200, 429]
    limited = api.get("/api/v1/me/")
    assert limited["Content-Type"] == "application/problem+json"
    assert limited.json()["code"] == "request.throttled"
    assert int(limited["Retry-After"]) > 0
    assert ApiClient(other.secret).get("/api/v1/me/").status_code == 200


def test_administrators_make_and_revoke_tokens_in_the_app(world, client):
    force_verified_login(client, world.users["admin"])
    page = client.post(
        "/integrations/tokens/new/person/",
        {"user": world.users["officer_a"].pk, "name": "Website", "rate_per_minute": 0},
    )
    assert page.status_code == 200
    token = ApiToken.objects.get(name="Website")
    secret = page.context["secret"]
    assert digest(secret) == token.digest
    listing = client.get("/integrations/tokens/").content.decode()
    assert "Website" in listing
    assert secret not in listing
    assert client.post(f"/integrations/tokens/{token.pk}/revoke/").status_code == 302
    assert ApiClient(secret).get("/api/v1/me/").status_code == 401
