"""Every free text is bounded by what the networks could ever take, with a margin
(posts/limits.py): past it, the form refuses it with the limit said, in the reader's
language, and the service refuses it again (for every other way in)."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from posts.limits import REASON_MAX, TEXT_MAX
from posts.models import Message, PublishingPause
from posts.services.messages import message_create
from posts.services.pause import publishing_pause
from tests.security.conftest import build_world

pytestmark = pytest.mark.django_db

A_MEGABYTE = "é" * 1_000_000


@pytest.fixture
def world(db):
    return build_world()


def _french(client):
    client.cookies["django_language"] = "fr"
    return client


@pytest.mark.parametrize("field", ["text_fr", "text_fr_facebook", "text_ja"])
def test_a_megabyte_of_text_is_refused_from_a_draft_with_the_limit_said(world, field):
    client = _french(world.client("officer_a"))
    data = {"title": "Too long", "text_fr": "Bonjour", field: A_MEGABYTE, "targets": [world.account_a.pk]}
    response = client.post(reverse("posts:message_create"), data)
    assert response.status_code == 400
    assert f"au plus {TEXT_MAX} caractères" in response.text
    assert not Message.objects.filter(title="Too long").exists()


def test_a_text_as_long_as_the_limit_is_kept_as_a_draft(world):
    client = world.client("officer_a")
    data = {"title": "Long", "text_fr": "x" * TEXT_MAX, "targets": [world.account_a.pk]}
    response = client.post(reverse("posts:message_create"), data)
    assert response.status_code == 302
    assert len(Message.objects.get(title="Long").texts.get(language="fr").body) == TEXT_MAX


def test_the_service_refuses_it_too(world):
    with pytest.raises(ValidationError) as error:
        message_create(
            actor=world.users["officer_a"],
            mission=world.mission_a,
            title="Too long",
            texts={"fr": "x" * (TEXT_MAX + 1)},
            target_ids=[world.account_a.pk],
        )
    assert str(TEXT_MAX) in " ".join(error.value.messages)


@pytest.mark.parametrize("field", ["text_fr", "text_en", "text_1"])
def test_a_crisis_alert_text_is_bounded(world, field):
    client = _french(world.client("crisis"))
    data = {
        "title": "Alert",
        "text_fr": "Restez chez vous.",
        "language_1": "ja",
        "text_1": "家にいてください。",
        "scope_kind": "countries",
        "countries": "JP",
        "networks": "twitter",
        "action": "submit",
    }
    data[field] = "x" * (TEXT_MAX + 1)
    response = client.post(reverse("posts:crisis_create"), data)
    assert response.status_code == 400
    assert f"au plus {TEXT_MAX} caractères" in response.text
    assert not Message.objects.filter(title="Alert").exists()


def test_a_pause_reason_is_bounded_by_the_form_and_the_service(world):
    client = _french(world.client("press"))
    data = {"scope": "all", "reason": "x" * (REASON_MAX + 1), "confirmed": "yes"}
    response = client.post(reverse("posts:pause"), data)
    assert response.status_code in (200, 400)
    assert f"au plus {REASON_MAX} caractères" in response.text
    with pytest.raises(ValidationError):
        publishing_pause(actor=world.users["press"], scope="all", reason="x" * (REASON_MAX + 1))
    assert not PublishingPause.objects.filter(scope="all").exists()


@pytest.mark.parametrize("path", ["embassies:staff_list", "embassies:mission_list"])
def test_a_search_is_a_few_words(world, path):
    response = _french(world.client("admin")).get(reverse(path), {"q": "x" * 5000})
    assert response.status_code == 200
    assert "au plus 200 caractères" in response.text
