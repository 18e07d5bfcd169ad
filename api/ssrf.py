"""Where a webhook may go, and how it gets there: http(s) to a public address. A host that
resolves to loopback, a private, link-local (the clouds' metadata), shared, multicast or
reserved range is refused, unless an administrator allowed that host explicitly
(api.models.AllowedHost). Checked when the endpoint is registered and again before every
attempt (DNS may have changed since).

The name is resolved once per attempt and the connection made to that very address
(`pin` then `post`): resolving again when connecting would let a name that answered a
public address to the check answer an inner one to the connection (DNS rebinding). The
Host header and the TLS server name (SNI, and the certificate's check) stay the URL's
name."""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from urllib.parse import urlsplit

import certifi
import urllib3
from django.utils.translation import gettext as _
from urllib3.exceptions import HTTPError, TimeoutError


class Refused(ValueError):
    """Said in the reader's language: why this URL is not a webhook's."""


@dataclass(frozen=True)
class Pinned:
    """A URL and the one address its requests go to."""

    scheme: str
    host: str  # the name, for the Host header and TLS
    port: int
    address: str  # where to connect
    target: str  # the path and query

    @property
    def host_header(self) -> str:
        name = f"[{self.host}]" if ":" in self.host else self.host
        default = 443 if self.scheme == "https" else 80
        return name if self.port == default else f"{name}:{self.port}"


@dataclass(frozen=True)
class Answer:
    status: int
    text: str


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


def pin(url: str, *, allowed_hosts: Collection[str]) -> Pinned:
    """The URL with the address to connect to, resolved once now; Refused if a webhook may
    not go there."""
    try:
        parts = urlsplit(url)
        host = (parts.hostname or "").lower()
        port = parts.port
    except ValueError:
        raise Refused(_("This is not a valid URL.")) from None
    if parts.scheme not in ("https", "http") or not host:
        raise Refused(_("Give an https:// (or http://) URL."))
    if parts.username or parts.password:
        raise Refused(_("A webhook URL carries no user name or password: the signature authenticates us."))
    addresses = resolve(host)
    if not addresses:
        raise Refused(_("The host %(host)s cannot be resolved.") % {"host": host})
    private = [address for address in addresses if not _is_public(address)]
    if private and host not in allowed_hosts:
        raise Refused(
            _(
                "The host %(host)s resolves to a loopback or private address (%(address)s): refused, unless an "
                "administrator allows this host explicitly."
            )
            % {"host": host, "address": private[0]}
        )
    target = parts.path or "/"
    if parts.query:
        target += f"?{parts.query}"
    return Pinned(
        scheme=parts.scheme,
        host=host,
        port=port or (443 if parts.scheme == "https" else 80),
        address=addresses[0],
        target=target,
    )


def check_url(url: str, *, allowed_hosts: Collection[str]) -> str:
    """The URL's host if a webhook may be sent there; Refused otherwise."""
    return pin(url, allowed_hosts=allowed_hosts).host


def post(pinned: Pinned, *, body: bytes, headers: Mapping[str, str], timeout: float) -> Answer:
    """POST `body` to the pinned address, as to the URL's name: no redirect followed (a 3xx
    to an inner address would dodge the check), no retry (the caller's backoff decides).
    Raises TimeoutError, or HTTPError when the address cannot be reached."""
    options: dict = {"timeout": urllib3.Timeout(total=timeout), "retries": False, "maxsize": 1}
    pool: urllib3.HTTPConnectionPool
    if pinned.scheme == "https":
        pool = urllib3.HTTPSConnectionPool(
            pinned.address,
            pinned.port,
            server_hostname=pinned.host,
            assert_hostname=pinned.host,
            cert_reqs="CERT_REQUIRED",
            ca_certs=certifi.where(),
            **options,
        )
    else:
        pool = urllib3.HTTPConnectionPool(pinned.address, pinned.port, **options)
    with pool:
        response = pool.urlopen(
            "POST",
            pinned.target,
            body=body,
            headers={**headers, "Host": pinned.host_header},
            redirect=False,
            assert_same_host=False,
            preload_content=True,
        )
        return Answer(status=response.status, text=response.data[:2000].decode("utf-8", "replace"))


__all__ = ["Answer", "HTTPError", "Pinned", "Refused", "TimeoutError", "check_url", "pin", "post", "resolve"]
