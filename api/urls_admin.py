"""/integrations/: the administrators' pages for API tokens and webhooks."""

from django.urls import path

from api.views import admin as views

app_name = "integrations"

urlpatterns = [
    path("tokens/", views.token_list, name="token_list"),
    path("tokens/new/<str:kind>/", views.token_create, name="token_create"),
    path("tokens/<int:token_id>/revoke/", views.token_revoke, name="token_revoke"),
    path("webhooks/", views.webhook_list, name="webhook_list"),
    path("webhooks/new/", views.webhook_create, name="webhook_create"),
    path("webhooks/<int:endpoint_id>/", views.webhook_detail, name="webhook_detail"),
    path("webhooks/<int:endpoint_id>/enable/", views.webhook_set_active, {"active": True}, name="webhook_enable"),
    path("webhooks/<int:endpoint_id>/disable/", views.webhook_set_active, {"active": False}, name="webhook_disable"),
    path("webhooks/hosts/", views.host_allow, name="host_allow"),
    path("webhooks/hosts/<int:host_id>/remove/", views.host_forbid, name="host_forbid"),
]
