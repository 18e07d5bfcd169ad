"""The URLconf, enumerated, with real objects in the URLs' arguments; and a request's
outcome in one letter. Shared by the access matrix, the CSP and CSRF sweeps and the
Hypothesis form tests."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone

from api.models import AllowedHost, ApiToken, WebhookEndpoint
from channels.adapters.listening import HeardItem, ItemKind
from channels.models import Network
from conversations.models import (
    AnswerLine,
    Item,
    KeywordPack,
    KnownAuthor,
    ModerationAction,
    ProtectedPerson,
    RawEvent,
    Reply,
    SavedView,
)
from conversations.services.ingest import items_ingest
from conversations.services.moderation import item_propose_removal
from conversations.services.replies import ReplyDraft, reply_write
from embassies.roles import Role
from security.models import Invitation
from tests.posts.factories import account

# What a response means for access, in one letter:
#   A  allowed: the view ran for this user (a page, a form with errors, a redirect elsewhere)
#   L  sent to log in (anonymous, or the Django admin's own login for a non-staff user), or
#      the API's 401 (it asks for credentials instead of redirecting)
#   F  forbidden (403)          N  not found (404): another mission's object, or no such object
#   M  method not allowed (405) 2  sent to the second-factor page (never expected: users here are verified)
#   E  server error (500)
OUTCOMES = "ALFNM2E"


@dataclass(frozen=True)
class Route:
    name: str  # "namespace:name", or "admin:<unnamed>/<route>" for the admin's unnamed routes
    route: str  # the pattern, with converters: "messages/<int:pk>/"
    arguments: tuple[str, ...]  # the converters' names, in order
    view: Any

    def is_admin(self) -> bool:
        return self.name.startswith("admin:")


def _walk(patterns, prefix: str = "", namespace: str = ""):
    for entry in patterns:
        route = prefix + str(entry.pattern)
        if isinstance(entry, URLResolver):
            inner = f"{namespace}:{entry.namespace}".strip(":") if entry.namespace else namespace
            yield from _walk(entry.url_patterns, route, inner)
        elif isinstance(entry, URLPattern):
            if entry.name:
                name = f"{namespace}:{entry.name}".strip(":")
            else:
                name = f"{namespace or 'unnamed'}:<unnamed>/{route}"
            arguments = tuple(re.findall(r"<(?:[^>:]+:)?([^>]+)>", route)) or tuple(entry.pattern.regex.groupindex)
            yield Route(name=name, route=route, arguments=arguments, view=entry.callback)


def routes() -> list[Route]:
    """Every URL pattern of the URLconf, once each."""
    seen: dict[str, Route] = {}
    for route in _walk(get_resolver().url_patterns):
        seen.setdefault(route.name, route)
    return list(seen.values())


def _admin_sample(route: Route, world) -> str:
    """A concrete path for an admin route: object ids are mission A's message (the pk of
    any row is fine: the admin answers by its own permissions)."""
    path = route.route
    path = re.sub(r"\^|\$|\\Z", "", path)
    path = re.sub(r"\(\?P<app_label>[^)]*\)", "posts", path)
    path = re.sub(r"<path:object_id>|<object_id>|\(\?P<object_id>[^)]*\)", str(world.message_a.pk), path)
    path = re.sub(r"<int:content_type_id>|<path:content_type_id>", "1", path)
    path = re.sub(r"<path:url>", "nowhere/", path)
    path = re.sub(r"<[^>]+>", "1", path)
    return "/" + path.replace("\\", "")


def url_for(route: Route, world) -> str:
    """The route's path, filled with objects of mission A (or the object the view is about)."""
    if route.is_admin():
        return _admin_sample(route, world)
    kwargs = {}
    for argument in route.arguments:
        kwargs[argument] = _argument(route.name, argument, world)
    return reverse(route.name, kwargs=kwargs)


# Which object fills which argument, by URL name where the default would be the wrong kind.
OBJECT_FOR = {
    ("posts:crisis_board", "pk"): lambda w: w.alert.pk,
    ("posts:crisis_approve", "pk"): lambda w: w.alert.pk,
    ("posts:monitor", "pk"): lambda w: w.approved_a.pk,
    ("posts:monitor_retry_failed", "pk"): lambda w: w.approved_a.pk,
    ("posts:monitor_cancel", "pk"): lambda w: w.approved_a.pk,
    ("posts:monitor_retract", "pk"): lambda w: w.approved_a.pk,
    ("posts:monitor_release", "pk"): lambda w: w.approved_a.pk,
    ("posts:attachment_file", "pk"): lambda w: w.message_a.pk,
    # The API's objects, by kind: mission A's, and the crisis alert.
    ("api:mission_detail", "pk"): lambda w: w.mission_a.pk,
    ("api:account_detail", "pk"): lambda w: w.account_a.pk,
    ("api:delivery_detail", "pk"): lambda w: w.delivery_a.pk,
    ("api:delivery_retry", "pk"): lambda w: w.delivery_a.pk,
    ("api:delivery_settle", "pk"): lambda w: w.delivery_a.pk,
    ("api:crisis_detail", "pk"): lambda w: w.alert.pk,
    ("api:crisis_submit", "pk"): lambda w: w.alert.pk,
    ("api:crisis_approve", "pk"): lambda w: w.alert.pk,
    ("api:item_detail", "pk"): lambda w: Item.objects.filter(conversation=w.conversation_a).first().pk,
}
DEFAULT_OBJECT = {
    "pk": lambda w: w.message_a.pk,
    "message_id": lambda w: w.message_a.pk,
    "attachment_id": lambda w: w.attachment_a.pk,
    "delivery_id": lambda w: w.delivery_a.pk,
    "pause_id": lambda w: w.pause.pk,
    "desk_id": lambda w: w.desk.pk,
    "occasion_id": lambda w: w.occasion_a.pk,
    "account_id": lambda w: w.account_a.pk,
    "code": lambda w: w.mission_a.code,
    "network": lambda w: "twitter",
    "user_id": lambda w: w.users["officer_a"].pk,
    "conversation_id": lambda w: w.conversation_a.pk,
    "invitation_id": lambda w: _pending_invitation(w).pk,
    "item_id": lambda w: w.conversation_a.items.order_by("pk").first().pk,
    "reply_id": lambda w: _reply_awaiting_clearance(w).pk,
    "action_id": lambda w: _removal_proposed(w).pk,
    "line_id": lambda w: _proposed_line(w).pk,
    "view_id": lambda w: _saved_view(w).pk,
    "pack_id": lambda w: _keyword_pack_a(w).pk,
    "author_id": lambda w: _known_author_a(w).pk,
    # A name on the protected list (issue 15 §7): nobody but the human-rights officer's.
    "person_id": lambda w: ProtectedPerson.objects.get_or_create(name="Jane Doe")[0].pk,
    "token": lambda w: "no-such-invitation-token",
    "language": lambda w: "fr",
    "kind": lambda w: "person",
    "token_id": lambda w: _api_token(w).pk,
    "endpoint_id": lambda w: _webhook_endpoint(w).pk,
    "host_id": lambda w: _allowed_host(w).pk,
}


def _api_token(world) -> ApiToken:
    """A token of officer A, made by the administrator (its secret is not needed here)."""
    token, _created = ApiToken.objects.get_or_create(
        prefix="matrix0token",
        defaults={
            "name": "Matrix",
            "kind": ApiToken.Kind.PERSON,
            "user": world.users["officer_a"],
            "digest": "0" * 64,
            "created_by": world.users["admin"],
        },
    )
    return token


def _webhook_endpoint(world) -> WebhookEndpoint:
    endpoint, _created = WebhookEndpoint.objects.get_or_create(
        name="Matrix endpoint",
        defaults={
            "url": "https://hooks.example.org/in",
            "events": ["message.approved"],
            "created_by": world.users["admin"],
        },
    )
    return endpoint


def _allowed_host(world) -> AllowedHost:
    host, _created = AllowedHost.objects.get_or_create(
        host="receiver.internal", defaults={"reason": "Matrix", "created_by": world.users["admin"]}
    )
    return host


def _pending_invitation(world) -> Invitation:
    """A pending invitation of an officer of mission A, sent by the administrator."""
    invitation, _created = Invitation.objects.get_or_create(
        username="invited-a",
        defaults={
            "email": "invited-a@example.org",
            "first_name": "Invited",
            "last_name": "Officer",
            "role": Role.OFFICER,
            "invited_by": world.users["admin"],
            "expires_at": timezone.now() + timedelta(hours=72),
        },
    )
    invitation.missions.add(world.mission_a)
    return invitation


def _reply_awaiting_clearance(world) -> Reply:
    """Free text by author A to the heard comment: level 1, four eyes."""
    existing = Reply.objects.filter(idempotency_key="matrix-reply-a").first()
    if existing is not None:
        return existing
    item = world.conversation_a.items.order_by("pk").first()
    return reply_write(
        actor=world.users["author_a"],
        conversation_id=world.conversation_a.pk,
        draft=ReplyDraft(item_id=item.pk, text="The consulate opens at nine.", idempotency_key="matrix-reply-a"),
    )


def _removal_proposed(world) -> ModerationAction:
    """Author A proposes deleting a comment under mission A's Facebook post: four eyes."""
    existing = ModerationAction.objects.filter(item__external_id="heard-a-fb").first()
    if existing is not None:
        return existing
    page = account(world.mission_a, Network.FACEBOOK)
    said = HeardItem(
        network=Network.FACEBOOK,
        external_id="heard-a-fb",
        kind=ItemKind.COMMENT,
        thread_id="thread-a-fb",
        author_id="public-2",
        author_name="A member of the public",
        text="Cheap visas here, write to me",
        created_at=timezone.now(),
        url="https://facebook.com/heard-a-fb",
    )
    items_ingest(account=page, items=[said], source=RawEvent.Source.POLL)
    item = Item.objects.get(external_id="heard-a-fb")
    return item_propose_removal(actor=world.users["author_a"], item_id=item.pk, reason="spam")


def _proposed_line(world) -> AnswerLine:
    """A line proposed by officer A, for headquarters to approve."""
    line, _created = AnswerLine.objects.get_or_create(
        topic="opening-hours",
        language="en",
        version=1,
        defaults={
            "title": "Opening hours",
            "category": "consular",
            "text": "The consulate opens at nine.",
            "mission": world.mission_a,
            "written_by": world.users["officer_a"],
        },
    )
    return line


def _saved_view(world):
    """Officer A's saved inbox view: theirs alone to delete."""
    view, _created = SavedView.objects.get_or_create(
        owner=world.users["officer_a"], name="Mission A, new", defaults={"filters": {"status": "new"}}
    )
    return view


def _keyword_pack_a(world) -> KeywordPack:
    """A keyword pack of mission A's own (officer B must not learn it exists)."""
    pack, _created = KeywordPack.objects.get_or_create(
        name="Mission A's pack",
        mission=world.mission_a,
        defaults={"language": "ja", "category": "consular", "priority": 3, "terms": "ビザ"},
    )
    return pack


def _known_author_a(world) -> KnownAuthor:
    author, _created = KnownAuthor.objects.get_or_create(
        network="twitter", key="tokyo-reporter", mission=world.mission_a, defaults={"kind": "journalist"}
    )
    return author


def _version(message) -> int:
    """The message's version as the database holds it now (the page would show it)."""
    return type(message).objects.values_list("version", flat=True).get(pk=message.pk)


# Query (GET) or form (POST) data that a view needs to get past "which object?" to the
# access check (without it, they answer 404 to everyone). The decisions and the comment
# carry a valid form, so that "A" means the decision or the comment went through, and a
# refusal can only come from the access check (an empty form would answer 400, "A", to
# everyone the view lets in, whatever the service would have said).
DATA_FOR = {
    "conversations:inbox_changes": lambda w: {"since": "1"},
    "posts:message_autosave": lambda w: {"message": w.message_a.pk},
    "posts:message_preview": lambda w: {"message": w.message_a.pk},
    "posts:time_in_hq": lambda w: {"mission": w.mission_a.pk},
    "embassies:membership_remove": lambda w: {"mission": w.mission_a.code},
    "posts:message_approve": lambda w: {"version": _version(w.message_a), "when": "now", "comment": "Fine for me."},
    "posts:message_request_changes": lambda w: {
        "changes-version": _version(w.message_a),
        "changes-comment": "Shorter, please.",
    },
    "posts:message_reject": lambda w: {
        "reject-version": _version(w.message_a),
        "reject-comment": "Not for this account.",
    },
    "posts:comment_add": lambda w: {"body": "One question about the photo."},
    # The API's writes, as JSON (post_kwargs): valid bodies, so that a refusal comes from access.
    "api:message_list": lambda w: {
        "mission": w.mission_a.pk,
        "title": "From the API",
        "texts": [{"language": "fr", "body": "Bonjour."}],
        "target_ids": [w.account_a.pk],
    },
    "api:message_submit": lambda w: {"version": _version(w.message_a)},
    "api:message_approve": lambda w: {"version": _version(w.message_a), "comment": "Fine for me."},
    "api:message_request_changes": lambda w: {"version": _version(w.message_a), "comment": "Shorter, please."},
    "api:message_reject": lambda w: {"version": _version(w.message_a), "comment": "Not for this account."},
    "api:delivery_settle": lambda w: {"outcome": "sent"},
    "api:crisis_list": lambda w: {
        "title": "Storm",
        "texts": {"fr": "Restez chez vous."},
        "scope": {"countries": ["JP"]},
    },
    "api:crisis_submit": lambda w: {"version": _version(w.alert)},
    "api:crisis_approve": lambda w: {"version": _version(w.alert)},
    "api:conversation_replies": lambda w: {
        "item": w.conversation_a.items.order_by("pk").first().pk,
        "text": "The consulate opens at nine.",
        "idempotency_key": "matrix-api-reply",
    },
    "api:reply_clear": lambda w: {"note": "Fine."},
    "api:reply_return": lambda w: {"note": "Say which consulate."},
}


def post_kwargs(route: Route) -> dict:
    """The API takes JSON bodies (a form would get 415 from everyone the view lets in)."""
    return {"content_type": "application/json"} if route.name.startswith("api:") else {}


def data_for(route: Route, world) -> dict:
    maker = DATA_FOR.get(route.name)
    return maker(world) if maker else {}


class UnknownArgument(LookupError):
    pass


def _argument(name: str, argument: str, world):
    maker = OBJECT_FOR.get((name, argument)) or DEFAULT_OBJECT.get(argument)
    if maker is None:
        raise UnknownArgument(
            f"{name}: no object for its URL argument <{argument}>. Add one to tests/security/urlconf.py "
            "(OBJECT_FOR for this URL, or DEFAULT_OBJECT for every URL with that argument)."
        )
    return maker(world)


def outcome(response) -> str:
    """The response in one letter (see OUTCOMES)."""
    from django.conf import settings
    from django.shortcuts import resolve_url

    status = response.status_code
    if status == 500:
        return "E"  # 502, 503 are answers by design (a network's error; /healthz when red)
    location = response.get("Location") or response.get("HX-Redirect") or ""
    if location:
        if location.startswith(reverse("security:otp_verify")):
            return "2"
        if location.startswith((resolve_url(settings.LOGIN_URL), reverse("admin:login"))):
            return "L"
    return {401: "L", 403: "F", 404: "N", 405: "M"}.get(status, "A")
