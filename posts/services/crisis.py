"""Crisis alerts: one text, many missions' accounts at once, through the fast lane.

The crisis unit writes the alert (in French and/or English, and any other language it
likes), targets missions by region, by a list of countries, or all of them, and on which
networks. Each account then receives it in its mission's first language that has a text,
else in French, else in English (`posts.validation.delivery_plan`). Another member of the
crisis unit or of the press office approves it (never its author) through the same
`message_approve` as any message; its deliveries carry the crisis priority, so they go to
the `crisis` queue.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from diplomacy_hub import policy
from embassies.validators import USER_ASSIGNED_COUNTRY_CODES
from posts.models import TITLE_MAX, Message, Priority
from posts.selectors.crisis import (  # DEFAULT_CRISIS_NETWORKS: still read from here by the forms
    DEFAULT_CRISIS_NETWORKS,  # noqa: F401
    clean_networks,
    clean_scope,
    crisis_target_accounts,
)
from posts.services.events import record_event
from posts.services.messages import check_texts, normalise_texts, write_texts
from posts.validation import CRISIS_FALLBACK_LANGUAGES, language_name


def describe_scope(scope: Mapping[str, Any]) -> str:
    if scope.get("all"):
        return _("all missions")
    if scope.get("regions"):
        return ", ".join(scope["regions"])
    codes = scope.get("countries") or []
    return ", ".join(USER_ASSIGNED_COUNTRY_CODES.get(code, code) for code in codes)


def crisis_alert_create(
    *,
    actor,
    title: str,
    texts: Mapping[str, Any],
    scope: Mapping[str, Any],
    networks: list[str] | None = None,
) -> Message:
    """A crisis alert (a draft) to every connected account of every active mission in
    `scope`, on `networks`. `texts` is {language: body} (or (body, title)); a French or an
    English text is required, since that is what accounts in other languages receive.
    The targets are fixed now and shown to the approver; the scope is kept with them."""
    policy.require(actor, "crisis.create")
    title = " ".join(str(title or "").split())
    if not title:
        raise ValidationError({"title": _("Give the alert an internal title.")})
    if len(title) > TITLE_MAX:
        raise ValidationError({"title": _("Keep the title under %(max)s characters.") % {"max": TITLE_MAX}})
    scope = clean_scope(scope)
    chosen_networks = clean_networks(networks)
    clean_texts = normalise_texts({(key if isinstance(key, str) else key[0]): value for key, value in texts.items()})
    check_texts(clean_texts, mission=None)
    if not {language for language, _ in clean_texts} & set(CRISIS_FALLBACK_LANGUAGES):
        raise ValidationError(
            {
                "texts": _(
                    "Write the alert in %(french)s or %(english)s at least: accounts whose languages have no text "
                    "receive it in French, else in English."
                )
                % {"french": language_name("fr"), "english": language_name("en")}
            }
        )
    accounts = list(crisis_target_accounts(scope, chosen_networks))
    if not accounts:
        raise ValidationError(
            {
                "scope": _("No connected account on %(networks)s in %(scope)s.")
                % {"networks": ", ".join(chosen_networks), "scope": describe_scope(scope)}
            }
        )
    with transaction.atomic():
        message = Message.objects.create(
            mission=None,
            author=actor,
            title=title,
            priority=Priority.CRISIS,
            state=Message.State.DRAFT,
            crisis_scope=scope,
        )
        write_texts(message, clean_texts)
        message.targets.set(accounts)
        record_event(
            verb="message.create",
            actor=actor,
            message=message,
            to_state=message.state,
            details={
                "crisis": True,
                "scope": scope,
                "networks": chosen_networks,
                "languages": sorted({language for language, _ in clean_texts}),
                "targets": len(accounts),
                "missions": len({account.mission_id for account in accounts}),
            },
        )
    return message
