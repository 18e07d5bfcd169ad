"""The reads of replies, lines to take and moderation, scoped by the policy (beside
conversations.selectors, which reads the inbox and the conversations)."""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.db.models import Count, Q, QuerySet
from django.utils import timezone

from conversations.lifecycle import MODERATION_NOT_CARRIED_OUT, REPLY_PENDING, LineState, ModerationState, ReplyState
from conversations.models import AnswerLine, Conversation, Item, KnownAuthor, ModerationAction, Reply
from conversations.selectors import desk_scope
from diplomacy_hub import policy
from embassies.names import in_reader_language
from embassies.roles import Role
from posts.lifecycle import MESSAGE_APPROVED
from posts.models import Message, Priority


def line_values(conversation: Conversation, item: Item, *, language: str) -> dict[str, str]:
    """What a line's placeholders become for this conversation, as plain text: the mission
    and its city named in the line's language (the public reads it, not the officer)."""
    mission = conversation.mission
    return {
        "mission": in_reader_language(mission.name, mission.name_fr, language=language),
        "city": in_reader_language(mission.city, mission.city_fr, language=language),
        "author": (item.author_name or item.author_handle or "")[:100],
    }


def crisis_alert_active(mission_id: int, *, now=None) -> bool:
    """An approved crisis alert reached the mission's accounts in the last
    CRISIS_ALERT_ACTIVE_HOURS: its crisis unit's lines are level 0 meanwhile."""
    now = now or timezone.now()
    since = now - timedelta(hours=settings.CRISIS_ALERT_ACTIVE_HOURS)
    return Message.objects.filter(
        priority=Priority.CRISIS,
        state__in=MESSAGE_APPROVED,
        approved_at__gte=since,
        targets__mission_id=mission_id,
    ).exists()


def author_listed(conversation: Conversation, item: Item) -> bool:
    """The item's author is on the journalists' or officials' lists (KnownAuthor) as they
    stand now, for the conversation's mission: read from the lists, not from the tags triage
    left on the conversation, which a person may remove and which miss an author listed
    after the conversation was triaged."""
    authors: dict[tuple[str, str], list[tuple[int | None, str]]] = {}
    for key, mission_id, kind in KnownAuthor.objects.filter(
        Q(mission__isnull=True) | Q(mission_id=conversation.mission_id), network=item.network
    ).values_list("key", "mission_id", "kind"):
        authors.setdefault((item.network, KnownAuthor.normal_key(key)), []).append((mission_id, kind))
    keys = (item.author_handle, item.author_id)
    return KnownAuthor.kind_in(authors, network=item.network, mission_id=conversation.mission_id, keys=keys) is not None


def replies_of(conversation: Conversation) -> QuerySet[Reply]:
    return conversation.replies.select_related("conversation", "author", "cleared_by", "line", "item").order_by(
        "created_at", "pk"
    )


def pending_item_ids(conversation: Conversation) -> set[int]:
    return set(conversation.replies.filter(state__in=REPLY_PENDING).values_list("item_id", flat=True))


def hidden_item_ids(conversation: Conversation) -> set[int]:
    """Items whose last moderation hid them (a proposal hides nothing until confirmed)."""
    last: dict[int, str] = {}
    for item_id, action in (
        ModerationAction.objects.filter(
            item__conversation=conversation,
            action__in=[ModerationAction.Action.HIDE, ModerationAction.Action.SHOW],
        )
        .exclude(state__in=MODERATION_NOT_CARRIED_OUT)
        .order_by("created_at", "pk")
        .values_list("item_id", "action")
    ):
        last[item_id] = action
    return {item_id for item_id, action in last.items() if action == ModerationAction.Action.HIDE}


def open_proposals(conversation: Conversation) -> list[ModerationAction]:
    """The moderation proposals awaiting a person on the conversation: removals for good
    (four eyes) and the rules' proposals to hide spam or scams."""
    return list(
        ModerationAction.objects.filter(item__conversation=conversation, state=ModerationState.PROPOSED)
        .select_related("item", "actor")
        .order_by("created_at", "pk")
    )


def proposals_by_conversation(conversation_ids) -> dict[int, list[ModerationAction]]:
    """The open moderation proposals of these conversations, by conversation (one query, for
    the inbox's page)."""
    found: dict[int, list[ModerationAction]] = {}
    for proposal in (
        ModerationAction.objects.filter(
            item__conversation_id__in=list(conversation_ids), state=ModerationState.PROPOSED
        )
        .select_related("item")
        .order_by("created_at", "pk")
    ):
        found.setdefault(proposal.item.conversation_id, []).append(proposal)
    return found


def reply_queue(*, user) -> QuerySet[Reply]:
    """Replies awaiting clearance that the user may see, oldest first; the press office and
    the crisis unit see every mission's."""
    replies = desk_scope(user, Reply.objects.filter(state=ReplyState.AWAITING_CLEARANCE))
    return replies.select_related("conversation", "item", "author", "mission", "line", "account").order_by(
        "created_at", "pk"
    )


def reply_get(*, user, reply_id: int) -> Reply:
    """The reply if the user may see its mission; DoesNotExist otherwise."""
    return (
        desk_scope(user, Reply.objects.all())
        .select_related("conversation", "item", "author", "mission", "line", "account")
        .get(pk=reply_id)
    )


def item_get(*, user, item_id: int) -> Item:
    return (
        desk_scope(user, Item.objects.all(), mission_field="conversation__mission")
        .select_related("conversation", "conversation__mission", "account")
        .get(pk=item_id)
    )


def proposal_get(*, user, action_id: int) -> ModerationAction:
    """A moderation of the user's missions (404 otherwise, as for items)."""
    return (
        policy.scope(user, ModerationAction.objects.all(), mission_field="mission")
        .select_related("item", "item__conversation", "item__conversation__mission")
        .get(pk=action_id)
    )


def lines_in_force(*, category: str = "", language: str = "") -> QuerySet[AnswerLine]:
    """The library as it stands: approved lines in their validity, newest version of each."""
    now = timezone.now()
    lines = AnswerLine.objects.filter(state=LineState.APPROVED, valid_from__lte=now).filter(
        Q(valid_until__isnull=True) | Q(valid_until__gt=now)
    )
    if category:
        lines = lines.filter(category=category)
    if language:
        lines = lines.filter(language=language)
    return lines.order_by("topic", "language", "-version")


def library(*, user) -> QuerySet[AnswerLine]:
    """Every line and version, newest first within each topic and language."""
    if not policy.can(user, "line.view"):
        return AnswerLine.objects.none()
    return AnswerLine.objects.select_related("mission", "written_by", "approved_by").order_by(
        "topic", "language", "-version"
    )


def line_get(*, user, line_id: int) -> AnswerLine:
    return library(user=user).get(pk=line_id)


def line_uses(line: AnswerLine) -> int:
    return line.replies.count()


def clearance_times(*, user, days: int = 30) -> dict:
    """Measures of the dialogue for the user's missions: replies sent, at each level, and the
    time awaiting clearance apart from the writer's."""
    since = timezone.now() - timedelta(days=days)
    replies = desk_scope(user, Reply.objects.filter(created_at__gte=since))
    waits = [
        (cleared - written).total_seconds()
        for written, cleared in replies.filter(cleared_at__isnull=False, level__gt=0)
        .exclude(state=ReplyState.RETURNED)
        .values_list("created_at", "cleared_at")
    ]
    return {
        "by_level": dict(replies.order_by().values_list("level").annotate(n=Count("pk")).values_list("level", "n")),
        "sent": replies.filter(state=ReplyState.SENT).count(),
        "awaiting": replies.filter(state=ReplyState.AWAITING_CLEARANCE).count(),
        "clearance_seconds": sum(waits) / len(waits) if waits else None,
    }


def may_clear_any(user) -> bool:
    return policy.has_role(user, Role.OFFICER, Role.PRESS_OFFICE, Role.CRISIS_UNIT)
