"""What publishing achieved, as a time series: one row per account and day (followers),
one snapshot per delivery and age (1 h, 24 h, 7 d, 30 d after publishing).

A number the network did not give is NULL with a reason code (`unknown`), never 0: a
network that answered nothing, an account that lost its permission, a metric that is gone.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from channels.models import SocialAccount
from embassies.models import Mission
from posts.models import Delivery, Message


class Unknown(models.TextChoices):
    """Why a number is missing (worded for people in analytics.selectors.UNKNOWN_LABELS)."""

    NOT_GIVEN = "not_given", _("The network does not give this number")
    UNREACHABLE = "unreachable", _("The network did not answer")
    PERMISSION = "permission", _("The account lost its permission")
    GONE = "gone", _("The post is gone from the network")
    RATE_LIMITED = "rate_limited", _("The network's limit was reached")
    TOO_OLD = "too_old", _("The network gives this number only for posts younger than 30 days")
    NOT_GRANTED = "not_granted", _("The account did not grant the permission to read this number")


class AccountDaily(models.Model):
    account = models.ForeignKey(SocialAccount, on_delete=models.CASCADE, related_name="daily_metrics")
    day = models.DateField(_("day"))
    followers = models.PositiveIntegerField(_("followers"), null=True, blank=True)
    views = models.PositiveBigIntegerField(_("views"), null=True, blank=True)
    unknown = models.CharField(_("unknown because"), max_length=16, choices=Unknown.choices, blank=True)
    collected_at = models.DateTimeField(_("collected"))

    class Meta:
        constraints = [models.UniqueConstraint(fields=["account", "day"], name="analytics_accountdaily_one_a_day")]
        indexes = [models.Index(fields=["day", "account"], name="analytics_daily_day_idx")]

    def __str__(self) -> str:
        return f"{self.account_id} {self.day}: {self.followers}"


class Age(models.IntegerChoices):
    """Hours after publishing at which a delivery's numbers are read."""

    HOUR = 1, _("1 hour")
    DAY = 24, _("24 hours")
    WEEK = 168, _("7 days")
    MONTH = 720, _("30 days")


class DeliverySnapshot(models.Model):
    delivery = models.ForeignKey(Delivery, on_delete=models.CASCADE, related_name="snapshots")
    # Denormalised from the delivery, so that dashboards group without joining the messages.
    account = models.ForeignKey(SocialAccount, on_delete=models.CASCADE, related_name="+")
    age_hours = models.PositiveSmallIntegerField(_("age"), choices=Age.choices)
    views = models.PositiveBigIntegerField(_("views"), null=True, blank=True)
    likes = models.PositiveIntegerField(_("reactions"), null=True, blank=True)
    comments = models.PositiveIntegerField(_("replies"), null=True, blank=True)
    shares = models.PositiveIntegerField(_("shares"), null=True, blank=True)
    unknown = models.CharField(_("unknown because"), max_length=16, choices=Unknown.choices, blank=True)
    # Link clicks where the network gives them (X for 30 days, Facebook), with why not
    # otherwise; X's clicks on the account's name; YouTube Analytics where it is granted.
    clicks = models.PositiveIntegerField(_("link clicks"), null=True, blank=True)
    clicks_unknown = models.CharField(_("clicks unknown because"), max_length=16, choices=Unknown.choices, blank=True)
    profile_clicks = models.PositiveIntegerField(_("profile clicks"), null=True, blank=True)
    watch_minutes = models.PositiveBigIntegerField(_("minutes watched"), null=True, blank=True)
    subscribers_gained = models.PositiveIntegerField(_("subscribers gained"), null=True, blank=True)
    analytics_unknown = models.CharField(
        _("YouTube Analytics unknown because"), max_length=16, choices=Unknown.choices, blank=True
    )
    collected_at = models.DateTimeField(_("collected"))

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["delivery", "age_hours"], name="analytics_deliverysnapshot_one_per_age")
        ]
        # The dashboards read one age over a span of reading times, by account or for all.
        indexes = [
            models.Index(fields=["account", "age_hours", "collected_at"], name="analytics_snapshot_account_idx"),
            models.Index(fields=["age_hours", "collected_at"], name="analytics_snapshot_age_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.delivery_id} +{self.age_hours}h"


class CollectionClaim(models.Model):
    """An account's collection taken by a task until `until`: a lost task lapses, and the
    account is taken again in a later round."""

    account = models.OneToOneField(SocialAccount, on_delete=models.CASCADE, primary_key=True, related_name="+")
    until = models.DateTimeField()
    token = models.CharField(max_length=32)

    def __str__(self) -> str:
        return f"{self.account_id} until {self.until}"


class WeeklyReport(models.Model):
    """One person's weekly report for one week (the Monday it covers up to, in their zone):
    written before the e-mail leaves, so that a second worker or a second tick sends none;
    `sent_at` stays empty when the mail server failed, and the next tick tries again."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    week = models.DateField()
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "week"], name="analytics_weeklyreport_once_a_week")]

    def __str__(self) -> str:
        return f"{self.user_id} {self.week}"


# --- Pre-summed for the pages (analytics/rollups.py keeps them) ------------------------------------
# The pages read only these: a year of snapshots (1.6 million rows) summed on each request took
# seconds; a week of these is a few thousand narrow rows, grouped without a join.


class MessageDay(models.Model):
    """One message's 24-hour readings, summed per mission, network and UTC day of reading."""

    message = models.ForeignKey(Message, on_delete=models.CASCADE, related_name="+")
    mission = models.ForeignKey(Mission, on_delete=models.CASCADE, related_name="+")
    region = models.CharField(max_length=32)
    network = models.CharField(max_length=16)
    day = models.DateField()
    rows = models.PositiveIntegerField(default=0)  # snapshots, read or unknown
    read = models.PositiveIntegerField(default=0)  # of which not unknown
    accounts = models.PositiveIntegerField(default=0)  # accounts read
    views = models.PositiveBigIntegerField(null=True)
    views_known = models.PositiveIntegerField(default=0)
    likes = models.PositiveBigIntegerField(null=True)
    comments = models.PositiveBigIntegerField(null=True)
    shares = models.PositiveBigIntegerField(null=True)
    engagement = models.PositiveBigIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["message", "mission", "network", "day"], name="analytics_messageday_one")
        ]
        indexes = [
            models.Index(fields=["day", "mission"], name="analytics_msgday_day_idx"),
            models.Index(fields=["mission", "day"], name="analytics_msgday_mission_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.message_id} {self.mission_id} {self.network} {self.day}"


class AudienceDay(models.Model):
    """Followers summed per mission, network and day."""

    mission = models.ForeignKey(Mission, on_delete=models.CASCADE, related_name="+")
    region = models.CharField(max_length=32)
    network = models.CharField(max_length=16)
    day = models.DateField()
    accounts = models.PositiveIntegerField(default=0)
    followers = models.PositiveBigIntegerField(null=True)
    followers_known = models.PositiveIntegerField(default=0)
    unknowns = models.PositiveIntegerField(default=0)  # accounts read as unknown

    class Meta:
        constraints = [models.UniqueConstraint(fields=["mission", "network", "day"], name="analytics_audienceday_one")]
        indexes = [models.Index(fields=["day", "mission"], name="analytics_audienceday_day_idx")]

    def __str__(self) -> str:
        return f"{self.mission_id} {self.network} {self.day}: {self.followers}"


class MessageRegion(models.Model):
    """One message's reach per region, from each delivery's latest reading (any age)."""

    message = models.ForeignKey(Message, on_delete=models.CASCADE, related_name="+")
    region = models.CharField(max_length=32)
    read = models.PositiveIntegerField(default=0)
    views = models.PositiveBigIntegerField(null=True)
    engagement = models.PositiveBigIntegerField(null=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["message", "region"], name="analytics_messageregion_one")]

    def __str__(self) -> str:
        return f"{self.message_id} {self.region}"
