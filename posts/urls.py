from django.urls import path

from posts import views
from posts.urls_operations import urlpatterns as operations_urlpatterns

app_name = "posts"
urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("messages/new/", views.message_create, name="message_create"),
    path("messages/autosave/", views.message_autosave, name="message_autosave"),
    path("messages/preview/", views.message_preview, name="message_preview"),
    path("messages/time/", views.time_in_hq, name="time_in_hq"),
    path("messages/review/", views.review_queue, name="review_queue"),
    path("messages/<int:pk>/", views.message_detail, name="message_detail"),
    path("messages/<int:pk>/edit/", views.message_edit, name="message_edit"),
    path("messages/<int:pk>/submit/", views.message_submit, name="message_submit"),
    path("messages/<int:pk>/approve/", views.message_approve, name="message_approve"),
    path("messages/<int:pk>/request-changes/", views.message_request_changes, name="message_request_changes"),
    path("messages/<int:pk>/reject/", views.message_reject, name="message_reject"),
    path("messages/<int:pk>/comments/", views.comment_add, name="comment_add"),
    path("messages/<int:pk>/attachments/<int:attachment_id>/", views.attachment_file, name="attachment_file"),
    path("calendar/", views.calendar, name="calendar"),
    *operations_urlpatterns,
]
