"""The conversation desk's reads: the inbox and one conversation, scoped by the policy."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.db.models import OuterRef, Q, QuerySet, Subquery

from conversations.models import Conversation, Item
from diplomacy_hub import policy
from embassies.models import Mission
from embassies.roles import Role
from posts.models import MessageText

EARLIER_EXCHANGES = 20


def conversations_visible_to(user) -> QuerySet[Conversation]:
    return policy.scope(user, Conversation.objects.all())


def inbox(*, user, mission: Mission | None = None, network: str = "", status: str = "") -> QuerySet[Conversation]:
    """The user's conversations, latest first, each with its last item's words and author."""
    conversations = conversations_visible_to(user)
    if mission is not None:
        conversations = conversations.filter(mission=mission)
    if network:
        conversations = conversations.filter(network=network)
    if status:
        conversations = conversations.filter(status=status)
    last = Item.objects.filter(conversation=OuterRef("pk")).order_by("-created_at_network", "-pk")
    return conversations.select_related("mission", "account", "assignee").annotate(
        last_text=Subquery(last.values("text")[:1]),
        last_author=Subquery(last.values("author_name")[:1]),
        last_language=Subquery(last.values("language")[:1]),
    )


def conversation_get(*, user, conversation_id: int) -> Conversation:
    """The conversation if the user may see its mission; DoesNotExist otherwise."""
    return (
        conversations_visible_to(user)
        .select_related("mission", "account", "assignee", "delivery", "delivery__message")
        .get(pk=conversation_id)
    )


def conversation_items(conversation: Conversation) -> QuerySet[Item]:
    return conversation.items.order_by("created_at_network", "pk")


def original_post_text(conversation: Conversation) -> MessageText | None:
    """Our post's words, in the delivery's language (the network's variant when it has one)."""
    delivery = conversation.delivery
    if delivery is None:
        return None
    texts = {
        (text.network, text.language): text
        for text in MessageText.objects.filter(message_id=delivery.message_id, language=delivery.language)
    }
    return texts.get((conversation.network, delivery.language)) or texts.get(("", delivery.language))


def earlier_exchanges(conversation: Conversation, *, author_ids: list[str]) -> QuerySet[Item]:
    """What the same authors said to the same mission in other conversations, latest first."""
    return (
        Item.objects.filter(
            network=conversation.network,
            author_id__in=author_ids,
            conversation__mission_id=conversation.mission_id,
        )
        .exclude(conversation=conversation)
        .select_related("conversation")
        .order_by("-created_at_network", "-pk")[:EARLIER_EXCHANGES]
    )


def assignee_candidates(conversation: Conversation) -> QuerySet:
    """Who may take the conversation: the mission's officers, the press office, the crisis unit."""
    return (
        get_user_model()
        .objects.filter(is_active=True)
        .filter(
            Q(groups__name=Role.OFFICER, memberships__mission_id=conversation.mission_id)
            | Q(groups__name__in=[Role.PRESS_OFFICE, Role.CRISIS_UNIT])
        )
        .distinct()
        .order_by("last_name", "first_name", "username")
    )
