"""What the audit log knows about the request it is written in, without being passed it:
the client's address and the signed-in user, held in context variables that
`audit.middleware.RequestContextMiddleware` sets for the length of one request (and that
are empty in workers, commands and the shell)."""

from __future__ import annotations

import ipaddress
from contextvars import ContextVar
from typing import Any

from django.conf import settings

_source_address: ContextVar[str | None] = ContextVar("audit_source_address", default=None)
_request: ContextVar[Any] = ContextVar("audit_request", default=None)


def client_address(request) -> str | None:
    """The client's IP address. Behind TRUSTED_PROXY_COUNT reverse proxies it is the entry
    that many places from the right of X-Forwarded-For (the entries to its left are the
    client's to write, so they are never believed); with no proxy, REMOTE_ADDR."""
    proxies = int(getattr(settings, "TRUSTED_PROXY_COUNT", 0) or 0)
    candidate = request.META.get("REMOTE_ADDR", "")
    if proxies > 0:
        forwarded = [part.strip() for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")]
        forwarded = [part for part in forwarded if part]
        if len(forwarded) >= proxies:
            candidate = forwarded[-proxies]
    try:
        return str(ipaddress.ip_address(candidate))
    except ValueError:
        return None


def source_address() -> str | None:
    return _source_address.get()


def current_user() -> Any:
    """The signed-in user of the request being served, or None (anonymous, or no request)."""
    request = _request.get()
    user = getattr(request, "user", None) if request is not None else None
    return user if getattr(user, "is_authenticated", False) else None


def set_request(request) -> tuple:
    """Set the context for `request`; returns the tokens that `reset` takes."""
    return _source_address.set(client_address(request)), _request.set(request)


def reset(tokens: tuple) -> None:
    address_token, request_token = tokens
    _source_address.reset(address_token)
    _request.reset(request_token)
