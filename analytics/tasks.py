"""Analytics' Celery tasks, on the `analytics` queue: beat ticks `collect_due`, which claims
the accounts with numbers due and sends one `collect_account` each; a lost message costs
nothing, the claim lapses and the account is taken again."""

from __future__ import annotations

import logging

from analytics.reports import weekly_reports_send
from analytics.services import account_collect, accounts_claim_due
from diplomacy_hub.tasks import task

logger = logging.getLogger(__name__)


@task(name="analytics.collect_due")
def collect_due(**kwargs) -> None:
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
