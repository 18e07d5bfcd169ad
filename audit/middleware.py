"""Sets the audit context (client address, signed-in user) for each request, and records
refused requests (PermissionDenied) as `access.denied` (ASVS 16.3.2)."""

from __future__ import annotations

import logging

from django.core.exceptions import PermissionDenied

from audit import context
from audit.services import record

logger = logging.getLogger(__name__)


class RequestContextMiddleware:
    """Install after AuthenticationMiddleware (it reads `request.user` lazily)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        tokens = context.set_request(request)
        try:
            return self.get_response(request)
        finally:
            context.reset(tokens)

    def process_exception(self, request, exception):
        if isinstance(exception, PermissionDenied):
            try:
                record(
                    action="access.denied",
                    actor=context.current_user(),
                    details={
                        "method": request.method,
                        "path": request.path[:300],
                        "reason": str(exception)[:300],
                    },
                )
            except Exception:  # the refusal stands whatever happens to its record
                logger.exception("Could not record a refused request in the audit log")
        return None
