"""Global time's publishing pages: the review times each desk achieved and the press office's
targets, and the planned silences (the press office and the crisis unit plan them)."""

from __future__ import annotations

from datetime import timedelta

from django import forms
from django.contrib import messages as flash
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods

from diplomacy_hub import policy
from posts.forms_operations import SilenceForm, describe_pause
from posts.models import Priority
from posts.selectors import desks as desk_selectors
from posts.selectors.pauses import planned_silences
from posts.services import pause as pausing
from posts.services.review_clock import MAX_TARGET_MINUTES, review_targets_set, targets
from posts.views.common import render_page

PERIOD_DAYS = 30


class TargetsForm(forms.Form):
    routine = forms.IntegerField(label=gettext_lazy("Routine (minutes)"), min_value=1, max_value=MAX_TARGET_MINUTES)
    crisis = forms.IntegerField(label=gettext_lazy("Crisis alert (minutes)"), min_value=1, max_value=MAX_TARGET_MINUTES)


@require_http_methods(["GET", "POST"])
def review_times(request: HttpRequest) -> HttpResponse:
    """The review times achieved per desk over 30 days, and the targets (the press office
    changes them here)."""
    policy.require(request.user, "desk.view")
    may_set = policy.can(request.user, "review.targets")
    form = TargetsForm(request.POST or None, initial=targets())
    if request.method == "POST":
        policy.require(request.user, "review.targets")
        if form.is_valid():
            review_targets_set(
                actor=request.user,
                minutes_by_priority={
                    Priority.ROUTINE: form.cleaned_data["routine"],
                    Priority.CRISIS: form.cleaned_data["crisis"],
                },
            )
            flash.success(request, _("The review targets are saved: they apply to messages offered from now on."))
            return redirect("posts:review_times")
    return render_page(
        request,
        "posts/desks/review_times.html",
        {
            "rows": desk_selectors.review_times(since=timezone.now() - timedelta(days=PERIOD_DAYS)),
            "days": PERIOD_DAYS,
            "form": form,
            "may_set": may_set,
            "targets": targets(),
        },
        status=400 if request.method == "POST" else 200,
    )


@require_http_methods(["GET", "POST"])
def silences(request: HttpRequest) -> HttpResponse:
    """The silences planned or in force, and planning one. One that would hold crisis alerts
    says so and asks again before it is saved."""
    policy.require(request.user, "silence.plan")
    form = SilenceForm(request.POST or None)
    crisis_warning = ""
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            silence = pausing.silence_plan(
                actor=request.user,
                kind=data["kind"],
                scope=data["scope"],
                value=data["value"],
                starts_at=data["starts_at"],
                ends_at=data["ends_at"],
                reason=data["reason"],
                holds_crisis=data["holds_crisis"],
                crisis_confirmed=data["crisis_confirmed"],
            )
        except pausing.SilenceHoldsCrisis as warning:
            crisis_warning = warning.messages[0]
            form = SilenceForm({**request.POST.dict(), "crisis_confirmed": "on"})
            form.is_valid()
        except ValidationError as error:
            for field, problems in error.message_dict.items():
                form.add_error(field if field in form.fields else None, problems)
        else:
            flash.success(
                request,
                _("Silence planned: %(what)s. What falls due in it is held for a press officer.")
                % {"what": describe_pause(silence.scope, silence.value)},
            )
            return redirect("posts:silences")
    now = timezone.now()
    return render_page(
        request,
        "posts/desks/silences.html",
        {
            "form": form,
            "crisis_warning": crisis_warning,
            "silences": [(s, describe_pause(s.scope, s.value)) for s in planned_silences(now=now)],
            "now": now,
            "countries": [],
        },
        status=400 if request.method == "POST" else 200,
    )
