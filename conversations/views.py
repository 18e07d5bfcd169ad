"""The conversation desk in the web UI: the inbox (with its live count and saved views) and
one conversation (with its notes and who else is looking). Thin: read through the
selectors (scoped by the policy), call a service, render."""

from __future__ import annotations

from datetime import UTC, datetime
from urllib.parse import urlencode

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_POST

from conversations import reply_selectors, selectors, views_replies
from conversations.forms import AssignForm, InboxFilterForm, NoteForm, SavedViewForm, StatusForm, TriageForm
from conversations.models import Conversation, SavedView
from conversations.services import desk
from conversations.services.inbox import (
    conversation_note_add,
    conversation_presence_beat,
    saved_view_delete,
    saved_view_save,
)
from diplomacy_hub import policy
from diplomacy_hub.ids import parse_id
from diplomacy_hub.pagination import CappedPaginator
from posts.lifecycle import InvalidTransition

CONVERSATIONS_PER_PAGE = 50
# The inbox counts this many conversations at most (200 pages): headquarters' whole history
# is hundreds of thousands, and counting them all cost more than the page itself.
INBOX_COUNT_CAP = 10_000
# How often the pages ask: the inbox for its count of changes, a conversation for its viewers.
LIVE_SECONDS = 15
PRESENCE_BEAT_SECONDS = 20
# The live inbox's cursor: microseconds since the epoch; anything else is refused.
CURSOR_MAX = 2**53


def _cursor(moment: datetime) -> str:
    return str(int(moment.timestamp() * 1_000_000))


def _since(value: str) -> datetime | None:
    number = parse_id(value)
    if number is None or number > CURSOR_MAX:
        return None
    return datetime.fromtimestamp(number / 1_000_000, tz=UTC)


def _inbox_url(filters: dict[str, str]) -> str:
    url = reverse("conversations:inbox")
    return f"{url}?{urlencode(filters)}" if filters else url


@require_GET
def inbox(request: HttpRequest) -> HttpResponse:
    if not policy.can(request.user, "conversation.inbox"):
        raise PermissionDenied
    # Taken before the read: what changes while the page is built is counted as new.
    cursor = _cursor(timezone.now())
    filters = InboxFilterForm(request.GET or None, user=request.user)
    conversations = selectors.inbox(user=request.user, **filters.filters())
    raw = filters.raw_filters()
    views = list(selectors.saved_views_of(request.user))
    current = _inbox_url(raw)
    page = CappedPaginator(conversations, CONVERSATIONS_PER_PAGE, cap=INBOX_COUNT_CAP).get_page(request.GET.get("page"))
    # A rule's proposal to hide spam or a scam is confirmed or dismissed from here in one click.
    page.object_list = list(page.object_list)
    proposals = reply_selectors.proposals_by_conversation(conversation.pk for conversation in page.object_list)
    for conversation in page.object_list:
        conversation.proposals = proposals.get(conversation.pk, [])
    return render(
        request,
        "conversations/inbox.html",
        {
            "page": page,
            "filters": filters,
            "saved_views": [(view, _inbox_url(view.filters), _inbox_url(view.filters) == current) for view in views],
            "view_form": SavedViewForm(),
            "filters_query": urlencode(raw),
            "live_url": f"{reverse('conversations:inbox_changes')}?{urlencode({**raw, 'since': cursor})}",
            "live_seconds": LIVE_SECONDS,
        },
    )


@require_GET
def inbox_changes(request: HttpRequest) -> JsonResponse:
    """The live inbox's question, every few seconds: how many conversations of this inbox
    changed since the page was shown. One count; the page offers to show them rather than
    moving the list under the reader's eyes."""
    if not policy.can(request.user, "conversation.inbox"):
        raise PermissionDenied
    since = _since(request.GET.get("since", ""))
    if since is None:
        return JsonResponse({"error": _("This address is not valid: reload the inbox.")}, status=400)
    filters = InboxFilterForm(request.GET, user=request.user)
    changed = selectors.inbox_changed_since(user=request.user, since=since, **filters.filters())
    return JsonResponse(
        {
            "changed": changed,
            "message": ngettext(
                "%(count)d conversation is new or changed.", "%(count)d conversations are new or changed.", changed
            )
            % {"count": changed}
            if changed
            else "",
            "show": _("Show"),
        }
    )


@require_POST
def inbox_view_save(request: HttpRequest) -> HttpResponse:
    """Save the inbox's current filters (sent with the form) under a name."""
    policy.require(request.user, "inbox_view.save")
    form = SavedViewForm(request.POST)
    filters = InboxFilterForm(request.POST, user=request.user)
    raw = filters.raw_filters()
    if not form.is_valid():
        _say_problems(request, ValidationError([problem for problems in form.errors.values() for problem in problems]))
        return redirect(_inbox_url(raw))
    try:
        view = saved_view_save(actor=request.user, name=form.cleaned_data["name"], filters=raw)
    except ValidationError as error:
        _say_problems(request, error)
        return redirect(_inbox_url(raw))
    messages.success(request, _("The view “%(name)s” is saved.") % {"name": view.name})
    return redirect(_inbox_url(view.filters))


@require_POST
def inbox_view_delete(request: HttpRequest, view_id: int) -> HttpResponse:
    try:
        saved_view_delete(actor=request.user, view_id=view_id)
    except SavedView.DoesNotExist:
        raise Http404 from None
    messages.success(request, _("The view is deleted."))
    return redirect("conversations:inbox")


def visible_conversation_or_404(request: HttpRequest, conversation_id: int) -> Conversation:
    """The conversation if the user may see its mission, else 404 (its existence does not leak)."""
    try:
        conversation = selectors.conversation_get(user=request.user, conversation_id=conversation_id)
    except Conversation.DoesNotExist:
        raise Http404 from None
    policy.require(request.user, "conversation.view", conversation)
    return conversation


@require_GET
def conversation_detail(request: HttpRequest, conversation_id: int) -> HttpResponse:
    conversation = visible_conversation_or_404(request, conversation_id)
    can_handle = policy.can(request.user, "conversation.handle", conversation)
    items = list(selectors.conversation_items(conversation))
    authors = sorted({item.author_id for item in items if item.author_id})
    may_note = policy.can(request.user, "conversation.note", conversation)
    return render(
        request,
        "conversations/conversation_detail.html",
        {
            "conversation": conversation,
            "items": items,
            "thread": selectors.conversation_thread(items),
            "notes": list(selectors.conversation_notes(conversation)),
            "note_form": NoteForm() if may_note else None,
            "viewers": _names(selectors.conversation_viewers(conversation_id=conversation.pk, user=request.user)),
            "presence_seconds": PRESENCE_BEAT_SECONDS,
            "original": selectors.original_post_text(conversation),
            "earlier": list(selectors.earlier_exchanges(conversation, author_ids=authors)) if authors else [],
            "can_handle": can_handle,
            **views_replies.reply_panel(request, conversation, items),
            **views_replies.item_translations(request, conversation, items),
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
            "triage_form": TriageForm(
                initial={
                    "category": conversation.category,
                    "priority": conversation.priority,
                    "language": conversation.language,
                    "tags": ", ".join(conversation.tags or []),
                }
            )
            if policy.can(request.user, "conversation.triage", conversation)
            else None,
        },
    )


def _names(users: list) -> list[str]:
    return [user.get_full_name() or user.username for user in users]


def _say_problems(request: HttpRequest, error: Exception) -> None:
    if isinstance(error, ValidationError):
        for problem in error.messages:
            messages.error(request, problem)
    else:
        messages.error(request, str(error))


@require_POST
def conversation_status(request: HttpRequest, conversation_id: int) -> HttpResponse:
    conversation = visible_conversation_or_404(request, conversation_id)
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
    conversation = visible_conversation_or_404(request, conversation_id)
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


@require_POST
def conversation_triage(request: HttpRequest, conversation_id: int) -> HttpResponse:
    """Correct the triage by hand: category, priority, language, tags."""
    conversation = visible_conversation_or_404(request, conversation_id)
    policy.require(request.user, "conversation.triage", conversation)
    form = TriageForm(request.POST)
    if not form.is_valid():
        _say_problems(request, ValidationError([problem for problems in form.errors.values() for problem in problems]))
        return redirect(conversation)
    try:
        changed = desk.conversation_triage_set(actor=request.user, conversation_id=conversation.pk, **form.cleaned_data)
    except ValidationError as error:
        _say_problems(request, error)
        return redirect(conversation)
    if not policy.can(request.user, "conversation.view", changed):
        messages.success(
            request,
            _("The conversation threatens a person: it is now in the human-rights officer's queue, out of the desk."),
        )
        return redirect("conversations:inbox")
    messages.success(request, _("The triage is saved."))
    return redirect(conversation)


@require_POST
def conversation_note(request: HttpRequest, conversation_id: int) -> HttpResponse:
    conversation = visible_conversation_or_404(request, conversation_id)
    policy.require(request.user, "conversation.note", conversation)
    form = NoteForm(request.POST)
    if not form.is_valid():
        _say_problems(request, ValidationError([problem for problems in form.errors.values() for problem in problems]))
        return redirect(conversation)
    try:
        conversation_note_add(actor=request.user, conversation_id=conversation.pk, body=form.cleaned_data["body"])
    except ValidationError as error:
        _say_problems(request, error)
    else:
        messages.success(request, _("The note is saved."))
    return redirect(f"{conversation.get_absolute_url()}#notes-heading")


@require_POST
def conversation_presence(request: HttpRequest, conversation_id: int) -> JsonResponse:
    """The page's heartbeat: "I am looking at it"; answers who else is."""
    conversation = visible_conversation_or_404(request, conversation_id)
    conversation_presence_beat(user=request.user, conversation=conversation)
    names = _names(selectors.conversation_viewers(conversation_id=conversation.pk, user=request.user))
    return JsonResponse(
        {
            "viewers": names,
            "message": _("Also looking at it now: %(names)s.") % {"names": ", ".join(names)} if names else "",
        }
    )
