"""Everything the sandbox remembers, in memory, behind one lock.

Handlers run on many threads at once. Each method here takes the lock for a few
microseconds; a handler that needs several steps to be atomic (check for a duplicate,
then store) holds `state.lock` around them (it is re-entrant). Nothing ever sleeps while
holding it: injected latency and hangs use `pause()`, which waits outside the lock and
ends early on reset or stop.
"""

from __future__ import annotations

import hashlib
import threading
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from channels.sandbox import tokens
from channels.sandbox.faults import FaultBook, FaultDecision, FaultRule
from channels.sandbox.mime import sniff_mime
from channels.sandbox.nonces import NonceBook
from channels.sandbox.public import PublicBook
from embassies.names import demo_account

# Uploaded images are kept so that the feeds can show them; videos are only counted.
MEDIA_KEEP_MAX_BYTES = 2 * 1024 * 1024
# Past this total, the oldest kept images lose their bytes (the feed shows a placeholder).
MEDIA_KEEP_TOTAL_BYTES = 256 * 1024 * 1024
# How long an authorization code or an OAuth 1.0a request token waits for its exchange.
GRANT_TTL_SECONDS = 600

_X_EPOCH_MS = 1288834974657  # X's snowflake ids count milliseconds from this instant

# OAuth 1.0a consumers (Flickr API keys) the sandbox knows, with their secrets: the
# settings' defaults. Others are registered (`register_app`, `POST /_sandbox/apps`).
DEFAULT_APPS = {("flickr", "sandbox-flickr-key"): "sandbox-flickr-secret"}


@dataclass
class Account:
    network: str
    id: str
    name: str
    handle: str


@dataclass
class Media:
    id: str
    network: str
    account: str
    mime_type: str
    size: int
    alt_text: str = ""
    data: bytes | None = None  # kept for small images only
    attached: bool = False  # used by a post (unattached media are not "received" yet)

    def as_json(self) -> dict[str, Any]:
        described = {"id": self.id, "type": self.mime_type, "size": self.size, "alt_text": self.alt_text}
        return described | ({"url": f"/_sandbox/media/{self.id}"} if self.data is not None else {})


@dataclass
class Item:
    """One thing an account received: a tweet, a Page post or photo, a video, a photo."""

    network: str
    account: str
    id: str
    kind: str
    text: str
    title: str = ""
    tags: tuple[str, ...] = ()
    media: list[Media] = field(default_factory=list)
    created_at: datetime = field(default_factory=lambda: datetime.now(UTC))
    deleted: bool = False
    details: dict[str, Any] = field(default_factory=dict)  # network-specific (privacy, link…)

    def as_json(self) -> dict[str, Any]:
        return {
            "network": self.network,
            "account": self.account,
            "id": self.id,
            "kind": self.kind,
            "text": self.text,
            "title": self.title,
            "tags": list(self.tags),
            "media": [media.as_json() for media in self.media],
            "created_at": self.created_at.isoformat(),
            "deleted": self.deleted,
        }


@dataclass
class Upload:
    """A media upload in several requests (X chunked media, a YouTube resumable session).
    Chunks are keyed by X's segment index or by YouTube's byte offset."""

    id: str
    network: str
    account: str
    mime_type: str
    total: int | None
    keep_bytes: bool
    metadata: dict[str, Any] = field(default_factory=dict)
    sizes: dict[int, int] = field(default_factory=dict)
    chunks: dict[int, bytes] = field(default_factory=dict)
    digests: dict[int, bytes] = field(default_factory=dict)  # per chunk, to recognise a re-upload
    item_id: str | None = None  # set once the upload became an item (YouTube)

    @property
    def received(self) -> int:
        return sum(self.sizes.values())

    def add(self, key: int, chunk: bytes) -> None:
        self.sizes[key] = len(chunk)
        self.digests[key] = hashlib.sha256(chunk).digest()
        if self.keep_bytes:
            self.chunks[key] = chunk

    def fingerprint(self) -> str:
        return hashlib.sha256(b"".join(self.digests[key] for key in sorted(self.digests))).hexdigest()

    def content(self) -> bytes | None:
        if not self.keep_bytes:
            return None
        return b"".join(self.chunks[key] for key in sorted(self.chunks))


@dataclass
class Grant:
    """An authorization code (OAuth 2.0) or a request token (OAuth 1.0a) waiting for
    its exchange."""

    code: str
    network: str
    client_id: str
    redirect_uri: str
    scopes: tuple[str, ...] = ()
    offline: bool = True  # whether the exchange also issues a refresh token
    account: str = ""  # known once the person consented
    code_challenge: str = ""
    code_challenge_method: str = ""
    secret: str = ""  # OAuth 1.0a request token secret
    verifier: str = ""  # OAuth 1.0a verifier, issued on consent
    created: float = field(default_factory=time.monotonic)

    @property
    def expired(self) -> bool:
        return time.monotonic() - self.created > GRANT_TTL_SECONDS


@dataclass
class TokenFamily:
    """Revocation state of one account's tokens. Tokens are valid by convention; once a
    family is revoked (an X refresh token reused), only tokens issued after that — by a
    new consent — are valid again."""

    revoked: bool = False
    issued_since_revocation: set[str] = field(default_factory=set)
    used_refresh_tokens: set[str] = field(default_factory=set)


class SandboxState:
    def __init__(self) -> None:
        self.lock = threading.RLock()
        self._wake = threading.Event()  # set to end every pause() at once
        self._wake_listeners: list[Callable[[], None]] = []  # told too (the server's event loop)
        self._last_snowflake = 0
        self.faults = FaultBook()
        self._requests = 0
        self._in_flight = 0
        self._peak = 0
        # Developer apps, {(network, key): secret}: configuration, kept across resets. Flickr
        # checks OAuth 1.0a signatures, Facebook appsecret_proof, with their apps' secrets.
        self.apps: dict[tuple[str, str], str] = dict(DEFAULT_APPS)
        self.public = PublicBook()  # what the public says to the accounts (public.py)
        self._clear()

    def _clear(self) -> None:
        self.accounts: dict[tuple[str, str], Account] = {}
        # Keyed by (network, id); insertion order is arrival order. The indexes below keep
        # the per-post checks constant-time however many posts a benchmark sends.
        self.items: dict[tuple[str, str], Item] = {}
        self._aliases: dict[tuple[str, str], Item] = {}  # other ids of an item (a Facebook photo's)
        self._by_account: defaultdict[tuple[str, str], list[Item]] = defaultdict(list)
        self._live_texts: Counter[tuple[str, str, str]] = Counter()
        self.media: dict[str, Media] = {}
        self.uploads: dict[str, Upload] = {}
        self.grants: dict[str, Grant] = {}
        self.families: dict[tuple[str, str], TokenFamily] = {}
        self.refresh_scopes: dict[str, tuple[str, ...]] = {}
        self.refused_duplicates: Counter[tuple[str, str, str]] = Counter()
        # Media uploaded again in full by the same account (same bytes): a re-upload the
        # network would count as a new post's media; tests assert there is none.
        self.duplicate_uploads: Counter[tuple[str, str]] = Counter()
        self._upload_digests: set[tuple[str, str, str]] = set()
        self.nonces = NonceBook()
        self._kept_bytes = 0

    def reset(self) -> None:
        """Forget everything received and every fault; end pending pauses."""
        with self.lock:
            self._clear()
            self.public.clear()
            self.faults.clear()
            self._requests = 0
            self._peak = self._in_flight
            self._wake.set()
            self._wake = threading.Event()
        self._tell_wake_listeners()

    def close(self) -> None:
        self._wake.set()
        self._tell_wake_listeners()
        self.public.close()

    def on_wake(self, listener: Callable[[], None]) -> None:
        """Call `listener` whenever pauses must end (a reset, or closing): the server's own
        pauses are timers on its event loop, not pause()."""
        self._wake_listeners.append(listener)

    def _tell_wake_listeners(self) -> None:
        for listener in list(self._wake_listeners):
            listener()

    def pause(self, seconds: float) -> None:
        """Sleep without the lock; a reset or stop ends it early."""
        if seconds > 0:
            self._wake.wait(seconds)

    # --- ids -------------------------------------------------------------------------

    def snowflake(self) -> str:
        """A unique, increasing, X-shaped numeric id (also used for other numeric ids)."""
        with self.lock:
            candidate = (int(time.time() * 1000) - _X_EPOCH_MS) << 22
            self._last_snowflake = max(candidate, self._last_snowflake + 1)
            return str(self._last_snowflake)

    # --- accounts ---------------------------------------------------------------------

    def register_account(self, network: str, account_id: str, name: str, handle: str) -> Account:
        with self.lock:
            account = Account(network, account_id, name, handle)
            self.accounts[(network, account_id)] = account
            return account

    def account(self, network: str, account_id: str) -> Account:
        """The account as named on its consent page; a made-up name for one that arrived
        with a token only (seeded, or issued before a restart)."""
        with self.lock:
            known = self.accounts.get((network, account_id))
        if known:
            return known
        demo = demo_account(network, account_id)
        if demo:  # the demo's accounts, named as the app names them
            return Account(network, account_id, *demo)
        return Account(network, account_id, f"Sandbox account {account_id}", f"sandbox_{account_id.split('@')[0][-6:]}")

    # --- what was received ----------------------------------------------------------------

    def add_item(self, item: Item, aliases: tuple[str, ...] = ()) -> Item:
        """Store what an account received; `aliases` are other ids that find it."""
        with self.lock:
            self.items[(item.network, item.id)] = item
            for alias in aliases:
                self._aliases[(item.network, alias)] = item
            self._by_account[(item.network, item.account)].append(item)
            self._live_texts[(item.network, item.account, item.text)] += 1
            for media in item.media:
                media.attached = True
            return item

    def item(self, network: str, item_id: str) -> Item | None:
        with self.lock:
            return self.items.get((network, item_id)) or self._aliases.get((network, item_id))

    def items_of(self, network: str | None = None, account: str | None = None) -> list[Item]:
        """Oldest first, deleted ones included."""
        with self.lock:
            if network is not None and account is not None:
                return list(self._by_account.get((network, account), ()))
            return [
                item
                for item in self.items.values()
                if network in (None, item.network) and account in (None, item.account)
            ]

    def mark_deleted(self, item: Item) -> None:
        with self.lock:
            if not item.deleted:
                item.deleted = True
                self._live_texts[(item.network, item.account, item.text)] -= 1

    def has_live_text(self, network: str, account: str, text: str) -> bool:
        """Whether the account holds a post with exactly this text, not deleted."""
        with self.lock:
            return self._live_texts[(network, account, text)] > 0

    def refuse_duplicate(self, network: str, account: str, text: str) -> None:
        with self.lock:
            self.refused_duplicates[(network, account, text)] += 1

    def counts(self, network: str | None = None) -> list[dict[str, Any]]:
        with self.lock:
            received = Counter((item.network, item.account, item.text) for item in self.items.values())
            keys = sorted(set(received) | set(self.refused_duplicates))
            return [
                {
                    "network": n,
                    "account": a,
                    "text": t,
                    "count": received[(n, a, t)],
                    "duplicates_refused": self.refused_duplicates[(n, a, t)],
                }
                for n, a, t in keys
                if network in (None, n)
            ]

    def duplicate_upload_counts(self, network: str | None = None) -> list[dict[str, Any]]:
        with self.lock:
            return [
                {"network": n, "account": a, "count": count}
                for (n, a), count in sorted(self.duplicate_uploads.items())
                if network in (None, n)
            ]

    def add_media(self, media: Media, data: bytes) -> Media:
        """Store a media's description, and its bytes if they are a small enough raster
        image (judged by their first bytes: a declared type could smuggle in HTML or SVG)."""
        with self.lock:
            if sniff_mime(data).startswith("image/") and len(data) <= MEDIA_KEEP_MAX_BYTES:
                media.data = data
                self._kept_bytes += len(data)
                self._evict_oldest_bytes()
            self.media[media.id] = media
            return media

    def note_upload(self, network: str, account: str, fingerprint: str) -> bool:
        """Record a finished upload's content; False (and counted) when the account had
        already uploaded exactly these bytes since the last reset."""
        with self.lock:
            key = (network, account, fingerprint)
            if key in self._upload_digests:
                self.duplicate_uploads[(network, account)] += 1
                return False
            self._upload_digests.add(key)
            return True

    def _evict_oldest_bytes(self) -> None:
        for media in self.media.values():
            if self._kept_bytes <= MEDIA_KEEP_TOTAL_BYTES:
                return
            if media.data is not None:
                self._kept_bytes -= len(media.data)
                media.data = None

    def get_media(self, media_id: str) -> Media | None:
        with self.lock:
            return self.media.get(media_id)

    def add_upload(self, upload: Upload) -> Upload:
        with self.lock:
            self.uploads[upload.id] = upload
            return upload

    def upload(self, upload_id: str) -> Upload | None:
        with self.lock:
            return self.uploads.get(upload_id)

    # --- Developer apps: Flickr's OAuth 1.0a consumers, Facebook's apps ----------------------

    def register_app(self, network: str, key: str, secret: str) -> None:
        with self.lock:
            self.apps[(network, key)] = secret

    def app_secret(self, network: str, key: str) -> str | None:
        with self.lock:
            return self.apps.get((network, key))

    def app_secrets(self, network: str) -> list[str]:
        with self.lock:
            return [secret for (n, _), secret in self.apps.items() if n == network]

    # --- OAuth grants and token families ----------------------------------------------------

    def add_grant(self, grant: Grant) -> Grant:
        with self.lock:
            self.grants = {code: g for code, g in self.grants.items() if not g.expired}
            self.grants[grant.code] = grant
            return grant

    def grant(self, code: str) -> Grant | None:
        with self.lock:
            grant = self.grants.get(code)
            return None if grant is None or grant.expired else grant

    def take_grant(self, code: str) -> Grant | None:
        """The grant, removed: a code is exchanged once."""
        with self.lock:
            grant = self.grants.pop(code, None)
            return None if grant is None or grant.expired else grant

    def remember_scopes(self, refresh_token: str, scopes: tuple[str, ...]) -> None:
        with self.lock:
            self.refresh_scopes[refresh_token] = scopes

    def scopes_of(self, refresh_token: str) -> tuple[str, ...] | None:
        """The scopes granted with a refresh token; None when unknown (a seeded token, or
        one issued before a restart)."""
        with self.lock:
            return self.refresh_scopes.get(refresh_token)

    def _family(self, network: str, account: str) -> TokenFamily:
        return self.families.setdefault((network, account), TokenFamily())

    def token_valid(self, raw: str) -> bool:
        token = tokens.parse(raw)
        if token is None:
            return False
        with self.lock:
            family = self.families.get((token.network, token.account))
            if family is None:
                return True
            if token.raw in family.used_refresh_tokens:
                return False
            return not family.revoked or token.raw in family.issued_since_revocation

    def issued(self, *raw_tokens: str) -> None:
        """Record freshly issued tokens: they stay valid in a family revoked earlier."""
        with self.lock:
            for raw in raw_tokens:
                token = tokens.parse(raw)
                family = self.families.get((token.network, token.account)) if token else None
                if family is not None and family.revoked:
                    family.issued_since_revocation.add(raw)

    def use_refresh_token(self, raw: str) -> bool:
        """Spend a single-use refresh token (X). Reusing one revokes the whole family, as X
        does: the earlier exchange may have been a thief's. False when refused."""
        token = tokens.parse(raw)
        if token is None:
            return False
        with self.lock:
            if not self.token_valid(raw):
                if raw in self._family(token.network, token.account).used_refresh_tokens:
                    self.revoke_family(token.network, token.account)
                return False
            self._family(token.network, token.account).used_refresh_tokens.add(raw)
            return True

    def revoke_family(self, network: str, account: str) -> None:
        with self.lock:
            family = self._family(network, account)
            family.revoked = True
            family.issued_since_revocation.clear()

    # --- faults -------------------------------------------------------------------------

    def decide_fault(self, network: str, account: str | None) -> FaultDecision:
        with self.lock:
            return self.faults.decide(network, account)

    def add_fault(self, body: Any) -> FaultRule:
        with self.lock:
            return self.faults.add(body)

    def remove_fault(self, rule_id: int) -> bool:
        with self.lock:
            return self.faults.remove(rule_id)

    def clear_faults(self) -> None:
        with self.lock:
            self.faults.clear()

    def fault_rules(self) -> list[dict[str, Any]]:
        with self.lock:
            return [rule.as_json() for rule in self.faults.rules]

    # --- statistics ---------------------------------------------------------------------------

    @contextmanager
    def serving(self) -> Iterator[None]:
        """Count one request for the whole time it is being served."""
        with self.lock:
            self._requests += 1
            self._in_flight += 1
            self._peak = max(self._peak, self._in_flight)
        try:
            yield
        finally:
            with self.lock:
                self._in_flight -= 1

    def stats(self) -> dict[str, int]:
        with self.lock:
            return {"requests": self._requests, "in_flight": self._in_flight, "peak_concurrency": self._peak}
