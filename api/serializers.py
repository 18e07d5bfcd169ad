"""What the API shows and takes. Reads are plain fields; writes are checked for shape
here (types, lengths) and for meaning by the services, exactly as for the web UI."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from channels.models import Network, SocialAccount
from conversations.lifecycle import ReplyKind
from conversations.models import Conversation, Item, Reply
from embassies.models import Mission
from posts.models import COMMENT_MAX, TEXT_TITLE_MAX, TITLE_MAX, Delivery, Event, Message, Review
from posts.problems import word

ID_MAX = 2**63 - 1  # a 64-bit key: beyond it, a "no" in words rather than an overflow in the database
VERSION_MAX = 2**31 - 1
TEXT_BODY_MAX = 70_000  # far above every network's limit: the services say the real one
MAX_TARGETS = 5000


class MissionSerializer(serializers.ModelSerializer):
    class Meta:
        model = Mission
        fields = ["id", "code", "kind", "name", "name_fr", "country_code", "city", "time_zone", "region", "languages"]
        fields += ["is_active"]


class AccountSerializer(serializers.ModelSerializer):
    """A social account, never its credentials."""

    class Meta:
        model = SocialAccount
        fields = ["id", "mission", "network", "handle", "display_name", "status", "is_sandbox", "token_expires_at"]


class TextSerializer(serializers.Serializer):
    language = serializers.CharField(max_length=2, min_length=2)
    network = serializers.ChoiceField(choices=Network.choices, required=False, allow_blank=True, default="")
    body = serializers.CharField(max_length=TEXT_BODY_MAX, allow_blank=True, trim_whitespace=False)
    title = serializers.CharField(max_length=TEXT_TITLE_MAX, required=False, allow_blank=True, default="")


class MessageSerializer(serializers.ModelSerializer):
    texts = serializers.SerializerMethodField()
    target_ids = serializers.SerializerMethodField()
    author = serializers.CharField(source="author.get_username", read_only=True)
    approved_by = serializers.SerializerMethodField()

    class Meta:
        model = Message
        fields = [
            "id",
            "mission",
            "priority",
            "title",
            "state",
            "version",
            "texts",
            "target_ids",
            "desired_at",
            "scheduled_at",
            "author",
            "approved_by",
            "approved_at",
            "crisis_scope",
            "created_at",
            "updated_at",
        ]

    @extend_schema_field(TextSerializer(many=True))
    def get_texts(self, message: Message) -> list[dict]:
        return [
            {"language": text.language, "network": text.network, "body": text.body, "title": text.title}
            for text in message.texts.all()
        ]

    def get_target_ids(self, message: Message) -> list[int]:
        return sorted(account.pk for account in message.targets.all())

    def get_approved_by(self, message: Message) -> str | None:
        return message.approved_by.get_username() if message.approved_by_id else None


class MessageCreateSerializer(serializers.Serializer):
    mission = serializers.IntegerField(min_value=1, max_value=ID_MAX)
    title = serializers.CharField(max_length=TITLE_MAX)
    texts = TextSerializer(many=True, max_length=200)
    target_ids = serializers.ListField(
        child=serializers.IntegerField(min_value=1, max_value=ID_MAX), max_length=MAX_TARGETS
    )
    desired_at = serializers.DateTimeField(required=False, allow_null=True, default=None)


class MessageUpdateSerializer(serializers.Serializer):
    version = serializers.IntegerField(
        min_value=1, max_value=VERSION_MAX, help_text=_("The version you read: a stale one gets 409.")
    )
    title = serializers.CharField(max_length=TITLE_MAX, required=False)
    texts = TextSerializer(many=True, max_length=200, required=False)
    target_ids = serializers.ListField(
        child=serializers.IntegerField(min_value=1, max_value=ID_MAX), max_length=MAX_TARGETS, required=False
    )
    desired_at = serializers.DateTimeField(required=False, allow_null=True)


class VersionSerializer(serializers.Serializer):
    version = serializers.IntegerField(min_value=1, max_value=VERSION_MAX, required=False)


class ApproveSerializer(VersionSerializer):
    publish_at = serializers.DateTimeField(required=False, allow_null=True, default=None)
    comment = serializers.CharField(max_length=COMMENT_MAX, required=False, allow_blank=True, default="")


class DecisionSerializer(VersionSerializer):
    comment = serializers.CharField(max_length=COMMENT_MAX)


class EventSerializer(serializers.ModelSerializer):
    actor = serializers.SerializerMethodField()

    class Meta:
        model = Event
        fields = ["id", "verb", "from_state", "to_state", "delivery", "actor", "created_at"]

    def get_actor(self, event: Event) -> str | None:
        return event.actor.get_username() if event.actor_id else None


class ReviewSerializer(serializers.ModelSerializer):
    reviewer = serializers.CharField(source="reviewer.get_username", read_only=True)

    class Meta:
        model = Review
        fields = ["id", "decision", "reviewer", "comment", "message_version", "created_at"]


class DeliverySerializer(serializers.ModelSerializer):
    error = serializers.SerializerMethodField()

    class Meta:
        model = Delivery
        fields = [
            "id",
            "message",
            "account",
            "language",
            "priority",
            "state",
            "attempts",
            "next_attempt_at",
            "last_error_kind",
            "last_error_code",
            "error",
            "external_url",
            "sent_at",
            "retracted_at",
            "created_at",
        ]

    def get_error(self, delivery: Delivery) -> str:
        """The last error in the reader's language (the network's own words as they came)."""
        if delivery.last_error_code:
            return word(delivery.last_error_code, delivery.last_error_params, default=delivery.last_error)
        return delivery.last_error


class SettleSerializer(serializers.Serializer):
    outcome = serializers.ChoiceField(choices=[("sent", "sent"), ("not_sent", "not_sent")])
    external_url = serializers.URLField(max_length=500, required=False, allow_blank=True, default="")


class CrisisScopeSerializer(serializers.Serializer):
    all = serializers.BooleanField(required=False)
    regions = serializers.ListField(child=serializers.CharField(max_length=64), required=False, max_length=20)
    countries = serializers.ListField(child=serializers.CharField(max_length=2), required=False, max_length=300)


class CrisisCreateSerializer(serializers.Serializer):
    title = serializers.CharField(max_length=TITLE_MAX)
    texts = serializers.DictField(
        child=serializers.CharField(max_length=TEXT_BODY_MAX),
        help_text=_("The text per language, keyed by its ISO 639-1 code."),
    )
    scope = CrisisScopeSerializer()
    networks = serializers.ListField(
        child=serializers.ChoiceField(choices=Network.choices), required=False, allow_empty=False
    )

    def validate_texts(self, value: dict) -> dict:
        if len(value) > 50:
            raise serializers.ValidationError(_("At most 50 languages."))
        return value


class ItemSerializer(serializers.ModelSerializer):
    mission = serializers.IntegerField(source="conversation.mission_id", read_only=True)

    class Meta:
        model = Item
        fields = [
            "id",
            "conversation",
            "mission",
            "network",
            "account",
            "kind",
            "author_name",
            "author_handle",
            "text",
            "language",
            "url",
            "created_at_network",
            "edited_at",
            "deleted_at",
            "first_seen_at",
        ]


class ConversationSerializer(serializers.ModelSerializer):
    assignee = serializers.SerializerMethodField()

    class Meta:
        model = Conversation
        fields = [
            "id",
            "mission",
            "account",
            "network",
            "delivery",
            "status",
            "close_reason",
            "category",
            "priority",
            "language",
            "tags",
            "assignee",
            "due_at",
            "warned_at",
            "escalated_at",
            "item_count",
            "last_item_at",
            "created_at",
            "updated_at",
        ]

    def get_assignee(self, conversation: Conversation) -> str | None:
        return conversation.assignee.get_username() if conversation.assignee_id else None


class ReplySerializer(serializers.ModelSerializer):
    author = serializers.CharField(source="author.get_username", read_only=True)
    cleared_by = serializers.SerializerMethodField()
    error = serializers.SerializerMethodField()

    class Meta:
        model = Reply
        fields = [
            "id",
            "conversation",
            "item",
            "mission",
            "account",
            "kind",
            "text",
            "language",
            "level",
            "level_reasons",
            "line",
            "state",
            "author",
            "created_at",
            "cleared_by",
            "cleared_at",
            "clearance_note",
            "queued_at",
            "sent_at",
            "url",
            "error_code",
            "error",
        ]

    def get_cleared_by(self, reply: Reply) -> str | None:
        return reply.cleared_by.get_username() if reply.cleared_by_id else None

    def get_error(self, reply: Reply) -> str:
        """Why it did not go, in the reader's language."""
        if reply.error_code:
            return word(reply.error_code, reply.error_params, default=reply.last_error)
        return reply.last_error


class ReplyCreateSerializer(serializers.Serializer):
    item = serializers.IntegerField(
        min_value=1, max_value=ID_MAX, help_text=_("The item of this conversation the reply answers.")
    )
    text = serializers.CharField(
        max_length=TEXT_BODY_MAX,
        required=False,
        allow_blank=True,
        default="",
        help_text=_("Empty with a line: the line's text, filled in."),
    )
    line = serializers.IntegerField(
        min_value=1, max_value=ID_MAX, required=False, allow_null=True, default=None, help_text=_("A line in force.")
    )
    kind = serializers.ChoiceField(choices=ReplyKind.choices, required=False, default=ReplyKind.PUBLIC)
    individual_case = serializers.BooleanField(required=False, default=False)
    idempotency_key = serializers.CharField(
        min_length=1,
        max_length=64,
        help_text=_("Your key for this reply: the same key again gives the first reply back, unchanged."),
    )


class ReplyClearSerializer(serializers.Serializer):
    note = serializers.CharField(max_length=2000, required=False, allow_blank=True, default="")


class ReplyReturnSerializer(serializers.Serializer):
    note = serializers.CharField(max_length=2000, help_text=_("Why the reply goes back to its writer."))


class MeSerializer(serializers.Serializer):
    username = serializers.CharField()
    roles = serializers.ListField(child=serializers.CharField())
    token = serializers.DictField(allow_null=True)
