from django.urls import path

from posts import views
from posts.urls_operations import urlpatterns as operations_urlpatterns

app_name = "posts"
urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    *operations_urlpatterns,
]
