"""How a webhook is signed, and how a receiver checks it (the receiver in the tests uses
`verify`): HMAC-SHA256 with the endpoint's secret over "<delivery id>.<timestamp>.<body>",
in the headers Webhook-Id, Webhook-Timestamp and Webhook-Signature ("v1=<hex>"), as the
Standard Webhooks convention does. The id stays the same across retries: receivers use it
to do the work once."""

from __future__ import annotations

import hashlib
import hmac
import time
from collections.abc import Mapping

VERSION = "v1"
TOLERANCE_SECONDS = 300  # a receiver refuses older (or future) timestamps: no replays


def signature(*, secret: str, delivery_id: str, timestamp: int, body: bytes) -> str:
    signed = f"{delivery_id}.{timestamp}.".encode() + body
    return f"{VERSION}=" + hmac.new(secret.encode("utf-8"), signed, hashlib.sha256).hexdigest()


def headers(*, secret: str, delivery_id: str, event: str, body: bytes, now: float | None = None) -> dict[str, str]:
    timestamp = int(now if now is not None else time.time())
    return {
        "Content-Type": "application/json",
        "User-Agent": "DiplomacyHub-Webhooks/1",
        "Webhook-Id": delivery_id,
        "Webhook-Event": event,
        "Webhook-Timestamp": str(timestamp),
        "Webhook-Signature": signature(secret=secret, delivery_id=delivery_id, timestamp=timestamp, body=body),
    }


def verify(*, secret: str, headers: Mapping[str, str], body: bytes, now: float | None = None) -> bool:
    """True if `headers` carry a valid signature of `body` made within the tolerance."""
    lowered = {key.lower(): value for key, value in headers.items()}
    try:
        delivery_id = lowered["webhook-id"]
        timestamp = int(lowered["webhook-timestamp"])
        given = lowered["webhook-signature"]
    except (KeyError, ValueError):
        return False
    if abs((now if now is not None else time.time()) - timestamp) > TOLERANCE_SECONDS:
        return False
    expected = signature(secret=secret, delivery_id=delivery_id, timestamp=timestamp, body=body)
    return any(hmac.compare_digest(expected, candidate.strip()) for candidate in given.split(" "))
