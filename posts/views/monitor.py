"""The delivery monitor: approved messages going out, and one message's deliveries with
the actions on them (retry, settle, cancel, retract, release), each behind its
confirmation page (posts/views/confirm.py). The reads are posts/selectors/operations.py's;
another mission's message or delivery answers 404. Live parts are htmx fragments polled
while anything can still change."""

from __future__ import annotations

from django.contrib import messages as flash
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import formats, timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.http import require_GET, require_http_methods

from diplomacy_hub import policy
from diplomacy_hub.errors import InvalidInput
from diplomacy_hub.ids import parse_ids
from diplomacy_hub.localtime import hq_context, hq_zone
from posts.forms_operations import CancelForm, EmptyActionForm, ReleaseForm, SettleForm
from posts.lifecycle import MESSAGE_APPROVED, MESSAGE_CANCELLABLE, MESSAGE_LIVE, MESSAGE_RETRYABLE
from posts.models import Delivery, InvalidTransition, Message
from posts.selectors import operations as ops
from posts.services import operations
from posts.services.review import message_cancel
from posts.views.confirm import Action, confirm_or_act, posted
from posts.views.words import annotate_problems, delivery_problem, pause_words, pauses_in_force

State = Delivery.State
MState = Message.State

POLL_SECONDS = 2
LIST_POLL_SECONDS = 3
DELIVERIES_PER_PAGE = 25  # problems first; the counts above say how many of each
MESSAGES_PER_PAGE = 50

MONITOR_LIST_VIEWS = {
    "recent": gettext_lazy("Recent and going out"),
    "attention": gettext_lazy("Need attention"),
    "out": gettext_lazy("Going out now"),
    "scheduled": gettext_lazy("Scheduled later"),
    "done": gettext_lazy("Finished"),
}
MONITOR_FILTERS = {
    "all": gettext_lazy("All"),
    "problems": gettext_lazy("Problems"),
    "waiting": gettext_lazy("On their way"),
    "sent": gettext_lazy("Sent"),
}


def _require_some_role(user) -> None:
    if not policy.roles_of(user):
        raise PermissionDenied


@require_GET
def monitor_list(request: HttpRequest) -> HttpResponse:
    """Approved messages going out, waiting or finished lately, with their deliveries
    counted; those with failed, held or unknown deliveries first."""
    _require_some_role(request.user)
    show = request.GET.get("show", "recent")
    if show not in MONITOR_LIST_VIEWS:
        show = "recent"
    now = timezone.now()
    page = Paginator(ops.monitor_messages(user=request.user, show=show, now=now), MESSAGES_PER_PAGE).get_page(
        request.GET.get("page")
    )
    page.object_list = ops.with_delivery_counts(page.object_list)
    live = any(m.state in MESSAGE_LIVE or m.waiting or m.held or m.unknown for m in page.object_list)
    context = {
        "page": page,
        "show": show,
        "views": MONITOR_LIST_VIEWS,
        "now": now,
        "live": live,
        "poll_seconds": LIST_POLL_SECONDS,
        "poll_url": request.get_full_path(),
        "pauses": pauses_in_force(),
        **hq_context(),
    }
    template = "posts/operations/_monitor_list_live.html" if request.htmx else "posts/operations/monitor_list.html"
    return render(request, template, context)


@require_GET
def monitor(request: HttpRequest, pk: int) -> HttpResponse:
    """One message's deliveries, per account: state, attempts, the last error in words, the
    link to what was published, and the actions the user may take. Live while anything
    can still change."""
    message = ops.message_for_monitor(user=request.user, pk=pk)
    show = request.GET.get("show", "all")
    if show not in MONITOR_FILTERS:
        show = "all"
    now = timezone.now()
    networks = ops.counts_by_network(message=message, user=request.user)
    counts = ops.Counts.sum(row.counts for row in networks)
    page = Paginator(
        ops.monitor_deliveries(message=message, show=show, user=request.user), DELIVERIES_PER_PAGE
    ).get_page(request.GET.get("page"))
    retracting = ops.retraction_in_progress(message=message, counts=counts, now=now)
    live = bool(counts.live) or message.state == MState.PUBLISHING or retracting
    user = request.user
    may_operate = policy.can(user, "delivery.retry", message)
    context = {
        "message": message,
        "counts": counts,
        "networks": networks,
        "page": page,
        "deliveries": annotate_problems(page.object_list),
        "show": show,
        "filters": MONITOR_FILTERS,
        "now": now,
        "live": live,
        "retracting": retracting,
        "poll_seconds": POLL_SECONDS,
        "poll_url": request.get_full_path(),
        "approved": message.state in MESSAGE_APPROVED,
        "may_operate": may_operate,
        "may_retry_failed": may_operate and counts.failed and message.state in MESSAGE_RETRYABLE,
        "may_cancel": (
            policy.can(user, "message.cancel", message) and counts.pending and message.state in MESSAGE_CANCELLABLE
        ),
        "may_retract": (
            policy.can(user, "message.retract", message)
            and counts.sent
            and MState.RETRACTED in Message.TRANSITIONS[message.state]
        ),
        "may_release": policy.can(user, "message.schedule", message) and counts.held,
        "may_manage_accounts": policy.can(user, "account.manage"),
        "pauses": pauses_in_force(),
        **hq_context(),
    }
    template = "posts/operations/_monitor_live.html" if request.htmx else "posts/operations/monitor.html"
    return render(request, template, context)


def _back_to_monitor(message: Message) -> str:
    return reverse("posts:monitor", args=[message.pk])


@require_http_methods(["GET", "POST"])
def delivery_retry(request: HttpRequest, delivery_id: int) -> HttpResponse:
    delivery = ops.delivery_for_action(user=request.user, delivery_id=delivery_id)
    message = delivery.message
    policy.require(request.user, "delivery.retry", message)
    delivery.problem = delivery_problem(delivery)
    network = delivery.account.get_network_display()

    def act(form):
        operations.delivery_retry(actor=request.user, delivery_id=delivery.pk)
        flash.success(
            request,
            _("The delivery to %(account)s is on its way again.")
            % {"account": f"{network} {delivery.account.handle}".strip()},
        )
        return redirect(_back_to_monitor(message))

    action = Action(
        title=_("Retry this delivery?"),
        lead=_("“%(title)s” goes to %(network)s %(account)s (%(mission)s) again, now.")
        % {
            "title": message.title,
            "network": network,
            "account": delivery.account.handle,
            "mission": delivery.account.mission.display_name,
        },
        consequences=[
            ngettext(
                "It failed after %(count)s attempt: %(problem)s.",
                "It failed after %(count)s attempts: %(problem)s.",
                delivery.attempts,
            )
            % {"count": delivery.attempts, "problem": delivery.problem or _("no reason recorded")},
            _("Retry only once the cause is dealt with (the account reconnected, the text fixed)."),
        ],
        button=_("Yes, retry it now"),
        back_url=_back_to_monitor(message),
    )
    return confirm_or_act(
        request,
        form=EmptyActionForm(posted(request)),
        action=action,
        act=act,
        context={"message": message, "delivery": delivery},
    )


@require_http_methods(["GET", "POST"])
def delivery_settle(request: HttpRequest, delivery_id: int) -> HttpResponse:
    delivery = ops.delivery_for_action(user=request.user, delivery_id=delivery_id)
    message = delivery.message
    policy.require(request.user, "delivery.settle", message)
    delivery.problem = delivery_problem(delivery)
    network = delivery.account.get_network_display()

    def act(form):
        outcome = form.cleaned_data["outcome"]
        operations.delivery_settle(
            actor=request.user,
            delivery_id=delivery.pk,
            outcome=outcome,
            external_url=form.cleaned_data.get("external_url") or "",
        )
        if outcome == "sent":
            flash.success(request, _("Recorded as published on %(network)s.") % {"network": network})
        else:
            flash.success(request, _("Recorded as not published: it is now failed, and you can retry it."))
        return redirect(_back_to_monitor(message))

    action = Action(
        title=_("Was it published?"),
        lead=_(
            "%(network)s %(account)s (%(mission)s) may or may not have received “%(title)s”: the "
            "network's answer was lost."
        )
        % {
            "network": network,
            "account": delivery.account.handle,
            "mission": delivery.account.mission.display_name,
            "title": message.title,
        },
        consequences=[
            _("Open the account on %(network)s and look for the post before you answer.") % {"network": network},
            _("Nothing is ever sent twice by itself: if you say it was not published, you can retry it."),
        ],
        button=_("Record my answer"),
        back_url=_back_to_monitor(message),
    )
    return confirm_or_act(
        request,
        form=SettleForm(posted(request)),
        action=action,
        act=act,
        context={"message": message, "delivery": delivery},
    )


@require_http_methods(["GET", "POST"])
def monitor_retry_failed(request: HttpRequest, pk: int) -> HttpResponse:
    """Retry every failed delivery of a message (each through `delivery_retry`)."""
    message = ops.message_for_monitor(user=request.user, pk=pk)
    policy.require(request.user, "delivery.retry", message)
    failed = annotate_problems(ops.deliveries_of(message=message, state=State.FAILED))

    def act(form):
        retried = 0
        for delivery in failed:
            try:
                operations.delivery_retry(actor=request.user, delivery_id=delivery.pk)
                retried += 1
            except InvalidTransition:
                continue  # retried by someone else meanwhile, or no longer failed
        flash.success(
            request,
            ngettext("%(count)s delivery is on its way again.", "%(count)s deliveries are on their way again.", retried)
            % {"count": retried},
        )
        return redirect(_back_to_monitor(message))

    action = Action(
        title=_("Retry every failed delivery?"),
        lead=ngettext(
            "%(count)s delivery of “%(title)s” failed. It will be tried again now.",
            "%(count)s deliveries of “%(title)s” failed. They will be tried again now.",
            len(failed),
        )
        % {"count": len(failed), "title": message.title},
        consequences=[_("Retry only once the cause is dealt with (the account reconnected, the text fixed).")],
        button=_("Yes, retry them now"),
        back_url=_back_to_monitor(message),
        items=failed,
    )
    return confirm_or_act(
        request, form=EmptyActionForm(posted(request)), action=action, act=act, context={"message": message}
    )


@require_http_methods(["GET", "POST"])
def monitor_cancel(request: HttpRequest, pk: int) -> HttpResponse:
    message = ops.message_for_monitor(user=request.user, pk=pk)
    policy.require(request.user, "message.cancel", message)
    counts = ops.message_counts(message=message)

    def act(form):
        result = message_cancel(actor=request.user, message_id=message.pk, reason=form.cleaned_data["reason"])
        left = getattr(result, "left_in_flight", [])
        if left:
            flash.warning(
                request,
                ngettext(
                    "Cancelled what had not left. %(count)s delivery was already being sent: it will finish.",
                    "Cancelled what had not left. %(count)s deliveries were already being sent: they will finish.",
                    len(left),
                )
                % {"count": len(left)},
            )
        else:
            flash.success(
                request, _("“%(title)s” is cancelled: nothing more of it will go out.") % {"title": message.title}
            )
        return redirect(_back_to_monitor(message))

    consequences = [
        ngettext(
            "%(count)s delivery that has not left yet will never go out.",
            "%(count)s deliveries that have not left yet will never go out.",
            counts.pending,
        )
        % {"count": counts.pending},
    ]
    if counts.sent:
        consequences.append(
            ngettext(
                "%(count)s delivery already published stays online: retract it to delete it.",
                "%(count)s deliveries already published stay online: retract them to delete them.",
                counts.sent,
            )
            % {"count": counts.sent}
        )
    action = Action(
        title=_("Cancel this message?"),
        lead=_("“%(title)s” will not go out any more.") % {"title": message.title},
        consequences=consequences,
        button=_("Yes, cancel it"),
        back_url=_back_to_monitor(message),
        danger=True,
    )
    return confirm_or_act(
        request, form=CancelForm(posted(request)), action=action, act=act, context={"message": message}
    )


@require_http_methods(["GET", "POST"])
def monitor_retract(request: HttpRequest, pk: int) -> HttpResponse:
    message = ops.message_for_monitor(user=request.user, pk=pk)
    policy.require(request.user, "message.retract", message)
    sent = ops.deliveries_of(message=message, state=State.SENT)

    def act(form):
        operations.message_retract(actor=request.user, message_id=message.pk)
        flash.success(
            request,
            _(
                "Retraction started: the posts are being deleted from each network. This page "
                "shows the result for each one."
            ),
        )
        return redirect(_back_to_monitor(message))

    # One post per account and language: two accounts in two languages are four posts.
    accounts = len({delivery.account_id for delivery in sent})
    action = Action(
        title=_("Retract this message?"),
        lead=ngettext(
            "“%(title)s” will be deleted from the %(count)s account where it was published.",
            "“%(title)s” will be deleted from the %(count)s accounts where it was published.",
            accounts,
        )
        % {"title": message.title, "count": accounts},
        consequences=[_("Deleting cannot be undone. Comments and shares on those posts are lost with them.")],
        button=_("Yes, delete it everywhere"),
        back_url=_back_to_monitor(message),
        danger=True,
        items=sent,
    )
    return confirm_or_act(
        request, form=EmptyActionForm(posted(request)), action=action, act=act, context={"message": message}
    )


def _zone_of(message: Message):
    if message.mission_id:
        return message.mission.zone, message.mission.display_city
    return hq_zone(), _("headquarters")


def release_held(request: HttpRequest, *, delivery_ids: list[int], publish_at) -> int:
    released = (
        operations.held_release(actor=request.user, delivery_ids=delivery_ids, publish_at=publish_at)
        if delivery_ids
        else []
    )
    if publish_at is None:
        flash.success(
            request,
            ngettext(
                "%(count)s delivery released: it goes out now.",
                "%(count)s deliveries released: they go out now.",
                len(released),
            )
            % {"count": len(released)},
        )
    else:
        local = timezone.localtime(publish_at, publish_at.tzinfo)
        flash.success(
            request,
            ngettext(
                "%(count)s delivery released for %(time)s.",
                "%(count)s deliveries released for %(time)s.",
                len(released),
            )
            % {
                "count": len(released),
                "time": f"{formats.date_format(local, 'SHORT_DATETIME_FORMAT')} {local.tzname()}",
            },
        )
    return len(released)


@require_http_methods(["GET", "POST"])
def monitor_release(request: HttpRequest, pk: int) -> HttpResponse:
    """Release a message's held deliveries (or some of them), now or at a time in the
    mission's zone. Those an active pause still covers are left held."""
    message = ops.message_for_monitor(user=request.user, pk=pk)
    policy.require(request.user, "message.schedule", message)
    zone, zone_label = _zone_of(message)
    wanted = request.POST.get("deliveries") or request.GET.get("deliveries") or ""
    form = ReleaseForm(posted(request), zone=zone, zone_label=zone_label, initial={"deliveries": wanted})
    chosen = parse_ids(wanted)
    if chosen is None:  # never "all of them" for a list that names something else
        raise InvalidInput(_("The list of deliveries is damaged: start again from the monitor."))
    free, still = ops.releasable_held(message_ids=[message.pk], delivery_ids=chosen or None)

    def act(form):
        release_held(request, delivery_ids=free, publish_at=form.release_time())
        return redirect(_back_to_monitor(message))

    pauses_words = ", ".join(sorted({pause_words(pause) for _pk, pause in still}))
    consequences = [_("Nothing goes out by itself: only what you release here.")]
    if still:
        consequences.append(
            ngettext(
                "%(count)s held delivery stays held: a pause still in force covers it (%(pauses)s).",
                "%(count)s held deliveries stay held: a pause still in force covers them (%(pauses)s).",
                len(still),
            )
            % {"count": len(still), "pauses": pauses_words}
        )
    if free:
        lead = ngettext(
            "%(count)s delivery of “%(title)s” fell due during a pause and waits for you.",
            "%(count)s deliveries of “%(title)s” fell due during a pause and wait for you.",
            len(free),
        ) % {"count": len(free), "title": message.title}
    elif still:
        lead = _(
            "What is held of “%(title)s” is still covered by a pause in force (%(pauses)s): resume that "
            "pause first, on the pause page."
        ) % {"title": message.title, "pauses": pauses_words}
        consequences = []
    else:
        lead = _("Nothing of “%(title)s” is held any more: someone may have released it already.") % {
            "title": message.title
        }
        consequences = []
    action = Action(
        title=_("Release held deliveries?"),
        lead=lead,
        consequences=consequences,
        button=_("Release them"),
        back_url=_back_to_monitor(message),
    )
    return confirm_or_act(
        request, form=form, action=action, act=act, context={"message": message, "nothing_to_do": not free}
    )
