"""The sandbox's token convention (docs/sandbox.md, "Accounts and tokens").

`sbx.<network>.<account id>.<anything>` is an access token of that account and
`sbxr.<network>.<account id>.<anything>` a refresh token: the account travels inside the
token, so tokens stay valid across a sandbox restart and need no registration. A Flickr
token's secret is `secret_of(token)`.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass

NETWORKS = ("twitter", "facebook", "youtube", "flickr")

ACCESS = "sbx"
REFRESH = "sbxr"

# Dots separate the token's fields, so an account id never contains one.
ACCOUNT_ID = re.compile(r"[A-Za-z0-9_@-]{1,64}\Z")


@dataclass(frozen=True)
class Token:
    raw: str
    kind: str  # ACCESS or REFRESH
    network: str
    account: str
    tail: str  # the part after the account: random, possibly with a tag ("page-…")


def parse(raw: str) -> Token | None:
    """The token's parts, or None if `raw` does not follow the convention."""
    parts = raw.split(".", 3)
    if len(parts) != 4:
        return None
    kind, network, account, tail = parts
    if kind not in (ACCESS, REFRESH) or network not in NETWORKS or not ACCOUNT_ID.match(account):
        return None
    return Token(raw, kind, network, account, tail)


def account_of(raw: str, network: str, kind: str = ACCESS) -> str | None:
    token = parse(raw)
    if token is None or token.network != network or token.kind != kind:
        return None
    return token.account


def issue(network: str, account: str, *, kind: str = ACCESS, tag: str = "") -> str:
    """A fresh token; `tag` marks a sort of token where a network has several (Facebook's
    user and Page tokens)."""
    tail = secrets.token_urlsafe(24)
    return f"{kind}.{network}.{account}.{tag + '-' if tag else ''}{tail}"


def secret_of(raw: str) -> str:
    """The OAuth 1.0a token secret that goes with a sandbox access token (Flickr): derived
    from the token, so that it too survives a restart, and the sandbox can check signatures
    made with it. 16 hex digits, like Flickr's."""
    return hashlib.sha256(f"sandbox token secret:{raw}".encode()).hexdigest()[:16]


def new_secret() -> str:
    """A secret that goes with a token (OAuth 1.0a token secrets, authorization codes)."""
    return secrets.token_urlsafe(24)


def new_account_id(network: str) -> str:
    """An id shaped like the network's own, to prefill the consent pages."""
    digits = "".join(secrets.choice("0123456789") for _ in range(18))
    if network == "twitter":
        return "1" + digits  # X user ids: 19 digits
    if network == "facebook":
        return "1" + digits[:14]  # Page ids: 15 digits
    if network == "youtube":
        return "UC" + secrets.token_urlsafe(16)[:22]  # channel ids: UC + 22 characters
    return f"{digits[:8]}@N0{secrets.choice('0123456789')}"  # Flickr NSIDs: 12345678@N00
