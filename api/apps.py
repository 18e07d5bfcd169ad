from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ApiConfig(AppConfig):
    name = "api"
    verbose_name = _("API, feeds and webhooks")

    def ready(self) -> None:
        # The webhooks' outbox hears every event of the apps below, in their transactions.
        from api.services.webhooks import outbox_listener  # start-up: the app registry is ready only now
        from diplomacy_hub import outbox  # start-up: imported with the listener it registers

        outbox.listen(outbox_listener)
