"""The API's resources: thin views over the web UI's selectors and services.

Each view reads through api.selectors (policy-scoped, narrowed to a service account's
missions: another mission's object is not found, 404), checks the body's shape with a
serializer (400), and calls the same service as the web UI, whose policy, four eyes and
state checks answer 403, 409 and 422 (api.problems).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from django.conf import settings
from django.core.exceptions import ObjectDoesNotExist, ValidationError
from django.http import Http404
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.utils import OpenApiResponse, extend_schema, inline_serializer
from rest_framework import generics, serializers, status
from rest_framework.pagination import CursorPagination
from rest_framework.request import Request
from rest_framework.response import Response

from api import selectors
from api.authentication import token_mission_ids, token_of
from api.models import Scope
from api.serializers import (
    ID_MAX,
    AccountSerializer,
    ApproveSerializer,
    CrisisCreateSerializer,
    DecisionSerializer,
    DeliverySerializer,
    EventSerializer,
    ItemSerializer,
    MeSerializer,
    MessageCreateSerializer,
    MessageSerializer,
    MessageUpdateSerializer,
    MissionSerializer,
    ReviewSerializer,
    SettleSerializer,
    VersionSerializer,
)
from channels.models import Network, SocialAccount
from conversations.lifecycle import Category, ConversationStatus
from conversations.selectors import ACTIVE
from diplomacy_hub import policy
from embassies.models import Mission
from posts.models import Delivery, Message, Priority
from posts.services import crisis as crisis_services
from posts.services import messages as message_services
from posts.services import operations, review

T = TypeVar("T")

PROBLEM = inline_serializer(
    "Problem",
    {
        "type": serializers.CharField(),
        "title": serializers.CharField(),
        "status": serializers.IntegerField(),
        "code": serializers.CharField(),
        "detail": serializers.CharField(required=False),
    },
)
# Every error is application/problem+json (api.problems), and the document says so.
READ_PROBLEMS = {(code, "application/problem+json"): OpenApiResponse(PROBLEM) for code in (400, 401, 403, 404, 429)}
WRITE_PROBLEMS = {
    (code, "application/problem+json"): OpenApiResponse(PROBLEM)
    for code in (400, 401, 403, 404, 409, 413, 415, 422, 429)
}


class Cursor(CursorPagination):
    """Pages by an opaque cursor on the primary key, newest first: stable while rows arrive."""

    ordering = "-pk"
    page_size_query_param = "page_size"
    max_page_size = 200

    def get_page_size(self, request):
        self.page_size = settings.API_PAGE_SIZE  # read per request: a deployment's setting
        return super().get_page_size(request)


class OldestFirst(Cursor):
    ordering = "pk"


def found(read: Callable[[], T]) -> T:
    """The object, or 404: another mission's object does not exist for this caller."""
    try:
        return read()
    except ObjectDoesNotExist:
        raise Http404 from None


class Filters(serializers.Serializer):
    mission = serializers.IntegerField(required=False, min_value=1, max_value=ID_MAX)
    since = serializers.DateTimeField(required=False)
    until = serializers.DateTimeField(required=False)


def _filters(request: Request, serializer: type[serializers.Serializer] = Filters) -> dict[str, Any]:
    checked = serializer(data=request.query_params)
    checked.is_valid(raise_exception=True)
    return dict(checked.validated_data)


def _narrow(request: Request) -> set[int] | None:
    return token_mission_ids(request)


class Base(generics.GenericAPIView):
    pagination_class = Cursor
    write_scope: str | None = None

    def narrow(self) -> set[int] | None:
        return _narrow(self.request)


# --- Who am I ------------------------------------------------------------------------------------


class Me(Base):
    serializer_class = MeSerializer
    pagination_class = None

    @extend_schema(responses={200: MeSerializer, **READ_PROBLEMS})
    def get(self, request: Request) -> Response:
        token = token_of(request)
        described = None
        if token is not None:
            described = {
                "name": token.name,
                "kind": token.kind,
                "scopes": list(Scope.values) if token.kind == token.Kind.PERSON else token.scopes,
                "missions": sorted(_narrow(request) or []),
                "expires_at": token.expires_at.isoformat() if token.expires_at else None,
            }
        return Response(
            {
                "username": request.user.get_username(),
                "roles": sorted(policy.roles_of(request.user)),
                "token": described,
            }
        )


# --- Missions and accounts -----------------------------------------------------------------------


class MissionFilters(serializers.Serializer):
    region = serializers.ChoiceField(choices=Mission.Region.choices, required=False)
    active = serializers.BooleanField(required=False, allow_null=True, default=None)


class MissionList(Base, generics.ListAPIView):
    serializer_class = MissionSerializer

    @extend_schema(parameters=[MissionFilters], responses={200: MissionSerializer(many=True), **READ_PROBLEMS})
    def get(self, request: Request, *args, **kwargs) -> Response:
        return super().get(request, *args, **kwargs)

    def get_queryset(self):
        filters = _filters(self.request, MissionFilters)
        return selectors.missions(
            user=self.request.user, narrow=self.narrow(), region=filters.get("region", ""), active=filters["active"]
        )


class MissionDetail(Base):
    serializer_class = MissionSerializer

    @extend_schema(responses={200: MissionSerializer, **READ_PROBLEMS})
    def get(self, request: Request, pk: int) -> Response:
        mission = found(lambda: selectors.missions(user=request.user, narrow=self.narrow()).get(pk=pk))
        return Response(MissionSerializer(mission).data)


class AccountFilters(Filters):
    network = serializers.ChoiceField(choices=Network.choices, required=False)
    status = serializers.ChoiceField(choices=SocialAccount.Status.choices, required=False)


class AccountList(Base, generics.ListAPIView):
    serializer_class = AccountSerializer

    @extend_schema(parameters=[AccountFilters], responses={200: AccountSerializer(many=True), **READ_PROBLEMS})
    def get(self, request: Request, *args, **kwargs) -> Response:
        return super().get(request, *args, **kwargs)

    def get_queryset(self):
        filters = _filters(self.request, AccountFilters)
        return selectors.accounts(
            user=self.request.user,
            narrow=self.narrow(),
            mission_id=filters.get("mission"),
            network=filters.get("network", ""),
            status=filters.get("status", ""),
        )


class AccountDetail(Base):
    serializer_class = AccountSerializer

    @extend_schema(responses={200: AccountSerializer, **READ_PROBLEMS})
    def get(self, request: Request, pk: int) -> Response:
        account = found(lambda: selectors.accounts(user=request.user, narrow=self.narrow()).get(pk=pk))
        return Response(AccountSerializer(account).data)


# --- Messages ------------------------------------------------------------------------------------


class MessageFilters(Filters):
    state = serializers.ChoiceField(choices=Message.State.choices, required=False)


def _texts(items: list[dict]) -> dict[tuple[str, str], dict[str, str]]:
    texts: dict[tuple[str, str], dict[str, str]] = {}
    for item in items:
        key = (item["language"], item.get("network", ""))
        if key in texts:
            raise ValidationError({"texts": _("The %(language)s text is given twice.") % {"language": key[0]}})
        texts[key] = {"body": item["body"], "title": item.get("title", "")}
    return texts


class MessageListCreate(Base, generics.ListAPIView):
    serializer_class = MessageSerializer
    write_scope = Scope.MESSAGES_WRITE
    priority = Priority.ROUTINE

    @extend_schema(parameters=[MessageFilters], responses={200: MessageSerializer(many=True), **READ_PROBLEMS})
    def get(self, request: Request, *args, **kwargs) -> Response:
        return super().get(request, *args, **kwargs)

    def get_queryset(self):
        filters = _filters(self.request, MessageFilters)
        return selectors.messages(
            user=self.request.user,
            narrow=self.narrow(),
            priority=self.priority,
            mission_id=filters.get("mission"),
            state=filters.get("state", ""),
            since=filters.get("since"),
            until=filters.get("until"),
        )

    @extend_schema(request=MessageCreateSerializer, responses={201: MessageSerializer, **WRITE_PROBLEMS})
    def post(self, request: Request) -> Response:
        body = MessageCreateSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        mission = selectors.missions(user=request.user, narrow=self.narrow()).filter(pk=data["mission"]).first()
        if mission is None:
            raise ValidationError({"mission": _("Choose one of your missions.")})
        message = message_services.message_create(
            actor=request.user,
            mission=mission,
            title=data["title"],
            texts=_texts(data["texts"]),
            target_ids=data["target_ids"],
            desired_at=data["desired_at"],
        )
        message = selectors.message_get(user=request.user, narrow=self.narrow(), pk=message.pk)
        return Response(MessageSerializer(message).data, status=status.HTTP_201_CREATED)


class MessageDetail(Base):
    serializer_class = MessageSerializer
    write_scope = Scope.MESSAGES_WRITE

    def message(self, pk: int) -> Message:
        return found(lambda: selectors.message_get(user=self.request.user, narrow=self.narrow(), pk=pk))

    @extend_schema(responses={200: MessageSerializer, **READ_PROBLEMS})
    def get(self, request: Request, pk: int) -> Response:
        return Response(MessageSerializer(self.message(pk)).data)

    @extend_schema(request=MessageUpdateSerializer, responses={200: MessageSerializer, **WRITE_PROBLEMS})
    def patch(self, request: Request, pk: int) -> Response:
        message = self.message(pk)
        body = MessageUpdateSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = dict(body.validated_data)
        changes: dict[str, Any] = {}
        for name in ("title", "target_ids", "desired_at"):
            if name in data:
                changes[name] = data[name]
        if "texts" in data:
            changes["texts"] = _texts(data["texts"])
        message_services.message_update(
            actor=request.user, message_id=message.pk, expected_version=data["version"], **changes
        )
        return Response(MessageSerializer(self.message(pk)).data)


class MessageHistory(Base, generics.ListAPIView):
    serializer_class = EventSerializer
    pagination_class = OldestFirst

    @extend_schema(responses={200: EventSerializer(many=True), **READ_PROBLEMS})
    def get(self, request: Request, *args, **kwargs) -> Response:
        return super().get(request, *args, **kwargs)

    def get_queryset(self):
        message = found(
            lambda: selectors.message_get(user=self.request.user, narrow=self.narrow(), pk=self.kwargs["pk"])
        )
        return selectors.message_history(message=message)


class MessageReviews(Base, generics.ListAPIView):
    serializer_class = ReviewSerializer
    pagination_class = OldestFirst

    @extend_schema(responses={200: ReviewSerializer(many=True), **READ_PROBLEMS})
    def get(self, request: Request, *args, **kwargs) -> Response:
        return super().get(request, *args, **kwargs)

    def get_queryset(self):
        message = found(
            lambda: selectors.message_get(user=self.request.user, narrow=self.narrow(), pk=self.kwargs["pk"])
        )
        return selectors.message_reviews(message=message)


class _MessageAction(Base):
    """POST /messages/<pk>/<action>/: the message is found, the body checked, the service called."""

    serializer_class = VersionSerializer
    priority = Priority.ROUTINE

    def act(self, message: Message, data: dict) -> None:
        raise NotImplementedError

    def post(self, request: Request, pk: int) -> Response:
        narrow = self.narrow()
        message = found(lambda: selectors.message_get(user=request.user, narrow=narrow, pk=pk, priority=self.priority))
        body = self.get_serializer(data=request.data)
        body.is_valid(raise_exception=True)
        self.act(message, dict(body.validated_data))
        message = found(lambda: selectors.message_get(user=request.user, narrow=narrow, pk=pk, priority=self.priority))
        return Response(MessageSerializer(message).data)


def _action_schema(request_serializer):
    return extend_schema(request=request_serializer, responses={200: MessageSerializer, **WRITE_PROBLEMS})


class MessageSubmit(_MessageAction):
    write_scope = Scope.MESSAGES_WRITE

    @_action_schema(VersionSerializer)
    def post(self, request: Request, pk: int) -> Response:
        return super().post(request, pk)

    def act(self, message: Message, data: dict) -> None:
        review.message_submit(actor=self.request.user, message_id=message.pk, expected_version=data.get("version"))


class MessageApprove(_MessageAction):
    serializer_class = ApproveSerializer
    write_scope = Scope.REVIEWS_DECIDE

    @_action_schema(ApproveSerializer)
    def post(self, request: Request, pk: int) -> Response:
        return super().post(request, pk)

    def act(self, message: Message, data: dict) -> None:
        review.message_approve(
            actor=self.request.user,
            message_id=message.pk,
            publish_at=data["publish_at"],
            expected_version=data.get("version"),
            comment=data["comment"],
        )


class MessageRequestChanges(_MessageAction):
    serializer_class = DecisionSerializer
    write_scope = Scope.REVIEWS_DECIDE

    @_action_schema(DecisionSerializer)
    def post(self, request: Request, pk: int) -> Response:
        return super().post(request, pk)

    def act(self, message: Message, data: dict) -> None:
        review.message_request_changes(
            actor=self.request.user,
            message_id=message.pk,
            comment=data["comment"],
            expected_version=data.get("version"),
        )


class MessageReject(_MessageAction):
    serializer_class = DecisionSerializer
    write_scope = Scope.REVIEWS_DECIDE

    @_action_schema(DecisionSerializer)
    def post(self, request: Request, pk: int) -> Response:
        return super().post(request, pk)

    def act(self, message: Message, data: dict) -> None:
        review.message_reject(
            actor=self.request.user,
            message_id=message.pk,
            comment=data["comment"],
            expected_version=data.get("version"),
        )


# --- Deliveries ------------------------------------------------------------------------------------


class DeliveryFilters(Filters):
    state = serializers.ChoiceField(choices=Delivery.State.choices, required=False)
    message = serializers.IntegerField(required=False, min_value=1, max_value=ID_MAX)


class DeliveryList(Base, generics.ListAPIView):
    serializer_class = DeliverySerializer

    @extend_schema(parameters=[DeliveryFilters], responses={200: DeliverySerializer(many=True), **READ_PROBLEMS})
    def get(self, request: Request, *args, **kwargs) -> Response:
        return super().get(request, *args, **kwargs)

    def get_queryset(self):
        filters = _filters(self.request, DeliveryFilters)
        return selectors.deliveries(
            user=self.request.user,
            narrow=self.narrow(),
            mission_id=filters.get("mission"),
            message_id=filters.get("message"),
            state=filters.get("state", ""),
            since=filters.get("since"),
            until=filters.get("until"),
        )


class DeliveryDetail(Base):
    serializer_class = DeliverySerializer

    @extend_schema(responses={200: DeliverySerializer, **READ_PROBLEMS})
    def get(self, request: Request, pk: int) -> Response:
        delivery = found(lambda: selectors.delivery_get(user=request.user, narrow=self.narrow(), pk=pk))
        return Response(DeliverySerializer(delivery).data)


class DeliveryRetry(Base):
    serializer_class = DeliverySerializer
    write_scope = Scope.DELIVERIES_OPERATE

    @extend_schema(request=None, responses={200: DeliverySerializer, **WRITE_PROBLEMS})
    def post(self, request: Request, pk: int) -> Response:
        delivery = found(lambda: selectors.delivery_get(user=request.user, narrow=self.narrow(), pk=pk))
        delivery = operations.delivery_retry(actor=request.user, delivery_id=delivery.pk)
        return Response(DeliverySerializer(delivery).data)


class DeliverySettle(Base):
    serializer_class = SettleSerializer
    write_scope = Scope.DELIVERIES_OPERATE

    @extend_schema(request=SettleSerializer, responses={200: DeliverySerializer, **WRITE_PROBLEMS})
    def post(self, request: Request, pk: int) -> Response:
        delivery = found(lambda: selectors.delivery_get(user=request.user, narrow=self.narrow(), pk=pk))
        body = SettleSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        delivery = operations.delivery_settle(
            actor=request.user,
            delivery_id=delivery.pk,
            outcome=body.validated_data["outcome"],
            external_url=body.validated_data["external_url"],
        )
        return Response(DeliverySerializer(delivery).data)


# --- Crisis alerts ----------------------------------------------------------------------------------


class CrisisListCreate(MessageListCreate):
    write_scope = Scope.CRISIS_WRITE
    priority = Priority.CRISIS

    @extend_schema(parameters=[MessageFilters], responses={200: MessageSerializer(many=True), **READ_PROBLEMS})
    def get(self, request: Request, *args, **kwargs) -> Response:
        return super().get(request, *args, **kwargs)

    @extend_schema(request=CrisisCreateSerializer, responses={201: MessageSerializer, **WRITE_PROBLEMS})
    def post(self, request: Request) -> Response:
        body = CrisisCreateSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        alert = crisis_services.crisis_alert_create(
            actor=request.user,
            title=data["title"],
            texts=data["texts"],
            scope=dict(data["scope"]),
            networks=data.get("networks"),
        )
        alert = found(
            lambda: selectors.message_get(
                user=request.user, narrow=self.narrow(), pk=alert.pk, priority=Priority.CRISIS
            )
        )
        return Response(MessageSerializer(alert).data, status=status.HTTP_201_CREATED)


class CrisisDetail(Base):
    serializer_class = MessageSerializer

    @extend_schema(responses={200: MessageSerializer, **READ_PROBLEMS})
    def get(self, request: Request, pk: int) -> Response:
        alert = found(
            lambda: selectors.message_get(user=request.user, narrow=self.narrow(), pk=pk, priority=Priority.CRISIS)
        )
        return Response(MessageSerializer(alert).data)


class CrisisSubmit(MessageSubmit):
    write_scope = Scope.CRISIS_WRITE
    priority = Priority.CRISIS


class CrisisApprove(MessageApprove):
    """Approval needs a second person: the same service and policy as the UI's (four eyes)."""

    priority = Priority.CRISIS


# --- The conversation desk ----------------------------------------------------------------------


# The conversation desk's status filter: a status, or the inbox's "to do".
ACTIVE_HELP = gettext_lazy("“active”: new, open, awaiting clearance or waiting for the author.")


class ItemFilters(Filters):
    network = serializers.ChoiceField(choices=Network.choices, required=False)
    status = serializers.ChoiceField(
        choices=[(ACTIVE, ACTIVE), *ConversationStatus.choices],
        required=False,
        help_text=ACTIVE_HELP,
    )
    category = serializers.ChoiceField(choices=Category.choices, required=False)
    language = serializers.CharField(min_length=2, max_length=16, required=False)


class ItemList(Base, generics.ListAPIView):
    serializer_class = ItemSerializer

    @extend_schema(parameters=[ItemFilters], responses={200: ItemSerializer(many=True), **READ_PROBLEMS})
    def get(self, request: Request, *args, **kwargs) -> Response:
        return super().get(request, *args, **kwargs)

    def get_queryset(self):
        filters = _filters(self.request, ItemFilters)
        return selectors.items(
            user=self.request.user,
            narrow=self.narrow(),
            mission_id=filters.get("mission"),
            network=filters.get("network", ""),
            status=filters.get("status", ""),
            category=filters.get("category", ""),
            language=filters.get("language", ""),
            since=filters.get("since"),
            until=filters.get("until"),
        )


class ItemDetail(Base):
    serializer_class = ItemSerializer

    @extend_schema(responses={200: ItemSerializer, **READ_PROBLEMS})
    def get(self, request: Request, pk: int) -> Response:
        item = found(lambda: selectors.items(user=request.user, narrow=self.narrow()).get(pk=pk))
        return Response(ItemSerializer(item).data)
