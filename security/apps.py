from django.apps import AppConfig
from django.contrib.admin import apps as admin_apps
from django.utils.translation import gettext_lazy as _


class SecurityConfig(AppConfig):
    name = "security"
    verbose_name = _("Security")
    default = True

    def ready(self) -> None:
        # start-up: the receivers import models, which load only once the app registry is ready.
        from security import receivers  # noqa: F401 (connects the signal receivers)


class VerifiedAdminConfig(admin_apps.AdminConfig):
    """django.contrib.admin with an admin site that asks for the second factor
    (security/admin_site.py). Listed in INSTALLED_APPS instead of "django.contrib.admin"."""

    default = False
    default_site = "security.admin_site.VerifiedAdminSite"
