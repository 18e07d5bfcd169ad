"""Administrators' pages for bringing people in and out, beside "Staff and roles"."""

from django.urls import path

from security import views_invitations as views

app_name = "staff"
urlpatterns = [
    path("invite/", views.invitation_create, name="invite"),
    path("invitations/", views.invitation_list, name="invitation_list"),
    path("invitations/<int:invitation_id>/resend/", views.invitation_resend, name="invitation_resend"),
    path("invitations/<int:invitation_id>/revoke/", views.invitation_revoke, name="invitation_revoke"),
    path("<int:user_id>/deactivate/", views.user_deactivate, name="deactivate"),
    path("<int:user_id>/reactivate/", views.user_reactivate, name="reactivate"),
]
