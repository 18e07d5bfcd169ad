"""Pushed deliveries (X Activity API, Facebook Page `feed`): verified by the network's own
adapter, kept as received, then ingested off the request path in batches.

The webhook answers 200 once the delivery is committed (one INSERT: `webhook_receive`), so
a burst costs each request little; the listen worker's `webhooks_drain`, ticked by beat
every WEBHOOK_DRAIN_INTERVAL, claims what is pending, cuts each delivery into parts per
account we hold (webhook_parts), parses them, and ingests the items of the whole batch, for
all its accounts of a network, as one batch (items_ingest_many: a batch's statements cost
the same whatever its size, so a burst of one-item deliveries costs what a poll's page
does). One malformed part never loses the rest; a drain that dies leaves its claim to
lapse, and ingesting again changes nothing (the upsert).
"""

from __future__ import annotations

import json
import logging
import secrets
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import timedelta
from functools import lru_cache
from typing import Any, cast

from django.conf import settings
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from channels.adapters import get_adapter
from channels.adapters.base import AdapterError, AppCredentials
from channels.adapters.listening import HeardItem, Listener
from channels.models import SocialAccount
from channels.services import adapter_for
from conversations.models import RawEvent, WebhookDelivery
from conversations.services.ingest import IngestResult, items_ingest_many

logger = logging.getLogger(__name__)


class MalformedDelivery(ValueError):
    """The whole body is not a delivery of this network (the view answers 400)."""


def listener_for(network: str) -> Listener:
    """The network's adapter, as a listener, for the app-level webhook checks: built once
    per process and app (a request's share of the webhook's CPU otherwise)."""
    app = settings.SOCIAL_APPS[network]
    return _listener(network, app["client_id"], app["client_secret"])


@lru_cache(maxsize=16)
def _listener(network: str, client_id: str, client_secret: str) -> Listener:
    adapter = get_adapter(
        network, sandbox_url=None, app=AppCredentials(client_id=client_id, client_secret=client_secret)
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


def _parts(network: str, body: bytes) -> Sequence[tuple[str, Mapping[str, Any]]]:
    try:
        return listener_for(network).webhook_parts(json.loads(body))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise MalformedDelivery(str(exc)) from exc
    except AdapterError as exc:
        raise MalformedDelivery(exc.detail) from exc


def webhook_receive(*, network: str, body: bytes) -> int:
    """Keep a verified delivery, committed when this returns, to be ingested by the next
    drain; its number of parts. MalformedDelivery when the body has no shape at all:
    nothing is kept."""
    parts = _parts(network, body)
    WebhookDelivery.objects.create(network=network, body=body)
    return len(parts)


@dataclass
class DrainResult(IngestResult):
    deliveries: int = 0  # ingested and deleted
    failed: int = 0  # left for a later drain (logged)


def webhooks_drain(*, batch_size: int | None = None, rounds: int | None = None) -> DrainResult:
    """Ingest the pending deliveries, `batch_size` at a time, until none is left (or after
    `rounds` batches: the next tick goes on). Rows another drain holds are left to it."""
    size = batch_size or settings.WEBHOOK_DRAIN_BATCH
    total = DrainResult()
    for _round in range(rounds or settings.WEBHOOK_DRAIN_ROUNDS):
        claim, deliveries = _claim(size)
        if deliveries:
            total.add(_ingest(claim, deliveries))
        if len(deliveries) < size:
            break
    return total


def _claim(size: int) -> tuple[str, list[tuple[int, str, bytes]]]:
    """Claim up to `size` pending deliveries, oldest first: (the claim, [(pk, network, body)])."""
    now = timezone.now()
    claim = secrets.token_hex(8)
    free = (Q(claimed_until__isnull=True) | Q(claimed_until__lte=now)) & Q(attempts__lt=settings.WEBHOOK_DRAIN_ATTEMPTS)
    with transaction.atomic():
        # SKIP LOCKED (PostgreSQL): two drains at once take different rows; the UPDATE checks
        # the condition again (SQLite, which has no row locks, runs one writer at a time).
        ids = list(
            WebhookDelivery.objects.select_for_update(skip_locked=True)
            .filter(free)
            .order_by("pk")
            .values_list("pk", flat=True)[:size]
        )
        if not ids:
            return claim, []
        WebhookDelivery.objects.filter(free, pk__in=ids).update(
            claim=claim,
            claimed_until=now + timedelta(seconds=settings.WEBHOOK_DRAIN_CLAIM_SECONDS),
            attempts=F("attempts") + 1,
        )
    rows = WebhookDelivery.objects.filter(claim=claim, pk__in=ids).order_by("pk").values_list("pk", "network", "body")
    return claim, [(pk, network, bytes(body)) for pk, network, body in rows]


def _ingest(claim: str, deliveries: list[tuple[int, str, bytes]]) -> DrainResult:
    """One batch of deliveries: the items of each network's accounts ingested at once, in
    the order received. A delivery whose network's batch failed stays for a later drain."""
    result = DrainResult()
    kept: set[int] = set()  # deliveries left for a later drain
    cut: list[tuple[int, str, str, Mapping[str, Any]]] = []  # (delivery, network, account id, part)
    for pk, network, body in deliveries:
        try:
            cut.extend((pk, network, account_id, part) for account_id, part in _parts(network, body))
        except MalformedDelivery as exc:  # checked when received: only a changed adapter gets here
            logger.warning("A kept %s webhook delivery %s no longer reads: %s", network, pk, exc)
            result.rejected += 1
        except Exception:
            # A bug to fix, not a reason to hold back the rest of the batch: this one stays,
            # tried again by later drains, then kept for a person (WEBHOOK_DRAIN_ATTEMPTS).
            logger.exception("A kept %s webhook delivery %s could not be cut.", network, pk)
            kept.add(pk)
    accounts: dict[tuple[str, str], SocialAccount] = {}
    for network in {network for _pk, network, _account_id, _part in cut}:
        ids = {account_id for _pk, part_network, account_id, _part in cut if part_network == network and account_id}
        for held in SocialAccount.objects.filter(network=network, network_account_id__in=ids).select_related("mission"):
            accounts[(network, held.network_account_id)] = held

    listeners: dict[int, Listener] = {}
    heard: dict[int, list[HeardItem]] = {}
    sources: dict[int, set[int]] = {}  # the deliveries of each account's items
    for pk, network, account_id, part in cut:
        account = accounts.get((network, account_id))
        if account is None:
            logger.info("A %s webhook part for account %r, which we don't hold: ignored.", network, account_id[:64])
            result.unknown_account += 1
            continue
        if account.pk not in listeners:
            listeners[account.pk] = adapter_listener(account)
        try:
            items = listeners[account.pk].webhook_items(part)
        except (AdapterError, KeyError, TypeError, ValueError) as exc:
            logger.warning("A malformed %s webhook part for account %s: %s", network, account.pk, exc)
            result.rejected += 1
            continue
        except Exception:
            # A shape the adapter did not foresee: a bug to fix, not a reason to lose the batch.
            logger.exception("A %s webhook part for account %s could not be read.", network, account.pk)
            result.rejected += 1
            continue
        heard.setdefault(account.pk, []).extend(items)
        sources.setdefault(account.pk, set()).add(pk)

    by_pk = {account.pk: account for account in accounts.values()}
    for network in sorted({by_pk[account_pk].network for account_pk in heard}):
        pks = [account_pk for account_pk in heard if by_pk[account_pk].network == network]
        try:
            result.add(
                items_ingest_many(
                    parts=[(by_pk[account_pk], heard[account_pk]) for account_pk in pks],
                    source=RawEvent.Source.WEBHOOK,
                )
            )
        except Exception:
            # The database failed us (items_ingest_many keeps what it can of a refused
            # batch): these deliveries wait for their claim to lapse, and are ingested again.
            logger.exception("Ingesting the %s webhook deliveries of a drain failed.", network)
            for account_pk in pks:
                kept |= sources[account_pk]
    done = [pk for pk, _network, _body in deliveries if pk not in kept]
    WebhookDelivery.objects.filter(claim=claim, pk__in=done).delete()
    result.deliveries, result.failed = len(done), len(kept)
    return result


def adapter_listener(account: SocialAccount) -> Listener:
    return cast(Listener, adapter_for(account))
