"""The audit log page, for administrators."""

from __future__ import annotations

from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from audit import selectors
from audit.forms import AuditFilterForm
from diplomacy_hub import policy
from diplomacy_hub.localtime import hq_zone

EVENTS_PER_PAGE = 50


@require_GET
def audit_log(request: HttpRequest) -> HttpResponse:
    """Every sensitive action, newest first, filtered by action, user and days
    (headquarters' days). Read only: the log has no edit or delete, here or anywhere."""
    policy.require(request.user, "audit.view")
    actions = selectors.audit_actions()
    filters = AuditFilterForm(request.GET or None, actions=actions)
    headquarters = hq_zone()
    events = selectors.audit_event_list(**filters.filters(), tz=headquarters)
    return render(
        request,
        "audit/log.html",
        {
            "page": Paginator(events, EVENTS_PER_PAGE).get_page(request.GET.get("page")),
            "filters": filters,
            "actions": actions,
            "headquarters_time_zone": str(headquarters),
        },
    )
