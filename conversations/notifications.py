"""Emails about the desk: the mission's desk is warned at three quarters of a service clock's
target; the press office (the headquarters desk) is told when a conversation is offered to
it; the human-rights officers when conversations reach their queue. Queued in the caller's
transaction, sent after it commits (diplomacy_hub.mail)."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.utils.translation import gettext as _

from conversations.lifecycle import ProtectedReason
from conversations.models import Conversation
from diplomacy_hub.mail import absolute_url, mail_queue, users_in_groups
from embassies.models import Mission
from embassies.roles import Role
from security.selectors import mail_recipients


def tell_mission_desk(conversation: Conversation) -> int:
    """Its assignee, or else the mission's officers."""
    if conversation.assignee is not None:
        recipients = [conversation.assignee]
    else:
        recipients = list(
            get_user_model()
            .objects.filter(groups__name=Role.OFFICER, memberships__mission_id=conversation.mission_id, is_active=True)
            .exclude(email="")
            .distinct()
            .order_by("pk")
        )
    return _tell(conversation, recipients=recipients, escalated=False)


def tell_headquarters(conversation: Conversation) -> int:
    return _tell(conversation, recipients=users_in_groups(Role.PRESS_OFFICE), escalated=True)


def _tell(conversation: Conversation, *, recipients: list, escalated: bool) -> int:
    """Worded in each recipient's language (the subject and context are built per language)."""
    mission = conversation.mission

    def subject() -> str:
        words = {"mission": mission.display_name}
        if escalated:
            return _("Offered to headquarters: a conversation with %(mission)s") % words
        return _("Answer soon: a conversation with %(mission)s") % words

    def context() -> dict:
        return {
            "escalated": escalated,
            "mission_name": mission.display_name,
            "network": conversation.get_network_display(),
            "category": conversation.get_category_display(),
            "due": conversation.due_at.strftime("%Y-%m-%d %H:%M") if conversation.due_at else "—",
            "link": absolute_url(conversation.get_absolute_url()),
        }

    return mail_queue(
        subject=subject, template="conversation_clock.txt", context=context, recipients=mail_recipients(recipients)
    )


def tell_human_rights_officers(conversations: list[Conversation]) -> int:
    """One mail per officer for a batch of conversations that have just left the desk for
    the protected queue (nobody else sees them, so somebody must be told at once). What the
    public wrote is never in it: only where, why and the link."""
    if not conversations:
        return 0
    missions = Mission.objects.in_bulk({conversation.mission_id for conversation in conversations})

    def subject() -> str:
        return _("To your queue: %(count)d conversation(s) that protect a person") % {"count": len(conversations)}

    def context() -> dict:
        return {
            "conversations": [
                {
                    "mission_name": missions[conversation.mission_id].display_name,
                    "network": conversation.get_network_display(),
                    "reason": ProtectedReason(conversation.restricted_reason).label
                    if conversation.restricted_reason in ProtectedReason.values
                    else conversation.restricted_reason,
                    "link": absolute_url(conversation.get_absolute_url()),
                }
                for conversation in conversations
            ]
        }

    recipients = users_in_groups(Role.HUMAN_RIGHTS_OFFICER)
    return mail_queue(
        subject=subject, template="conversation_protected.txt", context=context, recipients=mail_recipients(recipients)
    )
