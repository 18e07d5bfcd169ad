"""Facebook Pages through facebook-sdk 3.1 (Graph API), with Page access tokens.

facebook-sdk is old (2018) but small and does what a Page needs; it is used with care:
- the Graph version is set on the object after construction: its constructor accepts only
  "2.8" to "3.1", all expired (Meta would silently upgrade such calls to its oldest live
  version, so behaviour would drift). `version` is only a path prefix in the SDK, so
  `graph.version = "v24.0"` is safe; it is a parameter, defaulting to v24.0 (live until
  February 2028).
- it hides the HTTP status and headers, and turns a non-JSON answer (an HTML 502 page)
  into GraphAPIError("Maintype was not text, image, or querystring") without a code: a
  response hook on our session records them (`_LastResponse`).
- it puts the access token in the URL of every GET and DELETE (and the app secret in the
  code exchange's), where proxies, access logs and error reports keep it. So the SDK is
  given no token at all: our session's auth (`_GraphAuth`) sends the token in an
  `Authorization: Bearer` header, which Graph accepts, and adds `appsecret_proof` (HMAC-
  SHA256 of the token keyed with the app secret) to every call, as apps with "Require App
  Secret" demand; the code exchanges are POSTs with the secret in the body. Exceptions of
  requests are still never chained or logged here.

What goes where: text only -> POST {page}/feed; one image -> POST {page}/photos with the
text as its message (the photo post); several images -> each to {page}/photos with
published=false, then {page}/feed with attached_media; images carry their alt text
(`alt_text_custom`). A video -> Meta's resumable upload on the video host
(graph-video.facebook.com/{page}/videos: upload_phase start, then transfer in the ranges
Facebook asks for, sending again the range a failed transfer names, then finish with the
text as its description). The unpublished photos
are invisible until attached, and a video exists only once finished, so a failure before
the post itself is always `request_sent=False`.

A video is two objects: the Video, whose id the delivery keeps (deleting it removes the
video; deleting its Page post would leave it on the Page) and the Page post that shows it
(`Published.post_id`, when Facebook already gives it).

Limits we apply (Meta documents few; our choices are marked):
- text: 63,206 characters (channels.text.facebook_length); never cut.
- images: JPEG, PNG, GIF, WebP up to 10 MB (the Page photo upload limit; Meta recommends
  under 4 MB); at most 10 in one post (our choice: Meta gives no figure for attached_media).
- video: one MP4 or MOV, up to 1 GB and 20 minutes (our choice: the resumable upload takes
  more, but a press office's clip is far under it). Images and a video never share a post.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import secrets
import unicodedata
from collections.abc import Iterator, Mapping, Sequence
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import facebook
import requests
import requests.auth

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
    MediaFile,
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
    header,
    hmac_sha256,
    ids_field,
    int_field,
    read_cursor,
    same_signature,
    text_field,
    write_cursor,
)
from channels.adapters.transport import (
    Timeouts,
    UnknownHostError,
    browser_url,
    make_session,
    request_never_left,
    sandbox_post_url,
)
from channels.media import check_against_limits, clean_image, video_without_metadata

NETWORK = "facebook"
LABEL = "Facebook"
MB = 1024 * 1024

GRAPH_VERSION = "v24.0"
# pages_read_user_engagement reads the public's comments; pages_manage_metadata installs
# the app on the Page for its `feed` webhook (subscribed_apps).
SCOPES = (
    "pages_show_list",
    "pages_manage_posts",
    "pages_read_engagement",
    "pages_read_user_engagement",
    "pages_manage_metadata",
)
POST_URL = "https://www.facebook.com/{id}"
VIDEO_URL = "https://www.facebook.com/{page}/videos/{id}/"
VIDEO_GRAPH_URL = "https://graph-video.facebook.com/"  # Meta's host for video uploads

LIMITS = NetworkLimits(
    text_max=text_rules.FACEBOOK_TEXT_MAX,
    text_unit="characters",
    image_types=frozenset({"image/jpeg", "image/png", "image/gif", "image/webp"}),
    video_types=frozenset({"video/mp4", "video/quicktime"}),
    image_max_bytes=10 * MB,
    video_max_bytes=1024 * MB,
    video_max_seconds=20 * 60.0,
    max_images=10,
    max_videos=1,
    images_and_video_together=False,
)

# Meta's "Handling errors" guide.
_AUTH_CODES = frozenset({190, 102, 10})  # and 200-299: a permission missing or removed
_RATE_CODES = frozenset({4, 17, 32, 341, 613, 80001})
_TRANSIENT_CODES = frozenset({1, 2})
_DUPLICATE_CODE = 506
_BLOCKED_CODE = 368  # "temporarily blocked": wait and retry (a duplicate when it says "already posted")
_BLOCKED_RETRY_AFTER = 30 * 60.0  # such blocks last long: hammering only prolongs them
_MISSING = (100, 33)  # (code, subcode): the object does not exist (or is not ours)
_TRANSFER_FAILED = (6001, 1363037)  # a video's range did not go through: send what error_data says
_TRANSFER_RETRIES = 3  # in a row, for one upload
_USAGE_HEADERS = ("x-business-use-case-usage", "x-page-usage", "x-app-usage")
_DEFAULT_RETRY_AFTER = 60.0
_FIND_PAGES = 5  # up to 500 recent posts searched when reconciling


def build_adapter(*, sandbox_url: str | None, app: AppCredentials, timeouts: Timeouts) -> FacebookAdapter:
    return FacebookAdapter(sandbox_url=sandbox_url, app=app, timeouts=timeouts)


def build_connect_flow(*, sandbox_url: str | None, app: AppCredentials, timeouts: Timeouts) -> FacebookConnectFlow:
    return FacebookConnectFlow(sandbox_url=sandbox_url, app=app, timeouts=timeouts)


# --- Transport ---------------------------------------------------------------------------------


@dataclass
class _LastResponse:
    """The HTTP status and headers of the latest answer, which facebook-sdk keeps to itself."""

    status: int | None = None
    headers: Mapping[str, str] = field(default_factory=dict)

    def __call__(self, response: requests.Response, *args: Any, **kwargs: Any) -> requests.Response:
        self.status, self.headers = response.status_code, response.headers
        return response


def appsecret_proof(app_secret: str, access_token: str) -> str:
    """Meta's proof that a call comes from our server: HMAC-SHA256 of the token, keyed with
    the app secret, in hex."""
    return hmac.new(app_secret.encode(), access_token.encode(), hashlib.sha256).hexdigest()


class _GraphAuth(requests.auth.AuthBase):
    """The token in a header rather than the URL, and appsecret_proof on every call."""

    def __init__(self, access_token: str, app_secret: str) -> None:
        self._token = access_token
        self._proof = appsecret_proof(app_secret, access_token) if app_secret else ""

    def __repr__(self) -> str:  # never a secret, not even in a traceback
        return "_GraphAuth(...)"

    def __call__(self, request: requests.PreparedRequest) -> requests.PreparedRequest:
        request.headers["Authorization"] = f"Bearer {self._token}"
        if self._proof:
            parts = urlsplit(request.url or "")
            query = [(name, value) for name, value in parse_qsl(parts.query, keep_blank_values=True)]
            query.append(("appsecret_proof", self._proof))
            request.url = urlunsplit(parts._replace(query=urlencode(query)))
        return request


def _graph(
    access_token: str | None, *, app_secret: str, sandbox_url: str | None, timeouts: Timeouts, version: str
) -> tuple[facebook.GraphAPI, _LastResponse]:
    session = make_session(sandbox_url=sandbox_url, timeouts=timeouts)
    last = _LastResponse()
    session.hooks["response"].append(last)
    if access_token:
        session.auth = _GraphAuth(access_token, app_secret)
    # No token for the SDK: it would put it in the URL of every GET and DELETE.
    graph = facebook.GraphAPI(access_token=None, session=session, timeout=timeouts.as_requests())
    # Only after construction: the SDK's constructor refuses every live version (see above).
    graph.version = version
    return graph, last


# --- Errors -------------------------------------------------------------------------------------


def to_adapter_error(exc: BaseException, last: _LastResponse, *, may_have_posted: bool = True) -> AdapterError | None:
    """Our error kind for an exception out of facebook-sdk or requests; None for one we do
    not know (a bug: let it surface as it is). `last` is the answer the hook recorded.

    `may_have_posted` is False for calls made before the post itself (uploads of
    unpublished photos): whatever happened to them, no post can exist yet.
    """
    if isinstance(exc, AdapterError):
        return exc
    if isinstance(exc, facebook.GraphAPIError):
        return _from_graph_error(exc, last, may_have_posted=may_have_posted)
    if isinstance(exc, UnknownHostError):
        return PermanentError(
            Said("The sandbox does not imitate this Facebook host.", "network.sandbox_host", network=NETWORK)
        )
    if isinstance(exc, requests.RequestException):
        # The message of a requests exception holds the URL, and Graph URLs hold the token:
        # only its class name goes out.
        sent = may_have_posted and not request_never_left(exc)
        return TransientError(
            unreachable("Facebook", NETWORK, exc, timeout=isinstance(exc, requests.Timeout)), request_sent=sent
        )
    if isinstance(exc, KeyError | ValueError):  # facebook-sdk on an answer without Content-Type
        return TransientError(
            Said("Facebook sent an answer we could not read.", "network.unreadable_answer", network=NETWORK),
            request_sent=may_have_posted,
            status_code=last.status,
        )
    return None


def _from_graph_error(exc: facebook.GraphAPIError, last: _LastResponse, *, may_have_posted: bool) -> AdapterError:
    error = _error_body(exc)
    code, subcode = _int(error.get("code")), _int(error.get("error_subcode"))
    status = last.status
    if code is None:  # not Graph's JSON (an HTML error page): judge by the HTTP status
        return _from_http_status(status, last, may_have_posted=may_have_posted)
    message = str(error.get("message") or exc.message)
    codes = f"code {code}, subcode {subcode}" if subcode else f"code {code}"
    words = f"{message} ({codes})"
    detail = Said(f"Facebook refused the call: {words}", "network.refused_call", network=NETWORK, detail=words)
    if code in _AUTH_CODES or 200 <= code <= 299:
        return AuthError(detail, status_code=status)
    if code in _RATE_CODES:
        return RateLimited(detail, retry_after=_regain_seconds(last.headers), status_code=status)
    if (
        code in _TRANSIENT_CODES
        or error.get("is_transient")
        or (status or 0) >= 500
        or (code, subcode) == _TRANSFER_FAILED
    ):
        return TransientError(detail, request_sent=may_have_posted, status_code=status)
    if code == _DUPLICATE_CODE or (code == _BLOCKED_CODE and "already posted" in message.lower()):
        return PermanentError(detail, status_code=status, duplicate=True)
    if code == _BLOCKED_CODE:  # Meta's guide: wait and retry
        wait = max(_regain_seconds(last.headers), _BLOCKED_RETRY_AFTER)
        return RateLimited(detail, retry_after=wait, status_code=status)
    return PermanentError(detail, status_code=status)


def _from_http_status(status: int | None, last: _LastResponse, *, may_have_posted: bool) -> AdapterError:
    detail = (
        Said(
            f"Facebook answered HTTP {status} without a Graph error.",
            "network.answered_status",
            network=NETWORK,
            status=status,
        )
        if status
        else Said("Facebook sent an answer we could not read.", "network.unreadable_answer", network=NETWORK)
    )
    if status == 429:
        return RateLimited(detail, retry_after=_regain_seconds(last.headers), status_code=status)
    if status in (401, 403):
        return AuthError(detail, status_code=status)
    if status is not None and 400 <= status < 500:
        return PermanentError(detail, status_code=status)
    return TransientError(detail, request_sent=may_have_posted, status_code=status)


def _error_body(exc: facebook.GraphAPIError) -> dict:
    result = exc.result if isinstance(exc.result, dict) else {}
    error = result.get("error")
    return error if isinstance(error, dict) else {}


def _regain_seconds(headers: Mapping[str, str]) -> float:
    """The longest `estimated_time_to_regain_access` (minutes) in Meta's usage headers, in
    seconds; a minute when none says."""
    minutes = [0.0]
    for name in _USAGE_HEADERS:
        try:
            usage = json.loads(headers.get(name) or "{}")
        except ValueError:
            continue
        minutes += [float(entry.get("estimated_time_to_regain_access") or 0) for entry in _usage_entries(usage)]
    return max(minutes) * 60 or _DEFAULT_RETRY_AFTER


def _usage_entries(usage: Any) -> Iterator[dict]:
    """X-Business-Use-Case-Usage is {business id: [entries]}; the others one entry."""
    if isinstance(usage, dict):
        if "estimated_time_to_regain_access" in usage:
            yield usage
        for value in usage.values():
            if isinstance(value, list):
                yield from (entry for entry in value if isinstance(entry, dict))


def _int(value: Any) -> int | None:
    try:
        return int(value) if value is not None else None
    except (TypeError, ValueError):
        return None


def _calling_facebook(last: _LastResponse, *, may_have_posted: bool = True) -> AbstractContextManager[None]:
    # Not chained: the original may carry a URL with the token in it.
    return sdk_errors(lambda exc: to_adapter_error(exc, last, may_have_posted=may_have_posted), chain=False)


@contextmanager
def _gone_as(target: ReplyTarget) -> Iterator[None]:
    """Graph's "object does not exist" for the item answered: it was deleted meanwhile."""
    try:
        yield
    except facebook.GraphAPIError as exc:
        if _is_missing(exc):
            raise PermanentError(target_gone(NETWORK, target.item_id), status_code=400) from None
        raise


# Messenger's refusals of a private reply (Private Replies guide): already answered, too late.
_PRIVATE_ALREADY = 10900
_PRIVATE_EXPIRED = 10903


def _private_refusal(refused: PermanentError) -> PermanentError:
    if f"code {_PRIVATE_ALREADY}" in refused.detail:
        return PermanentError(
            Said("This comment has had its one private reply already.", "private_reply.already_sent", network=NETWORK),
            status_code=refused.status_code,
        )
    if f"code {_PRIVATE_EXPIRED}" in refused.detail:
        return PermanentError(
            Said(
                "A private reply can be sent only within 7 days of the comment.",
                "private_reply.expired",
                network=NETWORK,
            ),
            status_code=refused.status_code,
        )
    return refused


def _is_missing(exc: facebook.GraphAPIError) -> bool:
    error = _error_body(exc)
    return (_int(error.get("code")), _int(error.get("error_subcode"))) == _MISSING


# --- Media ---------------------------------------------------------------------------------------


def _image_file(item: MediaFile) -> tuple[str, bytes, str]:
    """The image as it may leave (clean of its metadata), as facebook-sdk's file tuple."""
    data = clean_image(item, label=LABEL, max_bytes=LIMITS.image_max_bytes)
    return (os.path.basename(item.path), data, item.mime_type)


# --- Validation and reconciliation -----------------------------------------------------------------


def _text_problems(content: Content) -> list[Problem]:
    messages = text_rules.facebook_text_problems(content.text)
    if not content.text.strip() and not content.media:
        messages.append(Said("Facebook needs a text, an image or a video.", "text.or_media_required", network=NETWORK))
    return [problem_of(NETWORK, "text", message) for message in messages]


def comparable_text(text: str) -> str:
    return unicodedata.normalize("NFC", text).replace("\r\n", "\n").strip()


def _created(post: Mapping[str, Any]) -> datetime | None:
    try:
        return datetime.strptime(str(post.get("created_time")), "%Y-%m-%dT%H:%M:%S%z")
    except ValueError:
        return None


# --- The adapter -----------------------------------------------------------------------------------


class FacebookAdapter:
    network = NETWORK

    def __init__(
        self,
        *,
        sandbox_url: str | None,
        app: AppCredentials,
        timeouts: Timeouts,
        version: str = GRAPH_VERSION,
        limits: NetworkLimits = LIMITS,
    ) -> None:
        self.sandbox_url = sandbox_url
        self.app = app
        self.timeouts = timeouts
        self.version = version
        self.limits = limits

    def __repr__(self) -> str:
        return f"FacebookAdapter(version={self.version!r}, sandbox={bool(self.sandbox_url)})"

    def validate(self, content: Content) -> list[Problem]:
        return [*_text_problems(content), *check_against_limits(content.media, self.limits, LABEL, network=NETWORK)]

    def publish(self, credentials: Credentials, content: Content, *, progress: Progress | None = None) -> Published:
        # `progress` is called after each part of a video; other posts are one request.
        require_fit(self.validate(content))
        page = _page_id(credentials)
        graph, last = self._graph(credentials)
        images = [item for item in content.media if item.kind == "image"]
        videos = [item for item in content.media if item.kind == "video"]
        if videos:
            video_id = self._post_video(graph, last, page, content.text, videos[0], progress)
            return self._video_published(video_id, page, post_id=self._post_of_video(graph, last, video_id))
        if len(images) == 1:
            external_id = self._post_photo(graph, last, page, content.text, images[0])
        else:
            external_id = self._post_to_feed(graph, last, page, content.text, images)
        return Published(external_id=external_id, url=self._url(external_id))

    def delete(self, credentials: Credentials, external_id: str) -> None:
        graph, last = self._graph(credentials)
        with _calling_facebook(last):
            try:
                answer = graph.delete_object(external_id)
            except facebook.GraphAPIError as exc:
                if _is_missing(exc):
                    return  # already gone: what we wanted
                raise
        if isinstance(answer, dict) and answer.get("success") is False:
            raise PermanentError(
                Said(
                    f"Facebook did not delete {external_id}.",
                    "network.not_deleted",
                    network=NETWORK,
                    external_id=external_id,
                )
            )

    def check_credentials(self, credentials: Credentials) -> AccountInfo:
        page = _page_id(credentials)
        graph, last = self._graph(credentials)
        with _calling_facebook(last):
            # With a Page token, "me" is the Page: this proves the token is this Page's.
            answer = graph.get_object("me", fields="id,name,username")
        if str(answer.get("id")) != page:
            raise AuthError(
                Said(
                    "The token belongs to another Facebook Page than this one.",
                    "account.other_identity",
                    network=NETWORK,
                )
            )
        return AccountInfo(
            account_id=page, handle=str(answer.get("username") or page), display_name=str(answer.get("name") or "")
        )

    def fetch_metrics(self, credentials: Credentials, external_id: str | None = None) -> Metrics:
        graph, last = self._graph(credentials)
        if external_id is None:
            with _calling_facebook(last):
                page = graph.get_object(_page_id(credentials), fields="followers_count,fan_count")
            followers = page.get("followers_count", page.get("fan_count"))
            return Metrics(followers=_int(followers))
        # A post id is "PAGE_POST"; a Video's id has no "_", and a Video has likes and
        # comments but neither reactions nor shares (asking for them is an error).
        is_post = "_" in external_id
        fields = (
            "reactions.summary(total_count),comments.summary(total_count),shares"
            if is_post
            else "likes.summary(total_count),comments.summary(total_count)"
        )
        with _calling_facebook(last):
            item = graph.get_object(external_id, fields=fields)
        clicks, missing = self._link_clicks(graph, last, external_id) if is_post else (None, Missing.NOT_GIVEN)
        return Metrics(
            likes=_total(item, "reactions" if is_post else "likes"),
            comments=_total(item, "comments"),
            # Graph leaves `shares` out until a post is shared.
            shares=_int((item.get("shares") or {}).get("count", 0)) if is_post else None,
            clicks=clicks,
            clicks_missing=missing,
        )

    def _link_clicks(self, graph: Any, last: _LastResponse, post_id: str) -> tuple[int | None, str]:
        """The post's lifetime link clicks from its insights (post_clicks_by_type), or why
        there are none: a metric Graph no longer gives is error 100, not the post's end."""
        try:
            with _calling_facebook(last):
                answer = graph.request(f"{self.version}/{post_id}/insights", args={"metric": "post_clicks_by_type"})
        except PermanentError:
            return None, Missing.NOT_GIVEN
        for metric in answer.get("data") or []:
            if metric.get("name") != "post_clicks_by_type":
                continue
            values = metric.get("values") or [{}]
            by_type = values[-1].get("value") or {}
            # A post never clicked has no "link clicks" key: none yet, not unknown.
            return (_int(by_type.get("link clicks", 0)), "") if isinstance(by_type, dict) else (None, Missing.NOT_GIVEN)
        return None, Missing.NOT_GIVEN

    def find_published(self, credentials: Credentials, content: Content, since: datetime) -> Published | None:
        """The Page's post with this text created since `since` (newest first), or None; for
        a video, the Page's Video with this text as its description (its id is what the
        delivery keeps, whether or not its post is out yet). A post without text cannot be
        told apart: PermanentError."""
        if not content.text.strip():
            raise PermanentError(
                Said(
                    "A post without text cannot be found again on Facebook: check the Page by hand.",
                    "network.cannot_find_without_text",
                    network=NETWORK,
                )
            )
        # Graph gives creation times to the second: a post made in the same second as
        # `since` must still count.
        since = (since if since.tzinfo else since.replace(tzinfo=UTC)).replace(microsecond=0)
        wanted = comparable_text(content.text)
        page = _page_id(credentials)
        graph, last = self._graph(credentials)
        if any(item.kind == "video" for item in content.media):
            fields, edge, text_field = "id,description,created_time,post_id", "videos", "description"
        else:
            fields, edge, text_field = "id,message,created_time", "published_posts", "message"
        args: dict[str, Any] = {"fields": fields, "limit": 100, "since": int(since.timestamp())}
        for _ in range(_FIND_PAGES):
            with _calling_facebook(last):
                answer = graph.request(f"{self.version}/{page}/{edge}", args=dict(args))
            for found in answer.get("data") or []:
                created = _created(found)
                if created and created >= since and comparable_text(found.get(text_field) or "") == wanted:
                    if edge == "videos":
                        return self._video_published(str(found["id"]), page, post_id=str(found.get("post_id") or ""))
                    return Published(external_id=str(found["id"]), url=self._url(str(found["id"])))
            after = ((answer.get("paging") or {}).get("cursors") or {}).get("after")
            if not (answer.get("paging") or {}).get("next") or not after:
                return None
            args["after"] = after
        raise TransientError(
            Said(
                f"More than {_FIND_PAGES * 100} posts on this Page since then: "
                "cannot tell whether this one is among them.",
                "network.too_many_posts",
                network=NETWORK,
                count=_FIND_PAGES * 100,
            ),
            request_sent=False,
        )

    # --- links

    def _url(self, external_id: str) -> str:
        if self.sandbox_url:
            return sandbox_post_url(self.sandbox_url, NETWORK, external_id)
        # "PAGE_POST" -> https://www.facebook.com/PAGE_POST, which Facebook resolves to the post.
        return POST_URL.format(id=external_id)

    def _video_published(self, video_id: str, page: str, *, post_id: str) -> Published:
        url = (
            sandbox_post_url(self.sandbox_url, NETWORK, video_id)
            if self.sandbox_url
            else VIDEO_URL.format(page=page, id=video_id)
        )
        return Published(external_id=video_id, url=url, post_id=post_id)

    # --- publishing, one way per kind of post

    def _post_to_feed(
        self, graph: facebook.GraphAPI, last: _LastResponse, page: str, text: str, images: list[MediaFile]
    ) -> str:
        with _calling_facebook(last, may_have_posted=False):
            photo_ids = [self._upload_unpublished(graph, page, image) for image in images]
        fields: dict[str, Any] = {"message": text} if text else {}
        if photo_ids:
            # Graph takes array parameters JSON-encoded.
            fields["attached_media"] = json.dumps([{"media_fbid": photo_id} for photo_id in photo_ids])
        with _calling_facebook(last):
            answer = graph.request(f"{graph.version}/{page}/feed", post_args=fields)
        return _answer_id(answer, "id")

    @staticmethod
    def _upload_unpublished(graph: facebook.GraphAPI, page: str, image: MediaFile) -> str:
        answer = graph.put_photo(
            image=_image_file(image), album_path=f"{page}/photos", published="false", **_alt_text(image)
        )
        photo_id = answer.get("id") if isinstance(answer, dict) else None
        if not photo_id:
            raise TransientError(
                Said(
                    "Facebook's answer to a photo upload carries no id.", "network.answer_without_id", network=NETWORK
                ),
                request_sent=False,
            )
        return str(photo_id)

    @staticmethod
    def _post_photo(graph: facebook.GraphAPI, last: _LastResponse, page: str, text: str, image: MediaFile) -> str:
        photo = _image_file(image)
        with _calling_facebook(last):
            answer = graph.put_photo(image=photo, album_path=f"{page}/photos", message=text, **_alt_text(image))
        # The photo's post, not the photo: what published_posts lists and metrics count.
        return _answer_id(answer, "post_id", "id")

    @staticmethod
    def _post_video(
        graph: facebook.GraphAPI,
        last: _LastResponse,
        page: str,
        text: str,
        video: MediaFile,
        progress: Progress | None,
    ) -> str:
        """Meta's resumable upload; returns the Video's id. Nothing is published before
        `finish`, so only a failure of that last call may have posted."""
        with video_without_metadata(video.path, network=NETWORK) as path, open(path, "rb") as source:
            size = os.fstat(source.fileno()).st_size
            with _calling_facebook(last, may_have_posted=False):
                started = _video_call(graph, page, {"upload_phase": "start", "file_size": str(size)})
                session, video_id = str(started["upload_session_id"]), str(started["video_id"])
                start, end = int(started["start_offset"]), int(started["end_offset"])
                failures = 0
                while start < end:
                    source.seek(start)
                    chunk = source.read(end - start)
                    try:
                        answer = _video_call(
                            graph,
                            page,
                            {"upload_phase": "transfer", "upload_session_id": session, "start_offset": str(start)},
                            files={"video_file_chunk": (os.path.basename(video.path), chunk, video.mime_type)},
                        )
                    except facebook.GraphAPIError as exc:
                        # Meta's guide: a failed transfer names the range to send (again).
                        answer = _range_to_resend(exc)
                        failures += 1
                        if answer is None or failures > _TRANSFER_RETRIES:
                            raise
                    else:
                        failures = 0
                    start, end = int(answer["start_offset"]), int(answer["end_offset"])
                    if progress is not None:
                        progress()
            with _calling_facebook(last):
                finished = _video_call(
                    graph, page, {"upload_phase": "finish", "upload_session_id": session, "description": text}
                )
        if not finished.get("success"):
            raise TransientError(
                Said(
                    "Facebook did not confirm the video's publication.", "network.video_not_confirmed", network=NETWORK
                ),
                request_sent=True,
            )
        return video_id

    @staticmethod
    def _post_of_video(graph: facebook.GraphAPI, last: _LastResponse, video_id: str) -> str:
        """The Page post showing the Video, if Facebook has made it yet (it may still be
        processing the video): the video is out either way, so a failure here is no failure."""
        try:
            with _calling_facebook(last):
                answer = graph.get_object(video_id, fields="post_id")
        except AdapterError:
            return ""
        return str(answer.get("post_id") or "")

    # --- Answering (channels.adapters.answering): comments as the Page, private replies, hiding

    def reply(self, credentials: Credentials, *, target: ReplyTarget, text: str) -> Answered:
        """`POST /{comment-id}/comments` with the Page token: "the author of the comment will
        be the Page". Facebook threads two levels deep, so an answer to a reply goes under
        its top-level comment (the thread), as the network's own interface does."""
        problems = reply_problems(NETWORK, text)
        if problems:
            raise PermanentError(problems[0])
        graph, last = self._graph(credentials)
        with _calling_facebook(last), _gone_as(target):
            # Not put_object: it insists on a token of its own (ours rides in a header).
            answer = graph.request(f"{graph.version}/{target.thread_id}/comments", post_args={"message": text})
        comment_id = _answer_id(answer, "id")
        return Answered(external_id=comment_id, url=POST_URL.format(id=comment_id))

    def find_reply(
        self, credentials: Credentials, *, target: ReplyTarget, text: str, since: datetime
    ) -> Answered | None:
        """The Page's comment with this text under the thread, since `since`."""
        page = _page_id(credentials)
        graph, last = self._graph(credentials)
        args: dict[str, Any] = {
            "fields": "id,message,created_time,from",
            "filter": "stream",
            "order": "reverse_chronological",
            "since": int(since.timestamp()) - 1,
            "limit": 100,
        }
        for _ in range(_FIND_PAGES):
            with _calling_facebook(last, may_have_posted=False), _gone_as(target):
                answer = graph.request(f"{graph.version}/{target.thread_id}/comments", args)
            for row in answer.get("data") or []:
                author = row.get("from") or {}
                if str(author.get("id")) == page and same_text(str(row.get("message") or ""), text):
                    return Answered(external_id=str(row["id"]), url=POST_URL.format(id=row["id"]))
            after = ((answer.get("paging") or {}).get("cursors") or {}).get("after")
            if not (answer.get("paging") or {}).get("next") or not after:
                return None
            args["after"] = after
        raise TransientError(
            Said(
                "Too many comments to tell whether ours is among them.",
                "network.too_many_posts",
                network=NETWORK,
                count=_FIND_PAGES * 100,
            ),
            request_sent=False,
        )

    def private_reply(self, credentials: Credentials, *, comment_id: str, text: str) -> Answered:
        """`POST /{page-id}/messages` with `recipient.comment_id`: one message in Messenger to
        the comment's author, once per comment, within 7 days of it. Facebook's refusal of a
        second one is PermanentError "private_reply.already_sent"."""
        problems = reply_problems(NETWORK, text)
        if problems:
            raise PermanentError(problems[0])
        page = _page_id(credentials)
        graph, last = self._graph(credentials)
        body = {"recipient": json.dumps({"comment_id": comment_id}), "message": json.dumps({"text": text})}
        try:
            with _calling_facebook(last):
                answer = graph.request(f"{graph.version}/{page}/messages", post_args=body)
        except PermanentError as refused:
            raise _private_refusal(refused) from None
        message_id = _answer_id(answer, "message_id")
        return Answered(external_id=message_id, url="")

    def set_hidden(self, credentials: Credentials, *, item_id: str, hidden: bool) -> None:
        """`POST /{comment-id}?is_hidden=true|false`: hidden from everyone but its author and
        their friends; reversible."""
        graph, last = self._graph(credentials)
        target = ReplyTarget(item_id=item_id, thread_id=item_id, kind="comment")
        with _calling_facebook(last), _gone_as(target):
            answer = graph.request(f"{graph.version}/{item_id}", post_args={"is_hidden": "true" if hidden else "false"})
        if not (isinstance(answer, dict) and answer.get("success")):
            raise TransientError(
                Said("Facebook did not confirm hiding the comment.", "network.hide_unconfirmed", network=NETWORK),
                request_sent=True,
            )

    def remove(self, credentials: Credentials, *, item_id: str) -> None:
        """`DELETE /{comment-id}` as the Page: gone for everyone, for good."""
        self.delete(credentials, item_id)

    def _graph(self, credentials: Credentials) -> tuple[facebook.GraphAPI, _LastResponse]:
        return _graph(
            credentials.access_token,
            app_secret=self.app.client_secret,
            sandbox_url=self.sandbox_url,
            timeouts=self.timeouts,
            version=self.version,
        )

    # --- Listening (channels.adapters.listening): comments, visitors' posts, the feed webhook

    challenge_content_type = "text/plain"

    def listen(self, credentials: Credentials, *, cursor: str, our_posts: Sequence[str]) -> Heard:
        """The comments under `our_posts` (our posts of the last 14 days, newest first, the
        first POSTS_PER_POLL of them), replies included
        (`/{post-id}/comments?filter=stream&order=reverse_chronological&since=`), then the
        visitors' posts on the Page (`/{page-id}/feed`). Each stream keeps the time of its
        newest item and the ids read in that second (Graph counts seconds), and, mid-drain,
        the next page's cursor. `remaining_calls` is the share of the Page's Business Use
        Case allowance left, in percent (X-Business-Use-Case-Usage); past 95 % the poll
        stops, as Meta asks, and says when to come back."""
        page = _page_id(credentials)
        state = read_cursor(cursor)
        posts = state.get("posts") if isinstance(state.get("posts"), dict) else {}
        # One call at least per post and poll, against the Page's hourly allowance: the
        # newest POSTS_PER_POLL (two weeks of an embassy's posts); the rest leave the cursor.
        kept = {post_id: _stream_state(posts.get(post_id)) for post_id in list(our_posts)[:POSTS_PER_POLL]}
        feed = _stream_state(state.get("feed"))
        graph, last = self._graph(credentials)
        usage = _Usage()
        heard: dict[str, HeardItem] = {}
        streams = [(f"{post_id}/comments", stream, post_id) for post_id, stream in kept.items()]
        streams.append((f"{page}/feed", feed, ""))
        for path, stream, post_id in streams:
            try:
                self._drain(graph, last, path, stream, usage, heard, page=page, post_id=post_id)
            except RateLimited as limited:
                if not heard:
                    raise
                usage.retry_after = limited.retry_after
            if usage.retry_after is not None:
                break  # the streams not reached keep their state for the next poll
        kept = {post_id: stream for post_id, stream in kept.items() if not stream.get("gone")}
        return Heard(
            items=[addressed(item, account_id=page, sandbox_url=self.sandbox_url) for item in heard.values()],
            cursor=write_cursor({"posts": kept, "feed": feed}),
            remaining_calls=usage.remaining,
            retry_after=usage.retry_after,
        )

    def subscribe_to_feed(self, credentials: Credentials) -> None:
        """Install our app on the Page for its `feed` webhook (`POST /{page-id}/subscribed_apps`
        with the Page token): Meta pushes nothing for a Page that did not. Idempotent."""
        page = _page_id(credentials)
        graph, last = self._graph(credentials)
        with _calling_facebook(last):
            answer = graph.request(f"{graph.version}/{page}/subscribed_apps", post_args={"subscribed_fields": "feed"})
        if not (isinstance(answer, dict) and answer.get("success")):
            raise TransientError(
                Said(
                    "Facebook did not confirm the Page's webhook subscription.",
                    "network.webhook_not_confirmed",
                    network=NETWORK,
                ),
                request_sent=True,
            )

    def webhook_challenge(self, *, params: Mapping[str, str], app_secret: str, verify_token: str) -> str | None:
        """Meta's GET check: `hub.mode=subscribe` and our `hub.verify_token` (compared in
        constant time) are answered with `hub.challenge`, as is."""
        if params.get("hub.mode") != "subscribe" or not verify_token:
            return None
        if not same_signature(str(params.get("hub.verify_token") or ""), verify_token):
            return None
        challenge = str(params.get("hub.challenge") or "")
        return challenge or None

    def verify_webhook(self, *, body: bytes, headers: Mapping[str, str], app_secret: str) -> bool:
        """`X-Hub-Signature-256` is `sha256=<hex HMAC-SHA256(app secret, body)>`."""
        if not app_secret:
            return False
        expected = "sha256=" + hmac_sha256(app_secret, body).hex()
        return same_signature(header(headers, "X-Hub-Signature-256"), expected)

    def webhook_parts(self, payload: Any) -> Sequence[tuple[str, Mapping[str, Any]]]:
        """A Page delivery's `entry` list, one entry per Page (its `id`)."""
        entries = payload.get("entry") if isinstance(payload, Mapping) else None
        if not isinstance(entries, list):
            raise PermanentError(_unreadable_push("A Facebook webhook delivery that is not a Page's entries."))
        parts: list[tuple[str, Mapping[str, Any]]] = []
        for entry in entries:
            page_id = entry.get("id") if isinstance(entry, Mapping) else None
            parts.append((str(page_id) if isinstance(page_id, str | int) else "", {**payload, "entry": [entry]}))
        return parts

    def webhook_items(self, payload: Mapping[str, Any]) -> Sequence[HeardItem]:
        """The Page `feed` changes of one delivery: comments (add, edited, remove) and
        visitors' posts; the Page's own posts, reactions and shares carry nothing for us."""
        if not isinstance(payload, Mapping) or payload.get("object") != "page":
            raise PermanentError(_unreadable_push("A Facebook webhook delivery that is not a Page's entries."))
        entries = payload.get("entry")
        if not isinstance(entries, list):
            raise PermanentError(_unreadable_push("A Facebook webhook delivery that is not a Page's entries."))
        items: list[HeardItem] = []
        for entry in entries:
            if not isinstance(entry, Mapping) or not isinstance(entry.get("changes"), list):
                raise PermanentError(_unreadable_push("A Facebook webhook entry without its changes."))
            page = str(entry.get("id") or "")
            for change in entry["changes"]:
                value = change.get("value") if isinstance(change, Mapping) else None
                if not isinstance(value, Mapping):
                    raise PermanentError(_unreadable_push("A Facebook webhook change without its value."))
                if change.get("field") != "feed":
                    continue
                try:
                    item = _pushed_item(value, page=page, at=entry.get("time"))
                except (KeyError, TypeError, ValueError):
                    raise PermanentError(_unreadable_push("A Facebook feed change this adapter cannot read.")) from None
                if item is not None:
                    items.append(addressed(item, account_id=page, sandbox_url=self.sandbox_url))
        return items

    def _drain(
        self,
        graph: facebook.GraphAPI,
        last: _LastResponse,
        path: str,
        stream: dict[str, Any],
        usage: _Usage,
        heard: dict[str, HeardItem],
        *,
        page: str,
        post_id: str,
    ) -> None:
        """Read one stream newest first down to its `since`, updating `stream` in place
        after each page: `since` and `edge` (the newest second read and its ids), `after`
        and `top`/`top_edge` mid-drain."""
        since = int(stream.get("since") or 0)
        edge = set(stream.get("edge") or [])
        resumed = bool(stream.get("after"))  # then a fresh read follows: see X's _drain
        for _ in range(LISTEN_PAGES):
            args = _stream_page_args(post_id=post_id, since=since, after=stream.get("after"))
            with _calling_facebook(last, may_have_posted=False):
                try:
                    answer = graph.request(f"{graph.version}/{path}", args=args)
                except facebook.GraphAPIError as exc:
                    if post_id and _is_missing(exc):  # our post was deleted: nothing more to hear
                        stream.clear()
                        stream["gone"] = True
                        return
                    raise
            usage.note(last.headers)
            top, top_edge = int(stream.get("top") or 0), set(stream.get("top_edge") or [])
            for item in _stream_items(answer, page=page, post_id=post_id):
                stamp = int(item.created_at.timestamp())
                if stamp < since or (stamp == since and item.external_id in edge):
                    continue
                heard[item.external_id] = item
                if stamp > top:
                    top, top_edge = stamp, {item.external_id}
                elif stamp == top:
                    top_edge.add(item.external_id)
            after = ((answer.get("paging") or {}).get("cursors") or {}).get("after")
            more = bool(after and (answer.get("paging") or {}).get("next"))
            stream.clear()
            if not more:
                if top > since:
                    since, edge = top, top_edge
                elif top == since:
                    edge |= top_edge
                stream.update({"since": since, "edge": sorted(edge)})
                if not resumed:
                    return
                resumed = False
                continue
            stream.update(
                {"since": since, "edge": sorted(edge), "after": after, "top": top, "top_edge": sorted(top_edge)}
            )
            if usage.exhausted:
                return


def _stream_page_args(*, post_id: str, since: int, after: str | None) -> dict[str, Any]:
    """One page of a post's comments (newest first) or of the Page's feed."""
    args: dict[str, Any] = {"fields": _COMMENT_FIELDS if post_id else _FEED_FIELDS, "limit": 100}
    if post_id:
        args |= {"filter": "stream", "order": "reverse_chronological"}
    if since:
        args["since"] = since
    if after:
        args["after"] = after
    return args


def _stream_items(answer: Mapping[str, Any], *, page: str, post_id: str) -> Iterator[HeardItem]:
    """The items of one page of a stream: comments under our post, or visitors' posts."""
    for row in answer.get("data") or []:
        try:
            item = _comment_item(row, post_id=post_id) if post_id else _visitor_item(row, page=page)
        except (KeyError, TypeError, ValueError):
            raise PermanentError(
                Said("Facebook sent a comment this adapter cannot read.", "network.unreadable_item", network=NETWORK)
            ) from None
        if item is not None:
            yield item


def _alt_text(image: MediaFile) -> dict[str, str]:
    """Photos take their alt text as `alt_text_custom` (what screen readers say)."""
    return {"alt_text_custom": image.alt_text} if image.alt_text.strip() else {}


def _video_call(graph: facebook.GraphAPI, page: str, data: dict[str, str], files: dict | None = None) -> dict:
    """One call of the resumable upload, on the video host, through the SDK's session (its
    token header, proof and hooks); Graph's errors raised as facebook-sdk raises them."""
    response = graph.session.post(
        f"{VIDEO_GRAPH_URL}{graph.version}/{page}/videos", data=data, files=files, timeout=graph.timeout
    )
    try:
        answer = response.json()
    except ValueError:
        raise facebook.GraphAPIError("Maintype was not text, image, or querystring") from None
    if not isinstance(answer, dict) or answer.get("error"):
        raise facebook.GraphAPIError(answer if isinstance(answer, dict) else str(answer))
    return answer


def _range_to_resend(exc: facebook.GraphAPIError) -> dict | None:
    """The offsets of a failed transfer's `error_data` (6001/1363037), or None."""
    error = _error_body(exc)
    if (_int(error.get("code")), _int(error.get("error_subcode"))) != _TRANSFER_FAILED:
        return None
    data = error.get("error_data")
    if isinstance(data, str):  # Graph sometimes sends it JSON-encoded
        try:
            data = json.loads(data)
        except ValueError:
            return None
    if not isinstance(data, dict) or _int(data.get("start_offset")) is None or _int(data.get("end_offset")) is None:
        return None
    return data


def _total(item: Mapping[str, Any], edge: str) -> int | None:
    return _int(((item.get(edge) or {}).get("summary") or {}).get("total_count"))


def _page_id(credentials: Credentials) -> str:
    if not credentials.account_id:
        raise AuthError(
            Said("This Facebook account has no Page id: connect it again.", "account.no_page_id", network=NETWORK)
        )
    return credentials.account_id


def _answer_id(answer: Any, *keys: str) -> str:
    for key in keys:
        value = answer.get(key) if isinstance(answer, dict) else None
        if value:
            return str(value)
    raise TransientError(
        Said("Facebook's answer to the post carries no id.", "network.answer_without_id", network=NETWORK),
        request_sent=True,
    )


# --- Listening ------------------------------------------------------------------------------------------

LISTEN_PAGES = 5  # per stream and poll: 500 comments
POSTS_PER_POLL = 50  # of our posts (the caller's, newest first) whose comments are read
USAGE_STOP_PERCENT = 95  # Meta: slow down before the Business Use Case allowance runs out
_USAGE_PAUSE = 300.0  # when Meta names no time to regain access
_COMMENT_FIELDS = "id,message,created_time,from,parent{id},permalink_url"
_FEED_FIELDS = "id,message,created_time,from,permalink_url"


@dataclass
class _Usage:
    remaining: int | None = None  # percent of the Page's allowance left
    retry_after: float | None = None

    @property
    def exhausted(self) -> bool:
        return self.retry_after is not None

    def note(self, headers: Mapping[str, str]) -> None:
        try:
            usage = json.loads(headers.get("x-business-use-case-usage") or "{}")
        except ValueError:
            return
        used = [
            max(_int(entry.get(name)) or 0 for name in ("call_count", "total_cputime", "total_time"))
            for entry in _usage_entries(usage)
        ]
        if not used:
            return
        left = max(0, 100 - max(used))
        self.remaining = left if self.remaining is None else min(self.remaining, left)
        if max(used) >= USAGE_STOP_PERCENT:
            self.retry_after = max(_regain_seconds(headers), _USAGE_PAUSE)


def _stream_state(value: Any) -> dict[str, Any]:
    """A stream's state from the cursor, its malformed parts dropped (read again instead)."""
    if not isinstance(value, dict):
        return {}
    return {
        "since": int_field(value.get("since")),
        "edge": ids_field(value.get("edge")),
        **({"after": value["after"]} if text_field(value.get("after")) else {}),
        "top": int_field(value.get("top")),
        "top_edge": ids_field(value.get("top_edge")),
    }


def _graph_time(value: Any) -> datetime:
    """Graph's times ("2026-12-07T07:30:00+0000"), or a webhook's Unix seconds."""
    if isinstance(value, int | float) or (isinstance(value, str) and value.isdigit()):
        return datetime.fromtimestamp(int(value), UTC)
    return datetime.strptime(str(value), "%Y-%m-%dT%H:%M:%S%z")


def _comment_item(row: Mapping[str, Any], *, post_id: str) -> HeardItem:
    """A comment under our post: a reply when it has a parent comment, whose thread it
    joins (Facebook threads a post's comment and its replies)."""
    author = row.get("from") or {}
    parent = str((row.get("parent") or {}).get("id") or "")
    comment_id = str(row["id"])
    return HeardItem(
        network=NETWORK,
        external_id=comment_id,
        kind=ItemKind.REPLY if parent else ItemKind.COMMENT,
        thread_id=parent or comment_id,
        author_id=str(author.get("id") or ""),
        author_name=str(author.get("name") or ""),
        text=str(row.get("message") or ""),
        created_at=_graph_time(row["created_time"]),
        url=str(row.get("permalink_url") or POST_URL.format(id=comment_id)),
        parent_id=parent or post_id,
        answers_post_id=post_id,
        raw=dict(row),
    )


def _visitor_item(row: Mapping[str, Any], *, page: str) -> HeardItem | None:
    """A post on the Page's feed by someone else; None for the Page's own."""
    author = row.get("from") or {}
    if not author or str(author.get("id")) == page:
        return None
    post_id = str(row["id"])
    return HeardItem(
        network=NETWORK,
        external_id=post_id,
        kind=ItemKind.VISITOR_POST,
        thread_id=post_id,
        author_id=str(author.get("id") or ""),
        author_name=str(author.get("name") or ""),
        text=str(row.get("message") or ""),
        created_at=_graph_time(row["created_time"]),
        url=str(row.get("permalink_url") or POST_URL.format(id=post_id)),
        raw=dict(row),
    )


def _pushed_item(value: Mapping[str, Any], *, page: str, at: Any) -> HeardItem | None:
    """One `feed` change as an item: a comment or a visitor's post, added, edited (the
    entry's time is the edit's) or removed (marked deleted); None for anything else."""
    verb = str(value.get("verb") or "")
    kind = str(value.get("item") or "")
    author = value.get("from") or {}
    if verb not in ("add", "edited", "remove") or kind not in ("comment", "status", "post", "photo", "video"):
        return None
    created = _graph_time(value.get("created_time") or at)
    edited = _graph_time(at) if verb == "edited" and at else (created if verb == "edited" else None)
    post_id = str(value.get("post_id") or "")
    if kind == "comment":
        comment_id = str(value["comment_id"])
        parent = str(value.get("parent_id") or post_id)
        reply = parent != post_id
        return HeardItem(
            network=NETWORK,
            external_id=comment_id,
            kind=ItemKind.REPLY if reply else ItemKind.COMMENT,
            thread_id=parent if reply else comment_id,
            author_id=str(author.get("id") or ""),
            author_name=str(author.get("name") or ""),
            text=str(value.get("message") or ""),
            created_at=created,
            url=POST_URL.format(id=post_id) + f"?comment_id={comment_id}",
            parent_id=parent,
            answers_post_id=post_id,
            edited_at=edited,
            deleted=verb == "remove",
            raw=dict(value),
        )
    if not author or str(author.get("id")) == page:
        return None  # the Page's own post: what we published
    return HeardItem(
        network=NETWORK,
        external_id=post_id,
        kind=ItemKind.VISITOR_POST,
        thread_id=post_id,
        author_id=str(author.get("id") or ""),
        author_name=str(author.get("name") or ""),
        text=str(value.get("message") or ""),
        created_at=created,
        url=POST_URL.format(id=post_id),
        edited_at=edited,
        deleted=verb == "remove",
        raw=dict(value),
    )


# --- Connecting a Page (Facebook Login, code flow) --------------------------------------------------


class FacebookConnectFlow:
    """Facebook Login's code flow, then a long-lived user token, then the Page's token.

    A Page token derived from a long-lived user token does not expire (until the person
    loses their role on the Page, changes their password or removes the app), so
    `expires_at` is None and `refresh` has nothing to do. Put `page_id` in `kept` (beside
    the state) to connect one Page of several; otherwise the first Page the person manages
    is taken.
    """

    def __init__(
        self, *, sandbox_url: str | None, app: AppCredentials, timeouts: Timeouts, version: str = GRAPH_VERSION
    ) -> None:
        self.sandbox_url = sandbox_url
        self.app = app
        self.timeouts = timeouts
        self.version = version

    def __repr__(self) -> str:
        return f"FacebookConnectFlow(client_id={self.app.client_id!r}, sandbox={bool(self.sandbox_url)})"

    def start(self, *, redirect_uri: str) -> ConnectStart:
        state = secrets.token_urlsafe(32)
        graph, _ = self._graph(None)
        url = graph.get_auth_url(
            self.app.client_id, redirect_uri, perms=list(SCOPES), state=state, response_type="code"
        )
        return ConnectStart(authorize_url=browser_url(url, sandbox_url=self.sandbox_url), keep={"state": state})

    def finish(self, *, redirect_uri: str, callback_params: dict, kept: dict) -> Connected:
        code = _callback_code(callback_params, kept)
        # POSTs: the code, the secret and the tokens stay out of URLs.
        short_lived = self._exchange(
            {
                "code": code,
                "redirect_uri": redirect_uri,
                "client_id": self.app.client_id,
                "client_secret": self.app.client_secret,
            }
        )
        long_lived = self._exchange(
            {
                "grant_type": "fb_exchange_token",
                "client_id": self.app.client_id,
                "client_secret": self.app.client_secret,
                "fb_exchange_token": short_lived,
            }
        )
        page = self._choose_page(long_lived, wanted=str(kept.get("page_id") or ""))
        credentials = Credentials(access_token=str(page["access_token"]), account_id=str(page["id"]), expires_at=None)
        # Read the Page with its own token: proves the token works, and gives its username.
        adapter = FacebookAdapter(
            sandbox_url=self.sandbox_url, app=self.app, timeouts=self.timeouts, version=self.version
        )
        account = adapter.check_credentials(credentials)
        adapter.subscribe_to_feed(credentials)  # the conversation desk's webhook
        return Connected(credentials=credentials, account=account)

    def refresh(self, credentials: Credentials) -> Credentials:
        return credentials

    def _exchange(self, fields: dict[str, str]) -> str:
        graph, last = self._graph(None)
        with _refused_as_auth(), _calling_facebook(last):
            answer = graph.request(f"{self.version}/oauth/access_token", post_args=fields)
        token = answer.get("access_token") if isinstance(answer, dict) else None
        if not token:
            raise AuthError(
                Said(
                    "Facebook's answer carries no access token; start again.",
                    "connect.no_access_token",
                    network=NETWORK,
                )
            )
        return str(token)

    def _choose_page(self, user_token: str, *, wanted: str) -> dict:
        graph, last = self._graph(user_token)
        with _calling_facebook(last):
            pages = (
                graph.get_connections("me", "accounts", fields="id,name,username,access_token,tasks", limit=100).get(
                    "data"
                )
                or []
            )
        pages = [page for page in pages if page.get("id") and page.get("access_token")]
        if wanted:
            pages = [page for page in pages if str(page["id"]) == wanted]
        if not pages:
            if wanted:
                raise AuthError(
                    Said(
                        f"No Page: the Facebook user who logged in manages no Page with the id {wanted}.",
                        "connect.no_such_page",
                        network=NETWORK,
                        page=wanted,
                    )
                )
            raise AuthError(
                Said("No Page: the Facebook user who logged in manages no Page.", "connect.no_page", network=NETWORK)
            )
        page = pages[0]
        if "tasks" in page and "CREATE_CONTENT" not in page["tasks"]:
            name = str(page.get("name", page["id"]))
            raise AuthError(
                Said(
                    f"The Facebook user may not publish on the Page “{name}” (no CREATE_CONTENT task).",
                    "connect.page_not_allowed",
                    network=NETWORK,
                    page=name,
                )
            )
        return page

    def _graph(self, access_token: str | None) -> tuple[facebook.GraphAPI, _LastResponse]:
        return _graph(
            access_token,
            app_secret=self.app.client_secret,
            sandbox_url=self.sandbox_url,
            timeouts=self.timeouts,
            version=self.version,
        )


@contextmanager
def _refused_as_auth() -> Iterator[None]:
    """A code or token Facebook refuses (expired, used, another redirect_uri) means the
    connection failed: the administrator must start again."""
    try:
        yield
    except PermanentError as exc:
        raise AuthError(exc.detail, status_code=exc.status_code) from None


def _callback_code(params: dict, kept: dict) -> str:
    """The authorization code of a genuine callback; AuthError for a refused or forged one."""
    if params.get("error"):
        reason = params.get("error_reason") or params["error"]
        reason = str(reason)[:100]
        raise AuthError(
            Said(
                f"Facebook did not authorise Diplomacy Hub: {reason}.",
                "connect.not_authorised",
                network=NETWORK,
                detail=reason,
            )
        )
    expected = str(kept.get("state") or "")
    if not expected or not hmac.compare_digest(str(params.get("state") or ""), expected):
        raise AuthError(
            Said(
                "The answer from Facebook does not match this connection attempt (state); start again.",
                "connect.state_mismatch",
                network=NETWORK,
            )
        )
    code = params.get("code")
    if not code:
        raise AuthError(Said("Facebook sent no authorization code; start again.", "connect.no_code", network=NETWORK))
    return str(code)


def _unreadable_push(text: str) -> Said:
    """A webhook delivery we could not read: the network's push, not a person's doing."""
    return Said(text, "network.unreadable_push", network=NETWORK)
