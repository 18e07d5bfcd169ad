"""Per-token request limits (DRF's throttling, counted in Django's cache: CACHE_URL)."""

from __future__ import annotations

from django.conf import settings
from rest_framework.throttling import SimpleRateThrottle

from api.authentication import token_of


class TokenRateThrottle(SimpleRateThrottle):
    """A token: its own rate, else API_TOKEN_RATE a minute. A session: the same default per
    person. Anonymous callers (the schema, the docs): API_ANONYMOUS_RATE per address."""

    scope = "token"

    def get_rate(self) -> str:
        return f"{settings.API_TOKEN_RATE}/min"

    def allow_request(self, request, view) -> bool:
        token = token_of(request)
        if token is not None:
            self.num_requests, self.duration = token.rate_per_minute or settings.API_TOKEN_RATE, 60
        elif request.user and request.user.is_authenticated:
            self.num_requests, self.duration = settings.API_TOKEN_RATE, 60
        else:
            self.num_requests, self.duration = settings.API_ANONYMOUS_RATE, 60
        return super().allow_request(request, view)

    def get_cache_key(self, request, view) -> str:
        token = token_of(request)
        if token is not None:
            ident = f"t{token.pk}"
        elif request.user and request.user.is_authenticated:
            ident = f"u{request.user.pk}"
        else:
            ident = f"a{self.get_ident(request)}"
        return f"api-throttle:{ident}"
