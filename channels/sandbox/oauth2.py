"""The OAuth 2.0 authorization-code steps that X, Google and Facebook share: the consent
page's answer (a redirect with a code, or access_denied) and the code's redemption,
PKCE included. Each network wraps them in its own parameter names and error bodies."""

from __future__ import annotations

import base64
import hashlib
import hmac
from urllib.parse import unquote

from channels.sandbox import tokens
from channels.sandbox.consent import read_consent
from channels.sandbox.http import Call, Request, Response, add_query, redirect
from channels.sandbox.state import Grant


def answer_consent(
    call: Call,
    *,
    network: str,
    client_id: str,
    redirect_uri: str,
    scopes: tuple[str, ...],
    denied: dict[str, str],
    offline: bool = True,
) -> Response:
    """Redirect to redirect_uri with `code` and `state`, or with the network's `denied`
    parameters when the person refused."""
    request = call.request
    state_param = {"state": request.arg("state")} if request.arg("state") else {}
    consent = read_consent(call, network=network)
    if not consent.approved or consent.account is None:
        return redirect(add_query(redirect_uri, denied | state_param))
    grant = call.state.add_grant(
        Grant(
            code=tokens.new_secret(),
            network=network,
            client_id=client_id,
            redirect_uri=redirect_uri,
            scopes=scopes,
            account=consent.account.id,
            offline=offline,
            code_challenge=request.arg("code_challenge"),
            code_challenge_method=request.arg("code_challenge_method") or "plain",
        )
    )
    return redirect(add_query(redirect_uri, {"code": grant.code} | state_param))


def redeem_code(call: Call, *, network: str) -> Grant | None:
    """The grant of the authorization code in the token request, spent; None when the
    code is unknown, used, expired, for another client or redirect_uri, or when the
    PKCE code_verifier does not match the challenge."""
    request = call.request
    grant = call.state.take_grant(request.arg("code"))
    if grant is None or grant.network != network:
        return None
    client = client_id(request)
    if client and grant.client_id and client != grant.client_id:
        return None
    if request.arg("redirect_uri") != grant.redirect_uri:
        return None
    if grant.code_challenge and not pkce_matches(
        request.arg("code_verifier"), grant.code_challenge, grant.code_challenge_method
    ):
        return None
    return grant


def pkce_matches(verifier: str, challenge: str, method: str) -> bool:
    """RFC 7636: S256 is BASE64URL(SHA256(verifier)) without padding; plain is equality."""
    if not verifier:
        return False
    if method == "S256":
        digest = hashlib.sha256(verifier.encode("ascii", "replace")).digest()
        expected = base64.urlsafe_b64encode(digest).rstrip(b"=").decode()
    else:
        expected = verifier
    return hmac.compare_digest(expected, challenge)


def client_id(request: Request) -> str:
    """The client id of a token request: HTTP Basic auth (confidential clients) or the
    `client_id` form field (public clients)."""
    scheme, _, credentials = request.header("Authorization").partition(" ")
    if scheme.lower() == "basic":
        try:
            decoded = base64.b64decode(credentials.strip()).decode()
        except ValueError:
            return ""
        return unquote(decoded.partition(":")[0])
    return request.arg("client_id")
