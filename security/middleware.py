"""Session time-outs and the second factor, enforced for every request.

Order in MIDDLEWARE: after AuthenticationMiddleware, django_otp's OTPMiddleware,
LoginRequiredMiddleware and MessageMiddleware (see diplomacy_hub/settings/base.py).
"""

from __future__ import annotations

import time
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.shortcuts import redirect, resolve_url
from django.urls import reverse
from django.utils.translation import gettext as _
from django_htmx.http import HttpResponseClientRedirect

from security.receivers import LAST_ACTIVITY, SESSION_STARTED
from security.two_factor import has_device, lacks_verification

# How stale the last-activity stamp may get before it is written again: the session is not
# saved on every request for it (the idle time-out is so many minutes, give or take one).
ACTIVITY_RESOLUTION = 60


def _redirect(request, url: str):
    """A redirect that htmx follows with a full page load, not into a fragment."""
    if getattr(request, "htmx", False):
        return HttpResponseClientRedirect(url)
    return redirect(url)


class SessionTimeoutMiddleware:
    """Ends a session idle for SESSION_IDLE_TIMEOUT seconds (default 30 min), or older than
    SESSION_COOKIE_AGE (8 h) since its login, whatever its activity.

    The idle clock is a time stamp in the session, written at most once a minute. Activity
    is any request but an htmx GET: the pages' polling (live updates) must not keep an
    unattended session open for ever. Django alone would not do either: its own expiry
    slides forward each time the session is saved, and a session saved on each request
    would also be kept open by polling. The user is logged out (audited as `auth.logout`
    with its reason) and sent to log in again, back to the page they asked for.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = request.user
        if user.is_authenticated:
            expired = self._check(request)
            if expired:
                logout(request)
                messages.info(request, expired)
                if getattr(request, "htmx", False):
                    return HttpResponseClientRedirect(resolve_url(settings.LOGIN_URL))
                # Anonymous now: LoginRequiredMiddleware sends them to log in, then back here.
        return self.get_response(request)

    def _check(self, request) -> str | None:
        session = request.session
        now = time.time()
        started = session.get(SESSION_STARTED)
        last = session.get(LAST_ACTIVITY)
        idle = float(getattr(settings, "SESSION_IDLE_TIMEOUT", 30 * 60))
        if last is not None and now - float(last) > idle:
            request._audit_logout_reason = "idle"
            return _("You were logged out after %(minutes)d minutes without activity. Log in again.") % {
                "minutes": round(idle / 60)
            }
        if started is not None and now - float(started) > settings.SESSION_COOKIE_AGE:
            request._audit_logout_reason = "session_age"
            return _("Your session reached its %(hours)d-hour limit. Log in again.") % {
                "hours": round(settings.SESSION_COOKIE_AGE / 3600)
            }
        if started is None:
            session[SESSION_STARTED] = now  # a session from before this middleware: count from now
        is_activity = not (getattr(request, "htmx", False) and request.method == "GET")
        if is_activity and (last is None or now - float(last) >= ACTIVITY_RESOLUTION):
            session[LAST_ACTIVITY] = now
        return None


# URL names that a session owing its second factor may still open.
OPEN_BEFORE_SECOND_FACTOR = frozenset({"logout", "set_language", "login"})


class TwoFactorRequiredMiddleware:
    """Sends a user who must use a second factor (security.two_factor.needs_two_factor)
    and has not verified one in this session to the code page (or to enrolment, without a
    device) for every URL but the two-factor pages themselves, logging out, switching
    language and public views (static files never reach Django's views: whitenoise)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        user = request.user
        if not user.is_authenticated or not lacks_verification(user):
            return None
        match = request.resolver_match
        if match is not None and (match.namespace == "security" or match.view_name in OPEN_BEFORE_SECOND_FACTOR):
            return None
        if getattr(view_func, "login_required", True) is False:  # login_not_required: public anyway
            return None
        target = reverse("security:otp_verify" if has_device(user) else "security:otp_setup")
        return _redirect(request, f"{target}?{urlencode({'next': request.get_full_path()})}")
