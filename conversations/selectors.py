"""The conversation desk's reads: the inbox and one conversation, scoped by the policy."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.db.models import OuterRef, Q, QuerySet, Subquery

from conversations.lifecycle import Category
from conversations.models import Conversation, Item, KeywordPack, KnownAuthor, ServiceTarget
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


# --- Triage's rules ---------------------------------------------------------------------------


def _for_everyone_or_scoped(user, model) -> QuerySet:
    """The rules for every mission, and those of the missions the user may see."""
    scoped = policy.scope(user, model.objects.filter(mission__isnull=False))
    return model.objects.filter(Q(mission__isnull=True) | Q(pk__in=scoped.values("pk"))).select_related("mission")


def keyword_packs_visible_to(user) -> QuerySet[KeywordPack]:
    return _for_everyone_or_scoped(user, KeywordPack).order_by("position", "language", "pk")


def known_authors_visible_to(user) -> QuerySet[KnownAuthor]:
    return _for_everyone_or_scoped(user, KnownAuthor).order_by("network", "key", "pk")


def keyword_pack_get(*, user, pack_id: int) -> KeywordPack:
    """The pack if the user may see it; DoesNotExist otherwise."""
    return keyword_packs_visible_to(user).get(pk=pack_id)


def known_author_get(*, user, author_id: int) -> KnownAuthor:
    return known_authors_visible_to(user).get(pk=author_id)


def service_targets() -> list[ServiceTarget]:
    """One per category, in the categories' order (a missing one shown as no clock)."""
    stored = {target.category: target for target in ServiceTarget.objects.all()}
    return [
        stored.get(category) or ServiceTarget(category=category, minutes=None)
        for category in Category.values
        if category != Category.UNSORTED or category in stored
    ]


def missions_for_triage_rules(user) -> QuerySet[Mission]:
    """The missions for which the user may add rules: all for the press office, their own
    for an officer."""
    if policy.can(user, "triage.edit", None):
        return Mission.objects.active().order_by("name")
    if not policy.has_role(user, Role.OFFICER):
        return Mission.objects.none()
    return policy.scope(user, Mission.objects.active(), mission_field="").order_by("name")
