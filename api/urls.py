"""/api/v1/: the resources, the OpenAPI document and its browsable documentation.

The API authenticates itself (a bearer token or the session, api.authentication), so its
views are exempt from the login redirect; an anonymous caller gets 401, as JSON."""

from django.contrib.auth.decorators import login_not_required
from django.urls import path, register_converter
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from api.views import conversations as desk
from api.views import resources as views

app_name = "api"


class IdConverter:
    """An id as the document describes it (an integer), negative or huge ones included, so
    that the view answers 404 as problem+json; beyond a 64-bit key it reads as 0 (no row)."""

    regex = "-?[0-9]{1,40}"

    def to_python(self, value: str) -> int:
        number = int(value)
        return number if -(2**63) < number < 2**63 else 0

    def to_url(self, value: int) -> str:
        return str(value)


register_converter(IdConverter, "id")


def public(view_class, **initkwargs):
    return login_not_required(view_class.as_view(**initkwargs))


urlpatterns = [
    path("schema/", public(SpectacularAPIView, permission_classes=[], authentication_classes=[]), name="schema"),
    # Swagger UI from the sidecar package (no CDN), its set-up script served apart (no inline
    # script: the CSP). Redoc is left out: it styles itself with inline styles the CSP refuses.
    path(
        "docs/",
        public(SpectacularSwaggerSplitView, url_name="api:schema", permission_classes=[], authentication_classes=[]),
        name="docs",
    ),
    path("me/", public(views.Me), name="me"),
    path("missions/", public(views.MissionList), name="mission_list"),
    path("missions/<id:pk>/", public(views.MissionDetail), name="mission_detail"),
    path("accounts/", public(views.AccountList), name="account_list"),
    path("accounts/<id:pk>/", public(views.AccountDetail), name="account_detail"),
    path("messages/", public(views.MessageListCreate), name="message_list"),
    path("messages/<id:pk>/", public(views.MessageDetail), name="message_detail"),
    path("messages/<id:pk>/history/", public(views.MessageHistory), name="message_history"),
    path("messages/<id:pk>/reviews/", public(views.MessageReviews), name="message_reviews"),
    path("messages/<id:pk>/submit/", public(views.MessageSubmit), name="message_submit"),
    path("messages/<id:pk>/approve/", public(views.MessageApprove), name="message_approve"),
    path("messages/<id:pk>/request-changes/", public(views.MessageRequestChanges), name="message_request_changes"),
    path("messages/<id:pk>/reject/", public(views.MessageReject), name="message_reject"),
    path("deliveries/", public(views.DeliveryList), name="delivery_list"),
    path("deliveries/<id:pk>/", public(views.DeliveryDetail), name="delivery_detail"),
    path("deliveries/<id:pk>/retry/", public(views.DeliveryRetry), name="delivery_retry"),
    path("deliveries/<id:pk>/settle/", public(views.DeliverySettle), name="delivery_settle"),
    path("crisis-alerts/", public(views.CrisisListCreate), name="crisis_list"),
    path("crisis-alerts/<id:pk>/", public(views.CrisisDetail), name="crisis_detail"),
    path("crisis-alerts/<id:pk>/submit/", public(views.CrisisSubmit), name="crisis_submit"),
    path("crisis-alerts/<id:pk>/approve/", public(views.CrisisApprove), name="crisis_approve"),
    path("conversation-items/", public(views.ItemList), name="item_list"),
    path("conversation-items/<id:pk>/", public(views.ItemDetail), name="item_detail"),
    path("conversations/", public(desk.ConversationList), name="conversation_list"),
    path("conversations/<id:conversation_id>/", public(desk.ConversationDetail), name="conversation_detail"),
    path("conversations/<id:conversation_id>/items/", public(desk.ConversationItems), name="conversation_items"),
    path("conversations/<id:conversation_id>/replies/", public(desk.ConversationReplies), name="conversation_replies"),
    path("replies/<id:reply_id>/", public(desk.ReplyDetail), name="reply_detail"),
    path("replies/<id:reply_id>/clear/", public(desk.ReplyClear), name="reply_clear"),
    path("replies/<id:reply_id>/return/", public(desk.ReplyReturn), name="reply_return"),
]
