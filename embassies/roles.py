"""The roles of Diplomacy Hub. Each is a Django group of the same name."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    OFFICER = "officer", _("Officer")
    PRESS_OFFICE = "press_office", _("Press office")
    CRISIS_UNIT = "crisis_unit", _("Crisis unit")
    ADMINISTRATOR = "administrator", _("Administrator")
    # Alone sees what threatens or exposes a person (issue 15 §7): the protected queue.
    HUMAN_RIGHTS_OFFICER = "human_rights_officer", _("Human-rights officer")
