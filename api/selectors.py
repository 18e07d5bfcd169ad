"""The API's reads: the same policy-scoped querysets as the web UI, narrowed again to a
service account's missions, and filtered by mission, state and time."""

from __future__ import annotations

from datetime import datetime

from django.db.models import Q, QuerySet

from api.models import AllowedHost, ApiToken, WebhookDelivery, WebhookEndpoint
from channels.models import SocialAccount
from conversations import reply_selectors
from conversations import selectors as conversation_selectors
from conversations.lifecycle import CONVERSATION_ACTIVE
from conversations.models import Conversation, Item, Reply
from diplomacy_hub import policy
from embassies.models import Mission
from posts.lifecycle import MESSAGE_OUT
from posts.models import Delivery, Event, Message, Priority, Review

Narrow = set[int] | None  # a service account's missions (None: not narrowed)


def _narrowed(queryset: QuerySet, missions: Narrow, field: str) -> QuerySet:
    if missions is None:
        return queryset
    return queryset.filter(**{f"{field}__in": sorted(missions)})


def _since_until(queryset: QuerySet, field: str, since: datetime | None, until: datetime | None) -> QuerySet:
    if since is not None:
        queryset = queryset.filter(**{f"{field}__gte": since})
    if until is not None:
        queryset = queryset.filter(**{f"{field}__lt": until})
    return queryset


def missions(*, user, narrow: Narrow, region: str = "", active: bool | None = None) -> QuerySet[Mission]:
    queryset = _narrowed(policy.scope(user, Mission.objects.all(), mission_field=""), narrow, "pk")
    if region:
        queryset = queryset.filter(region=region)
    if active is not None:
        queryset = queryset.filter(is_active=active)
    return queryset


def accounts(
    *, user, narrow: Narrow, mission_id: int | None = None, network: str = "", status: str = ""
) -> QuerySet[SocialAccount]:
    queryset = _narrowed(policy.scope(user, SocialAccount.objects.all()), narrow, "mission")
    if mission_id is not None:
        queryset = queryset.filter(mission_id=mission_id)
    if network:
        queryset = queryset.filter(network=network)
    if status:
        queryset = queryset.filter(status=status)
    return queryset.select_related("mission")


def _messages(user, narrow: Narrow) -> QuerySet[Message]:
    queryset = policy.scope_messages(user, Message.objects.all())
    if narrow is not None:
        # A crisis alert has no mission: narrowed, it is seen when it targets a narrowed mission.
        queryset = queryset.filter(
            Q(mission__in=sorted(narrow)) | Q(priority=Priority.CRISIS, targets__mission__in=sorted(narrow))
        ).distinct()
    return queryset


def messages(
    *,
    user,
    narrow: Narrow,
    priority: str = Priority.ROUTINE,
    mission_id: int | None = None,
    state: str = "",
    since: datetime | None = None,
    until: datetime | None = None,
) -> QuerySet[Message]:
    queryset = _messages(user, narrow).filter(priority=priority)
    if mission_id is not None:
        queryset = queryset.filter(mission_id=mission_id)
    if state:
        queryset = queryset.filter(state=state)
    queryset = _since_until(queryset, "updated_at", since, until)
    return queryset.select_related("author", "approved_by").prefetch_related("texts", "targets")


def message_get(*, user, narrow: Narrow, pk: int, priority: str = Priority.ROUTINE) -> Message:
    """The message if the user (and the token) may see it; Message.DoesNotExist otherwise."""
    return messages(user=user, narrow=narrow, priority=priority).get(pk=pk)


def message_history(*, message: Message) -> QuerySet[Event]:
    return Event.objects.filter(message=message).select_related("actor").order_by("created_at", "pk")


def message_reviews(*, message: Message) -> QuerySet[Review]:
    return Review.objects.filter(message=message).select_related("reviewer")


def deliveries(
    *,
    user,
    narrow: Narrow,
    mission_id: int | None = None,
    message_id: int | None = None,
    state: str = "",
    since: datetime | None = None,
    until: datetime | None = None,
) -> QuerySet[Delivery]:
    """Deliveries of the messages the user may see, on accounts of their missions (an
    officer sees a crisis alert's deliveries to their own missions' accounts only)."""
    queryset = Delivery.objects.filter(message__in=_messages(user, narrow))
    queryset = policy.scope(user, queryset, mission_field="account__mission")
    queryset = _narrowed(queryset, narrow, "account__mission")
    if mission_id is not None:
        queryset = queryset.filter(account__mission_id=mission_id)
    if message_id is not None:
        queryset = queryset.filter(message_id=message_id)
    if state:
        queryset = queryset.filter(state=state)
    queryset = _since_until(queryset, "created_at", since, until)
    return queryset.select_related("account", "message")


def delivery_get(*, user, narrow: Narrow, pk: int) -> Delivery:
    return deliveries(user=user, narrow=narrow).get(pk=pk)


def items(
    *,
    user,
    narrow: Narrow,
    mission_id: int | None = None,
    network: str = "",
    status: str = "",
    category: str = "",
    language: str = "",
    since: datetime | None = None,
    until: datetime | None = None,
) -> QuerySet[Item]:
    """Items heard on the missions' accounts; `status` and `category` are their conversation's,
    `language` the item's own."""
    # Never what protects a person (issue 15 §7): not even its human-rights officer's token.
    queryset = policy.scope(user, Item.objects.on_desk(), mission_field="conversation__mission")
    queryset = _narrowed(queryset, narrow, "conversation__mission")
    if mission_id is not None:
        queryset = queryset.filter(conversation__mission_id=mission_id)
    if network:
        queryset = queryset.filter(network=network)
    if status == conversation_selectors.ACTIVE:
        queryset = queryset.filter(conversation__status__in=CONVERSATION_ACTIVE)
    elif status:
        queryset = queryset.filter(conversation__status=status)
    if category:
        queryset = queryset.filter(conversation__category=category)
    if language:
        queryset = queryset.filter(language=language)
    queryset = _since_until(queryset, "first_seen_at", since, until)
    return queryset.select_related("conversation")


def conversations(
    *,
    user,
    narrow: Narrow,
    mission_id: int | None = None,
    network: str = "",
    status: str = "",
    category: str = "",
    language: str = "",
    since: datetime | None = None,
    until: datetime | None = None,
) -> QuerySet[Conversation]:
    """The inbox's conversations (its selector, its filters), by the time of their last item."""
    queryset = conversation_selectors.inbox_filtered(
        user=user, network=network, status=status, category=category, language=language
    )
    queryset = _narrowed(queryset, narrow, "mission")
    if mission_id is not None:
        queryset = queryset.filter(mission_id=mission_id)
    queryset = _since_until(queryset, "last_item_at", since, until)
    return queryset.select_related("assignee")


def conversation_get(*, user, narrow: Narrow, pk: int) -> Conversation:
    """The conversation if the user (and the token) may see it; DoesNotExist otherwise."""
    conversation = conversation_selectors.conversation_get(user=user, conversation_id=pk)
    if narrow is not None and conversation.mission_id not in narrow:
        raise Conversation.DoesNotExist
    return conversation


def conversation_items(*, conversation: Conversation) -> QuerySet[Item]:
    return conversation_selectors.conversation_items(conversation).select_related("conversation")


def replies(*, user, narrow: Narrow, conversation: Conversation | None = None) -> QuerySet[Reply]:
    queryset = _narrowed(conversation_selectors.desk_scope(user, Reply.objects.all()), narrow, "mission")
    if conversation is not None:
        queryset = queryset.filter(conversation=conversation)
    return queryset.select_related("author", "cleared_by")


def reply_get(*, user, narrow: Narrow, pk: int) -> Reply:
    """The reply if the user (and the token) may see its mission; DoesNotExist otherwise."""
    reply = reply_selectors.reply_get(user=user, reply_id=pk)
    if narrow is not None and reply.mission_id not in narrow:
        raise Reply.DoesNotExist
    return reply


# --- Feeds (public: what has gone out is public already) ----------------------------------------


def feed_mission(*, code: str) -> Mission:
    return Mission.objects.get(code=code, is_active=True)


def feed_published_messages(*, mission: Mission, language: str, limit: int) -> QuerySet[Message]:
    """The mission's messages that reached a network, latest first, with a text in `language`."""
    return (
        Message.objects.filter(
            mission=mission,
            priority=Priority.ROUTINE,
            state__in=MESSAGE_OUT,
            texts__language=language,
            texts__network="",
        )
        .distinct()
        .prefetch_related("texts")
        .order_by("-updated_at", "-pk")[:limit]
    )


def feed_crisis_alerts(*, limit: int) -> QuerySet[Message]:
    return (
        Message.objects.filter(
            priority=Priority.CRISIS,
            state__in=MESSAGE_OUT,
        )
        .prefetch_related("texts")
        .order_by("-updated_at", "-pk")[:limit]
    )


# --- Administration ------------------------------------------------------------------------------


def tokens() -> QuerySet[ApiToken]:
    return ApiToken.objects.select_related("user", "created_by").prefetch_related("missions")


def allowed_hosts() -> QuerySet[AllowedHost]:
    return AllowedHost.objects.select_related("created_by")


def endpoints() -> QuerySet[WebhookEndpoint]:
    return WebhookEndpoint.objects.all()


def endpoint_deliveries(*, endpoint: WebhookEndpoint, limit: int) -> list[WebhookDelivery]:
    return list(endpoint.deliveries.prefetch_related("attempt_log").order_by("-created_at", "-pk")[:limit])
