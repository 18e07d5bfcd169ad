"""The message page: previews, attachments, the thread, the history, and the decisions
(approve, request changes, reject) and submit taken from it. Another mission's message
answers 404 (selectors.message_get)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from django.contrib import messages as flash
from django.core.exceptions import ValidationError
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import formats, timezone
from django.utils.html import format_html
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from diplomacy_hub import policy
from diplomacy_hub.localtime import hq_zone, place_of, zone_city, zone_of
from embassies.roles import Role
from posts.draft import draft_of
from posts.forms import ApproveForm, CommentForm, DecisionForm
from posts.lifecycle import MESSAGE_WITH_AUTHOR, event_label
from posts.models import Delivery, Event, InvalidTransition, Message, Review
from posts.panels import message_panels
from posts.problems import word
from posts.selectors import messages as selectors
from posts.selectors.desks import open_assignment
from posts.selectors.timing import moment_advice
from posts.services import messages as drafting
from posts.services import review
from posts.services.messages import StaleVersion
from posts.services.review import ValidationProblems
from posts.textdiff import TextChange, changes_since, texts_snapshot
from posts.validation import language_name, network_label
from posts.views.common import render_page
from posts.views.previews import build_preview

# What an edit changed, as the history says it ("message.edit" records the parts' names).
CHANGED_PARTS = {
    "title": gettext_lazy("internal title"),
    "desired_at": gettext_lazy("desired time"),
    "texts": gettext_lazy("texts"),
    "targets": gettext_lazy("target accounts"),
}
HISTORY_DELIVERY_EVENTS = 200


@dataclass
class HistoryEntry:
    event: Event
    label: str
    from_label: str
    to_label: str
    detail: str
    account: str = ""


def _state_label(states, value: str) -> str:
    try:
        return str(states(value).label)
    except ValueError:
        return value


def _event_detail(event: Event) -> str:
    details = event.details or {}
    if event.verb in ("message.request_changes", "message.reject"):
        return str(details.get("comment", ""))
    if event.verb == "message.cancel":
        return str(details.get("reason", ""))
    if event.verb in ("message.attachment_add", "message.attachment_remove"):
        return str(details.get("name", ""))
    if event.verb == "message.edit":
        return ", ".join(str(CHANGED_PARTS.get(part, part)) for part in details.get("changed", []))
    if event.delivery_id and details.get("reason"):
        # Worded for the reader when the reason is ours; the network's words as they came.
        return word(details.get("reason_code", ""), details.get("reason_params"), default=str(details["reason"]))[:200]
    return ""


def _entry(event: Event) -> HistoryEntry:
    states = Delivery.State if event.delivery_id else Message.State
    return HistoryEntry(
        event=event,
        label=event_label(event.verb),
        from_label=_state_label(states, event.from_state) if event.from_state else "",
        to_label=_state_label(states, event.to_state) if event.to_state else "",
        detail=_event_detail(event),
    )


def _history(message: Message) -> tuple[list[HistoryEntry], list[HistoryEntry], int]:
    """The message's own events, the latest of its deliveries' events (with the account
    each concerns) and how many of those there are."""
    main = [_entry(event) for event in message.message_events]
    events, count = selectors.delivery_history(message=message, limit=HISTORY_DELIVERY_EVENTS)
    deliveries = []
    for event in events:
        entry = _entry(event)
        account = event.delivery.account
        entry.account = f"{account.get_network_display()} {account.handle or account.display_name}"
        deliveries.append(entry)
    return main, deliveries, count


def _decision_forms(message: Message, data=None, which: str = "") -> dict:
    return {
        "approve_form": ApproveForm(data if which == "approve" else None, message=message),
        "changes_form": DecisionForm(
            data if which == "changes" else None,
            message=message,
            prefix="changes",
            required_message=_("Say what should change: the author reads it."),
        ),
        "reject_form": DecisionForm(
            data if which == "reject" else None,
            message=message,
            prefix="reject",
            required_message=_("Say why the message is rejected: the author reads it."),
        ),
    }


def _detail_page(
    request: HttpRequest,
    message: Message,
    *,
    status: int = 200,
    stale: bool = False,
    forms: dict | None = None,
    comment_form: CommentForm | None = None,
) -> HttpResponse:
    user = request.user
    # Four eyes is the policy's (Message.writer_ids): whoever wrote part of it may not decide.
    can_decide = message.state == Message.State.IN_REVIEW and policy.can(user, "message.approve", message)
    history, delivery_history, delivery_event_count = _history(message)
    tally = selectors.delivery_states(message=message)
    tally.pop(Delivery.State.CANCELLED, None)
    reviews = list(message.reviews.all())
    last_review = reviews[-1] if reviews else None
    context = {
        "message": message,
        "preview": build_preview(draft_of(message)),
        "attachments": list(message.attachments.all()),
        "targets": list(message.targets.all()),
        "comments": list(message.comments.all()),
        "reviews": reviews,
        "last_change_request": next(
            (review for review in reversed(reviews) if review.decision == Review.Decision.REQUEST_CHANGES), None
        ),
        "last_review": last_review,
        "changes_since_request": (
            _named(changes_since(last_review.texts, texts_snapshot(message)))
            if message.state == Message.State.IN_REVIEW
            and last_review is not None
            and last_review.decision == Review.Decision.REQUEST_CHANGES
            and last_review.texts
            else []
        ),
        "history": history,
        "delivery_history": delivery_history,
        "delivery_event_count": delivery_event_count,
        "delivery_states": [
            (label, tally[value], value) for value, label in Delivery.State.choices if tally.get(value)
        ],
        "delivery_total": sum(tally.values()),
        "panels": message_panels(user=user, message=message),
        "can_edit": (
            policy.can(user, "message.edit", message)
            and message.state in Message.EDITABLE_STATES
            and not message.is_crisis
        ),
        "can_submit": (policy.can(user, "message.submit", message) and message.state in MESSAGE_WITH_AUTHOR),
        "can_decide": can_decide,
        "is_reviewer_but_author": (
            message.state == Message.State.IN_REVIEW
            and not can_decide
            and policy.has_role(user, Role.PRESS_OFFICE, Role.CRISIS_UNIT)
        ),
        "stale": stale,
        "comment_form": comment_form or CommentForm(),
        "zone_place": place_of(message.mission),
        "now": timezone.now(),
    }
    if message.state == Message.State.IN_REVIEW:
        context["review_assignment"] = open_assignment(message=message)
    if can_decide:
        context.update(forms or _decision_forms(message))
        if message.mission is not None:
            # When to publish (issue 18 §5): the day's notes and a time its audience is awake.
            wanted = (
                message.desired_at if message.desired_at and message.desired_at > context["now"] else context["now"]
            )
            context["advice"] = moment_advice(mission=message.mission, moment=wanted)
    return render_page(request, "posts/message_detail.html", context, status=status)


def _named(changes: list[TextChange]) -> list[TextChange]:
    """Each change with `label`: its language, and its network for a network's variant."""
    for change in changes:
        change.label = language_name(change.language)
        if change.network:
            change.label = f"{change.label} · {network_label(change.network)}"
    return changes


@require_GET
def message_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return _detail_page(request, selectors.message_get(user=request.user, pk=pk))


def _decide(request: HttpRequest, pk: int, which: str) -> HttpResponse:
    message = selectors.message_get(user=request.user, pk=pk)
    forms = _decision_forms(message, request.POST, which)
    form = forms[{"approve": "approve_form", "changes": "changes_form", "reject": "reject_form"}[which]]
    if form.is_valid():
        version = form.cleaned_data["version"]
        comment = form.cleaned_data.get("comment", "")
        try:
            if which == "approve":
                done = review.message_approve(
                    actor=request.user,
                    message_id=message.pk,
                    publish_at=form.publish_at(),
                    expected_version=version,
                    comment=comment,
                )
                _flash_approved(request, done)
            elif which == "changes":
                review.message_request_changes(
                    actor=request.user, message_id=message.pk, comment=comment, expected_version=version
                )
                flash.success(
                    request, _("Changes requested: “%(title)s” is back with its author.") % {"title": message.title}
                )
            else:
                done = review.message_reject(
                    actor=request.user, message_id=message.pk, comment=comment, expected_version=version
                )
                # Say "told" only when an email to the author was really queued.
                told = done.author_told
                flash.success(
                    request,
                    (_("“%(title)s” is rejected. Its author has been told.") if told else _("“%(title)s” is rejected."))
                    % {"title": message.title},
                )
            return redirect(
                "posts:review_queue" if policy.can(request.user, "message.review_queue") else message.get_absolute_url()
            )
        except StaleVersion:
            return _detail_page(request, message, status=409, stale=True)
        except ValidationProblems as problems:
            for problem in problems.blocking:
                form.add_error(None, problem.message)
        except ValidationError as error:
            form.add_service_error(error)
        except InvalidTransition as error:
            form.add_error(None, str(error))
    return _detail_page(request, message, status=400, forms=forms)


def _flash_approved(request: HttpRequest, message: Message) -> None:
    """Says when the message goes out, with a link to where its progress is followed: the
    crisis board for an alert, the delivery monitor otherwise."""
    if message.scheduled_at and message.scheduled_at > timezone.now() + timedelta(minutes=1):
        hq = message.scheduled_at.astimezone(hq_zone())
        local = message.scheduled_at.astimezone(zone_of(message.mission))
        said = _("Approved: “%(title)s” goes out %(local)s in %(place)s (%(hq)s in %(hq_place)s).") % {
            "title": message.title,
            "local": formats.date_format(local, "DATETIME_FORMAT"),
            "place": place_of(message.mission),
            "hq": formats.time_format(hq, "TIME_FORMAT"),
            "hq_place": zone_city(hq_zone()),
        }
    else:
        said = _("Approved: “%(title)s” is going out now.") % {"title": message.title}
    if message.is_crisis:
        url, link = reverse("posts:crisis_board", args=[message.pk]), _("Follow it on the crisis board")
    else:
        url, link = reverse("posts:monitor", args=[message.pk]), _("Follow it on the delivery monitor")
    # Django's message storage keeps the safe mark, so the link arrives as a link.
    flash.success(request, format_html('{} <a href="{}">{}</a>', said, url, link))


@require_POST
def message_approve(request: HttpRequest, pk: int) -> HttpResponse:
    return _decide(request, pk, "approve")


@require_POST
def message_request_changes(request: HttpRequest, pk: int) -> HttpResponse:
    return _decide(request, pk, "changes")


@require_POST
def message_reject(request: HttpRequest, pk: int) -> HttpResponse:
    return _decide(request, pk, "reject")


@require_POST
def message_submit(request: HttpRequest, pk: int) -> HttpResponse:
    """Submit from the message page; any problem sends the author to the form, where each
    one is shown beside its field."""
    message = selectors.message_get(user=request.user, pk=pk)
    try:
        version = int(request.POST.get("version", ""))
    except ValueError:
        version = None
    try:
        review.message_submit(actor=request.user, message_id=message.pk, expected_version=version)
    except StaleVersion:
        return _detail_page(request, message, status=409, stale=True)
    except ValidationProblems:
        flash.error(request, _("This message cannot be submitted yet: each problem is shown beside its field."))
        return redirect(reverse("posts:message_edit", args=[message.pk]) + "?check=1")
    except InvalidTransition as error:
        flash.error(request, str(error))
        return redirect(message.get_absolute_url())
    flash.success(request, _("Submitted for review."))
    return redirect(message.get_absolute_url())


@require_POST
def comment_add(request: HttpRequest, pk: int) -> HttpResponse:
    message = selectors.message_get(user=request.user, pk=pk)
    form = CommentForm(request.POST)
    if form.is_valid():
        try:
            drafting.comment_add(actor=request.user, message_id=message.pk, body=form.cleaned_data["body"])
        except ValidationError as error:
            form.add_service_error(error)
        else:
            return redirect(message.get_absolute_url() + "#comments")
    return _detail_page(request, message, status=400, comment_form=form)


@require_GET
def attachment_file(request: HttpRequest, pk: int, attachment_id: int) -> HttpResponse:
    """An attachment's file, for those who may see its message (never through MEDIA_URL)."""
    attachment = selectors.attachment_get(user=request.user, message_id=pk, pk=attachment_id)
    try:
        handle = attachment.file.open("rb")
    except (FileNotFoundError, ValueError):
        raise Http404("The file is missing.") from None
    response = FileResponse(handle, content_type=attachment.mime_type, filename=attachment.original_name)
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response["Cache-Control"] = "private, max-age=600"
    return response
