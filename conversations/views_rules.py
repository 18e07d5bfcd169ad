"""Triage's rules in the web UI: keyword packs, known authors and service targets. Thin:
read through the selectors, ask the policy, call the rules service, render."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from conversations import selectors
from conversations.forms import KeywordPackForm, KnownAuthorForm, ServiceTargetsForm
from conversations.models import KeywordPack, KnownAuthor
from conversations.services import rules
from diplomacy_hub import policy


def _pack_form(request: HttpRequest, data=None, initial=None) -> KeywordPackForm:
    return KeywordPackForm(
        data,
        initial=initial,
        missions=selectors.missions_for_triage_rules(request.user),
        for_everyone=policy.can(request.user, "triage.edit", None),
    )


def _author_form(request: HttpRequest, data=None) -> KnownAuthorForm:
    return KnownAuthorForm(
        data,
        missions=selectors.missions_for_triage_rules(request.user),
        for_everyone=policy.can(request.user, "triage.edit", None),
    )


def _may_add_rules(request: HttpRequest) -> bool:
    return policy.can(request.user, "triage.edit", None) or selectors.missions_for_triage_rules(request.user).exists()


def triage_rules(request: HttpRequest, *, author_form=None, targets_form=None, status: int = 200) -> HttpResponse:
    policy.require(request.user, "triage.view")
    packs = list(selectors.keyword_packs_visible_to(request.user))
    authors = list(selectors.known_authors_visible_to(request.user))
    targets = selectors.service_targets()
    may_add = _may_add_rules(request)
    return render(
        request,
        "conversations/triage_rules.html",
        {
            "packs": [(pack, policy.can(request.user, "triage.edit", pack)) for pack in packs],
            "authors": [(author, policy.can(request.user, "triage.edit", author)) for author in authors],
            "targets": targets,
            "may_add": may_add,
            "author_form": author_form or (_author_form(request) if may_add else None),
            "targets_form": targets_form
            or (ServiceTargetsForm(targets=targets) if policy.can(request.user, "triage.targets") else None),
        },
        status=status,
    )


triage_rules_page = require_http_methods(["GET"])(triage_rules)


def _fields(form: KeywordPackForm) -> rules.PackFields:
    data = form.cleaned_data
    return rules.PackFields(
        name=data["name"],
        language=data["language"],
        category=data["category"],
        priority=data["priority"],
        tags=data["tags"],
        terms=data["terms"],
        position=data["position"],
        is_active=data["is_active"],
        mission=data["mission"],
    )


def _add_problems(form, error: ValidationError) -> None:
    if hasattr(error, "error_dict"):
        for field, problems in error.message_dict.items():
            form.add_error(field if field in form.fields else None, problems)
    else:
        form.add_error(None, error.messages)


def _save_pack(request: HttpRequest, form: KeywordPackForm, *, pack: KeywordPack | None) -> HttpResponse | None:
    if not form.is_valid():
        return None
    try:
        rules.keyword_pack_save(actor=request.user, pack_id=pack.pk if pack else None, fields=_fields(form))
    except ValidationError as error:
        _add_problems(form, error)
        return None
    messages.success(request, _("The keyword pack is saved: new items are sorted by it within a minute."))
    return redirect("conversations:triage_rules")


@require_http_methods(["GET", "POST"])
def pack_create(request: HttpRequest) -> HttpResponse:
    if not _may_add_rules(request):
        raise PermissionDenied
    form = _pack_form(request, request.POST if request.method == "POST" else None)
    if request.method == "POST" and (done := _save_pack(request, form, pack=None)):
        return done
    status = 400 if form.is_bound else 200
    return render(request, "conversations/keyword_pack_form.html", {"form": form, "pack": None}, status=status)


def _pack(request: HttpRequest, pack_id: int) -> KeywordPack:
    try:
        pack = selectors.keyword_pack_get(user=request.user, pack_id=pack_id)
    except KeywordPack.DoesNotExist:
        raise Http404 from None
    policy.require(request.user, "triage.edit", pack)
    return pack


@require_http_methods(["GET", "POST"])
def pack_edit(request: HttpRequest, pack_id: int) -> HttpResponse:
    pack = _pack(request, pack_id)
    initial = {
        "name": pack.name,
        "language": pack.language,
        "category": pack.category,
        "priority": pack.priority,
        "terms": pack.terms,
        "tags": ", ".join(pack.tags or []),
        "position": pack.position,
        "is_active": pack.is_active,
        "mission": pack.mission_id,
    }
    form = _pack_form(request, request.POST if request.method == "POST" else None, initial=initial)
    if request.method == "POST" and (done := _save_pack(request, form, pack=pack)):
        return done
    status = 400 if form.is_bound else 200
    return render(request, "conversations/keyword_pack_form.html", {"form": form, "pack": pack}, status=status)


@require_POST
def pack_delete(request: HttpRequest, pack_id: int) -> HttpResponse:
    pack = _pack(request, pack_id)
    rules.keyword_pack_delete(actor=request.user, pack_id=pack.pk)
    messages.success(request, _("The keyword pack is deleted."))
    return redirect("conversations:triage_rules")


@require_POST
def author_add(request: HttpRequest) -> HttpResponse:
    policy.require(request.user, "triage.view")
    if not _may_add_rules(request):
        raise PermissionDenied
    form = _author_form(request, request.POST)
    if form.is_valid():
        try:
            rules.known_author_add(actor=request.user, **form.cleaned_data)
        except ValidationError as error:
            _add_problems(form, error)
        else:
            messages.success(request, _("The person is on the list."))
            return redirect("conversations:triage_rules")
    return triage_rules(request, author_form=form, status=400)


@require_POST
def author_remove(request: HttpRequest, author_id: int) -> HttpResponse:
    try:
        author = selectors.known_author_get(user=request.user, author_id=author_id)
    except KnownAuthor.DoesNotExist:
        raise Http404 from None
    policy.require(request.user, "triage.edit", author)
    rules.known_author_remove(actor=request.user, author_id=author.pk)
    messages.success(request, _("The person is no longer on the list."))
    return redirect("conversations:triage_rules")


@require_POST
def targets_save(request: HttpRequest) -> HttpResponse:
    policy.require(request.user, "triage.targets")
    form = ServiceTargetsForm(request.POST, targets=selectors.service_targets())
    if form.is_valid():
        try:
            changed = rules.service_targets_save(actor=request.user, targets=form.targets())
        except ValidationError as error:
            _add_problems(form, error)
        else:
            messages.success(request, _("The service targets are saved (%(count)d changed).") % {"count": changed})
            return redirect("conversations:triage_rules")
    return triage_rules(request, targets_form=form, status=400)
