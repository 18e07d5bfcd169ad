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
- it puts the access token (and, for the code exchange, the app secret) in URLs, so
  exceptions of requests, whose messages hold URLs, are never chained or logged here. A
  POST carries the token in its body only when the body has other fields (an empty body
  sends it in the URL, where proxies and access logs keep it), so every POST here has at
  least one field, empty if need be.

What goes where: text only -> POST {page}/feed; one image -> POST {page}/photos with the
text as its message (the photo post); several images -> each to {page}/photos with
published=false, then {page}/feed with attached_media; a video -> POST {page}/videos with
the text as its description. The unpublished photos are invisible until attached, so a
failure before the post itself is always `request_sent=False`.

Limits we apply (Meta documents few; our choices are marked):
- text: 63,206 characters (channels.text.facebook_length); never cut.
- images: JPEG, PNG, GIF, WebP up to 10 MB (the Page photo upload limit; Meta recommends
  under 4 MB); at most 10 in one post (our choice: Meta gives no figure for attached_media).
- video: one MP4 or MOV, up to 1 GB and 20 minutes: the limits of the simple (non-resumable)
  upload we use. Images and a video never share a post.
"""

from __future__ import annotations

import hmac
import json
import os
import secrets
import unicodedata
from collections.abc import Iterator, Mapping
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import facebook
import requests

from channels import text as text_rules
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
from channels.adapters.outgoing import clean_image, video_without_metadata
from channels.adapters.transport import (
    Timeouts,
    UnknownHostError,
    browser_url,
    make_session,
    request_never_left,
)
from channels.media import (
    check_against_limits,
)

NETWORK = "facebook"
LABEL = "Facebook"
MB = 1024 * 1024

GRAPH_VERSION = "v24.0"
SCOPES = ("pages_show_list", "pages_manage_posts", "pages_read_engagement")
POST_URL = "https://www.facebook.com/{id}"

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
_BLOCKED_CODE = 368  # "temporarily blocked"; a duplicate when it says "already posted"
_MISSING = (100, 33)  # (code, subcode): the object does not exist (or is not ours)
_USAGE_HEADERS = ("x-business-use-case-usage", "x-page-usage", "x-app-usage")
_DEFAULT_RETRY_AFTER = 60.0
_FIND_PAGES = 5  # up to 500 recent posts searched when reconciling


def build_adapter(*, sandbox_url: str | None, app: AppCredentials, timeouts: Timeouts) -> FacebookAdapter:
    return FacebookAdapter(sandbox_url=sandbox_url, timeouts=timeouts)


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


def _graph(
    access_token: str | None, *, sandbox_url: str | None, timeouts: Timeouts, version: str
) -> tuple[facebook.GraphAPI, _LastResponse]:
    session = make_session(sandbox_url=sandbox_url, timeouts=timeouts)
    last = _LastResponse()
    session.hooks["response"].append(last)
    graph = facebook.GraphAPI(access_token=access_token, session=session, timeout=timeouts.as_requests())
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
    detail = f"Facebook refused the call: {message} ({codes})"
    if code in _AUTH_CODES or 200 <= code <= 299:
        return AuthError(detail, status_code=status)
    if code in _RATE_CODES:
        return RateLimited(detail, retry_after=_regain_seconds(last.headers), status_code=status)
    if code in _TRANSIENT_CODES or error.get("is_transient") or (status or 0) >= 500:
        return TransientError(detail, request_sent=may_have_posted, status_code=status)
    if code == _DUPLICATE_CODE or (code == _BLOCKED_CODE and "already posted" in message.lower()):
        return PermanentError(detail, status_code=status, duplicate=True)
    return PermanentError(detail, status_code=status)


def _from_http_status(status: int | None, last: _LastResponse, *, may_have_posted: bool) -> AdapterError:
    detail = (
        f"Facebook answered HTTP {status} without a Graph error."
        if status
        else "Facebook sent an answer we could not read."
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


def _post_url(external_id: str) -> str:
    # "PAGE_POST" -> https://www.facebook.com/PAGE_POST, which Facebook resolves to the post.
    return POST_URL.format(id=external_id)


# --- The adapter -----------------------------------------------------------------------------------


class FacebookAdapter:
    network = NETWORK

    def __init__(
        self,
        *,
        sandbox_url: str | None,
        timeouts: Timeouts,
        version: str = GRAPH_VERSION,
        limits: NetworkLimits = LIMITS,
    ) -> None:
        self.sandbox_url = sandbox_url
        self.timeouts = timeouts
        self.version = version
        self.limits = limits

    def __repr__(self) -> str:
        return f"FacebookAdapter(version={self.version!r}, sandbox={bool(self.sandbox_url)})"

    def validate(self, content: Content) -> list[Problem]:
        return [*_text_problems(content), *check_against_limits(content.media, self.limits, LABEL, network=NETWORK)]

    def publish(self, credentials: Credentials, content: Content, *, progress: Progress | None = None) -> Published:
        # One request: `progress` is never called.
        require_fit(self.validate(content))
        page = _page_id(credentials)
        graph, last = self._graph(credentials)
        images = [item for item in content.media if item.kind == "image"]
        videos = [item for item in content.media if item.kind == "video"]
        if videos:
            external_id = self._post_video(graph, last, page, content.text, videos[0])
        elif len(images) == 1:
            external_id = self._post_photo(graph, last, page, content.text, images[0])
        else:
            external_id = self._post_to_feed(graph, last, page, content.text, images)
        return Published(external_id=external_id, url=_post_url(external_id))

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
            raise AuthError("The token belongs to another Facebook Page than this one.")
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
        # A post id is "PAGE_POST"; a video's id has no "_", and a Video has no `shares`.
        fields = "reactions.summary(total_count),comments.summary(total_count)"
        is_post = "_" in external_id
        with _calling_facebook(last):
            item = graph.get_object(external_id, fields=fields + (",shares" if is_post else ""))
        return Metrics(
            likes=_int(((item.get("reactions") or {}).get("summary") or {}).get("total_count")),
            comments=_int(((item.get("comments") or {}).get("summary") or {}).get("total_count")),
            # Graph leaves `shares` out until a post is shared.
            shares=_int((item.get("shares") or {}).get("count", 0)) if is_post else None,
        )

    def find_published(self, credentials: Credentials, content: Content, since: datetime) -> Published | None:
        """The Page's post with this text created since `since` (its published posts, newest
        first), or None. A post without text cannot be told apart: PermanentError."""
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
        graph, last = self._graph(credentials)
        args: dict[str, Any] = {"fields": "id,message,created_time", "limit": 100, "since": int(since.timestamp())}
        path = f"{self.version}/{_page_id(credentials)}/published_posts"
        for _ in range(_FIND_PAGES):
            with _calling_facebook(last):
                answer = graph.request(path, args=dict(args))
            for post in answer.get("data") or []:
                created = _created(post)
                if created and created >= since and comparable_text(post.get("message") or "") == wanted:
                    return Published(external_id=str(post["id"]), url=_post_url(str(post["id"])))
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
            answer = graph.put_object(page, "feed", **fields)
        return _answer_id(answer, "id")

    @staticmethod
    def _upload_unpublished(graph: facebook.GraphAPI, page: str, image: MediaFile) -> str:
        answer = graph.put_photo(image=_image_file(image), album_path=f"{page}/photos", published="false")
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
            # `message` even when empty, to keep the token out of the URL (module docstring).
            answer = graph.put_photo(image=photo, album_path=f"{page}/photos", message=text)
        # The photo's post, not the photo: what published_posts lists and metrics count.
        return _answer_id(answer, "post_id", "id")

    @staticmethod
    def _post_video(graph: facebook.GraphAPI, last: _LastResponse, page: str, text: str, video: MediaFile) -> str:
        fields = {"description": text}  # even when empty: the token stays out of the URL
        with (
            video_without_metadata(video.path, network=NETWORK) as path,
            open(path, "rb") as source,
            _calling_facebook(last),
        ):
            answer = graph.request(
                f"{graph.version}/{page}/videos",
                post_args=fields,
                files={"source": (os.path.basename(video.path), source, video.mime_type)},
            )
        return _answer_id(answer, "id")

    def _graph(self, credentials: Credentials) -> tuple[facebook.GraphAPI, _LastResponse]:
        return _graph(
            credentials.access_token, sandbox_url=self.sandbox_url, timeouts=self.timeouts, version=self.version
        )


def _page_id(credentials: Credentials) -> str:
    if not credentials.account_id:
        raise AuthError("This Facebook account has no Page id: connect it again.")
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
        graph, last = self._graph(None)
        with _refused_as_auth(), _calling_facebook(last):
            short_lived = graph.get_access_token_from_code(
                code, redirect_uri, self.app.client_id, self.app.client_secret
            )["access_token"]
        graph, last = self._graph(short_lived)
        with _refused_as_auth(), _calling_facebook(last):
            long_lived = graph.extend_access_token(self.app.client_id, self.app.client_secret)["access_token"]
        page = self._choose_page(long_lived, wanted=str(kept.get("page_id") or ""))
        credentials = Credentials(access_token=str(page["access_token"]), account_id=str(page["id"]), expires_at=None)
        # Read the Page with its own token: proves the token works, and gives its username.
        account = FacebookAdapter(
            sandbox_url=self.sandbox_url, timeouts=self.timeouts, version=self.version
        ).check_credentials(credentials)
        return Connected(credentials=credentials, account=account)

    def refresh(self, credentials: Credentials) -> Credentials:
        return credentials

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
            raise AuthError(
                "No Page: the Facebook user who logged in manages no Page"
                + (f" with the id {wanted}." if wanted else ".")
            )
        page = pages[0]
        if "tasks" in page and "CREATE_CONTENT" not in page["tasks"]:
            raise AuthError(
                f"The Facebook user may not publish on the Page “{page.get('name', page['id'])}” "
                "(no CREATE_CONTENT task)."
            )
        return page

    def _graph(self, access_token: str | None) -> tuple[facebook.GraphAPI, _LastResponse]:
        return _graph(access_token, sandbox_url=self.sandbox_url, timeouts=self.timeouts, version=self.version)


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
        raise AuthError(f"Facebook did not authorise Diplomacy Hub: {reason}.")
    expected = str(kept.get("state") or "")
    if not expected or not hmac.compare_digest(str(params.get("state") or ""), expected):
        raise AuthError("The answer from Facebook does not match this connection attempt (state); start again.")
    code = params.get("code")
    if not code:
        raise AuthError("Facebook sent no authorization code; start again.")
    return str(code)
