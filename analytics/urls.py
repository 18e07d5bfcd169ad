from django.urls import path

from analytics import views

app_name = "analytics"
urlpatterns = [
    path("", views.overview, name="overview"),
    path("dialogue/", views.dialogue, name="dialogue"),
    path("audience/<slug:code>/", views.mission_dashboard, name="mission"),
    path("messages/<int:message_id>/", views.message_numbers, name="message"),
]
