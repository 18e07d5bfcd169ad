"""People under threat (issue 15 §7): the human-rights officer's queue, the list of protected
people, allowing a reply, giving a conversation back to the desk. Thin: policy, form,
service, render."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from conversations import selectors
from conversations.forms import ProtectedPersonForm
from conversations.models import ProtectedPerson
from conversations.services import protection
from conversations.views import visible_conversation_or_404
from diplomacy_hub import policy
from diplomacy_hub.pagination import CappedPaginator

PER_PAGE = 50


@require_GET
def protected_queue(request: HttpRequest) -> HttpResponse:
    policy.require(request.user, "protected.view")
    conversations = selectors.protected_queue(user=request.user)
    return render(
        request,
        "conversations/protected_queue.html",
        {"page": CappedPaginator(conversations, PER_PAGE, cap=10_000).get_page(request.GET.get("page"))},
    )


@require_http_methods(["GET", "POST"])
def protected_people(request: HttpRequest) -> HttpResponse:
    """The list of people under protection, and the form to add one."""
    policy.require(request.user, "protected.people")
    form = ProtectedPersonForm(request.POST or None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                protection.protected_person_add(actor=request.user, **form.cleaned_data)
            except ValidationError as error:
                for field, problems in error.message_dict.items():
                    for problem in problems:
                        form.add_error(field if field in form.fields else None, problem)
            else:
                messages.success(request, _("The name is on the protected list."))
                return redirect("conversations:protected_people")
        status = 400
    return render(
        request,
        "conversations/protected_people.html",
        {"people": list(selectors.protected_people()), "form": form},
        status=status,
    )


@require_POST
def protected_person_remove(request: HttpRequest, person_id: int) -> HttpResponse:
    try:
        protection.protected_person_remove(actor=request.user, person_id=person_id)
    except ProtectedPerson.DoesNotExist:
        raise Http404 from None
    messages.success(request, _("The name is off the protected list."))
    return redirect("conversations:protected_people")


@require_POST
def protected_reply_allow(request: HttpRequest, conversation_id: int) -> HttpResponse:
    conversation = visible_conversation_or_404(request, conversation_id)
    try:
        protection.protected_reply_allow(actor=request.user, conversation_id=conversation.pk)
    except ValidationError as error:
        for problem in error.messages:
            messages.error(request, problem)
    else:
        messages.success(request, _("A reply may now be written; a second human-rights officer clears it."))
    return redirect(conversation)


@require_POST
def protected_release(request: HttpRequest, conversation_id: int) -> HttpResponse:
    conversation = visible_conversation_or_404(request, conversation_id)
    try:
        protection.protected_release(actor=request.user, conversation_id=conversation.pk)
    except ValidationError as error:
        for problem in error.messages:
            messages.error(request, problem)
        return redirect(conversation)
    messages.success(request, _("The conversation is back on its mission's desk; the evidence stays kept."))
    return redirect("conversations:protected_queue")
