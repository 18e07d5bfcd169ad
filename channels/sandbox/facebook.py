"""Facebook Graph API as facebook-sdk 3.1 calls it (prefix `facebook`, any /vNN.N/).

Page posts, photos (published, or unpublished then attached to a post), videos (the
resumable start/transfer/finish upload, or one POST), deletes, reads with `fields=`, the
Page's published posts and videos, the Login dialog and token exchanges. Errors are
Graph's `{"error": {message, type, code, error_subcode, fbtrace_id}}`, always with a JSON
Content-Type (facebook-sdk reads the body only then).

A video is two objects, as on Facebook: the Video (its own id: what DELETE must name to
remove it) and the Page post that shows it (`{page}_{n}`, listed by published_posts,
with the Video as its attachment). Deleting the post leaves the Video in the Page's
videos. Calls with a token carry `appsecret_proof` when an app the sandbox knows requires
it (`/_sandbox/apps`), and a wrong proof is refused whatever the app says.

A Page token is `sbx.facebook.<page id>.<anything>`; the Login dialog's user token is
tagged `sbx.facebook.<page id>.user-…`: in the sandbox, the person who logs in manages
exactly the one Page chosen on the consent page.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import math
import secrets
from datetime import UTC, datetime, timedelta
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
)
from channels.sandbox.mime import sniff_mime
from channels.sandbox.oauth2 import answer_consent, redeem_code
from channels.sandbox.state import Item, Media, SandboxState, Upload

NETWORK = "facebook"
USER_TAG = "user"
PAGE_TAG = "page"
LONG_LIVED_SECONDS = 5_183_944  # about 60 days, as Graph answers
V = r"(?:/v\d+(?:\.\d+)?)?"  # the optional version segment: /v24.0
NODE = r"(?P<node>[\w.-]+)"
# What the resumable upload asks for in each transfer (Facebook picks its own sizes).
VIDEO_CHUNK_BYTES = 1024 * 1024
VIDEO_FIELDS = frozenset(
    {"id", "title", "description", "created_time", "updated_time", "post_id", "permalink_url", "published"}
    | {"length", "likes", "comments", "status", "from"}
)

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


def appsecret_proof(secret: str, token: str) -> str:
    """HMAC-SHA256 of the access token, keyed with the app secret, in hex (Meta's recipe)."""
    return hmac.new(secret.encode(), token.encode(), hashlib.sha256).hexdigest()


def _check_proof(call: Call, raw: str) -> None:
    """As Graph does for an app with "Require App Secret" on (every app the sandbox knows):
    no proof, refused; a proof that no known app's secret gives, refused. The sandbox does
    not tie tokens to apps: any known Facebook app's secret will do. Knowing no app, it
    checks nothing."""
    known = call.state.app_secrets(NETWORK)
    if not known:
        return
    proof = call.request.arg("appsecret_proof")
    if proof:
        if not any(hmac.compare_digest(proof, appsecret_proof(secret, raw)) for secret in known):
            raise Reply(
                graph_error(
                    400, "Invalid appsecret_proof provided in the API argument", 100, type_="GraphMethodException"
                )
            )
    else:
        raise Reply(
            graph_error(
                400, "API calls from the server require an appsecret_proof argument", 100, type_="GraphMethodException"
            )
        )


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
    _check_proof(call, raw)
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
    post's attached_media. `alt_text_custom` is the photo's alt text."""
    page = _page_for_posting(call)
    data, mime = _uploaded_source(call, "image")
    caption = call.request.arg("message") or call.request.arg("caption")
    photo = Media(call.state.snowflake(), NETWORK, page, mime, len(data), alt_text=call.request.arg("alt_text_custom"))
    call.state.add_media(photo, data)
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


def _add_video(call: Call, page: str, video: Media, description: str, title: str) -> Item:
    """The Video (its id) and the Page post that shows it (an alias: `details["post_id"]`)."""
    post_id = f"{page}_{call.state.snowflake()}"
    return call.state.add_item(
        Item(NETWORK, page, video.id, "video", description, title=title, media=[video], details={"post_id": post_id}),
        aliases=(post_id,),
    )


@router.route("POST", V + r"/" + NODE + r"/videos")
def create_video(call: Call) -> Response:
    page = _page_for_posting(call)
    phase = call.request.arg("upload_phase")
    if phase:
        return _resumable_phase(call, page, phase)
    data, mime = _uploaded_source(call, "video")
    video = call.state.add_media(Media(call.state.snowflake(), NETWORK, page, mime, len(data)), data)
    _add_video(call, page, video, call.request.arg("description"), call.request.arg("title"))
    return json_response(200, {"id": video.id})


def _transfer_failed(upload: Upload) -> Reply:
    """Graph's 6001/1363037, with the range it wants sent (again) in `error_data`."""
    received = upload.received
    end = min(upload.total or 0, received + VIDEO_CHUNK_BYTES)
    return Reply(
        graph_error(
            400,
            "There was a problem uploading your video. Please try again.",
            6001,
            subcode=1363037,
            error_data={"start_offset": received, "end_offset": end},
            error_user_title="Error Uploading Video",
            error_user_msg="There was a problem uploading your video. Please try uploading it again.",
        )
    )


def _incomplete_file() -> Reply:
    """Graph's 6000/1363045: the bytes that came are not the file_size declared."""
    return Reply(
        graph_error(
            400,
            "There was a problem uploading your video file. Please try again with another file.",
            6000,
            subcode=1363045,
        )
    )


def _resumable_phase(call: Call, page: str, phase: str) -> Response:
    """Meta's resumable video upload: `start` (file_size) opens a session and names the
    Video; each `transfer` (start_offset, video_file_chunk) answers the next range to send;
    `finish` publishes the Video, with its description and title, once every byte came."""
    request = call.request
    if phase == "start":
        try:
            size = int(request.arg("file_size"))
        except ValueError:
            size = 0
        if size <= 0:
            raise Reply(graph_error(400, "(#100) The parameter file_size is required", 100))
        upload = call.state.add_upload(
            Upload(
                call.state.snowflake(),
                NETWORK,
                page,
                "",
                size,
                keep_bytes=False,
                metadata={"video_id": call.state.snowflake()},
            )
        )
        return json_response(
            200,
            {
                "video_id": upload.metadata["video_id"],
                "upload_session_id": upload.id,
                "start_offset": "0",
                "end_offset": str(min(size, VIDEO_CHUNK_BYTES)),
            },
        )
    upload = call.state.upload(request.arg("upload_session_id"))
    if upload is None or upload.network != NETWORK or upload.account != page or upload.item_id:
        raise Reply(graph_error(400, "(#100) Invalid parameter: upload_session_id", 100))
    if phase == "transfer":
        return _transfer(call, upload)
    if phase == "finish":
        if upload.received != upload.total:
            raise _incomplete_file()
        video = call.state.add_media(
            Media(upload.metadata["video_id"], NETWORK, page, upload.mime_type or "video/mp4", upload.received), b""
        )
        with call.state.lock:
            upload.item_id = video.id
            _add_video(call, page, video, request.arg("description"), request.arg("title"))
        return json_response(200, {"success": True})
    raise Reply(graph_error(400, "(#100) upload_phase must be one of start, transfer, finish", 100))


def _transfer(call: Call, upload: Upload) -> Response:
    chunk = call.request.files.get("video_file_chunk")
    if chunk is None or not chunk.data:
        raise Reply(graph_error(400, "(#100) The parameter video_file_chunk is required", 100))
    try:
        start = int(call.request.arg("start_offset"))
    except ValueError:
        start = -1
    with call.state.lock:
        failed = call.fault.refusal == "transfer_failed"  # as Facebook does now and then
        if failed or start != upload.received or start + len(chunk.data) > (upload.total or 0):
            raise _transfer_failed(upload)
        if start == 0:
            mime = sniff_mime(chunk.data, chunk.content_type)
            if not mime.startswith("video/"):
                raise Reply(graph_error(400, "(#100) The uploaded file is not a valid video", 100))
            upload.mime_type = mime
        upload.add(start, chunk.data)
        received = upload.received
    end = min(upload.total or 0, received + VIDEO_CHUNK_BYTES)
    return json_response(200, {"start_offset": str(received), "end_offset": str(end)})


@router.route("DELETE", V + r"/" + NODE)
def delete_object(call: Call) -> Response:
    """Deleting a video's Page post removes the post only: the Video stays on the Page. A
    comment of the public under the Page's posts is deleted for everyone."""
    token = authenticate(call)
    node = call.params["node"]
    said = call.state.public.get(NETWORK, node)
    if said is not None and not said.ours:
        call.state.public.delete(_public_comment(call, token.account, node, "delete"))
        return json_response(200, {"success": True})
    item = call.state.item(NETWORK, node)
    if item is None or item.deleted or item.account != token.account or _post_removed(item, node):
        raise Reply(missing_object(node, "delete"))
    if item.kind == "video" and node != item.id:
        item.details["post_removed"] = True
    else:
        call.state.mark_deleted(item)
    return json_response(200, {"success": True})


def _post_removed(item: Item, node: str) -> bool:
    return item.kind == "video" and node != item.id and bool(item.details.get("post_removed"))


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


def _attachments(item: Item) -> dict[str, Any] | None:
    if item.kind == "video":
        target = {"id": item.id, "url": f"https://www.facebook.com/{item.account}/videos/{item.id}/"}
        return {"data": [{"media_type": "video", "type": "video_inline", "target": target}]}
    if item.media:
        return {"data": [{"media_type": "photo", "type": "photo", "target": {"id": media.id}} for media in item.media]}
    return None


def post_id_of(item: Item) -> str:
    """The id of the Page post showing the item (a video's post is not the Video)."""
    return str(item.details.get("post_id") or item.id)


def post_json(item: Item, fields: set[str]) -> dict[str, Any]:
    e = metrics.engagement(item)
    post_id = post_id_of(item)
    known: dict[str, Any] = {
        "message": item.text or None,
        "created_time": _time(item.created_at),
        "permalink_url": f"https://www.facebook.com/{post_id.replace('_', '/posts/')}",
        "reactions": {"data": [], "summary": {"total_count": e.likes, "viewer_reaction": "NONE"}},
        "comments": {
            "data": [],
            "summary": {"order": "ranked", "total_count": e.comments, "can_comment": True},
        },
        # Graph leaves `shares` out until a post has been shared.
        "shares": {"count": e.shares} if e.shares else None,
        "attachments": _attachments(item),
    }
    return {"id": post_id} | {name: value for name, value in known.items() if name in fields and value is not None}


def video_json(item: Item, fields: set[str]) -> dict[str, Any]:
    """A Video node: it has likes and comments but no reactions or shares; asking for a
    field it lacks is Graph's error 100."""
    unknown = sorted(fields - VIDEO_FIELDS)
    if unknown:
        raise Reply(
            graph_error(400, f"(#100) Tried accessing nonexisting field ({unknown[0]}) on node type (Video)", 100)
        )
    e = metrics.engagement(item)
    known: dict[str, Any] = {
        "title": item.title or None,
        "description": item.text or None,
        "created_time": _time(item.created_at),
        "updated_time": _time(item.created_at),
        "post_id": None if item.details.get("post_removed") else post_id_of(item),
        "permalink_url": f"/{item.account}/videos/{item.id}/",
        "published": True,
        "likes": {"data": [], "summary": {"total_count": e.likes, "can_like": True, "has_liked": False}},
        "comments": {"data": [], "summary": {"order": "ranked", "total_count": e.comments, "can_comment": True}},
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


def _listing_args(call: Call) -> tuple[int, datetime]:
    try:
        limit = min(int(call.request.arg("limit") or 25), 100)
        since = datetime.fromtimestamp(int(call.request.arg("since") or 0), UTC)
    except ValueError:
        raise Reply(graph_error(400, "(#100) limit and since must be integers", 100)) from None
    return limit, since


def _page_items(call: Call, kind: str | None = None) -> list[Item]:
    """The Page's live items, newest first (`kind`: only those)."""
    token = authenticate(call)
    page = token.account if call.params["node"] == "me" else call.params["node"]
    limit, since = _listing_args(call)
    return [
        item
        for item in reversed(call.state.items_of(NETWORK, page))
        if not item.deleted and item.created_at >= since and kind in (None, item.kind)
    ][:limit]


def _page_of_listing(data: list[dict[str, Any]]) -> Response:
    return json_response(
        200, {"data": data} | ({"paging": {"cursors": {"before": "QVFI", "after": "QVFI"}}} if data else {})
    )


@router.route("GET", V + r"/" + NODE + r"/(?:published_posts|posts)")
def published_posts(call: Call) -> Response:
    """The Page's posts, newest first (what reconciliation looks through). A video is
    listed as its Page post, with the Video as the post's attachment."""
    fields = requested_fields(call.request, ("message", "created_time"))
    items = [item for item in _page_items(call) if not item.details.get("post_removed")]
    return _page_of_listing([post_json(item, fields) for item in items])


@router.route("GET", V + r"/" + NODE + r"/videos")
def page_videos(call: Call) -> Response:
    """The Page's videos, newest first, whether or not their post is still there."""
    fields = requested_fields(call.request, ("description", "updated_time"))
    return _page_of_listing([video_json(item, fields) for item in _page_items(call, "video")])


def blocked(request: Request) -> Response:
    """Meta's code 368: temporarily blocked for policy reasons (wait, then try again)."""
    return graph_error(
        400,
        "(#368) The action attempted has been deemed abusive or is otherwise disallowed",
        368,
        subcode=1390008,
        error_user_title="You're Temporarily Blocked",
        error_user_msg="It looks like you were misusing this feature by going too fast. You've been temporarily "
        "blocked from using it.",
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
@router.route("POST", V + r"/oauth/access_token")
def access_token(call: Call) -> Response:
    """The Login code exchange, or `grant_type=fb_exchange_token` for a long-lived token
    (GET with a query string, or POST with a form body, as Graph takes both)."""
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
    if item is None or item.deleted or _post_removed(item, node):
        raise Reply(missing_object(node))
    if item.kind == "video" and node == item.id:
        return json_response(200, video_json(item, requested_fields(call.request, ("description", "updated_time"))))
    return json_response(200, post_json(item, requested_fields(call.request, ("created_time", "message"))))


# A post's insights: the metrics the sandbox knows, by name (Graph's Page post insights).
POST_INSIGHTS = ("post_clicks_by_type",)


@router.route("GET", V + r"/" + NODE + r"/insights")
def post_insights(call: Call) -> Response:
    """`GET /{post-id}/insights?metric=post_clicks_by_type`: the post's lifetime clicks by
    type ("link clicks", "photo view", "other clicks"), for the Page's own token. A Video
    has no post insights (its own are video_insights); an unknown metric is error 100."""
    token = authenticate(call)
    node = call.params["node"]
    item = call.state.item(NETWORK, node)
    if item is None or item.deleted or item.account != token.account or _post_removed(item, node):
        raise Reply(missing_object(node))
    if item.kind == "video" and node == item.id:
        raise Reply(graph_error(400, "(#100) Tried accessing nonexisting field (insights) on node type (Video)", 100))
    metrics_asked = [name for name in call.request.arg("metric").split(",") if name]
    unknown = [name for name in metrics_asked if name not in POST_INSIGHTS]
    if not metrics_asked or unknown:
        raise Reply(graph_error(400, "(#100) The value must be a valid insights metric", 100))
    e = metrics.engagement(item)
    clicks = {"link clicks": e.link_clicks, "other clicks": e.likes // 2}
    if item.media:
        clicks["photo view"] = e.likes
    post_id = post_id_of(item)
    data = [
        {
            "name": "post_clicks_by_type",
            "period": "lifetime",
            "values": [{"value": clicks}],
            "title": "Lifetime Post consumptions by type",
            "description": "Lifetime: The number of clicks anywhere in your post, by type. (Total Count)",
            "id": f"{post_id}/insights/post_clicks_by_type/lifetime",
        }
    ]
    return json_response(200, {"data": data})


# --- What the public says: comments, visitors' posts, the Page `feed` webhook ------------------------

# The sandbox's Business Use Case allowance for a Page's reads. Meta's is 4,800 calls a day
# per engaged user; an embassy's Page has hundreds: an hour's share of that, rounded down.
PAGE_READS_PER_HOUR = 4_800
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
        "is_hidden": said.hidden,
    }
    return {"id": said.id} | {k: v for k, v in known.items() if k in fields and v is not None}


@router.route("GET", V + r"/" + NODE + r"/comments")
def list_comments(call: Call) -> Response:
    """A post's comments: `filter=stream` (replies too, flat, each with its `parent`) or
    toplevel, `order=reverse_chronological` or chronological, `since` (Unix time), pages
    of `limit` with `after` cursors. The Page's own token reads them."""
    token = authenticate(call)
    item = call.state.item(NETWORK, call.params["node"])
    if item is None:
        return _comment_replies(call, token)
    if item.deleted or item.account != token.account:
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
    refusals={"blocked": blocked},
)


# --- Answering: the Page's comments, private replies, hiding ---------------------------------------

PRIVATE_REPLY_DAYS = 7


def _public_comment(call: Call, page: str, node: str, verb: str) -> public.Said:
    """A live comment of the public on this Page's posts (or a visitor's post), else Graph's
    "does not exist"."""
    said = call.state.public.get(NETWORK, node)
    if said is None or said.deleted or said.account != page:
        raise Reply(missing_object(node, verb))
    return said


def _comment_replies(call: Call, token: tokens.Token) -> Response:
    """`GET /{comment-id}/comments`: the replies under a comment (the Page's own included),
    with `since`, `order` and paging as for a post's comments."""
    said = _public_comment(call, token.account, call.params["node"], "get")
    headers = _count_read(call, token.account)
    limit, offset, since = _read_paging(call.request)
    under = [
        s
        for s in call.state.public.in_thread(NETWORK, said.thread or said.id)
        if s.parent == said.id and not s.deleted and s.created_at.timestamp() >= since
    ]
    under.sort(key=lambda s: (s.created_at, s.seq), reverse=call.request.arg("order") == "reverse_chronological")
    fields = requested_fields(call.request, COMMENT_FIELDS)
    return _paged(call, [comment_json(s, fields) for s in under], limit, offset, headers)


@router.route("POST", V + r"/" + NODE + r"/comments")
def create_comment(call: Call) -> Response:
    """`POST /{comment-id}/comments` with the Page token: the Page answers a comment (or a
    visitor's post); the answer is the Page's, under the comment, for everyone to see."""
    token = authenticate(call)
    if _is_user_token(token):
        raise Reply(graph_error(403, "(#200) Permissions error", 200))
    message = call.request.arg("message")
    if not message:
        raise Reply(graph_error(400, "(#100) Missing message or attachment", 100))
    if len(message) > 8000:
        raise Reply(graph_error(400, "(#100) The message is too long", 100))
    said = _public_comment(call, token.account, call.params["node"], "post")
    page = call.state.account(NETWORK, token.account)
    post = said.post or said.id
    answer = call.state.public.answer(
        public.Said(
            network=NETWORK,
            account=token.account,
            id=f"{post.rsplit('_', 1)[-1]}_{call.state.snowflake()}",
            kind=public.REPLY,
            category="ours",
            language="",
            text=message,
            author=public.Person(id=token.account, name=page.name, handle=page.handle),
            created_at=datetime.now(UTC),
            post=said.post,
            parent=said.id,
            thread=said.thread or said.id,
        )
    )
    return json_response(200, {"id": answer.id})


@router.route("POST", V + r"/" + NODE + r"/messages")
def send_message(call: Call) -> Response:
    """The Send API's private reply: `recipient={"comment_id": …}`, `message={"text": …}`,
    the Page token. One per comment, within 7 days of it (Private Replies guide)."""
    page = _page_for_posting(call)
    try:
        recipient = json.loads(call.request.arg("recipient") or "null")
        message = json.loads(call.request.arg("message") or "null")
    except ValueError:
        raise Reply(graph_error(400, "(#100) recipient and message must be JSON objects", 100)) from None
    comment_id = recipient.get("comment_id") if isinstance(recipient, dict) else None
    text = message.get("text") if isinstance(message, dict) else None
    if not isinstance(comment_id, str) or not isinstance(text, str) or not text:
        raise Reply(graph_error(400, "(#100) The parameter recipient.comment_id and message.text are required", 100))
    said = call.state.public.get(NETWORK, comment_id)
    if said is None or said.deleted or said.account != page:
        raise Reply(graph_error(400, "(#100) No matching user found", 100, subcode=2018001))
    if datetime.now(UTC) - said.created_at > timedelta(days=PRIVATE_REPLY_DAYS):
        raise Reply(graph_error(400, "(#10903) This message is sent outside of allowed window.", 10903))
    message_id = f"m_{call.state.snowflake()}"
    if not call.state.public.private_reply(NETWORK, page, comment_id, text, message_id):
        raise Reply(graph_error(400, "(#10900) Activity already replied to", 10900))
    return json_response(200, {"recipient_id": said.author.id, "message_id": message_id})


# Registered last: it matches any one-segment path.
@router.route("POST", V + r"/" + NODE)
def update_object(call: Call) -> Response:
    """`POST /{comment-id}?is_hidden=true|false`: the Page hides a comment under its posts
    (its author and their friends still see it) or shows it again."""
    token = authenticate(call)
    wanted = call.request.arg("is_hidden")
    if wanted not in ("true", "false"):
        raise Reply(graph_error(400, "(#100) The sandbox updates only is_hidden on a comment", 100))
    said = _public_comment(call, token.account, call.params["node"], "post")
    with call.state.public.lock:
        said.hidden = wanted == "true"
    return json_response(200, {"success": True})
