"""What every publishing page shares: headquarters' zone in the context."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from diplomacy_hub.localtime import hq_context


def base_context() -> dict:
    return hq_context()


def render_page(request: HttpRequest, template: str, context: dict, *, status: int = 200) -> HttpResponse:
    return render(request, template, {**base_context(), **context}, status=status)
