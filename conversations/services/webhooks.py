"""Pushed deliveries (X Activity API, Facebook Page `feed`): verified by the network's own
adapter, cut per account we hold, parsed, and ingested like a poll's items.

A delivery names the account it is for in its envelope, not in each item: the adapter cuts
it into parts per account (webhook_parts). Each part is parsed and stored on its own, so
one malformed part never loses the rest of the batch.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any, cast

from django.conf import settings

from channels.adapters import get_adapter
from channels.adapters.base import AdapterError, AppCredentials
from channels.adapters.listening import Listener
from channels.models import SocialAccount
from channels.services import adapter_for
from conversations.models import RawEvent
from conversations.services.ingest import IngestResult, items_ingest

logger = logging.getLogger(__name__)


class MalformedDelivery(ValueError):
    """The whole body is not a delivery of this network (the view answers 400)."""


def listener_for(network: str) -> Listener:
    """The network's adapter, as a listener, for the app-level webhook checks."""
    app = settings.SOCIAL_APPS[network]
    adapter = get_adapter(
        network,
        sandbox_url=None,
        app=AppCredentials(client_id=app["client_id"], client_secret=app["client_secret"]),
    )
    return cast(Listener, adapter)


def app_secret(network: str) -> str:
    return settings.SOCIAL_APPS[network]["client_secret"]


def webhook_challenge(*, network: str, params: Mapping[str, str]) -> tuple[str | None, str]:
    """The answer to the network's subscription check (None when it does not hold), and
    its media type."""
    listener = listener_for(network)
    answer = listener.webhook_challenge(
        params=params,
        app_secret=app_secret(network),
        verify_token=settings.FACEBOOK_WEBHOOK_VERIFY_TOKEN if network == "facebook" else "",
    )
    return answer, listener.challenge_content_type


def webhook_verify(*, network: str, body: bytes, headers: Mapping[str, str]) -> bool:
    return listener_for(network).verify_webhook(body=body, headers=headers, app_secret=app_secret(network))


def webhook_ingest(*, network: str, payload: Any) -> IngestResult:
    """Ingest a verified delivery; raises MalformedDelivery when it has no shape at all."""
    result = IngestResult()
    try:
        parts = listener_for(network).webhook_parts(payload)
    except AdapterError as exc:
        raise MalformedDelivery(exc.detail) from exc
    accounts = {
        account.network_account_id: account
        for account in SocialAccount.objects.filter(
            network=network, network_account_id__in=[account_id for account_id, _part in parts if account_id]
        ).select_related("mission")
    }
    for account_id, part in parts:
        account = accounts.get(account_id)
        if account is None:
            logger.info("A %s webhook part for account %r, which we don't hold: ignored.", network, account_id[:64])
            result.unknown_account += 1
            continue
        try:
            items = adapter_listener(account).webhook_items(part)
        except (AdapterError, KeyError, TypeError, ValueError) as exc:
            logger.warning("A malformed %s webhook part for account %s: %s", network, account.pk, exc)
            result.rejected += 1
            continue
        except Exception:
            # A shape the adapter did not foresee: a bug to fix, not a reason to lose the batch.
            logger.exception("A %s webhook part for account %s could not be read.", network, account.pk)
            result.rejected += 1
            continue
        result.add(items_ingest(account=account, items=items, source=RawEvent.Source.WEBHOOK))
    return result


def adapter_listener(account: SocialAccount) -> Listener:
    return cast(Listener, adapter_for(account))
