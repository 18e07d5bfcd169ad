"""The conversation desk on other pages and in its own: the dashboards' counts (the posts
app's dashboard loads this, as it cannot import the desk), and a language's name."""

from __future__ import annotations

from django import template
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import dateformat, formats, timezone
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString
from django.utils.text import Truncator
from django.utils.translation import gettext, ngettext

from channels.models import Network
from conversations import selectors
from conversations.lifecycle import Category, ConversationStatus, Priority
from conversations.templatetags.public_text import make_inert
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


# --- The inbox's rows ------------------------------------------------------------------------
# Written in Python, as QuickSelect writes the mission filter's options: fifty rows of eight
# cells through the template engine cost the inbox most of its CPU (tens of milliseconds a
# page). The same markup as a template would write, every value escaped by format_html.

_BADGES = {1: " badge--crisis", 2: " badge--warn"}


class _InboxRows:
    """What every row shares, resolved once for the page: the labels and words in the
    reader's language, the date format, the address of a conversation."""

    def __init__(self, request) -> None:
        self.request = request
        self.labels = {kind: {value: str(text) for value, text in labels.items()} for kind, labels in _LABELS.items()}
        self.short = formats.get_format("SHORT_DATETIME_FORMAT")
        self.escalated = format_html(
            '<span class="badge badge--crisis triage-escalated">{}</span>', gettext("Offered to headquarters")
        )
        self.unknown_author = gettext("(unknown author)")
        # One reverse for the page: each row's address is the same with its own id.
        self.detail_prefix = reverse("conversations:detail", args=[0]).removesuffix("0/")

    def moment(self, value) -> tuple[str, str]:
        """A datetime as the templates' `date:'c'` and `date:"SHORT_DATETIME_FORMAT"` give it."""
        local = timezone.localtime(value)
        return local.isoformat(), dateformat.format(local, self.short)  # "c" is isoformat()

    def label(self, kind: str, value) -> str:
        return self.labels[kind].get(value, value)

    def due(self, conversation) -> str:
        # Worded as on the conversation page (includes/triage.html): the clock shows only while it runs.
        if conversation.escalated_at:
            return self.escalated
        if conversation.due_at and conversation.clock_runs:
            machine, shown = self.moment(conversation.due_at)
            return format_html(
                '<time datetime="{}">{}</time>', machine, gettext("reply due %(due)s UTC") % {"due": shown}
            )
        return "—"

    @staticmethod
    def facts(conversation) -> SafeString:
        parts = [
            ngettext("%(counter)s item", "%(counter)s items", conversation.item_count)
            % {"counter": conversation.item_count}
        ]
        if conversation.language:
            parts.append(conversation.language)
        if conversation.assignee:
            parts.append(conversation.assignee.get_full_name() or conversation.assignee.username)
        return format_html_join(" · ", "{}", ((part,) for part in parts))

    def row(self, conversation) -> SafeString:
        machine, shown = self.moment(conversation.last_item_at)
        proposals = (
            render_to_string(
                "conversations/_inbox_proposals.html", {"proposals": conversation.proposals}, request=self.request
            )
            if conversation.proposals
            else ""
        )
        return format_html(
            "<tr>"
            '<td><span class="badge{}">{}</span></td>'
            "<td>{}</td>"
            '<td>{} <small class="muted">{}</small></td>'
            '<th scope="row"><a href="{}"><bdi>{}</bdi></a>: '
            '<span class="public-text" dir="auto"{}>{}</span> '
            '<small class="muted">· {}</small>{}</th>'
            "<td>{}</td>"
            '<td><span class="badge">{}</span></td>'
            "<td>{}</td>"
            '<td><time datetime="{}">{} UTC</time></td>'
            "</tr>",
            _BADGES.get(conversation.priority, ""),
            self.label("priority", conversation.priority),
            conversation.mission.display_name,
            self.label("network", conversation.network),
            conversation.account.handle,
            f"{self.detail_prefix}{conversation.pk}/",
            make_inert(conversation.last_author) if conversation.last_author else self.unknown_author,
            format_html(' lang="{}"', conversation.last_language) if conversation.last_language else "",
            Truncator(make_inert(conversation.last_text)).chars(140),
            self.facts(conversation),
            proposals,  # rendered (and escaped) by its template
            self.label("category", conversation.category),
            self.label("status", conversation.status),
            self.due(conversation),
            machine,
            shown,
        )


@register.simple_tag(takes_context=True)
def inbox_rows(context: template.Context, conversations) -> SafeString:
    """`{% inbox_rows page.object_list %}`: the inbox's table rows."""
    rows = _InboxRows(context.get("request"))
    return format_html_join("\n", "{}", ((rows.row(conversation),) for conversation in conversations))
