"""Bringing people in and out: administrators invite a person, see the pending invitations
(resend, withdraw), deactivate and reactivate a person (namespace `staff`); the invited
person opens their link and sets a password (namespace `invitation`, public). The writes
are security/services/people.py's; every change is a POST from a confirmation page."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters, sensitive_variables
from django.views.decorators.http import require_GET, require_http_methods

from diplomacy_hub import policy
from embassies import selectors as staff_selectors
from embassies.forms import ConfirmationForm
from embassies.views import confirm_or_act
from security import selectors, services
from security.forms import AcceptInvitationForm, InvitationForm
from security.models import Invitation
from security.two_factor import required_roles

INVITATIONS_PER_PAGE = 50
# The session's key of the invitation link being used: the token leaves the address bar
# (and any Referer) at once, as Django's password reset does.
INVITATION_LINK = "security.invitation_link"


# --- Administrators -----------------------------------------------------------------------------


@require_GET
def invitation_list(request: HttpRequest) -> HttpResponse:
    """Invitations of one status (pending by default), with what each is waiting for."""
    policy.require(request.user, "staff.manage")
    status = request.GET.get("status", Invitation.Status.PENDING)
    if status not in Invitation.Status.values:
        status = Invitation.Status.PENDING
    page = Paginator(selectors.invitation_list(status=status), INVITATIONS_PER_PAGE).get_page(request.GET.get("page"))
    return render(
        request,
        "security/invitation_list.html",
        {"page": page, "status": status, "statuses": Invitation.Status.choices, "now": timezone.now()},
    )


@require_http_methods(["GET", "POST"])
def invitation_create(request: HttpRequest) -> HttpResponse:
    """Invite a person: the form, then the service (which mails the link after commit)."""
    policy.require(request.user, "staff.manage")
    form = InvitationForm(request.POST or None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            data = form.cleaned_data
            try:
                invitation = services.invitation_create(
                    actor=request.user,
                    email=data["email"],
                    first_name=data["first_name"],
                    last_name=data["last_name"],
                    username=data["username"],
                    role=data["role"],
                    mission_ids=data["missions"],
                    language=get_language(),
                )
            except ValidationError as error:
                for field, texts in getattr(error, "message_dict", {None: error.messages}).items():
                    for text in texts:
                        form.add_error(field if field in form.fields else None, text)
            else:
                messages.success(
                    request,
                    _("%(name)s is invited: the link is on its way to %(email)s.")
                    % {"name": invitation.full_name, "email": invitation.email},
                )
                return redirect("staff:invitation_list")
        status = 400
    return render(request, "security/invitation_form.html", {"form": form}, status=status)


@require_http_methods(["GET", "POST"])
def invitation_resend(request: HttpRequest, invitation_id: int) -> HttpResponse:
    policy.require(request.user, "staff.manage")
    invitation = selectors.invitation_get(invitation_id=invitation_id)
    names = {"name": invitation.full_name, "email": invitation.email}
    return confirm_or_act(
        request,
        form=ConfirmationForm(request.POST if request.method == "POST" else None),
        title=_("Send %(name)s a new link?") % names,
        lead=_("A new e-mail goes to %(email)s.") % names,
        consequences=[
            _("The link sent before stops working at once."),
            _("The new link is valid for %(hours)d hours.")
            % {"hours": int(services.invitation_lifetime().total_seconds() // 3600)},
        ],
        button=_("Yes, send a new link"),
        back_url=reverse("staff:invitation_list"),
        act=lambda _form: bool(services.invitation_resend(actor=request.user, invitation_id=invitation.pk)),
        done=_("A new link is on its way to %(email)s.") % names,
        unchanged="",
    )


@require_http_methods(["GET", "POST"])
def invitation_revoke(request: HttpRequest, invitation_id: int) -> HttpResponse:
    policy.require(request.user, "staff.manage")
    invitation = selectors.invitation_get(invitation_id=invitation_id)
    names = {"name": invitation.full_name, "email": invitation.email}
    return confirm_or_act(
        request,
        form=ConfirmationForm(request.POST if request.method == "POST" else None),
        title=_("Withdraw the invitation of %(name)s?") % names,
        lead=_("The link sent to %(email)s will say that the invitation was withdrawn.") % names,
        button=_("Yes, withdraw it"),
        danger=True,
        back_url=reverse("staff:invitation_list"),
        act=lambda _form: services.invitation_revoke(actor=request.user, invitation_id=invitation.pk),
        done=_("The invitation of %(name)s is withdrawn.") % names,
        unchanged=_("This invitation was no longer pending: nothing changed."),
    )


@require_http_methods(["GET", "POST"])
def user_deactivate(request: HttpRequest, user_id: int) -> HttpResponse:
    policy.require(request.user, "staff.manage")
    person = staff_selectors.person_get(user_id=user_id)
    names = {"name": person.get_full_name() or person.get_username()}
    return confirm_or_act(
        request,
        form=ConfirmationForm(request.POST if request.method == "POST" else None),
        title=_("Deactivate %(name)s?") % names,
        lead=_("They will no longer be able to log in."),
        consequences=[
            _("Their open sessions end at once."),
            _("Their roles, missions and history are kept for the record."),
            _("You can reactivate them later."),
        ],
        button=_("Yes, deactivate"),
        danger=True,
        back_url=reverse("embassies:staff_detail", args=[person.pk]),
        act=lambda _form: services.user_deactivate(actor=request.user, user_id=person.pk),
        done=_("%(name)s is deactivated: they can no longer log in.") % names,
        unchanged=_("%(name)s was already deactivated.") % names,
    )


@require_http_methods(["GET", "POST"])
def user_reactivate(request: HttpRequest, user_id: int) -> HttpResponse:
    policy.require(request.user, "staff.manage")
    person = staff_selectors.person_get(user_id=user_id)
    names = {"name": person.get_full_name() or person.get_username()}
    return confirm_or_act(
        request,
        form=ConfirmationForm(request.POST if request.method == "POST" else None),
        title=_("Reactivate %(name)s?") % names,
        lead=_("They can log in again, with the roles and missions they had."),
        button=_("Yes, reactivate"),
        back_url=reverse("embassies:staff_detail", args=[person.pk]),
        act=lambda _form: services.user_reactivate(actor=request.user, user_id=person.pk),
        done=_("%(name)s is active again.") % names,
        unchanged=_("%(name)s was already active.") % names,
    )


# --- The invited person (not logged in) ---------------------------------------------------------


def _invalid(request: HttpRequest, reason: str, *, status: int = 400) -> HttpResponse:
    return render(request, "security/invitation_invalid.html", {"reason": reason}, status=status)


def _logged_in_refusal(request: HttpRequest) -> HttpResponse:
    return _invalid(
        request,
        _("You are logged in as %(username)s. Log out, then open the invitation's link again.")
        % {"username": request.user.get_username()},
    )


@login_not_required
@never_cache
@require_GET
@sensitive_variables("token")
def invitation_open(request: HttpRequest, token: str) -> HttpResponse:
    """The link from the e-mail: checked, kept in the session, and out of the address bar."""
    if request.user.is_authenticated:
        return _logged_in_refusal(request)
    try:
        services.invitation_check(token=token)
    except services.InvitationInvalid as refusal:
        return _invalid(request, refusal.reason)
    request.session[INVITATION_LINK] = token
    return redirect("invitation:accept")


@login_not_required
@never_cache
@require_http_methods(["GET", "POST"])
@sensitive_post_parameters("new_password1", "new_password2")
@sensitive_variables("token", "form")
def invitation_accept(request: HttpRequest) -> HttpResponse:
    """Set one's password; the account is made with its role and missions, then the person
    logs in (and, where the role needs it, sets up their authenticator app)."""
    if request.user.is_authenticated:
        return _logged_in_refusal(request)
    token = request.session.get(INVITATION_LINK, "")
    try:
        invitation = services.invitation_check(token=token)
    except services.InvitationInvalid as refusal:
        return _invalid(request, refusal.reason)
    form = AcceptInvitationForm(invitation, request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            user = services.invitation_accept(token=token, password=form.cleaned_data["new_password1"])
        except services.InvitationInvalid as refusal:
            return _invalid(request, refusal.reason)
        request.session.pop(INVITATION_LINK, None)
        names = {"name": user.get_full_name(), "username": user.get_username()}
        if invitation.role in required_roles():
            text = _(
                "Your account is ready, %(name)s. Log in as %(username)s with your new password, "
                "then set up your authenticator app."
            )
        else:
            text = _("Your account is ready, %(name)s. Log in as %(username)s with your new password.")
        messages.success(request, text % names)
        return redirect("login")
    return render(
        request,
        "security/invitation_accept.html",
        {"form": form, "invitation": invitation},
        status=400 if form.is_bound else 200,
    )
