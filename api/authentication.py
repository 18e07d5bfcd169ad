"""`Authorization: Bearer dh_…`: the token acts as its user; a service account's token
also narrows the missions the policy sees for it."""

from __future__ import annotations

from django.utils.translation import gettext as _
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import authentication, exceptions

from api.models import ApiToken
from api.services.tokens import token_find, token_touch
from diplomacy_hub import policy
from security.two_factor import lacks_verification


class TokenAuthentication(authentication.BaseAuthentication):
    keyword = "Bearer"

    def authenticate(self, request):
        header = authentication.get_authorization_header(request).split()
        if not header or header[0].lower() != self.keyword.lower().encode():
            return None
        if len(header) != 2:
            raise exceptions.AuthenticationFailed(_("Give one token after “Bearer”."))
        try:
            secret = header[1].decode("ascii")
        except UnicodeDecodeError:
            raise exceptions.AuthenticationFailed(_("This token is not valid.")) from None
        token = token_find(secret)
        if token is None:
            raise exceptions.AuthenticationFailed(_("This token is not valid, has expired or was revoked."))
        token_touch(token)
        user = token.user
        if token.kind == ApiToken.Kind.SERVICE:
            missions = set(token.missions.values_list("pk", flat=True))
            if missions:
                # The policy's own cache of the user's missions, narrowed to the token's.
                user._diplomacy_mission_ids = policy.mission_ids_of(user) & missions
        return user, token

    def authenticate_header(self, request) -> str:
        return f'{self.keyword} realm="api"'


def token_of(request) -> ApiToken | None:
    auth = getattr(request, "auth", None)
    return auth if isinstance(auth, ApiToken) else None


def token_mission_ids(request) -> set[int] | None:
    """The missions a service account's token is narrowed to (None: not narrowed)."""
    token = token_of(request)
    if token is None or token.kind != ApiToken.Kind.SERVICE:
        return None
    ids = getattr(token, "_mission_ids", None)
    if ids is None:
        ids = set(token.missions.values_list("pk", flat=True))
        token._mission_ids = ids
    return ids or None


class VerifiedSessionAuthentication(authentication.SessionAuthentication):
    """The web session (the browsable API, the docs' "try it out"), once its second factor
    is verified when the person's role needs one: a password-only session of the press
    office is no more let in here than on the pages."""

    def authenticate(self, request):
        result = super().authenticate(request)
        if result is not None and lacks_verification(result[0]):
            return None
        return result


class TokenScheme(OpenApiAuthenticationExtension):
    target_class = "api.authentication.TokenAuthentication"
    name = "bearerToken"

    def get_security_definition(self, auto_schema):
        return {"type": "http", "scheme": "bearer", "description": _("An API token, created by an administrator.")}


class SessionScheme(OpenApiAuthenticationExtension):
    target_class = "api.authentication.VerifiedSessionAuthentication"
    name = "cookieAuth"

    def get_security_definition(self, auto_schema):
        return {"type": "apiKey", "in": "cookie", "name": "sessionid"}
