"""The publishing engine's health: for people (the press office's page, refreshed every
few seconds) and for machines (GET /healthz, JSON, open without login: it shows counts
and ages, no message or account; 200 when healthy, 503 when red). Both render the same
report (posts.health.health_report)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.contrib.auth.decorators import login_not_required
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from channels.budgets import budgets_today
from channels.models import Network, network_label
from diplomacy_hub import policy
from diplomacy_hub.localtime import hq_context
from posts.health import health_report
from posts.views.words import pauses_in_force

HEALTH_POLL_SECONDS = 5


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
    checks.append(
        Check(
            name=_("Dispatcher"),
            ok=dispatcher_age is not None and dispatcher_age <= settings.HEALTH_DISPATCHER_MAX_AGE,
            words=(
                _("It has never run: is beat running?")
                if dispatcher_age is None
                else _("Last ran %(age)s ago.") % {"age": _age_words(dispatcher_age)}
                if dispatcher_age <= settings.HEALTH_DISPATCHER_MAX_AGE
                else _("It has not run for %(age)s: scheduled messages are not going out. Check beat and the workers.")
                % {"age": _age_words(dispatcher_age)}
            ),
        )
    )
    recent = [worker for worker in report["workers"] if worker["recent"]]
    checks.append(
        Check(
            name=_("Workers"),
            ok=bool(recent),
            words=(
                ngettext(
                    "%(count)s worker seen in the last %(age)s.",
                    "%(count)s workers seen in the last %(age)s.",
                    len(recent),
                )
                % {"count": len(recent), "age": _age_words(settings.HEALTH_WORKER_MAX_AGE)}
                if recent
                else _("No worker seen for %(age)s: nothing is being published.")
                % {"age": _age_words(settings.HEALTH_WORKER_MAX_AGE)}
            ),
        )
    )
    for queue, seen in sorted(report["queues"].items()):
        ok = seen["age_seconds"] <= settings.HEALTH_WORKER_MAX_AGE
        checks.append(
            Check(
                name=_("Queue “%(queue)s”") % {"queue": queue},
                ok=ok,
                words=(
                    _("A worker took work from it %(age)s ago.") % {"age": _age_words(seen["age_seconds"])}
                    if ok
                    else _("No worker has taken work from it for %(age)s.") % {"age": _age_words(seen["age_seconds"])}
                ),
            )
        )
    oldest = report["oldest_due_seconds"]
    checks.append(
        Check(
            name=_("Oldest delivery waiting"),
            ok=oldest is None or oldest <= settings.HEALTH_MAX_DUE_AGE,
            words=(
                _("Nothing is waiting.")
                if oldest is None
                else _("The oldest due delivery has waited %(age)s.") % {"age": _age_words(oldest)}
            ),
            link=reverse("posts:monitor_list") + "?show=out",
        )
    )
    broker = report["broker"]
    checks.append(
        Check(
            name=_("Message broker"),
            ok=broker["reachable"],
            words=_("Reachable.")
            if broker["reachable"]
            else _("It does not answer (%(detail)s): new work cannot reach the workers.")
            % {"detail": broker["detail"]},
        )
    )
    for problem in report.get("app_access", []):
        label = dict(Network.choices).get(problem["network"], problem["network"])
        checks.append(
            Check(
                name=_("%(network)s application access") % {"network": label},
                ok=False,
                words=(
                    _(
                        "%(network)s does not let Diplomacy Hub read timelines or look posts up: the access "
                        "level of our application on %(network)s does not include it. Messages still go out, "
                        "but a delivery whose outcome is unknown cannot be checked there. An administrator "
                        "must raise the application's access level in the network's developer portal."
                    )
                    % {"network": label}
                    if problem["network"] == "twitter"
                    else _(
                        "%(network)s refuses calls of our application itself: check its configuration in the "
                        "network's developer portal."
                    )
                    % {"network": label}
                ),
            )
        )
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
        "report": report,
        "ok": report["status"] == "ok",
        "checks": checks,
        "lanes": lanes,
        "poll_seconds": HEALTH_POLL_SECONDS,
        "now": timezone.now(),
        "unexplained": report["status"] != "ok" and all(check.ok for check in checks),
        "sweeper_at": datetime.fromisoformat(report["sweeper"]["last_run"]) if report["sweeper"]["last_run"] else None,
        "pauses": pauses_in_force(),
        # What listening and analytics spent together of each network's day (channels.budgets).
        "budgets": [(network_label(budget.network), budget) for budget in budgets_today()],
        **hq_context(),
    }
    template = "posts/operations/_health_live.html" if request.htmx else "posts/operations/health.html"
    return render(request, template, context)


@login_not_required
@never_cache
@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    report = health_report()
    return JsonResponse(report, status=200 if report["status"] == "ok" else 503)
