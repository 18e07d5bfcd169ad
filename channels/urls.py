from django.urls import path

from channels import views

app_name = "channels"
urlpatterns = [
    path("", views.account_list, name="account_list"),
    path("register/", views.account_register, name="account_register"),
    path("callback/<slug:network>/", views.account_callback, name="account_callback"),
    path("<int:account_id>/", views.account_detail, name="account_detail"),
    path("<int:account_id>/connect/", views.account_connect, name="account_connect"),
    path("<int:account_id>/disconnect/", views.account_disconnect, name="account_disconnect"),
    path("<int:account_id>/disable/", views.account_disable, name="account_disable"),
    path("<int:account_id>/check/", views.account_check, name="account_check"),
]
