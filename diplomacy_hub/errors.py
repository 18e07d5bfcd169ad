"""Styled error pages. They render without a request context on 500, so they stay plain.

`AppErrorPagesMiddleware` keeps them on with DEBUG on as well: Django's technical 404 lists
every URL pattern of the project, and the demo runs on shared training servers, so a
person refused or lost sees our 404 whatever the setting."""

import json

from django.conf import settings
from django.core.exceptions import BadRequest
from django.http import Http404, HttpResponse, HttpResponseServerError
from django.shortcuts import render
from django.template import loader
from django.utils.translation import gettext
from django.views import defaults


class InvalidInput(BadRequest):
    """Input that no field can show its error beside (a damaged address): a 400 page that
    says what is wrong, in the reader's words. Other 400s (SuspiciousOperation) say nothing."""


def bad_request(request, exception=None):
    if not isinstance(exception, InvalidInput):
        # Django's plain page: a host or a header it refused may not survive our layout.
        return defaults.bad_request(request, exception)
    return render(request, "errors/400.html", {"message": str(exception)}, status=400)


def permission_denied(request, exception=None):
    return render(request, "errors/403.html", status=403)


API_PREFIX = "/api/"


def _api_problem(status: int, code: str, title: str) -> HttpResponse:
    """The API's errors are application/problem+json (api.problems), also where no view of
    the API ran: an address of /api/ that no pattern matches, or a server error."""
    body = {"type": "about:blank", "title": title, "status": status, "code": code}
    return HttpResponse(json.dumps(body), status=status, content_type="application/problem+json")


def page_not_found(request, exception=None):
    if request.path.startswith(API_PREFIX):
        return _api_problem(404, "not_found", gettext("Not found."))
    return render(request, "errors/404.html", status=404)


def server_error(request):
    if getattr(request, "path", "").startswith(API_PREFIX):
        return _api_problem(500, "server.error", "Server error.")
    # No context processors: whatever broke the request must not break the error page.
    return HttpResponseServerError(loader.get_template("errors/500.html").render())


class AppErrorPagesMiddleware:
    """Our 404 page for a view's Http404 (a refused object: policy.scope found nothing) and,
    with DEBUG on, for an address no URL pattern matches (Django answers those before any
    view, with its technical page). Placed after CommonMiddleware, so that a missing
    slash is still redirected (APPEND_SLASH). With DEBUG off, Django already does this."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if settings.DEBUG and response.status_code == 404 and getattr(request, "resolver_match", None) is None:
            return page_not_found(request)
        return response

    def process_exception(self, request, exception):
        if isinstance(exception, Http404):
            return page_not_found(request, exception)
        return None
