"""Who may call the API at all (a person with a role), and what a token may do (its
scopes). What they may do to which object is the policy's, asked by the services."""

from __future__ import annotations

from rest_framework import permissions

from api.authentication import token_of
from api.models import Scope
from diplomacy_hub import policy


class HasRole(permissions.BasePermission):
    def has_permission(self, request, view) -> bool:
        return bool(request.user and request.user.is_authenticated and policy.roles_of(request.user))


class TokenScope(permissions.BasePermission):
    """Reads need the `read` scope; each write its view's `write_scope`."""

    message = None  # DRF's default wording ("You do not have permission…"), translated

    def has_permission(self, request, view) -> bool:
        token = token_of(request)
        if token is None:
            return True  # a session: the person's own rights
        if request.method in permissions.SAFE_METHODS:
            return token.allows(Scope.READ)
        scope = getattr(view, "write_scope", None)
        return scope is not None and token.allows(scope)
