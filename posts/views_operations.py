"""The press office's and crisis unit's operations pages: the delivery monitor, the pause
switch, crisis alerts and their progress board, and the health of the publishing engine.

Views are thin: they read (the queries are gathered under "Reads" below, each costing a
fixed number of queries whatever the number of deliveries), bind a form, call one service
(posts/services/*) and render. Every action is a POST that carries `confirmed=yes`, which
only its confirmation page sends: a GET of an action's address, or a POST without it,
shows that page and changes nothing. Live parts (the monitor, the board, the health page)
are fragments that htmx polls every few seconds while anything can still change; the
fragment drops its polling attributes once everything is final, which stops the polling.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import pycountry
from django.conf import settings
from django.contrib import messages as flash
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db import transaction
from django.db.models import Case, Count, IntegerField, OuterRef, Q, QuerySet, Subquery, Value, When
from django.db.models.functions import Coalesce
from django.forms import Form
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.http import require_GET, require_http_methods

from channels.models import Network
from diplomacy_hub import policy
from embassies.models import Mission
from embassies.validators import USER_ASSIGNED_COUNTRY_CODES
from posts.forms_operations import (
    CancelForm,
    CrisisAlertForm,
    CrisisReachForm,
    EmptyActionForm,
    PauseForm,
    PauseReleaseForm,
    ReleaseForm,
    SettleForm,
    describe_pause,
    headquarters_zone,
)
from posts.health import health_report
from posts.models import Delivery, Event, InvalidTransition, Message, Priority, PublishingPause
from posts.services import operations
from posts.services import pause as pausing
from posts.services.crisis import crisis_alert_create, crisis_target_accounts, describe_scope
from posts.services.review import message_approve, message_cancel, message_submit
from posts.validation import ValidationProblems, language_name


def _posted(request: HttpRequest):
    """The POST data for a form (bound even when empty: a bare confirmation is a POST), or
    None for a GET."""
    return request.POST if request.method == "POST" else None

State = Delivery.State
MState = Message.State

POLL_SECONDS = 2
LIST_POLL_SECONDS = 3
HEALTH_POLL_SECONDS = 5
DELIVERIES_PER_PAGE = 100
MESSAGES_PER_PAGE = 50
FAILED_ON_BOARD = 20

WAITING_STATES = (State.SCHEDULED, State.QUEUED, State.SENDING)
PROBLEM_STATES = (State.FAILED, State.UNKNOWN, State.HELD)
PENDING_STATES = (State.SCHEDULED, State.HELD, State.QUEUED)
APPROVED_STATES = (MState.SCHEDULED, MState.PUBLISHING, MState.PUBLISHED, MState.PARTIALLY_PUBLISHED,
                   MState.FAILED, MState.RETRACTED)
RETRYABLE_MESSAGE_STATES = (MState.FAILED, MState.PARTIALLY_PUBLISHED, MState.PUBLISHING, MState.PUBLISHED)
CANCELLABLE_MESSAGE_STATES = (MState.SCHEDULED, MState.PUBLISHING, MState.PARTIALLY_PUBLISHED, MState.FAILED)
# A retraction asked for this recently, and not finished, keeps the monitor live.
RETRACTION_WATCH = timedelta(minutes=10)


# === Reads ======================================================================================

@dataclass
class Counts:
    """How a set of deliveries stands, in one aggregate query."""

    total: int = 0
    sent: int = 0
    failed: int = 0
    waiting: int = 0  # scheduled, queued or sending
    held: int = 0
    unknown: int = 0
    needs_decision: int = 0  # unknown, and the engine has stopped checking
    cancelled: int = 0
    retracted: int = 0
    pending: int = 0  # not started by any worker: cancelling them is safe

    @property
    def live(self) -> int:
        """Deliveries not final yet."""
        return self.waiting + self.held + self.unknown

    @property
    def counted(self) -> int:
        """Deliveries that count towards the progress (cancelled ones do not)."""
        return self.total - self.cancelled

    @property
    def done(self) -> int:
        return self.sent + self.failed + self.retracted

    @property
    def percent_done(self) -> int:
        return round(100 * self.done / self.counted) if self.counted else 0


def _count_annotations(prefix: str = "") -> dict:
    """Delivery counts by state, for an aggregate or (with the prefix "deliveries__") an
    annotation of messages: then the deliveries must be the only multi-valued join (count
    other relations with a subquery)."""
    state = f"{prefix}state"
    pk = f"{prefix}pk" if prefix else "pk"

    def count(**condition) -> Count:
        return Count(pk, filter=Q(**condition) if condition else None)

    return {
        "total": count(),
        "sent": count(**{state: State.SENT}),
        "failed": count(**{state: State.FAILED}),
        "waiting": count(**{f"{state}__in": WAITING_STATES}),
        "held": count(**{state: State.HELD}),
        "unknown": count(**{state: State.UNKNOWN}),
        "needs_decision": count(**{state: State.UNKNOWN, f"{prefix}next_attempt_at__isnull": True}),
        "cancelled": count(**{state: State.CANCELLED}),
        "retracted": count(**{state: State.RETRACTED}),
        "pending": count(**{f"{state}__in": PENDING_STATES}),
    }


def pauses_in_force() -> list[PublishingPause]:
    """The pauses in force, each with `words` (what it covers, in the reader's language)."""
    pauses = pausing.active_pauses()
    for pause in pauses:
        pause.words = describe_pause(pause.scope, pause.value)
    return pauses


def delivery_counts(deliveries: QuerySet[Delivery]) -> Counts:
    return Counts(**deliveries.order_by().aggregate(**_count_annotations()))


def _visible_messages(user) -> QuerySet[Message]:
    """The messages the user may see (another mission's is not found: 404)."""
    return policy.scope(user, Message.objects.all(), mission_field="mission")


def message_for_monitor(user, pk: int) -> Message:
    message = get_object_or_404(
        _visible_messages(user).select_related("mission", "author", "approved_by"), pk=pk)
    policy.require(user, "message.view", message)
    return message


def delivery_for_action(user, delivery_id: int) -> Delivery:
    deliveries = policy.scope(
        user, Delivery.objects.select_related("message__mission", "account__mission"),
        mission_field="message__mission",
    )
    delivery = get_object_or_404(deliveries, pk=delivery_id)
    policy.require(user, "message.view", delivery.message)
    return delivery


MONITOR_LIST_VIEWS = {
    "recent": gettext_lazy("Recent and going out"),
    "attention": gettext_lazy("Need attention"),
    "out": gettext_lazy("Going out now"),
    "scheduled": gettext_lazy("Scheduled later"),
    "done": gettext_lazy("Finished"),
}


def monitor_messages(*, user, show: str, now) -> QuerySet[Message]:
    """Approved messages with their deliveries counted, those needing attention first."""
    messages = _visible_messages(user).filter(state__in=APPROVED_STATES).annotate(
        **_count_annotations("deliveries__"),
    )
    attention = Q(failed__gt=0) | Q(held__gt=0) | Q(unknown__gt=0)
    soon = now + timedelta(hours=1)
    if show == "attention":
        messages = messages.filter(attention)
    elif show == "out":
        messages = messages.filter(Q(state=MState.PUBLISHING) | Q(state=MState.SCHEDULED, scheduled_at__lte=soon))
    elif show == "scheduled":
        messages = messages.filter(state=MState.SCHEDULED, scheduled_at__gt=soon)
    elif show == "done":
        messages = messages.filter(
            state__in=[MState.PUBLISHED, MState.PARTIALLY_PUBLISHED, MState.FAILED, MState.RETRACTED],
            updated_at__gte=now - timedelta(days=7),
        )
    else:
        messages = messages.filter(
            Q(state__in=[MState.PUBLISHING, MState.SCHEDULED]) | Q(updated_at__gte=now - timedelta(days=7))
            | attention
        )
    return messages.select_related("mission", "approved_by").annotate(
        needs_attention=Case(When(attention, then=Value(0)), default=Value(1), output_field=IntegerField()),
    ).order_by("needs_attention", "-scheduled_at", "-pk")


MONITOR_FILTERS = {
    "all": gettext_lazy("All"),
    "problems": gettext_lazy("Problems"),
    "waiting": gettext_lazy("On their way"),
    "sent": gettext_lazy("Sent"),
}


def monitor_deliveries(message: Message, show: str) -> QuerySet[Delivery]:
    deliveries = message.deliveries.select_related("account__mission")
    if show == "problems":
        deliveries = deliveries.filter(state__in=[*PROBLEM_STATES])
    elif show == "waiting":
        deliveries = deliveries.filter(state__in=[*WAITING_STATES])
    elif show == "sent":
        deliveries = deliveries.filter(state__in=[State.SENT, State.RETRACTED])
    rank = Case(
        When(state__in=PROBLEM_STATES, then=Value(0)),
        When(state__in=WAITING_STATES, then=Value(1)),
        When(state=State.CANCELLED, then=Value(3)),
        default=Value(2), output_field=IntegerField(),
    )
    return deliveries.annotate(rank=rank).order_by(
        "rank", "account__mission__name", "account__network", "language", "pk")


def retraction_in_progress(message: Message, counts: Counts, now) -> bool:
    if not counts.sent or message.state == MState.RETRACTED:
        return False
    return Event.objects.filter(
        message=message, verb="message.retract_requested", created_at__gte=now - RETRACTION_WATCH,
    ).exists()


def releasable_held(*, message_ids: Iterable[int] | None = None,
                    delivery_ids: Iterable[int] | None = None) -> tuple[list[int], list[tuple[int, str]]]:
    """The held deliveries (of these messages, or these ids) that no active pause covers,
    and those still covered, with the pause in words. Two queries."""
    held = Delivery.objects.filter(state=State.HELD).select_related("account__mission")
    if message_ids is not None:
        held = held.filter(message_id__in=list(message_ids))
    if delivery_ids is not None:
        held = held.filter(pk__in=list(delivery_ids))
    active = pausing.active_pauses()
    free, still = [], []
    for delivery in held.only("pk", "priority", "account__network", "account__mission__region",
                              "account__mission__country_code", "account__mission__code"):
        pause = pausing.pause_covering_delivery(active, delivery)
        if pause is None:
            free.append(delivery.pk)
        else:
            still.append((delivery.pk, describe_pause(pause.scope, pause.value)))
    return free, still


@dataclass
class HeldGroup:
    message: Message
    held: int
    since: object
    still_paused: int = 0
    pauses: list[str] = field(default_factory=list)


def held_groups(pause: PublishingPause | None = None) -> list[HeldGroup]:
    """What waits for a press officer, per message (those a pause covers, if given): three
    queries, whatever the number of held deliveries."""
    held = pausing.held_deliveries(pause=pause)
    active = pausing.active_pauses()
    groups: dict[int, HeldGroup] = {}
    rows = held.only("pk", "message_id", "priority", "state_changed_at", "account__network",
                     "account__mission__region", "account__mission__country_code", "account__mission__code")
    per_message: dict[int, list[Delivery]] = {}
    for delivery in rows.select_related(None).select_related("account__mission"):
        per_message.setdefault(delivery.message_id, []).append(delivery)
    messages = Message.objects.select_related("mission").in_bulk(list(per_message))
    for message_id, deliveries in per_message.items():
        group = HeldGroup(message=messages[message_id], held=len(deliveries),
                          since=min(d.state_changed_at or timezone.now() for d in deliveries))
        for delivery in deliveries:
            covering = pausing.pause_covering_delivery(active, delivery)
            if covering is not None:
                group.still_paused += 1
                words = describe_pause(covering.scope, covering.value)
                if words not in group.pauses:
                    group.pauses.append(words)
        groups[message_id] = group
    return sorted(groups.values(), key=lambda group: (group.since, group.message.pk))


def covered_soon(scope: str, value: str, now) -> tuple[int, int]:
    """Deliveries (and messages) due in the next 24 hours that a pause of this scope would hold."""
    probe = PublishingPause(scope=scope, value=value)
    due = Delivery.objects.filter(state=State.SCHEDULED, next_attempt_at__lte=now + timedelta(hours=24)).filter(
        pausing._pause_filter(probe))
    row = due.order_by().aggregate(deliveries=Count("pk"), messages=Count("message", distinct=True))
    return row["deliveries"], row["messages"]


@dataclass
class RegionRow:
    region: str
    label: str
    missions: int = 0
    accounts: int = 0
    reached: int = 0
    failed: int = 0
    waiting: int = 0
    held: int = 0
    unknown: int = 0
    cancelled: int = 0
    retracted: int = 0

    @property
    def counted(self) -> int:
        return self.accounts - self.cancelled

    @property
    def percent(self) -> int:
        return round(100 * (self.reached + self.failed + self.retracted) / self.counted) if self.counted else 0


def board_regions(message: Message, *, approved: bool) -> list[RegionRow]:
    """Per region: missions and accounts targeted, and (once approved) how many were
    reached, failed or are still waiting. One grouped query."""
    labels = dict(Mission.Region.choices)
    rows: dict[str, RegionRow] = {}
    if approved:
        grouped = (
            message.deliveries.order_by().values("account__mission__region")
            .annotate(missions=Count("account__mission", distinct=True), **_count_annotations())
        )
        for row in grouped:
            region = row["account__mission__region"]
            rows[region] = RegionRow(
                region=region, label=str(labels.get(region, region)), missions=row["missions"],
                accounts=row["total"], reached=row["sent"], failed=row["failed"],
                waiting=row["waiting"], held=row["held"], unknown=row["unknown"],
                cancelled=row["cancelled"], retracted=row["retracted"],
            )
    else:
        grouped = (
            message.targets.order_by().values("mission__region")
            .annotate(missions=Count("mission", distinct=True), accounts=Count("pk"))
        )
        for row in grouped:
            region = row["mission__region"]
            rows[region] = RegionRow(region=region, label=str(labels.get(region, region)),
                                     missions=row["missions"], accounts=row["accounts"])
    order = {value: index for index, value in enumerate(Mission.Region.values)}
    return sorted(rows.values(), key=lambda row: order.get(row.region, 99))


@dataclass
class Reach:
    accounts: int
    missions: int
    regions: list[dict]
    networks: list[dict]


def crisis_reach(scope: dict, networks: list[str]) -> Reach:
    """How many accounts and missions an alert with this scope would reach: two queries."""
    accounts = crisis_target_accounts(scope, networks).order_by()
    labels = dict(Mission.Region.choices)
    regions = [
        {"label": labels.get(row["mission__region"], row["mission__region"]), **row}
        for row in accounts.values("mission__region").annotate(
            accounts=Count("pk"), missions=Count("mission", distinct=True)).order_by("mission__region")
    ]
    by_network = [
        {"label": Network(row["network"]).label, **row}
        for row in accounts.values("network").annotate(accounts=Count("pk")).order_by("network")
    ]
    return Reach(
        accounts=sum(row["accounts"] for row in regions),
        missions=accounts.aggregate(n=Count("mission", distinct=True))["n"] if regions else 0,
        regions=regions, networks=by_network,
    )


# === Words ========================================================================================

def delivery_problem(delivery: Delivery) -> str:
    """What went wrong with a delivery, as a headline a person understands at 3 a.m.; the
    network's own words (`last_error`) are shown beneath it."""
    network = delivery.account.get_network_display()
    kind = delivery.last_error_kind
    detail = (delivery.last_error or "").lower()
    if delivery.state == State.HELD:
        return _("Held by a pause: it waits for a press officer to release it")
    if not delivery.last_error and not kind:
        return ""
    if "duplicate" in detail:
        return _("%(network)s refused: duplicate content (it may already be on the account)") % {
            "network": network}
    if kind == Delivery.ErrorKind.AUTH:
        return _("Account not authorised — an administrator must reconnect it")
    if kind == Delivery.ErrorKind.RATE_LIMITED:
        return _("%(network)s's rate limit was reached: it is tried again later") % {"network": network}
    if kind == Delivery.ErrorKind.TRANSIENT:
        if delivery.state == State.FAILED:
            return _("%(network)s did not answer, again and again: the engine gave up") % {"network": network}
        return _("%(network)s did not answer: it is tried again later") % {"network": network}
    if kind == Delivery.ErrorKind.PERMANENT:
        return _("%(network)s refused it") % {"network": network}
    if kind == Delivery.ErrorKind.UNKNOWN:
        if delivery.state == State.FAILED:
            return _("Not published, as a press officer settled it")
        if delivery.state == State.UNKNOWN and delivery.next_attempt_at is None:
            return _("Nobody knows whether %(network)s published it: look at the account, then say so here") % {
                "network": network}
        return _("Not known yet whether %(network)s published it: the engine is asking the network") % {
            "network": network}
    return _("%(network)s answered with an error") % {"network": network}


def scope_in_words(scope: dict) -> str:
    """Whom a crisis alert targets, in the reader's language."""
    if scope.get("all"):
        return _("every mission")
    if scope.get("regions"):
        labels = dict(Mission.Region.choices)
        return ", ".join(str(labels.get(region, region)) for region in scope["regions"])
    if scope.get("countries"):
        return ", ".join(f"{country_name(code)} ({code})" for code in scope["countries"])
    return describe_scope(scope)


def country_name(code: str) -> str:
    if code in USER_ASSIGNED_COUNTRY_CODES:
        return USER_ASSIGNED_COUNTRY_CODES[code]
    country = pycountry.countries.get(alpha_2=code)
    return (getattr(country, "common_name", None) or country.name) if country else code


def annotate_problems(deliveries: Iterable[Delivery]) -> list[Delivery]:
    rows = list(deliveries)
    for delivery in rows:
        delivery.problem = delivery_problem(delivery)
    return rows


def _service_error(form: Form | None, error: Exception) -> list[str]:
    """Put a service's refusal beside the field it concerns, else above the form."""
    if isinstance(error, ValidationProblems):
        return [problem.message for problem in error.blocking]
    if isinstance(error, ValidationError) and hasattr(error, "error_dict"):
        loose = []
        for name, errors in error.message_dict.items():
            if form is not None and name in form.fields:
                for text in errors:
                    form.add_error(name, text)
            else:
                loose.extend(errors)
        return loose
    if isinstance(error, ValidationError):
        return list(error.messages)
    return [str(error)]


# === The confirmation pattern ===================================================================

@dataclass
class Action:
    """What a confirmation page says: its heading, what will happen, its button."""

    title: str
    lead: str
    button: str
    back_url: str
    consequences: list[str] = field(default_factory=list)
    danger: bool = False
    items: list = field(default_factory=list)


def confirm_or_act(request: HttpRequest, *, form: Form, action: Action, act: Callable[[Form], HttpResponse],
                   context: dict | None = None, template: str = "posts/operations/confirm.html") -> HttpResponse:
    """GET, or a POST without `confirmed=yes`: the confirmation page (nothing changes).
    A confirmed, valid POST: `act(form)`. A service's refusal comes back in words."""
    status = 200
    errors: list[str] = []
    if request.method == "POST":
        if not form.is_valid():
            status = 400
        elif form.confirmed():
            try:
                return act(form)
            except (InvalidTransition, ValidationError) as error:
                errors = _service_error(form, error)
                status = 409 if isinstance(error, InvalidTransition) else 400
    return render(request, template, {
        **(context or {}), "form": form, "action": action, "errors": errors,
    }, status=status)


# === Delivery monitor ============================================================================

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
    page = Paginator(monitor_messages(user=request.user, show=show, now=now), MESSAGES_PER_PAGE).get_page(
        request.GET.get("page"))
    live = any(m.state in (MState.PUBLISHING, MState.SCHEDULED) or m.waiting or m.held or m.unknown
               for m in page.object_list)
    context = {
        "page": page, "show": show, "views": MONITOR_LIST_VIEWS, "now": now, "live": live,
        "poll_seconds": LIST_POLL_SECONDS, "poll_url": request.get_full_path(),
        "pauses": pauses_in_force(), "hq_zone": settings.HEADQUARTERS_TIME_ZONE,
    }
    template = ("posts/operations/_monitor_list_live.html" if request.htmx
                else "posts/operations/monitor_list.html")
    return render(request, template, context)


@require_GET
def monitor(request: HttpRequest, pk: int) -> HttpResponse:
    """One message's deliveries, per account: state, attempts, the last error in words, the
    link to what was published, and the actions the user may take. Live while anything
    can still change."""
    message = message_for_monitor(request.user, pk)
    show = request.GET.get("show", "all")
    if show not in MONITOR_FILTERS:
        show = "all"
    now = timezone.now()
    counts = delivery_counts(message.deliveries.all())
    page = Paginator(monitor_deliveries(message, show), DELIVERIES_PER_PAGE).get_page(request.GET.get("page"))
    retracting = retraction_in_progress(message, counts, now)
    live = bool(counts.live) or message.state == MState.PUBLISHING or retracting
    user = request.user
    may_operate = policy.can(user, "delivery.retry", message)
    context = {
        "message": message, "counts": counts, "page": page, "deliveries": annotate_problems(page.object_list),
        "show": show, "filters": MONITOR_FILTERS, "now": now, "live": live, "retracting": retracting,
        "poll_seconds": POLL_SECONDS, "poll_url": request.get_full_path(),
        "approved": message.state in APPROVED_STATES,
        "may_operate": may_operate,
        "may_retry_failed": may_operate and counts.failed and message.state in RETRYABLE_MESSAGE_STATES,
        "may_cancel": (policy.can(user, "message.cancel", message) and counts.pending
                       and message.state in CANCELLABLE_MESSAGE_STATES),
        "may_retract": (policy.can(user, "message.retract", message) and counts.sent
                        and MState.RETRACTED in Message.TRANSITIONS[message.state]),
        "may_release": policy.can(user, "message.schedule", message) and counts.held,
        "may_manage_accounts": policy.can(user, "account.manage"),
        "pauses": pauses_in_force(),
        "hq_zone": settings.HEADQUARTERS_TIME_ZONE,
    }
    template = "posts/operations/_monitor_live.html" if request.htmx else "posts/operations/monitor.html"
    return render(request, template, context)


def _back_to_monitor(message: Message) -> str:
    return reverse("posts:monitor", args=[message.pk])


@require_http_methods(["GET", "POST"])
def delivery_retry(request: HttpRequest, delivery_id: int) -> HttpResponse:
    delivery = delivery_for_action(request.user, delivery_id)
    message = delivery.message
    policy.require(request.user, "delivery.retry", message)
    delivery.problem = delivery_problem(delivery)
    network = delivery.account.get_network_display()

    def act(form):
        operations.delivery_retry(actor=request.user, delivery_id=delivery.pk)
        flash.success(request, _("The delivery to %(account)s is on its way again.") % {
            "account": f"{network} {delivery.account.handle}".strip()})
        return redirect(_back_to_monitor(message))

    action = Action(
        title=_("Retry this delivery?"),
        lead=_("“%(title)s” goes to %(network)s %(account)s (%(mission)s) again, now.") % {
            "title": message.title, "network": network, "account": delivery.account.handle,
            "mission": delivery.account.mission.name},
        consequences=[
            _("It failed after %(count)s attempt(s): %(problem)s.") % {
                "count": delivery.attempts, "problem": delivery.problem or _("no reason recorded")},
            _("Retry only once the cause is dealt with (the account reconnected, the text fixed)."),
        ],
        button=_("Yes, retry it now"), back_url=_back_to_monitor(message),
    )
    return confirm_or_act(request, form=EmptyActionForm(_posted(request)), action=action, act=act,
                          context={"message": message, "delivery": delivery})


@require_http_methods(["GET", "POST"])
def delivery_settle(request: HttpRequest, delivery_id: int) -> HttpResponse:
    delivery = delivery_for_action(request.user, delivery_id)
    message = delivery.message
    policy.require(request.user, "delivery.settle", message)
    delivery.problem = delivery_problem(delivery)
    network = delivery.account.get_network_display()

    def act(form):
        outcome = form.cleaned_data["outcome"]
        operations.delivery_settle(actor=request.user, delivery_id=delivery.pk, outcome=outcome,
                        external_url=form.cleaned_data.get("external_url") or "")
        if outcome == "sent":
            flash.success(request, _("Recorded as published on %(network)s.") % {"network": network})
        else:
            flash.success(request, _("Recorded as not published: it is now failed, and you can retry it."))
        return redirect(_back_to_monitor(message))

    action = Action(
        title=_("Was it published?"),
        lead=_("%(network)s %(account)s (%(mission)s) may or may not have received “%(title)s”: the "
               "network's answer was lost.") % {
            "network": network, "account": delivery.account.handle, "mission": delivery.account.mission.name,
            "title": message.title},
        consequences=[
            _("Open the account on %(network)s and look for the post before you answer.") % {"network": network},
            _("Nothing is ever sent twice by itself: if you say it was not published, you can retry it."),
        ],
        button=_("Record my answer"), back_url=_back_to_monitor(message),
    )
    return confirm_or_act(request, form=SettleForm(_posted(request)), action=action, act=act,
                          context={"message": message, "delivery": delivery})


@require_http_methods(["GET", "POST"])
def monitor_retry_failed(request: HttpRequest, pk: int) -> HttpResponse:
    """Retry every failed delivery of a message (each through `delivery_retry`)."""
    message = message_for_monitor(request.user, pk)
    policy.require(request.user, "delivery.retry", message)
    failed = annotate_problems(message.deliveries.filter(state=State.FAILED).select_related("account__mission"))

    def act(form):
        retried = 0
        for delivery in failed:
            try:
                operations.delivery_retry(actor=request.user, delivery_id=delivery.pk)
                retried += 1
            except InvalidTransition:
                continue  # retried by someone else meanwhile, or no longer failed
        flash.success(request, ngettext("%(count)s delivery is on its way again.",
                                        "%(count)s deliveries are on their way again.", retried)
                      % {"count": retried})
        return redirect(_back_to_monitor(message))

    action = Action(
        title=_("Retry every failed delivery?"),
        lead=ngettext("%(count)s delivery of “%(title)s” failed. It will be tried again now.",
                      "%(count)s deliveries of “%(title)s” failed. They will be tried again now.",
                      len(failed)) % {"count": len(failed), "title": message.title},
        consequences=[_("Retry only once the cause is dealt with (the account reconnected, the text fixed).")],
        button=_("Yes, retry them now"), back_url=_back_to_monitor(message), items=failed,
    )
    return confirm_or_act(request, form=EmptyActionForm(_posted(request)), action=action, act=act,
                          context={"message": message})


@require_http_methods(["GET", "POST"])
def monitor_cancel(request: HttpRequest, pk: int) -> HttpResponse:
    message = message_for_monitor(request.user, pk)
    policy.require(request.user, "message.cancel", message)
    counts = delivery_counts(message.deliveries.all())

    def act(form):
        result = message_cancel(actor=request.user, message_id=message.pk, reason=form.cleaned_data["reason"])
        left = getattr(result, "left_in_flight", [])
        if left:
            flash.warning(request, ngettext(
                "Cancelled what had not left. %(count)s delivery was already being sent: it will finish.",
                "Cancelled what had not left. %(count)s deliveries were already being sent: they will finish.",
                len(left)) % {"count": len(left)})
        else:
            flash.success(request, _("“%(title)s” is cancelled: nothing more of it will go out.") % {
                "title": message.title})
        return redirect(_back_to_monitor(message))

    consequences = [
        ngettext("%(count)s delivery that has not left yet will never go out.",
                 "%(count)s deliveries that have not left yet will never go out.", counts.pending)
        % {"count": counts.pending},
    ]
    if counts.sent:
        consequences.append(ngettext(
            "%(count)s delivery already published stays online: retract it to delete it.",
            "%(count)s deliveries already published stay online: retract them to delete them.", counts.sent)
            % {"count": counts.sent})
    action = Action(
        title=_("Cancel this message?"), lead=_("“%(title)s” will not go out any more.") % {"title": message.title},
        consequences=consequences, button=_("Yes, cancel it"), back_url=_back_to_monitor(message), danger=True,
    )
    return confirm_or_act(request, form=CancelForm(_posted(request)), action=action, act=act,
                          context={"message": message})


@require_http_methods(["GET", "POST"])
def monitor_retract(request: HttpRequest, pk: int) -> HttpResponse:
    message = message_for_monitor(request.user, pk)
    policy.require(request.user, "message.retract", message)
    sent = list(message.deliveries.filter(state=State.SENT).select_related("account__mission"))

    def act(form):
        operations.message_retract(actor=request.user, message_id=message.pk)
        flash.success(request, _("Retraction started: the posts are being deleted from each network. This page "
                                 "shows the result for each one."))
        return redirect(_back_to_monitor(message))

    action = Action(
        title=_("Retract this message?"),
        lead=ngettext("“%(title)s” will be deleted from the %(count)s account where it was published.",
                      "“%(title)s” will be deleted from the %(count)s accounts where it was published.",
                      len(sent)) % {"title": message.title, "count": len(sent)},
        consequences=[_("Deleting cannot be undone. Comments and shares on those posts are lost with them.")],
        button=_("Yes, delete it everywhere"), back_url=_back_to_monitor(message), danger=True, items=sent,
    )
    return confirm_or_act(request, form=EmptyActionForm(_posted(request)), action=action, act=act,
                          context={"message": message})


def _zone_of(message: Message):
    if message.mission_id:
        return message.mission.zone, message.mission.city
    return headquarters_zone(), _("headquarters")


def _release(request: HttpRequest, *, delivery_ids: list[int], publish_at) -> int:
    released = operations.held_release(actor=request.user, delivery_ids=delivery_ids, publish_at=publish_at) \
        if delivery_ids else []
    if publish_at is None:
        flash.success(request, ngettext("%(count)s delivery released: it goes out now.",
                                        "%(count)s deliveries released: they go out now.", len(released))
                      % {"count": len(released)})
    else:
        flash.success(request, ngettext("%(count)s delivery released for %(time)s.",
                                        "%(count)s deliveries released for %(time)s.", len(released))
                      % {"count": len(released),
                         "time": timezone.localtime(publish_at, publish_at.tzinfo).strftime("%Y-%m-%d %H:%M %Z")})
    return len(released)


@require_http_methods(["GET", "POST"])
def monitor_release(request: HttpRequest, pk: int) -> HttpResponse:
    """Release a message's held deliveries (or some of them), now or at a time in the
    mission's zone. Those an active pause still covers are left held."""
    message = message_for_monitor(request.user, pk)
    policy.require(request.user, "message.schedule", message)
    zone, zone_label = _zone_of(message)
    wanted = request.POST.get("deliveries") or request.GET.get("deliveries") or ""
    form = ReleaseForm(_posted(request), zone=zone, zone_label=zone_label, initial={"deliveries": wanted})
    chosen = [int(part) for part in wanted.split(",") if part.strip().isdigit()]
    free, still = releasable_held(message_ids=[message.pk], delivery_ids=chosen or None)

    def act(form):
        _release(request, delivery_ids=free, publish_at=form.release_time())
        return redirect(_back_to_monitor(message))

    pauses_words = ", ".join(sorted({words for _pk, words in still}))
    consequences = [_("Nothing goes out by itself: only what you release here.")]
    if still:
        consequences.append(ngettext(
            "%(count)s held delivery stays held: a pause still in force covers it (%(pauses)s).",
            "%(count)s held deliveries stay held: a pause still in force covers them (%(pauses)s).", len(still))
            % {"count": len(still), "pauses": pauses_words})
    if free:
        lead = ngettext("%(count)s delivery of “%(title)s” fell due during a pause and waits for you.",
                        "%(count)s deliveries of “%(title)s” fell due during a pause and wait for you.",
                        len(free)) % {"count": len(free), "title": message.title}
    elif still:
        lead = _("What is held of “%(title)s” is still covered by a pause in force (%(pauses)s): resume that "
                 "pause first, on the pause page.") % {"title": message.title, "pauses": pauses_words}
        consequences = []
    else:
        lead = _("Nothing of “%(title)s” is held any more: someone may have released it already.") % {
            "title": message.title}
        consequences = []
    action = Action(title=_("Release held deliveries?"), lead=lead, consequences=consequences,
                    button=_("Release them"), back_url=_back_to_monitor(message))
    return confirm_or_act(request, form=form, action=action, act=act,
                          context={"message": message, "nothing_to_do": not free})


# === The pause switch ==============================================================================

def _release_form(groups: list[HeldGroup], data=None) -> PauseReleaseForm:
    return PauseReleaseForm(
        data, zone=headquarters_zone(), zone_label=_("headquarters"),
        message_choices=[(group.message.pk, group.message.title) for group in groups],
        initial={"message_ids": [group.message.pk for group in groups if group.held > group.still_paused]},
    )


def _pause_page(request: HttpRequest, *, form: PauseForm, release_form: PauseReleaseForm | None = None,
                groups: list[HeldGroup] | None = None, errors: list[str] | None = None,
                status: int = 200) -> HttpResponse:
    now = timezone.now()
    resumed = None
    if request.GET.get("resumed", "").isdigit():
        resumed = PublishingPause.objects.filter(pk=int(request.GET["resumed"]), ended_at__isnull=False).first()
    if groups is None:
        groups = held_groups(resumed)
    release_form = release_form or _release_form(groups)
    if release_form.is_bound:
        checked = {int(value) for value in release_form.data.getlist("message_ids") if value.isdigit()}
    else:
        checked = set(release_form.initial["message_ids"])
    return render(request, "posts/operations/pause.html", {
        "form": form, "errors": errors or [], "now": now,
        "pauses": PublishingPause.objects.filter(ended_at__isnull=True).select_related("started_by")
        .order_by("started_at"),
        "recent": PublishingPause.objects.filter(ended_at__isnull=False, ended_at__gte=now - timedelta(days=7))
        .select_related("started_by", "ended_by").order_by("-ended_at")[:10],
        "groups": groups, "held_total": sum(group.held for group in groups), "resumed": resumed,
        "release_form": release_form, "checked": checked,
        "countries": Mission.objects.active().order_by("country_code").values_list("country_code", flat=True)
        .distinct(),
        "hq_zone": settings.HEADQUARTERS_TIME_ZONE,
    }, status=status)


@require_http_methods(["GET", "POST"])
def pause(request: HttpRequest) -> HttpResponse:
    """The pauses in force, starting one (after a confirmation step), and what is held."""
    policy.require(request.user, "publishing.pause")
    form = PauseForm(_posted(request))
    if request.method == "GET":
        return _pause_page(request, form=form)
    if request.POST.get("edit"):  # "Change something" on the confirmation step
        return _pause_page(request, form=form)
    if not form.is_valid():
        return _pause_page(request, form=form, status=400)
    if not form.confirmed():
        deliveries, messages_count = covered_soon(form.cleaned_data["scope"], form.cleaned_data["value"],
                                                  timezone.now())
        return render(request, "posts/operations/pause_confirm.html", {
            "form": form, "scope_words": form.scope_in_words(), "deliveries_soon": deliveries,
            "messages_soon": messages_count, "crisis_held": settings.PUBLISHING_PAUSE_HOLDS_CRISIS,
        })
    try:
        started = pausing.publishing_pause(
            actor=request.user, scope=form.cleaned_data["scope"], value=form.cleaned_data["value"],
            reason=form.cleaned_data["reason"],
        )
    except ValidationError as error:
        return _pause_page(request, form=form, errors=_service_error(form, error), status=400)
    flash.success(request, _("Publishing is paused: %(scope)s. Nothing it covers goes out until a press officer "
                             "resumes it and releases what fell due.")
                  % {"scope": describe_pause(started.scope, started.value)})
    return redirect("posts:pause")


@require_http_methods(["GET", "POST"])
def pause_resume(request: HttpRequest, pause_id: int) -> HttpResponse:
    policy.require(request.user, "publishing.resume")
    paused = get_object_or_404(PublishingPause.objects.select_related("started_by"), pk=pause_id)
    words = describe_pause(paused.scope, paused.value)
    if paused.ended_at is not None:
        flash.info(request, _("This pause had already ended."))
        return redirect(f"{reverse('posts:pause')}?resumed={paused.pk}")
    held = pausing.held_deliveries(pause=paused).count()

    def act(form):
        result = pausing.publishing_resume(actor=request.user, pause_id=paused.pk)
        if result.held:
            flash.warning(request, ngettext(
                "Publishing resumed (%(scope)s). %(count)s delivery fell due during the pause: it waits below "
                "for you to release or reschedule it.",
                "Publishing resumed (%(scope)s). %(count)s deliveries fell due during the pause: they wait "
                "below for you to release or reschedule them.", len(result.held))
                % {"scope": words, "count": len(result.held)})
        else:
            flash.success(request, _("Publishing resumed (%(scope)s). Nothing fell due during the pause.")
                          % {"scope": words})
        return redirect(f"{reverse('posts:pause')}?resumed={paused.pk}")

    action = Action(
        title=_("Resume publishing?"),
        lead=_("The pause “%(scope)s”, started by %(who)s for this reason: %(reason)s") % {
            "scope": words, "who": paused.started_by.get_full_name() or paused.started_by.get_username(),
            "reason": paused.reason},
        consequences=[
            _("What is scheduled after now goes out at its time again."),
            ngettext("%(count)s delivery fell due during the pause and is held: it does not go out by itself. "
                     "You release or reschedule it next.",
                     "%(count)s deliveries fell due during the pause and are held: they do not go out by "
                     "themselves. You release or reschedule them next.", held) % {"count": held},
        ],
        button=_("Yes, resume publishing"), back_url=reverse("posts:pause"),
    )
    return confirm_or_act(request, form=EmptyActionForm(_posted(request)), action=action, act=act)


@require_http_methods(["GET", "POST"])
def pause_release(request: HttpRequest) -> HttpResponse:
    """Release the held deliveries of the messages ticked on the pause page, now or at a
    time in headquarters' zone (after a confirmation). Those a pause in force still covers
    stay held."""
    policy.require(request.user, "publishing.resume")
    if request.method == "GET":
        return redirect("posts:pause")
    groups = held_groups()
    form = _release_form(groups, _posted(request))
    if not form.is_valid():
        return _pause_page(request, form=PauseForm(), release_form=form, groups=groups, status=400)
    chosen = set(form.cleaned_data["message_ids"])
    chosen_groups = [group for group in groups if group.message.pk in chosen]
    free, still = releasable_held(message_ids=chosen)

    def act(form):
        for group in chosen_groups:
            policy.require(request.user, "message.schedule", group.message)
        _release(request, delivery_ids=free, publish_at=form.release_time())
        return redirect("posts:pause")

    consequences = [_("Nothing goes out by itself: only what you release here.")]
    if still:
        consequences.append(ngettext(
            "%(count)s held delivery stays held: a pause still in force covers it.",
            "%(count)s held deliveries stay held: a pause still in force covers them.", len(still))
            % {"count": len(still)})
    when = form.release_time()
    if when is None:
        lead = ngettext("%(count)s delivery goes out now.", "%(count)s deliveries go out now.", len(free)) % {
            "count": len(free)}
    else:
        lead = ngettext("%(count)s delivery goes out at %(time)s (headquarters time).",
                        "%(count)s deliveries go out at %(time)s (headquarters time).", len(free)) % {
            "count": len(free), "time": when.strftime("%Y-%m-%d %H:%M")}
    action = Action(title=_("Release held deliveries?"), lead=lead, consequences=consequences,
                    button=_("Release them"), back_url=reverse("posts:pause"), items=chosen_groups)
    return confirm_or_act(request, form=form, action=action, act=act,
                          template="posts/operations/pause_release_confirm.html")


# === Health ==========================================================================================

@dataclass
class Check:
    name: str
    ok: bool
    words: str
    link: str = ""


def _age_words(seconds: float | None) -> str:
    if seconds is None:
        return _("never")
    seconds = int(seconds)
    if seconds < 120:
        return ngettext("%(n)s second", "%(n)s seconds", seconds) % {"n": seconds}
    if seconds < 7200:
        return ngettext("%(n)s minute", "%(n)s minutes", seconds // 60) % {"n": seconds // 60}
    return ngettext("%(n)s hour", "%(n)s hours", seconds // 3600) % {"n": seconds // 3600}


def health_checks(report: dict) -> list[Check]:
    """The report's verdicts, one per part of the engine, in the reader's language."""
    checks = []
    dispatcher_age = report["dispatcher"]["age_seconds"]
    checks.append(Check(
        name=_("Dispatcher"),
        ok=dispatcher_age is not None and dispatcher_age <= settings.HEALTH_DISPATCHER_MAX_AGE,
        words=(_("It has never run: is beat running?") if dispatcher_age is None else
               _("Last ran %(age)s ago.") % {"age": _age_words(dispatcher_age)}
               if dispatcher_age <= settings.HEALTH_DISPATCHER_MAX_AGE else
               _("It has not run for %(age)s: scheduled messages are not going out. Check beat and the "
                 "workers.") % {"age": _age_words(dispatcher_age)}),
    ))
    recent = [worker for worker in report["workers"] if worker["recent"]]
    checks.append(Check(
        name=_("Workers"), ok=bool(recent),
        words=(ngettext("%(count)s worker seen in the last %(age)s.", "%(count)s workers seen in the last %(age)s.",
                        len(recent)) % {"count": len(recent), "age": _age_words(settings.HEALTH_WORKER_MAX_AGE)}
               if recent else
               _("No worker seen for %(age)s: nothing is being published.") % {
                   "age": _age_words(settings.HEALTH_WORKER_MAX_AGE)}),
    ))
    for queue, seen in sorted(report["queues"].items()):
        ok = seen["age_seconds"] <= settings.HEALTH_WORKER_MAX_AGE
        checks.append(Check(
            name=_("Queue “%(queue)s”") % {"queue": queue}, ok=ok,
            words=(_("A worker took work from it %(age)s ago.") % {"age": _age_words(seen["age_seconds"])} if ok
                   else _("No worker has taken work from it for %(age)s.") % {
                       "age": _age_words(seen["age_seconds"])}),
        ))
    oldest = report["oldest_due_seconds"]
    checks.append(Check(
        name=_("Oldest delivery waiting"),
        ok=oldest is None or oldest <= settings.HEALTH_MAX_DUE_AGE,
        words=(_("Nothing is waiting.") if oldest is None else
               _("The oldest due delivery has waited %(age)s.") % {"age": _age_words(oldest)}),
        link=reverse("posts:monitor_list") + "?show=out",
    ))
    broker = report["broker"]
    checks.append(Check(
        name=_("Message broker"), ok=broker["reachable"],
        words=_("Reachable.") if broker["reachable"] else _("It does not answer (%(detail)s): new work cannot "
                                                             "reach the workers.") % {"detail": broker["detail"]},
    ))
    return checks


@require_GET
def health(request: HttpRequest) -> HttpResponse:
    """health_report() in words: green or red, and why; refreshed every few seconds."""
    policy.require(request.user, "health.view")
    report = health_report()
    checks = health_checks(report)
    waiting = report["waiting"]
    lanes = [
        {"name": _("Crisis alerts"), **waiting.get("crisis", {})},
        {"name": _("Routine messages"), **waiting.get("routine", {})},
    ]
    context = {
        "report": report, "ok": report["status"] == "ok", "checks": checks, "lanes": lanes,
        "poll_seconds": HEALTH_POLL_SECONDS, "now": timezone.now(),
        "unexplained": report["status"] != "ok" and all(check.ok for check in checks),
        "sweeper_at": datetime.fromisoformat(report["sweeper"]["last_run"]) if report["sweeper"]["last_run"] else None,
        "pauses": pauses_in_force(),
        "hq_zone": settings.HEADQUARTERS_TIME_ZONE,
    }
    template = "posts/operations/_health_live.html" if request.htmx else "posts/operations/health.html"
    return render(request, template, context)


# === Crisis alerts ===================================================================================

def _crisis_alert(user, pk: int) -> Message:
    message = get_object_or_404(
        _visible_messages(user).filter(priority=Priority.CRISIS).select_related("author", "approved_by"), pk=pk)
    policy.require(user, "message.view", message)
    return message


@require_GET
def crisis_list(request: HttpRequest) -> HttpResponse:
    if not policy.sees_all_missions(request.user):
        raise PermissionDenied
    alerts = (
        _visible_messages(request.user).filter(priority=Priority.CRISIS)
        .select_related("author", "approved_by").annotate(**_count_annotations("deliveries__"))
        .annotate(target_count=Coalesce(Subquery(
            Message.targets.through.objects.filter(message_id=OuterRef("pk")).order_by().values("message_id")
            .annotate(n=Count("pk")).values("n")), 0))
        .order_by("-created_at", "-pk")
    )
    page = Paginator(alerts, MESSAGES_PER_PAGE).get_page(request.GET.get("page"))
    for alert in page.object_list:
        alert.scope_words = scope_in_words(alert.crisis_scope or {})
    return render(request, "posts/crisis/list.html", {
        "page": page, "may_create": policy.can(request.user, "crisis.create"), "now": timezone.now(),
    })


def _reach_for(form: Form) -> Reach | None:
    scope = form.cleaned_data.get("scope") if hasattr(form, "cleaned_data") else None
    if not scope:
        return None
    return crisis_reach(scope, form.cleaned_data.get("networks") or [])


@require_http_methods(["GET", "POST"])
def crisis_create(request: HttpRequest) -> HttpResponse:
    """Write a crisis alert, see whom it reaches, and send it for review (a second person
    approves it). Creating and submitting happen together: an alert the networks would
    refuse leaves nothing behind."""
    policy.require(request.user, "crisis.create")
    form = CrisisAlertForm(_posted(request))
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
                        actor=request.user, title=form.cleaned_data["title"], texts=form.cleaned_data["texts"],
                        scope=form.cleaned_data["scope"], networks=form.cleaned_data["networks"],
                    )
                    message_submit(actor=request.user, message_id=alert.pk)
            except ValidationProblems as problems:
                text_problems = [problem.message for problem in problems.blocking
                                 if problem.field in ("text", "texts", "title")]
                errors = [problem.message for problem in problems.blocking
                          if problem.field not in ("text", "texts", "title")]
                status = 400
            except ValidationError as error:
                mapped = ValidationError({
                    {"texts": "text_fr", "scope": "countries" if form.cleaned_data.get("scope_kind") == "countries"
                     else "regions"}.get(name, name): messages
                    for name, messages in error.message_dict.items()
                }) if hasattr(error, "error_dict") else error
                errors = _service_error(form, mapped)
                status = 400
            else:
                flash.success(request, _("The alert is written and waits for approval by another member of the "
                                         "crisis unit or the press office. Follow it here."))
                return redirect("posts:crisis_board", pk=alert.pk)
        elif not valid:
            status = 400
    return render(request, "posts/crisis/create.html", {
        "form": form, "reach": reach, "errors": errors, "text_problems": text_problems,
    }, status=status)


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
    alert = _crisis_alert(request.user, pk)
    approved = alert.state in APPROVED_STATES
    counts = delivery_counts(alert.deliveries.all())
    regions = board_regions(alert, approved=approved or counts.total > 0)
    failed = annotate_problems(
        alert.deliveries.filter(state__in=[State.FAILED, State.UNKNOWN]).select_related("account__mission")
        .order_by("account__mission__region", "account__mission__name", "pk")[:FAILED_ON_BOARD]
    )
    live = alert.state in (MState.DRAFT, MState.IN_REVIEW, MState.SCHEDULED, MState.PUBLISHING) or bool(counts.live)
    user = request.user
    context = {
        "alert": alert, "counts": counts, "regions": regions, "failed": failed, "approved": approved,
        "targets": sum(row.accounts for row in regions), "missions": sum(row.missions for row in regions),
        "scope_words": scope_in_words(alert.crisis_scope or {}),
        "live": live, "poll_seconds": POLL_SECONDS, "poll_url": request.get_full_path(), "now": timezone.now(),
        "may_approve": alert.state == MState.IN_REVIEW and policy.can(user, "message.approve", alert),
        "is_author": alert.author_id == user.pk,
        "may_operate": policy.can(user, "delivery.retry", alert),
        "pauses": pauses_in_force(),
    }
    if not request.htmx:
        context["texts"] = [
            {"language": text.language, "name": language_name(text.language), "body": text.body}
            for text in alert.texts.filter(network="")
        ]
    template = "posts/crisis/_board_live.html" if request.htmx else "posts/crisis/board.html"
    return render(request, template, context)


@require_http_methods(["GET", "POST"])
def crisis_approve(request: HttpRequest, pk: int) -> HttpResponse:
    """Approve an alert for now, from its board: someone other than its author."""
    alert = _crisis_alert(request.user, pk)
    back = reverse("posts:crisis_board", args=[alert.pk])
    if alert.author_id == request.user.pk:
        raise PermissionDenied(_("You wrote this alert: another member of the crisis unit or the press office "
                                 "must approve it."))
    policy.require(request.user, "message.approve", alert)
    targets = alert.targets.count()
    form = EmptyActionForm(_posted(request), initial={"version": alert.version})

    def act(form):
        try:
            message_approve(actor=request.user, message_id=alert.pk, publish_at=None,
                            expected_version=form.cleaned_data.get("version"))
        except PermissionDenied as refusal:
            raise ValidationError(str(refusal)) from None
        flash.success(request, _("Approved: the alert is going out now through the crisis lane."))
        return redirect(back)

    action = Action(
        title=_("Approve this crisis alert and send it now?"),
        lead=_("“%(title)s”, written by %(author)s, goes to %(count)s accounts (%(scope)s) at once.") % {
            "title": alert.title, "author": alert.author.get_full_name() or alert.author.get_username(),
            "count": targets, "scope": scope_in_words(alert.crisis_scope or {})},
        consequences=[
            _("Read every language of the text on the board before approving: it is published as it is."),
            _("Once out, it can only be retracted, post by post."),
        ],
        button=_("Approve and send now"), back_url=back, danger=True,
    )
    if alert.state != MState.IN_REVIEW:
        flash.info(request, _("This alert is “%(state)s”: there is nothing to approve.") % {
            "state": alert.get_state_display()})
        return redirect(back)
    return confirm_or_act(request, form=form, action=action, act=act, context={"message": alert})


