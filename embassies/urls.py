from django.urls import path

from embassies import views

app_name = "embassies"
urlpatterns = [
    path("", views.mission_list, name="mission_list"),
    # Staff and roles (administrators), before the missions' codes so that "staff" is never read as one.
    path("staff/", views.staff_list, name="staff_list"),
    path("staff/<int:user_id>/", views.staff_detail, name="staff_detail"),
    path("staff/<int:user_id>/roles/grant/", views.role_grant, name="role_grant"),
    path("staff/<int:user_id>/roles/revoke/", views.role_revoke, name="role_revoke"),
    path("staff/<int:user_id>/missions/add/", views.membership_add, name="membership_add"),
    path("staff/<int:user_id>/missions/remove/", views.membership_remove, name="membership_remove"),
    path("<slug:code>/", views.mission_detail, name="mission_detail"),
    path("<slug:code>/desk/", views.mission_desk_settings, name="desk_settings"),
    path("<slug:code>/desk/hours/", views.mission_hours, name="mission_hours"),
    path("<slug:code>/desk/languages/", views.staff_languages, name="staff_languages"),
]
