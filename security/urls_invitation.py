"""The invited person's pages (public: they have no account yet). Not in the `security`
namespace, which the second-factor middleware leaves open to a session owing its code."""

from django.urls import path

from security import views_invitations as views

app_name = "invitation"
urlpatterns = [
    path("", views.invitation_accept, name="accept"),
    path("<str:token>/", views.invitation_open, name="open"),
]
