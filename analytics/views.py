"""Analytics in the web UI: the comparison (regions, networks, missions, the week's top
messages), a mission's dashboard, one message's numbers. Thin: read through the selectors
(scoped by the policy), render; `?csv=<table>` gives any table of the page as CSV."""

from __future__ import annotations

import csv

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.text import slugify
from django.views.decorators.http import require_GET

from analytics import dialogue as dialogue_selectors
from analytics import selectors
from analytics.selectors import Table
from diplomacy_hub import policy
from embassies.selectors import mission_get


def _csv_or_page(request: HttpRequest, template: str, context: dict, *, name: str) -> HttpResponse:
    wanted = request.GET.get("csv")
    if wanted is None:
        return render(request, template, context)
    tables = {value.key: value for value in context.values() if isinstance(value, Table)}
    table = tables.get(wanted)
    if table is None:
        raise Http404
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{slugify(name)}-{table.key}.csv"'
    writer = csv.writer(response)
    writer.writerow(table.columns)
    for row in table.rows:
        # A cell a spreadsheet would run as a formula is quoted as text (CSV injection).
        writer.writerow(["" if cell is None else _safe(cell) for cell in row])
    return response


def _safe(cell) -> object:
    if isinstance(cell, str) and cell[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + cell
    return cell


@require_GET
def overview(request: HttpRequest) -> HttpResponse:
    policy.require(request.user, "analytics.view")
    context = selectors.comparison(user=request.user)
    return _csv_or_page(request, "analytics/overview.html", context, name="analytics")


@require_GET
def mission_dashboard(request: HttpRequest, code: str) -> HttpResponse:
    mission = mission_get(user=request.user, code=code)
    context = {"mission": mission, **selectors.mission_dashboard(mission=mission)}
    return _csv_or_page(request, "analytics/mission.html", context, name=mission.code)


@require_GET
def message_numbers(request: HttpRequest, message_id: int) -> HttpResponse:
    message = selectors.message_visible(user=request.user, pk=message_id)
    # The CSV has every account; the page, PER_PAGE of them (a crisis alert: 1,084).
    page = None if "csv" in request.GET else request.GET.get("page", 1)
    context = {"message": message, **selectors.message_numbers(message=message, page=page)}
    return _csv_or_page(request, "analytics/message.html", context, name=f"message-{message.pk}")


@require_GET
def dialogue(request: HttpRequest) -> HttpResponse:
    """The dialogue with the public over the last 7, 30 or 90 days (`?days=`)."""
    policy.require(request.user, "analytics.view")
    try:
        days = int(request.GET.get("days", dialogue_selectors.DEFAULT_DAYS))
    except ValueError:
        days = dialogue_selectors.DEFAULT_DAYS
    if days not in dialogue_selectors.PERIODS:
        days = dialogue_selectors.DEFAULT_DAYS
    period = dialogue_selectors.period_of(days)
    context = {"periods": dialogue_selectors.PERIODS, **dialogue_selectors.dialogue(user=request.user, period=period)}
    return _csv_or_page(request, "analytics/dialogue.html", context, name=f"dialogue-{days}-days")
