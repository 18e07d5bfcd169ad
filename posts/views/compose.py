"""Compose and edit: the form, autosave as one types, the live preview, and the time a
mission's local time is at headquarters. The writes are posts/services/messages.py's
and posts/services/review.py's; another mission's message or mission answers 404."""

from __future__ import annotations

from django.contrib import messages as flash
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from channels import translation
from channels.problems import word_error
from diplomacy_hub import policy
from diplomacy_hub.ids import parse_id
from diplomacy_hub.localtime import local_to_aware, parse_local, place_of, zone_of
from embassies import names
from embassies.models import Mission
from posts.draft import draft_of
from posts.forms import ComposeForm, text_field
from posts.lifecycle import MESSAGE_WITH_AUTHOR
from posts.models import InvalidTransition, Message, Review
from posts.selectors import messages as selectors
from posts.selectors.timing import days_ahead, engaged_hour, moment_advice
from posts.services import messages as drafting
from posts.services import review
from posts.services.messages import UNSET, StaleVersion
from posts.services.review import ValidationProblems
from posts.validation import validate_draft
from posts.views.common import render_page
from posts.views.previews import build_preview

AUTOSAVE_STATES = MESSAGE_WITH_AUTHOR


def _editable_message(request: HttpRequest, pk) -> Message:
    message = selectors.message_get(user=request.user, pk=pk)
    policy.require(request.user, "message.edit", message)
    return message


def _compose_form(request: HttpRequest, mission: Mission, message: Message | None, *, data=None, files=None):
    return ComposeForm(
        data,
        files,
        mission=mission,
        accounts=selectors.mission_accounts(mission=mission),
        message=message,
        attachments=list(message.attachments.all()) if message is not None else [],
    )


def _resolve_compose(request: HttpRequest) -> tuple[Mission, Message | None]:
    """The mission and (once saved) the message a compose, autosave or preview request is
    about, checked against the policy: another mission's answers 404."""
    message_id = (request.POST.get("message") or "").strip()
    if message_id:
        message = _editable_message(request, message_id)
        if message.mission is None:
            raise Http404("Crisis alerts have their own form.")
        return message.mission, message
    mission_id = request.POST.get("mission") or request.GET.get("mission")
    missions = selectors.missions_to_write_for(user=request.user)
    mission = next((m for m in missions if str(m.pk) == str(mission_id)), None)
    if mission is None:
        raise Http404("No such mission among yours.")
    policy.require(request.user, "message.create", mission)
    return mission, None


def _save_draft(user, form: ComposeForm, message: Message | None) -> Message:
    """Create the draft, or write the form over it; then the changed alt texts."""
    data = form.cleaned_data
    if message is None:
        message = drafting.message_create(
            actor=user,
            mission=form.mission,
            title=data["title"],
            texts=form.texts(),
            target_ids=form.target_ids(),
            desired_at=data.get("desired_at"),
        )
    else:
        message = drafting.message_update(
            actor=user,
            message_id=message.pk,
            expected_version=data.get("version"),
            title=data["title"],
            texts=form.texts(),
            target_ids=form.target_ids(),
            desired_at=data.get("desired_at"),
        )
    for attachment, alt_text in form.changed_alt_texts():
        version = selectors.message_fresh(user=user, pk=message.pk).version
        drafting.attachment_set_alt_text(
            actor=user, message_id=message.pk, attachment_id=attachment.pk, alt_text=alt_text, expected_version=version
        )
    return selectors.message_fresh(user=user, pk=message.pk)


def _compose_page(
    request: HttpRequest,
    form: ComposeForm,
    message: Message | None,
    *,
    status: int = 200,
    version: int | None = None,
    stale: bool = False,
) -> HttpResponse:
    if form.is_bound:
        desired_moment = getattr(form, "cleaned_data", {}).get("desired_at")
    else:
        desired_moment = message.desired_at if message is not None else None
    reviews = list(message.reviews.all()) if message is not None else []
    return render_page(
        request,
        "posts/compose.html",
        {
            "form": form,
            "desired_moment": desired_moment,
            "last_change_request": next(
                (review for review in reversed(reviews) if review.decision == Review.Decision.REQUEST_CHANGES), None
            ),
            "mission": form.mission,
            "message": message,
            "current_version": version if version is not None else (message.version if message else ""),
            "stale": stale,
            "autosave": message is None or message.state in AUTOSAVE_STATES,
            "preview": build_preview(
                draft_of(message) if (message is not None and not form.is_bound) else form.draft()
            ),
            "now": timezone.now(),
            "advice": moment_advice(mission=form.mission, moment=desired_moment) if desired_moment else None,
            # Before a time is chosen: the hour its audience engaged most, as a hint.
            "engaged": None if desired_moment else engaged_hour(mission=form.mission),
            "days_ahead": days_ahead(mission=form.mission, today=timezone.now().astimezone(form.mission.zone).date()),
            "translation_on": translation.enabled() and len(form.mission.languages) > 1,
        },
        status=status,
    )


def _translate_tab(request: HttpRequest, mission: Mission, message: Message | None, *, target: str) -> HttpResponse:
    """Draft one language's text by machine translation from the first other language
    written, and show the form again with it; nothing is saved: the officer reads it, then
    saves or submits (and the press office reviews every message)."""
    data = request.POST.copy()
    version = request.POST.get("version") or None
    source = next(
        (code for code in mission.languages if code != target and (data.get(text_field(code)) or "").strip()), None
    )
    problem = ""
    if target not in mission.languages:
        problem = _("This mission does not publish in that language.")
    elif source is None:
        problem = _("Write the text in another of the mission's languages first.")
    else:
        try:
            translated = translation.translate(data[text_field(source)], source=source, target=target)
        except translation.TranslationError as failed:
            problem = word_error(failed)
        else:
            data[text_field(target)] = translated.text
            flash.info(
                request,
                _(
                    "The text in %(language)s was drafted by machine translation (%(provider)s) from the text in "
                    "%(source)s: check it before you save or submit."
                )
                % {
                    "language": names.language_name(target),
                    "source": names.language_name(source),
                    "provider": translated.provider,
                },
            )
    form = _compose_form(request, mission, message, data=data)
    form.is_valid()
    if problem:
        form.add_error(text_field(target) if target in mission.languages else None, problem)
    return _compose_page(request, form, message, status=400 if problem else 200, version=version)


class _Redisplay(Exception):
    """Control flow: show the form again with the error just added."""


def _compose(request: HttpRequest, mission: Mission, message: Message | None) -> HttpResponse:
    action = request.POST.get("action", "") if request.method == "POST" else ""
    if action.startswith("translate:"):
        return _translate_tab(request, mission, message, target=action.partition(":")[2])
    return _compose_write(request, mission, message)


def _compose_write(request: HttpRequest, mission: Mission, message: Message | None) -> HttpResponse:
    if request.method != "POST":
        form = _compose_form(request, mission, message)
        if message is not None and request.GET.get("check"):
            # Sent here by a refused submit: show every problem beside its field.
            form = _compose_form(request, mission, message, data=form.as_data())
            form.is_valid()
            form.add_problems(validate_draft(draft_of(message)))
        return _compose_page(request, form, message)

    form = _compose_form(request, mission, message, data=request.POST, files=request.FILES)
    action = request.POST.get("action", "save")
    remove = request.POST.get("remove_attachment")
    user = request.user
    if not form.is_valid():
        if action == "submit":  # every problem at once: the form's, and those submit would find
            form.add_problems(validate_draft(form.draft()))
        return _compose_page(request, form, message, status=400, version=request.POST.get("version") or None)
    try:
        message = _save_draft(user, form, message)
        if remove:
            # An id that names no attachment (0) is refused like another message's.
            drafting.attachment_remove(
                actor=user, message_id=message.pk, attachment_id=parse_id(remove) or 0, expected_version=message.version
            )
            flash.success(request, _("The attachment is removed."))
            return redirect(reverse("posts:message_edit", args=[message.pk]) + "#media")
        if action == "upload":
            upload = form.cleaned_data.get("file")
            if not upload:
                form.add_error("file", _("Choose a file to upload first."))
                raise _Redisplay
            attachment = drafting.attachment_add(
                actor=user,
                message_id=message.pk,
                uploaded_file=upload,
                alt_text=form.cleaned_data.get("alt_text", ""),
                expected_version=message.version,
            )
            flash.success(request, _("“%(name)s” is attached.") % {"name": attachment.original_name})
            return redirect(reverse("posts:message_edit", args=[message.pk]) + "#media")
        if action == "submit":
            review.message_submit(actor=user, message_id=message.pk, expected_version=message.version)
            flash.success(request, _("Submitted for review."))
            return redirect(message.get_absolute_url())
        flash.success(request, _("Saved."))
        return redirect("posts:message_edit", message.pk)
    except StaleVersion:
        return _compose_page(request, form, message, status=409, stale=True, version=form.cleaned_data.get("version"))
    except ValidationProblems as problems:
        form.add_problems(problems.problems)
    except ValidationError as error:
        form.add_service_error(error)
    except InvalidTransition as error:
        form.add_error(None, str(error))
    except _Redisplay:
        pass
    if message is not None:
        message = selectors.message_get(user=user, pk=message.pk)
        form.attachments = list(message.attachments.all())
    return _compose_page(request, form, message, status=400)


@require_http_methods(["GET", "POST"])
def message_create(request: HttpRequest) -> HttpResponse:
    """A new message for one of the officer's missions (chosen first when they have several).
    Once autosave has created the draft, the form carries its id and edits it instead."""
    if request.method == "POST" and request.POST.get("message"):
        mission, message = _resolve_compose(request)
        return _compose(request, mission, message)
    missions = selectors.missions_to_write_for(user=request.user)
    if not missions:
        raise PermissionDenied(_("Only officers of a mission write its messages."))
    chosen = request.POST.get("mission") or request.GET.get("mission")
    if not chosen and len(missions) == 1:
        chosen = str(missions[0].pk)
    if not chosen:
        return render_page(request, "posts/compose_choose_mission.html", {"missions": missions})
    mission = next((m for m in missions if str(m.pk) == str(chosen)), None)
    if mission is None:
        raise Http404("No such mission among yours.")
    return _compose(request, mission, None)


@require_http_methods(["GET", "POST"])
def message_edit(request: HttpRequest, pk: int) -> HttpResponse:
    message = _editable_message(request, pk)
    if message.is_crisis or message.mission is None:
        flash.info(request, _("Crisis alerts are written with the crisis alert form."))
        return redirect(message.get_absolute_url())
    if message.state not in Message.EDITABLE_STATES:
        flash.warning(
            request,
            _("This message is “%(state)s”: it can no longer be edited.") % {"state": message.get_state_display()},
        )
        return redirect(message.get_absolute_url())
    return _compose(request, message.mission, message)


@require_POST
def message_autosave(request: HttpRequest) -> HttpResponse:
    """Save the draft as it is typed: create it once (the page then carries its id), update
    it afterwards. Fields with an error are left as they were; the status says so."""
    mission, message = _resolve_compose(request)
    form = _compose_form(request, mission, message, data=request.POST)
    form.is_valid()
    errors = form.errors
    context = {"message": message, "saved_at": None, "problem": "", "skipped": [], "zone": mission.time_zone}
    if message is not None and message.state not in AUTOSAVE_STATES:
        context["problem"] = _("Automatic saving is off for a message in review or scheduled: use Save.")
        return render_page(request, "posts/partials/autosave.html", context)
    text_fields = form.text_field_names()
    skipped = [name for name in ["title", "targets", "desired_at", *text_fields] if name in errors]
    context["skipped"] = sorted({str(form.fields[name].label) for name in skipped})
    texts = UNSET if any(name in errors for name in text_fields) else form.texts()
    targets = UNSET if "targets" in errors else form.target_ids()
    desired_at = UNSET if "desired_at" in errors else form.cleaned_data.get("desired_at")
    try:
        if message is None:
            if "title" in errors:
                context["problem"] = _("Give the message an internal title: it is saved from then on.")
                return render_page(request, "posts/partials/autosave.html", context)
            message = drafting.message_create(
                actor=request.user,
                mission=mission,
                title=form.cleaned_data["title"],
                texts={} if texts is UNSET else texts,
                target_ids=[] if targets is UNSET else targets,
                desired_at=None if desired_at is UNSET else desired_at,
            )
            created = True
        else:
            message = drafting.message_update(
                actor=request.user,
                message_id=message.pk,
                expected_version=form.cleaned_data.get("version"),
                title=UNSET if "title" in errors else form.cleaned_data["title"],
                texts=texts,
                target_ids=targets,
                desired_at=desired_at,
            )
            created = False
    except StaleVersion:
        context["problem"] = _("Not saved: this message was changed elsewhere. Reload the page before going on.")
        context["stale"] = True
        return render_page(request, "posts/partials/autosave.html", context)
    except ValidationError as error:
        context["problem"] = _("Not saved: %(reason)s") % {"reason": " ".join(error.messages)}
        return render_page(request, "posts/partials/autosave.html", context)
    except InvalidTransition as error:
        context["problem"] = str(error)
        return render_page(request, "posts/partials/autosave.html", context)
    context.update(message=message, saved_at=timezone.now(), created=created)
    response = render_page(request, "posts/partials/autosave.html", context)
    if created and request.htmx:
        response["HX-Replace-Url"] = reverse("posts:message_edit", args=[message.pk])
    return response


@require_POST
def message_preview(request: HttpRequest) -> HttpResponse:
    """The previews and counters of what is typed now (htmx, as one types)."""
    mission, message = _resolve_compose(request)
    form = _compose_form(request, mission, message, data=request.POST)
    return render_page(
        request,
        "posts/partials/preview.html",
        {
            "preview": build_preview(form.draft()),
            "live": True,
        },
    )


@require_GET
def time_in_hq(request: HttpRequest) -> HttpResponse:
    """A local time of a mission, as headquarters reads it (next to a time field)."""
    mission = None
    if request.GET.get("mission"):
        mission_id = request.GET["mission"]
        mission = selectors.mission_get(user=request.user, pk=mission_id)
    value = request.GET.get("desired_at") or request.GET.get("publish_at") or ""
    context: dict = {"mission": mission, "moment": None, "error": ""}
    if value.strip():
        naive = parse_local(value)
        if naive is None:
            context["error"] = _("Enter a date and a time, for example 2030-03-14 09:30.")
        else:
            try:
                context["moment"] = local_to_aware(naive, zone_of(mission), place=place_of(mission))
            except ValidationError as error:
                context["error"] = " ".join(error.messages)
    if mission is not None and context["moment"] is not None:
        context["advice"] = moment_advice(mission=mission, moment=context["moment"])
    elif mission is not None and not context["error"]:
        context["engaged"] = engaged_hour(mission=mission)
    return render_page(request, "posts/partials/hq_time.html", context)
