"""How long ago, in words: Django's timesince, but "less than a minute" rather than
"0 minutes" (so never "saved 0 minutes ago")."""

from datetime import datetime

from django import template
from django.utils import timezone
from django.utils.timesince import timesince
from django.utils.translation import gettext

register = template.Library()


@register.filter
def since(value: datetime | None, now: datetime | None = None) -> str:
    if not value:
        return ""
    now = now or timezone.now()
    if (now - value).total_seconds() < 60:
        return gettext("less than a minute")
    return timesince(value, now)
