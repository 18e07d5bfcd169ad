"""The confirmation pattern of every operations action: a GET of an action's address, or a
POST without `confirmed=yes`, shows what will happen and changes nothing; a confirmed,
valid POST acts (one service call); a service's refusal comes back in words, beside the
field it concerns."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.forms import Form
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from posts.models import InvalidTransition
from posts.validation import ValidationProblems


def posted(request: HttpRequest):
    """The POST data for a form (bound even when empty: a bare confirmation is a POST), or
    None for a GET."""
    return request.POST if request.method == "POST" else None


def service_error(form: Form | None, error: Exception) -> list[str]:
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


def confirm_or_act(
    request: HttpRequest,
    *,
    form: Form,
    action: Action,
    act: Callable[[Form], HttpResponse],
    context: dict | None = None,
    template: str = "posts/operations/confirm.html",
) -> HttpResponse:
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
                errors = service_error(form, error)
                status = 409 if isinstance(error, InvalidTransition) else 400
    return render(
        request,
        template,
        {
            **(context or {}),
            "form": form,
            "action": action,
            "errors": errors,
        },
        status=status,
    )
