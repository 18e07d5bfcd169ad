"""The message page's history names every event and every edited part in the reader's
language: it showed "message.publishing" raw, and "texts" in English (issue 13)."""

from __future__ import annotations

import pytest

from posts.services.messages import message_update
from posts.services.summary import messages_start_publishing
from tests.posts.factories import approved_message, draft_message

pytestmark = pytest.mark.django_db
FRENCH = {"Accept-Language": "fr"}


def test_the_history_names_the_publishing_events_in_french(login, author, press):
    message = approved_message(approver=press, author=author)
    messages_start_publishing(message_ids=[message.pk])
    page = login(press).get(message.get_absolute_url(), headers=FRENCH).text
    assert "message.publishing" not in page
    assert "publishing started" not in page
    assert "publication commencée" in page


def test_the_history_names_the_edited_parts_in_french(login, author):
    message = draft_message(author=author, texts={"fr": "Bonjour"})
    message_update(actor=author, message_id=message.pk, expected_version=message.version, texts={"fr": "Bonsoir"})
    page = login(author).get(message.get_absolute_url(), headers=FRENCH).text
    assert "a modifié le message" in page
    assert "textes" in page
