"""X API v2 as tweepy 4.17 and our v2 media upload call it (prefix `twitter`).

Posts, deletes, reads and metrics; v2 media upload (one-shot, and initialize / append /
finalize / STATUS); OAuth 2.0 with PKCE, whose refresh tokens are single-use. Error
bodies follow X's "problem" JSON (RFC 7807).
"""

from __future__ import annotations

import base64
import hashlib
import math
import re
import time
from datetime import UTC, datetime, timedelta
from typing import Any

from twitter_text import parse_tweet

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

NETWORK = "twitter"
ACCESS_TOKEN_SECONDS = 7200
MEDIA_EXPIRES_SECONDS = 86400
TEXT_MAX_WEIGHT = 280
MB = 1024 * 1024
# What X takes per media category (docs.x.com media best practices).
CATEGORY_MAX_BYTES = {"tweet_image": 5 * MB, "tweet_gif": 15 * MB, "tweet_video": 512 * MB}
HIDE_PER_WINDOW = 50  # PUT /2/tweets/:id/hidden, per user and 15 minutes (docs.x.com)
_CHECK_AFTER_MAX = 10  # the longest "check_after_secs" the sandbox asks a client to wait

router = Router()


# --- Error bodies -----------------------------------------------------------------------


def problem(
    status: int, title: str, detail: str, *, type_: str = "about:blank", headers: dict[str, str] | None = None
) -> Response:
    return json_response(status, {"title": title, "type": type_, "status": status, "detail": detail}, headers)


def unauthorized() -> Response:
    return problem(401, "Unauthorized", "Unauthorized")


def invalid_request(message: str, parameters: dict[str, list[str]] | None = None) -> Response:
    return json_response(
        400,
        {
            "errors": [{"parameters": parameters or {}, "message": message}],
            "title": "Invalid Request",
            "detail": "One or more parameters to your request was invalid.",
            "type": "https://api.twitter.com/2/problems/invalid-request",
        },
    )


def tweet_not_found(tweet_id: str) -> dict[str, Any]:
    return {
        "value": tweet_id,
        "detail": f"Could not find tweet with id: [{tweet_id}].",
        "title": "Not Found Error",
        "resource_type": "tweet",
        "parameter": "id",
        "resource_id": tweet_id,
        "type": "https://api.twitter.com/2/problems/resource-not-found",
    }


def client_forbidden() -> Response:
    """X's 403 to an app whose access level does not include the endpoint (the Free level
    reads nothing but /2/users/me): a problem of the app, not of the account."""
    return json_response(
        403,
        {
            "client_id": "sandbox-app",
            "detail": (
                "When authenticating requests to the Twitter API v2 endpoints, you must use keys and tokens "
                "from a Twitter developer App that is attached to a Project. You can create a project via "
                "the developer portal."
            ),
            "registration_url": "https://developer.twitter.com/en/docs/projects/overview",
            "title": "Client Forbidden",
            "required_enrollment": "Appropriate Level of API Access",
            "reason": "client-not-enrolled",
            "type": "https://api.twitter.com/2/problems/client-forbidden",
        },
    )


def require_read_access(call: Call) -> None:
    if call.fault.access_level == "free":
        raise Reply(client_forbidden())


def token_error(what: str) -> Response:
    """X's answer to a bad authorization code (or verifier): `what` = "authorization code";
    to a bad, spent or revoked refresh token: `what` = "token"."""
    return json_response(
        400, {"error": "invalid_request", "error_description": f"Value passed for the {what} was invalid."}
    )


# Per-user limits of the endpoints we imitate (docs.x.com rate limits), for the 429 headers.
_RATE_LIMITS = (
    ("POST", "/2/tweets", 100),
    ("DELETE", "/2/tweets", 50),
    ("PUT", "/2/tweets", HIDE_PER_WINDOW),
    ("GET", "/2/users/me", 75),
    ("POST", "/2/media/upload", 500),
)


def rate_limited(request: Request, reset_seconds: float) -> Response:
    limit = next(
        (n for method, path, n in _RATE_LIMITS if request.method == method and request.path.startswith(path)),
        900,
    )
    return problem(
        429,
        "Too Many Requests",
        "Too Many Requests",
        headers={
            "x-rate-limit-limit": str(limit),
            "x-rate-limit-remaining": "0",
            "x-rate-limit-reset": str(math.ceil(time.time() + reset_seconds)),
        },
    )


def server_error(request: Request) -> Response:
    return problem(503, "Service Unavailable", "Service Unavailable")


def unknown_path(request: Request) -> Response:
    return json_response(404, {"errors": [{"message": "Sorry, that page does not exist", "code": 34}]})


def account_of(request: Request, state: SandboxState) -> str | None:
    """Whose call this is: the bearer (or OAuth 1.0a) token's account; at the token
    endpoint, the refresh token's or the authorization code's."""
    if request.path.startswith("/2/oauth2/token"):
        refresh = tokens.account_of(request.arg("refresh_token"), NETWORK, tokens.REFRESH)
        grant = state.grant(request.arg("code"))
        return refresh or (grant.account if grant else None)
    return tokens.account_of(request.bearer_token(), NETWORK)


def authenticate(call: Call) -> str:
    raw = call.request.bearer_token()
    account = tokens.account_of(raw, NETWORK)
    if account is None or call.fault.revoked or not call.state.token_valid(raw):
        raise Reply(unauthorized())
    return account


# --- Posts ------------------------------------------------------------------------------


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.000Z")


def _fields(request: Request, name: str) -> set[str]:
    return {field for field in request.arg(name).split(",") if field}


def tweet_json(item: Item, fields: set[str]) -> dict[str, Any]:
    tweet: dict[str, Any] = {"id": item.id, "text": item.text, "edit_history_tweet_ids": [item.id]}
    if "created_at" in fields:
        tweet["created_at"] = _iso(item.created_at)
    if "author_id" in fields:
        tweet["author_id"] = item.account
    if "public_metrics" in fields:
        engagement = metrics.engagement(item)
        tweet["public_metrics"] = {
            "retweet_count": engagement.shares,
            "reply_count": engagement.comments,
            "like_count": engagement.likes,
            "quote_count": engagement.shares // 3,
            "bookmark_count": engagement.likes // 5,
            "impression_count": engagement.views,
        }
    if "non_public_metrics" in fields:
        engagement = metrics.engagement(item)
        tweet["non_public_metrics"] = {
            "impression_count": engagement.views,
            "url_link_clicks": engagement.link_clicks,
            "user_profile_clicks": engagement.profile_clicks,
        }
    if "attachments" in fields and item.media:
        tweet["attachments"] = {"media_keys": [_media_key(media) for media in item.media]}
    return tweet


def _media_key(media: Media) -> str:
    return _key_for(media.mime_type, media.id)


def _key_for(mime_type: str, media_id: str) -> str:
    """X's media keys: 3_ for photos, 7_ for videos, 16_ for animated GIFs."""
    kind = 7 if mime_type.startswith("video/") else 16 if mime_type == "image/gif" else 3
    return f"{kind}_{media_id}"


def _attachable_media(call: Call, account: str, media_ids: list[Any]) -> list[Media]:
    """The media of a new post: uploaded by this account and done processing."""
    found: list[Media] = []
    for media_id in media_ids:
        media = call.state.get_media(str(media_id))
        upload = call.state.upload(str(media_id))
        pending = upload is not None and upload.metadata.get("processing") != "succeeded"
        if media is None or media.account != account or pending:
            raise Reply(invalid_request("Your media IDs are invalid.", {"media.media_ids": [str(media_id)]}))
        found.append(media)
    return found


@router.route("POST", r"/2/tweets")
def create_tweet(call: Call) -> Response:
    account = authenticate(call)
    body = call.request.json()
    if not isinstance(body, dict):
        raise Reply(invalid_request("The request body is not valid JSON."))
    text = body.get("text") or ""
    media_ids = (body.get("media") or {}).get("media_ids") or []
    if not isinstance(text, str) or not isinstance(media_ids, list):
        raise Reply(invalid_request("text must be a string and media.media_ids a list."))
    if not text and not media_ids:
        raise Reply(invalid_request("Post text or media is required.", {"text": [""]}))
    if parse_tweet(text).weightedLength > TEXT_MAX_WEIGHT:
        raise Reply(
            invalid_request(
                "Your Tweet text is too long. For more information on how Twitter "
                "determines text length see https://github.com/twitter/twitter-text."
            )
        )
    media = _attachable_media(call, account, media_ids)
    reply = body.get("reply")
    if reply is not None:
        return _create_reply(call, account, reply, text)
    with call.state.lock:  # the duplicate check and the insert are one step
        if text and call.state.has_live_text(NETWORK, account, text):
            call.state.refuse_duplicate(NETWORK, account, text)
            raise Reply(problem(403, "Forbidden", "You are not allowed to create a Tweet with duplicate content."))
        item = call.state.add_item(Item(NETWORK, account, call.state.snowflake(), "tweet", text, media=media))
    return json_response(201, {"data": {"id": item.id, "text": item.text, "edit_history_tweet_ids": [item.id]}})


# X's refusal of a reply to someone who did not mention or quote the account (self-serve
# access since February 2026), and of a reply to a post that is gone.
NOT_SUMMONED = (
    "Reply to this conversation is not allowed because you have not been mentioned or otherwise engaged "
    "by the author of the post you are replying to."
)
REPLY_TARGET_GONE = "You attempted to reply to a Tweet that is deleted or not visible to you."


def _summoned(said: public.Said, handle: str) -> bool:
    """Whether the author summoned the account: mentioned it (a direct reply to its post
    names it too) or quoted it; the account may always go on in its own thread."""
    direct = said.kind == public.REPLY and bool(said.post) and said.parent == said.post
    return said.ours or direct or said.kind in (public.MENTION, public.QUOTE) or f"@{handle}" in said.text


def _create_reply(call: Call, account: str, reply: Any, text: str) -> Response:
    """`reply.in_reply_to_tweet_id`: our reply joins the post's conversation, where the
    public sees it and recent search finds it."""
    target_id = reply.get("in_reply_to_tweet_id") if isinstance(reply, dict) else None
    if not isinstance(target_id, str) or not target_id.isdigit():
        raise Reply(invalid_request("reply.in_reply_to_tweet_id must be a post id.", {"reply": [str(reply)]}))
    if not text:
        raise Reply(invalid_request("A reply needs a text.", {"text": [""]}))
    target = call.state.public.get(NETWORK, target_id)
    if target is None or target.deleted:
        raise Reply(problem(403, "Forbidden", REPLY_TARGET_GONE))
    me = call.state.account(NETWORK, account)
    if target.account != account or not _summoned(target, me.handle):
        raise Reply(problem(403, "Forbidden", NOT_SUMMONED))
    said = call.state.public.answer(
        public.Said(
            network=NETWORK,
            account=account,
            id=call.state.snowflake(),
            kind=public.REPLY,
            category="ours",
            language="",
            text=text,
            author=public.Person(id=account, name=me.name, handle=me.handle),
            created_at=datetime.now(UTC),
            post=target.post,
            parent=target_id,
            thread=target.thread or target.id,
        )
    )
    return json_response(201, {"data": {"id": said.id, "text": said.text, "edit_history_tweet_ids": [said.id]}})


@router.route("DELETE", r"/2/tweets/(?P<id>\d+)")
def delete_tweet(call: Call) -> Response:
    account = authenticate(call)
    item = call.state.item(NETWORK, call.params["id"])
    if item is None or item.deleted:
        raise Reply(
            problem(
                404,
                "Not Found Error",
                f"Could not find tweet with id: [{call.params['id']}].",
                type_="https://api.twitter.com/2/problems/resource-not-found",
            )
        )
    if item.account != account:
        raise Reply(problem(403, "Forbidden", "You are not allowed to delete this Tweet."))
    call.state.mark_deleted(item)
    return json_response(200, {"data": {"deleted": True}})


# X does not document the wording of its refusal to hide a reply outside the account's own
# conversations; the sandbox answers the 403 problem X gives for a forbidden write.
NOT_YOUR_CONVERSATION = "You can only hide or unhide replies to conversations you started."


@router.route("PUT", r"/2/tweets/(?P<id>\d+)/hidden")
def hide_reply(call: Call) -> Response:
    """`{"hidden": true|false}`: hides a reply in a conversation the account started (its
    public then sees it only behind "View hidden replies"), or shows it again. Asking for the
    state it is in already succeeds; anything else than such a reply is a 403."""
    account = authenticate(call)
    require_read_access(call)
    _count_read(call, account, "hide", HIDE_PER_WINDOW)
    body = call.request.json()
    wanted = body.get("hidden") if isinstance(body, dict) else None
    if not isinstance(wanted, bool):
        raise Reply(invalid_request("hidden must be a boolean.", {"hidden": [str(wanted)]}))
    said = call.state.public.get(NETWORK, call.params["id"])
    if said is None or said.deleted:
        raise Reply(
            problem(
                404,
                "Not Found Error",
                f"Could not find tweet with id: [{call.params['id']}].",
                type_="https://api.twitter.com/2/problems/resource-not-found",
            )
        )
    started = call.state.item(NETWORK, said.thread)
    ours = started is not None and started.account == account and said.account == account
    if said.kind != public.REPLY or said.ours or not ours:
        raise Reply(problem(403, "Forbidden", NOT_YOUR_CONVERSATION))
    with call.state.public.lock:
        said.hidden = wanted
    return json_response(200, {"data": {"hidden": wanted}})


@router.route("GET", r"/2/tweets/(?P<id>\d+)")
def get_tweet(call: Call) -> Response:
    account = authenticate(call)
    require_read_access(call)
    item = call.state.item(NETWORK, call.params["id"])
    if item is None or item.deleted:
        # X answers 200 with an `errors` array for a missing Tweet.
        return json_response(200, {"errors": [tweet_not_found(call.params["id"])]})
    fields = _fields(call.request, "tweet.fields")
    refused = _private_metrics_refused(item, fields, user=account)
    if refused:
        # X leaves the post out and says which field it may not give, with a 200.
        return json_response(200, {"errors": refused})
    return json_response(200, {"data": tweet_json(item, fields)})


PRIVATE_METRICS = ("non_public_metrics", "organic_metrics", "promoted_metrics")
PRIVATE_METRICS_DAYS = 30


def _private_metrics_refused(item: Item, fields: set[str], *, user: str) -> list[dict[str, Any]]:
    """X's "Field Authorization Error" for the private metrics of a post that is not the
    user's own, or that is older than 30 days (docs.x.com, Posts timelines, private metrics)."""
    asked = [field for field in PRIVATE_METRICS if field in fields]
    too_old = datetime.now(UTC) - item.created_at > timedelta(days=PRIVATE_METRICS_DAYS)
    if not asked or (item.account == user and not too_old):
        return []
    field = f"{asked[0]}.impression_count"
    return [
        {
            "value": item.id,
            "detail": f"Sorry, you are not authorized to access '{field}' on the Tweet with ids : [{item.id}].",
            "title": "Field Authorization Error",
            "resource_type": "tweet",
            "parameter": "ids",
            "field": field,
            "resource_id": item.id,
            "section": "data",
            "type": "https://api.twitter.com/2/problems/not-authorized-for-field",
        }
    ]


@router.route("GET", r"/2/users/me")
def get_me(call: Call) -> Response:
    account = call.state.account(NETWORK, authenticate(call))
    user: dict[str, Any] = {"id": account.id, "name": account.name, "username": account.handle}
    if "public_metrics" in _fields(call.request, "user.fields"):
        tweets = [item for item in call.state.items_of(NETWORK, account.id) if not item.deleted]
        user["public_metrics"] = {
            "followers_count": metrics.followers(NETWORK, account.id),
            "following_count": 120,
            "tweet_count": len(tweets),
            "listed_count": 12,
            "like_count": 0,
            "media_count": 0,
        }
    return json_response(200, {"data": user})


def _page_token(direction: str, tweet_id: str) -> str:
    """An opaque pagination token, as X's are: which side of which post the page lies."""
    return base64.b32encode(f"{direction}{tweet_id}".encode()).decode().rstrip("=").lower()


def _read_page_token(raw: str) -> tuple[str, int]:
    try:
        decoded = base64.b32decode(raw.upper() + "=" * (-len(raw) % 8)).decode()
        return decoded[0], int(decoded[1:])
    except (ValueError, UnicodeDecodeError, IndexError):
        raise Reply(
            invalid_request(
                f"The `pagination_token` query parameter value [{raw}] is not valid",
                {"pagination_token": [raw]},
            )
        ) from None


@router.route("GET", r"/2/users/(?P<id>\d+)/tweets")
def get_user_tweets(call: Call) -> Response:
    """An account's posts, newest first, a page at a time (what reconciliation looks
    through): `max_results` 5 to 100 (default 10), `meta.next_token` while older posts
    remain, given back as `pagination_token`; `since_id` and `start_time` bound the list."""
    authenticate(call)
    require_read_access(call)
    request = call.request
    raw_max = request.arg("max_results") or "10"
    if not raw_max.isdigit() or not 5 <= int(raw_max) <= 100:
        raise Reply(
            invalid_request(
                f"The `max_results` query parameter value [{raw_max}] is not between 5 and 100",
                {"max_results": [raw_max]},
            )
        )
    try:
        since_id = int(request.arg("since_id") or 0)
        start_time = datetime.fromisoformat(request.arg("start_time") or "1970-01-01T00:00:00Z")
    except ValueError:
        raise Reply(invalid_request("since_id or start_time is malformed.")) from None
    token = request.arg("pagination_token")
    direction, pivot = _read_page_token(token) if token else ("<", 0)
    posts = [
        item
        for item in reversed(call.state.items_of(NETWORK, call.params["id"]))
        if not item.deleted and int(item.id) > since_id and item.created_at >= start_time
    ]
    if token and direction == "<":
        posts = [item for item in posts if int(item.id) < pivot]
    elif token:  # a previous page: the newest posts just above the pivot, newest first
        newer = [item for item in posts if int(item.id) > pivot]
        posts = newer[-int(raw_max) :] + [item for item in posts if int(item.id) <= pivot]
    page, rest = posts[: int(raw_max)], posts[int(raw_max) :]
    meta: dict[str, Any] = {"result_count": len(page)}
    if not page:
        return json_response(200, {"meta": meta})
    meta |= {"newest_id": page[0].id, "oldest_id": page[-1].id}
    if rest:
        meta["next_token"] = _page_token("<", page[-1].id)
    if token:
        meta["previous_token"] = _page_token(">", page[0].id)
    fields = _fields(request, "tweet.fields")
    return json_response(200, {"data": [tweet_json(item, fields) for item in page], "meta": meta})


# --- Media upload (v2) -------------------------------------------------------------------------


def _media_data(
    media: Media, processing: str | None = None, *, remaining: float = 0.0, done: int = 0
) -> dict[str, Any]:
    data: dict[str, Any] = {
        "id": media.id,
        "media_key": _media_key(media),
        "size": media.size,
        "expires_after_secs": MEDIA_EXPIRES_SECONDS,
    }
    if processing:
        data["processing_info"] = {
            "state": processing,
            "progress_percent": 100 if processing == "succeeded" else done,
        }
        if processing != "succeeded":
            # X says when to look again: a few seconds, more for a long job.
            data["processing_info"]["check_after_secs"] = max(1, min(math.ceil(remaining / 2), _CHECK_AFTER_MAX))
    return data


def _processing(upload: Upload) -> tuple[str, float, int]:
    """Where an upload's processing stands: its state, the seconds left, the percent done.
    Only a STATUS poll moves it on: a post may use media only once a poll found it done."""
    state = upload.metadata.get("processing") or "succeeded"
    if state == "succeeded":
        return state, 0.0, 100
    took = float(upload.metadata.get("processing_seconds", 0.0))
    remaining = upload.metadata.get("ready_at", 0.0) - time.monotonic()
    if remaining <= 0:
        upload.metadata["processing"] = "succeeded"
        return "succeeded", 0.0, 100
    return state, remaining, int(100 * (1 - remaining / took)) if took else 0


@router.route("POST", r"/2/media/upload")
def upload_media(call: Call) -> Response:
    """One-shot upload: multipart `media` (and `media_category`, optional `media_type`)."""
    account = authenticate(call)
    upload = call.request.files.get("media")
    if upload is None or not upload.data:
        raise Reply(invalid_request("The media field is required.", {"media": [""]}))
    mime = call.request.arg("media_type") or sniff_mime(upload.data, upload.content_type)
    _require_size(call.request.arg("media_category") or "tweet_image", len(upload.data))
    media = call.state.add_media(Media(call.state.snowflake(), NETWORK, account, mime, len(upload.data)), upload.data)
    return json_response(200, {"data": _media_data(media)})


@router.route("POST", r"/2/media/upload/initialize")
def initialize_upload(call: Call) -> Response:
    account = authenticate(call)
    body = call.request.json()
    if not isinstance(body, dict) or not isinstance(body.get("total_bytes"), int) or not body.get("media_type"):
        raise Reply(invalid_request("media_type and total_bytes are required.", {"total_bytes": [], "media_type": []}))
    mime = str(body["media_type"])
    default = "tweet_video" if mime.startswith("video/") else "tweet_gif" if mime == "image/gif" else "tweet_image"
    _require_size(str(body.get("media_category") or default), body["total_bytes"])
    upload = Upload(
        call.state.snowflake(),
        NETWORK,
        account,
        mime,
        body["total_bytes"],
        keep_bytes=mime.startswith("image/"),
        metadata={"media_category": body.get("media_category", "")},
    )
    call.state.add_upload(upload)
    return json_response(
        200,
        {
            "data": {
                "id": upload.id,
                "media_key": _key_for(mime, upload.id),
                "expires_after_secs": MEDIA_EXPIRES_SECONDS,
            }
        },
    )


def _require_size(category: str, size: int) -> None:
    """X refuses media over its category's size (an animated GIF up to 15 MB only as
    tweet_gif: 5 MB as an image). The wording is ours; the status is X's."""
    most = CATEGORY_MAX_BYTES.get(category.lower())
    if most is None:
        raise Reply(invalid_request(f"Unknown media_category {category}.", {"media_category": [category]}))
    if size > most:
        raise Reply(
            invalid_request(
                f"The media is {size} bytes; {category} takes at most {most} bytes.", {"total_bytes": [str(size)]}
            )
        )


def _own_upload(call: Call, account: str) -> Upload:
    upload = call.state.upload(call.params["id"])
    if upload is None or upload.account != account:
        raise Reply(invalid_request("The media id is unknown or expired.", {"id": [call.params["id"]]}))
    return upload


@router.route("POST", r"/2/media/upload/(?P<id>\d+)/append")
def append_upload(call: Call) -> Response:
    upload = _own_upload(call, authenticate(call))
    chunk = call.request.files.get("media")
    try:
        segment = int(call.request.arg("segment_index"))
    except ValueError:
        segment = -1
    if chunk is None or not 0 <= segment <= 999:
        raise Reply(invalid_request("media and a segment_index between 0 and 999 are required."))
    with call.state.lock:
        upload.add(segment, chunk.data)
    return json_response(200, {"data": {"expires_at": int(time.time()) + MEDIA_EXPIRES_SECONDS}})


@router.route("POST", r"/2/media/upload/(?P<id>\d+)/finalize")
def finalize_upload(call: Call) -> Response:
    """Videos and GIFs then "process": at once (the first STATUS poll finds them done), or
    for the `processing_seconds` of a fault rule. Uploading the same bytes again is counted
    (`duplicate_uploads` in /_sandbox/counts): a client that gave up waiting re-uploads."""
    upload = _own_upload(call, authenticate(call))
    if upload.received != upload.total:
        raise Reply(
            invalid_request(
                f"Segments do not add up to provided total file size ({upload.received} of {upload.total} bytes)."
            )
        )
    media = Media(upload.id, NETWORK, upload.account, upload.mime_type, upload.received)
    call.state.add_media(media, upload.content() or b"")
    call.state.note_upload(NETWORK, upload.account, upload.fingerprint())
    processing = None if upload.mime_type.startswith("image/") and upload.mime_type != "image/gif" else "pending"
    took = call.fault.processing_seconds if processing else 0.0
    with call.state.lock:
        upload.metadata["processing"] = processing or "succeeded"
        upload.metadata["processing_seconds"] = took
        upload.metadata["ready_at"] = time.monotonic() + took
    return json_response(200, {"data": _media_data(media, processing, remaining=took)})


@router.route("GET", r"/2/media/upload")
def upload_status(call: Call) -> Response:
    account = authenticate(call)
    media = call.state.get_media(call.request.arg("media_id"))
    if call.request.arg("command") != "STATUS" or media is None or media.account != account:
        raise Reply(invalid_request("command=STATUS and a known media_id are required."))
    upload = call.state.upload(media.id)
    if upload is None:
        return json_response(200, {"data": _media_data(media, "succeeded")})
    with call.state.lock:
        state, remaining, done = _processing(upload)
        if state == "pending":
            upload.metadata["processing"] = state = "in_progress"
    return json_response(200, {"data": _media_data(media, state, remaining=remaining, done=done)})


@router.route("POST", r"/2/media/metadata")
def media_metadata(call: Call) -> Response:
    """Alt text: {"id": …, "metadata": {"alt_text": {"text": …}}}."""
    account = authenticate(call)
    body = call.request.json()
    media = call.state.get_media(str(body.get("id"))) if isinstance(body, dict) else None
    if media is None or media.account != account:
        raise Reply(invalid_request("The media id is unknown.", {"id": []}))
    alt_text = ((body.get("metadata") or {}).get("alt_text") or {}).get("text", "")
    with call.state.lock:
        media.alt_text = str(alt_text)
    return json_response(200, {"data": {"id": media.id, "associated_metadata": {"alt_text": {"text": media.alt_text}}}})


# --- OAuth 2.0 with PKCE ------------------------------------------------------------------


def _scopes(request: Request) -> tuple[str, ...]:
    return tuple(request.arg("scope").split())


@router.route("GET", r"/i/oauth2/authorize", api=False)
def authorize_page(call: Call) -> Response:
    require_redirect_uri(call.request.arg("redirect_uri"))
    return consent_page(call, network=NETWORK, client_id=call.request.arg("client_id"), scopes=_scopes(call.request))


@router.route("POST", r"/i/oauth2/authorize", api=False)
def authorize_decision(call: Call) -> Response:
    request = call.request
    return answer_consent(
        call,
        network=NETWORK,
        client_id=request.arg("client_id"),
        redirect_uri=require_redirect_uri(request.arg("redirect_uri")),
        scopes=_scopes(request),
        denied={"error": "access_denied"},
        offline="offline.access" in _scopes(request),
    )


def _issue(call: Call, account: str, scopes: tuple[str, ...], *, offline: bool) -> Response:
    access = tokens.issue(NETWORK, account)
    answer: dict[str, Any] = {
        "token_type": "bearer",
        "expires_in": ACCESS_TOKEN_SECONDS,
        "access_token": access,
    }
    issued = [access]
    if scopes:
        answer["scope"] = " ".join(scopes)
    if offline:
        refresh = tokens.issue(NETWORK, account, kind=tokens.REFRESH)
        call.state.remember_scopes(refresh, scopes)
        answer["refresh_token"] = refresh
        issued.append(refresh)
    call.state.issued(*issued)
    return json_response(200, answer)


@router.route("POST", r"/2/oauth2/token")
def token(call: Call) -> Response:
    grant_type = call.request.arg("grant_type")
    if grant_type == "authorization_code":
        grant = redeem_code(call, network=NETWORK)
        if grant is None:
            raise Reply(token_error("authorization code"))
        return _issue(call, grant.account, grant.scopes, offline=grant.offline)
    if grant_type == "refresh_token":
        raw = call.request.arg("refresh_token")
        account = tokens.account_of(raw, NETWORK, tokens.REFRESH)
        # Single use: spending it again revokes the family (see SandboxState).
        if account is None or call.fault.revoked or not call.state.use_refresh_token(raw):
            raise Reply(token_error("token"))
        return _issue(call, account, call.state.scopes_of(raw) or (), offline=True)
    return json_response(
        400,
        {
            "error": "unsupported_grant_type",
            "error_description": "grant_type must be authorization_code or refresh_token.",
        },
    )


# --- What the public says: mentions, a conversation's replies, the X Activity API's pushes


READ_WINDOW_SECONDS = 900  # X's rate-limit windows are 15 minutes
MENTIONS_PER_WINDOW = 300  # per user (docs.x.com rate limits)
SEARCH_PER_WINDOW = 300
SEARCH_DAYS = 7  # recent search reaches back a week
_CONVERSATION = re.compile(r"\Aconversation_id:(\d{1,19})\Z")


def said_json(said: public.Said, fields: set[str]) -> dict[str, Any]:
    """One of the public's posts as v2 gives it: an edit is a new id, its history says whose."""
    history = [said.id, said.version_id] if said.version_id else [said.id]
    tweet: dict[str, Any] = {"id": said.current_id, "text": said.text, "edit_history_tweet_ids": history}
    known: dict[str, Any] = {
        "created_at": _iso(said.edited_at or said.created_at),
        "author_id": said.author.id,
        "conversation_id": said.thread,
        "lang": said.language or "und",
    }
    if said.kind == public.QUOTE:
        known["referenced_tweets"] = [{"type": "quoted", "id": said.post}]
    elif said.kind == public.REPLY:
        known["referenced_tweets"] = [{"type": "replied_to", "id": said.parent}]
        known["in_reply_to_user_id"] = said.account if said.parent == said.post else _author_of(said)
    return tweet | {name: value for name, value in known.items() if name in fields}


def _author_of(said: public.Said) -> str:
    return said.author.id  # replies to replies: in the sandbox, people answer themselves too


def _users(said: list[public.Said], request: Request) -> dict[str, Any]:
    if "author_id" not in _fields(request, "expansions"):
        return {}
    seen: dict[str, dict[str, str]] = {}
    for item in said:
        seen.setdefault(
            item.author.id, {"id": item.author.id, "name": item.author.name, "username": item.author.handle}
        )
    return {"includes": {"users": list(seen.values())}} if seen else {}


def _count_read(call: Call, account: str, endpoint: str, limit: int) -> dict[str, str]:
    """X's rate-limit headers for this call; a 429 once the window's calls are spent."""
    used = call.state.public.count_call(NETWORK, account, endpoint, READ_WINDOW_SECONDS)
    reset = math.ceil((time.time() // READ_WINDOW_SECONDS + 1) * READ_WINDOW_SECONDS)
    headers = {"x-rate-limit-limit": str(limit), "x-rate-limit-remaining": str(max(0, limit - used))}
    headers["x-rate-limit-reset"] = str(reset)
    if used > limit:
        raise Reply(problem(429, "Too Many Requests", "Too Many Requests", headers=headers))
    return headers


def _max_results(request: Request, low: int, default: int) -> int:
    raw = request.arg("max_results") or str(default)
    if not raw.isdigit() or not low <= int(raw) <= 100:
        raise Reply(
            invalid_request(
                f"The `max_results` query parameter value [{raw}] is not between {low} and 100",
                {"max_results": [raw]},
            )
        )
    return int(raw)


def _listing(call: Call, said: list[public.Said], *, page_param: str, size: int, headers: dict[str, str]) -> Response:
    """Newest first past `since_id`, a page at a time (`meta.next_token`)."""
    request = call.request
    raw_since = request.arg("since_id") or "0"
    if not raw_since.isdigit():
        raise Reply(invalid_request("since_id is malformed.", {"since_id": [raw_since]}))
    since = int(raw_since)
    posts = sorted((s for s in said if not s.deleted and int(s.current_id) > since), key=lambda s: -int(s.current_id))
    token = request.arg(page_param)
    if token:
        _, pivot = _read_page_token(token)
        posts = [s for s in posts if int(s.current_id) < pivot]
    page, rest = posts[:size], posts[size:]
    meta: dict[str, Any] = {"result_count": len(page)}
    if not page:
        return json_response(200, {"meta": meta}, headers)
    meta |= {"newest_id": page[0].current_id, "oldest_id": page[-1].current_id}
    if rest:
        meta["next_token"] = _page_token("<", page[-1].current_id)
    fields = _fields(request, "tweet.fields")
    body = {"data": [said_json(s, fields) for s in page], **_users(page, request), "meta": meta}
    return json_response(200, body, headers)


@router.route("GET", r"/2/users/(?P<id>\d+)/mentions")
def get_mentions(call: Call) -> Response:
    """The posts naming the user, newest first: `since_id`, `pagination_token`,
    `max_results` 5 to 100, `tweet.fields`, `expansions=author_id`."""
    account = authenticate(call)
    require_read_access(call)
    headers = _count_read(call, account, "mentions", MENTIONS_PER_WINDOW)
    size = _max_results(call.request, 5, 10)
    handle = call.state.account(NETWORK, call.params["id"]).handle
    said = [s for s in call.state.public.of_account(NETWORK, call.params["id"]) if f"@{handle}" in s.text]
    return _listing(call, said, page_param="pagination_token", size=size, headers=headers)


@router.route("GET", r"/2/tweets/search/recent")
def search_recent(call: Call) -> Response:
    """Recent search, for the one operator we use: `conversation_id:<id>` (the replies in
    one of our posts' threads, replies to replies included), the last seven days."""
    account = authenticate(call)
    require_read_access(call)
    headers = _count_read(call, account, "search", SEARCH_PER_WINDOW)
    query = call.request.arg("query")
    found = _CONVERSATION.match(query)
    if found is None:
        raise Reply(
            invalid_request("The sandbox's recent search knows only `conversation_id:<id>`.", {"query": [query]})
        )
    size = _max_results(call.request, 10, 10)
    oldest = datetime.now(UTC) - timedelta(days=SEARCH_DAYS)
    said = [s for s in call.state.public.in_thread(NETWORK, found[1]) if s.created_at >= oldest]
    return _listing(call, said, page_param="next_token", size=size, headers=headers)


_EVENTS = {public.MENTION: "post.mention.create", public.REPLY: "post.reply.create", public.QUOTE: "post.quote.create"}
_ALL_FIELDS = {"created_at", "author_id", "conversation_id", "lang"}


def webhook_body(said: public.Said, verb: str) -> bytes | None:
    """The X Activity API's event for a new post of the public, as its webhook delivers it;
    None for what it does not push (edits, deletions, replies to replies)."""
    if verb != "add" or (said.kind == public.REPLY and said.parent != said.post):
        return None
    event = {
        "event_uuid": str(int(hashlib.sha256(said.id.encode()).hexdigest()[:15], 16)),
        "filter": {"user_id": said.account},
        "event_type": _EVENTS[said.kind],
        "tag": "diplomacy-hub",
        "payload": said_json(said, _ALL_FIELDS | {"referenced_tweets", "in_reply_to_user_id"}),
        "includes": {"users": [{"id": said.author.id, "name": said.author.name, "username": said.author.handle}]},
    }
    return public.dumps({"data": event})


SPEC = NetworkSpec(
    prefix="twitter",
    network=NETWORK,
    router=router,
    account_of=account_of,
    server_error=server_error,
    rate_limited=rate_limited,
    not_found=unknown_path,
)
