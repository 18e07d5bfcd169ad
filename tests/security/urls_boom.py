"""A URLconf with one view that fails while a credential is in scope, for the error-page tests."""

from django.urls import include, path

from tests.security import views_boom

urlpatterns = [
    path("boom/", views_boom.boom, name="boom"),
    path("", include("diplomacy_hub.urls")),
]
