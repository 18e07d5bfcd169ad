"""Google OAuth 2.0 for YouTube (prefix `google-oauth`: accounts.google.com and
oauth2.googleapis.com), as google-auth and google-auth-oauthlib call it.

The consent page issues a code (PKCE checked when a challenge was sent); the token
endpoint exchanges it, and refreshes access tokens. Unlike X, Google does not rotate
refresh tokens: the same one keeps working until revoked. Faults count as YouTube's.
"""

from __future__ import annotations

import math
from typing import Any

from channels.sandbox import tokens
from channels.sandbox.consent import consent_page, require_redirect_uri
from channels.sandbox.http import Call, NetworkSpec, Reply, Request, Response, Router, json_response
from channels.sandbox.oauth2 import answer_consent, redeem_code
from channels.sandbox.state import SandboxState

NETWORK = "youtube"
ACCESS_TOKEN_SECONDS = 3599

router = Router()


def oauth_error(status: int, error: str, description: str, headers: dict[str, str] | None = None) -> Response:
    return json_response(status, {"error": error, "error_description": description}, headers)


def invalid_grant(description: str = "Bad Request") -> Reply:
    return Reply(oauth_error(400, "invalid_grant", description))


def rate_limited(request: Request, reset_seconds: float) -> Response:
    return oauth_error(
        429, "rate_limit_exceeded", "Rate limit exceeded.", {"Retry-After": str(math.ceil(reset_seconds))}
    )


def server_error(request: Request) -> Response:
    return oauth_error(503, "internal_failure", "Backend Error")


def unknown_path(request: Request) -> Response:
    return oauth_error(404, "not_found", "Not Found")


def account_of(request: Request, state: SandboxState) -> str | None:
    refresh = tokens.account_of(request.arg("refresh_token"), NETWORK, tokens.REFRESH)
    grant = state.grant(request.arg("code")) if request.arg("code") else None
    return refresh or (grant.account if grant else None)


def _scopes(request: Request) -> tuple[str, ...]:
    return tuple(request.arg("scope").split())


@router.route("GET", r"/o/oauth2(?:/v2)?/auth", api=False)
def consent(call: Call) -> Response:
    require_redirect_uri(call.request.arg("redirect_uri"))
    return consent_page(call, network=NETWORK, client_id=call.request.arg("client_id"), scopes=_scopes(call.request))


@router.route("POST", r"/o/oauth2(?:/v2)?/auth", api=False)
def consent_decision(call: Call) -> Response:
    request = call.request
    return answer_consent(
        call,
        network=NETWORK,
        client_id=request.arg("client_id"),
        redirect_uri=require_redirect_uri(request.arg("redirect_uri")),
        scopes=_scopes(request),
        denied={"error": "access_denied"},
        offline=request.arg("access_type") == "offline",
    )


@router.route("POST", r"/token")
def token(call: Call) -> Response:
    grant_type = call.request.arg("grant_type")
    if grant_type == "authorization_code":
        return _exchange_code(call)
    if grant_type == "refresh_token":
        return _refresh(call)
    return oauth_error(400, "unsupported_grant_type", f"Invalid grant_type: {grant_type}")


def _exchange_code(call: Call) -> Response:
    grant = redeem_code(call, network=NETWORK)
    if grant is None:
        raise invalid_grant()
    access = tokens.issue(NETWORK, grant.account)
    answer: dict[str, Any] = {
        "access_token": access,
        "expires_in": ACCESS_TOKEN_SECONDS,
        "scope": " ".join(grant.scopes),
        "token_type": "Bearer",
    }
    issued = [access]
    if grant.offline:
        refresh = tokens.issue(NETWORK, grant.account, kind=tokens.REFRESH)
        call.state.remember_scopes(refresh, grant.scopes)
        answer["refresh_token"] = refresh
        issued.append(refresh)
    call.state.issued(*issued)
    return json_response(200, answer)


def _refresh(call: Call) -> Response:
    raw = call.request.arg("refresh_token")
    account = tokens.account_of(raw, NETWORK, tokens.REFRESH)
    if account is None or call.fault.revoked or not call.state.token_valid(raw):
        raise invalid_grant("Token has been expired or revoked.")
    access = tokens.issue(NETWORK, account)
    call.state.issued(access)
    answer: dict[str, Any] = {
        "access_token": access,
        "expires_in": ACCESS_TOKEN_SECONDS,
        "token_type": "Bearer",
    }
    scopes = call.state.scopes_of(raw)
    if scopes:
        answer["scope"] = " ".join(scopes)
    return json_response(200, answer)


SPEC = NetworkSpec(
    prefix="google-oauth",
    network=NETWORK,
    router=router,
    account_of=account_of,
    server_error=server_error,
    rate_limited=rate_limited,
    not_found=unknown_path,
)
