from django.urls import path

from conversations import views, views_webhooks

app_name = "conversations"
urlpatterns = [
    path("", views.inbox, name="inbox"),
    path("<int:conversation_id>/", views.conversation_detail, name="detail"),
    path("<int:conversation_id>/status/", views.conversation_status, name="status"),
    path("<int:conversation_id>/assign/", views.conversation_assign, name="assign"),
    path("webhooks/x/", views_webhooks.webhook, {"network": "twitter"}, name="webhook_x"),
    path("webhooks/facebook/", views_webhooks.webhook, {"network": "facebook"}, name="webhook_facebook"),
]
