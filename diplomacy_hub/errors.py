"""Styled error pages. They render without a request context on 500, so they stay plain."""

from django.core.exceptions import BadRequest
from django.http import HttpResponseServerError
from django.shortcuts import render
from django.template import loader
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


def page_not_found(request, exception=None):
    return render(request, "errors/404.html", status=404)


def server_error(request):
    # No context processors: whatever broke the request must not break the error page.
    return HttpResponseServerError(loader.get_template("errors/500.html").render())
