"""The conversation desk in the web UI: the inbox and one conversation. Thin: read through
the selectors (scoped by the policy), render."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from conversations import selectors, views_replies
from conversations.forms import AssignForm, InboxFilterForm, StatusForm
from conversations.models import Conversation
from conversations.services import desk
from diplomacy_hub import policy
from posts.lifecycle import InvalidTransition

CONVERSATIONS_PER_PAGE = 50


@require_GET
def inbox(request: HttpRequest) -> HttpResponse:
    if not policy.can(request.user, "conversation.inbox"):
        raise PermissionDenied
    filters = InboxFilterForm(request.GET or None, user=request.user)
    conversations = selectors.inbox(user=request.user, **filters.filters())
    return render(
        request,
        "conversations/inbox.html",
        {
            "page": Paginator(conversations, CONVERSATIONS_PER_PAGE).get_page(request.GET.get("page")),
            "filters": filters,
        },
    )


def _visible(request: HttpRequest, conversation_id: int) -> Conversation:
    """The conversation if the user may see its mission, else 404 (its existence does not leak)."""
    try:
        conversation = selectors.conversation_get(user=request.user, conversation_id=conversation_id)
    except Conversation.DoesNotExist:
        raise Http404 from None
    policy.require(request.user, "conversation.view", conversation)
    return conversation


@require_GET
def conversation_detail(request: HttpRequest, conversation_id: int) -> HttpResponse:
    conversation = _visible(request, conversation_id)
    can_handle = policy.can(request.user, "conversation.handle", conversation)
    items = list(selectors.conversation_items(conversation))
    authors = sorted({item.author_id for item in items if item.author_id})
    return render(
        request,
        "conversations/conversation_detail.html",
        {
            "conversation": conversation,
            "items": items,
            "original": selectors.original_post_text(conversation),
            "earlier": list(selectors.earlier_exchanges(conversation, author_ids=authors)) if authors else [],
            "can_handle": can_handle,
            **views_replies.reply_panel(request, conversation, items),
            "status_form": StatusForm(
                initial={"status": conversation.status, "close_reason": conversation.close_reason},
                mission=conversation.mission,
            )
            if can_handle
            else None,
            "assign_form": AssignForm(
                initial={"assignee": conversation.assignee_id},
                candidates=selectors.assignee_candidates(conversation),
            )
            if can_handle
            else None,
        },
    )


def _say_problems(request: HttpRequest, error: Exception) -> None:
    if isinstance(error, ValidationError):
        for problem in error.messages:
            messages.error(request, problem)
    else:
        messages.error(request, str(error))


@require_POST
def conversation_status(request: HttpRequest, conversation_id: int) -> HttpResponse:
    conversation = _visible(request, conversation_id)
    policy.require(request.user, "conversation.handle", conversation)
    form = StatusForm(request.POST, mission=conversation.mission)
    if not form.is_valid():
        _say_problems(request, ValidationError([problem for problems in form.errors.values() for problem in problems]))
        return redirect(conversation)
    try:
        desk.conversation_set_status(actor=request.user, conversation_id=conversation.pk, **form.cleaned_data)
    except (InvalidTransition, ValidationError) as error:
        _say_problems(request, error)
    else:
        messages.success(request, _("The status is saved."))
    return redirect(conversation)


@require_POST
def conversation_assign(request: HttpRequest, conversation_id: int) -> HttpResponse:
    conversation = _visible(request, conversation_id)
    policy.require(request.user, "conversation.handle", conversation)
    form = AssignForm(request.POST, candidates=selectors.assignee_candidates(conversation))
    if not form.is_valid():
        _say_problems(request, ValidationError([problem for problems in form.errors.values() for problem in problems]))
        return redirect(conversation)
    assignee = form.cleaned_data["assignee"]
    try:
        desk.conversation_assign(
            actor=request.user, conversation_id=conversation.pk, assignee_id=assignee.pk if assignee else None
        )
    except ValidationError as error:
        _say_problems(request, error)
    else:
        messages.success(request, _("The assignment is saved."))
    return redirect(conversation)
