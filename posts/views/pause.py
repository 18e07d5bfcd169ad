"""The pause switch: the pauses in force, starting one (after a confirmation step that says
what it would hold), resuming one, and releasing what fell due while paused. The press
office's pages, across missions (publishing.pause, publishing.resume)."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages as flash
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import formats, timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_http_methods

from diplomacy_hub import policy
from diplomacy_hub.ids import parse_id, parse_ids
from diplomacy_hub.localtime import hq_context, hq_zone
from posts.forms_operations import EmptyActionForm, PauseForm, PauseReleaseForm, describe_pause
from posts.selectors import operations as ops
from posts.selectors.operations import HeldGroup
from posts.services import pause as pausing
from posts.views.confirm import Action, confirm_or_act, posted, service_error
from posts.views.monitor import release_held
from posts.views.words import pause_words


def held_groups_in_words(*, pause=None) -> list[HeldGroup]:
    """What waits for a press officer, per message, with the pauses still covering each in
    words (`pause_words`)."""
    groups = ops.held_groups(pause=pause)
    for group in groups:
        group.pause_words = [pause_words(covering) for covering in group.pauses]
    return groups


def _release_form(groups: list[HeldGroup], data=None) -> PauseReleaseForm:
    return PauseReleaseForm(
        data,
        zone=hq_zone(),
        zone_label=_("headquarters"),
        message_choices=[(group.message.pk, group.message.title) for group in groups],
        initial={"message_ids": [group.message.pk for group in groups if group.held > group.still_paused]},
    )


def _pause_page(
    request: HttpRequest,
    *,
    form: PauseForm,
    release_form: PauseReleaseForm | None = None,
    groups: list[HeldGroup] | None = None,
    errors: list[str] | None = None,
    status: int = 200,
) -> HttpResponse:
    now = timezone.now()
    resumed = None
    resumed_id = parse_id(request.GET.get("resumed"))
    if resumed_id is not None:
        resumed = ops.pause_ended(pk=resumed_id)
    if groups is None:
        groups = held_groups_in_words(pause=resumed)
    release_form = release_form or _release_form(groups)
    if release_form.is_bound:
        checked = set(parse_ids(release_form.data.getlist("message_ids")) or [])
    else:
        checked = set(release_form.initial["message_ids"])
    return render(
        request,
        "posts/operations/pause.html",
        {
            "form": form,
            "errors": errors or [],
            "now": now,
            **ops.pause_page_lists(now=now),
            "groups": groups,
            "held_total": sum(group.held for group in groups),
            "resumed": resumed,
            "release_form": release_form,
            "checked": checked,
            "countries": ops.active_country_codes(),
            **hq_context(),
        },
        status=status,
    )


@require_http_methods(["GET", "POST"])
def pause(request: HttpRequest) -> HttpResponse:
    """The pauses in force, starting one (after a confirmation step), and what is held."""
    policy.require(request.user, "publishing.pause")
    form = PauseForm(posted(request))
    if request.method == "GET":
        return _pause_page(request, form=form)
    if request.POST.get("edit"):  # "Change something" on the confirmation step
        return _pause_page(request, form=form)
    if not form.is_valid():
        return _pause_page(request, form=form, status=400)
    if not form.confirmed():
        deliveries, messages_count = ops.covered_soon(
            scope=form.cleaned_data["scope"], value=form.cleaned_data["value"], now=timezone.now()
        )
        return render(
            request,
            "posts/operations/pause_confirm.html",
            {
                "form": form,
                "scope_words": form.scope_in_words(),
                "deliveries_soon": deliveries,
                "messages_soon": messages_count,
                "crisis_held": settings.PUBLISHING_PAUSE_HOLDS_CRISIS,
            },
        )
    try:
        started = pausing.publishing_pause(
            actor=request.user,
            scope=form.cleaned_data["scope"],
            value=form.cleaned_data["value"],
            reason=form.cleaned_data["reason"],
        )
    except ValidationError as error:
        return _pause_page(request, form=form, errors=service_error(form, error), status=400)
    flash.success(
        request,
        _(
            "Publishing is paused: %(scope)s. Nothing it covers goes out until a press officer "
            "resumes it and releases what fell due."
        )
        % {"scope": describe_pause(started.scope, started.value)},
    )
    return redirect("posts:pause")


@require_http_methods(["GET", "POST"])
def pause_resume(request: HttpRequest, pause_id: int) -> HttpResponse:
    policy.require(request.user, "publishing.resume")
    paused = ops.pause_get(pk=pause_id)
    words = describe_pause(paused.scope, paused.value)
    if paused.ended_at is not None:
        flash.info(request, _("This pause had already ended."))
        return redirect(f"{reverse('posts:pause')}?resumed={paused.pk}")
    held = ops.held_count(pause=paused)

    def act(form):
        result = pausing.publishing_resume(actor=request.user, pause_id=paused.pk)
        if result.held:
            flash.warning(
                request,
                ngettext(
                    "Publishing resumed (%(scope)s). %(count)s delivery fell due during the pause: it waits below "
                    "for you to release or reschedule it.",
                    "Publishing resumed (%(scope)s). %(count)s deliveries fell due during the pause: they wait "
                    "below for you to release or reschedule them.",
                    len(result.held),
                )
                % {"scope": words, "count": len(result.held)},
            )
        else:
            flash.success(
                request, _("Publishing resumed (%(scope)s). Nothing fell due during the pause.") % {"scope": words}
            )
        return redirect(f"{reverse('posts:pause')}?resumed={paused.pk}")

    action = Action(
        title=_("Resume publishing?"),
        lead=_("The pause “%(scope)s”, started by %(who)s for this reason: %(reason)s")
        % {
            "scope": words,
            "who": paused.started_by.get_full_name() or paused.started_by.get_username(),
            "reason": paused.reason,
        },
        consequences=[
            _("What is scheduled after now goes out at its time again."),
            ngettext(
                "%(count)s delivery fell due during the pause and is held: it does not go out by itself. "
                "You release or reschedule it next.",
                "%(count)s deliveries fell due during the pause and are held: they do not go out by "
                "themselves. You release or reschedule them next.",
                held,
            )
            % {"count": held},
        ],
        button=_("Yes, resume publishing"),
        back_url=reverse("posts:pause"),
    )
    return confirm_or_act(request, form=EmptyActionForm(posted(request)), action=action, act=act)


@require_http_methods(["GET", "POST"])
def pause_release(request: HttpRequest) -> HttpResponse:
    """Release the held deliveries of the messages ticked on the pause page, now or at a
    time in headquarters' zone (after a confirmation). Those a pause in force still covers
    stay held."""
    policy.require(request.user, "publishing.resume")
    if request.method == "GET":
        return redirect("posts:pause")
    groups = held_groups_in_words()
    form = _release_form(groups, posted(request))
    if not form.is_valid():
        return _pause_page(request, form=PauseForm(), release_form=form, groups=groups, status=400)
    chosen = set(form.cleaned_data["message_ids"])
    chosen_groups = [group for group in groups if group.message.pk in chosen]
    free, still = ops.releasable_held(message_ids=chosen)

    def act(form):
        for group in chosen_groups:
            policy.require(request.user, "message.schedule", group.message)
        release_held(request, delivery_ids=free, publish_at=form.release_time())
        return redirect("posts:pause")

    consequences = [_("Nothing goes out by itself: only what you release here.")]
    if still:
        consequences.append(
            ngettext(
                "%(count)s held delivery stays held: a pause still in force covers it.",
                "%(count)s held deliveries stay held: a pause still in force covers them.",
                len(still),
            )
            % {"count": len(still)}
        )
    when = form.release_time()
    if when is None:
        lead = ngettext("%(count)s delivery goes out now.", "%(count)s deliveries go out now.", len(free)) % {
            "count": len(free)
        }
    else:
        lead = ngettext(
            "%(count)s delivery goes out at %(time)s (headquarters time).",
            "%(count)s deliveries go out at %(time)s (headquarters time).",
            len(free),
        ) % {"count": len(free), "time": formats.date_format(when, "SHORT_DATETIME_FORMAT")}
    action = Action(
        title=_("Release held deliveries?"),
        lead=lead,
        consequences=consequences,
        button=_("Release them"),
        back_url=reverse("posts:pause"),
        items=chosen_groups,
    )
    return confirm_or_act(
        request, form=form, action=action, act=act, template="posts/operations/pause_release_confirm.html"
    )
