"""Atom feeds (RFC 4287), public and cacheable: each mission's published messages in one
language, and the crisis alerts. Only what went out is in them, in the words that went out
(never the internal title); each entry links to where it was published when we know it."""

from __future__ import annotations

from django.conf import settings
from django.contrib.syndication.views import Feed
from django.core.exceptions import ObjectDoesNotExist
from django.http import Http404
from django.urls import reverse
from django.utils.feedgenerator import Atom1Feed
from django.utils.text import Truncator
from django.utils.translation import gettext as _

from api import selectors
from embassies.models import Mission
from embassies.validators import is_language_code
from posts.models import Message, MessageText
from posts.validation import CRISIS_FALLBACK_LANGUAGES

TITLE_WORDS = 12


def _text(message: Message, language: str, *, fallback: tuple[str, ...] = ()) -> MessageText | None:
    """The message's main text in `language` (else the first of `fallback` it has)."""
    texts = {text.language: text for text in message.texts.all() if not text.network}
    for code in (language, *fallback):
        if code in texts:
            return texts[code]
    return None


def _entry_title(text: MessageText | None) -> str:
    if text is None:
        return ""
    return text.title or Truncator(" ".join(text.body.split())).words(TITLE_WORDS)


def _link(message: Message, language: str) -> str:
    sent = [
        delivery.external_url
        for delivery in message.deliveries.all()
        if delivery.external_url and delivery.language == language
    ]
    return sent[0] if sent else f"{settings.SITE_URL.rstrip('/')}/feeds/#message-{message.pk}"


def _in_language(messages, language: str) -> list[Message]:
    """The entries, each told the feed's language (a Feed instance serves every request at
    once: the language cannot be kept on it)."""
    entries = list(messages.prefetch_related("deliveries"))
    for message in entries:
        message.feed_language = language
    return entries


class _AtomFeed(Feed):
    feed_type = Atom1Feed

    def item_guid(self, message: Message) -> str:
        return f"tag:{_host()},2026:message/{message.pk}"

    def item_guid_is_permalink(self, message: Message) -> bool:
        return False

    def item_pubdate(self, message: Message):
        return message.scheduled_at or message.approved_at or message.created_at

    def item_updateddate(self, message: Message):
        return message.updated_at


def _host() -> str:
    return settings.SITE_URL.split("://", 1)[-1].split("/", 1)[0].split(":", 1)[0] or "localhost"


class MissionFeed(_AtomFeed):
    """/feeds/missions/<code>/<language>.atom"""

    def get_object(self, request, code: str, language: str):
        if not is_language_code(language):
            raise Http404
        try:
            mission = selectors.feed_mission(code=code)
        except ObjectDoesNotExist:
            raise Http404 from None
        if language not in mission.languages:
            raise Http404
        return mission, language

    def title(self, obj: tuple[Mission, str]) -> str:
        return obj[0].display_name

    def subtitle(self, obj: tuple[Mission, str]) -> str:
        return _("What %(mission)s published") % {"mission": obj[0].display_name}

    def link(self, obj: tuple[Mission, str]) -> str:
        return reverse("feeds:mission", args=[obj[0].code, obj[1]])

    def author_name(self, obj: tuple[Mission, str]) -> str:
        return obj[0].display_name

    def feed_guid(self, obj: tuple[Mission, str]) -> str:
        return f"tag:{_host()},2026:mission/{obj[0].code}/{obj[1]}"

    def items(self, obj: tuple[Mission, str]) -> list[Message]:
        mission, language = obj
        return _in_language(
            selectors.feed_published_messages(mission=mission, language=language, limit=settings.FEED_ENTRIES),
            language,
        )

    def item_title(self, message: Message) -> str:
        return _entry_title(_text(message, message.feed_language))

    def item_description(self, message: Message) -> str:
        text = _text(message, message.feed_language)
        return text.body if text else ""

    def item_link(self, message: Message) -> str:
        return _link(message, message.feed_language)


class CrisisFeed(_AtomFeed):
    """/feeds/crisis/<language>.atom: every published alert, in `language` where it was
    written in it, else in French, else in English (as the accounts received it)."""

    def get_object(self, request, language: str):
        if not is_language_code(language):
            raise Http404
        return language

    def title(self, language: str) -> str:
        return _("Crisis alerts")

    def link(self, language: str) -> str:
        return reverse("feeds:crisis", args=[language])

    def author_name(self, language: str) -> str:
        return _("Ministry press office")

    def feed_guid(self, language: str) -> str:
        return f"tag:{_host()},2026:crisis/{language}"

    def items(self, language: str) -> list[Message]:
        return _in_language(selectors.feed_crisis_alerts(limit=settings.FEED_ENTRIES), language)

    def _text(self, message: Message) -> MessageText | None:
        return _text(message, message.feed_language, fallback=CRISIS_FALLBACK_LANGUAGES)

    def item_title(self, message: Message) -> str:
        return _entry_title(self._text(message))

    def item_description(self, message: Message) -> str:
        text = self._text(message)
        return text.body if text else ""

    def item_link(self, message: Message) -> str:
        text = self._text(message)
        return _link(message, text.language if text else message.feed_language)
