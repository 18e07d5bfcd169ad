"""Messages, their reviews and deliveries, and the append-only trail of what happened.

States change only through the services in posts/services/, which ask the policy, check
the transition, and record an Event in the same transaction.
"""

import secrets
import uuid
from collections.abc import Mapping
from typing import Any

from django.conf import settings
from django.db import models
from django.db.models.functions import Coalesce
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from channels.models import Network, SocialAccount
from embassies.models import Mission
from globaltime.models import Desk
from posts import lifecycle
from posts.lifecycle import InvalidTransition  # noqa: F401  # imported with the models by their callers

# The events by which someone changed what a message says. Whoever did wrote part of it,
# and four eyes keep them from deciding on it (`Message.writer_ids`, diplomacy_hub.policy).
AUTHORING_VERBS = lifecycle.AUTHORING_EVENTS


# How long what people type may be: the model fields, the forms and the services share them.
TITLE_MAX = 200
TEXT_TITLE_MAX = 255
ALT_TEXT_MAX = 1000
COMMENT_MAX = 5000


class Priority(models.TextChoices):
    ROUTINE = "routine", _("Routine")
    CRISIS = "crisis", _("Crisis alert")


class Message(models.Model):
    """What an officer (or the crisis unit) drafts: texts per language, media, targets, time."""

    # The states and transitions live in posts.lifecycle, with every other state machine.
    State = lifecycle.MessageState
    TRANSITIONS = lifecycle.MESSAGE_TRANSITIONS
    EDITABLE_STATES = lifecycle.MESSAGE_EDITABLE

    # A crisis alert drafted at headquarters has no single mission.
    mission = models.ForeignKey(
        Mission,
        on_delete=models.PROTECT,
        related_name="messages",
        null=True,
        blank=True,
        verbose_name=_("mission"),
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="authored_messages",
        verbose_name=_("author"),
    )
    title = models.CharField(_("internal title"), max_length=TITLE_MAX)
    state = models.CharField(_("state"), max_length=24, choices=State.choices, default=State.DRAFT)
    priority = models.CharField(
        _("priority"),
        max_length=10,
        choices=Priority.choices,
        default=Priority.ROUTINE,
    )
    desired_at = models.DateTimeField(_("desired time"), null=True, blank=True)
    scheduled_at = models.DateTimeField(_("scheduled time"), null=True, blank=True)
    targets = models.ManyToManyField(
        SocialAccount,
        related_name="targeted_by",
        blank=True,
        verbose_name=_("target accounts"),
    )
    # For crisis alerts: how the targets were chosen ({"all": true} | {"regions": [...]} |
    # {"countries": [...]}), kept so reviewers see the intent, not only the list.
    crisis_scope = models.JSONField(_("crisis scope"), default=dict, blank=True)
    # Bumped by every edit; a review form carries it, so a stale page cannot approve.
    version = models.PositiveIntegerField(_("version"), default=1)
    approved_fingerprint = models.CharField(max_length=64, blank=True, editable=False)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="approved_messages",
        null=True,
        blank=True,
        editable=False,
    )
    approved_at = models.DateTimeField(null=True, blank=True, editable=False)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    # Not stored: set by a decision's service on the message it returns, so that the page
    # says "the author has been told" only when an email to them was queued.
    author_told: bool = False
    # Not stored either: what cancelling left going out (services.review.message_cancel), and
    # counts the list selectors attach (selectors.messages, selectors.operations).
    left_in_flight: list["Delivery"]
    target_networks: list[tuple[str, int]]
    target_count: int

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("message")
        verbose_name_plural = _("messages")
        indexes = [
            models.Index(fields=["state", "scheduled_at"], name="posts_message_state_sched_idx"),
            models.Index(fields=["mission", "state"], name="posts_message_mission_idx"),
            models.Index(fields=["priority", "state"], name="posts_message_priority_idx"),
            # When a message goes out (posts.selectors.messages.goes_out_at): the calendar
            # and the lists' date filters read a month of a year through it.
            models.Index(Coalesce("scheduled_at", "desired_at", "created_at"), name="posts_message_goes_out_idx"),
            # The delivery monitor's list, polled while anything is live, reads this week's
            # changes through it.
            models.Index(fields=["updated_at"], name="posts_message_updated_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(priority="crisis") | models.Q(mission__isnull=False),
                name="posts_message_routine_has_mission",
            ),
        ]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("posts:message_detail", args=[self.pk])

    def require_transition(self, to_state: str) -> None:
        lifecycle.require_transition(self, to_state)

    @property
    def is_crisis(self) -> bool:
        return self.priority == Priority.CRISIS

    def writer_ids(self) -> frozenset[int]:
        """Everyone who wrote part of this message: its author and whoever changed its texts
        or media since (an Event with a verb in AUTHORING_VERBS). None of them may decide on it.

        Read from the prefetched events when there are some (the detail page), else in one
        query: ask it of one message (a detail page, a service), never row by row in a list.
        """
        prefetched = getattr(self, "_prefetched_objects_cache", {}).get("events")
        if prefetched is not None:
            editors = {event.actor_id for event in prefetched if event.verb in AUTHORING_VERBS}
        else:
            editors = set(
                Event.objects.filter(message_id=self.pk, verb__in=AUTHORING_VERBS)
                .order_by()
                .values_list("actor_id", flat=True)
                .distinct()
            )
        return frozenset(({self.author_id} | editors) - {None})


class MessageText(models.Model):
    """The text in one language; with `network` set, a variant for that network only."""

    message = models.ForeignKey(Message, on_delete=models.CASCADE, related_name="texts")
    language = models.CharField(_("language"), max_length=2)
    network = models.CharField(_("network"), max_length=16, choices=Network.choices, blank=True)
    body = models.TextField(_("text"))
    title = models.CharField(
        _("title"),
        max_length=TEXT_TITLE_MAX,
        blank=True,
        help_text=_("YouTube and Flickr titles."),
    )

    class Meta:
        ordering = ["language", "network"]
        constraints = [
            models.UniqueConstraint(
                fields=["message", "language", "network"],
                name="posts_messagetext_unique_language_network",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.language}{'/' + self.network if self.network else ''}"


def attachment_path(instance: "Attachment", filename: str) -> str:
    # A generated name: the uploader's file name is kept for display only.
    return f"attachments/{uuid.uuid4().hex}"


class Attachment(models.Model):
    class Kind(models.TextChoices):
        IMAGE = "image", _("Image")
        VIDEO = "video", _("Video")

    message = models.ForeignKey(Message, on_delete=models.CASCADE, related_name="attachments")
    file = models.FileField(_("file"), upload_to=attachment_path)
    kind = models.CharField(_("kind"), max_length=8, choices=Kind.choices)
    mime_type = models.CharField(_("type"), max_length=100)
    size = models.PositiveBigIntegerField(_("size in bytes"))
    sha256 = models.CharField(max_length=64)
    original_name = models.CharField(_("file name"), max_length=255)
    alt_text = models.CharField(_("alt text"), max_length=ALT_TEXT_MAX, blank=True)
    width = models.PositiveIntegerField(null=True, blank=True)
    height = models.PositiveIntegerField(null=True, blank=True)
    duration_seconds = models.FloatField(null=True, blank=True)
    position = models.PositiveSmallIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["position", "pk"]

    def __str__(self) -> str:
        return self.original_name


class Review(models.Model):
    """A press officer's decision on a message."""

    class Decision(models.TextChoices):
        APPROVE = "approve", _("Approved")
        REQUEST_CHANGES = "request_changes", _("Changes requested")
        REJECT = "reject", _("Rejected")

    message = models.ForeignKey(Message, on_delete=models.CASCADE, related_name="reviews")
    reviewer = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="reviews")
    decision = models.CharField(_("decision"), max_length=20, choices=Decision.choices)
    comment = models.TextField(_("comment"), blank=True)
    message_version = models.PositiveIntegerField()
    # The texts the reviewer decided on, so that the next review sees what changed since.
    texts = models.JSONField(_("texts reviewed"), default=list, blank=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at"]

    def __str__(self) -> str:
        return f"{self.get_decision_display()} by {self.reviewer}"


class Comment(models.Model):
    """The conversation between the author and the reviewers on one message."""

    message = models.ForeignKey(Message, on_delete=models.CASCADE, related_name="comments")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    body = models.TextField(_("comment"))
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at"]

    def __str__(self) -> str:
        return self.body[:50]


def new_delivery_reference() -> str:
    return f"dh{uuid.uuid4().hex[:16]}"


def new_network_token() -> str:
    return secrets.token_hex(8)


class Delivery(models.Model):
    """One message to one social account in one language: what a worker publishes."""

    State = lifecycle.DeliveryState
    TRANSITIONS = lifecycle.DELIVERY_TRANSITIONS

    class ErrorKind(models.TextChoices):
        RATE_LIMITED = "rate_limited", _("Rate limited")
        TRANSIENT = "transient", _("Network failure")
        AUTH = "auth", _("Account not authorised")
        PERMANENT = "permanent", _("Refused by the network")
        UNKNOWN = "unknown", _("Outcome unknown")
        LATE = "late", _("Too late")

    message = models.ForeignKey(Message, on_delete=models.CASCADE, related_name="deliveries")
    account = models.ForeignKey(SocialAccount, on_delete=models.PROTECT, related_name="deliveries")
    language = models.CharField(_("language"), max_length=2)
    priority = models.CharField(max_length=10, choices=Priority.choices, default=Priority.ROUTINE)
    state = models.CharField(_("state"), max_length=12, choices=State.choices, default=State.SCHEDULED)
    # Our own name for the delivery (admin search, logs): it never leaves the hub.
    reference = models.CharField(max_length=32, unique=True, default=new_delivery_reference, editable=False)
    # Random, and carried in public where the network lets us search for it later (a Flickr
    # machine tag, a YouTube tag), so that an unknown outcome can be reconciled: it says
    # nothing of our numbering and is used for nothing else.
    network_token = models.CharField(max_length=16, unique=True, default=new_network_token, editable=False)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    next_attempt_at = models.DateTimeField(_("next attempt"), null=True, blank=True)
    # When a person last said it may go out: the approved time, or a press officer's release
    # or retry. The engine's own postponements (retries, rate limits) never move it: past
    # it by PUBLISH_LATE_AFTER, the delivery is held (posts.services.outcomes.is_late).
    due_at = models.DateTimeField(_("due"), null=True, blank=True)
    state_changed_at = models.DateTimeField(_("state changed"), null=True, blank=True)
    last_error = models.CharField(_("last error"), max_length=500, blank=True)
    last_error_kind = models.CharField(max_length=16, choices=ErrorKind.choices, blank=True)
    # What `last_error` says, as a code and parameters (posts.problems), so that each reader
    # reads it in their language; empty for the network's own words, shown as they came.
    last_error_code = models.CharField(max_length=64, blank=True)
    last_error_params = models.JSONField(default=dict, blank=True)
    external_id = models.CharField(_("id on the network"), max_length=100, blank=True)
    # The post that carries it, when that is another object: a Facebook video (external_id,
    # what retract deletes) and its Page post (what the Page's feed and comments know).
    external_post_id = models.CharField(_("post id on the network"), max_length=100, blank=True)
    external_url = models.URLField(_("link"), max_length=500, blank=True)
    sent_at = models.DateTimeField(_("sent"), null=True, blank=True)
    retracted_at = models.DateTimeField(_("retracted"), null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["pk"]
        verbose_name = _("delivery")
        verbose_name_plural = _("deliveries")
        constraints = [
            # One live delivery per message, account and language. Cancelled ones stay as
            # history: an edit after approval cancels them, and the next approval writes new ones.
            models.UniqueConstraint(
                fields=["message", "account", "language"],
                condition=~models.Q(state="cancelled"),
                name="posts_delivery_unique_message_account_language",
            ),
        ]
        indexes = [
            models.Index(fields=["state", "next_attempt_at"], name="posts_delivery_due_idx"),
            models.Index(fields=["state", "state_changed_at"], name="posts_delivery_stuck_idx"),
            models.Index(fields=["message", "state"], name="posts_delivery_message_idx"),
            # Published in a period (the dialogue ratio's denominator, read by analytics).
            models.Index(fields=["sent_at"], name="posts_delivery_sent_idx"),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.account_id}/{self.language} {self.state}"

    @staticmethod
    def error_fields(
        text: str = "", kind: str = "", *, code: str = "", params: Mapping[str, Any] | None = None
    ) -> dict[str, Any]:
        """The columns of a delivery's last error, all written together: the text kept for
        the record (in English, cut to fit), its kind, and the code and parameters it is
        worded from for each reader; a `Said` (channels.adapters.base) brings its own. No
        argument clears them."""
        code = code or getattr(text, "code", "")
        params = params if params else getattr(text, "params", None)
        return {
            "last_error": str(text)[:500],
            "last_error_kind": kind,
            "last_error_code": code,
            "last_error_params": dict(params or {}) if code else {},
        }


class DeliveryAttempt(models.Model):
    """Every call made for a delivery and how it ended: why it failed, in words."""

    delivery = models.ForeignKey(Delivery, on_delete=models.CASCADE, related_name="attempt_log")
    number = models.PositiveSmallIntegerField()
    action = models.CharField(max_length=16, default="publish")  # publish | reconcile | delete
    started_at = models.DateTimeField()
    finished_at = models.DateTimeField(null=True, blank=True)
    # sent | rate_limited | transient | auth | permanent | unknown | found | not_found | deleted
    outcome = models.CharField(max_length=16, blank=True)
    status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    detail = models.CharField(max_length=500, blank=True)
    external_id = models.CharField(max_length=100, blank=True)

    class Meta:
        ordering = ["started_at"]
        # The shared rate-limit window counts recent publish calls (posts/ratelimit.py).
        indexes = [models.Index(fields=["action", "started_at"], name="posts_attempt_window_idx")]

    def __str__(self) -> str:
        return f"{self.delivery_id}#{self.number} {self.outcome}"


class Event(models.Model):
    """Append-only: who did what to which message or delivery, when, from which state."""

    message = models.ForeignKey(
        Message,
        on_delete=models.CASCADE,
        related_name="events",
        null=True,
        blank=True,
    )
    delivery = models.ForeignKey(
        Delivery,
        on_delete=models.CASCADE,
        related_name="events",
        null=True,
        blank=True,
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    verb = models.CharField(max_length=64)  # dotted: "message.approve", "delivery.sent"
    from_state = models.CharField(max_length=24, blank=True)
    to_state = models.CharField(max_length=24, blank=True)
    details = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["created_at", "pk"]

    def __str__(self) -> str:
        return f"{self.verb} {self.from_state}->{self.to_state}"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise ValueError("Events are append-only.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ValueError("Events are append-only.")


class PublishingPause(models.Model):
    """A press officer's pause of publishing, for everything or for a scope."""

    class Scope(models.TextChoices):
        ALL = "all", _("Everything")
        REGION = "region", _("Region")
        COUNTRY = "country", _("Country")
        MISSION = "mission", _("Mission")
        NETWORK = "network", _("Network")

    class Kind(models.TextChoices):
        PAUSE = "pause", _("Pause")
        ELECTORAL = "electoral", _("Electoral silence")
        MOURNING = "mourning", _("National mourning")
        EMBARGO = "embargo", _("Embargo")

    scope = models.CharField(_("scope"), max_length=10, choices=Scope.choices, default=Scope.ALL)
    # A region name, a country code, a mission code or a network.
    value = models.CharField(_("which"), max_length=64, blank=True)
    reason = models.TextField(_("reason"))
    # A planned silence (issue 18 §3) is a pause with a time range, planned ahead: in force
    # from `starts_at` (a pause: from when it was started) until `ends_at` (a pause: until a
    # person resumes). Past `ends_at` it ends by itself, and what it held stays held.
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices, default=Kind.PAUSE)
    starts_at = models.DateTimeField(_("from"), null=True, blank=True)
    ends_at = models.DateTimeField(_("until"), null=True, blank=True)
    # Whether it holds crisis alerts: None follows PUBLISHING_PAUSE_HOLDS_CRISIS.
    holds_crisis = models.BooleanField(_("holds crisis alerts"), null=True, blank=True)
    started_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    started_at = models.DateTimeField(auto_now_add=True)
    ended_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
    )
    ended_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-started_at"]
        indexes = [models.Index(fields=["ended_at"], name="posts_pause_active_idx")]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(starts_at__isnull=True)
                | models.Q(ends_at__isnull=True)
                | models.Q(ends_at__gt=models.F("starts_at")),
                name="posts_publishingpause_ends_after_start",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_scope_display()} {self.value}".strip()

    @property
    def is_silence(self) -> bool:
        return self.kind != self.Kind.PAUSE


class ReviewTarget(models.Model):
    """How long a message of a priority may wait for a decision at one desk, set by the
    press office; at the target it is offered to the next desk on duty."""

    priority = models.CharField(_("priority"), max_length=10, choices=Priority.choices, unique=True)
    minutes = models.PositiveSmallIntegerField(_("minutes"))
    changed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    changed_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["priority"]
        verbose_name = _("review target")
        verbose_name_plural = _("review targets")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(minutes__gte=1) & models.Q(minutes__lte=1440),
                name="posts_reviewtarget_minutes_in_a_day",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.priority}: {self.minutes} min"


class ReviewAssignment(models.Model):
    """A message in review offered to one desk, with its review clock: due at the target,
    then passed on to the next desk on duty. One open assignment per message; closed ones
    are the record of review times per desk."""

    class Outcome(models.TextChoices):
        OPEN = "", _("Waiting")
        DECIDED = "decided", _("Decided")
        PASSED = "passed", _("Passed on")
        WITHDRAWN = "withdrawn", _("Left review")

    message = models.ForeignKey(Message, on_delete=models.CASCADE, related_name="assignments")
    desk = models.ForeignKey(Desk, on_delete=models.PROTECT, related_name="assignments", verbose_name=_("desk"))
    offered_at = models.DateTimeField(_("offered"))
    due_at = models.DateTimeField(_("review due"))
    ended_at = models.DateTimeField(_("ended"), null=True, blank=True)
    outcome = models.CharField(_("outcome"), max_length=10, choices=Outcome.choices, blank=True, default="")
    # When the desk's lead was told the target passed (once per assignment).
    lead_told_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["offered_at", "pk"]
        verbose_name = _("review assignment")
        verbose_name_plural = _("review assignments")
        constraints = [
            models.UniqueConstraint(
                fields=["message"], condition=models.Q(ended_at__isnull=True), name="posts_reviewassignment_one_open"
            ),
        ]
        indexes = [models.Index(fields=["ended_at", "due_at"], name="posts_assignment_due_idx")]

    def __str__(self) -> str:
        return f"{self.message_id} @ {self.desk_id}"


class Heartbeat(models.Model):
    """When a part of the publishing engine was last seen alive: the dispatcher, each
    worker, each queue's consumer, the sweeper. Read by the health report."""

    name = models.CharField(max_length=200, unique=True)  # "dispatcher", "worker:<node>", "queue:crisis"
    seen_at = models.DateTimeField()
    details = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return f"{self.name} {self.seen_at:%Y-%m-%d %H:%M:%S}"
