from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AuditConfig(AppConfig):
    name = "audit"
    verbose_name = _("Audit log")

    def ready(self) -> None:
        # start-up: the receivers import models, which load only once the app registry is ready.
        from audit import receivers  # noqa: F401 (connects the signal receivers)
