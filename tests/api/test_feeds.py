"""Atom feeds: public and cacheable, only what went out, in the words that went out,
valid Atom 1.0 (RFC 4287: parsed by feedparser without a fault, and the elements the RFC
requires of a feed and of each entry checked one by one)."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import feedparser
from django.test import Client
from django.utils import timezone

from posts.models import Delivery, Message

ATOM = "{http://www.w3.org/2005/Atom}"


def _publish(message: Message, url: str = "https://x.com/i/web/status/42") -> None:
    """As the engine leaves it once every delivery went out."""
    now = timezone.now()
    Delivery.objects.filter(message=message).update(state=Delivery.State.SENT, sent_at=now, external_url=url)
    Message.objects.filter(pk=message.pk).update(state=Message.State.PUBLISHED, updated_at=now)


def _valid_atom(response) -> feedparser.FeedParserDict:
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/atom+xml")
    parsed = feedparser.parse(response.content)
    assert not parsed.bozo, parsed.get("bozo_exception")
    assert parsed.version == "atom10"
    root = ET.fromstring(response.content)  # noqa: S314 (our own feed, made by Django's generator)
    assert root.tag == f"{ATOM}feed"
    for name in ("id", "title", "updated"):
        assert root.find(f"{ATOM}{name}") is not None, name
    assert root.find(f"{ATOM}author/{ATOM}name") is not None  # or an author on every entry (RFC 4287 4.1.1)
    for entry in root.findall(f"{ATOM}entry"):
        for name in ("id", "title", "updated"):
            assert entry.find(f"{ATOM}{name}") is not None, name
    return parsed


def test_a_missions_feed_holds_what_it_published_in_that_language(world):
    _publish(world.approved_a)
    response = Client().get(f"/feeds/missions/{world.mission_a.code}/fr.atom")
    parsed = _valid_atom(response)
    assert "public" in response["Cache-Control"]
    assert "max-age=" in response["Cache-Control"]
    assert [entry.summary for entry in parsed.entries] == ["Bonjour."]
    assert parsed.entries[0].link == "https://x.com/i/web/status/42"
    # The internal title is never public; what is in review is not there.
    assert world.approved_a.title.encode() not in response.content
    assert world.message_a.title.encode() not in response.content
    japanese = feedparser.parse(Client().get(f"/feeds/missions/{world.mission_a.code}/ja.atom").content)
    assert [entry.summary for entry in japanese.entries] == ["こんにちは。"]


def test_an_empty_feed_is_still_valid_and_unknown_ones_are_404(world):
    _valid_atom(Client().get(f"/feeds/missions/{world.mission_b.code}/de.atom"))
    assert Client().get("/feeds/missions/no-such-mission/fr.atom").status_code == 404
    assert Client().get(f"/feeds/missions/{world.mission_a.code}/de.atom").status_code == 404  # not a language of Tokyo
    assert Client().get(f"/feeds/missions/{world.mission_a.code}/french.atom").status_code == 404


def test_the_crisis_feed_holds_published_alerts_in_the_language_or_french(world):
    assert _valid_atom(Client().get("/feeds/crisis/en.atom")).entries == []  # in review: not there
    Message.objects.filter(pk=world.alert.pk).update(approved_by=world.users["crisis"], approved_at=timezone.now())
    _publish(world.alert)
    parsed = _valid_atom(Client().get("/feeds/crisis/en.atom"))
    assert [entry.summary for entry in parsed.entries] == ["Restez chez vous."]
