from django.conf import settings
from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_not_required
from django.urls import include, path

from diplomacy_hub import errors
from posts.views.health import healthz
from security.forms import LoginForm
from security.views import language_set

admin.site.site_header = "Diplomacy Hub"
admin.site.site_title = "Diplomacy Hub"
admin.site.index_title = "Administration"

urlpatterns = [
    path("", include("posts.urls")),
    # Before the missions: staff/invite/ and the like are the security app's pages.
    path("missions/staff/", include("security.urls_staff")),
    path("missions/", include("embassies.urls")),
    path("accounts/social/", include("channels.urls")),
    path("conversations/", include("conversations.urls")),
    path("analytics/", include("analytics.urls")),
    path("global/", include("globaltime.urls")),
    path("api/v1/", include("api.urls")),
    path("feeds/", include("api.urls_feeds")),
    path("integrations/", include("api.urls_admin")),
    path(
        "accounts/login/",
        auth_views.LoginView.as_view(
            redirect_authenticated_user=True,
            authentication_form=LoginForm,
            extra_context={"show_demo_users": settings.DEBUG},
        ),
        name="login",
    ),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("accounts/two-factor/", include("security.urls")),
    path("accounts/invitation/", include("security.urls_invitation")),
    path("accounts/password/", auth_views.PasswordChangeView.as_view(), name="password_change"),
    path("accounts/password/done/", auth_views.PasswordChangeDoneView.as_view(), name="password_change_done"),
    path("i18n/setlang/", login_not_required(language_set), name="set_language"),
    path("admin/", admin.site.urls),
    path("audit/", include("audit.urls")),
    path("healthz", healthz, name="healthz"),
]

handler400 = errors.bad_request
handler403 = errors.permission_denied
handler404 = errors.page_not_found
handler500 = errors.server_error
