"""Where a webhook may go: http(s) to a public address. A host that resolves to loopback,
a private, link-local, shared, multicast or reserved range is refused, unless an
administrator allowed that host explicitly (api.models.AllowedHost). Checked when the
endpoint is registered and again before every attempt (DNS may have changed since)."""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Collection
from urllib.parse import urlsplit

from django.utils.translation import gettext as _


class Refused(ValueError):
    """Said in the reader's language: why this URL is not a webhook's."""


def _is_public(address: str) -> bool:
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return ip.is_global and not ip.is_multicast


def resolve(host: str) -> list[str]:
    try:
        infos = socket.getaddrinfo(host, None, proto=socket.IPPROTO_TCP)
    except (socket.gaierror, UnicodeError, OSError):
        return []
    return sorted({str(info[4][0]) for info in infos})


def check_url(url: str, *, allowed_hosts: Collection[str]) -> str:
    """The URL's host if a webhook may be sent there; Refused otherwise."""
    try:
        parts = urlsplit(url)
        host = (parts.hostname or "").lower()
        parts.port  # noqa: B018 (raises ValueError on a port out of range)
    except ValueError:
        raise Refused(_("This is not a valid URL.")) from None
    if parts.scheme not in ("https", "http") or not host:
        raise Refused(_("Give an https:// (or http://) URL."))
    if parts.username or parts.password:
        raise Refused(_("A webhook URL carries no user name or password: the signature authenticates us."))
    if host in allowed_hosts:
        return host
    addresses = resolve(host)
    if not addresses:
        raise Refused(_("The host %(host)s cannot be resolved.") % {"host": host})
    private = [address for address in addresses if not _is_public(address)]
    if private:
        raise Refused(
            _(
                "The host %(host)s resolves to a loopback or private address (%(address)s): refused, unless an "
                "administrator allows this host explicitly."
            )
            % {"host": host, "address": private[0]}
        )
    return host
