"""/api/v1/: the resources, the OpenAPI document and its browsable documentation.

The API authenticates itself (a bearer token or the session, api.authentication), so its
views are exempt from the login redirect; an anonymous caller gets 401, as JSON."""

from django.contrib.auth.decorators import login_not_required
from django.urls import path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from api.views import resources as views

app_name = "api"


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
    path("missions/<int:pk>/", public(views.MissionDetail), name="mission_detail"),
    path("accounts/", public(views.AccountList), name="account_list"),
    path("accounts/<int:pk>/", public(views.AccountDetail), name="account_detail"),
    path("messages/", public(views.MessageListCreate), name="message_list"),
    path("messages/<int:pk>/", public(views.MessageDetail), name="message_detail"),
    path("messages/<int:pk>/history/", public(views.MessageHistory), name="message_history"),
    path("messages/<int:pk>/reviews/", public(views.MessageReviews), name="message_reviews"),
    path("messages/<int:pk>/submit/", public(views.MessageSubmit), name="message_submit"),
    path("messages/<int:pk>/approve/", public(views.MessageApprove), name="message_approve"),
    path("messages/<int:pk>/request-changes/", public(views.MessageRequestChanges), name="message_request_changes"),
    path("messages/<int:pk>/reject/", public(views.MessageReject), name="message_reject"),
    path("deliveries/", public(views.DeliveryList), name="delivery_list"),
    path("deliveries/<int:pk>/", public(views.DeliveryDetail), name="delivery_detail"),
    path("deliveries/<int:pk>/retry/", public(views.DeliveryRetry), name="delivery_retry"),
    path("deliveries/<int:pk>/settle/", public(views.DeliverySettle), name="delivery_settle"),
    path("crisis-alerts/", public(views.CrisisListCreate), name="crisis_list"),
    path("crisis-alerts/<int:pk>/", public(views.CrisisDetail), name="crisis_detail"),
    path("crisis-alerts/<int:pk>/submit/", public(views.CrisisSubmit), name="crisis_submit"),
    path("crisis-alerts/<int:pk>/approve/", public(views.CrisisApprove), name="crisis_approve"),
    path("conversation-items/", public(views.ItemList), name="item_list"),
    path("conversation-items/<int:pk>/", public(views.ItemDetail), name="item_detail"),
]
