"""Facebook Graph API as facebook-sdk 3.1 calls it (prefix `facebook`, any /vNN.N/).

Page posts, photos (published, or unpublished then attached to a post), videos, deletes,
reads with `fields=`, the Page's published posts, the Login dialog and token exchanges.
Errors are Graph's `{"error": {message, type, code, error_subcode, fbtrace_id}}`, always
with a JSON Content-Type (facebook-sdk reads the body only then).

A Page token is `sbx.facebook.<page id>.<anything>`; the Login dialog's user token is
tagged `sbx.facebook.<page id>.user-…`: in the sandbox, the person who logs in manages
exactly the one Page chosen on the consent page.
"""

from __future__ import annotations

import base64
import json
import math
import secrets
from datetime import UTC, datetime
from typing import Any

from channels.sandbox import metrics, public, tokens
from channels.sandbox.consent import consent_page, require_redirect_uri
from channels.sandbox.http import (
    Call,
    NetworkSpec,
    Reply,
    Request,
    Response,
    Router,
    json_response,
    sniff_mime,
)
from channels.sandbox.oauth2 import answer_consent, redeem_code
from channels.sandbox.state import Item, Media, SandboxState

NETWORK = "facebook"
USER_TAG = "user"
PAGE_TAG = "page"
LONG_LIVED_SECONDS = 5_183_944  # about 60 days, as Graph answers
V = r"(?:/v\d+(?:\.\d+)?)?"  # the optional version segment: /v24.0
NODE = r"(?P<node>[\w.-]+)"

router = Router()


# --- Error bodies -------------------------------------------------------------------------


def graph_error(
    status: int,
    message: str,
    code: int,
    *,
    subcode: int | None = None,
    type_: str = "OAuthException",
    transient: bool = False,
    headers: dict[str, str] | None = None,
    **extra: Any,
) -> Response:
    error: dict[str, Any] = {"message": message, "type": type_, "code": code}
    if subcode is not None:
        error["error_subcode"] = subcode
    if transient:
        error["is_transient"] = True
    error |= extra
    error["fbtrace_id"] = secrets.token_urlsafe(8)
    return json_response(status, {"error": error}, headers)


def missing_object(node: str, verb: str = "get") -> Response:
    return graph_error(
        400,
        f"Unsupported {verb} request. Object with ID '{node}' does not exist, cannot be "
        "loaded due to missing permissions, or does not support this operation. Please "
        "read the Graph API documentation at https://developers.facebook.com/docs/graph-api",
        100,
        subcode=33,
        type_="GraphMethodException",
    )


def rate_limited(request: Request, reset_seconds: float) -> Response:
    """Meta throttles with HTTP 400 and code 32 (Page) or 4 (app); the usage headers say
    when calls are allowed again, in minutes."""
    minutes = max(1, math.ceil(reset_seconds / 60))
    usage = {"call_count": 100, "total_cputime": 100, "total_time": 100}
    headers = {"x-app-usage": json.dumps(usage)}
    page = account_of(request, None)
    if page is None:
        return graph_error(400, "(#4) Application request limit reached", 4, transient=True, headers=headers)
    headers["x-business-use-case-usage"] = json.dumps(
        {page: [usage | {"type": "pages", "estimated_time_to_regain_access": minutes}]}
    )
    return graph_error(400, "(#32) Page request limit reached", 32, transient=True, headers=headers)


def server_error(request: Request) -> Response:
    return graph_error(500, "An unexpected error has occurred. Please retry your request later.", 2, transient=True)


def unknown_path(request: Request) -> Response:
    return graph_error(400, f"Unsupported {request.method.lower()} request.", 100, type_="GraphMethodException")


# --- Tokens ---------------------------------------------------------------------------------


def _raw_token(request: Request) -> str:
    return request.arg("access_token") or request.bearer_token()


def account_of(request: Request, state: SandboxState | None) -> str | None:
    """The Page (or user) whose token the call carries; for debug_token, the inspected
    token's; for a code exchange, the code's."""
    raw = request.arg("input_token") if request.path.endswith("/debug_token") else _raw_token(request)
    account = tokens.account_of(raw or request.arg("fb_exchange_token"), NETWORK)
    if account is None and state is not None and request.arg("code"):
        grant = state.grant(request.arg("code"))
        return grant.account if grant else None
    return account


def _is_user_token(token: tokens.Token) -> bool:
    return token.tail.startswith(USER_TAG + "-")


def authenticate(call: Call) -> tokens.Token:
    raw = _raw_token(call.request)
    if not raw:
        raise Reply(
            graph_error(400, "An active access token must be used to query information about the current user.", 2500)
        )
    token = tokens.parse(raw)
    if token is None or token.network != NETWORK or token.kind != tokens.ACCESS:
        raise Reply(graph_error(400, "Invalid OAuth access token - Cannot parse access token", 190))
    if call.fault.revoked or not call.state.token_valid(raw):
        raise Reply(
            graph_error(
                400,
                "Error validating access token: The session has been invalidated because "
                "the user changed their password or Facebook has changed the session for "
                "security reasons.",
                190,
                subcode=460,
            )
        )
    return token


def _page_for_posting(call: Call) -> str:
    """The Page a publishing call targets, which its token must manage (a Page token)."""
    token = authenticate(call)
    node = call.params["node"]
    page = token.account if node == "me" else node
    if page != token.account or _is_user_token(token):
        raise Reply(
            graph_error(
                403,
                "(#200) If posting to a page, requires both pages_read_engagement and "
                "pages_manage_posts as an admin with sufficient administrative permission",
                200,
            )
        )
    return page


# --- Publishing -----------------------------------------------------------------------------


def _check_not_duplicate(call: Call, page: str, message: str) -> None:
    if message and call.state.has_live_text(NETWORK, page, message):
        call.state.refuse_duplicate(NETWORK, page, message)
        raise Reply(
            graph_error(
                400,
                "(#506) Duplicate status message",
                506,
                subcode=1455006,
                error_user_title="Duplicate Status Update",
                error_user_msg="This status update is identical to the last one you posted. Try posting "
                "something different, or delete your previous update.",
            )
        )


def _attached_media(call: Call, page: str) -> list[Media]:
    """`attached_media=[{"media_fbid": "…"}]`: unpublished photos of this Page."""
    raw = call.request.arg("attached_media")
    if not raw:
        return []
    try:
        wanted = [str(entry["media_fbid"]) for entry in json.loads(raw)]
    except (ValueError, TypeError, KeyError):
        raise Reply(
            graph_error(400, "(#100) param attached_media must be an array of objects with a media_fbid", 100)
        ) from None
    found = []
    for index, media_id in enumerate(wanted):
        media = call.state.get_media(media_id)
        if media is None or media.account != page or media.attached:
            raise Reply(graph_error(400, f"(#100) param attached_media[{index}] must be a valid media id", 100))
        found.append(media)
    return found


@router.route("POST", V + r"/" + NODE + r"/feed")
def create_post(call: Call) -> Response:
    page = _page_for_posting(call)
    message, link = call.request.arg("message"), call.request.arg("link")
    media = _attached_media(call, page)
    if not (message or link or media):
        raise Reply(graph_error(400, "(#100) Missing message or attachment", 100))
    with call.state.lock:
        _check_not_duplicate(call, page, message)
        item = call.state.add_item(
            Item(
                NETWORK,
                page,
                f"{page}_{call.state.snowflake()}",
                "post",
                message,
                media=media,
                details={"link": link} if link else {},
            )
        )
    return json_response(200, {"id": item.id})


def _uploaded_source(call: Call, kind: str) -> tuple[bytes, str]:
    source = call.request.files.get("source")
    if source is None or not source.data:
        raise Reply(graph_error(400, "(#324) Requires upload file", 324))
    mime = sniff_mime(source.data, source.content_type)
    if not mime.startswith(kind + "/"):
        raise Reply(graph_error(400, f"(#100) The uploaded file is not a valid {kind}", 100))
    return source.data, mime


@router.route("POST", V + r"/" + NODE + r"/photos")
def create_photo(call: Call) -> Response:
    """A published photo is a post of its own; `published=false` keeps it for a later
    post's attached_media."""
    page = _page_for_posting(call)
    data, mime = _uploaded_source(call, "image")
    caption = call.request.arg("message") or call.request.arg("caption")
    photo = call.state.add_media(Media(call.state.snowflake(), NETWORK, page, mime, len(data)), data)
    if call.request.arg("published", "true").lower() == "false":
        return json_response(200, {"id": photo.id})
    with call.state.lock:
        _check_not_duplicate(call, page, caption)
        item = call.state.add_item(
            Item(
                NETWORK,
                page,
                f"{page}_{call.state.snowflake()}",
                "photo",
                caption,
                media=[photo],
            ),
            aliases=(photo.id,),  # deleting or reading the photo reaches its post
        )
    return json_response(200, {"id": photo.id, "post_id": item.id})


@router.route("POST", V + r"/" + NODE + r"/videos")
def create_video(call: Call) -> Response:
    page = _page_for_posting(call)
    data, mime = _uploaded_source(call, "video")
    video = Media(call.state.snowflake(), NETWORK, page, mime, len(data))
    call.state.add_media(video, data)
    call.state.add_item(
        Item(
            NETWORK,
            page,
            video.id,
            "video",
            call.request.arg("description"),
            title=call.request.arg("title"),
            media=[video],
        )
    )
    return json_response(200, {"id": video.id})


@router.route("DELETE", V + r"/" + NODE)
def delete_object(call: Call) -> Response:
    token = authenticate(call)
    item = call.state.item(NETWORK, call.params["node"])
    if item is None or item.deleted or item.account != token.account:
        raise Reply(missing_object(call.params["node"], "delete"))
    call.state.mark_deleted(item)
    return json_response(200, {"success": True})


# --- Reading ------------------------------------------------------------------------------------


def requested_fields(request: Request, default: tuple[str, ...]) -> set[str]:
    """Top-level names of `fields=` ("reactions.summary(total_count),shares" ->
    {"reactions", "shares"}): commas inside () or {} belong to modifiers."""
    raw = request.arg("fields")
    if not raw:
        return set(default)
    names, depth, current = set(), 0, ""
    for char in raw + ",":
        if char in "({":
            depth += 1
        elif char in ")}":
            depth -= 1
        if char == "," and depth == 0:
            names.add(current.strip().split(".")[0].split("{")[0].split("(")[0])
            current = ""
        else:
            current += char
    return names - {""}


def _time(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S+0000")


def page_json(call: Call, page: str, fields: set[str]) -> dict[str, Any]:
    account = call.state.account(NETWORK, page)
    followers = metrics.followers(NETWORK, page)
    known = {
        "name": account.name,
        "username": account.handle,
        "followers_count": followers,
        "fan_count": followers * 9 // 10,
        "link": f"https://www.facebook.com/{page}",
        "category": "Government organization",
    }
    return {"id": page} | {name: value for name, value in known.items() if name in fields}


def post_json(item: Item, fields: set[str]) -> dict[str, Any]:
    e = metrics.engagement(item)
    known: dict[str, Any] = {
        "message": item.text or None,
        "created_time": _time(item.created_at),
        "permalink_url": f"https://www.facebook.com/{item.id.replace('_', '/posts/')}",
        "reactions": {"data": [], "summary": {"total_count": e.likes, "viewer_reaction": "NONE"}},
        "comments": {
            "data": [],
            "summary": {"order": "ranked", "total_count": e.comments, "can_comment": True},
        },
        # Graph leaves `shares` out until a post has been shared.
        "shares": {"count": e.shares} if e.shares else None,
    }
    return {"id": item.id} | {name: value for name, value in known.items() if name in fields and value is not None}


@router.route("GET", V + r"/me/accounts")
def my_pages(call: Call) -> Response:
    token = authenticate(call)
    account = call.state.account(NETWORK, token.account)
    page_token = tokens.issue(NETWORK, token.account, tag=PAGE_TAG)
    call.state.issued(page_token)
    page = {
        "access_token": page_token,
        "category": "Government organization",
        "category_list": [{"id": "2235", "name": "Government organization"}],
        "name": account.name,
        "id": account.id,
        "tasks": ["ADVERTISE", "ANALYZE", "CREATE_CONTENT", "MESSAGING", "MODERATE", "MANAGE"],
    }
    return json_response(200, {"data": [page], "paging": {"cursors": {"before": "QVFI", "after": "QVFI"}}})


@router.route("GET", V + r"/" + NODE + r"/(?:published_posts|posts)")
def published_posts(call: Call) -> Response:
    """The Page's posts, newest first (what reconciliation looks through)."""
    token = authenticate(call)
    page = token.account if call.params["node"] == "me" else call.params["node"]
    try:
        limit = min(int(call.request.arg("limit") or 25), 100)
        since = datetime.fromtimestamp(int(call.request.arg("since") or 0), UTC)
    except ValueError:
        raise Reply(graph_error(400, "(#100) limit and since must be integers", 100)) from None
    fields = requested_fields(call.request, ("message", "created_time"))
    posts = [
        post_json(item, fields)
        for item in reversed(call.state.items_of(NETWORK, page))
        if not item.deleted and item.created_at >= since
    ][:limit]
    return json_response(
        200, {"data": posts} | ({"paging": {"cursors": {"before": "QVFI", "after": "QVFI"}}} if posts else {})
    )


# --- Login dialog and tokens -----------------------------------------------------------------------


def _scopes(request: Request) -> tuple[str, ...]:
    return tuple(scope.strip() for scope in request.arg("scope").split(",") if scope.strip())


@router.route("GET", V + r"/dialog/oauth", api=False)
def login_dialog(call: Call) -> Response:
    require_redirect_uri(call.request.arg("redirect_uri"))
    return consent_page(call, network=NETWORK, client_id=call.request.arg("client_id"), scopes=_scopes(call.request))


@router.route("POST", V + r"/dialog/oauth", api=False)
def login_decision(call: Call) -> Response:
    request = call.request
    return answer_consent(
        call,
        network=NETWORK,
        client_id=request.arg("client_id"),
        redirect_uri=require_redirect_uri(request.arg("redirect_uri")),
        scopes=_scopes(request),
        denied={
            "error": "access_denied",
            "error_code": "200",
            "error_description": "Permissions error",
            "error_reason": "user_denied",
        },
    )


def _user_token_answer(call: Call, account: str) -> Response:
    user_token = tokens.issue(NETWORK, account, tag=USER_TAG)
    call.state.issued(user_token)
    return json_response(200, {"access_token": user_token, "token_type": "bearer", "expires_in": LONG_LIVED_SECONDS})


@router.route("GET", V + r"/oauth/access_token")
def access_token(call: Call) -> Response:
    """The Login code exchange, or `grant_type=fb_exchange_token` for a long-lived token."""
    if call.request.arg("grant_type") == "fb_exchange_token":
        raw = call.request.arg("fb_exchange_token")
        account = tokens.account_of(raw, NETWORK)
        if account is None or call.fault.revoked or not call.state.token_valid(raw):
            raise Reply(
                graph_error(400, "Error validating access token: Session has expired or is invalid.", 190, subcode=463)
            )
        return _user_token_answer(call, account)
    grant = redeem_code(call, network=NETWORK)
    if grant is None:
        raise Reply(
            graph_error(
                400,
                "Error validating verification code. Please make sure your redirect_uri "
                "is identical to the one you used in the OAuth dialog request",
                100,
                subcode=36008,
            )
        )
    return _user_token_answer(call, grant.account)


@router.route("GET", V + r"/debug_token")
def debug_token(call: Call) -> Response:
    raw = call.request.arg("input_token")
    token = tokens.parse(raw)
    valid = token is not None and token.network == NETWORK and not call.fault.revoked and call.state.token_valid(raw)
    if not valid or token is None:
        return json_response(
            200,
            {
                "data": {
                    "error": {"code": 190, "message": "Invalid OAuth access token."},
                    "is_valid": False,
                    "scopes": [],
                }
            },
        )
    data = {
        "app_id": call.request.arg("access_token").split("|")[0],
        "application": "Diplomacy Hub",
        "type": "USER" if _is_user_token(token) else "PAGE",
        "expires_at": 0,
        "data_access_expires_at": 0,
        "is_valid": True,
        "user_id": token.account,
        "scopes": ["pages_show_list", "pages_manage_posts", "pages_read_engagement"],
    }
    if not _is_user_token(token):
        data["profile_id"] = token.account
    return json_response(200, {"data": data})


# Registered last: it matches any one-segment path, such as /debug_token.
@router.route("GET", V + r"/" + NODE)
def get_object(call: Call) -> Response:
    token = authenticate(call)
    node = token.account if call.params["node"] == "me" else call.params["node"]
    if node == token.account:
        return json_response(200, page_json(call, node, requested_fields(call.request, ("name",))))
    item = call.state.item(NETWORK, node)
    if item is None or item.deleted:
        raise Reply(missing_object(node))
    return json_response(200, post_json(item, requested_fields(call.request, ("created_time", "message"))))


# --- What the public says: comments, visitors' posts, the Page `feed` webhook ------------------------

PAGE_READS_PER_HOUR = 200  # the sandbox's Business Use Case allowance for a Page's reads
_HOUR = 3600
COMMENT_FIELDS = ("id", "message", "created_time")


def _count_read(call: Call, page: str) -> dict[str, str]:
    """Meta's X-Business-Use-Case-Usage for this Page's reads; past the allowance, its
    code 32 with the time to regain access."""
    used = call.state.public.count_call(NETWORK, page, "reads", _HOUR)
    percent = min(100, math.ceil(100 * used / max(1, PAGE_READS_PER_HOUR)))
    if used > PAGE_READS_PER_HOUR:
        raise Reply(rate_limited(call.request, _HOUR - datetime.now(UTC).timestamp() % _HOUR))
    usage = {"type": "pages", "call_count": percent, "total_cputime": 1, "total_time": 1}
    return {"x-business-use-case-usage": json.dumps({page: [usage | {"estimated_time_to_regain_access": 0}]})}


def _read_paging(request: Request) -> tuple[int, int, int]:
    """limit (25 by default, 100 at most), the offset an `after` cursor stands for, since."""
    try:
        limit = min(int(request.arg("limit") or 25), 100)
        after = request.arg("after")
        offset = int(base64.urlsafe_b64decode(after.encode() + b"==").decode()) if after else 0
        since = int(request.arg("since") or 0)
    except ValueError:
        raise Reply(graph_error(400, "(#100) limit, after and since must be valid", 100)) from None
    if limit < 1:
        raise Reply(graph_error(400, "(#100) limit must be positive", 100))
    return limit, offset, since


def _cursor(offset: int) -> str:
    return base64.urlsafe_b64encode(str(offset).encode()).decode().rstrip("=")


def _paged(call: Call, rows: list[dict[str, Any]], limit: int, offset: int, headers: dict[str, str]) -> Response:
    page = rows[offset : offset + limit]
    body: dict[str, Any] = {"data": page}
    if page:
        body["paging"] = {"cursors": {"before": _cursor(offset), "after": _cursor(offset + len(page))}}
        if offset + limit < len(rows):
            query = {k: v[-1] for k, v in call.request.query.items() if k not in ("after", "access_token")}
            body["paging"]["next"] = call.url(call.request.path, query | {"after": _cursor(offset + limit)})
    return json_response(200, body, headers)


def _from(said: public.Said) -> dict[str, str]:
    return {"id": said.author.id, "name": said.author.name}


def comment_json(said: public.Said, fields: set[str]) -> dict[str, Any]:
    known: dict[str, Any] = {
        "message": said.text,
        "created_time": _time(said.created_at),
        "from": _from(said),
        "parent": {"id": said.parent} if said.kind == public.REPLY else None,
        "permalink_url": f"https://www.facebook.com/{said.post.replace('_', '/posts/')}?comment_id={said.id}",
        "is_hidden": False,
    }
    return {"id": said.id} | {k: v for k, v in known.items() if k in fields and v is not None}


@router.route("GET", V + r"/" + NODE + r"/comments")
def list_comments(call: Call) -> Response:
    """A post's comments: `filter=stream` (replies too, flat, each with its `parent`) or
    toplevel, `order=reverse_chronological` or chronological, `since` (Unix time), pages
    of `limit` with `after` cursors. The Page's own token reads them."""
    token = authenticate(call)
    item = call.state.item(NETWORK, call.params["node"])
    if item is None or item.deleted or item.account != token.account:
        raise Reply(missing_object(call.params["node"]))
    headers = _count_read(call, token.account)
    limit, offset, since = _read_paging(call.request)
    post_id = str(item.details.get("post_id") or item.id)
    stream = call.request.arg("filter") == "stream"
    said = [
        s
        for s in call.state.public.in_thread(NETWORK, post_id)
        if not s.deleted and s.created_at.timestamp() >= since and (stream or s.kind != public.REPLY)
    ]
    said.sort(key=lambda s: (s.created_at, s.seq), reverse=call.request.arg("order") == "reverse_chronological")
    fields = requested_fields(call.request, COMMENT_FIELDS)
    return _paged(call, [comment_json(s, fields) for s in said], limit, offset, headers)


@router.route("GET", V + r"/" + NODE + r"/feed")
def page_feed(call: Call) -> Response:
    """The Page's feed, newest first: its own posts and its visitors' (`from` tells them
    apart), since `since`, in pages of `limit`."""
    token = authenticate(call)
    page = token.account if call.params["node"] == "me" else call.params["node"]
    if page != token.account:
        raise Reply(missing_object(call.params["node"]))
    headers = _count_read(call, page)
    limit, offset, since = _read_paging(call.request)
    fields = requested_fields(call.request, ("message", "created_time"))
    account = call.state.account(NETWORK, page)
    rows: list[tuple[datetime, dict[str, Any]]] = []
    for item in call.state.items_of(NETWORK, page):
        if not item.deleted and item.created_at.timestamp() >= since:
            post = post_json(item, fields) | ({"from": {"id": page, "name": account.name}} if "from" in fields else {})
            rows.append((item.created_at, post))
    for said in call.state.public.of_account(NETWORK, page):
        if said.kind == public.VISITOR_POST and not said.deleted and said.created_at.timestamp() >= since:
            rows.append((said.created_at, comment_json(said, fields)))
    rows.sort(key=lambda row: row[0], reverse=True)
    return _paged(call, [row for _, row in rows], limit, offset, headers)


@router.route("POST", V + r"/" + NODE + r"/subscribed_apps")
def subscribe_app(call: Call) -> Response:
    """Install the app on the Page for webhooks: `subscribed_fields` (feed), Page token."""
    page = _page_for_posting(call)
    fields = tuple(f.strip() for f in call.request.arg("subscribed_fields").split(",") if f.strip())
    if not fields:
        raise Reply(graph_error(400, "(#100) The parameter subscribed_fields is required", 100))
    call.state.public.subscribe(NETWORK, page, fields)
    return json_response(200, {"success": True})


@router.route("GET", V + r"/" + NODE + r"/subscribed_apps")
def subscribed_apps(call: Call) -> Response:
    page = _page_for_posting(call)
    fields = call.state.public.subscription(NETWORK, page)
    apps = [{"name": "Diplomacy Hub", "id": "sandbox-app", "subscribed_fields": list(fields)}] if fields else []
    return json_response(200, {"data": apps})


def webhook_body(said: public.Said, verb: str) -> bytes | None:
    """The Page `feed` change Meta pushes for a comment or a visitor's post (add, edited,
    remove), once the Page installed the app (`subscribed_apps` with feed)."""
    value: dict[str, Any] = {
        "from": _from(said),
        "post_id": said.post or said.id,
        "created_time": int((said.edited_at or said.created_at).timestamp()),
        "verb": verb,
    }
    if said.kind == public.VISITOR_POST:
        value |= {"item": "status", "published": 1}
    else:
        value |= {"item": "comment", "comment_id": said.id, "parent_id": said.parent}
    if verb != "remove":
        value["message"] = said.text
    entry = {
        "id": said.account,
        "time": int(datetime.now(UTC).timestamp()),
        "changes": [{"field": "feed", "value": value}],
    }
    return public.dumps({"object": "page", "entry": [entry]})


SPEC = NetworkSpec(
    prefix="facebook",
    network=NETWORK,
    router=router,
    account_of=account_of,
    server_error=server_error,
    rate_limited=rate_limited,
    not_found=unknown_path,
)
