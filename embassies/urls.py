from django.urls import path

from embassies import views

app_name = "embassies"
urlpatterns = [
    path("", views.mission_list, name="mission_list"),
    path("<slug:code>/", views.mission_detail, name="mission_detail"),
]
