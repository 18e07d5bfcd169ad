"""Replies, their clearance, the answer library and moderation in the web UI. Thin: bind
the form, call the service, word its problems (posts.problems), redirect."""

from __future__ import annotations

from datetime import timedelta

from django.contrib import messages
from django.core import signing
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import get_language, ngettext
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from channels import translation
from channels.adapters.answering import PRIVATE_REPLY_DAYS, REPLY_TEXT_MAX
from channels.models import Network
from channels.problems import word_error
from conversations import clearance
from conversations import reply_selectors as selectors
from conversations import selectors as conversation_selectors
from conversations.forms_replies import ClearForm, HideForm, LineForm, RemoveForm, ReplyForm, ReturnForm
from conversations.models import AnswerLine, Conversation, Item, ModerationAction, Reply
from conversations.services import lines as line_services
from conversations.services import moderation, replies
from diplomacy_hub import policy
from embassies import names
from posts.problems import word

# X's prices per reply (docs.x.com pricing, April 2026): a reply to someone who summoned the
# account, and any post carrying a link.
X_REPLY_COST = "0.010"
X_LINK_COST = "0.20"


def say_problems(request: HttpRequest, error: ValidationError) -> None:
    for problem in error.error_list:
        params = problem.params or {}
        messages.error(
            request,
            word(problem.code or "", params, default=str(problem.message % params if params else problem.message)),
        )


def _form_errors(request: HttpRequest, form) -> None:
    for problems in form.errors.values():
        for problem in problems:
            messages.error(request, problem)


# --- The panel on the conversation page ----------------------------------------------------------


def reply_panel(request: HttpRequest, conversation: Conversation, items: list[Item]) -> dict:
    """What the conversation page shows of replies: the replies so far, the form, what the
    network allows, and the items that may be hidden."""
    user = request.user
    can_write = policy.can(user, "reply.write", conversation)
    # A draft the officer just had translated (reply_write, "translate"): shown once, in the form.
    translated_draft = request.session.pop(_draft_key(conversation), None) if can_write else None
    now = timezone.now()
    private_possible = conversation.network == Network.FACEBOOK
    lines = selectors.lines_in_force()
    conversation_replies = list(selectors.replies_of(conversation))
    for reply in conversation_replies:
        reply.may_clear = reply.state == Reply.State.AWAITING_CLEARANCE and policy.can(user, "reply.clear", reply)
        reply.line_flag = reply.line is not None and not reply.line.in_force(now)
        reply.reasons_worded = [word(f"clearance.{code}") for code in reply.level_reasons]
        reply.edit_percent = None if reply.edit_ratio is None else round(reply.edit_ratio * 100)
        # Worded in the reader's language; X's "not summoned" refusal links to the item on X.
        reply.error_worded = word(reply.error_code, reply.error_params, default=reply.last_error)
        reply.answer_on_x = reply.error_params.get("url", "") if reply.error_code == "reply.not_summoned" else ""
    hidden = selectors.hidden_item_ids(conversation)
    private_windows = {
        item.pk: item.created_at_network + timedelta(days=PRIVATE_REPLY_DAYS) - now
        for item in items
        if private_possible and item.kind in (Item.Kind.COMMENT, Item.Kind.REPLY)
    }
    return {
        "replies": conversation_replies,
        "reply_form": ReplyForm(
            items=items, lines=lines, private_possible=private_possible, initial=_draft_initial(translated_draft)
        )
        if can_write
        else None,
        "translated_draft": translated_draft,
        "translation_on": _translation_allowed(conversation),
        "reply_limit": REPLY_TEXT_MAX[conversation.network],
        "x_costs": {"reply": X_REPLY_COST, "link": X_LINK_COST} if conversation.network == Network.TWITTER else None,
        "x_will_refuse": _x_will_refuse(conversation, items) if can_write else [],
        "private_windows": [
            (item, _hours_left(int(window.total_seconds() // 3600)))
            for item in items
            if (window := private_windows.get(item.pk)) is not None and window > timedelta(0)
        ],
        "moderable": conversation.network in moderation.HIDEABLE and policy.can(user, "item.hide", conversation),
        "hideable_item_ids": {item.pk for item in items if moderation.may_hide(item)},
        "removable": conversation.network in moderation.REMOVAL and policy.can(user, "item.remove", conversation),
        "proposals": [
            (proposal, proposal.removes and policy.can(user, "item.remove.confirm", proposal))
            for proposal in selectors.open_proposals(conversation)
        ],
        "hidden_item_ids": hidden,
        "hide_form": HideForm(initial={"hidden": "1"}),
        "clear_form": ClearForm(),
        "return_form": ReturnForm(),
    }


# --- Machine translation --------------------------------------------------------------------------

TRANSLATION_SALT = "conversations.reply.translation"
TRANSLATION_MAX_AGE = 24 * 3600  # a translated draft is sent within a day, or translated again


def _translation_allowed(conversation: Conversation) -> bool:
    # What threatens or exposes a person never leaves for an outside service (CONVERSATION.md d.7).
    return translation.enabled() and not policy.is_protected(conversation)


def item_translations(request: HttpRequest, conversation: Conversation, items: list[Item]) -> dict:
    """The conversation page's translations: each item in another language than the reader's
    may be translated ("Translate", a plain link: `?translate=<item>`); the one asked for is,
    into the reader's language, shown under its original with its provider. A provider that
    fails says so beside the item; the page itself never fails for it."""
    enabled = _translation_allowed(conversation)
    reader = get_language() or "en"
    asked = request.GET.get("translate", "")
    for item in items:
        item.may_translate = (
            enabled and bool(item.text.strip()) and not translation.same_language(item.language, reader)
        )
        item.translation = None
        item.translation_problem = ""
        if item.may_translate and asked == str(item.pk):
            try:
                item.translation = translation.translate(
                    item.text, source=item.language or "auto", target=reader.split("-")[0]
                )
            except translation.TranslationError as failed:
                item.translation_problem = word_error(failed)
    return {"translation_on": enabled}


def _draft_key(conversation: Conversation) -> str:
    return f"reply_translated:{conversation.pk}"


def _draft_initial(draft: dict | None) -> dict:
    if not draft:
        return {}
    return {
        key: draft[key] for key in ("item", "line", "text", "kind", "individual_case", "translation") if key in draft
    }


def _translate_draft(request: HttpRequest, conversation: Conversation, item: Item, data: dict) -> None:
    """Translate the officer's draft into the author's language and put it back in the form,
    marked (signed) as machine-translated: sent, it is cleared at level 1 at least."""
    if not _translation_allowed(conversation):
        messages.error(request, word("translation.off"))
        return
    target = item.language or conversation.language
    if not target:
        messages.error(request, word("translation.no_language"))
        return
    drafted = (data.get("text") or "").strip()
    try:
        translated = translation.translate(drafted, source="auto", target=target.split("-")[0])
    except translation.TranslationError as failed:
        messages.error(request, word_error(failed))
        return
    line = data.get("line")
    request.session[_draft_key(conversation)] = {
        "item": str(item.pk),
        "line": line.pk if line else None,
        "text": translated.text,
        "kind": data["kind"],
        "individual_case": data["individual_case"],
        "translation": signing.dumps(
            {"p": translated.provider, "d": drafted, "l": translated.source, "c": conversation.pk},
            salt=TRANSLATION_SALT,
            compress=True,
        ),
        "provider": translated.provider,
        "drafted_text": drafted,
        "target": names.language_name(target.split("-")[0]),
    }
    messages.info(
        request,
        _("Your draft was translated by %(provider)s. Check it: a machine-translated reply is cleared by four eyes.")
        % {"provider": translated.provider},
    )


def _translation_of(conversation: Conversation, token: str) -> replies.MachineTranslation | None:
    """The machine translation a form says its text came from; a token not ours (or too old)
    is refused rather than ignored: the reply would otherwise pass for the officer's own."""
    if not token:
        return None
    try:
        said = signing.loads(token, salt=TRANSLATION_SALT, max_age=TRANSLATION_MAX_AGE)
    except signing.BadSignature:
        raise replies.problem("reply.form_expired") from None
    if said.get("c") != conversation.pk:
        raise replies.problem("reply.form_expired")
    return replies.MachineTranslation(
        provider=str(said.get("p", "")), drafted_text=str(said.get("d", "")), language=str(said.get("l", ""))
    )


def _x_will_refuse(conversation: Conversation, items: list[Item]) -> list[Item]:
    """The live items X will not let the app answer: their authors neither mentioned nor
    quoted the account (a direct reply to our post names it). Said before the officer writes."""
    if conversation.network != Network.TWITTER:
        return []
    handle = conversation.account.handle.lstrip("@").casefold()
    return [
        item
        for item in items
        if item.deleted_at is None
        and item.kind == Item.Kind.REPLY
        and not (item.answers_post_id and item.parent_id == item.answers_post_id)
        and not (handle and f"@{handle}" in item.text.casefold())
    ]


def _hours_left(hours: int) -> str:
    return ngettext("%(hours)s hour left", "%(hours)s hours left", hours) % {"hours": hours}


def _conversation(request: HttpRequest, conversation_id: int) -> Conversation:
    try:
        conversation = conversation_selectors.conversation_get(user=request.user, conversation_id=conversation_id)
    except Conversation.DoesNotExist:
        raise Http404 from None
    policy.require(request.user, "conversation.view", conversation)
    return conversation


# --- Writing, clearing --------------------------------------------------------------------------


@require_POST
def reply_write(request: HttpRequest, conversation_id: int) -> HttpResponse:
    conversation = _conversation(request, conversation_id)
    policy.require(request.user, "reply.write", conversation)
    items = list(conversation_selectors.conversation_items(conversation))
    form = ReplyForm(
        request.POST,
        items=items,
        lines=selectors.lines_in_force(),
        private_possible=conversation.network == Network.FACEBOOK,
    )
    if not form.is_valid():
        _form_errors(request, form)
        return redirect(f"{conversation.get_absolute_url()}#reply")
    data = form.cleaned_data
    line = data.get("line")
    text = (data.get("text") or "").strip()
    item = next(item for item in items if str(item.pk) == data["item"])
    if request.POST.get("action") == "translate":
        _translate_draft(request, conversation, item, data)
        return redirect(f"{conversation.get_absolute_url()}#reply")
    if not text and line is not None:
        text = clearance.fill_line(line.text, selectors.line_values(conversation, item, language=line.language))
    try:
        draft = replies.ReplyDraft(
            item_id=item.pk,
            text=text,
            line_id=line.pk if line else None,
            kind=data["kind"],
            individual_case=data["individual_case"],
            idempotency_key=data["key"],
            translation=_translation_of(conversation, data.get("translation") or ""),
        )
        reply = replies.reply_write(actor=request.user, conversation_id=conversation.pk, draft=draft)
    except ValidationError as error:
        say_problems(request, error)
        return redirect(f"{conversation.get_absolute_url()}#reply")
    if reply.state == Reply.State.AWAITING_CLEARANCE:
        if reply.level == Reply.Level.PRESS_OFFICE:
            messages.success(request, _("The reply awaits the press office's clearance."))
        else:
            messages.success(request, _("The reply awaits clearance by another officer or the press office."))
    else:
        messages.success(request, _("The reply is on its way."))
    return redirect(f"{conversation.get_absolute_url()}#reply")


def _reply(request: HttpRequest, reply_id: int) -> Reply:
    try:
        return selectors.reply_get(user=request.user, reply_id=reply_id)
    except Reply.DoesNotExist:
        raise Http404 from None


def _back(request: HttpRequest, reply: Reply) -> HttpResponse:
    if request.POST.get("next") == "queue":
        return redirect("conversations:reply_queue")
    return redirect(f"{reply.conversation.get_absolute_url()}#reply")


@require_POST
def reply_clear(request: HttpRequest, reply_id: int) -> HttpResponse:
    reply = _reply(request, reply_id)
    policy.require(request.user, "reply.clear", reply)
    form = ClearForm(request.POST)
    if not form.is_valid():
        _form_errors(request, form)
        return _back(request, reply)
    try:
        replies.reply_clear(actor=request.user, reply_id=reply.pk, note=form.cleaned_data["note"])
    except ValidationError as error:
        say_problems(request, error)
    else:
        messages.success(request, _("Cleared: the reply is on its way."))
    return _back(request, reply)


@require_POST
def reply_return(request: HttpRequest, reply_id: int) -> HttpResponse:
    reply = _reply(request, reply_id)
    policy.require(request.user, "reply.return", reply)
    form = ReturnForm(request.POST)
    if not form.is_valid():
        _form_errors(request, form)
        return _back(request, reply)
    try:
        replies.reply_return(actor=request.user, reply_id=reply.pk, note=form.cleaned_data["note"])
    except ValidationError as error:
        say_problems(request, error)
    else:
        messages.success(request, _("The reply went back to its writer."))
    return _back(request, reply)


@require_GET
def reply_queue(request: HttpRequest) -> HttpResponse:
    if not policy.can(request.user, "reply.queue"):
        raise PermissionDenied
    queued = list(selectors.reply_queue(user=request.user)[:200])
    for reply in queued:
        reply.may_clear = policy.can(request.user, "reply.clear", reply)
        reply.reasons_worded = [word(f"clearance.{code}") for code in reply.level_reasons]
    return render(
        request,
        "conversations/reply_queue.html",
        {
            "replies": queued,
            "clear_form": ClearForm(),
            "return_form": ReturnForm(),
            "measures": selectors.clearance_times(user=request.user),
        },
    )


# --- Moderation -----------------------------------------------------------------------------------


@require_POST
def item_hide(request: HttpRequest, item_id: int) -> HttpResponse:
    try:
        item = selectors.item_get(user=request.user, item_id=item_id)
    except Item.DoesNotExist:
        raise Http404 from None
    policy.require(request.user, "item.hide", item.conversation)
    form = HideForm(request.POST)
    back = f"{item.conversation.get_absolute_url()}#item-{item.pk}"
    if not form.is_valid():
        _form_errors(request, form)
        return redirect(back)
    data = form.cleaned_data
    try:
        moderation.item_set_hidden(
            actor=request.user, item_id=item.pk, hidden=data["hidden"], reason=data["reason"], note=data["note"]
        )
    except ValidationError as error:
        say_problems(request, error)
    else:
        messages.success(request, _("Hidden, with its reason on record.") if data["hidden"] else _("Shown again."))
    return redirect(back)


@require_POST
def item_propose_removal(request: HttpRequest, item_id: int) -> HttpResponse:
    try:
        item = selectors.item_get(user=request.user, item_id=item_id)
    except Item.DoesNotExist:
        raise Http404 from None
    policy.require(request.user, "item.remove", item.conversation)
    form = RemoveForm(request.POST)
    back = f"{item.conversation.get_absolute_url()}#moderation"
    if not form.is_valid():
        messages.error(request, word("hide.reason_required"))
        return redirect(back)
    try:
        moderation.item_propose_removal(
            actor=request.user, item_id=item.pk, reason=form.cleaned_data["reason"], note=form.cleaned_data["note"]
        )
    except ValidationError as error:
        say_problems(request, error)
    else:
        messages.success(request, _("Proposed: it is removed for good only when someone else confirms."))
    return redirect(back)


def _proposal(request: HttpRequest, action_id: int) -> ModerationAction:
    try:
        action = selectors.proposal_get(user=request.user, action_id=action_id)
    except ModerationAction.DoesNotExist:
        raise Http404 from None
    return action


@require_POST
def moderation_confirm(request: HttpRequest, action_id: int) -> HttpResponse:
    action = _proposal(request, action_id)
    back = request.POST.get("next") == "inbox" and reverse("conversations:inbox")
    back = back or f"{action.item.conversation.get_absolute_url()}#moderation"
    try:
        confirmed = moderation.moderation_confirm(actor=request.user, action_id=action.pk)
    except ValidationError as error:
        say_problems(request, error)
    else:
        messages.success(
            request,
            _("Confirmed: it is being removed for good.") if confirmed.removes else _("Confirmed: it is being hidden."),
        )
    return redirect(back)


@require_POST
def moderation_dismiss(request: HttpRequest, action_id: int) -> HttpResponse:
    action = _proposal(request, action_id)
    back = request.POST.get("next") == "inbox" and reverse("conversations:inbox")
    back = back or f"{action.item.conversation.get_absolute_url()}#moderation"
    try:
        moderation.moderation_dismiss(actor=request.user, action_id=action.pk, note=request.POST.get("note", "")[:2000])
    except ValidationError as error:
        say_problems(request, error)
    else:
        messages.success(request, _("Dismissed: nothing was done to the item."))
    return redirect(back)


# --- The answer library ---------------------------------------------------------------------------


@require_GET
def line_library(request: HttpRequest) -> HttpResponse:
    if not policy.can(request.user, "line.view"):
        raise PermissionDenied
    library = list(selectors.library(user=request.user)[:500])
    now = timezone.now()
    for line in library:
        line.may_approve = policy.can(request.user, "line.approve", line)
        line.is_in_force = line.in_force(now)
    return render(request, "conversations/lines.html", {"lines": library, "form": LineForm()})


@require_POST
def line_create(request: HttpRequest) -> HttpResponse:
    policy.require(request.user, "line.propose")
    form = LineForm(request.POST)
    if not form.is_valid():
        _form_errors(request, form)
        return redirect("conversations:lines")
    data = form.cleaned_data
    mission_ids = sorted(policy.mission_ids_of(request.user))
    draft = line_services.LineDraft(
        topic=data["topic"],
        title=data["title"],
        category=data["category"],
        language=data["language"],
        text=data["text"],
        crisis=data["crisis"],
        valid_until=data["valid_until"],
        mission_id=mission_ids[0] if mission_ids and not policy.sees_all_missions(request.user) else None,
    )
    try:
        line = line_services.line_write(actor=request.user, draft=draft)
    except ValidationError as error:
        say_problems(request, error)
        return redirect("conversations:lines")
    if line.state == AnswerLine.State.APPROVED:
        messages.success(request, _("The line is in the library."))
    else:
        messages.success(request, _("The line is proposed: headquarters approves it."))
    return redirect(f"{reverse('conversations:lines')}#line-{line.pk}")


def _line(request: HttpRequest, line_id: int) -> AnswerLine:
    if not policy.can(request.user, "line.view"):
        raise PermissionDenied
    try:
        return selectors.line_get(user=request.user, line_id=line_id)
    except AnswerLine.DoesNotExist:
        raise Http404 from None


@require_POST
def line_approve(request: HttpRequest, line_id: int) -> HttpResponse:
    line = _line(request, line_id)
    policy.require(request.user, "line.approve", line)
    try:
        line_services.line_approve(actor=request.user, line_id=line.pk)
    except ValidationError as error:
        say_problems(request, error)
    else:
        messages.success(request, _("The line is approved."))
    return redirect(f"{reverse('conversations:lines')}#line-{line.pk}")


@require_POST
def line_withdraw(request: HttpRequest, line_id: int) -> HttpResponse:
    line = _line(request, line_id)
    policy.require(request.user, "line.approve", line)
    line_services.line_withdraw(actor=request.user, line_id=line.pk)
    messages.success(request, _("The line is withdrawn; the replies that used it show it."))
    return redirect(f"{reverse('conversations:lines')}#line-{line.pk}")
