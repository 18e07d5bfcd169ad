"""What every publishing page shares: headquarters' zone in the context."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from posts.forms import hq_zone, zone_city


def base_context() -> dict:
    zone = hq_zone()
    return {"hq_zone": str(zone), "hq_place": zone_city(zone)}


def render_page(request: HttpRequest, template: str, context: dict, *, status: int = 200) -> HttpResponse:
    return render(request, template, {**base_context(), **context}, status=status)
