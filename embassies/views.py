"""Missions and their staff in the web UI.

Everyone with a role sees the directory of the missions they may see, with the local time
now. Administrators also see each mission's staff and accounts, and manage staff: roles,
and which missions each person works for (embassies/services.py). Every change is a POST
from a confirmation page (`confirmed=yes`); a GET of an action's address shows that page.
"""

from __future__ import annotations

from collections.abc import Callable

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.dates import WEEKDAYS
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from diplomacy_hub import policy
from diplomacy_hub.localtime import hq_context
from embassies import selectors, services
from embassies.forms import (
    ConfirmationForm,
    MembershipForm,
    MissionFilterForm,
    MissionHoursForm,
    RemoveMembershipForm,
    RoleForm,
    StaffFilterForm,
    StaffLanguagesForm,
)
from embassies.roles import Role


def _posted(request: HttpRequest):
    """The POST data for a form (bound even when empty: a bare confirmation is a POST), or
    None for a GET."""
    return request.POST if request.method == "POST" else None


MISSIONS_PER_PAGE = 50
STAFF_PER_PAGE = 50
# Local hours counted as the working day, for the "day / night" hint of the directory.
DAY_STARTS, DAY_ENDS = 7, 22


def _with_local_time(missions, now) -> None:
    for mission in missions:
        local = now.astimezone(mission.zone)
        mission.local_now = local
        mission.is_night = not (DAY_STARTS <= local.hour < DAY_ENDS)


@require_GET
def mission_list(request: HttpRequest) -> HttpResponse:
    filters = MissionFilterForm(request.GET)
    chosen = filters.filters()
    manages = policy.can(request.user, "mission.manage")
    missions = selectors.mission_list(
        user=request.user,
        region=chosen.get("region", ""),
        kind=chosen.get("kind", ""),
        query=chosen.get("q", ""),
        with_counts=manages,
    )
    page = Paginator(missions, MISSIONS_PER_PAGE).get_page(request.GET.get("page"))
    now = timezone.now()
    _with_local_time(page.object_list, now)
    return render(
        request,
        "embassies/mission_list.html",
        {
            "page": page,
            "filters": filters,
            "now": now,
            "manages": manages,
            **hq_context(),
        },
    )


@require_GET
def mission_detail(request: HttpRequest, code: str) -> HttpResponse:
    mission = selectors.mission_get(user=request.user, code=code)
    manages = policy.can(request.user, "staff.manage")
    staff = []
    if manages:
        staff = selectors.mission_staff(mission=mission)
        labels = dict(Role.choices)
        for membership in staff:
            membership.role_labels = [
                str(labels[group.name]) for group in membership.user.groups.all() if group.name in labels
            ]
    return render(
        request,
        "embassies/mission_detail.html",
        {
            "mission": mission,
            "now": timezone.now(),
            "manages": manages,
            "staff": staff,
            "business_days": [WEEKDAYS[day - 1] for day in sorted(mission.business_days) if 1 <= day <= 7],
        },
    )


# --- The desk's settings: business hours and the languages the staff read ----------------


def _desk_page(
    request: HttpRequest,
    mission,
    *,
    hours_form: MissionHoursForm | None = None,
    languages_form: StaffLanguagesForm | None = None,
    status: int = 200,
) -> HttpResponse:
    may_hours = policy.can(request.user, "mission.manage", mission)
    may_languages = policy.can(request.user, "staff.manage", mission)
    if not (may_hours or may_languages):
        policy.require(request.user, "mission.manage", mission)
    if may_hours and hours_form is None:
        hours_form = MissionHoursForm(
            initial={
                "business_days": list(mission.business_days),
                "opens_at": mission.opens_at,
                "closes_at": mission.closes_at,
            }
        )
    if may_languages and languages_form is None:
        languages_form = StaffLanguagesForm(memberships=selectors.mission_staff(mission=mission))
    return render(
        request,
        "embassies/desk_settings.html",
        {
            "mission": mission,
            "hours_form": hours_form if may_hours else None,
            "languages_form": languages_form if may_languages else None,
            "publishing_languages": mission.languages,
        },
        status=status,
    )


def _errors_of(form, error: ValidationError) -> None:
    """A service's refusal, beside the form's fields it names."""
    for field, problems in getattr(error, "message_dict", {None: error.messages}).items():
        for problem in problems:
            form.add_error(field if field in form.fields else None, problem)


@require_GET
def mission_desk_settings(request: HttpRequest, code: str) -> HttpResponse:
    """The mission's business hours and its staff's languages: what the service clocks and
    "global time" count on."""
    return _desk_page(request, selectors.mission_get(user=request.user, code=code))


@require_POST
def mission_hours(request: HttpRequest, code: str) -> HttpResponse:
    mission = selectors.mission_get(user=request.user, code=code)
    policy.require(request.user, "mission.manage", mission)
    form = MissionHoursForm(request.POST)
    if form.is_valid():
        try:
            changed = services.mission_hours_set(
                actor=request.user,
                mission_id=mission.pk,
                days=form.cleaned_data["business_days"],
                opens_at=form.cleaned_data["opens_at"],
                closes_at=form.cleaned_data["closes_at"],
            )
        except ValidationError as error:
            _errors_of(form, error)
        else:
            messages.success(
                request, _("The business hours are saved.") if changed else _("The business hours were already so.")
            )
            return redirect("embassies:desk_settings", code=mission.code)
    return _desk_page(request, mission, hours_form=form, status=400)


@require_POST
def staff_languages(request: HttpRequest, code: str) -> HttpResponse:
    mission = selectors.mission_get(user=request.user, code=code)
    policy.require(request.user, "staff.manage", mission)
    form = StaffLanguagesForm(request.POST, memberships=selectors.mission_staff(mission=mission))
    if form.is_valid():
        try:
            changed = services.staff_languages_set(
                actor=request.user, mission_id=mission.pk, languages=form.languages()
            )
        except ValidationError as error:
            _errors_of(form, error)
        else:
            messages.success(request, _("The languages read are saved.") if changed else _("Nothing changed."))
            return redirect("embassies:desk_settings", code=mission.code)
    return _desk_page(request, mission, languages_form=form, status=400)


# --- Staff and roles -------------------------------------------------------------------------------


@require_GET
def staff_list(request: HttpRequest) -> HttpResponse:
    """Everyone, with their roles and missions; filtered by role, mission or name."""
    policy.require(request.user, "staff.manage")
    filters = StaffFilterForm(request.GET)
    chosen = filters.filters()
    people = selectors.staff_list(role=chosen.get("role", ""), query=chosen.get("q", ""))
    page = Paginator(people, STAFF_PER_PAGE).get_page(request.GET.get("page"))
    labels = dict(Role.choices)
    for person in page.object_list:
        person.role_list = [(group.name, labels[group.name]) for group in person.groups.all()]
    return render(
        request,
        "embassies/staff_list.html",
        {
            "page": page,
            "filters": filters,
        },
    )


@require_GET
def staff_detail(request: HttpRequest, user_id: int) -> HttpResponse:
    """A person's roles, missions and authenticator app (set up, enrolment open until when,
    or neither: then a link to open an enrolment in the admin)."""
    policy.require(request.user, "staff.manage")
    person = selectors.person_get(user_id=user_id)
    has = {group.name for group in person.groups.all()}
    memberships = list(person.memberships.all())
    return render(
        request,
        "embassies/staff_detail.html",
        {
            "person": person,
            "roles": [{"value": value, "label": label, "has": value in has} for value, label in Role.choices],
            "memberships": memberships,
            "form": MembershipForm(exclude={membership.mission_id for membership in memberships}),
            "is_self": person.pk == request.user.pk,
            "can_open_enrolment": policy.can(request.user, "staff.manage"),
            "now": timezone.now(),
        },
    )


def confirm_or_act(
    request: HttpRequest,
    *,
    form: ConfirmationForm,
    back_url: str,
    title: str,
    lead: str,
    button: str,
    act: Callable[[ConfirmationForm], bool],
    done: str,
    unchanged: str,
    danger: bool = False,
    consequences: list[str] | None = None,
) -> HttpResponse:
    """The administrators' confirmation page (staff and invitations): a GET shows what will
    happen; a valid POST with `confirmed=yes` acts (one service call), then goes back."""
    status, errors = 200, []
    if request.method == "POST":
        if not form.is_valid():
            status = 400
        elif form.confirmed():
            try:
                changed = act(form)
            except ValidationError as error:
                errors = [
                    text for texts in getattr(error, "message_dict", {"": error.messages}).values() for text in texts
                ]
                status = 400
            else:
                messages.success(request, done if changed else unchanged)
                return redirect(back_url)
    return render(
        request,
        "embassies/staff_confirm.html",
        {
            "form": form,
            "title": title,
            "lead": lead,
            "button": button,
            "back_url": back_url,
            "errors": errors,
            "danger": danger,
            "consequences": consequences or [],
        },
        status=status,
    )


def _name(person) -> str:
    return person.get_full_name() or person.get_username()


@require_http_methods(["GET", "POST"])
def role_grant(request: HttpRequest, user_id: int) -> HttpResponse:
    return _role_change(request, user_id, grant=True)


@require_http_methods(["GET", "POST"])
def role_revoke(request: HttpRequest, user_id: int) -> HttpResponse:
    return _role_change(request, user_id, grant=False)


def _role_change(request: HttpRequest, user_id: int, *, grant: bool) -> HttpResponse:
    """Give a role (`grant`) or take it away: the confirmation page, then the service, which
    decides what may change (not an administrator's own administrator role)."""
    policy.require(request.user, "staff.manage")
    person = selectors.person_get(user_id=user_id)
    role = request.POST.get("role") or request.GET.get("role", "")
    form = RoleForm(_posted(request), initial={"role": request.GET.get("role", "")})
    names = {"name": _name(person), "role": dict(Role.choices).get(role, "?")}
    service = services.role_grant if grant else services.role_revoke
    if grant:
        texts = {
            "title": _("Give %(name)s the role “%(role)s”?") % names,
            "lead": _("Roles decide what a person may see and do in Diplomacy Hub."),
            "consequences": _role_consequences(role),
            "button": _("Yes, give the role"),
            "done": _("%(name)s is now “%(role)s”.") % names,
            "unchanged": _("%(name)s already had this role.") % names,
        }
    else:
        texts = {
            "title": _("Take the role “%(role)s” away from %(name)s?") % names,
            "lead": _("They lose what this role lets them do at their next page."),
            "button": _("Yes, take the role away"),
            "danger": True,
            "done": _("%(name)s is no longer “%(role)s”.") % names,
            "unchanged": _("%(name)s did not have this role.") % names,
        }
    return confirm_or_act(
        request,
        form=form,
        back_url=reverse("embassies:staff_detail", args=[person.pk]),
        act=lambda form: service(actor=request.user, user_id=person.pk, role=form.cleaned_data["role"]),
        **texts,
    )


def _role_consequences(role: str) -> list[str]:
    return {
        Role.OFFICER: [_("An officer drafts and submits messages for the missions they are attached to.")],
        Role.PRESS_OFFICE: [
            _(
                "The press office approves, schedules, cancels and retracts every mission's "
                "messages, and pauses publishing."
            )
        ],
        Role.CRISIS_UNIT: [
            _("The crisis unit writes crisis alerts to many missions at once and approves its colleagues' alerts.")
        ],
        Role.ADMINISTRATOR: [_("An administrator manages missions, staff, roles and social accounts.")],
        Role.HUMAN_RIGHTS_OFFICER: [
            _(
                "A human-rights officer alone sees what the public writes that threatens or exposes "
                "a person, and keeps the list of people under protection."
            )
        ],
    }.get(role, [])


@require_http_methods(["GET", "POST"])
def membership_add(request: HttpRequest, user_id: int) -> HttpResponse:
    policy.require(request.user, "staff.manage")
    person = selectors.person_get(user_id=user_id)
    current = {membership.mission_id for membership in person.memberships.all()}
    form = MembershipForm(_posted(request), exclude=current)
    mission = form.cleaned_data["mission"] if form.is_bound and form.is_valid() else None
    return confirm_or_act(
        request,
        form=form,
        back_url=reverse("embassies:staff_detail", args=[person.pk]),
        title=_("Attach %(name)s to a mission?") % {"name": _name(person)},
        lead=(
            _("%(name)s will work for %(mission)s.") % {"name": _name(person), "mission": mission.display_name}
            if mission
            else _("Choose the mission.")
        ),
        consequences=[_("An officer sees and writes the messages of every mission they are attached to.")],
        button=_("Yes, attach"),
        act=lambda form: services.membership_add(
            actor=request.user, user_id=person.pk, mission_id=form.cleaned_data["mission"].pk
        ),
        done=_("%(name)s is attached to %(mission)s.")
        % {"name": _name(person), "mission": mission.display_name if mission else ""},
        unchanged=_("%(name)s was already attached to it.") % {"name": _name(person)},
    )


@require_http_methods(["GET", "POST"])
def membership_remove(request: HttpRequest, user_id: int) -> HttpResponse:
    policy.require(request.user, "staff.manage")
    person = selectors.person_get(user_id=user_id)
    code = request.POST.get("mission") or request.GET.get("mission") or ""
    mission = selectors.mission_get(user=request.user, code=code)
    form = RemoveMembershipForm(_posted(request), initial={"mission": code})
    return confirm_or_act(
        request,
        form=form,
        back_url=reverse("embassies:staff_detail", args=[person.pk]),
        title=_("Detach %(name)s from %(mission)s?") % {"name": _name(person), "mission": mission.display_name},
        lead=_("They will no longer see or write that mission's messages."),
        button=_("Yes, detach"),
        danger=True,
        act=lambda form: services.membership_remove(actor=request.user, user_id=person.pk, mission_id=mission.pk),
        done=_("%(name)s no longer works for %(mission)s.") % {"name": _name(person), "mission": mission.display_name},
        unchanged=_("%(name)s was not attached to it.") % {"name": _name(person)},
    )
