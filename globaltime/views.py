"""Global time's pages: the desks and their rosters (administrators change them; the press
office and the crisis unit look), and the calendar's own days (commemorations, missions'
events). Thin: bind the form, call the service, render."""

from __future__ import annotations

from django.contrib import messages as flash
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from diplomacy_hub import policy
from embassies.models import Mission
from embassies.roles import Role
from globaltime import selectors, services
from globaltime.forms import DeskForm, OccasionForm, RosterForm
from globaltime.models import Occasion


def _form_errors(form, error: ValidationError) -> None:
    if hasattr(error, "error_dict"):
        for field, problems in error.message_dict.items():
            form.add_error(field if field in form.fields else None, problems)
    else:
        form.add_error(None, error.messages)


@require_http_methods(["GET"])
def desk_list(request: HttpRequest) -> HttpResponse:
    """The desks, their hours and rosters, and who is on duty now."""
    policy.require(request.user, "desk.view")
    return render(
        request,
        "globaltime/desk_list.html",
        {"board": selectors.duty_board(at=timezone.now()), "may_manage": policy.can(request.user, "desk.manage")},
    )


@require_http_methods(["GET", "POST"])
def desk_create(request: HttpRequest) -> HttpResponse:
    policy.require(request.user, "desk.manage")
    return _desk_form(request, desk=None)


@require_http_methods(["GET", "POST"])
def desk_edit(request: HttpRequest, desk_id: int) -> HttpResponse:
    policy.require(request.user, "desk.manage")
    return _desk_form(request, desk=selectors.desk_get(pk=desk_id))


def _desk_form(request: HttpRequest, *, desk) -> HttpResponse:
    form = DeskForm(request.POST or None, initial=DeskForm.initial_of(desk) if desk else None)
    if request.method == "POST" and form.is_valid():
        try:
            saved = services.desk_save(actor=request.user, desk_id=desk.pk if desk else None, **form.cleaned_data)
        except ValidationError as error:
            _form_errors(form, error)
        else:
            flash.success(request, _("The desk “%(name)s” is saved.") % {"name": saved.name})
            return redirect("globaltime:desk_roster", desk_id=saved.pk)
    status = 400 if request.method == "POST" else 200
    return render(request, "globaltime/desk_form.html", {"form": form, "desk": desk}, status=status)


@require_http_methods(["GET", "POST"])
def desk_roster(request: HttpRequest, desk_id: int) -> HttpResponse:
    """A desk's roster, one shift a line; refused with the exact hours of its gaps and overlaps."""
    policy.require(request.user, "desk.manage")
    desk = selectors.desk_get(pk=desk_id)
    form = RosterForm(request.POST or None, initial={"roster": RosterForm.text_of(list(desk.shifts.all()))})
    if request.method == "POST" and form.is_valid():
        try:
            services.roster_replace(actor=request.user, desk_id=desk.pk, lines=form.cleaned_data["roster"])
        except ValidationError as error:
            _form_errors(form, error)
        else:
            flash.success(request, _("The roster of “%(name)s” is saved.") % {"name": desk.name})
            return redirect("globaltime:desk_list")
    status = 400 if request.method == "POST" else 200
    return render(request, "globaltime/desk_roster.html", {"form": form, "desk": desk}, status=status)


# --- The calendar's own days ---------------------------------------------------------------------


def _writable_missions(user) -> list[Mission]:
    """The missions whose events the user may add: all for the press office, else their own."""
    missions = policy.scope(user, Mission.objects.active(), mission_field="")
    if not policy.has_role(user, Role.PRESS_OFFICE):
        missions = missions.filter(pk__in=policy.mission_ids_of(user))
    return sorted(missions, key=lambda mission: mission.display_name)


@require_http_methods(["GET", "POST"])
def occasion_list(request: HttpRequest) -> HttpResponse:
    """The ministry's commemorations and the missions' events the user may see, and a form
    to add one (the press office: any; an officer: their missions')."""
    policy.require(request.user, "occasion.view")
    missions = _writable_missions(request.user)
    ministry = policy.can(request.user, "occasion.manage")
    form = OccasionForm(request.POST or None, missions=missions, ministry=ministry)
    may_add = ministry or bool(missions)
    if request.method == "POST":
        if not may_add:
            policy.require(request.user, "occasion.manage")
        if form.is_valid():
            data = form.cleaned_data
            try:
                services.occasion_create(
                    actor=request.user,
                    mission=data["mission"],
                    title=data["title"],
                    day=data["day"],
                    recurring=data["recurring"],
                    remind_days_before=data["remind_days_before"],
                    note=data["note"],
                )
            except ValidationError as error:
                _form_errors(form, error)
            else:
                flash.success(request, _("“%(title)s” is on the calendar.") % {"title": data["title"]})
                return redirect("globaltime:occasion_list")
    visible = policy.scope(request.user, Occasion.objects.filter(mission__isnull=False)).select_related("mission")
    occasions = [*Occasion.objects.filter(mission__isnull=True), *visible]
    return render(
        request,
        "globaltime/occasion_list.html",
        {
            "form": form,
            "may_add": may_add,
            "occasions": sorted(occasions, key=lambda o: (o.day.month, o.day.day, o.title)),
            "deletable": {o.pk for o in occasions if policy.can(request.user, "occasion.manage", o.mission)},
        },
        status=400 if request.method == "POST" else 200,
    )


@require_POST
def occasion_delete(request: HttpRequest, occasion_id: int) -> HttpResponse:
    occasion = get_object_or_404(Occasion.objects.select_related("mission"), pk=occasion_id)
    if occasion.mission_id is not None:
        # Another mission's event does not exist for an officer.
        get_object_or_404(policy.scope(request.user, Occasion.objects.all()), pk=occasion_id)
    services.occasion_delete(actor=request.user, occasion=occasion)
    flash.success(request, _("“%(title)s” is off the calendar.") % {"title": occasion.title})
    return redirect("globaltime:occasion_list")
