"""Reads of social accounts, always through the policy's scope for people."""

from __future__ import annotations

from datetime import timedelta

from django.db.models import Count, QuerySet
from django.shortcuts import get_object_or_404
from django.utils import timezone

from channels.models import SocialAccount
from diplomacy_hub import policy
from embassies.selectors import mission_name_order


def accounts_visible_to(user) -> QuerySet[SocialAccount]:
    """The accounts of the missions the user may see (another mission's is not found)."""
    return policy.scope(user, SocialAccount.objects.select_related("mission"))


def account_get(*, user, account_id: int) -> SocialAccount:
    """The account if the user may see its mission, else Http404 (its existence does not leak)."""
    return get_object_or_404(accounts_visible_to(user), pk=account_id)


def account_list(*, user, region: str = "", network: str = "", status: str = "") -> QuerySet[SocialAccount]:
    """The accounts the user may see, filtered, ordered by region, mission (by its name in the
    reader's language) then network (the list page groups them by mission)."""
    accounts = accounts_visible_to(user)
    if region:
        accounts = accounts.filter(mission__region=region)
    if network:
        accounts = accounts.filter(network=network)
    if status:
        accounts = accounts.filter(status=status)
    return accounts.order_by("mission__region", mission_name_order("mission"), "mission_id", "network", "pk")


def account_ids_to_check() -> list[int]:
    """Connected accounts, sandbox ones included (their check goes to the sandbox)."""
    return list(
        SocialAccount.objects.filter(status=SocialAccount.Status.CONNECTED)
        .exclude(sealed_credentials="")
        .order_by("pk")
        .values_list("pk", flat=True)
    )


def account_ids_expiring(*, within: timedelta) -> list[int]:
    """Connected accounts whose access token expires within `within` (or already has)."""
    return list(
        SocialAccount.objects.filter(
            status=SocialAccount.Status.CONNECTED,
            token_expires_at__isnull=False,
            token_expires_at__lte=timezone.now() + within,
        )
        .exclude(sealed_credentials="")
        .order_by("token_expires_at")
        .values_list("pk", flat=True)
    )


def account_status_counts(*, user) -> dict[str, int]:
    """How many accounts the user may see are in each status (for the list's summary)."""
    counts = dict.fromkeys(SocialAccount.Status.values, 0)
    rows = policy.scope(user, SocialAccount.objects.all()).order_by().values("status").annotate(n=Count("pk"))
    for row in rows:
        counts[row["status"]] = row["n"]
    return counts
