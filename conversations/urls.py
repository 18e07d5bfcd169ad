from django.urls import path

from conversations import views, views_webhooks

app_name = "conversations"
urlpatterns = [
    path("", views.inbox, name="inbox"),
    path("changes/", views.inbox_changes, name="inbox_changes"),
    path("views/", views.inbox_view_save, name="view_save"),
    path("views/<int:view_id>/delete/", views.inbox_view_delete, name="view_delete"),
    path("<int:conversation_id>/", views.conversation_detail, name="detail"),
    path("<int:conversation_id>/status/", views.conversation_status, name="status"),
    path("<int:conversation_id>/assign/", views.conversation_assign, name="assign"),
    path("<int:conversation_id>/note/", views.conversation_note, name="note"),
    path("<int:conversation_id>/presence/", views.conversation_presence, name="presence"),
    path("webhooks/x/", views_webhooks.webhook, {"network": "twitter"}, name="webhook_x"),
    path("webhooks/facebook/", views_webhooks.webhook, {"network": "facebook"}, name="webhook_facebook"),
]
