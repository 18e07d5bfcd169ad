"""Every URL of the URLconf × every role × GET and POST, against the policy
(diplomacy_hub/policy.py, DESIGN.md's roles).

The URLconf is enumerated, so a view added later is tried the day it is added: a URL with no
row in EXPECTED fails `test_every_url_has_a_row_in_the_matrix`, with the line to add. The
arguments of each URL are real objects of mission A (Tokyo): a message in review, its
attachment, an approved message and its delivery, the mission's account, a pause, a crisis
alert (tests/security/conftest.py, urlconf.py). Officer B (Berlin) must get 404 for every
one of mission A's objects, never 403: another mission's objects do not exist for them.

Each request runs in a transaction rolled back afterwards, so that one role's POST does not
change what the next role sees. POSTs carry no form data but the few ids a view needs to
know which object it is about, and a valid form for the review decisions and comments
(urlconf.DATA_FOR): "A" on a POST means the view accepted the user and went on to the
form (errors, a confirmation page, or the change).
"""

from __future__ import annotations

import copy
from http.cookies import SimpleCookie

import pytest
from django.db import transaction
from django.test import Client

from tests.security.conftest import ROLES
from tests.security.urlconf import OUTCOMES, Route, data_for, outcome, post_kwargs, routes, url_for

# Letters (tests/security/urlconf.py): A allowed, L sent to log in, F forbidden (403),
# N not found (404), M method not allowed (405).
# Columns: anonymous, officer of A, officer of B, press office, crisis unit, administrator.
#                                          GET       POST
EXPECTED: dict[str, tuple[str, str]] = {
    # Publishing: officers write their missions' messages; the press office decides on them.
    "posts:dashboard": ("LAAAAA", "LMMMMM"),
    "posts:message_create": ("LAAFFF", "LAAFFF"),  # officers only (of their own missions)
    "posts:message_autosave": ("LMMMMM", "LANFFF"),
    "posts:message_preview": ("LMMMMM", "LANFFF"),
    "posts:time_in_hq": ("LANAAA", "LMMMMM"),
    "posts:review_queue": ("LFFAAF", "LMMMMM"),  # message.review_queue
    "posts:message_detail": ("LANAAA", "LMMMMM"),  # message.view
    "posts:message_edit": ("LANFFF", "LANFFF"),  # message.edit: the mission's officers
    "posts:message_submit": ("LMMMMM", "LANFFF"),
    # The decisions, with a valid form (urlconf.DATA_FOR): the press office only (a routine
    # message: the crisis unit decides on crisis alerts). Four eyes: test_four_eyes.
    "posts:message_approve": ("LMMMMM", "LFNAFF"),
    "posts:message_request_changes": ("LMMMMM", "LFNAFF"),
    "posts:message_reject": ("LMMMMM", "LFNAFF"),
    "posts:comment_add": ("LMMMMM", "LANAAA"),  # anyone who may see the message
    "posts:attachment_file": ("LANAAA", "LMMMMM"),
    "posts:calendar": ("LAAAAA", "LMMMMM"),  # scoped list
    # Operations: the press office operates (the crisis unit on alerts); officers look.
    "posts:monitor_list": ("LAAAAA", "LMMMMM"),  # scoped list
    "posts:monitor": ("LANAAA", "LMMMMM"),
    "posts:monitor_retry_failed": ("LFNAFF", "LFNAFF"),
    "posts:monitor_cancel": ("LFNAFF", "LFNAFF"),
    "posts:monitor_retract": ("LFNAFF", "LFNAFF"),
    "posts:monitor_release": ("LFNAFF", "LFNAFF"),
    "posts:delivery_retry": ("LFNAFF", "LFNAFF"),
    "posts:delivery_settle": ("LFNAFF", "LFNAFF"),
    "posts:pause": ("LFFAFF", "LFFAFF"),  # publishing.pause
    "posts:pause_resume": ("LFFAFF", "LFFAFF"),
    "posts:pause_release": ("LFFAFF", "LFFAFF"),
    "posts:crisis_list": ("LFFAAA", "LMMMMM"),
    "posts:crisis_create": ("LFFFAF", "LFFFAF"),  # crisis.create
    "posts:crisis_reach": ("LFFFAF", "LMMMMM"),
    "posts:crisis_board": ("LNNAAA", "LMMMMM"),  # alerts belong to no mission: officers never see them
    "posts:crisis_approve": ("LNNAAF", "LNNAAF"),  # crisis unit (not the author) or press office
    "posts:health": ("LFFAAA", "LMMMMM"),  # health.view
    # Global time (issue 18): review times (desk.view; the press office sets the targets),
    # silences (silence.plan), desks and rosters (desk.manage), the calendar's own days.
    "posts:review_times": ("LFFAAA", "LFFAFF"),
    "posts:silences": ("LFFAAF", "LFFAAF"),
    "globaltime:desk_list": ("LFFAAA", "LMMMMM"),
    "globaltime:desk_create": ("LFFFFA", "LFFFFA"),
    "globaltime:desk_edit": ("LFFFFA", "LFFFFA"),
    "globaltime:desk_roster": ("LFFFFA", "LFFFFA"),
    # Any role sees them; the press office adds the ministry's, officers their missions'.
    "globaltime:occasion_list": ("LAAAAA", "LAAAFF"),
    "globaltime:occasion_delete": ("LMMMMM", "LANAFF"),  # occasion.manage; another mission's: 404
    # Missions, staff and roles: administrators.
    "embassies:mission_list": ("LAAAAA", "LMMMMM"),  # scoped list
    "embassies:mission_detail": ("LANAAA", "LMMMMM"),
    "embassies:staff_list": ("LFFFFA", "LMMMMM"),  # staff.manage
    "embassies:staff_detail": ("LFFFFA", "LMMMMM"),
    "embassies:role_grant": ("LFFFFA", "LFFFFA"),
    "embassies:role_revoke": ("LFFFFA", "LFFFFA"),
    "embassies:membership_add": ("LFFFFA", "LFFFFA"),
    "embassies:membership_remove": ("LFFFFA", "LFFFFA"),
    # A mission's business hours (mission.manage) and its staff's languages (staff.manage).
    "embassies:desk_settings": ("LFNFFA", "LMMMMM"),
    "embassies:mission_hours": ("LMMMMM", "LFNFFA"),
    "embassies:staff_languages": ("LMMMMM", "LFNFFA"),
    # Invitations, deactivation: administrators (staff.manage).
    "staff:invite": ("LFFFFA", "LFFFFA"),
    "staff:invitation_list": ("LFFFFA", "LMMMMM"),
    "staff:invitation_resend": ("LFFFFA", "LFFFFA"),
    "staff:invitation_revoke": ("LFFFFA", "LFFFFA"),
    "staff:deactivate": ("LFFFFA", "LFFFFA"),
    "staff:reactivate": ("LFFFFA", "LFFFFA"),
    # The invited person's link (public): without a valid link it answers 400, "this link is
    # not valid" (or "log out first" to someone logged in), to everyone.
    "invitation:open": ("AAAAAA", "MMMMMM"),
    "invitation:accept": ("AAAAAA", "AAAAAA"),
    # Social accounts: everyone with a role looks (scoped); administrators manage.
    "channels:account_list": ("LAAAAA", "LMMMMM"),
    "channels:account_register": ("LFFFFA", "LFFFFA"),  # account.manage
    # The network's redirect back: without this session's pending connect it answers 400
    # ("not started here") to everyone, before any other check, and changes nothing.
    "channels:account_callback": ("LAAAAA", "LMMMMM"),
    "channels:account_detail": ("LANAAA", "LMMMMM"),
    "channels:account_connect": ("LMMMMM", "LFNFFA"),
    "channels:account_disconnect": ("LMMMMM", "LFNFFA"),
    "channels:account_disable": ("LMMMMM", "LFNFFA"),
    "channels:account_check": ("LMMMMM", "LFNFFA"),
    # The conversation desk: like messages, each mission's for its officers, all for headquarters.
    "conversations:inbox": ("LAAAAA", "LMMMMM"),  # scoped list
    # Analytics: everyone with a role, over the missions they may see.
    "analytics:overview": ("LAAAAA", "LMMMMM"),  # scoped comparison
    "analytics:dialogue": ("LAAAAA", "LMMMMM"),  # scoped: officers see their missions
    "analytics:mission": ("LANAAA", "LMMMMM"),  # mission.view
    "analytics:message": ("LANAAA", "LMMMMM"),  # message.view
    "conversations:detail": ("LANAAA", "LMMMMM"),  # conversation.view
    "conversations:status": ("LMMMMM", "LANAAF"),  # conversation.handle: not administrators
    "conversations:assign": ("LMMMMM", "LANAAF"),
    "conversations:triage": ("LMMMMM", "LANAFF"),  # conversation.triage: officers and the press office
    # People under threat (issue 15 §7): the human-rights officer's alone; none of these six
    # roles is (tests/conversations/test_protected.py has that officer's column).
    "conversations:protected_queue": ("LFFFFF", "LMMMMM"),  # protected.view
    "conversations:protected_people": ("LFFFFF", "LFFFFF"),  # protected.people
    "conversations:protected_person_remove": ("LMMMMM", "LFFFFF"),
    "conversations:protected_reply_allow": ("LMMMMM", "LFNFFF"),  # protected.allow_reply
    "conversations:protected_release": ("LMMMMM", "LFNFFF"),  # protected.release
    "conversations:note": ("LMMMMM", "LANAAF"),  # conversation.note: those who handle it
    "conversations:presence": ("LMMMMM", "LANAAA"),  # conversation.presence: those who see it
    "conversations:inbox_changes": ("LAAAAA", "LMMMMM"),  # scoped count
    # Saved inbox views: each user's own; someone else's view is not found.
    "conversations:view_save": ("LMMMMM", "LAAAAA"),
    "conversations:view_delete": ("LMMMMM", "LANNNN"),
    # Replies (issue 15): written by whoever handles the conversation; cleared by another
    # officer of the mission or the press office (a level-1 reply by author A: four eyes,
    # so not the crisis unit); the queue for those who may clear. Hiding: as handling.
    "conversations:reply": ("LMMMMM", "LANAAF"),  # reply.write
    "conversations:reply_queue": ("LAAAAF", "LMMMMM"),  # reply.queue: scoped list
    "conversations:reply_clear": ("LMMMMM", "LANAFF"),  # reply.clear
    "conversations:reply_return": ("LMMMMM", "LANAFF"),
    "conversations:item_hide": ("LMMMMM", "LANAAF"),  # item.hide
    "conversations:item_remove": ("LMMMMM", "LANAAF"),  # item.remove (a proposal only)
    "conversations:moderation_confirm": ("LMMMMM", "LANAAF"),  # item.remove.confirm: never the proposer
    "conversations:moderation_dismiss": ("LMMMMM", "LANAAF"),
    # The answer library: the desk reads and proposes; the press office approves.
    "conversations:lines": ("LAAAAF", "LMMMMM"),  # line.view
    "conversations:line_create": ("LMMMMM", "LAAAAF"),  # line.propose
    "conversations:line_approve": ("LMMMMM", "LFFAFF"),  # line.approve (not a crisis line)
    "conversations:line_withdraw": ("LMMMMM", "LFFAFF"),
    # The networks' webhooks: public, but a subscription check without the network's token
    # and a POST without its signature are refused to everyone.
    "conversations:webhook_x": ("FFFFFF", "FFFFFF"),
    "conversations:webhook_facebook": ("FFFFFF", "FFFFFF"),
    # Triage's rules: everyone with a role reads them; the press office edits all, officers
    # their missions' own (the pack and the author here are mission A's); the press office
    # alone sets the service targets.
    "conversations:triage_rules": ("LAAAAA", "LMMMMM"),
    "conversations:pack_create": ("LAAAFF", "LAAAFF"),
    "conversations:pack_edit": ("LANAFF", "LANAFF"),
    "conversations:pack_delete": ("LMMMMM", "LANAFF"),
    "conversations:author_add": ("LMMMMM", "LAAAFF"),
    "conversations:author_remove": ("LMMMMM", "LANAFF"),
    "conversations:targets_save": ("LMMMMM", "LFFAFF"),
    # The audit log: administrators.
    "audit:log": ("LFFFFA", "LMMMMM"),  # audit.view
    # Logging in and out, the second factor (officers are sent on: they need none), one's password.
    "login": ("AAAAAA", "AAAAAA"),  # public
    "logout": ("LMMMMM", "LLLLLL"),  # POST only; then the login page
    "security:otp_verify": ("LAAAAA", "LAAAAA"),
    "security:otp_setup": ("LAAAAA", "LAAAAA"),
    "password_change": ("LAAAAA", "LAAAAA"),
    "password_change_done": ("LAAAAA", "LMMMMM"),
    "set_language": ("AAAAAA", "AAAAAA"),  # public: sets a cookie
    "healthz": ("AAAAAA", "MMMMMM"),  # public: counts and ages only
    # The API (api/): the same policy as the pages, through the same selectors and services.
    # Anonymous callers get 401 (L); officer B gets 404 for mission A's objects; POSTs carry
    # valid JSON (urlconf.DATA_FOR), so "A" is the service's yes. An unknown method is 405
    # before the object is looked up.
    "api:schema": ("AAAAAA", "MMMMMM"),  # public: the OpenAPI document
    "api:docs": ("AAAAAA", "MMMMMM"),
    "api:me": ("LAAAAA", "LMMMMM"),
    "api:mission_list": ("LAAAAA", "LMMMMM"),  # scoped list
    "api:mission_detail": ("LANAAA", "LMMMMM"),
    "api:account_list": ("LAAAAA", "LMMMMM"),
    "api:account_detail": ("LANAAA", "LMMMMM"),
    "api:message_list": ("LAAAAA", "LAAFFF"),  # POST: message.create (officer B: not their mission, 422)
    "api:message_detail": ("LANAAA", "LMMMMM"),  # PATCH: tests/api
    "api:message_history": ("LANAAA", "LMMMMM"),
    "api:message_reviews": ("LANAAA", "LMMMMM"),
    "api:message_submit": ("LMMMMM", "LANFFF"),
    "api:message_approve": ("LMMMMM", "LFNAFF"),
    "api:message_request_changes": ("LMMMMM", "LFNAFF"),
    "api:message_reject": ("LMMMMM", "LFNAFF"),
    "api:delivery_list": ("LAAAAA", "LMMMMM"),
    "api:delivery_detail": ("LANAAA", "LMMMMM"),
    "api:delivery_retry": ("LMMMMM", "LFNAFF"),
    "api:delivery_settle": ("LMMMMM", "LFNAFF"),
    "api:crisis_list": ("LAAAAA", "LFFFAF"),  # POST: crisis.create
    "api:crisis_detail": ("LNNAAA", "LMMMMM"),  # an alert in review: officers never see it
    "api:crisis_submit": ("LMMMMM", "LNNFAF"),
    "api:crisis_approve": ("LMMMMM", "LNNAAF"),
    "api:item_list": ("LAAAAA", "LMMMMM"),
    "api:item_detail": ("LANAAA", "LMMMMM"),
    # The conversation desk in the API: as its pages (conversations:detail, reply, reply_clear).
    "api:conversation_list": ("LAAAAA", "LMMMMM"),  # scoped list
    "api:conversation_detail": ("LANAAA", "LMMMMM"),
    "api:conversation_items": ("LANAAA", "LMMMMM"),
    "api:conversation_replies": ("LANAAA", "LANAAF"),  # POST: reply.write
    "api:reply_detail": ("LANAAA", "LMMMMM"),
    "api:reply_clear": ("LMMMMM", "LANAFF"),  # reply.clear: not its writer, not the crisis unit here
    "api:reply_return": ("LMMMMM", "LANAFF"),
    # Atom feeds: public, what has gone out only.
    "feeds:mission": ("AAAAAA", "MMMMMM"),
    "feeds:crisis": ("AAAAAA", "MMMMMM"),
    # Tokens and webhooks: administrators (integration.manage).
    "integrations:token_list": ("LFFFFA", "LMMMMM"),
    "integrations:token_create": ("LFFFFA", "LFFFFA"),
    "integrations:token_revoke": ("LFFFFA", "LFFFFA"),
    "integrations:webhook_list": ("LFFFFA", "LMMMMM"),
    "integrations:webhook_create": ("LFFFFA", "LFFFFA"),
    "integrations:webhook_detail": ("LFFFFA", "LMMMMM"),
    "integrations:webhook_enable": ("LMMMMM", "LFFFFA"),
    "integrations:webhook_disable": ("LMMMMM", "LFFFFA"),
    "integrations:host_allow": ("LMMMMM", "LFFFFA"),
    "integrations:host_forbid": ("LMMMMM", "LFFFFA"),
}

# URL arguments that name one of mission A's objects: officer B must not learn it exists.
MISSION_OBJECT_ARGUMENTS = {
    *("pk", "message_id", "attachment_id", "delivery_id", "account_id", "code", "conversation_id"),
    *("pack_id", "author_id", "reply_id", "item_id"),
}

ROUTES = routes()
APP_ROUTES = [route for route in ROUTES if not route.is_admin()]
ADMIN_ROUTES = [route for route in ROUTES if route.is_admin()]


def _logged_in(world) -> dict[str, SimpleCookie]:
    """Each role's session cookie, from one login per role made outside the requests'
    rolled-back transactions: the session is in the database as the login left it for
    every request (what a request changes in it, a logout too, is rolled back with it)."""
    return {role: world.client(role).cookies for role in ROLES}


def _observe(route: Route, world, cookies: dict[str, SimpleCookie]) -> tuple[str, str]:
    path, data = url_for(route, world), data_for(route, world)
    observed = []
    for method in ("get", "post"):
        letters = ""
        for role in ROLES:
            # A new client each time, with only the role's session cookie.
            client = Client()
            client.cookies = copy.deepcopy(cookies[role])
            with transaction.atomic():
                extra = post_kwargs(route) if method == "post" else {}
                letters += outcome(getattr(client, method)(path, data, **extra))
                transaction.set_rollback(True)
        observed.append(letters)
    return observed[0], observed[1]


def test_every_url_has_a_row_in_the_matrix():
    missing = [route for route in APP_ROUTES if route.name not in EXPECTED]
    assert not missing, (
        "These URLs are not in the access matrix. Add a row to EXPECTED in "
        "tests/security/test_access_matrix.py for each, saying what each role gets on GET and POST "
        "as the policy says (diplomacy_hub/policy.py), and make sure the view asks the policy:\n"
        + "\n".join(f'    "{route.name}": ("L?????", "L?????"),  # /{route.route}' for route in missing)
    )


def test_every_row_of_the_matrix_is_a_url():
    """A stale row hides nothing, but says something false."""
    names = {route.name for route in APP_ROUTES}
    assert not sorted(set(EXPECTED) - names), "Remove these rows: no such URL any more."
    for name, (get, post) in EXPECTED.items():
        assert len(get) == len(post) == len(ROLES), name
        assert set(get + post) <= set(OUTCOMES), name


def test_every_url_answers_each_role_as_the_policy_says(world):
    problems, cookies = [], _logged_in(world)
    for route in APP_ROUTES:
        if route.name not in EXPECTED:
            continue  # reported by the test above
        expected = EXPECTED[route.name]
        observed = _observe(route, world, cookies)
        if observed != expected:
            problems.append(f"{route.name:32} /{route.route:42} expected {expected}, got {observed}")
    assert not problems, (
        "Roles: "
        + ", ".join(ROLES)
        + ". Letters: A allowed, L log in, F 403, N 404, M 405, E 500.\n"
        + "\n".join(problems)
    )


@pytest.mark.parametrize(
    ("name", "state"),
    [
        ("posts:message_approve", "scheduled"),
        ("posts:message_request_changes", "changes_requested"),
        ("posts:message_reject", "rejected"),
    ],
)
def test_the_decisions_form_is_valid_so_the_press_office_decides(world, name, state):
    """The matrix's "A" for the press office on a decision is the decision itself (a
    redirect, the message moved on), not a form refused with 400."""
    route = next(route for route in APP_ROUTES if route.name == name)
    with transaction.atomic():
        response = world.client("press").post(url_for(route, world), data_for(route, world))
        assert response.status_code == 302, response.status_code
        world.message_a.refresh_from_db()
        assert world.message_a.state == state
        transaction.set_rollback(True)


def test_another_missions_objects_are_not_found_never_forbidden():
    """Built from the matrix itself, so that it cannot drift from it: officer B's column."""
    leaking = [
        name
        for name, (get, post) in EXPECTED.items()
        if set(next(r for r in APP_ROUTES if r.name == name).arguments) & MISSION_OBJECT_ARGUMENTS
        and "F" in (get[2], post[2])
    ]
    assert not leaking, f"Officer B learns that mission A's object exists (403, not 404): {leaking}"


def test_the_django_admin_is_for_verified_administrators_only(world):
    """Every admin URL: anonymous visitors and non-staff users are sent to log in (or, signed
    in, refused); the administrator is let in, then each model admin decides (403 for what
    it may not do). Nobody gets a server error."""
    problems, cookies = [], _logged_in(world)
    for route in ADMIN_ROUTES:
        get, post = _observe(route, world, cookies)
        for method, letters in (("GET", get), ("POST", post)):
            anonymous, *others, administrator = letters
            if anonymous != "L":
                problems.append(f"{route.name} {method}: anonymous got {anonymous}")
            allowed_others = {"L", "F"} | ({"A"} if route.name == "admin:logout" else set())
            if set(others) - allowed_others:
                problems.append(f"{route.name} {method}: a non-administrator got {''.join(others)}")
            if administrator in {"E", "2"} or (administrator == "L" and route.name != "admin:logout"):
                problems.append(f"{route.name} {method}: the administrator got {administrator}")
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("role", ["press", "crisis", "admin"])
def test_a_privileged_user_without_the_second_factor_reaches_no_page(world, role, client):
    """Password only (force_login, no code): every page but the code pages, logging out and
    the public ones sends them to the second factor (S20)."""
    client.force_login(world.users[role])
    open_ones = {"login", "logout", "set_language", "healthz", "security:otp_verify", "security:otp_setup"}
    # Public, and to someone logged in they only say "log out first".
    open_ones |= {"invitation:open", "invitation:accept"}
    # Public for the networks: a signature or a token, not a session, lets them in.
    open_ones |= {"conversations:webhook_x", "conversations:webhook_facebook"}
    # Public: the API's description, and the Atom feeds of what has gone out.
    open_ones |= {"api:schema", "api:docs", "feeds:mission", "feeds:crisis"}
    reached = []
    for route in ROUTES:
        if route.name in open_ones:
            continue
        response = client.get(url_for(route, world), data_for(route, world))
        # The API asks for credentials (401) instead of sending a browser to the code page:
        # the session does not count there until its second factor is verified.
        refused = {"L"} if route.name.startswith("api:") else {"2", "M"}
        if outcome(response) not in refused:
            reached.append(f"{route.name}: {response.status_code}")
    assert not reached, f"Reached without the second factor: {reached}"
