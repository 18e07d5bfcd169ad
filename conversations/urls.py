from django.urls import path

from conversations import views, views_protected, views_replies, views_rules, views_webhooks

app_name = "conversations"
urlpatterns = [
    path("", views.inbox, name="inbox"),
    path("changes/", views.inbox_changes, name="inbox_changes"),
    path("views/", views.inbox_view_save, name="view_save"),
    path("views/<int:view_id>/delete/", views.inbox_view_delete, name="view_delete"),
    path("<int:conversation_id>/", views.conversation_detail, name="detail"),
    path("<int:conversation_id>/status/", views.conversation_status, name="status"),
    path("<int:conversation_id>/assign/", views.conversation_assign, name="assign"),
    path("<int:conversation_id>/triage/", views.conversation_triage, name="triage"),
    # People under threat (issue 15 §7): the human-rights officer's.
    path("protected/", views_protected.protected_queue, name="protected_queue"),
    path("protected/people/", views_protected.protected_people, name="protected_people"),
    path(
        "protected/people/<int:person_id>/remove/",
        views_protected.protected_person_remove,
        name="protected_person_remove",
    ),
    path("<int:conversation_id>/allow-reply/", views_protected.protected_reply_allow, name="protected_reply_allow"),
    path("<int:conversation_id>/release/", views_protected.protected_release, name="protected_release"),
    path("<int:conversation_id>/reply/", views_replies.reply_write, name="reply"),
    path("replies/", views_replies.reply_queue, name="reply_queue"),
    path("replies/<int:reply_id>/clear/", views_replies.reply_clear, name="reply_clear"),
    path("replies/<int:reply_id>/return/", views_replies.reply_return, name="reply_return"),
    path("items/<int:item_id>/hide/", views_replies.item_hide, name="item_hide"),
    path("items/<int:item_id>/remove/", views_replies.item_propose_removal, name="item_remove"),
    path("moderation/<int:action_id>/confirm/", views_replies.moderation_confirm, name="moderation_confirm"),
    path("moderation/<int:action_id>/dismiss/", views_replies.moderation_dismiss, name="moderation_dismiss"),
    path("lines/", views_replies.line_library, name="lines"),
    path("lines/new/", views_replies.line_create, name="line_create"),
    path("lines/<int:line_id>/approve/", views_replies.line_approve, name="line_approve"),
    path("lines/<int:line_id>/withdraw/", views_replies.line_withdraw, name="line_withdraw"),
    path("<int:conversation_id>/note/", views.conversation_note, name="note"),
    path("<int:conversation_id>/presence/", views.conversation_presence, name="presence"),
    path("triage/", views_rules.triage_rules_page, name="triage_rules"),
    path("triage/packs/new/", views_rules.pack_create, name="pack_create"),
    path("triage/packs/<int:pack_id>/", views_rules.pack_edit, name="pack_edit"),
    path("triage/packs/<int:pack_id>/delete/", views_rules.pack_delete, name="pack_delete"),
    path("triage/authors/add/", views_rules.author_add, name="author_add"),
    path("triage/authors/<int:author_id>/remove/", views_rules.author_remove, name="author_remove"),
    path("triage/targets/", views_rules.targets_save, name="targets_save"),
    path("webhooks/x/", views_webhooks.webhook, {"network": "twitter"}, name="webhook_x"),
    path("webhooks/facebook/", views_webhooks.webhook, {"network": "facebook"}, name="webhook_facebook"),
]
