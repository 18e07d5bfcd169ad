"""The audit page's codes in words, in the reader's language: an action's label
(audit.actions) and an object's kind (its model's verbose name)."""

from __future__ import annotations

from django import template
from django.apps import apps

from audit.actions import action_label

register = template.Library()

register.filter("action_label", action_label)


@register.filter
def object_kind(object_type: str) -> str:
    """ "auth.user" as "utilisateur" for a French reader; a type that names no model as it is."""
    try:
        model = apps.get_model(object_type)
    except (LookupError, ValueError):
        return object_type
    return str(model._meta.verbose_name)
