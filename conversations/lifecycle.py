"""The conversation desk's life cycle in one place: a conversation's statuses, which may
follow which, and every event name with its label (as posts.lifecycle does for messages)."""

from __future__ import annotations

from collections.abc import Mapping

from django.db import models
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _


class ConversationStatus(models.TextChoices):
    NEW = "new", _("New")
    OPEN = "open", _("Open")
    AWAITING_CLEARANCE = "awaiting_clearance", _("Awaiting clearance")
    WAITING_FOR_AUTHOR = "waiting_for_author", _("Waiting for the author")
    SNOOZED = "snoozed", _("Snoozed")
    RESOLVED = "resolved", _("Resolved")
    CLOSED = "closed", _("Closed without reply")


C = ConversationStatus

# Which status may follow which; part 2 (replies and clearance) moves them.
CONVERSATION_TRANSITIONS: Mapping[str, frozenset[str]] = {
    C.NEW: frozenset({C.OPEN, C.AWAITING_CLEARANCE, C.WAITING_FOR_AUTHOR, C.SNOOZED, C.RESOLVED, C.CLOSED}),
    C.OPEN: frozenset({C.AWAITING_CLEARANCE, C.WAITING_FOR_AUTHOR, C.SNOOZED, C.RESOLVED, C.CLOSED}),
    C.AWAITING_CLEARANCE: frozenset({C.OPEN, C.WAITING_FOR_AUTHOR, C.RESOLVED, C.CLOSED}),
    C.WAITING_FOR_AUTHOR: frozenset({C.OPEN, C.SNOOZED, C.RESOLVED, C.CLOSED}),
    C.SNOOZED: frozenset({C.OPEN, C.RESOLVED, C.CLOSED}),
    C.RESOLVED: frozenset({C.OPEN}),
    C.CLOSED: frozenset({C.OPEN}),
}
# Someone has yet to act on it: the inbox's default view.
CONVERSATION_ACTIVE = frozenset({C.NEW, C.OPEN, C.AWAITING_CLEARANCE, C.WAITING_FOR_AUTHOR})
# A new item from the public brings it back to the desk.
CONVERSATION_REOPENED_BY_NEW_ITEM = frozenset({C.RESOLVED, C.WAITING_FOR_AUTHOR, C.SNOOZED})
# The service clock runs: the mission owes an answer (waiting for the author and snoozed
# pause it; clearance does not, the public waits all the same).
CONVERSATION_CLOCK_RUNS = frozenset({C.NEW, C.OPEN, C.AWAITING_CLEARANCE})
# Set by a person on the conversation page; the others belong to replies and clearance (part 2).
CONVERSATION_SET_BY_HAND = frozenset({C.OPEN, C.WAITING_FOR_AUTHOR, C.SNOOZED, C.RESOLVED, C.CLOSED})


# The inbox's "due" filter: how near a reply's due time counts as "due soon".
DUE_SOON_MINUTES = 60


class CloseReason(models.TextChoices):
    NO_REPLY_NEEDED = "no_reply_needed", _("No reply needed")
    SPAM = "spam", _("Spam or scam")
    HOUSE_RULES = "house_rules", _("Breaks the house rules")
    ANSWERED_ELSEWHERE = "answered_elsewhere", _("Answered elsewhere")
    OUT_OF_SCOPE = "out_of_scope", _("Not for this mission")


class Category(models.TextChoices):
    """What a conversation is about; triage sets it, a person may change it."""

    UNSORTED = "unsorted", _("Not yet sorted")
    CONSULAR = "consular", _("Consular, routine")
    DISTRESS = "distress", _("Consular, distress")
    PRESS = "press", _("Press")
    POLICY = "policy", _("Policy")
    CRISIS = "crisis", _("Crisis")
    HOSTILE = "hostile", _("Hostile")
    SPAM = "spam", _("Spam or scam")
    THREAT = "threat", _("Threat to a person")
    PRAISE = "praise", _("Praise")


class ProtectedReason(models.TextChoices):
    """Why a conversation left the desk for the human-rights officer's queue."""

    THREAT = "threat", _("Triage: a threat to a person")
    PROTECTED_PERSON = "protected_person", _("Names a person under protection")
    BY_HAND = "by_hand", _("Set as a threat to a person by hand")


class Priority(models.IntegerChoices):
    """Lower is more urgent, so the inbox sorts by it ascending."""

    URGENT = 1, _("Urgent")
    HIGH = 2, _("High")
    NORMAL = 3, _("Normal")
    LOW = 4, _("Low")


# --- Replies (issue 15) --------------------------------------------------------------------------


class ReplyState(models.TextChoices):
    """A reply's way out, as a delivery's: claimed (`queued` -> `sending`) before the network
    call, so it goes out at most once; an outcome lost on the way is `unknown` and settled by
    looking for it on the network before anything is sent again."""

    AWAITING_CLEARANCE = "awaiting_clearance", _("Awaiting clearance")
    QUEUED = "queued", _("Queued")
    SENDING = "sending", _("Sending")
    SENT = "sent", _("Sent")
    UNKNOWN = "unknown", _("Outcome unknown")
    FAILED = "failed", _("Failed")
    RETURNED = "returned", _("Returned by the clearer")


R = ReplyState

REPLY_TRANSITIONS: Mapping[str, frozenset[str]] = {
    R.AWAITING_CLEARANCE: frozenset({R.QUEUED, R.RETURNED}),
    R.QUEUED: frozenset({R.SENDING, R.FAILED}),
    R.SENDING: frozenset({R.SENT, R.QUEUED, R.UNKNOWN, R.FAILED}),
    R.UNKNOWN: frozenset({R.SENT, R.QUEUED, R.FAILED}),
    R.SENT: frozenset(),
    R.FAILED: frozenset(),
    R.RETURNED: frozenset(),
}
# Still on its way out: a second reply to the same item meanwhile is a conflict.
REPLY_PENDING = frozenset({R.AWAITING_CLEARANCE, R.QUEUED, R.SENDING, R.UNKNOWN})
# Its call may have reached the network: an outcome found later may still end it sent.
REPLY_IN_FLIGHT = frozenset({R.SENDING, R.UNKNOWN})
# Not yet final: a worker, the sweeper or a reconciliation will move it on.
REPLY_ON_ITS_WAY = REPLY_IN_FLIGHT | {R.QUEUED}


class ReplyKind(models.TextChoices):
    PUBLIC = "public", _("Public reply")
    PRIVATE = "private", _("Private reply (Facebook Messenger)")


class Clearance(models.IntegerChoices):
    """Who must clear a reply before it goes (the rule is diplomacy_hub.policy's)."""

    NONE = 0, _("Level 0: a line from the library, sent by the officer alone")
    FOUR_EYES = 1, _("Level 1: four eyes")
    PRESS_OFFICE = 2, _("Level 2: the press office")


class LineState(models.TextChoices):
    PROPOSED = "proposed", _("Proposed by a mission")
    APPROVED = "approved", _("Approved")
    SUPERSEDED = "superseded", _("Replaced by a newer version")
    WITHDRAWN = "withdrawn", _("Withdrawn")


class HideReason(models.TextChoices):
    """The published house rules' reasons; disagreement is never one."""

    ABUSE = "abuse", _("Abuse or hate")
    THREATS = "threats", _("Threats or incitement to violence")
    PERSONAL_DATA = "personal_data", _("Personal data of the author or of others")
    SPAM = "spam", _("Spam, scams or repeated posting")


class ModerationState(models.TextChoices):
    PROPOSED = "proposed", _("Proposed: a person confirms")
    DISMISSED = "dismissed", _("Dismissed")
    PENDING = "pending", _("Asked of the network")
    DONE = "done", _("Done")
    FAILED = "failed", _("Failed")


# Moderations that were never carried out: awaiting a person, or turned down.
MODERATION_NOT_CARRIED_OUT = frozenset({ModerationState.PROPOSED, ModerationState.DISMISSED})


# --- Events -----------------------------------------------------------------------------------

EVENTS: dict[str, Promise] = {}


def register_event(name: str, label: Promise) -> None:
    if name in EVENTS or "." not in name:
        raise ValueError(f"The event {name!r} is registered twice, or not dotted.")
    EVENTS[name] = label


def event_label(name: str) -> str:
    return str(EVENTS.get(name, name))


register_event("conversation.started", _("the conversation started"))
register_event("conversation.item_added", _("the public added to it"))
register_event("conversation.reopened", _("reopened by a new item"))
register_event("conversation.linked_to_post", _("linked to our post"))
register_event("conversation.status", _("changed the status"))
register_event("conversation.assign", _("assigned it"))
register_event("conversation.triaged", _("corrected the triage"))
register_event("conversation.protected", _("moved to the human-rights officer's queue"))
register_event("conversation.released", _("given back to the desk by the human-rights officer"))
register_event("conversation.reply_allowed", _("allowed a public reply"))
register_event("conversation.woken", _("the snooze ended"))
register_event("conversation.noted", _("wrote an internal note"))
register_event("conversation.clock_warned", _("three quarters of the time to answer have passed"))
register_event("conversation.escalated", _("offered to the headquarters desk"))
register_event("item.edited", _("the author edited an item"))
register_event("item.deleted", _("an item was deleted on the network"))
register_event("reply.drafted", _("wrote a reply for clearance"))
register_event("reply.queued", _("sent a reply"))
register_event("reply.cleared", _("cleared a reply"))
register_event("reply.returned", _("returned a reply to its writer"))
register_event("reply.sent", _("the reply reached the network"))
register_event("reply.unknown", _("the reply's outcome is unknown"))
register_event("reply.found", _("the reply was found on the network"))
register_event("reply.failed", _("the reply failed"))
register_event("item.hidden", _("hid an item"))
register_event("item.shown", _("showed a hidden item again"))
register_event("item.removal_proposed", _("proposed removing an item for good"))
register_event("item.hide_proposed", _("a rule proposed hiding an item"))
register_event("item.removed", _("removed an item for good"))
register_event("item.proposal_dismissed", _("dismissed a moderation proposal"))
