"""Social accounts in the web UI: the list with their health, registration, and connecting
through each network's own OAuth flow. Thin: bind, call a service, render."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.debug import sensitive_variables
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from channels import selectors, services
from channels.adapters.base import AdapterError
from channels.forms import AccountFilterForm, AccountRegisterForm
from channels.models import Network, SocialAccount
from channels.problems import word_error
from diplomacy_hub import policy

ACCOUNTS_PER_PAGE = 120


def _visible_account(request: HttpRequest, account_id: int) -> SocialAccount:
    """The account if the user may see its mission, else 404 (its existence does not leak)."""
    account = selectors.account_get(user=request.user, account_id=account_id)
    policy.require(request.user, "account.view", account)
    return account


def _managed_account(request: HttpRequest, account_id: int) -> SocialAccount:
    account = _visible_account(request, account_id)
    policy.require(request.user, "account.manage", account)
    return account


@require_GET
def account_list(request: HttpRequest) -> HttpResponse:
    if not policy.roles_of(request.user):
        raise PermissionDenied
    filters = AccountFilterForm(request.GET)
    accounts = selectors.account_list(user=request.user, **filters.filters())
    return render(
        request,
        "channels/account_list.html",
        {
            "page": Paginator(accounts, ACCOUNTS_PER_PAGE).get_page(request.GET.get("page")),
            "filters": filters,
            "status_counts": selectors.account_status_counts(user=request.user),
            "can_manage": policy.can(request.user, "account.manage"),
            "now": timezone.now(),
        },
    )


@require_http_methods(["GET", "POST"])
def account_register(request: HttpRequest) -> HttpResponse:
    policy.require(request.user, "account.manage")
    form = AccountRegisterForm(request.POST or None, user=request.user, initial={"is_sandbox": False})
    if request.method == "POST" and form.is_valid():
        account = services.account_register(actor=request.user, **form.cleaned_data)
        messages.success(request, _("The account is registered. Connect it to the network now."))
        return redirect("channels:account_detail", account_id=account.pk)
    return render(request, "channels/account_register.html", {"form": form})


@require_GET
def account_detail(request: HttpRequest, account_id: int) -> HttpResponse:
    account = _visible_account(request, account_id)
    return render(
        request,
        "channels/account_detail.html",
        {
            "account": account,
            "can_manage": policy.can(request.user, "account.manage", account),
            "now": timezone.now(),
        },
    )


@require_POST
def account_connect(request: HttpRequest, account_id: int) -> HttpResponse:
    """Send the administrator's browser to the network's consent page (the sandbox's, for a
    sandbox account)."""
    account = _managed_account(request, account_id)
    redirect_uri = request.build_absolute_uri(reverse("channels:account_callback", args=[account.network]))
    try:
        authorize_url = services.account_connect_start(
            actor=request.user,
            account_id=account.pk,
            redirect_uri=redirect_uri,
            session=request.session,
        )
    except (AdapterError, services.AccountError) as exc:
        detail = word_error(exc) if isinstance(exc, AdapterError) else exc.worded
        messages.error(request, _("The network could not start the connection: %(detail)s") % {"detail": detail})
        return redirect("channels:account_detail", account_id=account.pk)
    return redirect(authorize_url)


@require_GET
@sensitive_variables("params", "pending")
def account_callback(request: HttpRequest, network: str) -> HttpResponse:
    """Where the network sends the administrator back. A GET that changes state, as OAuth
    requires: the state it carries (checked against this session's pending connect, then
    by the flow) stands in for the CSRF token. Honoured once."""
    if network not in Network.values:
        raise Http404
    params = request.GET.dict()
    try:
        account_id, pending = services.connect_pending_pop(
            session=request.session,
            network=network,
            callback_params=params,
        )
    except services.ConnectError as exc:
        return _connect_failed(request, None, exc.worded)
    account = _managed_account(request, account_id)
    try:
        account = services.account_connect_finish(
            actor=request.user,
            account_id=account.pk,
            callback_params=params,
            kept=pending["kept"],
            redirect_uri=pending["redirect_uri"],
        )
    except services.AccountError as exc:
        return _connect_failed(request, account, exc.worded)
    except AdapterError as exc:
        return _connect_failed(
            request,
            account,
            _("The network did not answer: %(detail)s Try again.") % {"detail": word_error(exc)},
            status=502,
        )
    messages.success(
        request,
        _("The account %(label)s is connected.")
        % {"label": account.handle or account.display_name or account.network_account_id},
    )
    return redirect("channels:account_detail", account_id=account.pk)


def _connect_failed(
    request: HttpRequest, account: SocialAccount | None, reason: str, status: int = 400
) -> HttpResponse:
    context = {"account": account, "reason": reason}
    return render(request, "channels/connect_failed.html", context, status=status)


@require_POST
def account_disconnect(request: HttpRequest, account_id: int) -> HttpResponse:
    account = _managed_account(request, account_id)
    services.account_disconnect(actor=request.user, account_id=account.pk)
    messages.success(request, _("The account is disconnected: its credentials are erased."))
    return redirect("channels:account_detail", account_id=account.pk)


@require_POST
def account_disable(request: HttpRequest, account_id: int) -> HttpResponse:
    account = _managed_account(request, account_id)
    services.account_disable(actor=request.user, account_id=account.pk)
    messages.success(request, _("The account is disabled: nothing will be published through it."))
    return redirect("channels:account_detail", account_id=account.pk)


@require_POST
def account_check(request: HttpRequest, account_id: int) -> HttpResponse:
    """Check now: queued for a worker (a network call never holds a web request)."""
    account = _managed_account(request, account_id)
    services.account_health_check_queue(account_ids=[account.pk])
    messages.info(request, _("A health check is on its way. Reload this page in a few seconds."))
    return redirect("channels:account_detail", account_id=account.pk)
