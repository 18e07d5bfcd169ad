"""The second step of logging in (a code from an authenticator app), enrolling an app, the
page shown when django-axes has locked a username out, and the language switcher."""

from __future__ import annotations

from base64 import b32encode
from urllib.parse import urlencode

import segno
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.forms import AuthenticationForm
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render, resolve_url
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters, sensitive_variables
from django.views.decorators.http import require_http_methods
from django.views.i18n import set_language
from django_otp import login as otp_login
from django_otp.plugins.otp_totp.models import TOTPDevice

from audit.services import record
from security import services
from security.forms import TokenForm
from security.two_factor import has_device, is_verified, needs_two_factor


def _next_url(request: HttpRequest) -> str:
    """Where to go once verified: `next` if it is one of ours, else the dashboard. A URL,
    never a view name: redirect() would try to reverse "dashboard" or "0" as one."""
    candidate = request.POST.get("next") or request.GET.get("next") or ""
    if candidate and url_has_allowed_host_and_scheme(
        candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return candidate
    return resolve_url(settings.LOGIN_REDIRECT_URL)


def _verified(request: HttpRequest, device: TOTPDevice, action: str | None) -> HttpResponse:
    """Mark the session verified by `device`, with a new session key (ASVS 7.2.4), and
    audit `action` (None: the caller's service did)."""
    otp_login(request, device)
    request.session.cycle_key()
    if action is not None:
        record(action=action, actor=request.user, obj=request.user, details={"device": device.name})
    return HttpResponseRedirect(_next_url(request))


def _wait_message(user) -> str | None:
    """The devices' delay after wrong codes, in words, if it holds now."""
    seconds = services.code_wait_seconds(user=user)
    if seconds is None:
        return None
    return _("Too many wrong codes: wait %(seconds)d seconds before trying again.") % {"seconds": seconds}


@never_cache
@require_http_methods(["GET", "POST"])
@sensitive_post_parameters("token")
@sensitive_variables("form")
def otp_verify(request: HttpRequest) -> HttpResponse:
    """The second step of logging in: a code from the user's authenticator app. A code is
    accepted once (django-otp keeps the time step of the last accepted one); wrong codes
    slow further tries down, more each time."""
    user = request.user
    if is_verified(user) or not needs_two_factor(user):
        return HttpResponseRedirect(_next_url(request))
    if not has_device(user):
        return redirect(f"{resolve_url('security:otp_setup')}?{request.GET.urlencode()}")
    form = TokenForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        wait = _wait_message(user)  # tried too soon after wrong codes: not even checked
        device = None if wait else services.code_verify(user=user, token=form.cleaned_data["token"])
        if device is not None:
            return _verified(request, device, "auth.otp_verify")
        record(action="auth.otp_failed", actor=user, obj=user, details={"step": "verify", "throttled": bool(wait)})
        form.add_error(
            "token", wait or _("This code is not right, or it was already used. Wait for the next code and try again.")
        )
    return render(request, "registration/otp_verify.html", {"form": form, "next": _next_url(request)})


# The session's key of the device being enrolled: each session gets a key of its own.
ENROLMENT_DEVICE = "security.enrolment_device"


@never_cache
@require_http_methods(["GET", "POST"])
@sensitive_post_parameters("token")
@sensitive_variables("form", "device", "secret")
def otp_setup(request: HttpRequest) -> HttpResponse:
    """Enrol an authenticator app: scan the QR code (or type the key), then enter a code
    to prove it works. Only for a user whose role needs one, who has no app yet, and for
    whom an administrator has opened enrolment (security.two_factor.may_enrol); without
    that grant, a page saying to ask an administrator (audited `auth.otp_enrol_refused`:
    a privileged password used where no enrolment was expected). Replacing an app is an
    administrator's job too (reset it in the admin, opening a new enrolment)."""
    user = request.user
    if is_verified(user) or not needs_two_factor(user):
        return HttpResponseRedirect(_next_url(request))
    if has_device(user):
        return redirect(f"{resolve_url('security:otp_verify')}?{request.GET.urlencode()}")
    try:
        device = services.enrolment_device(user=user, device_id=request.session.get(ENROLMENT_DEVICE))
    except services.EnrolmentClosed:
        record(action="auth.otp_enrol_refused", actor=user, obj=user, details={"reason": "no_grant"})
        return render(request, "registration/otp_setup.html", {"closed": True})
    request.session[ENROLMENT_DEVICE] = device.pk
    form = TokenForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            confirmed = services.enrolment_confirm(user=user, device_id=device.pk, token=form.cleaned_data["token"])
        except services.EnrolmentClosed:  # expired, withdrawn or used meanwhile: start again
            return redirect(f"{resolve_url('security:otp_setup')}?{urlencode({'next': _next_url(request)})}")
        if confirmed is not None:
            request.session.pop(ENROLMENT_DEVICE, None)
            messages.success(
                request, _("Your authenticator app is set up. You will need a code from it each time you log in.")
            )
            return _verified(request, confirmed, None)  # audited by the service
        record(action="auth.otp_failed", actor=user, obj=user, details={"step": "enrol"})
        form.add_error("token", _("This code is not right. Check the time on your phone and try the next code."))
    secret = b32encode(device.bin_key).decode()
    return render(
        request,
        "registration/otp_setup.html",
        {
            "form": form,
            "next": _next_url(request),
            # An SVG image in a data: URL, drawn here: no script, no inline SVG markup to trust.
            "qr_code": segno.make(device.config_url, error="m").svg_data_uri(scale=5, border=2),
            "secret_groups": [secret[i : i + 4] for i in range(0, len(secret), 4)],
        },
    )


def locked_out(request: HttpRequest, response=None, credentials=None, *args, **kwargs) -> HttpResponse:
    """django-axes' lockout page (AXES_LOCKOUT_CALLABLE): the login page, saying why and for
    how long, with status 429."""
    cool_off = settings.AXES_COOLOFF_TIME
    minutes = round(cool_off.total_seconds() / 60) if cool_off else None
    form = AuthenticationForm(request, initial={"username": (credentials or {}).get("username", "")})
    return render(
        request,
        "registration/login.html",
        {
            "form": form,
            "locked_out": True,
            "lockout_minutes": minutes,
            "next": request.POST.get("next", "") if request.method == "POST" else request.GET.get("next", ""),
        },
        status=settings.AXES_HTTP_RESPONSE_CODE,
    )


def language_set(request: HttpRequest) -> HttpResponse:
    """Django's language switcher (which answers a GET with a redirect and changes nothing);
    for a person logged in, the language chosen is also kept as the one they are mailed in."""
    response = set_language(request)
    if request.method == "POST" and request.user.is_authenticated:
        services.language_remember(user=request.user, language=request.POST.get("language"))
    return response
