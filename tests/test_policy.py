"""The policy module's whole matrix: each role × each action × own or other mission ×
routine or crisis message; four eyes; unknown actions; inactive users; querysets."""

from dataclasses import dataclass

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import PermissionDenied

from channels.models import SocialAccount
from diplomacy_hub import policy
from embassies.models import Mission
from embassies.roles import Role
from embassies.selectors import missions_visible_to
from tests.factories import SocialAccountFactory, UserFactory, mission

pytestmark = pytest.mark.django_db

OWN = "emb-jp-tokyo"
OTHER = "emb-de-berlin"


@dataclass(frozen=True)
class MessageLike:
    """What the policy reads from a message (or a delivery, or a social account)."""

    mission_id: int
    author_id: int | None
    priority: str = "routine"


# --- The expected matrix ------------------------------------------------------------------
# For each action and role: may that role act on an object of its own mission (own=True)
# or of another one, routine or crisis? Spelled out here, apart from the implementation.


def always(own: bool, crisis: bool) -> bool:
    return True


def never(own: bool, crisis: bool) -> bool:
    return False


def own_mission(own: bool, crisis: bool) -> bool:
    return own


def own_routine(own: bool, crisis: bool) -> bool:
    return own and not crisis


def crisis_only(own: bool, crisis: bool) -> bool:
    return crisis


OFFICER, PRESS, CRISIS, ADMIN = Role.OFFICER, Role.PRESS_OFFICE, Role.CRISIS_UNIT, Role.ADMINISTRATOR
RIGHTS = Role.HUMAN_RIGHTS_OFFICER

ADMIN_ONLY = {OFFICER: never, PRESS: never, CRISIS: never, ADMIN: always}
VIEW = {OFFICER: own_mission, PRESS: always, CRISIS: always, ADMIN: always}
WRITE = {OFFICER: own_routine, PRESS: never, CRISIS: crisis_only, ADMIN: never}
DECIDE = {OFFICER: never, PRESS: always, CRISIS: crisis_only, ADMIN: never}
OPERATE = DECIDE

EXPECTED = {
    "mission.view": VIEW,
    "mission.manage": ADMIN_ONLY,
    "staff.manage": ADMIN_ONLY,
    "account.view": VIEW,
    "account.manage": ADMIN_ONLY,
    "audit.view": ADMIN_ONLY,
    "message.create": {OFFICER: own_mission, PRESS: never, CRISIS: never, ADMIN: never},
    "message.view": VIEW,
    "message.edit": WRITE,
    "message.submit": WRITE,
    "message.approve": DECIDE,
    "message.request_changes": DECIDE,
    "message.reject": DECIDE,
    "message.schedule": OPERATE,
    "message.publish_now": OPERATE,
    "message.cancel": OPERATE,
    "message.retract": OPERATE,
    "message.review_queue": {OFFICER: never, PRESS: always, CRISIS: always, ADMIN: never},
    "delivery.retry": OPERATE,
    "delivery.settle": OPERATE,
    "crisis.create": {OFFICER: never, PRESS: never, CRISIS: always, ADMIN: never},
    "publishing.pause": {OFFICER: never, PRESS: always, CRISIS: never, ADMIN: never},
    "publishing.resume": {OFFICER: never, PRESS: always, CRISIS: never, ADMIN: never},
    "health.view": {OFFICER: never, PRESS: always, CRISIS: always, ADMIN: always},
    # The conversation desk.
    "conversation.inbox": {OFFICER: always, PRESS: always, CRISIS: always, ADMIN: always},
    "conversation.view": VIEW,
    "conversation.handle": {OFFICER: own_mission, PRESS: always, CRISIS: always, ADMIN: never},
    "conversation.note": {OFFICER: own_mission, PRESS: always, CRISIS: always, ADMIN: never},
    "conversation.presence": VIEW,
    "conversation.triage": {OFFICER: own_mission, PRESS: always, CRISIS: never, ADMIN: never},
    # People under threat (issue 15 §7): the human-rights officer's alone (the column below).
    "protected.view": {OFFICER: never, PRESS: never, CRISIS: never, ADMIN: never},
    "protected.people": {OFFICER: never, PRESS: never, CRISIS: never, ADMIN: never},
    "protected.allow_reply": {OFFICER: never, PRESS: never, CRISIS: never, ADMIN: never},
    "protected.release": {OFFICER: never, PRESS: never, CRISIS: never, ADMIN: never},
    "inbox_view.save": {OFFICER: always, PRESS: always, CRISIS: always, ADMIN: always},
    # Only the owner deletes a saved view (test_only_the_owner_deletes_a_saved_view): the
    # objects of the matrix are nobody's view.
    "inbox_view.delete": {OFFICER: never, PRESS: never, CRISIS: never, ADMIN: never},
    # Global time: desks change nobody's rights; a mission's own days are its officers' too.
    "desk.manage": ADMIN_ONLY,
    "desk.view": {OFFICER: never, PRESS: always, CRISIS: always, ADMIN: always},
    "review.targets": {OFFICER: never, PRESS: always, CRISIS: never, ADMIN: never},
    "silence.plan": {OFFICER: never, PRESS: always, CRISIS: always, ADMIN: never},
    "occasion.view": {OFFICER: always, PRESS: always, CRISIS: always, ADMIN: always},
    "occasion.manage": {OFFICER: own_mission, PRESS: always, CRISIS: never, ADMIN: never},
    # Triage's rules (issue 14): everyone reads; the press office edits all, officers their
    # missions' own; the service targets are the press office's.
    "triage.view": {OFFICER: always, PRESS: always, CRISIS: always, ADMIN: always},
    "triage.edit": {OFFICER: own_mission, PRESS: always, CRISIS: never, ADMIN: never},
    "triage.targets": {OFFICER: never, PRESS: always, CRISIS: never, ADMIN: never},
    # Replies (issue 15): written and hidden by whoever handles the conversation; a level 1
    # reply cleared by another officer of the mission or the press office (levels 2 and
    # crisis: tests/conversations/test_clearance.py).
    "reply.write": {OFFICER: own_mission, PRESS: always, CRISIS: always, ADMIN: never},
    "item.hide": {OFFICER: own_mission, PRESS: always, CRISIS: always, ADMIN: never},
    # Removing for good: proposed as hiding; confirmed alike, never by the proposer
    # (tests/conversations/test_moderation.py).
    "item.remove": {OFFICER: own_mission, PRESS: always, CRISIS: always, ADMIN: never},
    "item.remove.confirm": {OFFICER: own_mission, PRESS: always, CRISIS: always, ADMIN: never},
    "reply.clear": {OFFICER: own_mission, PRESS: always, CRISIS: never, ADMIN: never},
    "reply.return": {OFFICER: own_mission, PRESS: always, CRISIS: never, ADMIN: never},
    "reply.queue": {OFFICER: always, PRESS: always, CRISIS: always, ADMIN: never},
    "line.view": {OFFICER: always, PRESS: always, CRISIS: always, ADMIN: never},
    "line.propose": {OFFICER: always, PRESS: always, CRISIS: always, ADMIN: never},
    "line.approve": {OFFICER: never, PRESS: always, CRISIS: never, ADMIN: never},
    # Analytics (issue 19): everyone with a role, over the missions they may see.
    "analytics.view": {OFFICER: always, PRESS: always, CRISIS: always, ADMIN: always},
    # The API's tokens and webhooks (issue 20).
    "integration.manage": ADMIN_ONLY,
}
# The human-rights officer's column: on ordinary objects, what every role may (read the
# calendar, analytics, triage's rules, an inbox that is empty for them), and the protected
# queue's actions; nothing else. Protected conversations: test_protected_conversations_*.
RIGHTS_MAY = {
    "conversation.inbox",
    "inbox_view.save",
    "occasion.view",
    "analytics.view",
    "triage.view",
    "protected.view",
    "protected.people",
    "protected.allow_reply",
    "protected.release",
}
EXPECTED = {action: {**row, RIGHTS: always if action in RIGHTS_MAY else never} for action, row in EXPECTED.items()}
DECISIONS = ["message.approve", "message.request_changes", "message.reject"]


def test_the_matrix_covers_every_action_of_the_policy():
    """A new action in RULES needs its row here, so it is never granted untested."""
    assert set(EXPECTED) == set(policy.RULES)


@pytest.fixture
def author():
    return UserFactory(username="the-author", roles=[OFFICER], missions=[OWN, OTHER])


@pytest.fixture
def user_with_role():
    """A user holding one role, staff of the OWN mission (which only matters to officers)."""

    def make(role: str):
        return UserFactory(username=f"u-{role}", roles=[role], missions=[OWN])

    return make


@pytest.mark.parametrize("role", Role.values)
@pytest.mark.parametrize("action", sorted(EXPECTED))
def test_policy_matrix(user_with_role, author, role, action):
    user = user_with_role(role)
    rows = []
    for own in (True, False):
        target = mission(OWN if own else OTHER)
        for crisis in (False, True):
            if action == "message.create" or action.startswith("mission."):
                obj = target  # these take the mission itself
            else:
                obj = MessageLike(target.pk, author.pk, "crisis" if crisis else "routine")
            expected = EXPECTED[action][role](own, crisis)
            rows.append((own, crisis, policy.can(user, action, obj), expected))
    wrong = [row for row in rows if row[2] != row[3]]
    assert not wrong, f"{role} {action}: (own, crisis, got, expected) {wrong}"


@pytest.mark.parametrize("action", DECISIONS)
@pytest.mark.parametrize("priority", ["routine", "crisis"])
def test_four_eyes_nobody_approves_their_own_message(action, priority):
    """Even a user holding every role may not decide on a message they wrote."""
    user = UserFactory(username="all-roles", roles=Role.values, missions=[OWN])
    superuser = UserFactory(username="root", is_superuser=True)
    for person in (user, superuser):
        own_message = MessageLike(mission(OWN).pk, person.pk, priority)
        someone_elses = MessageLike(mission(OWN).pk, person.pk + 1000, priority)
        assert not policy.can(person, action, own_message)
        assert policy.can(person, action, someone_elses)
        with pytest.raises(PermissionDenied, match=action):
            policy.require(person, action, own_message)


def test_crisis_unit_member_cannot_approve_own_crisis_alert_but_a_colleague_can():
    writer = UserFactory(username="crisis-a", roles=[CRISIS])
    colleague = UserFactory(username="crisis-b", roles=[CRISIS])
    alert = MessageLike(mission(OTHER).pk, writer.pk, "crisis")
    assert policy.can(writer, "message.edit", alert)
    assert not policy.can(writer, "message.approve", alert)
    assert policy.can(colleague, "message.approve", alert)


def test_unknown_action_raises_even_for_anonymous():
    with pytest.raises(ValueError, match="Unknown action"):
        policy.can(UserFactory(roles=[ADMIN]), "mission.delete_everything")
    with pytest.raises(ValueError, match="Unknown action"):
        policy.can(AnonymousUser(), "mision.view")


@pytest.mark.parametrize("action", sorted(EXPECTED))
def test_inactive_and_anonymous_users_can_nothing(action):
    inactive = UserFactory(username="gone", roles=Role.values, missions=[OWN], is_active=False)
    obj = mission(OWN) if action == "message.create" else MessageLike(mission(OWN).pk, None)
    assert not policy.can(inactive, action, obj)
    assert not policy.can(AnonymousUser(), action, obj)


def test_require_raises_permission_denied_and_returns_none_when_allowed():
    press = UserFactory(roles=[PRESS])
    assert policy.require(press, "publishing.pause") is None
    with pytest.raises(PermissionDenied):
        policy.require(press, "crisis.create")


def test_superuser_holds_every_role():
    assert policy.roles_of(UserFactory(is_superuser=True)) == frozenset(Role.values)


def test_a_user_without_role_sees_and_may_nothing_even_as_staff_of_a_mission():
    user = UserFactory(missions=[OWN])
    assert policy.roles_of(user) == frozenset()
    assert not policy.can(user, "mission.view", mission(OWN))
    assert not missions_visible_to(user).exists()


# --- Querysets ----------------------------------------------------------------------------


def test_scope_gives_an_officer_only_their_missions():
    officer = UserFactory(roles=[OFFICER], missions=[OWN, "emb-eg-cairo"])
    codes = set(missions_visible_to(officer).values_list("code", flat=True))
    assert codes == {OWN, "emb-eg-cairo"}


def test_scope_gives_an_officer_only_their_missions_social_accounts():
    officer = UserFactory(roles=[OFFICER], missions=[OWN])
    mine = SocialAccountFactory(mission=mission(OWN))
    SocialAccountFactory(mission=mission(OTHER))
    assert list(policy.scope(officer, SocialAccount.objects.all())) == [mine]


@pytest.mark.parametrize("role", [PRESS, CRISIS, ADMIN])
def test_scope_gives_cross_mission_roles_everything(role):
    user = UserFactory(roles=[role])
    SocialAccountFactory(mission=mission(OWN))
    SocialAccountFactory(mission=mission(OTHER))
    assert missions_visible_to(user).count() == Mission.objects.count() == 271
    assert policy.scope(user, SocialAccount.objects.all()).count() == 2


def test_scope_gives_nothing_to_a_user_without_role_or_anonymous():
    SocialAccountFactory(mission=mission(OWN))
    assert not policy.scope(UserFactory(missions=[OWN]), SocialAccount.objects.all()).exists()
    assert not policy.scope(AnonymousUser(), SocialAccount.objects.all()).exists()


def test_only_the_owner_deletes_a_saved_view():
    @dataclass(frozen=True)
    class ViewLike:
        owner_id: int

    owner = UserFactory(username="owner", roles=[OFFICER], missions=[OWN])
    other = UserFactory(username="other", roles=list(Role.values), missions=[OWN])
    assert policy.can(owner, "inbox_view.delete", ViewLike(owner.pk))
    assert not policy.can(other, "inbox_view.delete", ViewLike(owner.pk))


# --- People under threat (issue 15 §7) ------------------------------------------------------------


@dataclass(frozen=True)
class ProtectedLike:
    """What the policy reads from a protected conversation (or a reply of one)."""

    mission_id: int
    author_id: int | None = None
    restricted_at: str = "2026-12-07T10:00:00Z"
    reply_allowed_at: str | None = None
    level: int = 2
    category: str = "threat"


PROTECTED_ACTIONS = [
    "conversation.view",
    "conversation.handle",
    "conversation.note",
    "conversation.triage",
    "conversation.presence",
    "item.hide",
]


@pytest.mark.parametrize("action", PROTECTED_ACTIONS)
def test_protected_conversations_are_the_human_rights_officers_alone(user_with_role, action):
    protected = ProtectedLike(mission(OWN).pk)
    allowed = {role for role in Role.values if policy.can(user_with_role(role), action, protected)}
    assert allowed == {RIGHTS}
    # Even a user holding every other role.
    everything_else = UserFactory(username="all-but", roles=[r for r in Role.values if r != RIGHTS], missions=[OWN])
    assert not policy.can(everything_else, action, protected)


def test_no_reply_in_a_protected_conversation_until_a_human_rights_officer_allows_one(user_with_role):
    rights = user_with_role(RIGHTS)
    closed = ProtectedLike(mission(OWN).pk)
    with pytest.raises(PermissionDenied, match="human-rights officer allows"):
        policy.require(rights, "reply.write", closed)
    allowed = ProtectedLike(mission(OWN).pk, reply_allowed_at="2026-12-07T11:00:00Z")
    assert policy.can(rights, "reply.write", allowed)
    for role in (OFFICER, PRESS, CRISIS, ADMIN):
        assert not policy.can(user_with_role(role), "reply.write", allowed)


def test_a_protected_reply_is_cleared_by_another_human_rights_officer_only(user_with_role):
    writer = user_with_role(RIGHTS)
    colleague = UserFactory(username="rights-2", roles=[RIGHTS])
    reply = ProtectedLike(mission(OWN).pk, author_id=writer.pk)
    assert not policy.can(writer, "reply.clear", reply)
    assert policy.can(colleague, "reply.clear", reply)
    assert not policy.can(user_with_role(PRESS), "reply.clear", reply)
