"""The four roles of Diplomacy Hub. Each is a Django group of the same name."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    OFFICER = "officer", _("Officer")
    PRESS_OFFICE = "press_office", _("Press office")
    CRISIS_UNIT = "crisis_unit", _("Crisis unit")
    ADMINISTRATOR = "administrator", _("Administrator")
