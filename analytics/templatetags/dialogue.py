"""The dialogue's figures on the role dashboards (the posts app's dashboard loads this tag,
as it cannot import analytics): the week in the user's scope, a fixed few queries."""

from __future__ import annotations

from django import template

from analytics import dialogue

register = template.Library()


@register.inclusion_tag("analytics/_dialogue_panel.html", takes_context=True)
def dialogue_counts(context: template.Context) -> dict:
    user = context["request"].user
    return {"summary": dialogue.dialogue_summary(user=user, period=dialogue.period_of(7))}
