"""Whom a crisis alert reaches: its scope (all missions, regions, countries) and networks,
checked, and the accounts they select. Read by the crisis services and the crisis pages."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.utils.translation import gettext as _

from channels.models import Network, SocialAccount
from embassies.models import Mission
from embassies.validators import validate_country_code

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
