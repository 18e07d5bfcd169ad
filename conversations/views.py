"""The conversation desk in the web UI: the inbox and one conversation. Thin: read through
the selectors (scoped by the policy), render."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from conversations import selectors
from conversations.forms import InboxFilterForm
from conversations.models import Conversation
from diplomacy_hub import policy

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


@require_GET
def conversation_detail(request: HttpRequest, conversation_id: int) -> HttpResponse:
    try:
        conversation = selectors.conversation_get(user=request.user, conversation_id=conversation_id)
    except Conversation.DoesNotExist:
        raise Http404 from None
    policy.require(request.user, "conversation.view", conversation)
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
        },
    )
