"""Analytics' Celery tasks, on the `analytics` queue: beat ticks `collect_due`, which claims
the accounts with numbers due and sends one `collect_account` each; a lost message costs
nothing, the claim lapses and the account is taken again. Each round also sends
`refresh_rollups` for yesterday and today (what the previous round read), and beat sends
it nightly for the last 31 days: the pages read only those pre-summed rows."""

from __future__ import annotations

import logging
from datetime import date, timedelta

from django.utils import timezone

from analytics.reports import weekly_reports_send
from analytics.rollups import rollups_refresh
from analytics.services import account_collect, accounts_claim_due
from diplomacy_hub.tasks import task

logger = logging.getLogger(__name__)


@task(name="analytics.collect_due")
def collect_due(**kwargs) -> None:
    today = timezone.now().date()
    # Its own task: a refresh that fails costs no collection round.
    refresh_rollups.delay([(today - timedelta(days=1)).isoformat(), today.isoformat()])
    claimed = accounts_claim_due()
    for one in claimed:
        collect_account.delay(one.account_id, one.claim)
    if claimed:
        logger.info("Analytics: %d accounts due.", len(claimed))


@task(name="analytics.collect_account")
def collect_account(account_id: int, claim: str, **kwargs) -> None:
    result = account_collect(account_id=account_id, claim=claim)
    if result.stopped:
        logger.warning("Analytics, account %s: stopped (%s), %d left.", account_id, result.stopped, result.left)


@task(name="analytics.weekly_reports")
def weekly_reports(**kwargs) -> None:
    sent = weekly_reports_send()
    if sent:
        logger.info("Analytics: %d weekly reports sent.", sent)


@task(name="analytics.refresh_rollups")
def refresh_rollups(days: list[str] | None = None, **kwargs) -> None:
    """Sum these ISO days again (none given: the last 31, a reading's latest retry)."""
    if days is None:
        today = timezone.now().date()
        wanted = [today - timedelta(days=n) for n in range(31)]
    else:
        wanted = [date.fromisoformat(day) for day in days]
    messages = rollups_refresh(days=wanted)
    logger.info("Analytics: %d days and %d messages summed again.", len(wanted), messages)
