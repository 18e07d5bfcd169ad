"""Writes and network-facing operations on social accounts."""

from __future__ import annotations

from django.conf import settings

from channels.adapters import get_adapter, get_connect_flow
from channels.adapters.base import Adapter, AppCredentials, ConnectFlow
from channels.adapters.transport import Timeouts
from channels.models import SocialAccount


def _app_credentials(network: str) -> AppCredentials:
    app = settings.SOCIAL_APPS[network]
    return AppCredentials(client_id=app["client_id"], client_secret=app["client_secret"])


def _timeouts() -> Timeouts:
    return Timeouts(connect=settings.NETWORK_CONNECT_TIMEOUT, read=settings.NETWORK_READ_TIMEOUT)


def _sandbox_url(is_sandbox: bool) -> str | None:
    return settings.SANDBOX_URL if is_sandbox else None


def adapter_for(account: SocialAccount) -> Adapter:
    """The adapter that speaks to this account's network (or to the sandbox's copy of it)."""
    return get_adapter(
        account.network, sandbox_url=_sandbox_url(account.is_sandbox),
        app=_app_credentials(account.network), timeouts=_timeouts(),
    )


def connect_flow_for(*, network: str, is_sandbox: bool) -> ConnectFlow:
    return get_connect_flow(
        network, sandbox_url=_sandbox_url(is_sandbox), app=_app_credentials(network), timeouts=_timeouts(),
    )
