"""Numbers as the analytics tables show them: None is "unknown", never 0."""

from __future__ import annotations

import json
from datetime import date

from django import template
from django.utils.formats import date_format, number_format
from django.utils.translation import gettext as _

register = template.Library()


@register.filter
def metric(value):
    if value is None:
        return _("unknown")
    if isinstance(value, bool):
        return value
    if isinstance(value, int):
        return number_format(value, force_grouping=True)
    if isinstance(value, float):  # shares and averages: the reader's decimal sign
        return number_format(value, force_grouping=True)
    if isinstance(value, date):
        return date_format(value, "SHORT_DATE_FORMAT")
    return value


@register.filter
def index(values, position):
    try:
        return values[position]
    except (IndexError, TypeError):
        return ""


@register.filter
def list_of(first, second):
    """`a|list_of:b|list_of:c` → [a, b, c]: the tables a report lists, in order."""
    items = first if isinstance(first, list) else [first]
    return [*items, second]


@register.filter
def as_json(value) -> str:
    """JSON text for an attribute: autoescaping then makes it safe there."""
    return json.dumps(value, default=str)
