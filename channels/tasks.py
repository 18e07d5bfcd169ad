"""Periodic care of social accounts. Tasks take ids, call one service, hold no logic; they
are routed to the maintenance queue (CELERY_TASK_ROUTES) so that they never wait behind (or
hold up) publishing."""

from __future__ import annotations

from channels import selectors, services
from diplomacy_hub.tasks import task


@task(name="channels.health_check_all")
def health_check_all(**kwargs) -> int:
    """Beat, hourly: one health check task per connected account (sandbox ones included)."""
    account_ids = selectors.account_ids_to_check()
    for account_id in account_ids:
        health_check_account.delay_on_commit(account_id)
    return len(account_ids)


@task(name="channels.health_check_account")
def health_check_account(account_id: int, **kwargs) -> None:
    try:
        services.account_health_check(account_id=account_id)
    except services.SocialAccount.DoesNotExist:
        return  # deleted since it was queued


@task(name="channels.refresh_expiring")
def refresh_expiring(**kwargs) -> int:
    """Beat, every five minutes: one refresh task per account whose token expires within
    TOKEN_REFRESH_MARGIN."""
    account_ids = selectors.account_ids_expiring(within=services.token_refresh_margin())
    for account_id in account_ids:
        refresh_account.delay_on_commit(account_id)
    return len(account_ids)


@task(name="channels.refresh_account")
def refresh_account(account_id: int, **kwargs) -> None:
    try:
        services.account_refresh(account_id=account_id)
    except services.SocialAccount.DoesNotExist:
        return
