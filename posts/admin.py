"""The admin shows messages, deliveries, the audit trail and pauses: read-only.

Every change goes through the services (which ask the policy, check the transition and
record an event), so the admin's only writes are two actions that call them: approve now
(`message_approve`, so four eyes hold here too) and cancel (`message_cancel`).
Permissions come from the policy module, like every other entry point.
"""

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from diplomacy_hub import policy
from embassies.admin import PolicyAdminMixin
from posts.models import (
    Attachment,
    Delivery,
    Event,
    InvalidTransition,
    Message,
    MessageText,
    PublishingPause,
    Review,
)
from posts.services.review import message_approve, message_cancel


class ReadOnlyPolicyAdminMixin(PolicyAdminMixin):
    """Seen by whoever the policy lets see it; added, changed or deleted by nobody here."""

    manage_action = "audit.view"
    view_actions: tuple[str, ...] = ("audit.view",)

    def has_module_permission(self, request) -> bool:
        return any(policy.can(request.user, action) for action in self.view_actions)

    def has_view_permission(self, request, obj=None) -> bool:
        return self.has_module_permission(request)

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


class ReadOnlyInline(admin.TabularInline):
    extra = 0
    can_delete = False
    show_change_link = False

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


class MessageTextInline(ReadOnlyInline):
    model = MessageText
    fields = readonly_fields = ["language", "network", "title", "body"]


class AttachmentInline(ReadOnlyInline):
    model = Attachment
    fields = readonly_fields = ["position", "original_name", "kind", "mime_type", "size", "alt_text", "sha256"]


class ReviewInline(ReadOnlyInline):
    model = Review
    fields = readonly_fields = ["created_at", "reviewer", "decision", "comment", "message_version"]


class DeliveryInline(ReadOnlyInline):
    model = Delivery
    fields = readonly_fields = [
        "account",
        "language",
        "state",
        "attempts",
        "next_attempt_at",
        "last_error_kind",
        "last_error",
        "external_url",
        "sent_at",
    ]


@admin.register(Message)
class MessageAdmin(ReadOnlyPolicyAdminMixin, admin.ModelAdmin):
    view_actions = ("audit.view", "message.review_queue")
    list_display = ["title", "mission", "priority", "state", "author", "scheduled_at", "approved_by", "created_at"]
    list_filter = ["state", "priority", "mission__region"]
    search_fields = ["title", "mission__name", "mission__code", "author__username"]
    list_select_related = ["mission", "author", "approved_by"]
    date_hierarchy = "created_at"
    readonly_fields = [
        "mission",
        "author",
        "title",
        "state",
        "priority",
        "desired_at",
        "scheduled_at",
        "crisis_scope",
        "version",
        "approved_by",
        "approved_at",
        "approved_fingerprint",
        "created_at",
        "updated_at",
    ]
    fields = readonly_fields
    inlines = [MessageTextInline, AttachmentInline, ReviewInline, DeliveryInline]
    actions = ["approve_now", "cancel_messages"]
    list_per_page = 100

    def get_queryset(self, request):
        return policy.scope(request.user, super().get_queryset(request), mission_field="mission")

    def _each(self, request, queryset, service, done) -> None:
        """Calls `service` for each message; `done(count)` words the success."""
        succeeded = 0
        for message in queryset:
            try:
                service(actor=request.user, message_id=message.pk)
            except (PermissionDenied, InvalidTransition, ValidationError) as exc:
                text = "; ".join(exc.messages) if isinstance(exc, ValidationError) else str(exc)
                self.message_user(request, f"“{message.title}”: {text}", messages.ERROR)
            else:
                succeeded += 1
        if succeeded:
            self.message_user(request, done(succeeded) % {"count": succeeded}, messages.SUCCESS)

    @admin.action(description=_("Approve and publish now (never your own message)"))
    def approve_now(self, request, queryset) -> None:
        self._each(
            request,
            queryset,
            lambda **kwargs: message_approve(publish_at=None, **kwargs),
            lambda count: ngettext(
                "%(count)s message approved for publishing now.",
                "%(count)s messages approved for publishing now.",
                count,
            ),
        )

    @admin.action(description=_("Cancel (what has not gone out yet)"))
    def cancel_messages(self, request, queryset) -> None:
        self._each(
            request,
            queryset,
            # Stored as words, like a reason a person types: in the language they work in.
            lambda **kwargs: message_cancel(reason=str(_("Cancelled from the admin.")), **kwargs),
            lambda count: ngettext("%(count)s message cancelled.", "%(count)s messages cancelled.", count),
        )


@admin.register(Delivery)
class DeliveryAdmin(ReadOnlyPolicyAdminMixin, admin.ModelAdmin):
    view_actions = ("audit.view", "message.review_queue")
    list_display = [
        "pk",
        "message",
        "account",
        "language",
        "priority",
        "state",
        "attempts",
        "next_attempt_at",
        "last_error_kind",
        "sent_at",
    ]
    list_filter = ["state", "priority", "last_error_kind", "account__network"]
    search_fields = ["reference", "external_id", "message__title", "account__handle"]
    list_select_related = ["message", "account__mission"]
    readonly_fields = [
        "message",
        "account",
        "language",
        "priority",
        "state",
        "reference",
        "attempts",
        "next_attempt_at",
        "state_changed_at",
        "last_error",
        "last_error_kind",
        "external_id",
        "external_post_id",
        "external_url",
        "sent_at",
        "retracted_at",
        "created_at",
    ]
    fields = readonly_fields
    list_per_page = 100

    def get_queryset(self, request):
        return policy.scope(request.user, super().get_queryset(request), mission_field="message__mission")


@admin.register(Event)
class EventAdmin(ReadOnlyPolicyAdminMixin, admin.ModelAdmin):
    """The audit trail: append-only, so nobody adds, changes or deletes here, not even a
    superuser."""

    list_display = ["created_at", "verb", "actor", "message", "delivery", "from_state", "to_state"]
    list_filter = ["verb"]
    search_fields = ["verb", "actor__username", "message__title"]
    list_select_related = ["actor", "message", "delivery"]
    date_hierarchy = "created_at"
    readonly_fields = ["created_at", "verb", "actor", "message", "delivery", "from_state", "to_state", "details"]
    fields = readonly_fields
    list_per_page = 200

    def get_actions(self, request):
        return {}  # not even "delete selected"


@admin.register(PublishingPause)
class PublishingPauseAdmin(ReadOnlyPolicyAdminMixin, admin.ModelAdmin):
    """Pauses are started and ended from the press office's page (which records events and
    lists what fell due); here they are only seen."""

    view_actions = ("audit.view", "publishing.pause")
    list_display = ["scope", "value", "reason", "started_by", "started_at", "ended_by", "ended_at"]
    list_filter = ["scope", "ended_at"]
    list_select_related = ["started_by", "ended_by"]
    readonly_fields = ["scope", "value", "reason", "started_by", "started_at", "ended_by", "ended_at"]
    fields = readonly_fields
