"""Crisis alerts: the list, the form (with the reach of what is typed), the progress board
per region (live) and the approval by a second person. The reads are
posts/selectors/operations.py's; another mission's alert is not found (404)."""

from __future__ import annotations

from django.contrib import messages as flash
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db import transaction
from django.forms import Form
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from diplomacy_hub import policy
from posts.forms_operations import CrisisAlertForm, CrisisReachForm, EmptyActionForm
from posts.lifecycle import MESSAGE_APPROVED, MESSAGE_IN_PROGRESS
from posts.models import Message
from posts.selectors import operations as ops
from posts.selectors.operations import Reach
from posts.services.crisis import crisis_alert_create
from posts.services.review import message_approve, message_submit
from posts.validation import ValidationProblems, language_name
from posts.views.confirm import Action, confirm_or_act, posted, service_error
from posts.views.words import annotate_problems, pauses_in_force, scope_in_words

MState = Message.State

POLL_SECONDS = 2
MESSAGES_PER_PAGE = 50
FAILED_ON_BOARD = 20


@require_GET
def crisis_list(request: HttpRequest) -> HttpResponse:
    if not policy.sees_all_missions(request.user):
        raise PermissionDenied
    page = Paginator(ops.crisis_alerts(user=request.user), MESSAGES_PER_PAGE).get_page(request.GET.get("page"))
    page.object_list = ops.with_target_counts(ops.with_delivery_counts(page.object_list))
    for alert in page.object_list:
        alert.scope_words = scope_in_words(alert.crisis_scope or {})
    return render(
        request,
        "posts/crisis/list.html",
        {
            "page": page,
            "may_create": policy.can(request.user, "crisis.create"),
            "now": timezone.now(),
        },
    )


def _reach_for(form: Form) -> Reach | None:
    """The reach of a valid form only: an invalid one says what to fix instead."""
    if form.errors:
        return None
    scope = form.cleaned_data.get("scope")
    if not scope:
        return None
    return ops.crisis_reach(scope=scope, networks=form.cleaned_data["networks"])


@require_http_methods(["GET", "POST"])
def crisis_create(request: HttpRequest) -> HttpResponse:
    """Write a crisis alert, see whom it reaches, and send it for review (a second person
    approves it). Creating and submitting happen together: an alert the networks would
    refuse leaves nothing behind."""
    policy.require(request.user, "crisis.create")
    form = CrisisAlertForm(posted(request))
    status = 200
    errors: list[str] = []
    text_problems: list[str] = []
    reach = None
    if request.method == "POST":
        valid = form.is_valid()
        reach = _reach_for(form)
        if valid and request.POST.get("action") == "submit":
            try:
                with transaction.atomic():
                    alert = crisis_alert_create(
                        actor=request.user,
                        title=form.cleaned_data["title"],
                        texts=form.cleaned_data["texts"],
                        scope=form.cleaned_data["scope"],
                        networks=form.cleaned_data["networks"],
                    )
                    message_submit(actor=request.user, message_id=alert.pk)
            except ValidationProblems as problems:
                text_problems = [
                    problem.message for problem in problems.blocking if problem.field in ("text", "texts", "title")
                ]
                errors = [
                    problem.message for problem in problems.blocking if problem.field not in ("text", "texts", "title")
                ]
                status = 400
            except ValidationError as error:
                mapped = (
                    ValidationError(
                        {
                            {
                                "texts": "text_fr",
                                "scope": "countries"
                                if form.cleaned_data.get("scope_kind") == "countries"
                                else "regions",
                            }.get(name, name): messages
                            for name, messages in error.message_dict.items()
                        }
                    )
                    if hasattr(error, "error_dict")
                    else error
                )
                errors = service_error(form, mapped)
                status = 400
            else:
                flash.success(
                    request,
                    _(
                        "The alert is written and waits for approval by another member of the "
                        "crisis unit or the press office. Follow it here."
                    ),
                )
                return redirect("posts:crisis_board", pk=alert.pk)
        elif not valid:
            status = 400
    return render(
        request,
        "posts/crisis/create.html",
        {
            "form": form,
            "reach": reach,
            "errors": errors,
            "text_problems": text_problems,
        },
        status=status,
    )


@require_GET
def crisis_reach_preview(request: HttpRequest) -> HttpResponse:
    """The reach of the scope and networks being typed (the form's live preview)."""
    policy.require(request.user, "crisis.create")
    form = CrisisReachForm(request.GET)
    form.is_valid()
    return render(request, "posts/crisis/_reach.html", {"form": form, "reach": _reach_for(form)})


@require_GET
def crisis_board(request: HttpRequest, pk: int) -> HttpResponse:
    """How far an alert has gone: accounts reached, failed and waiting, per region; live."""
    alert = ops.crisis_alert_get(user=request.user, pk=pk)
    approved = alert.state in MESSAGE_APPROVED
    counts = ops.message_counts(message=alert)
    regions = ops.board_regions(message=alert, approved=approved or counts.total > 0)
    failed = annotate_problems(ops.crisis_problems(alert=alert, limit=FAILED_ON_BOARD))
    live = alert.state in MESSAGE_IN_PROGRESS or bool(counts.live)
    user = request.user
    may_approve = alert.state == MState.IN_REVIEW and policy.can(user, "message.approve", alert)
    context = {
        "alert": alert,
        "counts": counts,
        "regions": regions,
        "failed": failed,
        "approved": approved,
        "targets": sum(row.accounts for row in regions),
        "missions": sum(row.missions for row in regions),
        "scope_words": scope_in_words(alert.crisis_scope or {}),
        "live": live,
        "poll_seconds": POLL_SECONDS,
        "poll_url": request.get_full_path(),
        "now": timezone.now(),
        "may_approve": may_approve,
        # Only said when it is why: it costs a query (whoever changed the text is a writer too).
        "is_author": alert.state == MState.IN_REVIEW and not may_approve and policy.wrote_part(user, alert),
        "may_operate": policy.can(user, "delivery.retry", alert),
        "pauses": pauses_in_force(),
    }
    if not request.htmx:
        context["texts"] = [
            {"language": text.language, "name": language_name(text.language), "body": text.body}
            for text in ops.crisis_texts(alert=alert)
        ]
    template = "posts/crisis/_board_live.html" if request.htmx else "posts/crisis/board.html"
    return render(request, template, context)


@require_http_methods(["GET", "POST"])
def crisis_approve(request: HttpRequest, pk: int) -> HttpResponse:
    """Approve an alert for now, from its board: someone other than its author."""
    alert = ops.crisis_alert_get(user=request.user, pk=pk)
    back = reverse("posts:crisis_board", args=[alert.pk])
    policy.require(request.user, "message.approve", alert)  # four eyes: whoever wrote part of it too
    targets = ops.target_count(message=alert)
    form = EmptyActionForm(posted(request), initial={"version": alert.version})

    def act(form):
        try:
            message_approve(
                actor=request.user,
                message_id=alert.pk,
                publish_at=None,
                expected_version=form.cleaned_data.get("version"),
            )
        except PermissionDenied as refusal:
            raise ValidationError(str(refusal)) from None
        flash.success(request, _("Approved: the alert is going out now through the crisis lane."))
        return redirect(back)

    action = Action(
        title=_("Approve this crisis alert and send it now?"),
        lead=_("“%(title)s”, written by %(author)s, goes to %(count)s accounts (%(scope)s) at once.")
        % {
            "title": alert.title,
            "author": alert.author.get_full_name() or alert.author.get_username(),
            "count": targets,
            "scope": scope_in_words(alert.crisis_scope or {}),
        },
        consequences=[
            _("Read every language of the text on the board before approving: it is published as it is."),
            _("Once out, it can only be retracted, post by post."),
        ],
        button=_("Approve and send now"),
        back_url=back,
        danger=True,
    )
    if alert.state != MState.IN_REVIEW:
        flash.info(
            request, _("This alert is “%(state)s”: there is nothing to approve.") % {"state": alert.get_state_display()}
        )
        return redirect(back)
    return confirm_or_act(request, form=form, action=action, act=act, context={"message": alert})
