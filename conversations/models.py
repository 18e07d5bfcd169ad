"""What the public says to the missions' accounts: the raw events as received, the items,
the conversations they thread into, and where polling resumes per account and stream."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from channels.adapters.listening import ItemKind
from channels.models import Network, SocialAccount
from conversations import lifecycle
from embassies.models import Mission
from posts.models import Delivery

NETWORKS = [value for value, _label in Network.choices]
# The network's thread of a protected conversation is kept after this prefix (issue 15 §7):
# items threatening or exposing a person thread apart from the rest of their thread.
PROTECTED_THREAD = "protected:"


class DeskQuerySet(models.QuerySet):
    """The one place that keeps what threatens or exposes a person (a protected conversation,
    issue 15 §7) out of the desk: every list, count, dashboard, export and API read of
    conversations, items and replies starts from `on_desk()`; the human-rights officer's
    queue from `protected()`. `conversation_path` leads from the model to its conversation."""

    conversation_path = ""

    def on_desk(self):
        return self.filter(**{f"{self.conversation_path}restricted_at__isnull": True})

    def protected(self):
        return self.filter(**{f"{self.conversation_path}restricted_at__isnull": False})


class ConversationQuerySet(DeskQuerySet):
    conversation_path = ""


class ItemQuerySet(DeskQuerySet):
    conversation_path = "conversation__"


class ReplyQuerySet(DeskQuerySet):
    conversation_path = "conversation__"


class RawEvent(models.Model):
    """One item as a network sent it, webhook or poll: a public record, append-only (a
    trigger refuses updates on PostgreSQL). The same content received twice is one row."""

    class Source(models.TextChoices):
        WEBHOOK = "webhook", _("Webhook")
        POLL = "poll", _("Polling")

    network = models.CharField(_("network"), max_length=16, choices=Network.choices)
    source = models.CharField(_("source"), max_length=8, choices=Source.choices)
    account = models.ForeignKey(SocialAccount, on_delete=models.PROTECT, related_name="+", verbose_name=_("account"))
    external_id = models.CharField(_("id on the network"), max_length=100)
    # sha256 of the network, the item's id and its content as received.
    dedup_key = models.CharField(max_length=64, unique=True, editable=False)
    payload = models.JSONField(_("as received"))
    received_at = models.DateTimeField(_("received"), default=timezone.now)

    class Meta:
        ordering = ["pk"]
        verbose_name = _("raw event")
        verbose_name_plural = _("raw events")
        indexes = [models.Index(fields=["network", "external_id"], name="conversations_raw_item_idx")]

    def __str__(self) -> str:
        return f"{self.network}:{self.external_id} ({self.source})"


class WebhookDelivery(models.Model):
    """A pushed delivery whose signature held, kept as received until it is ingested: the
    webhook answers 200 once this row is committed (one INSERT), and the listen worker
    ingests what is pending in batches (conversations.services.webhooks.webhooks_drain),
    then deletes the row. What it said stays in the raw events, the public record.

    `claim` is set by the drain that took the row, until `claimed_until`: a drain that died
    leaves its rows to the next one once the claim lapses."""

    network = models.CharField(_("network"), max_length=16, choices=Network.choices)
    body = models.BinaryField(_("as received"))
    received_at = models.DateTimeField(_("received"), default=timezone.now)
    claim = models.CharField(max_length=32, blank=True)
    claimed_until = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)

    class Meta:
        ordering = ["pk"]
        verbose_name = _("webhook delivery")
        verbose_name_plural = _("webhook deliveries")

    def __str__(self) -> str:
        return f"{self.network} webhook {self.pk}"


class Conversation(models.Model):
    """The items of one thread on one account, linked to our delivery when they answer it."""

    Status = lifecycle.ConversationStatus
    CloseReason = lifecycle.CloseReason

    mission = models.ForeignKey(
        Mission, on_delete=models.PROTECT, related_name="conversations", verbose_name=_("mission")
    )
    account = models.ForeignKey(
        SocialAccount, on_delete=models.PROTECT, related_name="conversations", verbose_name=_("account")
    )
    network = models.CharField(_("network"), max_length=16, choices=Network.choices)
    # The network's thread (200 characters at most), after PROTECTED_THREAD when protected.
    thread_id = models.CharField(_("thread on the network"), max_length=220)
    delivery = models.ForeignKey(
        Delivery,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="conversations",
        verbose_name=_("our post"),
    )
    status = models.CharField(_("status"), max_length=20, choices=Status.choices, default=Status.NEW)
    snoozed_until = models.DateTimeField(_("snoozed until"), null=True, blank=True)
    close_reason = models.CharField(_("reason for no reply"), max_length=20, choices=CloseReason.choices, blank=True)
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="assigned_conversations",
        verbose_name=_("assignee"),
    )
    # Triage (issue 14): set by the rules when an item arrives, changeable by a person.
    category = models.CharField(
        _("category"), max_length=16, choices=lifecycle.Category.choices, default=lifecycle.Category.UNSORTED
    )
    priority = models.PositiveSmallIntegerField(
        _("priority"), choices=lifecycle.Priority.choices, default=lifecycle.Priority.NORMAL
    )
    language = models.CharField(_("language"), max_length=16, blank=True)
    tags = models.JSONField(_("tags"), default=list, blank=True)
    # The service clock: the reply is due by `due_at`; warned at three quarters, escalated
    # to the headquarters desk on breach.
    due_at = models.DateTimeField(_("reply due"), null=True, blank=True)
    # When the three-quarter warning falls due; beat looks for it by index.
    warn_at = models.DateTimeField(_("warning due"), null=True, blank=True, editable=False)
    warned_at = models.DateTimeField(_("warned"), null=True, blank=True)
    escalated_at = models.DateTimeField(_("escalated to headquarters"), null=True, blank=True)
    item_count = models.PositiveIntegerField(_("items"), default=0)
    # The first reply that reached the network, and how long it took in the service clock's
    # time (business hours unless the category's target runs around the clock): stamped
    # once, so that the dialogue's measures are sums over one indexed table.
    first_answered_at = models.DateTimeField(_("first answered"), null=True, blank=True)
    first_answer_seconds = models.PositiveIntegerField(_("time to first answer (s)"), null=True, blank=True)
    last_item_at = models.DateTimeField(_("last item"))
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)
    # People under threat (issue 15 §7): set, the conversation leaves the desk for the
    # human-rights officer's queue; no public reply unless that officer allows one.
    restricted_at = models.DateTimeField(_("protected since"), null=True, blank=True)
    restricted_reason = models.CharField(
        _("why protected"), max_length=20, choices=lifecycle.ProtectedReason.choices, blank=True
    )
    reply_allowed_at = models.DateTimeField(_("public reply allowed"), null=True, blank=True)
    reply_allowed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("public reply allowed by"),
    )

    objects = ConversationQuerySet.as_manager()

    class Meta:
        ordering = ["-last_item_at", "-pk"]
        verbose_name = _("conversation")
        verbose_name_plural = _("conversations")
        constraints = [
            models.UniqueConstraint(fields=["account", "thread_id"], name="conversations_conversation_unique_thread"),
            models.CheckConstraint(
                condition=models.Q(status__in=lifecycle.ConversationStatus.values),
                name="conversations_conversation_status_valid",
            ),
            models.CheckConstraint(
                condition=~models.Q(status="snoozed") | models.Q(snoozed_until__isnull=False),
                name="conversations_conversation_snoozed_has_time",
            ),
            models.CheckConstraint(
                condition=~models.Q(status="closed") | ~models.Q(close_reason=""),
                name="conversations_conversation_closed_has_reason",
            ),
            models.CheckConstraint(
                condition=models.Q(network__in=NETWORKS), name="conversations_conversation_network_valid"
            ),
            models.CheckConstraint(
                condition=models.Q(category__in=lifecycle.Category.values),
                name="conversations_conversation_category_valid",
            ),
        ]
        indexes = [
            models.Index(fields=["mission", "-last_item_at"], name="conversations_mission_idx"),
            models.Index(fields=["mission", "status", "-last_item_at"], name="conversations_inbox_idx"),
            models.Index(fields=["status", "-last_item_at"], name="conversations_hq_inbox_idx"),
            models.Index(fields=["status", "due_at"], name="conversations_due_idx"),
            # The inbox's order: the most urgent first, then the one due soonest (NULLS LAST is
            # PostgreSQL's default for ascending), then the latest.
            models.Index(fields=["priority", "due_at", "-last_item_at", "-id"], name="conversations_triage_idx"),
            # The same order within one mission: an officer's inbox.
            models.Index(
                fields=["mission", "priority", "due_at", "-last_item_at", "-id"],
                name="conversations_mission_due_idx",
            ),
            # "N new since you opened the inbox": a range on updated_at.
            models.Index(fields=["updated_at"], name="conversations_updated_idx"),
            models.Index(fields=["status", "warn_at"], name="conversations_warn_idx"),
            # The human-rights officer's queue: the few protected conversations.
            models.Index(
                fields=["-restricted_at"],
                condition=models.Q(restricted_at__isnull=False),
                name="conversations_protected_idx",
            ),
            # The dialogue's measures: conversations started in a period, everywhere or per
            # mission (the backlog reads conversations_inbox_idx).
            models.Index(fields=["created_at"], name="conversations_started_idx"),
            models.Index(fields=["mission", "created_at"], name="conversations_m_started_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.get_network_display()} {self.thread_id} ({self.get_status_display()})"

    def get_absolute_url(self) -> str:
        return reverse("conversations:detail", args=[self.pk])

    @property
    def clock_runs(self) -> bool:
        """The mission owes an answer, and its service clock counts."""
        return self.status in lifecycle.CONVERSATION_CLOCK_RUNS and self.restricted_at is None

    @property
    def network_thread_id(self) -> str:
        """The thread as the network knows it (a protected conversation's without its prefix)."""
        return self.thread_id.removeprefix(PROTECTED_THREAD)


class Item(models.Model):
    """One thing the public said: unique per network and external id. An edit updates it;
    a deletion on the network marks it (`deleted_at`) and never deletes it here."""

    class Kind(models.TextChoices):
        COMMENT = ItemKind.COMMENT, _("Comment")
        REPLY = ItemKind.REPLY, _("Reply")
        MENTION = ItemKind.MENTION, _("Mention")
        QUOTE = ItemKind.QUOTE, _("Quote")
        VISITOR_POST = ItemKind.VISITOR_POST, _("Visitor post")

    network = models.CharField(_("network"), max_length=16, choices=Network.choices)
    external_id = models.CharField(_("id on the network"), max_length=100)
    account = models.ForeignKey(SocialAccount, on_delete=models.PROTECT, related_name="+", verbose_name=_("account"))
    conversation = models.ForeignKey(
        Conversation, on_delete=models.PROTECT, related_name="items", verbose_name=_("conversation")
    )
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    parent_id = models.CharField(_("answers"), max_length=100, blank=True)
    answers_post_id = models.CharField(_("answers our post"), max_length=100, blank=True)
    author_id = models.CharField(_("author's id"), max_length=100)
    author_name = models.CharField(_("author"), max_length=300, blank=True)
    author_handle = models.CharField(_("author's handle"), max_length=300, blank=True)
    text = models.TextField(_("text"), blank=True)
    language = models.CharField(_("language"), max_length=16, blank=True)
    url = models.CharField(_("link"), max_length=500, blank=True)
    created_at_network = models.DateTimeField(_("written"))
    edited_at = models.DateTimeField(_("edited"), null=True, blank=True)
    # The moment of the content shown (its last edit, else its creation); None while only
    # its deletion is known. An older event never replaces a newer one.
    version_at = models.DateTimeField(null=True, blank=True, editable=False)
    deleted_at = models.DateTimeField(_("deleted on the network"), null=True, blank=True)
    first_seen_at = models.DateTimeField(_("first seen"), default=timezone.now)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)
    raw_event = models.ForeignKey(RawEvent, on_delete=models.PROTECT, related_name="+", null=True, blank=True)
    # Evidence (issue 15 §7): the item as it stood when its conversation was protected; an
    # edit or a deletion on the network later changes `text` or `deleted_at`, never this.
    kept_as = models.JSONField(_("kept as evidence"), null=True, blank=True, editable=False)

    objects = ItemQuerySet.as_manager()

    class Meta:
        ordering = ["created_at_network", "pk"]
        verbose_name = _("item")
        verbose_name_plural = _("items")
        constraints = [
            models.UniqueConstraint(fields=["network", "external_id"], name="conversations_item_unique_network_id"),
            models.CheckConstraint(condition=models.Q(network__in=NETWORKS), name="conversations_item_network_valid"),
            models.CheckConstraint(condition=models.Q(kind__in=ItemKind.ALL), name="conversations_item_kind_valid"),
        ]
        indexes = [
            models.Index(fields=["conversation", "created_at_network"], name="conversations_item_thread_idx"),
            models.Index(fields=["network", "author_id", "-created_at_network"], name="conversations_item_author_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.network}:{self.external_id}"

    @property
    def may_be_hidden(self) -> bool:
        """Whether the network lets the account hide it: Facebook and YouTube any comment; X
        only a reply in a conversation the account started (one of our posts')."""
        if self.network == Network.TWITTER:
            return self.kind == ItemKind.REPLY and bool(self.answers_post_id)
        return self.network in (Network.FACEBOOK, Network.YOUTUBE)

    def as_evidence(self) -> dict[str, Any]:
        """The item as it stands, as plain data: kept with a moderation before the network is
        asked, and by a protected conversation."""
        return {
            "external_id": self.external_id,
            "text": self.text,
            "author_id": self.author_id,
            "author_name": self.author_name,
            "author_handle": self.author_handle,
            "url": self.url,
            "language": self.language,
            "created_at_network": self.created_at_network.isoformat(),
            "edited_at": self.edited_at.isoformat() if self.edited_at else None,
            "raw_event": self.raw_event_id,
            "kept_at": timezone.now().isoformat(),
        }


class ConversationEvent(models.Model):
    """Append-only: what happened to a conversation, who did it, from which status."""

    conversation = models.ForeignKey(Conversation, on_delete=models.CASCADE, related_name="events")
    item = models.ForeignKey(Item, on_delete=models.CASCADE, null=True, blank=True, related_name="+")
    verb = models.CharField(max_length=64)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True)
    from_status = models.CharField(max_length=20, blank=True)
    to_status = models.CharField(max_length=20, blank=True)
    details = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "pk"]
        verbose_name = _("conversation event")
        verbose_name_plural = _("conversation events")

    def __str__(self) -> str:
        return f"{self.verb} #{self.conversation_id}"


class ListenCursor(models.Model):
    """Where polling of one account's stream resumes, when it is next due, and how it failed.

    `claim` is set by the beat that hands the poll to a worker (a conditional UPDATE), until
    `claimed_until`: two beats, or a slow worker, never poll one account twice at once."""

    account = models.ForeignKey(SocialAccount, on_delete=models.CASCADE, related_name="listen_cursors")
    stream = models.CharField(_("stream"), max_length=32, default="all")
    cursor = models.TextField(_("cursor"), blank=True)
    next_poll_at = models.DateTimeField(_("next poll"), default=timezone.now)
    claim = models.CharField(max_length=32, blank=True)
    claimed_until = models.DateTimeField(null=True, blank=True)
    failures = models.PositiveIntegerField(_("failures in a row"), default=0)
    last_error = models.CharField(_("last error"), max_length=500, blank=True)
    last_polled_at = models.DateTimeField(_("last poll"), null=True, blank=True)
    last_success_at = models.DateTimeField(_("last successful poll"), null=True, blank=True)

    class Meta:
        ordering = ["next_poll_at", "pk"]
        verbose_name = _("listening cursor")
        verbose_name_plural = _("listening cursors")
        constraints = [
            models.UniqueConstraint(fields=["account", "stream"], name="conversations_listencursor_unique_stream"),
        ]
        indexes = [models.Index(fields=["next_poll_at"], name="conversations_cursor_due_idx")]

    def __str__(self) -> str:
        return f"{self.account_id}/{self.stream}"


class AnswerLine(models.Model):
    """A line to take: one text of one topic in one language, with its own version.

    Headquarters (the press office; the crisis unit for crisis lines) approves lines;
    missions propose them for their languages. A change is a new version, the one before it
    superseded; replies cite the version they used, so an expired or withdrawn line shows
    wherever it was used. Placeholders ({mission}, {city}, {author}) are filled as plain text."""

    State = lifecycle.LineState

    topic = models.SlugField(_("topic"), max_length=80)
    title = models.CharField(_("title"), max_length=200)
    category = models.CharField(_("category"), max_length=16, choices=lifecycle.Category.choices)
    language = models.CharField(_("language"), max_length=16)
    version = models.PositiveIntegerField(_("version"), default=1)
    text = models.TextField(_("text"), max_length=10_000)
    state = models.CharField(_("state"), max_length=12, choices=State.choices, default=State.PROPOSED)
    # A crisis unit's line: level 0 for everyone while an alert covers the mission.
    crisis = models.BooleanField(_("crisis line"), default=False)
    mission = models.ForeignKey(
        Mission,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("proposed by the mission"),
    )
    valid_from = models.DateTimeField(_("valid from"), default=timezone.now)
    valid_until = models.DateTimeField(_("valid until"), null=True, blank=True)
    written_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("written by")
    )
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("approved by"),
    )
    approved_at = models.DateTimeField(_("approved"), null=True, blank=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now)

    class Meta:
        ordering = ["topic", "language", "-version"]
        verbose_name = _("line to take")
        verbose_name_plural = _("lines to take")
        constraints = [
            models.UniqueConstraint(
                fields=["topic", "language", "version"], name="conversations_answerline_unique_version"
            ),
            models.CheckConstraint(
                condition=models.Q(state__in=lifecycle.LineState.values), name="conversations_answerline_state_valid"
            ),
        ]
        indexes = [models.Index(fields=["category", "language", "state"], name="conversations_line_pick_idx")]

    def __str__(self) -> str:
        return f"{self.topic} ({self.language}) v{self.version}"

    def in_force(self, now=None) -> bool:
        """Approved, and within its validity now."""
        now = now or timezone.now()
        return (
            self.state == lifecycle.LineState.APPROVED
            and self.valid_from <= now
            and (self.valid_until is None or now < self.valid_until)
        )


class Reply(models.Model):
    """What a mission answers, on the conversation's account, through the same discipline as
    a delivery: claimed (`queued` -> `sending`, a conditional UPDATE committed before the
    network call), at most once; an outcome lost on the way is `unknown`, settled by looking
    for it on the network before anything is sent again."""

    State = lifecycle.ReplyState
    Kind = lifecycle.ReplyKind
    Level = lifecycle.Clearance

    conversation = models.ForeignKey(
        Conversation, on_delete=models.PROTECT, related_name="replies", verbose_name=_("conversation")
    )
    item = models.ForeignKey(Item, on_delete=models.PROTECT, related_name="replies", verbose_name=_("answers"))
    # The conversation's, kept here so that the policy reads a reply as it reads a message.
    mission = models.ForeignKey(Mission, on_delete=models.PROTECT, related_name="+", verbose_name=_("mission"))
    account = models.ForeignKey(SocialAccount, on_delete=models.PROTECT, related_name="+", verbose_name=_("account"))
    kind = models.CharField(_("kind"), max_length=8, choices=Kind.choices, default=Kind.PUBLIC)
    text = models.TextField(_("text"))
    language = models.CharField(_("language"), max_length=16, blank=True)
    level = models.PositiveSmallIntegerField(_("clearance"), choices=Level.choices)
    # Why the level is what it is (codes worded in conversations.clearance).
    level_reasons = models.JSONField(default=list, blank=True)
    line = models.ForeignKey(
        AnswerLine, on_delete=models.PROTECT, null=True, blank=True, related_name="replies", verbose_name=_("line")
    )
    # The share of the line's text changed (edit distance over its length); None for free text.
    edit_ratio = models.FloatField(_("edited"), null=True, blank=True)
    # Drafted by machine translation (level 1 at least): by which provider, and what the
    # officer wrote before, in which language, so that the clearer can compare.
    machine_translated = models.BooleanField(_("machine-translated"), default=False)
    translation_provider = models.CharField(_("translated by"), max_length=100, blank=True)
    drafted_text = models.TextField(_("draft before translation"), blank=True)
    drafted_language = models.CharField(_("language of the draft"), max_length=16, blank=True)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("written by")
    )
    state = models.CharField(_("state"), max_length=20, choices=State.choices)
    # One per form shown: a form sent twice makes one reply.
    idempotency_key = models.CharField(max_length=64, unique=True, editable=False)
    created_at = models.DateTimeField(_("written"), default=timezone.now)
    cleared_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("cleared by"),
    )
    cleared_at = models.DateTimeField(_("cleared"), null=True, blank=True)
    clearance_note = models.CharField(_("clearer's note"), max_length=2000, blank=True)
    queued_at = models.DateTimeField(_("queued"), null=True, blank=True)
    sent_at = models.DateTimeField(_("sent"), null=True, blank=True)
    state_changed_at = models.DateTimeField(default=timezone.now)
    attempts = models.PositiveIntegerField(default=0)
    first_attempt_at = models.DateTimeField(null=True, blank=True)
    # Due again (a retry, or the next look for an unknown outcome); None: not due by time.
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    # Last handed to the broker: the sweeper hands a queued reply over again only when this
    # is old (its message was lost).
    enqueued_at = models.DateTimeField(null=True, blank=True)
    reconcile_rounds = models.PositiveIntegerField(default=0)
    external_id = models.CharField(_("id on the network"), max_length=200, blank=True)
    url = models.CharField(_("link"), max_length=500, blank=True)
    error_code = models.CharField(max_length=64, blank=True)
    error_params = models.JSONField(default=dict, blank=True)
    last_error = models.CharField(_("last error"), max_length=500, blank=True)

    objects = ReplyQuerySet.as_manager()

    class Meta:
        ordering = ["created_at", "pk"]
        verbose_name = _("reply")
        verbose_name_plural = _("replies")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(state__in=lifecycle.ReplyState.values), name="conversations_reply_state_valid"
            ),
            models.CheckConstraint(
                condition=models.Q(kind__in=lifecycle.ReplyKind.values), name="conversations_reply_kind_valid"
            ),
            # Facebook takes one private reply per comment: one may be on its way at a time,
            # and none after one that reached (or may have reached) the network.
            models.UniqueConstraint(
                fields=["item"],
                condition=models.Q(
                    kind="private", state__in=["awaiting_clearance", "queued", "sending", "sent", "unknown"]
                ),
                name="conversations_reply_one_private_per_item",
            ),
        ]
        indexes = [
            models.Index(fields=["state", "next_attempt_at"], name="conversations_reply_due_idx"),
            models.Index(fields=["mission", "state"], name="conversations_reply_queue_idx"),
            models.Index(fields=["account", "first_attempt_at"], name="conversations_reply_budget_idx"),
            # The dialogue's answers sent in a period, everywhere or per mission.
            models.Index(fields=["sent_at"], name="conversations_reply_sent_idx"),
            models.Index(fields=["mission", "sent_at"], name="conversations_reply_m_sent_idx"),
        ]

    def __str__(self) -> str:
        return f"Reply #{self.pk} to {self.item_id} ({self.state})"

    @property
    def category(self) -> str:
        """The conversation's category (the policy reads a crisis reply by it)."""
        return self.conversation.category

    @property
    def restricted_at(self):
        """When the conversation was protected (the policy reads a protected reply by it)."""
        return self.conversation.restricted_at

    @property
    def awaited_seconds(self) -> float | None:
        """Time spent awaiting clearance, apart from the writer's time."""
        if self.level == lifecycle.Clearance.NONE or self.cleared_at is None:
            return None
        return (self.cleared_at - self.created_at).total_seconds()


class ModerationAction(models.Model):
    """One moderation of one item, with its reason from the house rules; the item as it
    stood is kept here before the network is asked.

    Hiding and showing again are done at once by whoever handles the conversation. Removing
    for good (YouTube reject, Facebook delete) is proposed by one person and carried out
    only when a second confirms (four eyes). A rule may propose hiding spam or a scam
    (`rule`, no actor): a person confirms or dismisses it; nothing is hidden without one."""

    class Action(models.TextChoices):
        HIDE = "hide", _("Hidden")
        SHOW = "show", _("Shown again")
        REJECT = "reject", _("Rejected for good")
        DELETE = "delete", _("Deleted for good")

    item = models.ForeignKey(Item, on_delete=models.PROTECT, related_name="moderation", verbose_name=_("item"))
    mission = models.ForeignKey(Mission, on_delete=models.PROTECT, related_name="+", verbose_name=_("mission"))
    action = models.CharField(_("action"), max_length=8, choices=Action.choices)
    reason = models.CharField(_("reason"), max_length=16, choices=lifecycle.HideReason.choices, blank=True)
    note = models.CharField(_("note"), max_length=2000, blank=True)
    # Who acted, or proposed; None when a triage rule proposed it (`rule`).
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", null=True)
    rule = models.CharField(_("proposed by the rule"), max_length=200, blank=True)
    evidence = models.JSONField(_("the item as it stood"), default=dict)
    created_at = models.DateTimeField(default=timezone.now)
    confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )
    confirmed_at = models.DateTimeField(null=True, blank=True)
    # Asked of the network by a worker (conversations.moderate_item): hiding is idempotent
    # there, and removing an item already gone is what was asked, so a lost or repeated ask
    # is simply asked again.
    state = models.CharField(max_length=12, choices=lifecycle.ModerationState.choices, default="pending")
    done_at = models.DateTimeField(null=True, blank=True)
    error_code = models.CharField(max_length=64, blank=True)
    last_error = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ["created_at", "pk"]
        verbose_name = _("moderation action")
        verbose_name_plural = _("moderation actions")
        constraints = [
            # One open proposal per item: a second would be confirmed twice.
            models.UniqueConstraint(
                fields=["item"],
                condition=models.Q(state="proposed"),
                name="conversations_moderationaction_one_proposal",
            ),
            models.CheckConstraint(
                condition=models.Q(actor__isnull=False) | ~models.Q(rule=""),
                name="conversations_moderationaction_someone_or_a_rule",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.action} {self.item_id}"

    @property
    def removes(self) -> bool:
        """Whether it takes the item down for good (four eyes, cannot be undone)."""
        return self.action in (self.Action.REJECT, self.Action.DELETE)


class Note(models.Model):
    """What the desk writes to itself about a conversation: never sent, never shown to the
    public. Append-only, like the events."""

    conversation = models.ForeignKey(
        Conversation, on_delete=models.CASCADE, related_name="notes", verbose_name=_("conversation")
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("author")
    )
    body = models.TextField(_("note"))
    created_at = models.DateTimeField(_("written"), default=timezone.now)

    class Meta:
        ordering = ["created_at", "pk"]
        verbose_name = _("internal note")
        verbose_name_plural = _("internal notes")
        indexes = [models.Index(fields=["conversation", "created_at"], name="conversations_note_idx")]

    def __str__(self) -> str:
        return f"note #{self.pk} on #{self.conversation_id}"


class Viewer(models.Model):
    """Who has the conversation page open: one row per person and conversation, its time
    moved by the page's heartbeat; a row older than a few heartbeats means gone."""

    conversation = models.ForeignKey(Conversation, on_delete=models.CASCADE, related_name="+")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    seen_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["conversation", "user"], name="conversations_viewer_unique"),
        ]
        indexes = [models.Index(fields=["conversation", "seen_at"], name="conversations_viewer_idx")]

    def __str__(self) -> str:
        return f"{self.user_id} on #{self.conversation_id}"


class SavedView(models.Model):
    """An inbox's filters, named by the user to come back to (their own, nobody else's).
    The filters are kept as the form's raw values and checked again each time they are
    used: a mission the user no longer belongs to is then refused, not shown."""

    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="inbox_views", verbose_name=_("owner")
    )
    name = models.CharField(_("name"), max_length=80)
    filters = models.JSONField(_("filters"), default=dict)
    created_at = models.DateTimeField(_("created"), default=timezone.now)

    class Meta:
        ordering = ["name", "pk"]
        verbose_name = _("saved inbox view")
        verbose_name_plural = _("saved inbox views")
        constraints = [
            models.UniqueConstraint(fields=["owner", "name"], name="conversations_savedview_unique_name"),
        ]

    def __str__(self) -> str:
        return self.name


# --- Triage: the rules the press office edits, and the service targets ----------------------


class KeywordPack(models.Model):
    """Words that say what a text is about, in one language: a match sets the conversation's
    category, priority and tags. The press office's packs (no mission) apply everywhere; a
    mission's officers add packs that apply to their mission only. Packs are tried in order
    (`position`); the most urgent match wins, the first in order among equals, and every
    match adds its tags."""

    name = models.CharField(_("name"), max_length=100)
    language = models.CharField(
        _("language"), max_length=16, blank=True, help_text=_("ISO 639-1 code; empty: texts in any language.")
    )
    category = models.CharField(_("category"), max_length=16, choices=lifecycle.Category.choices)
    priority = models.PositiveSmallIntegerField(_("priority"), choices=lifecycle.Priority.choices)
    tags = models.JSONField(_("tags"), default=list, blank=True)
    terms = models.TextField(
        _("words and phrases"),
        help_text=_(
            "One per line, without regard to case or accents. A whole word or phrase; end it "
            "with * for the start of a word (“arrest*” finds “arrested”). In Arabic, Chinese, "
            "Japanese and other languages without spaces or with attached particles, anywhere."
        ),
    )
    mission = models.ForeignKey(
        Mission,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="keyword_packs",
        verbose_name=_("mission"),
        help_text=_("Empty: the press office's pack, for every mission."),
    )
    position = models.PositiveIntegerField(_("order"), default=100)
    is_active = models.BooleanField(_("in use"), default=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        ordering = ["position", "pk"]
        verbose_name = _("keyword pack")
        verbose_name_plural = _("keyword packs")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(category__in=lifecycle.Category.values) & ~models.Q(category="unsorted"),
                name="conversations_keywordpack_category_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.language or '*'})"

    def term_list(self) -> list[str]:
        return [line.strip() for line in self.terms.splitlines() if line.strip()]


class KnownAuthor(models.Model):
    """A journalist or an official, known by network and handle or id: what they write is
    press or policy, and high priority, whatever the words."""

    class Kind(models.TextChoices):
        JOURNALIST = "journalist", _("Journalist")
        OFFICIAL = "official", _("Official")

    network = models.CharField(_("network"), max_length=16, choices=Network.choices)
    # A handle without its @, or the network's id for the person; compared case-insensitively.
    key = models.CharField(_("handle or id"), max_length=300)
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    name = models.CharField(_("name"), max_length=200, blank=True)
    note = models.CharField(_("note"), max_length=300, blank=True)
    mission = models.ForeignKey(
        Mission,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="known_authors",
        verbose_name=_("mission"),
        help_text=_("Empty: known to every mission."),
    )
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        ordering = ["network", "key", "pk"]
        verbose_name = _("known author")
        verbose_name_plural = _("known authors")
        constraints = [
            models.UniqueConstraint(
                fields=["network", "key", "mission"],
                name="conversations_knownauthor_unique",
            ),
            models.CheckConstraint(
                condition=models.Q(network__in=NETWORKS), name="conversations_knownauthor_network_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.network}:{self.key} ({self.kind})"

    @staticmethod
    def normal_key(key: str) -> str:
        return key.strip().lstrip("@").casefold()

    @staticmethod
    def kind_in(
        authors: Mapping[tuple[str, str], Iterable[tuple[int | None, str]]],
        *,
        network: str,
        mission_id: int,
        keys: Iterable[str],
    ) -> str | None:
        """The kind of the first listed author among `keys` (handle, id) in `authors`, keyed by
        network and normal key: the one rule triage and a reply's clearance both apply (a
        list entry without a mission holds for every mission)."""
        for key in keys:
            if not key:
                continue
            for list_mission_id, kind in authors.get((network, KnownAuthor.normal_key(key)), ()):
                if list_mission_id in (None, mission_id):
                    return kind
        return None


class ProtectedPerson(models.Model):
    """A person under protection (issue 15 §7), kept by the human-rights officers: an item
    that names them (a name or a handle, as a whole word, without regard to case or
    accents) goes to the protected queue, whatever triage's packs say."""

    name = models.CharField(
        _("name or handle"), max_length=200, help_text=_("As it would be written: “Jane Doe” or “@janedoe”.")
    )
    note = models.CharField(_("note"), max_length=300, blank=True)
    added_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(_("added"), default=timezone.now)

    class Meta:
        ordering = ["name", "pk"]
        verbose_name = _("protected person")
        verbose_name_plural = _("protected people")

    def __str__(self) -> str:
        return self.name


class ServiceTarget(models.Model):
    """How soon a conversation of a category is answered, set by the press office: counted
    in the mission's business hours, or around the clock (`always_on`: distress, crisis).
    No minutes: no clock (praise)."""

    category = models.CharField(_("category"), max_length=16, choices=lifecycle.Category.choices, unique=True)
    minutes = models.PositiveIntegerField(_("reply within (minutes)"), null=True, blank=True)
    always_on = models.BooleanField(_("around the clock"), default=False)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        ordering = ["category"]
        verbose_name = _("service target")
        verbose_name_plural = _("service targets")

    def __str__(self) -> str:
        return f"{self.category}: {self.minutes}"
