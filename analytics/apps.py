from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AnalyticsConfig(AppConfig):
    name = "analytics"
    verbose_name = _("Analytics")

    def ready(self) -> None:
        # Posts asks globaltime when a mission's audience engaged most; analytics, above posts,
        # is who can read it: it answers through the hook, so that posts never imports it.
        from analytics.selectors import engaged_hour  # start-up: the app registry is ready only now
        from globaltime.audience import read_engagement_with  # start-up: imported with the reader it registers

        read_engagement_with(engaged_hour)

        # The message page shows its numbers through posts' panel hook: posts never
        # imports analytics (the layers run one way).
        from analytics.panels import message_numbers_panel  # start-up: models load once the registry is ready
        from posts.panels import register_message_panel  # start-up: imported with the panel it registers

        register_message_panel(message_numbers_panel)
