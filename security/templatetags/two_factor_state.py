"""Where a person stands with their authenticator app, for pages of the lower layers (the
staff page) that show it without importing the security app."""

from __future__ import annotations

from django import template

from security.selectors import AuthenticatorState, authenticator_state

register = template.Library()


@register.simple_tag
def authenticator_of(person) -> AuthenticatorState:
    """`{% authenticator_of person as authenticator %}`."""
    return authenticator_state(user=person)
