"""Global time's pages (the `globaltime` namespace)."""

from django.urls import path

from globaltime import views

app_name = "globaltime"
urlpatterns = [
    path("desks/", views.desk_list, name="desk_list"),
    path("desks/new/", views.desk_create, name="desk_create"),
    path("desks/<int:desk_id>/", views.desk_edit, name="desk_edit"),
    path("desks/<int:desk_id>/roster/", views.desk_roster, name="desk_roster"),
    path("calendar/days/", views.occasion_list, name="occasion_list"),
    path("calendar/days/<int:occasion_id>/delete/", views.occasion_delete, name="occasion_delete"),
]
