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

from collections.abc import Iterable, Mapping
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import QuerySet
from django.utils.translation import gettext as _

from channels.models import Network, SocialAccount
from diplomacy_hub import policy
from embassies.models import Mission
from embassies.validators import USER_ASSIGNED_COUNTRY_CODES, validate_country_code
from posts.models import TITLE_MAX, Message, Priority
from posts.problems import language_in_sentence
from posts.services.events import record_event
from posts.services.messages import check_texts, normalise_texts, write_texts
from posts.validation import CRISIS_FALLBACK_LANGUAGES

# Networks that publish a text on its own. YouTube needs a video and Flickr a photo: name
# them in `networks` (and attach the media) to include them.
DEFAULT_CRISIS_NETWORKS = (Network.TWITTER, Network.FACEBOOK)


def clean_scope(scope: Mapping[str, Any]) -> dict[str, Any]:
    """{"all": True} | {"regions": [...]} | {"countries": ["EG", ...]}, checked."""
    if not isinstance(scope, Mapping) or len(scope) != 1:
        raise ValidationError(
            {"scope": _("Target all missions, some regions, or some countries (one of them).")},
        )
    ((kind, value),) = scope.items()
    if kind == "all":
        if value is not True:
            raise ValidationError({"scope": _('Say {"all": true} to target every mission.')})
        return {"all": True}
    if kind == "regions":
        regions = sorted(set(_strings(value)))
        unknown = [region for region in regions if region not in Mission.Region.values]
        if not regions or unknown:
            among = ", ".join(Mission.Region.values)
            if unknown:
                refusal = _("Choose regions among %(regions)s. Unknown: %(unknown)s.") % {
                    "regions": among,
                    "unknown": ", ".join(unknown),
                }
            else:
                refusal = _("Choose regions among %(regions)s.") % {"regions": among}
            raise ValidationError({"scope": refusal})
        return {"regions": regions}
    if kind == "countries":
        countries = sorted({code.strip().upper() for code in _strings(value)})
        unknown = []
        for code in countries:
            try:
                validate_country_code(code)
            except ValidationError:
                unknown.append(code)
        if not countries or unknown:
            if unknown:
                refusal = _("Give ISO 3166-1 country codes (for example EG, LB). Unknown: %(unknown)s.") % {
                    "unknown": ", ".join(unknown)
                }
            else:
                refusal = _("Give ISO 3166-1 country codes (for example EG, LB).")
            raise ValidationError({"scope": refusal})
        return {"countries": countries}
    raise ValidationError({"scope": _("Unknown scope “%(kind)s”: use all, regions or countries.") % {"kind": kind}})


def _strings(value: Any) -> list[str]:
    if isinstance(value, str) or not isinstance(value, Iterable):
        raise ValidationError({"scope": _("Give a list.")})
    return [str(item) for item in value]


def clean_networks(networks: Iterable[str] | None) -> list[str]:
    if networks is None:
        return list(DEFAULT_CRISIS_NETWORKS)
    chosen = sorted(set(networks))
    unknown = [network for network in chosen if network not in Network.values]
    if not chosen or unknown:
        raise ValidationError(
            {"networks": _("Choose networks among %(networks)s.") % {"networks": ", ".join(Network.values)}}
        )
    return chosen


def crisis_target_accounts(
    scope: Mapping[str, Any],
    networks: Iterable[str] | None = None,
) -> QuerySet[SocialAccount]:
    """Every connected account that can publish (credentials present), of every active
    mission in the scope, on the chosen networks (X and Facebook by default)."""
    scope = clean_scope(scope)
    accounts = SocialAccount.objects.filter(
        status=SocialAccount.Status.CONNECTED,
        mission__is_active=True,
        network__in=clean_networks(networks),
    ).exclude(sealed_credentials="")
    if "regions" in scope:
        accounts = accounts.filter(mission__region__in=scope["regions"])
    elif "countries" in scope:
        accounts = accounts.filter(mission__country_code__in=scope["countries"])
    return accounts.select_related("mission").order_by("mission__region", "mission__country_code", "pk")


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
                % {"french": language_in_sentence("fr"), "english": language_in_sentence("en")}
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
