"""URLs of the press office's and crisis unit's operations pages (posts/views_operations.py),
mounted in the `posts` namespace by posts/urls.py.

Every action's address answers GET with its confirmation page (nothing changes) and acts
on a POST from that page only (`confirmed=yes`)."""

from django.urls import path

from posts import views_operations as views

urlpatterns: list = [
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
    # Crisis alerts.
    path("crisis/", views.crisis_list, name="crisis_list"),
    path("crisis/new/", views.crisis_create, name="crisis_create"),
    path("crisis/reach/", views.crisis_reach_preview, name="crisis_reach"),
    path("crisis/<int:pk>/", views.crisis_board, name="crisis_board"),
    path("crisis/<int:pk>/approve/", views.crisis_approve, name="crisis_approve"),
    # The publishing engine's health, for people (/healthz is for machines).
    path("health/", views.health, name="health"),
]
