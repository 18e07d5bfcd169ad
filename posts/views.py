"""The publishing pages: dashboards, compose and edit, the review queue, the message page
(previews, thread, history, decisions) and the calendar.

Views are thin: bind a form, call a service, render. Services ask the policy and enforce
every rule; views ask it too, but only to decide which buttons to show. Reads go through
the selectors (and `policy.scope`), so another mission's message is simply not found.
Every list costs a constant number of queries, whatever the amount of data.
"""

from __future__ import annotations

import calendar as calendar_module
from collections import Counter as Tally
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from django.contrib import messages as flash
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Count, Exists, Min, OuterRef, Q, Subquery
from django.db.models.functions import Coalesce
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import formats, timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from channels import text as text_rules
from channels.models import Network, SocialAccount
from diplomacy_hub import policy
from embassies.models import RIGHT_TO_LEFT_LANGUAGES, Mission
from embassies.roles import Role
from posts import selectors
from posts.forms import (
    ApproveForm,
    CalendarForm,
    CommentForm,
    ComposeForm,
    DecisionForm,
    ReviewQueueFilterForm,
    display_language,
    hq_zone,
    local_to_aware,
    parse_local,
    place_of,
    week_start,
    zone_city,
    zone_of,
)
from posts.models import Attachment, Delivery, Event, InvalidTransition, Message, MessageText, Priority, Review
from posts.services import messages as drafting
from posts.services import review
from posts.services.messages import UNSET, StaleVersion
from posts.services.review import AUTHORING_VERBS, ValidationProblems
from posts.validation import build_content, delivery_plan, is_blocking, validate_message

QUEUE_PAGE_SIZE = 25
PANEL_SIZE = 8
CALENDAR_DAY_ENTRIES = 6  # month view: past this many in one day, "and N more"
AUTOSAVE_STATES = (Message.State.DRAFT, Message.State.CHANGES_REQUESTED)
CALENDAR_STATES = (
    Message.State.SCHEDULED, Message.State.PUBLISHING, Message.State.PUBLISHED,
    Message.State.PARTIALLY_PUBLISHED, Message.State.FAILED,
)
NETWORK_ORDER = {network: index for index, network in enumerate(Network.values)}


def _base_context() -> dict:
    zone = hq_zone()
    return {"hq_zone": str(zone), "hq_place": zone_city(zone)}


def _render(request: HttpRequest, template: str, context: dict, *, status: int = 200) -> HttpResponse:
    return render(request, template, {**_base_context(), **context}, status=status)


def _submitted_at():
    """When a message was last sent for review (for "waiting since")."""
    return Subquery(
        Event.objects.filter(message=OuterRef("pk"), verb="message.submit")
        .order_by("-created_at", "-pk").values("created_at")[:1]
    )


# =============================================================================================
# Previews: what each network receives, with its counter, by the rules submit applies
# =============================================================================================

@dataclass
class Counter:
    label: str
    count: int
    limit: int
    unit: str = ""

    @property
    def over(self) -> bool:
        return self.count > self.limit

    @property
    def excess(self) -> int:
        return self.count - self.limit

    @property
    def near(self) -> bool:
        return not self.over and self.count > self.limit * 0.9


@dataclass
class PreviewCard:
    network: str
    network_label: str
    language: str
    language_name: str
    direction: str
    accounts: list[str]
    text: str
    title: str
    media: list
    counters: list[Counter]
    problems: list[str] = field(default_factory=list)


@dataclass
class Preview:
    cards: list[PreviewCard]
    blocking: list[str]
    warnings: list[str]
    has_targets: bool
    has_text: bool

    @property
    def problem_count(self) -> int:
        return len(self.blocking) + sum(len(card.problems) for card in self.cards)

    @property
    def ready(self) -> bool:
        return self.problem_count == 0 and self.has_targets and self.has_text


class _Related:
    """What `message.texts` / `.targets` / `.attachments` give validation: `.all()`."""

    def __init__(self, items) -> None:
        self._items = list(items)

    def all(self) -> list:
        return list(self._items)


class DraftMessage:
    """A message as typed but not saved, shaped as validation reads a Message, so that the
    live preview applies exactly the rules submit will apply."""

    def __init__(self, *, mission: Mission, message: Message | None, texts: dict, targets: list[SocialAccount],
                 desired_at: datetime | None, attachments: list[Attachment]) -> None:
        self.pk = message.pk if message is not None else None
        self.mission, self.mission_id = mission, mission.pk
        self.state = message.state if message is not None else Message.State.DRAFT
        self.priority = Priority.ROUTINE
        self.is_crisis = False
        self.desired_at = desired_at
        self.title = ""
        self.texts = _Related(
            MessageText(language=language, network=network, body=value["body"], title=value["title"])
            for (language, network), value in texts.items()
            if str(value["body"] or "").strip() or str(value["title"] or "").strip()
        )
        self.targets = _Related(sorted(targets, key=lambda account: account.pk))
        self.attachments = _Related(attachments)


def _counters(network: str, text: str, title: str) -> list[Counter]:
    label = Network(network).label
    if network == Network.TWITTER:
        return [Counter(label, text_rules.tweet_length(text), text_rules.TWEET_MAX)]
    if network == Network.FACEBOOK:
        return [Counter(label, text_rules.facebook_length(text), text_rules.FACEBOOK_TEXT_MAX)]
    if network == Network.YOUTUBE:
        return [
            Counter(_("%(network)s title") % {"network": label}, text_rules.youtube_title_length(title),
                    text_rules.YOUTUBE_TITLE_MAX),
            Counter(_("%(network)s description") % {"network": label},
                    text_rules.youtube_description_bytes(text), text_rules.YOUTUBE_DESCRIPTION_MAX_BYTES,
                    _("bytes")),
        ]
    return [Counter(_("%(network)s title") % {"network": label}, text_rules.flickr_title_length(title),
                    text_rules.FLICKR_TITLE_MAX)]


def build_preview(message: Message | DraftMessage) -> Preview:
    """One card per network and language that would be published, with the network's own
    count and every problem validation finds (the same `validate_message` submit runs)."""
    problems = validate_message(message)
    groups: dict[tuple[str, str], list[SocialAccount]] = {}
    for account, language in delivery_plan(message):
        groups.setdefault((account.network, language), []).append(account)
    order = list(message.mission.languages) if message.mission is not None else []
    cards: dict[tuple[str, str], PreviewCard] = {}
    attachments = sorted(message.attachments.all(), key=lambda item: (item.position, item.pk or 0))
    for (network, language), accounts in sorted(
        groups.items(),
        key=lambda item: (NETWORK_ORDER.get(item[0][0], 9),
                          order.index(item[0][1]) if item[0][1] in order else len(order), item[0][1]),
    ):
        content = build_content(message=message, language=language, network=network)
        names = [account.handle or account.display_name or f"#{account.pk}" for account in accounts]
        cards[(network, language)] = PreviewCard(
            network=network, network_label=Network(network).label, language=language,
            language_name=display_language(language),
            direction="rtl" if language in RIGHT_TO_LEFT_LANGUAGES else "ltr",
            accounts=names if len(names) <= 6 else [*names[:5], _("and %(count)s more") % {"count": len(names) - 5}],
            text=content.text, title=content.title if network in (Network.YOUTUBE, Network.FLICKR) else "",
            media=attachments, counters=_counters(network, content.text, content.title),
        )
    blocking: list[str] = []
    warnings: list[str] = []
    for problem in problems:
        key = (problem.network, getattr(problem, "language", ""))
        if key in cards and getattr(problem, "field", "") != "texts" and is_blocking(problem):
            cards[key].problems.append(problem.message)
        elif is_blocking(problem):
            blocking.append(problem.message)
        else:
            warnings.append(problem.message)
    has_text = any(not text.network and text.body.strip() for text in message.texts.all())
    return Preview(cards=list(cards.values()), blocking=blocking, warnings=warnings,
                   has_targets=bool(message.targets.all()), has_text=has_text)


def _draft_from_form(form: ComposeForm, message: Message | None) -> DraftMessage:
    if form.is_bound:
        form.is_valid()
        desired_at = form.cleaned_data.get("desired_at")
    else:
        desired_at = form.initial.get("desired_at")
    chosen = {str(value) for value in (form["targets"].value() or [])}
    texts = {}
    for language in form.mission.languages:
        for network in ["", *Network.values]:
            suffix = f"{language}_{network}" if network else language
            texts[(language, network)] = {
                "body": (form[f"text_{suffix}"].value() or "").replace("\r\n", "\n"),
                "title": " ".join(str(form[f"title_{suffix}"].value() or "").split())
                if f"title_{suffix}" in form.fields else "",
            }
    return DraftMessage(
        mission=form.mission, message=message, texts=texts,
        targets=[account for account in form.accounts if str(account.pk) in chosen],
        desired_at=desired_at, attachments=form.attachments,
    )


# =============================================================================================
# Dashboard
# =============================================================================================

def _latest_review(decision: str, what: str):
    return Subquery(
        Review.objects.filter(message=OuterRef("pk"), decision=decision)
        .order_by("-created_at", "-pk").values(what)[:1]
    )


def _officer_panels(user) -> dict:
    State = Message.State
    mine = Message.objects.filter(mission__in=list(policy.mission_ids_of(user))).select_related("mission")
    recent = timezone.now() - timedelta(days=7)
    failed = Q(state__in=[State.FAILED, State.PARTIALLY_PUBLISHED], updated_at__gte=recent)
    counts = mine.aggregate(
        drafts=Count("pk", filter=Q(state=State.DRAFT, author=user)),
        changes=Count("pk", filter=Q(state=State.CHANGES_REQUESTED)),
        in_review=Count("pk", filter=Q(state=State.IN_REVIEW)),
        scheduled=Count("pk", filter=Q(state=State.SCHEDULED)),
        failed=Count("pk", filter=failed),
    )
    return {
        "counts": counts,
        "drafts": list(mine.filter(state=State.DRAFT, author=user).order_by("-updated_at", "-pk")[:PANEL_SIZE]),
        "changes": list(
            mine.filter(state=State.CHANGES_REQUESTED)
            .annotate(review_comment=_latest_review(Review.Decision.REQUEST_CHANGES, "comment"),
                      reviewer_first=_latest_review(Review.Decision.REQUEST_CHANGES, "reviewer__first_name"),
                      reviewer_username=_latest_review(Review.Decision.REQUEST_CHANGES, "reviewer__username"))
            .order_by("-updated_at", "-pk")[:PANEL_SIZE]
        ),
        "in_review": list(mine.filter(state=State.IN_REVIEW).annotate(submitted_at=_submitted_at())
                          .order_by("-updated_at", "-pk")[:PANEL_SIZE]),
        "scheduled": list(mine.filter(state=State.SCHEDULED).order_by("scheduled_at", "pk")[:PANEL_SIZE]),
        "failed": list(
            mine.filter(failed).annotate(
                failed_count=Count("deliveries", filter=Q(deliveries__state=Delivery.State.FAILED)),
                total_count=Count("deliveries", filter=~Q(deliveries__state=Delivery.State.CANCELLED)),
            ).order_by("-updated_at", "-pk")[:PANEL_SIZE]
        ),
    }


@dataclass
class DeliveryGroup:
    message: Message
    deliveries: list[Delivery]

    @property
    def accounts(self) -> list[str]:
        labels = []
        for delivery in self.deliveries:
            account = delivery.account
            label = f"{account.get_network_display()} {account.handle or account.display_name}"
            if label not in labels:
                labels.append(label)
        return labels

    @property
    def needs_decision(self) -> bool:
        return any(delivery.next_attempt_at is None for delivery in self.deliveries)


def _by_message(deliveries, *, rows: int = 40, groups: int = 5) -> list[DeliveryGroup]:
    """The first deliveries (one query, at most `rows`), grouped under their message."""
    grouped: dict[int, DeliveryGroup] = {}
    for delivery in deliveries[:rows]:
        grouped.setdefault(delivery.message_id, DeliveryGroup(delivery.message, [])).deliveries.append(delivery)
    return list(grouped.values())[:groups]


def _press_panels(user) -> dict:
    now = timezone.now()
    queue = selectors.review_queue(user=user).annotate(submitted_at=_submitted_at())
    waiting = queue.order_by().aggregate(count=Count("pk"), oldest=Min("submitted_at"))
    deliveries = policy.scope(user, Delivery.objects.all(), mission_field="message__mission")
    recent = now - timedelta(days=7)
    DState = Delivery.State
    delivery_counts = deliveries.aggregate(
        failed=Count("pk", filter=Q(state=DState.FAILED, state_changed_at__gte=recent)),
        unknown=Count("pk", filter=Q(state=DState.UNKNOWN)),
        to_settle=Count("pk", filter=Q(state=DState.UNKNOWN, next_attempt_at__isnull=True)),
        held=Count("pk", filter=Q(state=DState.HELD)),
    )
    listed = deliveries.select_related("message__mission", "account")
    soon = policy.scope(user, Message.objects.all(), mission_field="mission").filter(
        state=Message.State.SCHEDULED, scheduled_at__gte=now, scheduled_at__lte=now + timedelta(hours=6),
    ).select_related("mission")
    return {
        "queue": list(queue[:5]),
        "waiting": waiting,
        "oldest_age": now - waiting["oldest"] if waiting["oldest"] else None,
        "delivery_counts": delivery_counts,
        "failed": _by_message(listed.filter(state=DState.FAILED, state_changed_at__gte=recent)
                              .order_by("-state_changed_at", "-pk")),
        "unknown": _by_message(listed.filter(state=DState.UNKNOWN).order_by("next_attempt_at", "pk")),
        "held": _by_message(listed.filter(state=DState.HELD).order_by("next_attempt_at", "pk")),
        "soon_count": soon.count(),
        "soon": list(soon.order_by("scheduled_at", "pk")[:PANEL_SIZE]),
    }


def _crisis_panels(user) -> dict:
    State, DState = Message.State, Delivery.State
    alerts = (
        policy.scope(user, Message.objects.all(), mission_field="mission")
        .filter(priority=Priority.CRISIS)
        .filter(Q(state__in=[State.DRAFT, State.IN_REVIEW, State.SCHEDULED, State.PUBLISHING])
                | Q(state__in=[State.PUBLISHED, State.PARTIALLY_PUBLISHED, State.FAILED],
                    updated_at__gte=timezone.now() - timedelta(hours=24)))
        .select_related("author")
    )
    return {
        "count": alerts.count(),
        "alerts": list(alerts.annotate(
            total=Count("deliveries", filter=~Q(deliveries__state=DState.CANCELLED)),
            sent=Count("deliveries", filter=Q(deliveries__state=DState.SENT)),
            failed_count=Count("deliveries", filter=Q(deliveries__state=DState.FAILED)),
        ).order_by("-created_at", "-pk")[:PANEL_SIZE]),
    }


def _admin_panels(user) -> dict:
    broken = [SocialAccount.Status.EXPIRED, SocialAccount.Status.REVOKED]
    accounts = policy.scope(user, SocialAccount.objects.all())
    return {
        "missions": policy.missions_visible_to(user).aggregate(
            total=Count("pk"), active=Count("pk", filter=Q(is_active=True)),
        ),
        "account_counts": accounts.aggregate(
            total=Count("pk"), broken=Count("pk", filter=Q(status__in=broken)),
            pending=Count("pk", filter=Q(status=SocialAccount.Status.PENDING)),
        ),
        "broken": list(accounts.filter(status__in=broken).select_related("mission")
                       .order_by("mission__name", "network", "pk")[:PANEL_SIZE]),
    }


@require_GET
def dashboard(request: HttpRequest) -> HttpResponse:
    """What needs this user now; each role sees its own panels, each a fixed few queries."""
    user = request.user
    roles = policy.roles_of(user)
    context: dict = {"now": timezone.now()}
    if Role.OFFICER in roles:
        context["my_missions"] = list(Mission.objects.filter(pk__in=list(policy.mission_ids_of(user)))
                                      .order_by("name"))
        context["officer"] = _officer_panels(user)
    if Role.PRESS_OFFICE in roles:
        context["press"] = _press_panels(user)
    if Role.CRISIS_UNIT in roles:
        context["crisis"] = _crisis_panels(user)
        if Role.PRESS_OFFICE not in roles:
            context["crisis_queue"] = selectors.review_queue(user=user).count()
    if Role.ADMINISTRATOR in roles:
        context["admin"] = _admin_panels(user)
    return _render(request, "posts/dashboard.html", context)


# =============================================================================================
# Compose and edit
# =============================================================================================

def _missions_to_write_for(user) -> list[Mission]:
    if not policy.has_role(user, Role.OFFICER):
        return []
    return list(Mission.objects.active().filter(pk__in=list(policy.mission_ids_of(user))).order_by("name"))


def _editable_message(request: HttpRequest, pk) -> Message:
    message = selectors.message_get(user=request.user, pk=pk)
    policy.require(request.user, "message.edit", message)
    return message


def _accounts(mission: Mission) -> list[SocialAccount]:
    return list(SocialAccount.objects.filter(mission=mission).select_related("mission").order_by("network", "pk"))


def _compose_form(request: HttpRequest, mission: Mission, message: Message | None, *, data=None, files=None):
    return ComposeForm(
        data, files, mission=mission, accounts=_accounts(mission), message=message,
        attachments=list(message.attachments.all()) if message is not None else [],
    )


def _resolve_compose(request: HttpRequest) -> tuple[Mission, Message | None]:
    """The mission and (once saved) the message a compose, autosave or preview request is
    about, checked against the policy: another mission's answers 404."""
    message_id = (request.POST.get("message") or "").strip()
    if message_id:
        message = _editable_message(request, message_id)
        if message.mission is None:
            raise Http404("Crisis alerts have their own form.")
        return message.mission, message
    mission_id = request.POST.get("mission") or request.GET.get("mission")
    mission = next((m for m in _missions_to_write_for(request.user) if str(m.pk) == str(mission_id)), None)
    if mission is None:
        raise Http404("No such mission among yours.")
    policy.require(request.user, "message.create", mission)
    return mission, None


def _save_draft(user, form: ComposeForm, message: Message | None) -> Message:
    """Create the draft, or write the form over it; then the changed alt texts."""
    data = form.cleaned_data
    if message is None:
        message = drafting.message_create(
            actor=user, mission=form.mission, title=data["title"], texts=form.texts(),
            target_ids=form.target_ids(), desired_at=data.get("desired_at"),
        )
    else:
        message = drafting.message_update(
            actor=user, message_id=message.pk, expected_version=data.get("version"), title=data["title"],
            texts=form.texts(), target_ids=form.target_ids(), desired_at=data.get("desired_at"),
        )
    for attachment, alt_text in form.changed_alt_texts():
        version = Message.objects.values_list("version", flat=True).get(pk=message.pk)
        drafting.attachment_set_alt_text(actor=user, message_id=message.pk, attachment_id=attachment.pk,
                                         alt_text=alt_text, expected_version=version)
    return Message.objects.get(pk=message.pk)


def _stale_text() -> str:
    return _("This message has changed since you opened this page (someone saved it, or decided on it in the "
             "meantime). Nothing was done. Reload the page to see the current version, then try again.")


def _compose_page(request: HttpRequest, form: ComposeForm, message: Message | None, *, status: int = 200,
                  version: int | None = None, stale: bool = False) -> HttpResponse:
    if form.is_bound:
        desired_moment = getattr(form, "cleaned_data", {}).get("desired_at")
    else:
        desired_moment = message.desired_at if message is not None else None
    reviews = list(message.reviews.all()) if message is not None else []
    return _render(request, "posts/compose.html", {
        "form": form,
        "desired_moment": desired_moment,
        "last_change_request": next((review for review in reversed(reviews)
                                     if review.decision == Review.Decision.REQUEST_CHANGES), None),
        "mission": form.mission,
        "message": message,
        "current_version": version if version is not None else (message.version if message else ""),
        "stale": stale,
        "autosave": message is None or message.state in AUTOSAVE_STATES,
        "preview": build_preview(message if (message is not None and not form.is_bound)
                                 else _draft_from_form(form, message)),
        "now": timezone.now(),
    }, status=status)


class _Redisplay(Exception):
    """Control flow: show the form again with the error just added."""


def _compose(request: HttpRequest, mission: Mission, message: Message | None) -> HttpResponse:
    if request.method != "POST":
        form = _compose_form(request, mission, message)
        if message is not None and request.GET.get("check"):
            # Sent here by a refused submit: show every problem beside its field.
            form = _compose_form(request, mission, message, data=form.as_data())
            form.is_valid()
            form.add_problems(validate_message(message))
        return _compose_page(request, form, message)

    form = _compose_form(request, mission, message, data=request.POST, files=request.FILES)
    action = request.POST.get("action", "save")
    remove = request.POST.get("remove_attachment")
    user = request.user
    if not form.is_valid():
        if action == "submit":  # every problem at once: the form's, and those submit would find
            form.add_problems(validate_message(_draft_from_form(form, message)))
        return _compose_page(request, form, message, status=400, version=request.POST.get("version") or None)
    try:
        message = _save_draft(user, form, message)
        if remove:
            drafting.attachment_remove(actor=user, message_id=message.pk, attachment_id=int(remove),
                              expected_version=message.version)
            flash.success(request, _("The attachment is removed."))
            return redirect(reverse("posts:message_edit", args=[message.pk]) + "#media")
        if action == "upload":
            upload = form.cleaned_data.get("file")
            if not upload:
                form.add_error("file", _("Choose a file to upload first."))
                raise _Redisplay
            attachment = drafting.attachment_add(actor=user, message_id=message.pk, uploaded_file=upload,
                                        alt_text=form.cleaned_data.get("alt_text", ""),
                                        expected_version=message.version)
            flash.success(request, _("“%(name)s” is attached.") % {"name": attachment.original_name})
            return redirect(reverse("posts:message_edit", args=[message.pk]) + "#media")
        if action == "submit":
            review.message_submit(actor=user, message_id=message.pk, expected_version=message.version)
            flash.success(request, _("Submitted for review. The press office has been told."))
            return redirect(message.get_absolute_url())
        flash.success(request, _("Saved."))
        return redirect("posts:message_edit", message.pk)
    except StaleVersion:
        return _compose_page(request, form, message, status=409, stale=True,
                             version=form.cleaned_data.get("version"))
    except ValidationProblems as problems:
        form.add_problems(problems.problems)
    except ValidationError as error:
        form.add_service_error(error)
    except InvalidTransition as error:
        form.add_error(None, str(error))
    except _Redisplay:
        pass
    if message is not None:
        message = selectors.message_get(user=user, pk=message.pk)
        form.attachments = list(message.attachments.all())
    return _compose_page(request, form, message, status=400)


@require_http_methods(["GET", "POST"])
def message_create(request: HttpRequest) -> HttpResponse:
    """A new message for one of the officer's missions (chosen first when they have several).
    Once autosave has created the draft, the form carries its id and edits it instead."""
    if request.method == "POST" and request.POST.get("message"):
        mission, message = _resolve_compose(request)
        return _compose(request, mission, message)
    missions = _missions_to_write_for(request.user)
    if not missions:
        raise PermissionDenied(_("Only officers of a mission write its messages."))
    chosen = request.POST.get("mission") or request.GET.get("mission")
    if not chosen and len(missions) == 1:
        chosen = str(missions[0].pk)
    if not chosen:
        return _render(request, "posts/compose_choose_mission.html", {"missions": missions})
    mission = next((m for m in missions if str(m.pk) == str(chosen)), None)
    if mission is None:
        raise Http404("No such mission among yours.")
    return _compose(request, mission, None)


@require_http_methods(["GET", "POST"])
def message_edit(request: HttpRequest, pk: int) -> HttpResponse:
    message = _editable_message(request, pk)
    if message.is_crisis or message.mission is None:
        flash.info(request, _("Crisis alerts are written with the crisis alert form."))
        return redirect(message.get_absolute_url())
    if message.state not in Message.EDITABLE_STATES:
        flash.warning(request, _("This message is “%(state)s”: it can no longer be edited.")
                      % {"state": message.get_state_display()})
        return redirect(message.get_absolute_url())
    return _compose(request, message.mission, message)


@require_POST
def message_autosave(request: HttpRequest) -> HttpResponse:
    """Save the draft as it is typed: create it once (the page then carries its id), update
    it afterwards. Fields with an error are left as they were; the status says so."""
    mission, message = _resolve_compose(request)
    form = _compose_form(request, mission, message, data=request.POST)
    form.is_valid()
    errors = form.errors
    context = {"message": message, "saved_at": None, "problem": "", "skipped": [], "zone": mission.time_zone}
    if message is not None and message.state not in AUTOSAVE_STATES:
        context["problem"] = _("Automatic saving is off for a message in review or scheduled: use Save.")
        return _render(request, "posts/partials/autosave.html", context)
    text_fields = [name for name in form.fields if name.startswith(("text_", "title_"))]
    skipped = [name for name in ["title", "targets", "desired_at", *text_fields] if name in errors]
    context["skipped"] = sorted({str(form.fields[name].label) for name in skipped})
    texts = UNSET if any(name in errors for name in text_fields) else form.texts()
    targets = UNSET if "targets" in errors else form.target_ids()
    desired_at = UNSET if "desired_at" in errors else form.cleaned_data.get("desired_at")
    try:
        if message is None:
            if "title" in errors:
                context["problem"] = _("Give the message an internal title: it is saved from then on.")
                return _render(request, "posts/partials/autosave.html", context)
            message = drafting.message_create(
                actor=request.user, mission=mission, title=form.cleaned_data["title"],
                texts={} if texts is UNSET else texts, target_ids=[] if targets is UNSET else targets,
                desired_at=None if desired_at is UNSET else desired_at,
            )
            created = True
        else:
            message = drafting.message_update(
                actor=request.user, message_id=message.pk, expected_version=form.cleaned_data.get("version"),
                title=UNSET if "title" in errors else form.cleaned_data["title"],
                texts=texts, target_ids=targets, desired_at=desired_at,
            )
            created = False
    except StaleVersion:
        context["problem"] = _("Not saved: this message was changed elsewhere. Reload the page before going on.")
        context["stale"] = True
        return _render(request, "posts/partials/autosave.html", context)
    except ValidationError as error:
        context["problem"] = _("Not saved: %(reason)s") % {"reason": " ".join(error.messages)}
        return _render(request, "posts/partials/autosave.html", context)
    except InvalidTransition as error:
        context["problem"] = str(error)
        return _render(request, "posts/partials/autosave.html", context)
    context.update(message=message, saved_at=timezone.now(), created=created)
    response = _render(request, "posts/partials/autosave.html", context)
    if created and request.htmx:
        response["HX-Replace-Url"] = reverse("posts:message_edit", args=[message.pk])
    return response


@require_POST
def message_preview(request: HttpRequest) -> HttpResponse:
    """The previews and counters of what is typed now (htmx, as one types)."""
    mission, message = _resolve_compose(request)
    form = _compose_form(request, mission, message, data=request.POST)
    return _render(request, "posts/partials/preview.html", {
        "preview": build_preview(_draft_from_form(form, message)), "live": True,
    })


@require_GET
def time_in_hq(request: HttpRequest) -> HttpResponse:
    """A local time of a mission, as headquarters reads it (next to a time field)."""
    mission = None
    if request.GET.get("mission"):
        mission_id = request.GET["mission"]
        if not mission_id.isdigit():
            raise Http404("No such mission.")
        mission = get_object_or_404(policy.missions_visible_to(request.user), pk=int(mission_id))
    value = request.GET.get("desired_at") or request.GET.get("publish_at") or ""
    context: dict = {"mission": mission, "moment": None, "error": ""}
    if value.strip():
        naive = parse_local(value)
        if naive is None:
            context["error"] = _("Enter a date and a time, for example 2030-03-14 09:30.")
        else:
            try:
                context["moment"] = local_to_aware(naive, zone_of(mission), place=place_of(mission))
            except ValidationError as error:
                context["error"] = " ".join(error.messages)
    return _render(request, "posts/partials/hq_time.html", context)


# =============================================================================================
# The message page: previews, attachments, thread, history, decisions
# =============================================================================================

EVENT_LABELS = {
    "message.create": gettext_lazy("created the draft"),
    "message.edit": gettext_lazy("edited the message"),
    "message.submit": gettext_lazy("submitted it for review"),
    "message.approve": gettext_lazy("approved it"),
    "message.request_changes": gettext_lazy("asked for changes"),
    "message.reject": gettext_lazy("rejected it"),
    "message.cancel": gettext_lazy("cancelled it"),
    "message.comment": gettext_lazy("commented"),
    "message.attachment_add": gettext_lazy("attached a file"),
    "message.attachment_remove": gettext_lazy("removed a file"),
    "message.attachment_alt_text": gettext_lazy("changed an alt text"),
    "message.approval_invalidated": gettext_lazy("withdrew the approval by changing the message"),
    "message.retract_requested": gettext_lazy("asked to retract it"),
    "message.retracted": gettext_lazy("retracted it"),
    "delivery.sent": gettext_lazy("sent"),
    "delivery.failed": gettext_lazy("failed"),
    "delivery.unknown": gettext_lazy("outcome unknown"),
    "delivery.held": gettext_lazy("held"),
    "delivery.released": gettext_lazy("released"),
    "delivery.cancel": gettext_lazy("cancelled"),
    "delivery.cancelled": gettext_lazy("cancelled"),
    "delivery.retry": gettext_lazy("retried"),
    "delivery.requeued": gettext_lazy("queued again"),
    "delivery.rate_limited": gettext_lazy("rate limited, will retry"),
    "delivery.reconciled": gettext_lazy("found on the network"),
    "delivery.not_found": gettext_lazy("not found on the network"),
    "delivery.needs_decision": gettext_lazy("needs a press officer's decision"),
    "delivery.settled": gettext_lazy("settled by hand"),
    "delivery.retracted": gettext_lazy("deleted from the network"),
    "delivery.retract_failed": gettext_lazy("could not be deleted"),
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
        return ", ".join(str(part) for part in details.get("changed", []))
    if event.delivery_id and details.get("reason"):
        return str(details["reason"])[:200]
    return ""


def _history(message: Message) -> tuple[list[HistoryEntry], list[HistoryEntry], int]:
    accounts = {delivery.pk: delivery.account for delivery in message.deliveries.all()}
    main, deliveries = [], []
    for event in message.events.all():
        states = Delivery.State if event.delivery_id else Message.State
        entry = HistoryEntry(
            event=event, label=str(EVENT_LABELS.get(event.verb, event.verb)),
            from_label=_state_label(states, event.from_state) if event.from_state else "",
            to_label=_state_label(states, event.to_state) if event.to_state else "",
            detail=_event_detail(event),
        )
        if event.delivery_id:
            account = accounts.get(event.delivery_id)
            entry.account = str(account.handle or account.display_name) if account else f"#{event.delivery_id}"
            entry.account = f"{account.get_network_display()} {entry.account}" if account else entry.account
            deliveries.append(entry)
        else:
            main.append(entry)
    return main, deliveries[-HISTORY_DELIVERY_EVENTS:], len(deliveries)


def _authored_part(user, message: Message) -> bool:
    return message.author_id == user.pk or any(
        event.actor_id == user.pk and event.verb in AUTHORING_VERBS for event in message.events.all()
    )


def _decision_forms(message: Message, data=None, which: str = "") -> dict:
    return {
        "approve_form": ApproveForm(data if which == "approve" else None, message=message),
        "changes_form": DecisionForm(data if which == "changes" else None, message=message, prefix="changes",
                                     required_message=_("Say what should change: the author reads it.")),
        "reject_form": DecisionForm(data if which == "reject" else None, message=message, prefix="reject",
                                    required_message=_("Say why the message is rejected: the author reads it.")),
    }


def _detail_page(request: HttpRequest, message: Message, *, status: int = 200, stale: bool = False,
                 forms: dict | None = None, comment_form: CommentForm | None = None) -> HttpResponse:
    user = request.user
    can_decide = message.state == Message.State.IN_REVIEW and policy.can(user, "message.approve", message) \
        and not _authored_part(user, message)
    history, delivery_history, delivery_event_count = _history(message)
    deliveries = [delivery for delivery in message.deliveries.all() if delivery.state != Delivery.State.CANCELLED]
    tally = Tally(delivery.state for delivery in deliveries)
    reviews = list(message.reviews.all())
    context = {
        "message": message,
        "preview": build_preview(message),
        "attachments": list(message.attachments.all()),
        "targets": list(message.targets.all()),
        "comments": list(message.comments.all()),
        "reviews": reviews,
        "last_change_request": next((review for review in reversed(reviews)
                                     if review.decision == Review.Decision.REQUEST_CHANGES), None),
        "history": history,
        "delivery_history": delivery_history,
        "delivery_event_count": delivery_event_count,
        "delivery_states": [(label, tally[value], value) for value, label in Delivery.State.choices
                            if tally[value]],
        "delivery_total": len(deliveries),
        "can_edit": (policy.can(user, "message.edit", message) and message.state in Message.EDITABLE_STATES
                     and not message.is_crisis),
        "can_submit": (policy.can(user, "message.submit", message)
                       and message.state in (Message.State.DRAFT, Message.State.CHANGES_REQUESTED)),
        "can_decide": can_decide,
        "is_reviewer_but_author": (message.state == Message.State.IN_REVIEW and not can_decide
                                   and policy.has_role(user, Role.PRESS_OFFICE, Role.CRISIS_UNIT)),
        "stale": stale,
        "comment_form": comment_form or CommentForm(),
        "zone_place": place_of(message.mission),
        "now": timezone.now(),
    }
    if can_decide:
        context.update(forms or _decision_forms(message))
    return _render(request, "posts/message_detail.html", context, status=status)


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
                done = review.message_approve(actor=request.user, message_id=message.pk,
                                              publish_at=form.publish_at(), expected_version=version,
                                              comment=comment)
                _flash_approved(request, done)
            elif which == "changes":
                review.message_request_changes(actor=request.user, message_id=message.pk, comment=comment,
                                        expected_version=version)
                flash.success(request, _("Changes requested: “%(title)s” is back with its author.")
                              % {"title": message.title})
            else:
                review.message_reject(actor=request.user, message_id=message.pk, comment=comment,
                                      expected_version=version)
                flash.success(request, _("“%(title)s” is rejected. Its author has been told.")
                              % {"title": message.title})
            return redirect("posts:review_queue" if policy.can(request.user, "message.review_queue")
                            else message.get_absolute_url())
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
    if message.scheduled_at and message.scheduled_at > timezone.now() + timedelta(minutes=1):
        hq = message.scheduled_at.astimezone(hq_zone())
        local = message.scheduled_at.astimezone(zone_of(message.mission))
        flash.success(request, _("Approved: “%(title)s” goes out %(local)s in %(place)s (%(hq)s in %(hq_place)s).") % {
            "title": message.title, "local": formats.date_format(local, "DATETIME_FORMAT"),
            "place": place_of(message.mission), "hq": formats.time_format(hq, "TIME_FORMAT"),
            "hq_place": zone_city(hq_zone()),
        })
    else:
        flash.success(request, _("Approved: “%(title)s” is going out now.") % {"title": message.title})


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
    flash.success(request, _("Submitted for review. The press office has been told."))
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
    attachments = policy.scope(request.user, Attachment.objects.all(), mission_field="message__mission")
    attachment = get_object_or_404(attachments, pk=attachment_id, message_id=pk)
    try:
        handle = attachment.file.open("rb")
    except (FileNotFoundError, ValueError):
        raise Http404("The file is missing.") from None
    response = FileResponse(handle, content_type=attachment.mime_type, filename=attachment.original_name)
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response["Cache-Control"] = "private, max-age=600"
    return response


# =============================================================================================
# Review queue
# =============================================================================================

@require_GET
def review_queue(request: HttpRequest) -> HttpResponse:
    """Messages waiting for this reviewer: crisis alerts first, then by desired time, then
    the oldest; filtered; a fixed few queries per page."""
    policy.require(request.user, "message.review_queue")
    missions = list(policy.missions_visible_to(request.user).only("pk", "name").order_by("name"))
    form = ReviewQueueFilterForm(request.GET or None, missions=missions)
    chosen = form.filters()
    queue = selectors.review_queue(
        user=request.user, priority=chosen["priority"], region=chosen["region"],
        mission=int(chosen["mission"]) if chosen["mission"] else None,
    )
    if chosen["network"]:
        queue = queue.filter(Exists(Message.targets.through.objects.filter(
            message_id=OuterRef("pk"), socialaccount__network=chosen["network"],
        )))
    if chosen["date_from"] or chosen["date_to"]:
        queue = queue.annotate(goes_out_at=Coalesce("desired_at", "created_at"))
        zone = hq_zone()
        if chosen["date_from"]:
            queue = queue.filter(goes_out_at__gte=datetime.combine(chosen["date_from"], datetime.min.time(), zone))
        if chosen["date_to"]:
            end = datetime.combine(chosen["date_to"] + timedelta(days=1), datetime.min.time(), zone)
            queue = queue.filter(goes_out_at__lt=end)
    queue = queue.annotate(submitted_at=_submitted_at())
    page = Paginator(queue, QUEUE_PAGE_SIZE).get_page(request.GET.get("page"))
    return _render(request, "posts/review_queue.html", {
        "form": form, "page": page, "filtered": any(chosen.values()), "now": timezone.now(),
    })


# =============================================================================================
# Calendar
# =============================================================================================

@dataclass
class CalendarEntry:
    message: Message
    moment: datetime
    place: str


@dataclass
class CalendarDay:
    day: date
    entries: list[CalendarEntry]
    in_month: bool = True
    is_today: bool = False

    @property
    def shown(self) -> list[CalendarEntry]:
        return self.entries[:CALENDAR_DAY_ENTRIES]

    @property
    def more(self) -> int:
        return max(0, len(self.entries) - CALENDAR_DAY_ENTRIES)


@require_GET
def calendar(request: HttpRequest) -> HttpResponse:
    """Scheduled and published messages by week or month, in headquarters' time or in each
    mission's own; one query for the messages, whatever their number."""
    user = request.user
    if not policy.roles_of(user):
        raise PermissionDenied
    zone = hq_zone()
    today = timezone.now().astimezone(zone).date()
    missions = list(policy.missions_visible_to(user).only("pk", "name").order_by("name"))
    form = CalendarForm(request.GET.dict(), missions=missions, today=today)
    chosen = form.values()
    anchor = chosen["date"]
    if chosen["view"] == CalendarForm.MONTH:
        first = anchor.replace(day=1)
        last = first.replace(day=calendar_module.monthrange(first.year, first.month)[1])
        start, end = week_start(first), week_start(last) + timedelta(days=6)
        previous, following = (first - timedelta(days=1)).replace(day=1), last + timedelta(days=1)
    else:
        start = week_start(anchor)
        end = start + timedelta(days=6)
        first, last = start, end
        previous, following = start - timedelta(days=7), start + timedelta(days=7)
    found = selectors.message_list(
        user=user, state=list(CALENDAR_STATES), region=chosen["region"] or None,
        mission=int(chosen["mission"]) if chosen["mission"] else None,
        date_from=start - timedelta(days=1), date_to=end + timedelta(days=1),
    ).prefetch_related(None)  # the calendar shows no targets
    days = {start + timedelta(days=offset): CalendarDay(day=start + timedelta(days=offset), entries=[])
            for offset in range((end - start).days + 1)}
    for message in found:
        moment = message.scheduled_at or message.desired_at or message.created_at
        in_mission_time = chosen["tz"] == CalendarForm.MISSION and message.mission is not None
        local = moment.astimezone(message.mission.zone if in_mission_time else zone)
        if local.date() in days:
            days[local.date()].entries.append(CalendarEntry(
                message=message, moment=local,
                place=message.mission.city if in_mission_time else zone_city(zone),
            ))
    for day in days.values():
        day.entries.sort(key=lambda entry: (entry.moment.time(), entry.message.pk))
        day.in_month = first <= day.day <= last
        day.is_today = day.day == today
    ordered = list(days.values())
    return _render(request, "posts/calendar.html", {
        "form": form,
        "chosen": chosen,
        "weeks": [ordered[index:index + 7] for index in range(0, len(ordered), 7)],
        "days": ordered,
        "start": start, "end": end, "first": first,
        "previous": previous.isoformat(), "following": following.isoformat(), "today": today,
        "total": sum(len(day.entries) for day in ordered),
        "in_mission_time": chosen["tz"] == CalendarForm.MISSION,
    })

