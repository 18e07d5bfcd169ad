import datetime
import zoneinfo
from datetime import time

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

from embassies.names import country_name, in_reader_language
from embassies.validators import (
    validate_country_code,
    validate_language_codes,
    validate_read_languages,
    validate_time_zone,
)

# Languages written right to left, so that editors and previews set dir="rtl".
RIGHT_TO_LEFT_LANGUAGES = frozenset({"ar", "he", "fa", "ur", "ps", "ku", "yi", "dv"})


class MissionQuerySet(models.QuerySet):
    def active(self) -> "MissionQuerySet":
        return self.filter(is_active=True)


def default_business_days() -> list[int]:
    return [1, 2, 3, 4, 5]


class Mission(models.Model):
    """One diplomatic post abroad: an embassy, a consulate or a permanent delegation."""

    class Kind(models.TextChoices):
        EMBASSY = "embassy", _("Embassy")
        CONSULATE = "consulate", _("Consulate")
        DELEGATION = "delegation", _("Permanent delegation")

    class Region(models.TextChoices):
        EUROPE = "Europe", _("Europe")
        AFRICA = "Africa", _("Africa")
        AMERICAS = "Americas", _("Americas")
        ASIA_PACIFIC = "Asia-Pacific", _("Asia-Pacific")
        MIDDLE_EAST_NORTH_AFRICA = "Middle East & North Africa", _("Middle East & North Africa")

    code = models.SlugField(_("code"), max_length=64, unique=True)
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    name = models.CharField(_("name in English"), max_length=200)
    name_fr = models.CharField(
        _("name in French"),
        max_length=200,
        blank=True,
        help_text=_("Shown to French readers; the English name if empty."),
    )
    country_code = models.CharField(
        _("host country"),
        max_length=2,
        validators=[validate_country_code],
        help_text=_("ISO 3166-1 alpha-2, for example JP."),
    )
    city = models.CharField(_("city in English"), max_length=100)
    city_fr = models.CharField(
        _("city in French"),
        max_length=100,
        blank=True,
        help_text=_("Shown to French readers; the English name if empty."),
    )
    time_zone = models.CharField(
        _("time zone"),
        max_length=64,
        validators=[validate_time_zone],
        help_text=_("IANA name, for example Asia/Tokyo."),
    )
    region = models.CharField(_("region"), max_length=32, choices=Region.choices)
    languages = models.JSONField(
        _("publishing languages"),
        validators=[validate_language_codes],
        help_text=_('ISO 639-1 codes in order of preference, for example ["fr", "ja", "en"].'),
    )
    # The local day of its audience (issue 18 §5): when compose and approve suggest publishing.
    audience_wakes = models.TimeField(
        _("audience awake from"), default=time(7, 0), help_text=_("Local time, in the mission's zone.")
    )
    audience_sleeps = models.TimeField(
        _("audience asleep from"), default=time(23, 0), help_text=_("Local time, in the mission's zone.")
    )
    # Business hours, in the mission's zone: the service clocks of routine conversations
    # run only then (issue 14). ISO weekdays, 1 is Monday.
    business_days = models.JSONField(
        _("working days"),
        default=default_business_days,
        help_text=_("ISO weekdays, 1 is Monday: [1, 2, 3, 4, 5], or [7, 1, 2, 3, 4] where the week starts on Sunday."),
    )
    opens_at = models.TimeField(_("opens at"), default=datetime.time(9, 0))
    closes_at = models.TimeField(_("closes at"), default=datetime.time(17, 0))
    is_active = models.BooleanField(_("active"), default=True)

    objects = MissionQuerySet.as_manager()

    class Meta:
        ordering = ["region", "country_code", "kind", "city"]
        verbose_name = _("mission")
        verbose_name_plural = _("missions")
        indexes = [models.Index(fields=["region", "country_code"], name="embassies_mission_region_idx")]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(kind__in=["embassy", "consulate", "delegation"]),
                name="embassies_mission_kind_valid",
            ),
            models.CheckConstraint(
                condition=models.Q(opens_at__lt=models.F("closes_at")),
                name="embassies_mission_opens_before_closing",
            ),
        ]

    def __str__(self) -> str:
        return self.display_name

    def clean(self) -> None:
        super().clean()
        days = self.business_days
        if not isinstance(days, list) or not days or any(day not in range(1, 8) for day in days):
            raise ValidationError({"business_days": _("Give the working days as weekday numbers from 1 to 7.")})
        if self.opens_at and self.closes_at and self.opens_at >= self.closes_at:
            raise ValidationError({"closes_at": _("The mission closes after it opens.")})

    @property
    def display_name(self) -> str:
        """The mission's name in the reader's language."""
        return in_reader_language(self.name, self.name_fr, code=self.code)

    @property
    def display_city(self) -> str:
        """The host city's name in the reader's language ("Le Caire", "Cairo")."""
        return in_reader_language(self.city, self.city_fr, code=self.code, field="city")

    @property
    def mission_id(self) -> int | None:
        """Its own id: the policy asks any object for `mission_id`, a mission included."""
        return self.pk

    @property
    def zone(self) -> zoneinfo.ZoneInfo:
        return zoneinfo.ZoneInfo(self.time_zone)

    @property
    def country_name(self) -> str:
        """The host country's everyday name in the reader's language."""
        return country_name(self.country_code)


class StaffMembership(models.Model):
    """Ties a user to a mission: an officer acts only for the missions they belong to."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="memberships",
        verbose_name=_("user"),
    )
    mission = models.ForeignKey(
        Mission,
        on_delete=models.CASCADE,
        related_name="memberships",
        verbose_name=_("mission"),
    )
    # Which languages this person reads: a conversation in a language that nobody at the
    # mission reads is offered to headquarters ("global time").
    languages = models.JSONField(
        _("languages read"),
        default=list,
        blank=True,
        validators=[validate_read_languages],
        help_text=_('ISO 639-1 codes, for example ["fr", "ar"].'),
    )
    created_at = models.DateTimeField(_("since"), auto_now_add=True)

    class Meta:
        verbose_name = _("staff membership")
        verbose_name_plural = _("staff memberships")
        constraints = [
            models.UniqueConstraint(fields=["user", "mission"], name="embassies_staffmembership_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.user} @ {self.mission.code}"
