"""The administrators' pages for the API: tokens (created here, shown once, revoked),
webhook endpoints with their attempts, and the hosts webhooks may reach on private
addresses. Every change is a POST; each page asks the policy (integration.manage)."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ObjectDoesNotExist, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from api import selectors
from api.forms import AllowedHostForm, EndpointForm, PersonTokenForm, ServiceTokenForm
from api.services import tokens as token_services
from api.services import webhooks as webhook_services
from diplomacy_hub import policy

ATTEMPTS_SHOWN = 100


def _errors_onto(form, error: ValidationError) -> None:
    for field, problems in error.message_dict.items():
        form.add_error(field if field in form.fields else None, problems)


@require_GET
def token_list(request: HttpRequest) -> HttpResponse:
    policy.require(request.user, "integration.manage")
    return render(request, "api/token_list.html", {"tokens": selectors.tokens()})


@require_http_methods(["GET", "POST"])
def token_create(request: HttpRequest, kind: str) -> HttpResponse:
    policy.require(request.user, "integration.manage")
    if kind not in ("person", "service"):
        raise Http404
    form_class = PersonTokenForm if kind == "person" else ServiceTokenForm
    form = form_class(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            if kind == "person":
                new = token_services.token_create_for_person(
                    actor=request.user,
                    user_id=data["user"].pk,
                    name=data["name"],
                    expires_at=data["expires_at"],
                    rate_per_minute=data["rate_per_minute"] or 0,
                )
            else:
                new = token_services.token_create_for_service(
                    actor=request.user,
                    name=data["name"],
                    role=data["role"],
                    mission_ids=[mission.pk for mission in data["missions"]],
                    scopes=data["scopes"],
                    expires_at=data["expires_at"],
                    rate_per_minute=data["rate_per_minute"] or 0,
                )
        except ValidationError as error:
            _errors_onto(form, error)
        else:
            # Shown once, on this answer only: never stored, never in a redirect.
            return render(request, "api/secret_once.html", {"what": new.token.name, "secret": new.secret})
    return render(request, "api/token_form.html", {"form": form, "kind": kind})


@require_http_methods(["GET", "POST"])
def token_revoke(request: HttpRequest, token_id: int) -> HttpResponse:
    policy.require(request.user, "integration.manage")
    try:
        token = selectors.tokens().get(pk=token_id)
    except ObjectDoesNotExist:
        raise Http404 from None
    if request.method == "POST":
        token_services.token_revoke(actor=request.user, token_id=token.pk)
        messages.success(request, _("The token “%(name)s” is revoked.") % {"name": token.name})
        return redirect("integrations:token_list")
    return render(request, "api/token_revoke.html", {"token": token})


@require_GET
def webhook_list(request: HttpRequest) -> HttpResponse:
    policy.require(request.user, "integration.manage")
    return render(
        request,
        "api/webhook_list.html",
        {"endpoints": selectors.endpoints(), "hosts": selectors.allowed_hosts(), "host_form": AllowedHostForm()},
    )


@require_http_methods(["GET", "POST"])
def webhook_create(request: HttpRequest) -> HttpResponse:
    policy.require(request.user, "integration.manage")
    form = EndpointForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            new = webhook_services.endpoint_create(actor=request.user, **form.cleaned_data)
        except ValidationError as error:
            _errors_onto(form, error)
        else:
            return render(request, "api/secret_once.html", {"what": new.endpoint.name, "secret": new.secret})
    return render(request, "api/webhook_form.html", {"form": form})


@require_GET
def webhook_detail(request: HttpRequest, endpoint_id: int) -> HttpResponse:
    policy.require(request.user, "integration.manage")
    try:
        endpoint = selectors.endpoints().get(pk=endpoint_id)
    except ObjectDoesNotExist:
        raise Http404 from None
    deliveries = selectors.endpoint_deliveries(endpoint=endpoint, limit=ATTEMPTS_SHOWN)
    return render(request, "api/webhook_detail.html", {"endpoint": endpoint, "deliveries": deliveries})


@require_POST
def webhook_set_active(request: HttpRequest, endpoint_id: int, active: bool) -> HttpResponse:
    policy.require(request.user, "integration.manage")
    try:
        webhook_services.endpoint_set_active(actor=request.user, endpoint_id=endpoint_id, active=active)
    except ObjectDoesNotExist:
        raise Http404 from None
    return redirect("integrations:webhook_detail", endpoint_id=endpoint_id)


@require_POST
def host_allow(request: HttpRequest) -> HttpResponse:
    policy.require(request.user, "integration.manage")
    form = AllowedHostForm(request.POST)
    if form.is_valid():
        try:
            webhook_services.host_allow(actor=request.user, **form.cleaned_data)
        except ValidationError as error:
            for problems in error.message_dict.values():
                for problem in problems:
                    messages.error(request, problem)
    else:
        messages.error(request, _("Give a host and the reason it may be reached."))
    return redirect("integrations:webhook_list")


@require_POST
def host_forbid(request: HttpRequest, host_id: int) -> HttpResponse:
    policy.require(request.user, "integration.manage")
    webhook_services.host_forbid(actor=request.user, host_id=host_id)
    return redirect("integrations:webhook_list")
