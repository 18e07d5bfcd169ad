"""The OAuth 1.0a nonces the sandbox has seen (RFC 5849 3.3). Apart from oauth1.py, which
reads requests through http.py, so that the state can keep the book without importing the
HTTP layer that carries the state."""

from __future__ import annotations

# How far a timestamp may stray from the server's clock, and so how long a nonce is kept.
TIMESTAMP_WINDOW_SECONDS = 600


class NonceBook:
    """Nonces seen within the timestamp window, per consumer and token (RFC 5849 3.3)."""

    PRUNE_EVERY = 10.0  # seconds: a benchmark's thousands of calls must not each sweep it

    def __init__(self) -> None:
        self._seen: dict[tuple[str, str, str, str], float] = {}
        self._pruned = 0.0

    def first_use(self, consumer: str, token: str, timestamp: str, nonce: str, now: float) -> bool:
        if now - self._pruned > self.PRUNE_EVERY:
            self._seen = {key: until for key, until in self._seen.items() if until > now}
            self._pruned = now
        key = (consumer, token, timestamp, nonce)
        if key in self._seen:
            return False
        self._seen[key] = now + 2 * TIMESTAMP_WINDOW_SECONDS
        return True
