"""Our own budget of publish calls per account and per network, shared by every worker.

The networks limit how often we may post (settings.PUBLISH_RATE_LIMITS, from their
documentation: X 100 posts per 15 min per user and 10,000 per 24 h per app; YouTube 100
uploads a day per project; Flickr 3,600 calls an hour per key...). A fan-out through 271
missions must not trip an app-wide limit, and a retry storm must not hammer one account.

Storage: none of its own. The calls already made are the `DeliveryAttempt` rows of action
"publish" (one per real call, written before the call leaves), and the calls about to be
made are the `queued` deliveries. Counting both in a sliding window gives a budget that
every worker and dispatcher shares through the database, on SQLite and PostgreSQL alike,
with no Redis and no table to keep in step. The dispatcher reads it once per batch
(`budget_for`: two grouped queries, whatever the batch size) and takes from it in memory
as it claims; a delivery over budget is given the time its budget frees as its next
attempt. Concurrent dispatchers are serialised by their claim (row locks on PostgreSQL,
the write lock on SQLite), so each reads what the other committed.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import Count, Min, Q

from posts.models import Delivery, DeliveryAttempt


@dataclass(frozen=True)
class Window:
    calls: int
    seconds: float


def configured_limits() -> dict[str, dict[str, Window]]:
    """{network: {"account": Window, "app": Window}} from settings (either may be absent)."""
    limits: dict[str, dict[str, Window]] = {}
    for network, levels in (settings.PUBLISH_RATE_LIMITS or {}).items():
        limits[network] = {
            level: Window(calls=int(pair[0]), seconds=float(pair[1]))
            for level, pair in levels.items()
            if level in ("account", "app") and pair
        }
    return limits


@dataclass
class _Usage:
    """Calls counted in one window, and the oldest of them (when the first slot frees)."""

    used: int = 0
    oldest: datetime | None = None


@dataclass
class Budget:
    """What is left of every window at `now`; `take` spends it."""

    now: datetime
    limits: dict[str, dict[str, Window]]
    account_usage: dict[int, _Usage] = field(default_factory=lambda: defaultdict(_Usage))
    app_usage: dict[str, _Usage] = field(default_factory=lambda: defaultdict(_Usage))

    def take(self, *, network: str, account_id: int) -> datetime | None:
        """Spend one call of this account on this network. None when there was room;
        otherwise nothing is spent and the answer is when the budget frees."""
        levels = self.limits.get(network, {})
        frees: list[datetime] = []
        account_window, app_window = levels.get("account"), levels.get("app")
        if account_window and self.account_usage[account_id].used >= account_window.calls:
            frees.append(self._frees(self.account_usage[account_id], account_window))
        if app_window and self.app_usage[network].used >= app_window.calls:
            frees.append(self._frees(self.app_usage[network], app_window))
        if frees:
            return max(frees)
        if account_window:
            self.account_usage[account_id].used += 1
        if app_window:
            self.app_usage[network].used += 1
        return None

    def _frees(self, usage: _Usage, window: Window) -> datetime:
        # The oldest call leaves the window first; calls only queued (no attempt yet)
        # leave it one window after now at the latest.
        oldest = usage.oldest or self.now
        return max(oldest + timedelta(seconds=window.seconds), self.now + timedelta(seconds=1))


def budget_for(*, now: datetime) -> Budget:
    """The shared budget at `now`: two queries, whatever the number of accounts."""
    limits = configured_limits()
    budget = Budget(now=now, limits=limits)
    networks = [network for network, levels in limits.items() if levels]
    if not networks:
        return budget
    # One conditional count (and oldest call) per distinct window length.
    lengths = sorted({window.seconds for levels in limits.values() for window in levels.values()})
    aggregates = {}
    for index, seconds in enumerate(lengths):
        in_window = Q(started_at__gte=now - timedelta(seconds=seconds))
        aggregates[f"n{index}"] = Count("pk", filter=in_window)
        aggregates[f"o{index}"] = Min("started_at", filter=in_window)
    rows = (
        DeliveryAttempt.objects.filter(
            action="publish",
            started_at__gte=now - timedelta(seconds=lengths[-1]),
            delivery__account__network__in=networks,
        )
        .values("delivery__account_id", "delivery__account__network")
        .annotate(**aggregates)
        .order_by()
    )
    for row in rows:
        account_id, network = row["delivery__account_id"], row["delivery__account__network"]
        for level, window in limits[network].items():
            index = lengths.index(window.seconds)
            used, oldest = row[f"n{index}"], row[f"o{index}"]
            usage = budget.account_usage[account_id] if level == "account" else budget.app_usage[network]
            usage.used += used
            if oldest is not None and (usage.oldest is None or oldest < usage.oldest):
                usage.oldest = oldest
    # Claimed and not yet called: they will be called within moments.
    queued = (
        Delivery.objects.filter(state=Delivery.State.QUEUED, account__network__in=networks)
        .values("account_id", "account__network")
        .annotate(n=Count("pk"))
        .order_by()
    )
    for row in queued:
        account_id, network = row["account_id"], row["account__network"]
        if "account" in limits[network]:
            budget.account_usage[account_id].used += row["n"]
        if "app" in limits[network]:
            budget.app_usage[network].used += row["n"]
    return budget
