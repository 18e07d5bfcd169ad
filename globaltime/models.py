"""Global time: the press office's desks and their duty rosters, and the days a calendar
marks (the ministry's commemorations, the missions' own events).

Below the publishing app: posts routes a submitted message to a desk and reads the
calendar on compose; nothing here knows of messages.
"""

from __future__ import annotations

import zoneinfo
from datetime import time

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from embassies.models import Mission
from embassies.validators import validate_time_zone


class Weekday(models.IntegerChoices):
    MONDAY = 0, _("Monday")
    TUESDAY = 1, _("Tuesday")
    WEDNESDAY = 2, _("Wednesday")
    THURSDAY = 3, _("Thursday")
    FRIDAY = 4, _("Friday")
    SATURDAY = 5, _("Saturday")
    SUNDAY = 6, _("Sunday")


class Desk(models.Model):
    """A review desk of the press office: headquarters, or a regional desk. It is on duty
    during its hours on its days, in its own zone; its roster says who is on duty when."""

    name = models.CharField(_("name"), max_length=100, unique=True)
    is_headquarters = models.BooleanField(_("headquarters"), default=False)
    # The regions whose missions it reviews first (Mission.Region values); headquarters
    # takes what no regional desk on duty covers.
    regions = models.JSONField(_("regions"), default=list, blank=True)
    time_zone = models.CharField(_("time zone"), max_length=64, validators=[validate_time_zone])
    # Its hours, the same on each of its days; an end at or before the start runs past
    # midnight, and equal ones mean the whole day.
    opens_at = models.TimeField(_("on duty from"), default=time(8, 0))
    closes_at = models.TimeField(_("on duty until"), default=time(20, 0))
    weekdays = models.JSONField(_("days"), default=list)
    lead = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="led_desks",
        verbose_name=_("lead"),
    )
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-is_headquarters", "name"]
        verbose_name = _("desk")
        verbose_name_plural = _("desks")
        constraints = [
            models.UniqueConstraint(
                fields=["is_headquarters"],
                condition=models.Q(is_headquarters=True),
                name="globaltime_desk_one_headquarters",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def zone(self) -> zoneinfo.ZoneInfo:
        return zoneinfo.ZoneInfo(self.time_zone)

    def region_labels(self) -> list[str]:
        labels = dict(Mission.Region.choices)
        return [str(labels.get(region, region)) for region in self.regions]


class DutyShift(models.Model):
    """One person on duty at a desk, on one weekday, from a time to a time (the desk's
    zone; an end at or before the start runs past midnight)."""

    desk = models.ForeignKey(Desk, on_delete=models.CASCADE, related_name="shifts", verbose_name=_("desk"))
    weekday = models.PositiveSmallIntegerField(_("day"), choices=Weekday.choices)
    starts_at = models.TimeField(_("from"))
    ends_at = models.TimeField(_("until"))
    officer = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="duty_shifts", verbose_name=_("on duty")
    )

    class Meta:
        ordering = ["desk", "weekday", "starts_at"]
        verbose_name = _("duty shift")
        verbose_name_plural = _("duty shifts")
        constraints = [
            models.CheckConstraint(condition=models.Q(weekday__lte=6), name="globaltime_dutyshift_weekday_valid"),
        ]

    def __str__(self) -> str:
        return f"{self.desk} {self.get_weekday_display()} {self.starts_at:%H:%M}-{self.ends_at:%H:%M}"


class Occasion(models.Model):
    """A day the calendar marks that no library knows: the ministry's commemorations (no
    mission) and a mission's own events. A recurring one comes back each year, and its
    mission is reminded `remind_days_before` days ahead."""

    mission = models.ForeignKey(
        Mission,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="occasions",
        verbose_name=_("mission"),
    )
    title = models.CharField(_("title"), max_length=200)
    day = models.DateField(_("day"))
    recurring = models.BooleanField(_("every year"), default=False)
    remind_days_before = models.PositiveSmallIntegerField(_("remind days before"), null=True, blank=True)
    note = models.TextField(_("note"), blank=True, max_length=2000)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    # The last year its reminder went out, so that a reminder is sent once a year.
    reminded_for_year = models.PositiveSmallIntegerField(null=True, blank=True, editable=False)

    class Meta:
        ordering = ["day", "title"]
        verbose_name = _("occasion")
        verbose_name_plural = _("occasions")
        indexes = [models.Index(fields=["mission", "day"], name="globaltime_occasion_day_idx")]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(remind_days_before__isnull=True) | models.Q(remind_days_before__lte=90),
                name="globaltime_occasion_remind_within_90",
            ),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def mission_id_or_none(self) -> int | None:
        return self.mission_id
