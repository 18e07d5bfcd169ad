from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class GlobaltimeConfig(AppConfig):
    name = "globaltime"
    verbose_name = _("Global time")
