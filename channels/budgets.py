"""Each network's daily budget, one for every worker that reads from it: listening (the
desk's polling) and analytics' collection spend from the same row, so that neither can take
YouTube's quota (10,000 units a day for the whole project) from the other unseen.

A share of each budget (NETWORK_CRISIS_RESERVE) is kept for crises: routine work stops at
the limit less the reserve; work for a mission under a crisis alert may spend it. The day
is the network's own: YouTube's quota starts again at midnight Pacific time.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db.models import F
from django.utils import timezone

from channels.models import Network, NetworkBudget

# Where a network's day starts again (the others: UTC).
_DAY_ZONES: dict[str, tzinfo] = {Network.YOUTUBE: ZoneInfo("America/Los_Angeles")}


def budget_day(network: str, now: datetime | None = None) -> date:
    """The network's budget day that `now` falls in."""
    return (now or timezone.now()).astimezone(_DAY_ZONES.get(network, UTC)).date()


def budget_next_day(network: str, now: datetime | None = None) -> datetime:
    """When the network's next budget day starts."""
    zone = _DAY_ZONES.get(network, UTC)
    return datetime.combine(budget_day(network, now) + timedelta(days=1), time(), tzinfo=zone)


def budget_limits(network: str) -> tuple[int, int]:
    """(the day's limit, the part of it kept for crises); a network without a limit has 0."""
    limit = int(settings.NETWORK_DAILY_UNITS.get(network, 0))
    return limit, int(limit * settings.NETWORK_CRISIS_RESERVE)


def _row(network: str, day: date) -> None:
    # Two workers may open the day at once: the second one's row is dropped, not an error.
    NetworkBudget.objects.bulk_create([NetworkBudget(network=network, day=day)], ignore_conflicts=True)


def budget_spend(*, network: str, units: int = 1, crisis: bool = False, now: datetime | None = None) -> bool:
    """Spend `units` before calling the network; False, with nothing spent, when what is left
    for this work (routine: the limit less the crisis reserve) would not cover them."""
    day = budget_day(network, now)
    limit, reserve = budget_limits(network)
    ceiling = limit if crisis else limit - reserve
    _row(network, day)
    # Conditional, so that two workers never both spend the last units.
    changes = {"units": F("units") + units}
    if crisis:
        changes["crisis_units"] = F("crisis_units") + units
    return bool(NetworkBudget.objects.filter(network=network, day=day, units__lte=ceiling - units).update(**changes))


def budget_record(*, network: str, units: int, crisis: bool = False, now: datetime | None = None) -> None:
    """Count units already spent, whatever is left: a poll learns its cost only once done."""
    if units <= 0:
        return
    day = budget_day(network, now)
    _row(network, day)
    changes = {"units": F("units") + units}
    if crisis:
        changes["crisis_units"] = F("crisis_units") + units
    NetworkBudget.objects.filter(network=network, day=day).update(**changes)


def budget_open(*, network: str, crisis: bool = False, now: datetime | None = None) -> bool:
    """Whether this work may still call the network today (a poll asks before it starts)."""
    limit, reserve = budget_limits(network)
    ceiling = limit if crisis else limit - reserve
    spent = (
        NetworkBudget.objects.filter(network=network, day=budget_day(network, now))
        .values_list("units", flat=True)
        .first()
    )
    return (spent or 0) < ceiling


@dataclass(frozen=True)
class BudgetToday:
    network: str
    day: date
    units: int
    crisis_units: int
    limit: int
    reserve: int

    @property
    def resets_at(self) -> datetime:
        return budget_next_day(self.network, datetime.combine(self.day, time(12), tzinfo=UTC))

    @property
    def routine_left(self) -> int:
        return max(self.limit - self.reserve - self.units, 0)

    @property
    def reserve_left(self) -> int:
        return max(self.limit - max(self.units, self.limit - self.reserve), 0)

    @property
    def routine_spent(self) -> bool:
        """Routine work has stopped for the day: only crisis work may still call."""
        return self.routine_left == 0


def budget_today(network: str, *, now: datetime | None = None) -> BudgetToday:
    """The network's budget for its current day (a limit of 0: no budget)."""
    day = budget_day(network, now)
    return _today(network, day, NetworkBudget.objects.filter(network=network, day=day).first())


def budgets_today(*, now: datetime | None = None) -> list[BudgetToday]:
    """Every limited network's budget for its current day, in the networks' order."""
    networks = [network for network in Network.values if budget_limits(network)[0] > 0]
    days = {network: budget_day(network, now) for network in networks}
    rows = {
        (row.network, row.day): row
        for row in NetworkBudget.objects.filter(network__in=networks, day__in=set(days.values()))
    }
    return [_today(network, days[network], rows.get((network, days[network]))) for network in networks]


def _today(network: str, day: date, row: NetworkBudget | None) -> BudgetToday:
    limit, reserve = budget_limits(network)
    return BudgetToday(
        network=network,
        day=day,
        units=row.units if row else 0,
        crisis_units=row.crisis_units if row else 0,
        limit=limit,
        reserve=reserve,
    )
