"""The publishing pages' URLs (the `posts` namespace). Every operations action's address
answers GET with its confirmation page (nothing changes) and acts on a POST from that
page only (`confirmed=yes`)."""

from django.urls import path

from posts import views

app_name = "posts"
urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    # Compose, the message page, the review queue, the calendar.
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
    # The delivery monitor.
    path("monitor/", views.monitor_list, name="monitor_list"),
    path("monitor/<int:pk>/", views.monitor, name="monitor"),
    path("monitor/<int:pk>/retry-failed/", views.monitor_retry_failed, name="monitor_retry_failed"),
    path("monitor/<int:pk>/cancel/", views.monitor_cancel, name="monitor_cancel"),
    path("monitor/<int:pk>/retract/", views.monitor_retract, name="monitor_retract"),
    path("monitor/<int:pk>/release/", views.monitor_release, name="monitor_release"),
    path("monitor/deliveries/<int:delivery_id>/retry/", views.delivery_retry, name="delivery_retry"),
    path("monitor/deliveries/<int:delivery_id>/settle/", views.delivery_settle, name="delivery_settle"),
    # The pause switch.
    path("pause/", views.pause, name="pause"),
    path("pause/<int:pause_id>/resume/", views.pause_resume, name="pause_resume"),
    path("pause/release/", views.pause_release, name="pause_release"),
    # Global time: review times per desk and their targets, planned silences.
    path("desks/review-times/", views.review_times, name="review_times"),
    path("silences/", views.silences, name="silences"),
    # Crisis alerts.
    path("crisis/", views.crisis_list, name="crisis_list"),
    path("crisis/new/", views.crisis_create, name="crisis_create"),
    path("crisis/reach/", views.crisis_reach_preview, name="crisis_reach"),
    path("crisis/<int:pk>/", views.crisis_board, name="crisis_board"),
    path("crisis/<int:pk>/approve/", views.crisis_approve, name="crisis_approve"),
    # The publishing engine's health, for people (/healthz is for machines).
    path("health/", views.health, name="health"),
]
