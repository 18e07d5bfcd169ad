from django.urls import path

from conversations import views, views_replies, views_webhooks

app_name = "conversations"
urlpatterns = [
    path("", views.inbox, name="inbox"),
    path("changes/", views.inbox_changes, name="inbox_changes"),
    path("views/", views.inbox_view_save, name="view_save"),
    path("views/<int:view_id>/delete/", views.inbox_view_delete, name="view_delete"),
    path("<int:conversation_id>/", views.conversation_detail, name="detail"),
    path("<int:conversation_id>/status/", views.conversation_status, name="status"),
    path("<int:conversation_id>/assign/", views.conversation_assign, name="assign"),
    path("<int:conversation_id>/reply/", views_replies.reply_write, name="reply"),
    path("replies/", views_replies.reply_queue, name="reply_queue"),
    path("replies/<int:reply_id>/clear/", views_replies.reply_clear, name="reply_clear"),
    path("replies/<int:reply_id>/return/", views_replies.reply_return, name="reply_return"),
    path("items/<int:item_id>/hide/", views_replies.item_hide, name="item_hide"),
    path("lines/", views_replies.line_library, name="lines"),
    path("lines/new/", views_replies.line_create, name="line_create"),
    path("lines/<int:line_id>/approve/", views_replies.line_approve, name="line_approve"),
    path("lines/<int:line_id>/withdraw/", views_replies.line_withdraw, name="line_withdraw"),
    path("<int:conversation_id>/note/", views.conversation_note, name="note"),
    path("<int:conversation_id>/presence/", views.conversation_presence, name="presence"),
    path("webhooks/x/", views_webhooks.webhook, {"network": "twitter"}, name="webhook_x"),
    path("webhooks/facebook/", views_webhooks.webhook, {"network": "facebook"}, name="webhook_facebook"),
]
