"""The conversation desk on other pages and in its own: the dashboards' counts (the posts
app's dashboard loads this, as it cannot import the desk), and a language's name."""

from __future__ import annotations

from django import template

from channels.models import Network
from conversations import selectors
from conversations.lifecycle import Category, ConversationStatus, Priority
from embassies.names import language_name
from embassies.validators import is_language_code

register = template.Library()

# Labels by value, made once: a model's get_FOO_display() rebuilds its choices at each call,
# four times per row of the inbox. The labels stay lazy, so each reader gets their language.
_LABELS = {
    "network": dict(Network.choices),
    "status": dict(ConversationStatus.choices),
    "category": dict(Category.choices),
    "priority": dict(Priority.choices),
}


@register.filter
def label(value: object, kind: str) -> str:
    """`{{ conversation.status|label:"status" }}`: the value's label, or the value itself."""
    return str(_LABELS[kind].get(value, value))


@register.inclusion_tag("conversations/_desk_counts.html", takes_context=True)
def desk_counts(context: template.Context) -> dict:
    """New, overdue and escalated conversations in the user's scope, each a link to the
    inbox filtered to them (one query)."""
    user = context["request"].user
    return {"counts": selectors.desk_counts(user=user)}


@register.filter
def language_label(code: object) -> str:
    """ "Arabic (ar)" in the reader's language; an unknown code as it is (escaped)."""
    text = "" if code is None else str(code)
    if not is_language_code(text):
        return text
    return f"{language_name(text)} ({text})"
