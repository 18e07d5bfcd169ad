"""YouTube (Data API v3) through google-api-python-client.

One video per delivery, uploaded with the resumable protocol: a POST opens an upload
session, PUTs send the file in 1 MiB chunks, and YouTube creates the video only when the
last chunk has arrived. That is what decides `request_sent` when an upload fails: before
the last chunk left, no video can exist and the delivery may simply be sent again; once it
left, the outcome is unknown and `find_published` must be asked first (it looks for the
delivery's reference, which every upload carries as a tag).

The API client is built per call (about 3 ms, from the discovery document bundled with
the package, never downloaded) on our own httplib2 transport: httplib2 objects are not
thread-safe, and a sandbox account must never reach Google.
"""

from __future__ import annotations

import dataclasses
import hmac
import http.client
import json
import os
import threading
from collections.abc import Iterator, Mapping, Sequence
from contextlib import AbstractContextManager, contextmanager
from datetime import UTC, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import google.auth.exceptions
import google.auth.transport.requests
import google.oauth2.credentials
import httplib2
import oauthlib.oauth2
import requests
from google_auth_httplib2 import AuthorizedHttp
from google_auth_oauthlib.flow import Flow
from googleapiclient.discovery import build_from_document
from googleapiclient.discovery_cache import get_static_doc
from googleapiclient.errors import HttpError, ResumableUploadError
from googleapiclient.http import MediaIoBaseUpload

from channels import text as text_rules
from channels.adapters.answering import Answered, ReplyTarget, reply_problems, same_text, target_gone
from channels.adapters.base import (
    AccountInfo,
    AdapterError,
    AppCredentials,
    AuthError,
    Connected,
    ConnectStart,
    Content,
    Credentials,
    Metrics,
    Missing,
    NetworkLimits,
    PermanentError,
    Problem,
    Progress,
    Published,
    RateLimited,
    Said,
    TransientError,
    problem_of,
    require_fit,
    sdk_errors,
    unreachable,
)
from channels.adapters.listening import (
    Heard,
    HeardItem,
    ItemKind,
    addressed,
    ids_field,
    int_field,
    read_cursor,
    text_field,
    write_cursor,
)
from channels.adapters.transport import (
    Timeouts,
    UnknownHostError,
    browser_url,
    make_httplib2,
    make_session,
    mount_on,
    request_never_left,
    sandbox_post_url,
)
from channels.media import VIDEO_UPLOAD_MAX_BYTES, check_against_limits, video_without_metadata

NETWORK = "youtube"
LABEL = "YouTube"

AUTH_URI = "https://accounts.google.com/o/oauth2/auth"
TOKEN_URI = "https://oauth2.googleapis.com/token"  # noqa: S105 (a URL, not a secret)
# Upload, read, and delete: videos.delete accepts youtube.force-ssl but not youtube.upload.
SCOPES = (
    "https://www.googleapis.com/auth/youtube.upload",
    "https://www.googleapis.com/auth/youtube.readonly",
    "https://www.googleapis.com/auth/youtube.force-ssl",
)
# Asked for too, but optional: where the account grants it, a video's numbers come also from
# the YouTube Analytics API (minutes watched, shares, subscribers gained); Google's consent
# screen lets people untick it, and the account still publishes.
ANALYTICS_SCOPE = "https://www.googleapis.com/auth/yt-analytics.readonly"
WATCH_URL = "https://www.youtube.com/watch?v={}"

CHUNK_SIZE = 4 * 256 * 1024  # 1 MiB: chunks must be multiples of 256 KiB
NEWS_AND_POLITICS = "25"  # videoCategories id
# Unverified channels may upload up to 15 minutes; verified ones up to 12 hours. Embassy
# channels are expected to be verified, but 15 minutes is what every channel can do.
VIDEO_MAX_SECONDS = 15 * 60

LIMITS = NetworkLimits(
    text_max=text_rules.YOUTUBE_DESCRIPTION_MAX_BYTES,
    text_unit="bytes",
    title_max=text_rules.YOUTUBE_TITLE_MAX,
    tags_max_total=text_rules.YOUTUBE_TAGS_MAX,  # counting commas, and quotes around tags with spaces
    video_types=frozenset({"video/mp4", "video/quicktime"}),
    # YouTube takes up to 256 GiB; our own upload cap is the binding one.
    video_max_bytes=VIDEO_UPLOAD_MAX_BYTES,
    video_max_seconds=VIDEO_MAX_SECONDS,
    max_images=0,
    max_videos=1,
    requires="video",
)

# Google's error reasons (errors[].reason in the JSON body) and what they mean for us.
_AUTH_REASONS = frozenset(
    {
        "authError",
        "forbidden",
        "insufficientPermissions",
        "youtubeSignupRequired",
        "ACCESS_TOKEN_SCOPE_INSUFFICIENT",
        "accountDisabled",
    }
)
# The daily quota (and the per-channel upload allowance) come back at midnight Pacific time.
_DAILY_REASONS = frozenset({"quotaExceeded", "dailyLimitExceeded", "uploadLimitExceeded"})
_RATE_REASONS = frozenset({"rateLimitExceeded", "userRateLimitExceeded", "RATE_LIMIT_EXCEEDED"})
_QUOTA_TIME_ZONE = ZoneInfo("America/Los_Angeles")
_DEFAULT_RETRY_AFTER = 60.0

# How far back from `since` reconciliation looks, for the clocks' disagreement.
_CLOCK_SLACK = timedelta(minutes=10)
_RECONCILE_MAX_PAGES = 4


def build_adapter(*, sandbox_url: str | None, app: AppCredentials, timeouts: Timeouts) -> YouTubeAdapter:
    return YouTubeAdapter(sandbox_url=sandbox_url, app=app, timeouts=timeouts)


def build_connect_flow(*, sandbox_url: str | None, app: AppCredentials, timeouts: Timeouts) -> YouTubeConnectFlow:
    return YouTubeConnectFlow(sandbox_url=sandbox_url, app=app, timeouts=timeouts)


# --- Errors -----------------------------------------------------------------------------------


def seconds_until_quota_reset(now: datetime | None = None) -> float:
    """Until the next midnight in California, when YouTube's daily quotas start again."""
    local_now = (now or datetime.now(UTC)).astimezone(_QUOTA_TIME_ZONE)
    midnight = datetime.combine(local_now.date() + timedelta(days=1), time(0), tzinfo=_QUOTA_TIME_ZONE)
    # Subtract in UTC: between two datetimes of one zone Python ignores a DST change.
    return (midnight.astimezone(UTC) - local_now.astimezone(UTC)).total_seconds()


def _error_body(exc: HttpError) -> dict[str, Any]:
    try:
        body = json.loads(exc.content.decode("utf-8"))
    except (ValueError, UnicodeDecodeError):
        return {}
    error = body.get("error") if isinstance(body, dict) else None
    return error if isinstance(error, dict) else {}


def _reasons(error: Mapping[str, Any]) -> set[str]:
    """`errors[].reason` (YouTube's classic list) and `details[].reason` (google.rpc.ErrorInfo)."""
    entries = [*(error.get("errors") or []), *(error.get("details") or [])]
    return {entry["reason"] for entry in entries if isinstance(entry, dict) and isinstance(entry.get("reason"), str)}


def _retry_after(response: httplib2.Response | None) -> float:
    try:
        return float((response or {}).get("retry-after", _DEFAULT_RETRY_AFTER))
    except (TypeError, ValueError):  # an HTTP date: rare enough to wait the default
        return _DEFAULT_RETRY_AFTER


def _from_http_error(exc: HttpError, *, request_sent: bool) -> AdapterError:
    status = exc.status_code
    if isinstance(exc, ResumableUploadError) and status < 300:
        # 200 without a Location: no upload session was opened, so nothing can exist.
        return TransientError(
            Said("YouTube did not open an upload session.", "network.upload_not_opened", network=NETWORK),
            request_sent=False,
            status_code=status,
        )
    error = _error_body(exc)
    reasons = _reasons(error)
    message = str(error.get("message") or exc.reason or "")[:300]
    why = f"({', '.join(sorted(reasons))})" if reasons else ""
    text = f"YouTube answered {status}" + (f" {why}" if why else "") + (f": {message}" if message else "")
    words = why + (": " if why and message else "") + message
    detail = (
        Said(text, "network.answered_with", network=NETWORK, status=status, detail=words)
        if words
        else Said(text, "network.answered_status", network=NETWORK, status=status)
    )
    if reasons & _DAILY_REASONS:
        return RateLimited(detail, retry_after=seconds_until_quota_reset(), status_code=status)
    if status == 429 or reasons & _RATE_REASONS:
        return RateLimited(detail, retry_after=_retry_after(exc.resp), status_code=status)
    if status == 401 or (status == 403 and reasons & _AUTH_REASONS):
        return AuthError(detail, status_code=status)
    if status >= 500:
        return TransientError(detail, request_sent=request_sent, status_code=status)
    return PermanentError(detail, status_code=status)


@contextmanager
def _gone_as(target: ReplyTarget) -> Iterator[None]:
    """YouTube's 404 for the comment answered or moderated: it was deleted meanwhile."""
    try:
        yield
    except HttpError as exc:
        if exc.status_code == 404:
            raise PermanentError(target_gone(NETWORK, target.item_id), status_code=404) from None
        raise


def _translate(exc: Exception, *, request_sent: bool) -> AdapterError | None:
    """Our error kind for an exception out of the SDK or the transport, or None for one we
    do not know (a bug: let it surface as it is)."""
    if isinstance(exc, HttpError):
        return _from_http_error(exc, request_sent=request_sent)
    if isinstance(exc, google.auth.exceptions.RefreshError):
        return AuthError(Said("YouTube refused the account's access token.", "network.token_refused", network=NETWORK))
    if isinstance(exc, UnknownHostError):
        return PermanentError(Said(str(exc), "network.sandbox_host", network=NETWORK))
    if isinstance(exc, ConnectionRefusedError | httplib2.ServerNotFoundError):
        # Nothing reached YouTube: safe to send again.
        return TransientError(unreachable("YouTube", NETWORK, exc, timeout=False), request_sent=False)
    if isinstance(exc, TimeoutError):
        return TransientError(unreachable("YouTube", NETWORK, exc, timeout=True), request_sent=request_sent)
    if isinstance(
        exc,
        OSError
        | http.client.HTTPException
        | httplib2.HttpLib2Error
        | google.auth.exceptions.TransportError
        | json.JSONDecodeError,
    ):
        # A reset or a garbled answer after the request left: it may have been processed.
        return TransientError(
            Said(
                f"The connection to YouTube failed: {type(exc).__name__}.",
                "network.connection_failed",
                network=NETWORK,
                exception=type(exc).__name__,
            ),
            request_sent=request_sent,
        )
    return None


def _calling(*, request_sent: bool = True) -> AbstractContextManager[None]:
    """Turn the SDK's exceptions into our four kinds. `request_sent` says whether a failure
    after the request left may have changed something (True for every call but the parts
    of an upload that cannot create a video)."""
    return sdk_errors(lambda exc: _translate(exc, request_sent=request_sent))


# --- Validation -----------------------------------------------------------------------------------
# The counts and words are channels.text's, shared with the compose form's live counter.


def _all_tags(content: Content) -> list[str]:
    """The officer's tags and, last, the delivery's reference (what reconciliation finds)."""
    tags = [tag.strip() for tag in content.tags if tag.strip()]
    if content.reference and content.reference not in tags:
        tags.append(content.reference)
    return tags


def _text_problems(content: Content) -> list[Problem]:
    tags = _all_tags(content)
    tag_messages = text_rules.youtube_tags_problems(tags)
    if tag_messages and content.reference:
        tag_messages = [f"{tag_messages[0]} That includes our tracking tag “{content.reference}”."]
    if any(text_rules.has_angle_brackets(tag) or "," in tag for tag in tags):
        tag_messages.append(
            Said("YouTube does not accept <, > or commas in a tag.", "tags.refused_characters", network=NETWORK)
        )
    by_field = (
        ("title", text_rules.youtube_title_problems(content.title)),
        ("text", text_rules.youtube_description_problems(content.text)),
        ("tags", tag_messages),
    )
    return [problem_of(NETWORK, field, message) for field, messages in by_field for message in messages]


# --- The adapter ------------------------------------------------------------------------------------


class YouTubeAdapter:
    network = NETWORK
    limits = LIMITS

    def __init__(
        self,
        *,
        sandbox_url: str | None,
        app: AppCredentials,
        timeouts: Timeouts,
        privacy_status: str = "public",
        category_id: str = NEWS_AND_POLITICS,
    ) -> None:
        # YouTube forces videos uploaded by unverified API projects (created after July
        # 2020) to "private" until the project passes an audit, whatever we ask here.
        self.sandbox_url = sandbox_url
        self.app = app
        self.timeouts = timeouts
        self.privacy_status = privacy_status
        self.category_id = category_id

    def __repr__(self) -> str:
        return f"YouTubeAdapter(sandbox={bool(self.sandbox_url)})"

    def validate(self, content: Content) -> list[Problem]:
        return [*_text_problems(content), *check_against_limits(content.media, self.limits, LABEL, network=NETWORK)]

    def publish(self, credentials: Credentials, content: Content, *, progress: Progress | None = None) -> Published:
        require_fit(self.validate(content))
        video = next(item for item in content.media if item.kind == "video")
        body = {
            "snippet": {
                "title": content.title.strip(),
                "description": content.text,
                "tags": _all_tags(content),
                "categoryId": self.category_id,
            },
            "status": {"privacyStatus": self.privacy_status, "selfDeclaredMadeForKids": False},
        }
        http = self._authorized_http(credentials)
        # MediaIoBaseUpload on a file we open (MediaFileUpload's own handle would only be
        # closed by the garbage collector).
        with video_without_metadata(video.path, network=NETWORK) as path, open(path, "rb") as stream:
            media = MediaIoBaseUpload(stream, mimetype=video.mime_type, chunksize=CHUNK_SIZE, resumable=True)
            request = _videos().insert(part="snippet,status", body=body, media_body=media)
            resource = _upload(request, http=http, size=os.fstat(stream.fileno()).st_size, progress=progress)
        return Published(external_id=resource["id"], url=self._url(resource["id"]))

    def delete(self, credentials: Credentials, external_id: str) -> None:
        with _calling():
            try:
                self._service(credentials).videos().delete(id=external_id).execute()
            except HttpError as exc:
                if exc.status_code == 404:  # videoNotFound: already gone
                    return
                raise

    def check_credentials(self, credentials: Credentials) -> AccountInfo:
        with _calling():
            answer = self._service(credentials).channels().list(part="snippet", mine=True).execute()
        items = answer.get("items") or []
        if not items:
            raise AuthError(Said("This Google account has no YouTube channel.", "account.no_youtube_channel"))
        channel = items[0]
        if credentials.account_id and channel["id"] != credentials.account_id:
            raise AuthError(
                Said(
                    "The token belongs to another YouTube channel than this account's.",
                    "account.other_identity",
                    network=NETWORK,
                )
            )
        snippet = channel.get("snippet", {})
        return AccountInfo(
            account_id=channel["id"], handle=snippet.get("customUrl", ""), display_name=snippet.get("title", "")
        )

    def fetch_metrics(self, credentials: Credentials, external_id: str | None = None) -> Metrics:
        with _calling():
            service = self._service(credentials)
            if external_id is None:
                answer = service.channels().list(part="statistics", mine=True).execute()
            else:
                answer = service.videos().list(part="statistics,snippet", id=external_id).execute()
        items = answer.get("items") or []
        if not items:
            missing = (
                Said("YouTube has no such video.", "network.no_such_post", network=NETWORK, external_id=external_id)
                if external_id
                else Said("No YouTube channel.", "network.no_channel", network=NETWORK)
            )
            raise PermanentError(missing, status_code=404)
        stats = items[0].get("statistics", {})
        if external_id is None:
            hidden = stats.get("hiddenSubscriberCount")
            return Metrics(
                followers=None if hidden else _int(stats.get("subscriberCount")), views=_int(stats.get("viewCount"))
            )
        statistics = Metrics(
            views=_int(stats.get("viewCount")),
            likes=_int(stats.get("likeCount")),
            comments=_int(stats.get("commentCount")),
            clicks_missing=Missing.NOT_GIVEN,  # YouTube counts no link clicks
        )
        if not analytics_granted(credentials):
            return dataclasses.replace(statistics, analytics_missing=Missing.NOT_GRANTED)
        published = str((items[0].get("snippet") or {}).get("publishedAt") or "")[:10]
        return self._with_analytics(credentials, external_id, statistics, since=published)

    def _with_analytics(self, credentials: Credentials, video_id: str, statistics: Metrics, *, since: str) -> Metrics:
        """The video's lifetime totals from YouTube Analytics (reports.query), beside its
        statistics. A refusal (the grant withdrawn since) or a failure leaves the statistics
        alone, with the reason; the views stay the Data API's, which YouTube counts live
        (Analytics' lag a day or two)."""
        today = datetime.now(UTC).date().isoformat()
        try:
            with _calling():
                answer = (
                    _analytics_service(self._authorized_http(credentials))
                    .reports()
                    .query(
                        ids="channel==MINE",
                        startDate=since or "2005-04-23",  # YouTube's first video, for a date unread
                        endDate=today,
                        metrics=",".join(ANALYTICS_METRICS),
                        filters=f"video=={video_id}",
                    )
                    .execute()
                )
        except (AuthError, PermanentError):
            return dataclasses.replace(statistics, analytics_missing=Missing.NOT_GRANTED)
        except AdapterError:
            return dataclasses.replace(statistics, analytics_missing=Missing.UNREACHABLE)
        names = [str(header.get("name")) for header in answer.get("columnHeaders") or []]
        rows = answer.get("rows") or []
        if not rows:  # nothing processed yet for this video: unknown, not nought
            return dataclasses.replace(statistics, analytics_missing=Missing.NOT_GIVEN)
        row = dict(zip(names, rows[0], strict=False))
        return dataclasses.replace(
            statistics,
            shares=_int(row.get("shares")),
            watch_minutes=_int(row.get("estimatedMinutesWatched")),
            subscribers_gained=_int(row.get("subscribersGained")),
        )

    def find_published(self, credentials: Credentials, content: Content, since: datetime) -> Published | None:
        """The channel's videos since `since`, matched on the delivery's reference tag, or on
        the exact title when the content has no reference.

        Listed through the channel's uploads playlist (channels.list contentDetails, then
        playlistItems.list, newest first): it shows an upload at once and costs 1 quota unit
        a call. search.list(forMine) would cost 100, lag behind uploads, and is reported to
        refuse publishedAfter."""
        if since.tzinfo is None:
            since = since.replace(tzinfo=UTC)
        with _calling():
            service = self._service(credentials)
            for video in _recent_uploads(service, since - _CLOCK_SLACK):
                if _is_the_delivery(video, content):
                    return Published(external_id=video["id"], url=self._url(video["id"]))
        return None

    def _url(self, video_id: str) -> str:
        if self.sandbox_url:
            return sandbox_post_url(self.sandbox_url, NETWORK, video_id)
        return WATCH_URL.format(video_id)

    def _service(self, credentials: Credentials) -> Any:
        return build_from_document(_discovery_document(), http=self._authorized_http(credentials))

    def _authorized_http(self, credentials: Credentials) -> AuthorizedHttp:
        # No refresh token on purpose: refreshing is YouTubeConnectFlow.refresh's job, and
        # channels.services stores the new token before calling us. A refresh done here
        # would produce a token nobody saves. For the same reason a 401 is not answered
        # with a refresh attempt (refresh_status_codes=()) but becomes an AuthError.
        google_credentials = google.oauth2.credentials.Credentials(
            token=credentials.access_token,
            refresh_token=None,
            token_uri=TOKEN_URI,
            client_id=self.app.client_id,
            client_secret=self.app.client_secret,
            scopes=list(SCOPES),
        )
        return AuthorizedHttp(
            google_credentials,
            refresh_status_codes=(),
            http=make_httplib2(sandbox_url=self.sandbox_url, timeouts=self.timeouts),
        )

    # --- Listening (channels.adapters.listening): the channel's comment threads

    challenge_content_type = "text/plain"

    def listen(self, credentials: Credentials, *, cursor: str, our_posts: Sequence[str]) -> Heard:
        """The channel's comment threads, newest first (`commentThreads.list(
        allThreadsRelatedToChannelId, order=time, maxResults=100)`), down to those older
        than the watch window: top-level comments newer than the last poll's newest, and,
        for a thread whose reply count grew, its replies (`comments.list(parentId)`: a thread
        carries five at most). Every list call costs one quota unit, reported in
        `quota_units_spent` for the caller's governor. A scan cut short (the page budget,
        the quota) resumes at its next page. `our_posts` is not needed: the channel's threads
        are all under its own videos."""
        state = read_cursor(cursor)
        channel = credentials.account_id
        if not channel:
            raise PermanentError(
                Said(
                    "A YouTube account without its channel id cannot be listened to.",
                    "account.no_channel_id",
                    network=NETWORK,
                )
            )
        # Malformed parts of the cursor are dropped: read again rather than skipped.
        newest = text_field(state.get("newest"))
        edge = ids_field(state.get("edge"))
        scan_state = state.get("scan") if isinstance(state.get("scan"), dict) else {}
        scan = {"next": text_field(scan_state.get("next")), "top": text_field(scan_state.get("top"))}
        scan = {key: value for key, value in scan.items() if value} | {"edge": ids_field(scan_state.get("edge"))}
        counts: dict[str, list[Any]] = {
            str(thread): [int_field(seen[0]), text_field(seen[1])]
            for thread, seen in (state.get("counts") if isinstance(state.get("counts"), dict) else {}).items()
            if isinstance(seen, list) and len(seen) == 2
        }
        horizon = _rfc3339(datetime.now(UTC) - WATCH_WINDOW)
        service = self._service(credentials)
        spent = 0
        heard: dict[str, HeardItem] = {}
        retry_after: float | None = None
        resumed = bool(scan.get("next"))
        try:
            for _ in range(LISTEN_PAGES):
                with _calling(request_sent=False):
                    page = (
                        service.commentThreads()
                        .list(
                            part="snippet,replies",
                            allThreadsRelatedToChannelId=channel,
                            order="time",
                            maxResults=100,
                            pageToken=scan.get("next") or None,
                            textFormat="plainText",
                        )
                        .execute()
                    )
                spent += 1
                done = False
                for thread in page.get("items") or []:
                    top = _comment_item(thread["snippet"]["topLevelComment"], thread_id=str(thread["id"]))
                    stamp = _rfc3339(top.edited_at or top.created_at)
                    if _rfc3339(top.created_at) < horizon:
                        done = True
                        break
                    if stamp > newest or (stamp == newest and top.external_id not in edge):
                        heard[top.external_id] = top
                    _note_edge(scan, stamp, top.external_id)
                    grown = _grew(thread, counts)
                    if grown is not None:
                        replies, calls = self._replies(service, top, since=grown)
                        spent += calls
                        for reply in replies:
                            heard[reply.external_id] = reply
                        counts[top.external_id] = [
                            int(thread["snippet"].get("totalReplyCount") or 0),
                            max([grown, *(_rfc3339(r.edited_at or r.created_at) for r in replies)]),
                        ]
                next_token = page.get("nextPageToken")
                if done or not next_token:
                    # RFC 3339 counts seconds: the ids read in the newest second are kept,
                    # so that one said later in that same second is still heard.
                    if (scan.get("top") or "") > newest:
                        newest, edge = scan["top"], scan.get("edge") or []
                    elif scan.get("top") == newest:
                        edge = sorted({*edge, *(scan.get("edge") or [])})
                    scan = {}
                    if not resumed:
                        break
                    resumed = False  # a scan resumed from the last poll: read the top again
                    continue
                scan["next"] = next_token
        except (KeyError, TypeError, ValueError):
            raise PermanentError(
                Said(
                    "YouTube sent a comment thread this adapter cannot read.",
                    "network.unreadable_item",
                    network=NETWORK,
                )
            ) from None
        except RateLimited as limited:
            if not heard:
                raise
            retry_after = limited.retry_after
        counts = {thread: seen for thread, seen in counts.items() if seen[1] >= horizon or thread in heard}
        return Heard(
            items=[addressed(item, account_id=channel, sandbox_url=self.sandbox_url) for item in heard.values()],
            cursor=write_cursor({"newest": newest, "edge": edge, "scan": scan, "counts": counts}),
            quota_units_spent=spent,
            retry_after=retry_after,
        )

    def webhook_challenge(self, *, params: Mapping[str, str], app_secret: str, verify_token: str) -> str | None:
        return None  # YouTube pushes uploads, never comments: nothing to subscribe here

    def verify_webhook(self, *, body: bytes, headers: Mapping[str, str], app_secret: str) -> bool:
        return False  # so a "YouTube comment webhook" is always refused

    def webhook_parts(self, payload: Any) -> Sequence[tuple[str, Mapping[str, Any]]]:
        raise PermanentError(
            Said("YouTube pushes no comments: they are read by polling.", "network.no_webhooks", network=NETWORK)
        )

    def webhook_items(self, payload: Mapping[str, Any]) -> Sequence[HeardItem]:
        raise PermanentError(
            Said("YouTube pushes no comments: they are read by polling.", "network.no_webhooks", network=NETWORK)
        )

    # --- Answering (channels.adapters.answering): replies in a thread, moderation

    def reply(self, credentials: Credentials, *, target: ReplyTarget, text: str) -> Answered:
        """`comments.insert(part=snippet)` with `snippet.parentId`: the thread's top-level
        comment (YouTube threads one level deep). 50 quota units."""
        problems = reply_problems(NETWORK, text)
        if problems:
            raise PermanentError(problems[0])
        service = self._service(credentials)
        body = {"snippet": {"parentId": target.thread_id, "textOriginal": text}}
        with _calling(), _gone_as(target):
            comment = service.comments().insert(part="snippet", body=body).execute()
        comment_id = str(comment.get("id") or "")
        if not comment_id:
            raise TransientError(
                Said("YouTube's answer to the reply carries no id.", "network.answer_without_id", network=NETWORK),
                request_sent=True,
            )
        video_id = str((comment.get("snippet") or {}).get("videoId") or target.post_id)
        return Answered(external_id=comment_id, url=f"{WATCH_URL.format(video_id)}&lc={comment_id}")

    def find_reply(
        self, credentials: Credentials, *, target: ReplyTarget, text: str, since: datetime
    ) -> Answered | None:
        """Our channel's reply with this text in the thread (`comments.list(parentId)`)."""
        channel = credentials.account_id
        service = self._service(credentials)
        page_token = None
        for _ in range(LISTEN_PAGES):
            with _calling(request_sent=False), _gone_as(target):
                page = (
                    service.comments()
                    .list(
                        part="snippet",
                        parentId=target.thread_id,
                        maxResults=100,
                        pageToken=page_token,
                        textFormat="plainText",
                    )
                    .execute()
                )
            for comment in page.get("items") or []:
                snippet = comment.get("snippet") or {}
                author = str((snippet.get("authorChannelId") or {}).get("value") or "")
                if (
                    author == channel
                    and _when(snippet["publishedAt"]) >= since.replace(microsecond=0)
                    and same_text(str(snippet.get("textOriginal") or ""), text)
                ):
                    video_id = str(snippet.get("videoId") or target.post_id)
                    return Answered(
                        external_id=str(comment["id"]), url=f"{WATCH_URL.format(video_id)}&lc={comment['id']}"
                    )
            page_token = page.get("nextPageToken")
            if not page_token:
                return None
        raise TransientError(
            Said(
                "Too many replies to tell whether ours is among them.",
                "network.too_many_posts",
                network=NETWORK,
                count=LISTEN_PAGES * 100,
            ),
            request_sent=False,
        )

    def set_hidden(self, credentials: Credentials, *, item_id: str, hidden: bool) -> None:
        """`comments.setModerationStatus`: heldForReview hides a comment until it is published
        again (reversible; `rejected` is not: `remove`). 50 quota units."""
        service = self._service(credentials)
        status = "heldForReview" if hidden else "published"
        target = ReplyTarget(item_id=item_id, thread_id=item_id, kind="comment")
        with _calling(), _gone_as(target):
            service.comments().setModerationStatus(id=item_id, moderationStatus=status).execute()

    def remove(self, credentials: Credentials, *, item_id: str) -> None:
        """`comments.setModerationStatus(moderationStatus=rejected)`: out of view for good (the
        channel cannot publish it again). A comment already gone is what was asked."""
        service = self._service(credentials)
        target = ReplyTarget(item_id=item_id, thread_id=item_id, kind="comment")
        try:
            with _calling(), _gone_as(target):
                service.comments().setModerationStatus(id=item_id, moderationStatus="rejected").execute()
        except PermanentError as refused:
            if refused.code != "reply.target_gone":
                raise

    def _replies(self, service: Any, top: HeardItem, *, since: str) -> tuple[list[HeardItem], int]:
        """The thread's replies newer than `since`, and the quota units the pages cost."""
        found: list[HeardItem] = []
        page_token = None
        calls = 0
        for _ in range(LISTEN_PAGES):
            with _calling(request_sent=False):
                page = (
                    service.comments()
                    .list(
                        part="snippet",
                        parentId=top.external_id,
                        maxResults=100,
                        pageToken=page_token,
                        textFormat="plainText",
                    )
                    .execute()
                )
            calls += 1
            for comment in page.get("items") or []:
                reply = _comment_item(comment, thread_id=top.external_id)
                # From the second of the newest reply read (inclusive: a second holds
                # several); one read again is the same item, upserted the same.
                if _rfc3339(reply.edited_at or reply.created_at) >= since:
                    found.append(reply)
            page_token = page.get("nextPageToken")
            if not page_token:
                break
        return found, calls


# --- Listening ------------------------------------------------------------------------------------------

WATCH_WINDOW = timedelta(days=7)  # threads older than this are not re-read for new replies
LISTEN_PAGES = 5  # list calls per poll and stream: 500 threads, five quota units


def _rfc3339(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _when(value: Any) -> datetime:
    return datetime.fromisoformat(str(value).replace("Z", "+00:00"))


def _note_edge(scan: dict[str, Any], stamp: str, comment_id: str) -> None:
    """Keep the scan's newest second and the ids seen in it."""
    top = scan.get("top") or ""
    if stamp > top:
        scan["top"], scan["edge"] = stamp, [comment_id]
    elif stamp == top:
        scan["edge"] = [*(scan.get("edge") or []), comment_id]


def _grew(thread: Mapping[str, Any], counts: Mapping[str, list[Any]]) -> str | None:
    """For a thread whose reply count grew since the last poll: the time of the newest
    reply read then ("" for a thread never read). None when nothing grew."""
    total = int(thread["snippet"].get("totalReplyCount") or 0)
    seen = counts.get(str(thread["id"]))
    if seen is None:
        return "" if total else None
    return str(seen[1]) if total > int(seen[0]) else None


def _comment_item(comment: Mapping[str, Any], *, thread_id: str) -> HeardItem:
    snippet = comment["snippet"]
    created = _when(snippet["publishedAt"])
    updated = _when(snippet.get("updatedAt") or snippet["publishedAt"])
    video_id = str(snippet.get("videoId") or "")
    parent = str(snippet.get("parentId") or "")
    comment_id = str(comment["id"])
    return HeardItem(
        network=NETWORK,
        external_id=comment_id,
        kind=ItemKind.REPLY if parent else ItemKind.COMMENT,
        thread_id=thread_id,
        author_id=str((snippet.get("authorChannelId") or {}).get("value") or ""),
        author_name=str(snippet.get("authorDisplayName") or ""),
        author_handle=str(snippet.get("authorChannelUrl") or "").rsplit("/", 1)[-1],
        text=str(snippet.get("textOriginal") or snippet.get("textDisplay") or ""),
        created_at=created,
        url=f"{WATCH_URL.format(video_id)}&lc={comment_id}",
        parent_id=parent or video_id,
        answers_post_id=video_id,
        edited_at=updated if updated > created else None,
        raw=dict(comment),
    )


# The bundled discovery document (400 KB of JSON) is parsed once per process: `build()`
# read and parsed it again for every call, the largest cost of a YouTube upload (and, with
# dozens of threads, of the garbage collector). The SDK fixes each method's description up
# in place the first time it builds it, and afterwards only writes the same keys again:
# so the first build, under the lock, builds every method of every resource, and threads
# sharing the document later never see a dict change size.
_discovery_lock = threading.Lock()
_discovery: dict | None = None


def _discovery_document() -> dict:
    global _discovery
    with _discovery_lock:
        if _discovery is None:
            document = json.loads(get_static_doc("youtube", "v3"))
            _build_every_method(build_from_document(document, http=httplib2.Http()), document)
            _discovery = document
    return _discovery


ANALYTICS_METRICS = ("views", "estimatedMinutesWatched", "likes", "shares", "subscribersGained")


def analytics_granted(credentials: Credentials) -> bool:
    """Whether the account's grant includes YouTube Analytics (the scopes Google named when
    it gave the token, kept with the credentials)."""
    return ANALYTICS_SCOPE in str(credentials.extra.get("scopes") or "").split()


_analytics_lock = threading.Lock()
_analytics_document: dict | None = None


def _analytics_service(http: Any) -> Any:
    """youtubeAnalytics v2, built from the discovery document the SDK ships (no network
    needed to build it), parsed once per process as the Data API's is."""
    global _analytics_document
    with _analytics_lock:
        if _analytics_document is None:
            _analytics_document = json.loads(get_static_doc("youtubeAnalytics", "v2"))
    return build_from_document(_analytics_document, http=http)


_videos_lock = threading.Lock()
_videos_collection: Any = None


def _videos() -> Any:
    """The `videos` collection, built once per process: building it from the document for
    each upload was a fifth of a crisis worker's CPU in a fan-out (docs/benchmarks.md). It
    holds no account's credentials: its placeholder transport is never used, each upload
    sends its chunks on the account's own (`_upload(http=...)`)."""
    global _videos_collection
    with _videos_lock:
        if _videos_collection is None:
            _videos_collection = build_from_document(_discovery_document(), http=httplib2.Http()).videos()
    return _videos_collection


def warm_up() -> None:
    """Build what every upload shares (the discovery document, the `videos` collection)
    now: a worker calls it at start, so the first crisis upload does not pay for it."""
    _videos()


def _build_every_method(resource: Any, description: dict) -> None:
    for name, nested in (description.get("resources") or {}).items():
        _build_every_method(getattr(resource, name)(), nested)


def _upload(request: Any, *, http: Any, size: int, progress: Progress | None = None) -> dict[str, Any]:
    """Send the chunks on `http`, calling `progress()` after each one that was not the last;
    retries are the pipeline's (num_retries=0), so that a failure is reported at once with
    what it means."""
    response = None
    while response is None:
        if progress is not None and request.resumable_progress:
            progress()
        sends_last_chunk = request.resumable_progress + CHUNK_SIZE >= size
        try:
            _, response = request.next_chunk(http=http, num_retries=0)
        except Exception as exc:
            # A video exists only once its last byte arrived; before the session was even
            # opened (resumable_uri unset) nothing was created either.
            may_exist = sends_last_chunk and request.resumable_uri is not None
            translated = _translate(exc, request_sent=may_exist)
            if translated is None:
                raise
            raise translated from exc
    return response


def _recent_uploads(service: Any, since: datetime) -> Iterator[dict[str, Any]]:
    """The channel's videos uploaded since `since` (id and snippet, tags included), newest
    first: the uploads playlist for the ids, then videos.list for the tags, which playlist
    items do not carry."""
    channels = service.channels().list(part="contentDetails", mine=True).execute().get("items") or []
    if not channels:
        raise AuthError(Said("This Google account has no YouTube channel.", "account.no_youtube_channel"))
    playlist = channels[0]["contentDetails"]["relatedPlaylists"]["uploads"]
    page_token = None
    for _ in range(_RECONCILE_MAX_PAGES):
        page = (
            service.playlistItems()
            .list(part="contentDetails", playlistId=playlist, maxResults=50, pageToken=page_token)
            .execute()
        )
        items = [item.get("contentDetails") or {} for item in page.get("items") or []]
        recent = [item["videoId"] for item in items if item.get("videoId") and _published(item) >= since]
        if recent:
            # Without maxResults: the API does not take it beside `id` (50 ids at most).
            videos = service.videos().list(part="snippet", id=",".join(recent)).execute()
            yield from videos.get("items") or []
        page_token = page.get("nextPageToken")
        if len(recent) < len(items) or not page_token:
            return  # newest first: past `since`, nothing older can match


def _published(item: Mapping[str, Any]) -> datetime:
    try:
        return datetime.fromisoformat(str(item.get("videoPublishedAt")).replace("Z", "+00:00"))
    except ValueError:
        return datetime.max.replace(tzinfo=UTC)  # no date: keep it, the tag decides


def _is_the_delivery(video: Mapping[str, Any], content: Content) -> bool:
    snippet = video.get("snippet", {})
    if content.reference:
        return content.reference in (snippet.get("tags") or [])
    return snippet.get("title") == content.title.strip()


def _int(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


# --- Connecting a channel -------------------------------------------------------------------------------


class _TimedRequest(google.auth.transport.requests.Request):
    """google-auth's requests transport with our timeouts: its token calls pass a fixed
    120-second timeout of their own, which our session would otherwise respect."""

    def __init__(self, session: requests.Session, timeouts: Timeouts) -> None:
        super().__init__(session=session)
        self._timeouts = timeouts

    def __call__(self, url, method="GET", body=None, headers=None, timeout=None, **kwargs):
        return super().__call__(
            url, method=method, body=body, headers=headers, timeout=self._timeouts.as_requests(), **kwargs
        )


def _first(params: Mapping[str, Any], name: str) -> str:
    """A callback parameter, whether the view passed QueryDict.dict() or lists of values."""
    value = params.get(name, "")
    if isinstance(value, list | tuple):
        value = value[0] if value else ""
    return str(value)


def _token_endpoint_check(response: requests.Response) -> requests.Response:
    """Compliance hook on the code exchange: oauthlib would turn a 5xx page into a
    misleading "missing token" error; say what it is instead."""
    if response.status_code == 429:
        retry_after = _retry_after({"retry-after": response.headers.get("Retry-After", "")})
        limited = Said("Google's token endpoint answered 429.", "network.rate_limited", network=NETWORK, detail="429")
        raise RateLimited(limited, retry_after=retry_after)
    if response.status_code >= 500:
        raise TransientError(
            Said(
                f"Google's token endpoint answered {response.status_code}.",
                "network.answered_status",
                network=NETWORK,
                status=response.status_code,
            ),
            request_sent=True,
            status_code=response.status_code,
        )
    return response


def _transient_from_requests(exc: requests.RequestException) -> TransientError:
    return TransientError(
        Said(
            f"Could not complete the call to Google: {type(exc).__name__}.",
            "network.connection_failed",
            network=NETWORK,
            exception=type(exc).__name__,
        ),
        request_sent=not request_never_left(exc),
    )


class YouTubeConnectFlow:
    """Google's OAuth 2.0 web-server flow (with PKCE), for a channel's owner or manager."""

    def __init__(self, *, sandbox_url: str | None, app: AppCredentials, timeouts: Timeouts) -> None:
        self.sandbox_url = sandbox_url
        self.app = app
        self.timeouts = timeouts

    def __repr__(self) -> str:
        return f"YouTubeConnectFlow(sandbox={bool(self.sandbox_url)})"

    def start(self, *, redirect_uri: str) -> ConnectStart:
        flow = self._flow(redirect_uri)
        # offline + consent: a refresh token on every consent, not only on the first one.
        url, state = flow.authorization_url(access_type="offline", prompt="consent", include_granted_scopes="true")
        return ConnectStart(
            authorize_url=browser_url(url, sandbox_url=self.sandbox_url),
            keep={"state": state, "code_verifier": flow.code_verifier},
        )

    def finish(self, *, redirect_uri: str, callback_params: dict, kept: dict) -> Connected:
        state, expected = _first(callback_params, "state"), str(kept.get("state") or "")
        if not expected or not hmac.compare_digest(state.encode(), expected.encode()):
            raise AuthError(
                Said(
                    "The answer from Google does not match the connection we started (state).",
                    "connect.state_mismatch",
                    network=NETWORK,
                )
            )
        if _first(callback_params, "error"):
            refusal = _first(callback_params, "error")[:100]
            raise AuthError(
                Said(
                    f"Google did not grant access: {refusal}.",
                    "connect.not_authorised",
                    network=NETWORK,
                    detail=refusal,
                )
            )
        code = _first(callback_params, "code")
        if not code:
            raise AuthError(Said("Google's answer carries no authorization code.", "connect.no_code", network=NETWORK))
        flow = self._flow(redirect_uri, state=expected, code_verifier=str(kept.get("code_verifier") or ""))
        token = self._exchange(flow, code)
        credentials = _credentials_from_token(token)
        adapter = YouTubeAdapter(sandbox_url=self.sandbox_url, app=self.app, timeouts=self.timeouts)
        account = adapter.check_credentials(credentials)
        return Connected(credentials=credentials.replace(account_id=account.account_id), account=account)

    def refresh(self, credentials: Credentials) -> Credentials:
        """A new access token. Google keeps refresh tokens (it does not rotate them): the
        stored one stays unless the answer carries another."""
        if not credentials.refresh_token:
            raise AuthError(
                Said(
                    "No refresh token is stored for this channel; connect it again.",
                    "account.no_refresh_token",
                    network=NETWORK,
                )
            )
        google_credentials = google.oauth2.credentials.Credentials(
            token=None,
            refresh_token=credentials.refresh_token,
            token_uri=TOKEN_URI,
            client_id=self.app.client_id,
            client_secret=self.app.client_secret,
        )
        session = make_session(sandbox_url=self.sandbox_url, timeouts=self.timeouts)
        try:
            google_credentials.refresh(_TimedRequest(session, self.timeouts))
        except google.auth.exceptions.RefreshError as exc:
            if getattr(exc, "retryable", False):  # 5xx, after google-auth's own retries
                failed = Said("Google's token endpoint failed.", "network.failed", network=NETWORK, detail="token")
                raise TransientError(failed, request_sent=True) from exc
            raise AuthError(
                Said("Google refused the refresh token (expired or revoked).", "network.token_refused", network=NETWORK)
            ) from exc
        except google.auth.exceptions.TransportError as exc:
            cause = exc.__cause__
            if isinstance(cause, requests.RequestException):
                raise _transient_from_requests(cause) from exc
            unreachable_token = Said(
                "Could not reach Google's token endpoint.",
                "network.unreachable",
                network=NETWORK,
                exception=type(exc).__name__,
            )
            raise TransientError(unreachable_token, request_sent=True) from exc
        finally:
            session.close()
        return credentials.replace(
            access_token=google_credentials.token,
            refresh_token=google_credentials.refresh_token or credentials.refresh_token,
            # google-auth keeps expiry as naive UTC
            expires_at=google_credentials.expiry.replace(tzinfo=UTC) if google_credentials.expiry else None,
        )

    def _flow(self, redirect_uri: str, **kwargs: Any) -> Flow:
        config = {
            "web": {
                "client_id": self.app.client_id,
                "client_secret": self.app.client_secret,
                "auth_uri": AUTH_URI,
                "token_uri": TOKEN_URI,
            }
        }
        flow = Flow.from_client_config(config, scopes=[*SCOPES, ANALYTICS_SCOPE], redirect_uri=redirect_uri, **kwargs)
        mount_on(flow.oauth2session, sandbox_url=self.sandbox_url, timeouts=self.timeouts)
        flow.oauth2session.register_compliance_hook("access_token_response", _token_endpoint_check)
        return flow

    def _exchange(self, flow: Flow, code: str) -> Mapping[str, Any]:
        try:
            return flow.fetch_token(code=code)
        except Warning as changed:
            # include_granted_scopes: Google answers with every scope the app holds on the
            # account, and oauthlib raises this "Scope has changed" warning with the token.
            token = getattr(changed, "token", None)
            if token is None:
                raise
            _require_scopes(getattr(changed, "new_scope", None) or token.get("scope"))
            return token
        except oauthlib.oauth2.OAuth2Error as exc:
            if isinstance(exc, oauthlib.oauth2.ServerError | oauthlib.oauth2.TemporarilyUnavailableError):
                raise TransientError(
                    Said(
                        f"Google's token endpoint failed: {exc.error}.",
                        "network.failed",
                        network=NETWORK,
                        detail=str(exc.error),
                    ),
                    request_sent=True,
                ) from exc
            raise AuthError(
                Said(
                    f"Google refused the authorization code: {exc.error}.",
                    "connect.code_refused",
                    network=NETWORK,
                    detail=str(exc.error),
                )
            ) from exc
        except requests.RequestException as exc:
            raise _transient_from_requests(exc) from exc


def _require_scopes(granted: Any) -> None:
    """Google lets people untick permissions on its consent screen: without all three the
    account could publish but not delete (or not read its figures)."""
    scopes = set(granted.split() if isinstance(granted, str) else granted or ())
    missing = [scope.rsplit("/", 1)[-1] for scope in SCOPES if scope not in scopes]
    if missing and "https://www.googleapis.com/auth/youtube" not in scopes:
        names = ", ".join(missing)
        raise AuthError(
            Said(
                f"Google did not grant every permission we need (missing: {names}). "
                "Connect again and leave every box ticked.",
                "connect.missing_permissions",
                network=NETWORK,
                detail=names,
            )
        )


def _credentials_from_token(token: Mapping[str, Any]) -> Credentials:
    if token.get("scope"):
        _require_scopes(token["scope"])
    expires_at = None
    if token.get("expires_at"):
        expires_at = datetime.fromtimestamp(float(token["expires_at"]), tz=UTC)
    elif token.get("expires_in"):
        expires_at = datetime.now(UTC) + timedelta(seconds=float(token["expires_in"]))
    if not token.get("access_token"):
        raise AuthError(Said("Google's answer carries no access token.", "connect.no_access_token", network=NETWORK))
    scope = token.get("scope") or ""
    # What Google granted, kept: whether YouTube Analytics may be read (analytics_granted).
    scopes = " ".join(scope) if isinstance(scope, list | tuple) else str(scope)
    return Credentials(
        access_token=token["access_token"],
        refresh_token=token.get("refresh_token") or "",
        expires_at=expires_at,
        extra={"scopes": scopes} if scopes else {},
    )
