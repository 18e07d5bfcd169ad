"""Reads of missions, always through the policy's scope."""

from django.db.models import Q, QuerySet

from diplomacy_hub import policy
from embassies.models import Mission


def mission_list(*, user, region: str = "", kind: str = "", query: str = "") -> QuerySet[Mission]:
    missions = policy.missions_visible_to(user)
    if region:
        missions = missions.filter(region=region)
    if kind:
        missions = missions.filter(kind=kind)
    if query:
        missions = missions.filter(
            Q(name__icontains=query) | Q(city__icontains=query)
            | Q(code__icontains=query) | Q(country_code__iexact=query)
        )
    return missions.order_by("region", "country_code", "city")


def mission_get(*, user, code: str) -> Mission:
    """The mission with this code, or Http404 when it is not visible to the user."""
    from django.shortcuts import get_object_or_404

    return get_object_or_404(policy.missions_visible_to(user), code=code)
