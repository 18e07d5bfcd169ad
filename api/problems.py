"""Errors as application/problem+json (RFC 9457) with a stable `code`: the same codes as
the web UI's problems (posts.problems) where the services raise them, worded in the
request's language."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from django.utils.translation import gettext as _
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from posts.models import InvalidTransition
from posts.problems import WORDING, word
from posts.validation import ValidationProblems, is_blocking

PROBLEM_JSON = "application/problem+json"


class PayloadTooLarge(exceptions.APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_code = "request.too_large"

    def __init__(self, limit: int) -> None:
        super().__init__(_("The body is larger than %(limit)s bytes.") % {"limit": limit})


class Conflict(exceptions.APIException):
    """The object is not in a state that allows this (InvalidTransition, a stale version)."""

    status_code = status.HTTP_409_CONFLICT
    default_code = "state.conflict"


# DRF's own codes, renamed once into ours: dotted, stable, documented in the schema.
CODES = {
    "parse_error": "request.malformed",
    "authentication_failed": "auth.failed",
    "not_authenticated": "auth.required",
    "permission_denied": "auth.forbidden",
    "not_found": "not_found",
    "method_not_allowed": "request.method_not_allowed",
    "not_acceptable": "request.not_acceptable",
    "unsupported_media_type": "request.unsupported_media_type",
    "throttled": "request.throttled",
    "invalid": "request.invalid",
}


def _problem(status_code: int, code: str, title: str, detail: str = "", **extra: Any) -> dict[str, Any]:
    body = {"type": "about:blank", "title": title, "status": status_code, "code": code}
    if detail:
        body["detail"] = detail
    body.update(extra)
    return body


def _field_errors(detail: Any) -> Any:
    """DRF's nested error detail as plain lists of strings."""
    if isinstance(detail, dict):
        return {str(key): _field_errors(value) for key, value in detail.items()}
    if isinstance(detail, list):
        return [_field_errors(item) for item in detail]
    return str(detail)


def _from_django_validation(exc: DjangoValidationError) -> dict[str, Any]:
    if isinstance(exc, ValidationProblems):
        problems = [
            {
                "code": problem.code,
                "detail": str(problem.message),
                "field": problem.field,
                "network": problem.network,
                "language": problem.language,
                "blocking": is_blocking(problem),
            }
            for problem in exc.problems
        ]
        return _problem(422, "message.problems", _("The message cannot go out as it is."), problems=problems)
    if not hasattr(exc, "error_dict") and exc.error_list and exc.error_list[0].code in WORDING.problems:
        # A service's refusal by its code (the conversation desk's replies): the code is
        # the problem's, worded as the web UI words it.
        said = exc.error_list[0]
        code = str(said.code)
        return _problem(422, code, _("Not possible as it is."), word(code, said.params or {}))
    errors = exc.message_dict if hasattr(exc, "error_dict") else {"non_field_errors": exc.messages}
    return _problem(
        422,
        "validation.failed",
        _("Some values are not valid."),
        errors={key: [str(message) for message in messages] for key, messages in errors.items()},
    )


def problem_response(body: dict[str, Any], headers: dict[str, str] | None = None) -> Response:
    response = Response(body, status=body["status"], headers=headers)
    response.content_type = PROBLEM_JSON
    return response


def exception_handler(exc: Exception, context: dict) -> Response | None:
    if isinstance(exc, DjangoValidationError):
        return problem_response(_from_django_validation(exc))
    if isinstance(exc, InvalidTransition):
        return problem_response(_problem(409, "state.conflict", _("Not possible in this state."), str(exc)))
    if isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied(str(exc) or None)
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    response = drf_exception_handler(exc, context)
    if response is None:
        return None  # a server error: Django's handler500 (logged, never shown)
    if not isinstance(exc, exceptions.APIException):
        return response
    code = exc.get_codes() if not isinstance(exc, exceptions.ValidationError) else "invalid"
    code = code if isinstance(code, str) else "invalid"
    code = CODES.get(code, code)
    if isinstance(exc, exceptions.ValidationError):
        body = _problem(400, "request.invalid", _("Some values are not valid."), errors=_field_errors(exc.detail))
    else:
        body = _problem(response.status_code, code, str(exc.default_detail), str(exc.detail))
    headers = {name: value for name, value in response.items() if name in ("WWW-Authenticate", "Retry-After", "Allow")}
    return problem_response(body, headers)
