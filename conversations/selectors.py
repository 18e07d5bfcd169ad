"""The conversation desk's reads: the inbox and one conversation, scoped by the policy."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.contrib.auth import get_user_model
from django.db.models import Count, F, OuterRef, Q, QuerySet, Subquery
from django.utils import timezone

from conversations.lifecycle import CONVERSATION_ACTIVE, DUE_SOON_MINUTES, Category
from conversations.models import (
    Conversation,
    DeskQuerySet,
    Item,
    KeywordPack,
    KnownAuthor,
    Note,
    ProtectedPerson,
    SavedView,
    ServiceTarget,
    Viewer,
)
from diplomacy_hub import policy
from embassies.models import Mission
from embassies.roles import Role
from embassies.selectors import mission_name_order
from posts.models import MessageText

EARLIER_EXCHANGES = 20


def desk_scope(user, queryset: DeskQuerySet, *, mission_field: str = "mission") -> QuerySet:
    """What of `queryset` (conversations, items or replies) the user may see: the rows of
    their missions that are on the desk, and for the human-rights officer the protected
    ones too (issue 15 §7). Every read of the desk goes through here or `on_desk()`."""
    visible = policy.scope(user, queryset.on_desk(), mission_field=mission_field)
    if policy.can(user, "protected.view"):
        visible = visible | queryset.protected()
    return visible


def conversations_visible_to(user) -> QuerySet[Conversation]:
    return desk_scope(user, Conversation.objects.all())


def protected_queue(*, user) -> QuerySet[Conversation]:
    """The human-rights officer's queue: every protected conversation, the latest protected
    first, each with its last item's words; nothing for anyone else."""
    if not policy.can(user, "protected.view"):
        return Conversation.objects.none()
    last = Item.objects.filter(conversation=OuterRef("pk")).order_by("-created_at_network", "-pk")
    return (
        Conversation.objects.protected()
        .select_related("mission", "account", "assignee")
        .annotate(
            last_text=Subquery(last.values("text")[:1]),
            last_author=Subquery(last.values("author_name")[:1]),
        )
        .order_by("-restricted_at", "-pk")
    )


def protected_people() -> QuerySet[ProtectedPerson]:
    return ProtectedPerson.objects.select_related("added_by").order_by("name", "pk")


# The status filter's "to do": what someone has yet to act on.
ACTIVE = "active"
# How long a heartbeat keeps someone "looking at it" (the page beats every 20 seconds).
PRESENCE_SECONDS = 45


def inbox(
    *,
    user,
    mission: Mission | None = None,
    region: str = "",
    network: str = "",
    category: str = "",
    language: str = "",
    status: str = "",
    due: str = "",
    assignee: str = "",
    now: datetime | None = None,
) -> QuerySet[Conversation]:
    """The user's conversations, the most urgent first, then the one due soonest, then the
    latest; each with its last item's words and author. `due` is "overdue", "soon" or
    "escalated"; `assignee` is "me" or "nobody"; `status` a status or "active"."""
    conversations = inbox_filtered(
        user=user,
        mission=mission,
        region=region,
        network=network,
        category=category,
        language=language,
        status=status,
        due=due,
        assignee=assignee,
        now=now,
    )
    last = Item.objects.filter(conversation=OuterRef("pk")).order_by("-created_at_network", "-pk")
    return (
        conversations.select_related("mission", "account", "assignee")
        .annotate(
            last_text=Subquery(last.values("text")[:1]),
            last_author=Subquery(last.values("author_name")[:1]),
            last_language=Subquery(last.values("language")[:1]),
        )
        .order_by("priority", F("due_at").asc(nulls_last=True), "-last_item_at", "-pk")
    )


def inbox_filtered(
    *,
    user,
    mission: Mission | None = None,
    region: str = "",
    network: str = "",
    category: str = "",
    language: str = "",
    status: str = "",
    due: str = "",
    assignee: str = "",
    now: datetime | None = None,
) -> QuerySet[Conversation]:
    """The conversations the user may see that the filters keep, unordered (the inbox, its
    live count and the dashboard's counts share it)."""
    now = now or timezone.now()
    conversations = conversations_visible_to(user)
    if mission is not None:
        conversations = conversations.filter(mission=mission)
    if region:
        conversations = conversations.filter(mission__region=region)
    if network:
        conversations = conversations.filter(network=network)
    if category:
        conversations = conversations.filter(category=category)
    if language:
        conversations = conversations.filter(language=language)
    if status == ACTIVE:
        conversations = conversations.filter(status__in=CONVERSATION_ACTIVE)
    elif status:
        conversations = conversations.filter(status=status)
    if due == "overdue":
        conversations = conversations.filter(status__in=CONVERSATION_ACTIVE, due_at__lt=now)
    elif due == "soon":
        conversations = conversations.filter(
            status__in=CONVERSATION_ACTIVE, due_at__gte=now, due_at__lt=now + timedelta(minutes=DUE_SOON_MINUTES)
        )
    elif due == "escalated":
        conversations = conversations.filter(status__in=CONVERSATION_ACTIVE, escalated_at__isnull=False)
    if assignee == "me":
        conversations = conversations.filter(assignee=user)
    elif assignee == "nobody":
        conversations = conversations.filter(assignee__isnull=True)
    return conversations


def inbox_changed_since(*, user, since: datetime, **filters) -> int:
    """How many of the inbox's conversations changed (a new item, a new status) after
    `since`: what the live inbox offers to show, one indexed count."""
    return inbox_filtered(user=user, **filters).filter(updated_at__gt=since).count()


@dataclass(frozen=True)
class DeskCounts:
    new: int
    overdue: int
    escalated: int


def desk_counts(*, user, now: datetime | None = None) -> DeskCounts:
    """For the dashboards: in the user's scope, the conversations nobody has opened yet,
    those past their reply's due time, and those escalated to headquarters. One query,
    over the conversations still to do."""
    now = now or timezone.now()
    counts = (
        conversations_visible_to(user)
        .filter(status__in=CONVERSATION_ACTIVE)
        .aggregate(
            new=Count("pk", filter=Q(status=Conversation.Status.NEW)),
            overdue=Count("pk", filter=Q(due_at__lt=now)),
            escalated=Count("pk", filter=Q(escalated_at__isnull=False)),
        )
    )
    return DeskCounts(new=counts["new"], overdue=counts["overdue"], escalated=counts["escalated"])


def saved_views_of(user) -> QuerySet[SavedView]:
    """A user's own saved inbox views: nobody sees another's."""
    return SavedView.objects.filter(owner_id=user.pk)


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
        Item.objects.on_desk()
        .filter(
            network=conversation.network,
            author_id__in=author_ids,
            conversation__mission_id=conversation.mission_id,
        )
        .exclude(conversation=conversation)
        .select_related("conversation")
        .order_by("-created_at_network", "-pk")[:EARLIER_EXCHANGES]
    )


def assignee_candidates(conversation: Conversation) -> QuerySet:
    """Who may take the conversation: the mission's officers, the press office, the crisis
    unit; a protected one, the human-rights officers."""
    users = get_user_model().objects.filter(is_active=True)
    if conversation.restricted_at is not None:
        return users.filter(groups__name=Role.HUMAN_RIGHTS_OFFICER).distinct().order_by("last_name", "username")
    return (
        users.filter(
            Q(groups__name=Role.OFFICER, memberships__mission_id=conversation.mission_id)
            | Q(groups__name__in=[Role.PRESS_OFFICE, Role.CRISIS_UNIT])
        )
        .distinct()
        .order_by("last_name", "first_name", "username")
    )


@dataclass(frozen=True)
class ThreadLine:
    """One item of a conversation, with the item of the same conversation it answers (its
    parent) and how deep it sits in the chain of parents."""

    item: Item
    parent: Item | None
    depth: int

    @property
    def indent(self) -> int:
        """The depth as the page indents it: deeper than three reads as three."""
        return min(self.depth, 3)


def conversation_thread(items: list[Item]) -> list[ThreadLine]:
    """The items in order, each with its chain of parents resolved among the conversation's
    own items (no query: a parent outside the conversation is our post, or unknown)."""
    by_external_id = {item.external_id: item for item in items}
    lines = []
    for item in items:
        parent = by_external_id.get(item.parent_id) if item.parent_id else None
        depth, seen, up = 0, {item.external_id}, parent
        while up is not None and up.external_id not in seen and depth < 10:
            depth += 1
            seen.add(up.external_id)
            up = by_external_id.get(up.parent_id) if up.parent_id else None
        lines.append(ThreadLine(item=item, parent=parent, depth=depth))
    return lines


def conversation_notes(conversation: Conversation) -> QuerySet[Note]:
    return conversation.notes.select_related("author").order_by("created_at", "pk")


def conversation_viewers(*, conversation_id: int, user, now: datetime | None = None) -> list:
    """Who else has had this conversation open in the last PRESENCE_SECONDS, by name."""
    since = (now or timezone.now()) - timedelta(seconds=PRESENCE_SECONDS)
    rows = (
        Viewer.objects.filter(conversation_id=conversation_id, seen_at__gte=since)
        .exclude(user_id=user.pk)
        .select_related("user")
        .order_by("user__first_name", "user__last_name", "user__username")
    )
    return [row.user for row in rows]


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
        return Mission.objects.active().order_by(mission_name_order("pk"))
    if not policy.has_role(user, Role.OFFICER):
        return Mission.objects.none()
    return policy.scope(user, Mission.objects.active(), mission_field="").order_by(mission_name_order("pk"))
