"""YouTube Data API v3 as google-api-python-client 2.202 calls it (prefix `youtube`).

videos.insert through the resumable protocol (a session POST answered with a Location,
then PUT chunks answered 308 + Range until the last, and `Content-Range: bytes */N`
status queries after an error) or a multipart upload; videos.delete, videos.list,
channels.list(mine=true), playlistItems.list (a channel's uploads playlist, newest first,
in pages) and search.list; and the YouTube Analytics API's reports.query (v2, for a
video of the channel). Errors are Google's `{"error": {code, message, errors:
[{reason, domain, message}]}}`; rate and quota limits are 403s, as YouTube answers them
(`rateLimitExceeded`, or `quotaExceeded` for the project's daily quota).
Google OAuth lives beside it, in google_oauth.py.
"""

from __future__ import annotations

import base64
import hashlib
import html
import json
import math
import re
import secrets
from datetime import UTC, datetime
from typing import Any

from channels.sandbox import metrics, public, tokens
from channels.sandbox.http import Call, NetworkSpec, Reply, Request, Response, Router, json_response
from channels.sandbox.state import Item, Media, SandboxState, Upload

NETWORK = "youtube"
TITLE_MAX = 100
DESCRIPTION_MAX_BYTES = 5000
TAGS_MAX_CHARS = 500
PRIVACY = ("private", "unlisted", "public")
UPLOAD_PATH = "/upload/youtube/v3/videos"

router = Router()


# --- Error bodies -----------------------------------------------------------------------------


def google_error(
    status: int,
    message: str,
    reason: str,
    domain: str = "global",
    *,
    headers: dict[str, str] | None = None,
    **detail: str,
) -> Response:
    return json_response(
        status,
        {
            "error": {
                "code": status,
                "message": message,
                "errors": [{"message": message, "domain": domain, "reason": reason, **detail}],
            }
        },
        headers,
    )


def unauthorized() -> Response:
    return google_error(
        401,
        "Request had invalid authentication credentials. Expected OAuth 2 access token, login cookie or "
        "other valid authentication credential.",
        "authError",
        location="Authorization",
        locationType="header",
        headers={"WWW-Authenticate": 'Bearer realm="https://accounts.google.com/", error="invalid_token"'},
    )


def rate_limited(request: Request, reset_seconds: float) -> Response:
    """YouTube answers too many calls with a 403. It seldom says when to come back; the
    sandbox adds the rule's wait as Retry-After, so that tests and drills need not wait the
    adapter's default minute (docs/sandbox.md)."""
    return google_error(
        403,
        "Rate Limit Exceeded",
        "rateLimitExceeded",
        "usageLimits",
        headers={"Retry-After": str(math.ceil(reset_seconds))},
    )


def quota_exceeded(request: Request) -> Response:
    """The project's daily quota is spent: 403 until midnight Pacific time."""
    return google_error(
        403,
        'The request cannot be completed because you have exceeded your <a href="/youtube/v3/getting-started#quota">'
        "quota</a>.",
        "quotaExceeded",
        "youtube.quota",
    )


def server_error(request: Request) -> Response:
    return google_error(503, "The service is currently unavailable.", "backendError")


def unknown_path(request: Request) -> Response:
    return google_error(404, "Not Found", "notFound")


def video_not_found(video_id: str) -> Response:
    return google_error(
        404,
        "The video identified by the <code>id</code> parameter could not be found.",
        "videoNotFound",
        "youtube.video",
        location="id",
        locationType="parameter",
    )


def account_of(request: Request, state: SandboxState) -> str | None:
    """The bearer token's channel; for an upload session's PUT (whose URL is its own
    credential), the channel that opened the session."""
    account = tokens.account_of(request.bearer_token(), NETWORK)
    if account is None and request.arg("upload_id"):
        upload = state.upload(request.arg("upload_id"))
        return upload.account if upload else None
    return account


def authenticate(call: Call) -> str:
    raw = call.request.bearer_token()
    account = tokens.account_of(raw, NETWORK)
    if account is None or call.fault.revoked or not call.state.token_valid(raw):
        raise Reply(unauthorized())
    return account


# --- Resources ------------------------------------------------------------------------------------


def _rfc3339(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _etag(*parts: str) -> str:
    return hashlib.sha256("/".join(parts).encode()).hexdigest()[:27]


def _parts(request: Request) -> set[str]:
    return {part.strip() for part in request.arg("part").split(",") if part.strip()}


def _thumbnails(video_id: str) -> dict[str, Any]:
    return {"default": {"url": f"https://i.ytimg.com/vi/{video_id}/default.jpg", "width": 120, "height": 90}}


def video_resource(call: Call, item: Item, parts: set[str], *, just_uploaded: bool = False) -> dict[str, Any]:
    channel = call.state.account(NETWORK, item.account)
    resource: dict[str, Any] = {
        "kind": "youtube#video",
        "etag": _etag(item.id, str(item.deleted)),
        "id": item.id,
    }
    if "snippet" in parts:
        resource["snippet"] = {
            "publishedAt": _rfc3339(item.created_at),
            "channelId": item.account,
            "title": item.title,
            "description": item.text,
            "thumbnails": _thumbnails(item.id),
            "channelTitle": channel.name,
            "tags": list(item.tags),
            "categoryId": item.details.get("categoryId", "22"),
            "liveBroadcastContent": "none",
            "localized": {"title": item.title, "description": item.text},
        }
        if not item.tags:
            del resource["snippet"]["tags"]  # YouTube leaves the key out
    if "status" in parts:
        resource["status"] = {
            "uploadStatus": "uploaded" if just_uploaded else "processed",
            "privacyStatus": item.details.get("privacyStatus", "public"),
            "license": "youtube",
            "embeddable": True,
            "publicStatsViewable": True,
            "madeForKids": bool(item.details.get("selfDeclaredMadeForKids")),
            "selfDeclaredMadeForKids": bool(item.details.get("selfDeclaredMadeForKids")),
        }
    if "statistics" in parts:
        e = metrics.engagement(item)
        resource["statistics"] = {
            "viewCount": str(e.views),
            "likeCount": str(e.likes),
            "favoriteCount": "0",
            "commentCount": str(e.comments),
        }
    return resource


def _list_response(kind: str, items: list[dict[str, Any]], per_page: int = 5) -> Response:
    return json_response(
        200,
        {
            "kind": kind,
            "etag": _etag(kind, str(len(items))),
            "items": items,
            "pageInfo": {"totalResults": len(items), "resultsPerPage": max(per_page, len(items))},
        },
    )


# --- Upload ------------------------------------------------------------------------------------------


def _invalid(reason: str, message: str) -> Reply:
    return Reply(google_error(400, message, reason, "youtube.video"))


def _checked_metadata(body: Any) -> dict[str, Any]:
    """The video metadata of videos.insert, refused the way YouTube refuses it."""
    if not isinstance(body, dict):
        raise _invalid("parseError", "Parse Error")
    snippet, status = body.get("snippet") or {}, body.get("status") or {}
    title, description = str(snippet.get("title") or ""), str(snippet.get("description") or "")
    tags = [str(tag) for tag in snippet.get("tags") or []]
    if not title.strip() or len(title) > TITLE_MAX or re.search("[<>]", title):
        raise _invalid("invalidTitle", "The request metadata specifies an invalid or empty video title.")
    if len(description.encode()) > DESCRIPTION_MAX_BYTES or re.search("[<>]", description):
        raise _invalid("invalidDescription", "The request metadata specifies an invalid video description.")
    # Tags count their commas, and the quotes around a tag that contains a space.
    if sum(len(tag) + (2 if " " in tag else 0) for tag in tags) + max(len(tags) - 1, 0) > TAGS_MAX_CHARS:
        raise _invalid("invalidTags", "The request metadata specifies invalid video keywords.")
    category = str(snippet.get("categoryId") or "22")
    if not category.isdigit():
        raise _invalid(
            "invalidCategoryId",
            "The <code>snippet.categoryId</code> property specifies an invalid category ID.",
        )
    privacy = status.get("privacyStatus") or "public"
    if privacy not in PRIVACY:
        raise _invalid("invalidVideoMetadata", "The request metadata is invalid.")
    return {
        "title": title,
        "description": description,
        "tags": tuple(tags),
        "categoryId": category,
        "privacyStatus": privacy,
        "selfDeclaredMadeForKids": bool(status.get("selfDeclaredMadeForKids")),
    }


def _new_video_id(state: SandboxState) -> str:
    while True:
        video_id = secrets.token_urlsafe(8)  # 11 characters, like YouTube's
        if state.item(NETWORK, video_id) is None:
            return video_id


def _publish(call: Call, account: str, metadata: dict[str, Any], mime: str, size: int) -> Item:
    video_id = _new_video_id(call.state)
    media = call.state.add_media(Media(video_id, NETWORK, account, mime, size), b"")
    return call.state.add_item(
        Item(
            NETWORK,
            account,
            video_id,
            "video",
            metadata["description"],
            title=metadata["title"],
            tags=metadata["tags"],
            media=[media],
            details={key: metadata[key] for key in ("categoryId", "privacyStatus", "selfDeclaredMadeForKids")},
        )
    )


@router.route("POST", UPLOAD_PATH)
def start_upload(call: Call) -> Response:
    account = authenticate(call)
    upload_type = call.request.arg("uploadType")
    if upload_type == "multipart":
        return _multipart_upload(call, account)
    if upload_type != "resumable":
        raise _invalid("mediaBodyRequired", "The request does not include the video content.")
    metadata = _checked_metadata(call.request.json())
    declared = call.request.header("X-Upload-Content-Length")
    upload = call.state.add_upload(
        Upload(
            secrets.token_urlsafe(24),
            NETWORK,
            account,
            call.request.header("X-Upload-Content-Type") or "video/*",
            int(declared) if declared.isdigit() else None,
            keep_bytes=False,
            metadata=metadata | {"parts": ",".join(sorted(_parts(call.request)))},
        )
    )
    location = call.url(
        UPLOAD_PATH, {"uploadType": "resumable", "upload_id": upload.id, "part": upload.metadata["parts"]}
    )
    return Response(200, b"", {"Location": location, "X-GUploader-UploadID": upload.id})


def _multipart_upload(call: Call, account: str) -> Response:
    files = call.request.files
    if "0" not in files or "1" not in files:
        raise _invalid("mediaBodyRequired", "The request does not include the video content.")
    try:
        metadata = _checked_metadata(json.loads(files["0"].data))
    except ValueError:
        raise _invalid("parseError", "Parse Error") from None
    media = files["1"]
    item = _publish(call, account, metadata, media.content_type or "video/*", len(media.data))
    return json_response(200, video_resource(call, item, _parts(call.request), just_uploaded=True))


_RANGE = re.compile(r"bytes (?:(\d+)-(\d+)|\*)/(\d+|\*)")


@router.route("PUT", UPLOAD_PATH)
def upload_chunk(call: Call) -> Response:
    """A chunk (`Content-Range: bytes a-b/N`), or a status query (`bytes */N`)."""
    upload = call.state.upload(call.request.arg("upload_id"))
    if upload is None:
        raise Reply(google_error(404, "The upload session does not exist or has expired.", "notFound"))
    parts = set(upload.metadata["parts"].split(","))
    if upload.item_id is not None:  # already complete: say so again
        return _finished(call, upload, parts)
    match = _RANGE.fullmatch(
        call.request.header("Content-Range", f"bytes 0-{len(call.request.body) - 1}/{len(call.request.body)}")
    )
    if match is None:
        raise _invalid("badRequest", "Invalid Content-Range header.")
    start, total = match.group(1), match.group(3)
    with call.state.lock:
        if total != "*":
            upload.total = int(total)
        if start is not None:
            _append(upload, int(start), call.request.body)
        complete = upload.total is not None and upload.received >= upload.total
        if complete:
            item = _publish(call, upload.account, upload.metadata, upload.mime_type, upload.received)
            upload.item_id = item.id
    if complete:
        return _finished(call, upload, parts, just_uploaded=True)
    # 308 "Resume Incomplete": Range says what arrived (nothing yet: no Range at all).
    return Response(308, b"", {"Range": f"bytes=0-{upload.received - 1}"} if upload.received else {})


def _append(upload: Upload, start: int, chunk: bytes) -> None:
    """Add a chunk at `start`; a chunk sent again after an error may overlap what we
    have, a gap cannot be filled."""
    received = upload.received
    if start > received:
        raise _invalid("badRequest", f"Chunk starts at {start}, but only {received} bytes arrived.")
    upload.add(received, chunk[received - start :])


def _finished(call: Call, upload: Upload, parts: set[str], *, just_uploaded: bool = False) -> Response:
    item = call.state.item(NETWORK, upload.item_id or "")
    if item is None:
        raise Reply(video_not_found(upload.item_id or ""))
    return json_response(200, video_resource(call, item, parts, just_uploaded=just_uploaded))


# --- Videos, channels, search ---------------------------------------------------------------------------


@router.route("DELETE", r"/youtube/v3/videos")
def delete_video(call: Call) -> Response:
    account = authenticate(call)
    video_id = call.request.arg("id")
    item = call.state.item(NETWORK, video_id)
    if item is None or item.deleted:
        raise Reply(video_not_found(video_id))
    if item.account != account:
        raise Reply(
            google_error(
                403,
                "The video that you are trying to delete cannot be deleted. The request "
                "might not be properly authorized.",
                "forbidden",
                "youtube.video",
            )
        )
    call.state.mark_deleted(item)
    return Response(204)


@router.route("GET", r"/youtube/v3/videos")
def list_videos(call: Call) -> Response:
    authenticate(call)
    if call.request.arg("maxResults") and call.request.arg("id"):
        # The discovery document: maxResults "is not supported for use in conjunction with
        # the id parameter".
        raise Reply(
            google_error(400, "The maxResults parameter cannot be used with the id parameter.", "invalidParameter")
        )
    parts = _parts(call.request)
    found = (call.state.item(NETWORK, video_id) for video_id in call.request.arg("id").split(","))
    videos = [video_resource(call, item, parts) for item in found if item is not None and not item.deleted]
    return _list_response("youtube#videoListResponse", videos)


@router.route("GET", r"/youtube/v3/channels")
def list_channels(call: Call) -> Response:
    account = call.state.account(NETWORK, authenticate(call))
    if call.request.arg("mine") != "true":
        raise _invalid("missingRequiredParameter", "No filter selected. Expected one of: mine.")
    parts = _parts(call.request)
    videos = [item for item in call.state.items_of(NETWORK, account.id) if not item.deleted]
    channel: dict[str, Any] = {"kind": "youtube#channel", "etag": _etag(account.id), "id": account.id}
    if "snippet" in parts:
        channel["snippet"] = {
            "title": account.name,
            "description": "",
            "customUrl": f"@{account.handle}",
            "publishedAt": "2015-01-01T00:00:00Z",
            "thumbnails": _thumbnails(account.id),
            "localized": {"title": account.name, "description": ""},
        }
    if "statistics" in parts:
        channel["statistics"] = {
            "viewCount": str(sum(metrics.engagement(item).views for item in videos)),
            "subscriberCount": str(metrics.followers(NETWORK, account.id)),
            "hiddenSubscriberCount": False,
            "videoCount": str(len(videos)),
        }
    if "contentDetails" in parts:
        channel["contentDetails"] = {"relatedPlaylists": {"likes": "", "uploads": _uploads_playlist(account.id)}}
    return _list_response("youtube#channelListResponse", [channel])


# --- YouTube Analytics API v2 (youtubeanalytics.googleapis.com, served under the same prefix) -------

# The metrics the sandbox reports for one video, by their API names.
REPORT_METRICS = ("views", "estimatedMinutesWatched", "likes", "shares", "subscribersGained", "comments")


def _analytics_error(message: str) -> Reply:
    return Reply(google_error(400, message, "badRequest"))


@router.route("GET", r"/v2/reports")
def analytics_report(call: Call) -> Response:
    """reports.query for one video of the caller's channel (`ids=channel==MINE`,
    `filters=video==ID`): one row of lifetime totals, seeded and growing as the Data API's
    statistics do. Without `filters` the whole channel's videos are summed."""
    account = authenticate(call)
    request = call.request
    for name in ("ids", "metrics", "startDate", "endDate"):
        if not request.arg(name):
            raise _analytics_error(f"Required parameter: {name}")
    if request.arg("ids") not in ("channel==MINE", f"channel=={account}"):
        raise Reply(google_error(403, "Forbidden", "forbidden"))
    wanted = request.arg("metrics").split(",")
    unknown = [name for name in wanted if name not in REPORT_METRICS]
    if unknown:
        raise _analytics_error(f"Unknown identifier ({unknown[0]}) given in field parameters.metrics.")
    videos = [item for item in call.state.items_of(NETWORK, account) if not item.deleted]
    wanted_filter = request.arg("filters")
    if wanted_filter:
        key, _, value = wanted_filter.partition("==")
        if key != "video":
            raise _analytics_error(f"The query is not supported. Check the documentation for the filter {key}.")
        videos = [item for item in videos if item.id in value.split(",")]
    totals = dict.fromkeys(wanted, 0)
    for item in videos:
        e = metrics.engagement(item)
        values = {
            "views": e.views,
            "estimatedMinutesWatched": e.watch_minutes,
            "likes": e.likes,
            "shares": e.shares,
            "subscribersGained": e.subscribers_gained,
            "comments": e.comments,
        }
        for name in wanted:
            totals[name] += values[name]
    headers = [{"name": name, "columnType": "METRIC", "dataType": "INTEGER"} for name in wanted]
    body: dict[str, Any] = {"kind": "youtubeAnalytics#resultTable", "columnHeaders": headers}
    if videos:  # no activity: YouTube leaves `rows` out
        body["rows"] = [[totals[name] for name in wanted]]
    return json_response(200, body)


def _matches(item: Item, query: str) -> bool:
    """Every word of `q` appears in the title, description or tags (case-insensitive)."""
    haystack = " ".join((item.title, item.text, *item.tags)).lower()
    return all(word in haystack for word in query.lower().split())


def _uploads_playlist(channel_id: str) -> str:
    return "UU" + channel_id[2:]


def _page_token(offset: int) -> str:
    return base64.urlsafe_b64encode(f"offset:{offset}".encode()).decode().rstrip("=")


def _offset(token: str) -> int:
    if not token:
        return 0
    try:
        prefix, _, offset = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)).decode().partition(":")
        if prefix == "offset" and offset.isdigit():
            return int(offset)
    except ValueError:
        pass
    raise _invalid("invalidPageToken", "The request specifies an invalid page token.")


@router.route("GET", r"/youtube/v3/playlistItems")
def list_playlist_items(call: Call) -> Response:
    """A channel's uploads playlist (`UU` + the channel id after `UC`), newest first, in
    pages of maxResults (5 by default, 50 at most); others see its public videos only."""
    account = authenticate(call)
    request = call.request
    playlist = request.arg("playlistId")
    owners = [
        channel
        for channel in {item.account for item in call.state.items_of(NETWORK)} | {account}
        if _uploads_playlist(channel) == playlist
    ]
    if not playlist or not owners:
        raise Reply(
            google_error(
                404,
                "The playlist identified with the request's <code>playlistId</code> parameter cannot be found.",
                "playlistNotFound",
                "youtube.playlistItem",
                location="playlistId",
                locationType="parameter",
            )
        )
    try:
        limit = int(request.arg("maxResults") or 5)
    except ValueError:
        limit = -1
    if not 0 <= limit <= 50:
        raise _invalid("invalidParameter", "maxResults is between 0 and 50.")
    owner, parts, start = owners[0], _parts(request), _offset(request.arg("pageToken"))
    videos = [
        item
        for item in reversed(call.state.items_of(NETWORK, owner))
        if not item.deleted and (owner == account or item.details.get("privacyStatus") == "public")
    ]
    page = videos[start : start + limit]
    body: dict[str, Any] = {
        "kind": "youtube#playlistItemListResponse",
        "etag": _etag(playlist, str(start), str(len(videos))),
        "items": [_playlist_item(call, item, playlist, start + index, parts) for index, item in enumerate(page)],
        "pageInfo": {"totalResults": len(videos), "resultsPerPage": limit},
    }
    if start + limit < len(videos):
        body["nextPageToken"] = _page_token(start + limit)
    if start:
        body["prevPageToken"] = _page_token(max(0, start - limit))
    return json_response(200, body)


def _playlist_item(call: Call, item: Item, playlist: str, position: int, parts: set[str]) -> dict[str, Any]:
    resource: dict[str, Any] = {
        "kind": "youtube#playlistItem",
        "etag": _etag(playlist, item.id),
        "id": base64.urlsafe_b64encode(f"{playlist}.{item.id}".encode()).decode().rstrip("="),
    }
    if "snippet" in parts:
        channel = call.state.account(NETWORK, item.account).name
        resource["snippet"] = {
            "publishedAt": _rfc3339(item.created_at),
            "channelId": item.account,
            "title": item.title,
            "description": item.text,
            "thumbnails": _thumbnails(item.id),
            "channelTitle": channel,
            "playlistId": playlist,
            "position": position,
            "resourceId": {"kind": "youtube#video", "videoId": item.id},
            "videoOwnerChannelTitle": channel,
            "videoOwnerChannelId": item.account,
        }
    if "contentDetails" in parts:
        resource["contentDetails"] = {"videoId": item.id, "videoPublishedAt": _rfc3339(item.created_at)}
    if "status" in parts:
        resource["status"] = {"privacyStatus": item.details.get("privacyStatus", "public")}
    return resource


@router.route("GET", r"/youtube/v3/search")
def search(call: Call) -> Response:
    """search.list: with forMine=true, the caller's videos (private ones included). YouTube
    is reported to refuse forMine with publishedAfter: so does the sandbox."""
    account = authenticate(call)
    request = call.request
    if request.arg("forMine") == "true" and request.arg("publishedAfter"):
        raise _invalid(
            "invalidSearchFilter",
            "The request contains an invalid combination of search filters and/or restrictions.",
        )
    try:
        limit = min(int(request.arg("maxResults") or 5), 50)
        after = datetime.fromisoformat(request.arg("publishedAfter") or "1970-01-01T00:00:00Z")
    except ValueError:
        raise _invalid("invalidParameter", "maxResults or publishedAfter is malformed.") from None
    mine = request.arg("forMine") == "true"
    found = [
        item
        for item in reversed(call.state.items_of(NETWORK, account if mine else None))
        if not item.deleted
        and item.created_at >= after
        and _matches(item, request.arg("q"))
        and (mine or item.details.get("privacyStatus") == "public")
    ][:limit]
    results = [
        {
            "kind": "youtube#searchResult",
            "etag": _etag("search", item.id),
            "id": {"kind": "youtube#video", "videoId": item.id},
            "snippet": {
                "publishedAt": _rfc3339(item.created_at),
                "channelId": item.account,
                "title": item.title,
                "description": item.text[:160],
                "thumbnails": _thumbnails(item.id),
                "channelTitle": call.state.account(NETWORK, item.account).name,
                "liveBroadcastContent": "none",
                "publishTime": _rfc3339(item.created_at),
            },
        }
        for item in found
    ]
    return _list_response("youtube#searchListResponse", results, limit)


# --- What the public says: comment threads and replies, under a project's daily quota ------------

QUOTA_UNITS_PER_DAY = 10_000  # one Google Cloud project's default, shared by every channel
_QUOTA_DAY_SECONDS = 86_400


def _spend_quota(call: Call, units: int = 1) -> None:
    """Count a list call against the project's day; past the quota, YouTube's 403."""
    used = 0
    for _ in range(units):
        used = call.state.public.count_call(NETWORK, "project", "units", _QUOTA_DAY_SECONDS)
    if used > QUOTA_UNITS_PER_DAY:
        raise Reply(
            google_error(
                403,
                "The request cannot be completed because you have exceeded your "
                '<a href="/youtube/v3/getting-started#quota">quota</a>.',
                "quotaExceeded",
                "youtube.quota",
            )
        )


def _page_args(request: Request, default: int) -> tuple[int, int]:
    raw = request.arg("maxResults") or str(default)
    page_token = request.arg("pageToken")
    if not raw.isdigit() or not 1 <= int(raw) <= 100:
        raise _invalid("invalidParameter", f"Invalid value '{raw}'. Values must be within the range: [1, 100]")
    try:
        start = int(base64.urlsafe_b64decode(page_token.encode() + b"==").decode()) if page_token else 0
    except ValueError:
        raise _invalid("invalidPageToken", "The request specifies an invalid page token.") from None
    return int(raw), start


def _paged(kind: str, items: list[dict[str, Any]], size: int, start: int) -> Response:
    page = items[start : start + size]
    body: dict[str, Any] = {
        "kind": kind,
        "etag": _etag(kind, str(start), str(len(items))),
        "pageInfo": {"totalResults": len(items), "resultsPerPage": size},
        "items": page,
    }
    if start + size < len(items):
        body["nextPageToken"] = base64.urlsafe_b64encode(str(start + size).encode()).decode().rstrip("=")
    return json_response(200, body)


def comment_resource(said: public.Said, video_id: str) -> dict[str, Any]:
    text = said.text
    snippet: dict[str, Any] = {
        "channelId": said.account,
        "videoId": video_id,
        "textDisplay": html.escape(text),
        "textOriginal": text,
        "authorDisplayName": said.author.name,
        "authorProfileImageUrl": "https://yt3.ggpht.com/a/default-user=s48",
        "authorChannelUrl": f"http://www.youtube.com/@{said.author.handle}",
        "authorChannelId": {"value": said.author.id},
        "canRate": True,
        "viewerRating": "none",
        "likeCount": 0,
        "publishedAt": _rfc3339(said.created_at),
        "updatedAt": _rfc3339(said.edited_at or said.created_at),
    }
    if said.kind == public.REPLY:
        snippet["parentId"] = said.parent
    return {"kind": "youtube#comment", "etag": _etag(said.id, said.text), "id": said.id, "snippet": snippet}


@router.route("GET", r"/youtube/v3/commentThreads")
def list_comment_threads(call: Call) -> Response:
    """commentThreads.list(allThreadsRelatedToChannelId): the channel's threads, newest
    first (order=time), each with its reply count and up to five replies (part=replies)."""
    authenticate(call)
    request = call.request
    channel = request.arg("allThreadsRelatedToChannelId")
    if not channel:
        raise _invalid("missingRequiredParameter", "No filter selected. Expected one of: allThreadsRelatedToChannelId.")
    size, start = _page_args(request, 20)
    _spend_quota(call)
    said = [s for s in call.state.public.of_account(NETWORK, channel) if not s.deleted]
    replies: dict[str, list[public.Said]] = {}
    for item in said:
        if item.kind == public.REPLY:
            replies.setdefault(item.parent, []).append(item)
    tops = sorted((s for s in said if s.kind == public.COMMENT), key=lambda s: (s.created_at, s.id), reverse=True)
    parts = _parts(request)
    threads = []
    for top in tops:
        under = sorted(replies.get(top.id, []), key=lambda s: s.created_at)
        thread: dict[str, Any] = {
            "kind": "youtube#commentThread",
            "etag": _etag("thread", top.id, str(len(under))),
            "id": top.id,
            "snippet": {
                "channelId": channel,
                "videoId": top.post,
                "topLevelComment": comment_resource(top, top.post),
                "canReply": True,
                "totalReplyCount": len(under),
                "isPublic": True,
            },
        }
        if "replies" in parts and under:
            thread["replies"] = {"comments": [comment_resource(reply, top.post) for reply in under[-5:]]}
        threads.append(thread)
    return _paged("youtube#commentThreadListResponse", threads, size, start)


@router.route("GET", r"/youtube/v3/comments")
def list_comments(call: Call) -> Response:
    """comments.list(parentId): every reply of a thread, oldest first."""
    authenticate(call)
    request = call.request
    parent = request.arg("parentId")
    if not parent:
        raise _invalid("missingRequiredParameter", "No filter selected. Expected one of: id, parentId.")
    size, start = _page_args(request, 20)
    _spend_quota(call)
    top = call.state.public.get(NETWORK, parent)
    if top is None:
        raise Reply(
            google_error(
                404,
                "The comment identified by the parentId parameter could not be found.",
                "commentNotFound",
                "youtube.comment",
            )
        )
    under = sorted(
        (s for s in call.state.public.of_account(NETWORK, top.account) if s.parent == parent and not s.deleted),
        key=lambda s: s.created_at,
    )
    return _paged("youtube#commentListResponse", [comment_resource(s, top.post) for s in under], size, start)


# --- Answering: replies in a thread, moderation ----------------------------------------------------

COMMENT_TEXT_MAX = 10_000
WRITE_UNITS = 50  # comments.insert and comments.setModerationStatus


def _comment_not_found(what: str) -> Reply:
    return Reply(
        google_error(
            404,
            f"The comment identified by the {what} parameter could not be found.",
            "commentNotFound",
            "youtube.comment",
        )
    )


@router.route("POST", r"/youtube/v3/comments")
def insert_comment(call: Call) -> Response:
    """comments.insert(part=snippet): a reply by the channel to a top-level comment
    (`snippet.parentId`, `snippet.textOriginal`); 50 units."""
    account = authenticate(call)
    body = call.request.json()
    snippet = body.get("snippet") if isinstance(body, dict) else None
    if not isinstance(snippet, dict):
        raise _invalid("invalidValue", "The request body must carry a snippet.")
    parent_id, text = snippet.get("parentId"), snippet.get("textOriginal")
    if not isinstance(parent_id, str) or not parent_id:
        raise _invalid("missingRequiredParameter", "No parent comment specified: snippet.parentId.")
    if not isinstance(text, str) or not text.strip():
        raise _invalid("commentTextRequired", "The comment resource must contain a value for snippet.textOriginal.")
    if len(text) > COMMENT_TEXT_MAX:
        raise _invalid("commentTextTooLong", "The comment resource's snippet.textOriginal is too long.")
    _spend_quota(call, WRITE_UNITS)
    top = call.state.public.get(NETWORK, parent_id)
    if top is None or top.deleted or top.kind != public.COMMENT:
        raise _comment_not_found("parentId")
    channel = call.state.account(NETWORK, account)
    token = base64.urlsafe_b64encode(hashlib.sha256(call.state.snowflake().encode()).digest()).decode()[:22]
    said = call.state.public.answer(
        public.Said(
            network=NETWORK,
            account=top.account,
            id=f"{top.id}.{token}",
            kind=public.REPLY,
            category="ours",
            language="",
            text=text,
            author=public.Person(id=account, name=channel.name, handle=channel.handle),
            created_at=datetime.now(UTC),
            post=top.post,
            parent=top.id,
            thread=top.thread,
        )
    )
    return json_response(200, comment_resource(said, top.post))


@router.route("POST", r"/youtube/v3/comments/setModerationStatus")
def set_moderation_status(call: Call) -> Response:
    """comments.setModerationStatus(id, moderationStatus): heldForReview hides a comment on
    the channel's videos, published shows it again; rejected cannot be undone."""
    account = authenticate(call)
    status = call.request.arg("moderationStatus")
    if status not in ("heldForReview", "published", "rejected"):
        raise _invalid("invalidModerationStatus", f"Invalid value '{status}' for moderationStatus.")
    _spend_quota(call, WRITE_UNITS)
    ids = [i for i in call.request.arg("id").split(",") if i]
    if not ids:
        raise _invalid("missingRequiredParameter", "No filter selected. Expected one of: id.")
    found = []
    for comment_id in ids:
        said = call.state.public.get(NETWORK, comment_id)
        if said is None or said.deleted or said.account != account:
            raise _comment_not_found("id")
        found.append(said)
    with call.state.public.lock:
        for said in found:
            # heldForReview and rejected both take it out of view; rejected for good: the
            # channel cannot publish it again (the sandbox does not model banAuthor).
            said.rejected = said.rejected or status == "rejected"
            said.hidden = said.rejected or status != "published"
    return Response(204)


SPEC = NetworkSpec(
    prefix="youtube",
    network=NETWORK,
    router=router,
    account_of=account_of,
    server_error=server_error,
    rate_limited=rate_limited,
    not_found=unknown_path,
    refusals={"quota": quota_exceeded},
)
