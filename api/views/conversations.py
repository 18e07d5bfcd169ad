"""The conversation desk in the API: conversations, their items and replies, read through
the inbox's selectors and written through the conversation page's services
(conversations.services.replies): the same policy, clearance levels and four eyes.

Another mission's conversation or reply is not found (404); a reply the policy refuses is
403; a reply the service refuses (a pending reply, personal data, a text too long for the
network) is 422 with the service's code, worded as on the page."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from drf_spectacular.utils import extend_schema
from rest_framework import generics, serializers, status
from rest_framework.request import Request
from rest_framework.response import Response

from api import selectors
from api.models import Scope
from api.serializers import (
    ConversationSerializer,
    ItemSerializer,
    ReplyClearSerializer,
    ReplyCreateSerializer,
    ReplyReturnSerializer,
    ReplySerializer,
)
from api.views.resources import ACTIVE_HELP, READ_PROBLEMS, WRITE_PROBLEMS, Base, Filters, OldestFirst, _filters, found
from channels.models import Network
from conversations import clearance, reply_selectors
from conversations.lifecycle import Category, ConversationStatus
from conversations.selectors import ACTIVE
from conversations.services import replies
from conversations.services.replies import ReplyDraft

STATUSES = [(ACTIVE, ACTIVE), *ConversationStatus.choices]


class ConversationFilters(Filters):
    network = serializers.ChoiceField(choices=Network.choices, required=False)
    status = serializers.ChoiceField(
        choices=STATUSES,
        required=False,
        help_text=ACTIVE_HELP,
    )
    category = serializers.ChoiceField(choices=Category.choices, required=False)
    language = serializers.CharField(min_length=2, max_length=16, required=False)


def _conversation_filters(request: Request) -> dict:
    filters = _filters(request, ConversationFilters)
    return {
        "mission_id": filters.get("mission"),
        "network": filters.get("network", ""),
        "status": filters.get("status", ""),
        "category": filters.get("category", ""),
        "language": filters.get("language", ""),
        "since": filters.get("since"),
        "until": filters.get("until"),
    }


class ConversationList(Base, generics.ListAPIView):
    """The missions' conversations; `since` and `until` bound the time of their last item."""

    serializer_class = ConversationSerializer

    @extend_schema(
        parameters=[ConversationFilters], responses={200: ConversationSerializer(many=True), **READ_PROBLEMS}
    )
    def get(self, request: Request, *args, **kwargs) -> Response:
        return super().get(request, *args, **kwargs)

    def get_queryset(self):
        return selectors.conversations(
            user=self.request.user, narrow=self.narrow(), **_conversation_filters(self.request)
        )


class _OfConversation(Base):
    def conversation(self):
        return found(
            lambda: selectors.conversation_get(
                user=self.request.user, narrow=self.narrow(), pk=self.kwargs["conversation_id"]
            )
        )


class ConversationDetail(_OfConversation):
    serializer_class = ConversationSerializer

    @extend_schema(responses={200: ConversationSerializer, **READ_PROBLEMS})
    def get(self, request: Request, conversation_id: int) -> Response:
        return Response(ConversationSerializer(self.conversation()).data)


class ConversationItems(_OfConversation, generics.ListAPIView):
    serializer_class = ItemSerializer
    pagination_class = OldestFirst

    @extend_schema(responses={200: ItemSerializer(many=True), **READ_PROBLEMS})
    def get(self, request: Request, *args, **kwargs) -> Response:
        return super().get(request, *args, **kwargs)

    def get_queryset(self):
        return selectors.conversation_items(conversation=self.conversation())


class ConversationReplies(_OfConversation, generics.ListAPIView):
    """GET: the conversation's replies, oldest first. POST: write one, as on the conversation
    page: at clearance level 0 it is queued at once, above it awaits clearance."""

    serializer_class = ReplySerializer
    pagination_class = OldestFirst
    write_scope = Scope.REPLIES_WRITE

    @extend_schema(responses={200: ReplySerializer(many=True), **READ_PROBLEMS})
    def get(self, request: Request, *args, **kwargs) -> Response:
        return super().get(request, *args, **kwargs)

    def get_queryset(self):
        return selectors.replies(user=self.request.user, narrow=self.narrow(), conversation=self.conversation())

    @extend_schema(request=ReplyCreateSerializer, responses={201: ReplySerializer, **WRITE_PROBLEMS})
    def post(self, request: Request, conversation_id: int) -> Response:
        conversation = self.conversation()
        body = ReplyCreateSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        text = data["text"].strip()
        line = None
        if data["line"] is not None:
            # As the page's form: only a line in force may be chosen.
            line = reply_selectors.lines_in_force().filter(pk=data["line"]).first()
            if line is None:
                raise ValidationError("reply.line_unknown", code="reply.line_unknown")
        item = conversation.items.filter(pk=data["item"]).first()
        if not text and line is not None and item is not None:
            values = reply_selectors.line_values(conversation, item, language=line.language)
            text = clearance.fill_line(line.text, values)
        reply = replies.reply_write(
            actor=request.user,
            conversation_id=conversation.pk,
            draft=ReplyDraft(
                item_id=data["item"],
                text=text,
                line_id=line.pk if line is not None else None,
                kind=data["kind"],
                individual_case=data["individual_case"],
                idempotency_key=data["idempotency_key"],
            ),
        )
        reply = found(lambda: selectors.reply_get(user=request.user, narrow=self.narrow(), pk=reply.pk))
        return Response(ReplySerializer(reply).data, status=status.HTTP_201_CREATED)


class _OfReply(Base):
    def reply(self):
        return found(
            lambda: selectors.reply_get(user=self.request.user, narrow=self.narrow(), pk=self.kwargs["reply_id"])
        )


class ReplyDetail(_OfReply):
    serializer_class = ReplySerializer

    @extend_schema(responses={200: ReplySerializer, **READ_PROBLEMS})
    def get(self, request: Request, reply_id: int) -> Response:
        return Response(ReplySerializer(self.reply()).data)


class ReplyClear(_OfReply):
    """Let a reply awaiting clearance go (it is queued at once): another officer of the
    mission, or the press office, as the reply's level asks; never its writer."""

    serializer_class = ReplyClearSerializer
    write_scope = Scope.REPLIES_CLEAR

    @extend_schema(request=ReplyClearSerializer, responses={200: ReplySerializer, **WRITE_PROBLEMS})
    def post(self, request: Request, reply_id: int) -> Response:
        reply = self.reply()
        body = ReplyClearSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        replies.reply_clear(actor=request.user, reply_id=reply.pk, note=body.validated_data["note"])
        return Response(ReplySerializer(self.reply()).data)


class ReplyReturn(_OfReply):
    """Send a reply awaiting clearance back to its writer, saying why."""

    serializer_class = ReplyReturnSerializer
    write_scope = Scope.REPLIES_CLEAR

    @extend_schema(request=ReplyReturnSerializer, responses={200: ReplySerializer, **WRITE_PROBLEMS})
    def post(self, request: Request, reply_id: int) -> Response:
        reply = self.reply()
        body = ReplyReturnSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        replies.reply_return(actor=request.user, reply_id=reply.pk, note=body.validated_data["note"])
        return Response(ReplySerializer(self.reply()).data)
