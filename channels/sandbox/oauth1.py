"""OAuth 1.0a signatures as a server checks them (RFC 5849 section 3), HMAC-SHA1 only as
at Flickr: the base string over the URL the client called, every parameter percent-encoded
and sorted, the key from the consumer and token secrets; then the timestamp's age and the
nonce's first use. A signing mistake in an adapter fails here as it would on the network.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import time
from urllib.parse import parse_qsl, quote, urlsplit, urlunsplit

from channels.sandbox.http import Request, oauth1_params
from channels.sandbox.nonces import TIMESTAMP_WINDOW_SECONDS, NonceBook


class OAuthProblem(Exception):
    """A refused signed request; `problem` is RFC 5849's / the OAuth Problem Reporting
    extension's word for it (signature_invalid, nonce_used, …)."""

    def __init__(self, problem: str, base_string: str = "") -> None:
        super().__init__(problem)
        self.problem = problem
        self.base_string = base_string


def percent_encode(value: str) -> str:
    """RFC 5849 3.6: UTF-8, then everything but the unreserved characters encoded."""
    return quote(value.encode("utf-8"), safe="-._~")


def base_string_uri(url: str) -> str:
    """RFC 5849 3.4.1.2: scheme and host in lower case, the default port left out, no query."""
    parts = urlsplit(url)
    scheme, host = parts.scheme.lower(), (parts.hostname or "").lower()
    port = parts.port
    netloc = host if port is None or (scheme, port) in (("http", 80), ("https", 443)) else f"{host}:{port}"
    return urlunsplit((scheme, netloc, parts.path or "/", "", ""))


def signature_base_string(method: str, url: str, params: list[tuple[str, str]]) -> str:
    encoded = sorted((percent_encode(name), percent_encode(value)) for name, value in params)
    normalized = "&".join(f"{name}={value}" for name, value in encoded)
    return "&".join((method.upper(), percent_encode(base_string_uri(url)), percent_encode(normalized)))


def hmac_sha1(base_string: str, consumer_secret: str, token_secret: str) -> str:
    key = f"{percent_encode(consumer_secret)}&{percent_encode(token_secret)}"
    digest = hmac.new(key.encode(), base_string.encode(), hashlib.sha1).digest()
    return base64.b64encode(digest).decode()


def signed_parameters(request: Request, url: str, *, body_fields: bool = False) -> list[tuple[str, str]]:
    """RFC 5849 3.4.1.3: the query, the Authorization header's oauth_* (not realm nor the
    signature) and a form-encoded body. `body_fields`: also a multipart body's text fields
    (Flickr's upload signs every field but the photo)."""
    params = parse_qsl(urlsplit(url).query, keep_blank_values=True)
    params += [
        (name, value)
        for name, value in oauth1_params(request.header("Authorization")).items()
        if name not in ("realm", "oauth_signature")
    ]
    if request.content_type == "application/x-www-form-urlencoded":
        params += parse_qsl(request.body.decode("utf-8", "replace"), keep_blank_values=True)
    elif body_fields:
        params += list(request.form.items())
    return params


def verify(
    request: Request,
    *,
    url: str,
    consumer_secret: str | None,
    token_secret: str,
    nonces: NonceBook,
    body_fields: bool = False,
    now: float | None = None,
) -> None:
    """Check a signed request; OAuthProblem says what is wrong. `consumer_secret` None:
    the consumer key is unknown. Callers hold the state's lock (the nonce book)."""
    oauth = oauth1_params(request.header("Authorization"))
    for name in ("oauth_consumer_key", "oauth_signature_method", "oauth_signature", "oauth_timestamp", "oauth_nonce"):
        if not oauth.get(name):
            raise OAuthProblem("parameter_absent")
    if consumer_secret is None:
        raise OAuthProblem("consumer_key_unknown")
    if oauth["oauth_signature_method"] != "HMAC-SHA1":
        raise OAuthProblem("signature_method_rejected")
    if oauth.get("oauth_version", "1.0") != "1.0":
        raise OAuthProblem("version_rejected")
    now = time.time() if now is None else now
    try:
        stamp = int(oauth["oauth_timestamp"])
    except ValueError:
        raise OAuthProblem("timestamp_refused") from None
    if abs(now - stamp) > TIMESTAMP_WINDOW_SECONDS:
        raise OAuthProblem("timestamp_refused")
    base = signature_base_string(request.method, url, signed_parameters(request, url, body_fields=body_fields))
    expected = hmac_sha1(base, consumer_secret, token_secret)
    if not hmac.compare_digest(expected, oauth["oauth_signature"]):
        raise OAuthProblem("signature_invalid", base)
    if not nonces.first_use(
        oauth["oauth_consumer_key"], oauth.get("oauth_token", ""), oauth["oauth_timestamp"], oauth["oauth_nonce"], now
    ):
        raise OAuthProblem("nonce_used")
