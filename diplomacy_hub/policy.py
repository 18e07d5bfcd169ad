"""Who may do what to which object: the one place that answers it.

Views, the admin, the API, services and querysets all ask this module. Two questions:

- `scope(user, queryset)` narrows a queryset to what the user may see at all. An officer
  sees only their missions' rows; the check is in the query, so another mission's object
  is simply not found (404), and its existence does not leak.
- `can(user, action, obj)` / `require(...)` answer whether the user may perform an action
  on an object they can see. Unknown actions raise: a typo must never grant access.

Objects are duck-typed: anything with `mission_id` (a message, a social account, a
membership, a Mission itself, whose `mission_id` is its own id); messages also carry
`author_id` and `priority`, and a Message answers `writer_ids()` (its author and whoever
edited it) for four eyes.

A rule answers True, False, or a `Refusal` that says why in words the user understands;
`require` raises PermissionDenied with those words, translated.
"""

from collections.abc import Callable
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils.translation import gettext, gettext_noop

from embassies.roles import Role

CROSS_MISSION_ROLES = frozenset({Role.PRESS_OFFICE, Role.CRISIS_UNIT, Role.ADMINISTRATOR})
CRISIS = "crisis"  # a message's priority (posts.models.Priority, which this module cannot import)


def roles_of(user) -> frozenset[str]:
    """The user's roles, read once per request (cached on the user object)."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return frozenset()
    cached = getattr(user, "_diplomacy_roles", None)
    if cached is None:
        names = set(user.groups.values_list("name", flat=True))
        if user.is_superuser:
            names |= set(Role.values)
        cached = frozenset(name for name in names if name in Role.values)
        user._diplomacy_roles = cached
    return cached


def has_role(user, *roles: str) -> bool:
    return not roles_of(user).isdisjoint(roles)


def mission_ids_of(user) -> frozenset[int]:
    """The missions the user belongs to as staff (cached on the user object)."""
    if not getattr(user, "is_authenticated", False):
        return frozenset()
    cached = getattr(user, "_diplomacy_mission_ids", None)
    if cached is None:
        cached = frozenset(user.memberships.values_list("mission_id", flat=True))
        user._diplomacy_mission_ids = cached
    return cached


def sees_all_missions(user) -> bool:
    return not roles_of(user).isdisjoint(CROSS_MISSION_ROLES)


def scope(user, queryset: QuerySet, *, mission_field: str = "mission") -> QuerySet:
    """Narrow `queryset` to the rows of missions the user may see.

    `mission_field` is the lookup path to the mission ("mission", "message__mission",
    "account__mission"); pass "" when the queryset is of Mission itself.
    """
    if sees_all_missions(user):
        return queryset
    if not has_role(user, Role.OFFICER):
        return queryset.none()
    lookup = f"{mission_field}__in" if mission_field else "pk__in"
    return queryset.filter(**{lookup: list(mission_ids_of(user))})


def scope_messages(user, queryset: QuerySet) -> QuerySet:
    """Narrow a queryset of messages to those the user may see: `scope`'s, and for an
    officer also the crisis alerts approved to go out on their missions' accounts (what
    went out in their name is theirs to know). A crisis alert has no mission of its own."""
    if sees_all_missions(user) or not has_role(user, Role.OFFICER):
        return scope(user, queryset, mission_field="mission")
    mission_ids = list(mission_ids_of(user))
    targets_here = queryset.model.targets.through.objects.filter(
        message_id=OuterRef("pk"), socialaccount__mission__in=mission_ids
    )
    alerts_here = Q(priority=CRISIS, approved_by__isnull=False) & Exists(targets_here)
    return queryset.filter(Q(mission__in=mission_ids) | alerts_here)


# --- Rules --------------------------------------------------------------------------------


class Refusal:
    """A "no" that says why: false for `can`, its reason for `require`'s PermissionDenied.
    `reason` is a msgid (marked with gettext_noop) with an `%(action)s` placeholder,
    translated when it is raised, in the language of the request."""

    __slots__ = ("reason",)

    def __init__(self, reason: str) -> None:
        self.reason = reason

    def __bool__(self) -> bool:
        return False

    def __repr__(self) -> str:
        return f"Refusal({self.reason!r})"


# A rule answers yes, no, or no with a reason (a Refusal).
Rule = Callable[[Any, Any], "bool | Refusal"]


NOT_ALLOWED = gettext_noop("Not allowed: %(action)s")
WROTE_PART = Refusal(
    gettext_noop("Not allowed: %(action)s: you wrote part of this message, so someone else must review it.")
)


def _mission_id(obj: Any) -> int | None:
    return getattr(obj, "mission_id", None)


def _is_officer_of(user, obj: Any) -> bool:
    return has_role(user, Role.OFFICER) and _mission_id(obj) in mission_ids_of(user)


def _is_crisis(obj: Any) -> bool:
    return getattr(obj, "priority", None) == CRISIS


def _alert_reached_missions_of(user, obj: Any) -> bool:
    """An approved crisis alert aimed at accounts of the officer's missions (one query,
    asked only of an officer looking at an alert)."""
    if not (_is_crisis(obj) and getattr(obj, "approved_by_id", None) and has_role(user, Role.OFFICER)):
        return False
    targets = getattr(obj, "targets", None)
    return targets is not None and targets.filter(mission_id__in=list(mission_ids_of(user))).exists()


def wrote_part(user, obj: Any) -> bool:
    """The author, or anyone who changed what the message says since (`writer_ids()`).
    An object without `writer_ids` (a plain record) answers by its author alone."""
    if getattr(obj, "author_id", None) == user.pk:
        return True
    writer_ids = getattr(obj, "writer_ids", None)
    return callable(writer_ids) and user.pk in writer_ids()


def _may_view(user, obj: Any) -> bool:
    return sees_all_missions(user) or _is_officer_of(user, obj) or _alert_reached_missions_of(user, obj)


def _may_write_message(user, obj: Any) -> bool:
    # Crisis alerts belong to the crisis unit; routine messages to the mission's officers.
    if _is_crisis(obj):
        return has_role(user, Role.CRISIS_UNIT)
    return _is_officer_of(user, obj)


def _may_decide(user, obj: Any) -> bool | Refusal:
    """Approve, request changes, reject: the press office (and the crisis unit for alerts),
    never on a message one wrote or wrote part of (four eyes). The role is checked first, so
    asking for a user who may not review anyway costs no query."""
    deciders = (Role.CRISIS_UNIT, Role.PRESS_OFFICE) if _is_crisis(obj) else (Role.PRESS_OFFICE,)
    if not has_role(user, *deciders):
        return False
    if wrote_part(user, obj):
        return WROTE_PART
    return True


def _may_operate(user, obj: Any) -> bool:
    """Schedule, publish now, cancel, retract, retry, settle an unknown delivery."""
    if _is_crisis(obj):
        return has_role(user, Role.CRISIS_UNIT, Role.PRESS_OFFICE)
    return has_role(user, Role.PRESS_OFFICE)


def _may_edit_triage_rule(user, obj: Any) -> bool:
    """The press office edits any rule; an officer a rule of their own mission (a rule for
    every mission has no `mission_id`)."""
    if has_role(user, Role.PRESS_OFFICE):
        return True
    return obj is not None and _mission_id(obj) is not None and _is_officer_of(user, obj)


# --- Replies to the public: clearance (issue 15) ------------------------------------------------
# Conversation categories (conversations.lifecycle.Category, which this module cannot import).
ROUTINE_CATEGORIES = frozenset({"consular", "praise"})
SENSITIVE_CATEGORIES = frozenset({"press", "policy", "distress", "threat"})
CRISIS_CATEGORY = "crisis"
# A library line sent with at most this share of it changed (edit distance over its
# length) is still the line.
LINE_EDIT_MAX = 0.15
LEVEL_ALONE, LEVEL_FOUR_EYES, LEVEL_PRESS_OFFICE = 0, 1, 2


def reply_clearance(
    *,
    category: str,
    line_used: bool,
    line_in_force: bool = False,
    line_language_matches: bool = False,
    edit_ratio: float | None = None,
    crisis_line: bool = False,
    alert_active: bool = False,
    author_listed: bool = False,
    individual_case: bool = False,
    machine_translated: bool = False,
) -> tuple[int, list[str]]:
    """The clearance a reply needs, and why (codes worded in conversations.clearance):

    - crisis: during an alert covering the mission, the crisis unit's lines (in force, in the
      author's language, at most LINE_EDIT_MAX changed) are level 0 for everyone;
    - level 2, the press office: a sensitive category, an author on the journalists' or
      officials' lists, anything about an individual case;
    - level 0, the officer alone: a library line in force, in the author's language, sent
      verbatim or at most LINE_EDIT_MAX changed, in a routine category;
    - level 1, four eyes: everything else (free text, machine translation, a line changed
      too much or not in force).
    """
    line_fits = (
        line_used and line_in_force and line_language_matches and edit_ratio is not None and edit_ratio <= LINE_EDIT_MAX
    )
    if crisis_line and alert_active and line_fits and not machine_translated:
        return LEVEL_ALONE, ["crisis_line"]
    reasons = [
        code
        for code, applies in (
            ("sensitive_category", category in SENSITIVE_CATEGORIES),
            ("listed_author", author_listed),
            ("individual_case", individual_case),
        )
        if applies
    ]
    if reasons:
        return LEVEL_PRESS_OFFICE, reasons
    if line_fits and category in ROUTINE_CATEGORIES and not machine_translated:
        return LEVEL_ALONE, ["library_line"]
    reasons = [
        code
        for code, applies in (
            ("free_text", not line_used),
            ("line_not_in_force", line_used and not line_in_force),
            ("line_other_language", line_used and not line_language_matches),
            ("line_edited", line_used and (edit_ratio is None or edit_ratio > LINE_EDIT_MAX)),
            ("not_routine", line_used and category not in ROUTINE_CATEGORIES),
            ("machine_translated", machine_translated),
        )
        if applies
    ]
    return LEVEL_FOUR_EYES, reasons


WROTE_REPLY = Refusal(gettext_noop("Not allowed: %(action)s: you wrote this reply, so someone else must clear it."))


def _may_clear_reply(user, obj: Any) -> bool | Refusal:
    """Level 1: another officer of the mission or the press office; level 2: the press office;
    a crisis reply: the crisis unit (or the press office). Never one's own reply."""
    level = getattr(obj, "level", LEVEL_FOUR_EYES)
    crisis = getattr(obj, "category", "") == CRISIS_CATEGORY
    if level == LEVEL_PRESS_OFFICE:
        allowed = has_role(user, Role.PRESS_OFFICE)
    elif crisis:
        allowed = has_role(user, Role.CRISIS_UNIT, Role.PRESS_OFFICE)
    else:
        allowed = _is_officer_of(user, obj) or has_role(user, Role.PRESS_OFFICE)
    if not allowed:
        return False
    if getattr(obj, "author_id", None) == user.pk:
        return WROTE_REPLY
    return True


PROPOSED_REMOVAL = Refusal(
    gettext_noop("Not allowed: %(action)s: you proposed removing this item, so someone else must confirm it.")
)


def _may_confirm_removal(user, obj: Any) -> bool | Refusal:
    """Four eyes, as for messages: whoever handles the conversation, never its proposer (of
    a protected conversation, only the human-rights officer handles it)."""
    conversation = getattr(getattr(obj, "item", None), "conversation", None)
    handles = (
        has_role(user, Role.HUMAN_RIGHTS_OFFICER) if is_protected(conversation) else _may_handle_conversation(user, obj)
    )
    if not handles:
        return False
    if getattr(obj, "actor_id", None) == user.pk:
        return PROPOSED_REMOVAL
    return True


def _may_approve_line(user, obj: Any) -> bool:
    """The press office approves lines; the crisis unit its crisis lines."""
    if getattr(obj, "crisis", False):
        return has_role(user, Role.CRISIS_UNIT)
    return has_role(user, Role.PRESS_OFFICE)


def _may_manage_occasion(user: Any, obj: Any = None) -> bool:
    """The ministry's commemorations (no mission): the press office; a mission's events:
    its officers too."""
    return has_role(user, Role.PRESS_OFFICE) or (obj is not None and _is_officer_of(user, obj))


def _has_a_role(user: Any, obj: Any = None) -> bool:
    return bool(roles_of(user))


def _role(*roles: str) -> Rule:
    def rule(user: Any, obj: Any = None) -> bool:
        return has_role(user, *roles)

    return rule


def _may_handle_conversation(user: Any, obj: Any) -> bool:
    return _is_officer_of(user, obj) or has_role(user, Role.PRESS_OFFICE, Role.CRISIS_UNIT)


def _may_triage_conversation(user: Any, obj: Any) -> bool:
    """Correct triage by hand: the mission's officers and the press office."""
    return _is_officer_of(user, obj) or has_role(user, Role.PRESS_OFFICE)


# --- People under threat (issue 15 §7) ------------------------------------------------------------


def is_protected(obj: Any) -> bool:
    """A protected conversation (or a reply or item of one): `restricted_at` is set."""
    return getattr(obj, "restricted_at", None) is not None


def _human_rights_officer_if_protected(rule: Rule) -> Rule:
    """A protected conversation is the human-rights officer's alone, whatever `rule` says of
    the others; any other object is as `rule` says."""

    def guarded(user: Any, obj: Any = None) -> bool | Refusal:
        if is_protected(obj):
            return has_role(user, Role.HUMAN_RIGHTS_OFFICER)
        return rule(user, obj)

    return guarded


NO_PUBLIC_REPLY = Refusal(
    gettext_noop(
        "Not allowed: %(action)s: this conversation protects a person; no reply goes out "
        "unless the human-rights officer allows one."
    )
)


def _may_write_reply(user: Any, obj: Any) -> bool | Refusal:
    """The desk answers its conversations; a protected one only the human-rights officer,
    and only once a human-rights officer has allowed a reply."""
    if not is_protected(obj):
        return _may_handle_conversation(user, obj)
    if not has_role(user, Role.HUMAN_RIGHTS_OFFICER):
        return False
    return True if getattr(obj, "reply_allowed_at", None) is not None else NO_PUBLIC_REPLY


def _may_clear_protected_reply(user: Any, obj: Any) -> bool | Refusal:
    """A protected conversation's reply: another human-rights officer clears it."""
    if not is_protected(obj):
        return _may_clear_reply(user, obj)
    if not has_role(user, Role.HUMAN_RIGHTS_OFFICER):
        return False
    return WROTE_REPLY if getattr(obj, "author_id", None) == user.pk else True


RULES: dict[str, Rule] = {
    # Missions, staff, social accounts and the audit log.
    "mission.view": _may_view,
    "mission.manage": _role(Role.ADMINISTRATOR),
    "staff.manage": _role(Role.ADMINISTRATOR),
    "account.view": _may_view,
    "account.manage": _role(Role.ADMINISTRATOR),
    "audit.view": _role(Role.ADMINISTRATOR),
    # The API's tokens, webhook endpoints and the hosts they may reach (api/).
    "integration.manage": _role(Role.ADMINISTRATOR),
    # Messages.
    "message.create": lambda user, mission: _is_officer_of(user, mission),
    "message.view": _may_view,
    "message.edit": _may_write_message,
    "message.submit": _may_write_message,
    "message.approve": _may_decide,
    "message.request_changes": _may_decide,
    "message.reject": _may_decide,
    "message.schedule": _may_operate,
    "message.publish_now": _may_operate,
    "message.cancel": _may_operate,
    "message.retract": _may_operate,
    "message.review_queue": _role(Role.PRESS_OFFICE, Role.CRISIS_UNIT),
    "delivery.retry": _may_operate,
    "delivery.settle": _may_operate,
    # Crisis alerts and the pause switch.
    "crisis.create": _role(Role.CRISIS_UNIT),
    "publishing.pause": _role(Role.PRESS_OFFICE),
    "publishing.resume": _role(Role.PRESS_OFFICE),
    "health.view": _role(Role.PRESS_OFFICE, Role.CRISIS_UNIT, Role.ADMINISTRATOR),
    # Global time (issue 18): desks and rosters, review targets, the calendar's own days,
    # planned silences. Desks change nobody's rights: any press officer reviews anything.
    "desk.manage": _role(Role.ADMINISTRATOR),
    "desk.view": _role(Role.PRESS_OFFICE, Role.CRISIS_UNIT, Role.ADMINISTRATOR),
    "review.targets": _role(Role.PRESS_OFFICE),
    "silence.plan": _role(Role.PRESS_OFFICE, Role.CRISIS_UNIT),
    "occasion.view": _has_a_role,
    # The ministry's commemorations: the press office; a mission's events: its officers too.
    "occasion.manage": _may_manage_occasion,
    # The conversation desk: what the public says to a mission is seen like its messages.
    # A protected conversation (people under threat) is the human-rights officer's alone.
    "conversation.inbox": _has_a_role,
    "conversation.view": _human_rights_officer_if_protected(_may_view),
    # Set its status, assign it, write an internal note: the mission's officers, the press
    # office and the crisis unit.
    "conversation.handle": _human_rights_officer_if_protected(_may_handle_conversation),
    "conversation.note": _human_rights_officer_if_protected(_may_handle_conversation),
    # Correct what triage decided (category, priority, language, tags): the mission's
    # officers and the press office.
    "conversation.triage": _human_rights_officer_if_protected(_may_triage_conversation),
    # Say "I am looking at it" (presence): whoever may see it.
    "conversation.presence": _human_rights_officer_if_protected(_may_view),
    # People under threat (issue 15 §7): the protected queue, the list of protected people,
    # allowing a reply, giving a conversation back to the desk: the human-rights officer.
    "protected.view": _role(Role.HUMAN_RIGHTS_OFFICER),
    "protected.people": _role(Role.HUMAN_RIGHTS_OFFICER),
    "protected.allow_reply": _role(Role.HUMAN_RIGHTS_OFFICER),
    "protected.release": _role(Role.HUMAN_RIGHTS_OFFICER),
    # Analytics: everyone with a role, over the missions they may see (policy.scope).
    "analytics.view": _has_a_role,
    # Saved inbox views: each user's own.
    "inbox_view.save": _has_a_role,
    "inbox_view.delete": lambda user, view: getattr(view, "owner_id", None) == user.pk,
    # Triage's rules: everyone with a role reads them (an officer, the press office's and
    # their missions' own); the press office edits them all, officers their missions' own
    # keyword packs and known authors (`obj`: the rule, or the mission it would be for).
    "triage.view": _has_a_role,
    "triage.edit": _may_edit_triage_rule,
    "triage.targets": _role(Role.PRESS_OFFICE),
    # Replies: written by whoever handles the conversation, sent alone at level 0, cleared
    # by `_may_clear_reply` above that; the queue of replies awaiting clearance.
    "reply.write": _may_write_reply,
    "reply.clear": _may_clear_protected_reply,
    "reply.return": _may_clear_protected_reply,
    "reply.queue": _role(Role.OFFICER, Role.PRESS_OFFICE, Role.CRISIS_UNIT),
    # Hide a hostile item or show it again (reversible): as handling the conversation.
    "item.hide": _human_rights_officer_if_protected(_may_handle_conversation),
    # Remove an item for good (YouTube reject, Facebook delete): proposed by whoever handles
    # the conversation, carried out when a second person confirms (never the proposer).
    "item.remove": _human_rights_officer_if_protected(_may_handle_conversation),
    "item.remove.confirm": _may_confirm_removal,
    # The library of lines to take: seen by the desk, proposed by missions, approved at
    # headquarters.
    "line.view": _role(Role.OFFICER, Role.PRESS_OFFICE, Role.CRISIS_UNIT),
    "line.propose": _role(Role.OFFICER, Role.PRESS_OFFICE, Role.CRISIS_UNIT),
    "line.approve": _may_approve_line,
}


def _answer(user, action: str, obj: Any) -> bool | Refusal:
    try:
        rule = RULES[action]
    except KeyError:
        raise ValueError(f"Unknown action {action!r}: add it to diplomacy_hub.policy.RULES") from None
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return False
    return rule(user, obj)


def can(user, action: str, obj: Any = None) -> bool:
    return bool(_answer(user, action, obj))


def require(user, action: str, obj: Any = None) -> None:
    """Raise PermissionDenied unless `can(...)`, saying why when the rule said why (four
    eyes), else naming the action."""
    answer = _answer(user, action, obj)
    if not answer:
        reason = answer.reason if isinstance(answer, Refusal) else NOT_ALLOWED
        raise PermissionDenied(gettext(reason) % {"action": action})
