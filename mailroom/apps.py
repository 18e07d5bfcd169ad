from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MailroomConfig(AppConfig):
    name = "mailroom"
    verbose_name = _("Mail")

    def ready(self) -> None:
        # start-up: the keeper imports models, which load only once the app registry is ready.
        from diplomacy_hub import mail
        from mailroom.services import KEEPER

        mail.keep_with(KEEPER)
