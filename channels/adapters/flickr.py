"""Flickr through flickrapi 2.4 (REST API and upload API, OAuth 1.0a).

One photo per delivery. Every upload carries the content's reference, a random token of
the delivery that says nothing of our numbering, as a machine tag (`dh:ref=<token>`), which
`flickr.photos.search(machine_tags=...)` finds again: how an upload whose answer was lost
is reconciled without posting twice. Tags are public, hence a token and not an id; the
upload's own ticket (`async=1`) would not do, since a lost answer loses the ticket too.

flickrapi is used with care:
- its default requests Session is a class attribute shared by the whole process; every
  instance here gets its own (our transport, with timeouts and the sandbox rewrite), with
  a response hook recording the HTTP status that flickrapi keeps to itself;
- it never caches tokens: a token is passed in (memory only) or `store_token=False`, so
  neither `~/.flickr/oauth-tokens.sqlite` nor the process-wide RAM cache (keyed by API key,
  which every mission shares) is ever used;
- `get_request_token` always gets our callback URL: with None it would start a local HTTP
  server and wait for a browser.
"""

from __future__ import annotations

import hmac
import io
import json
import math
import os
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from xml.etree.ElementTree import ParseError

import flickrapi
import requests
from flickrapi.auth import FlickrAccessToken

from channels import text as text_rules
from channels.adapters.answering import Answered, ReplyTarget, reply_problems, same_text, target_gone
from channels.adapters.base import (
    AccountInfo,
    AdapterError,
    AppAccessError,
    AppCredentials,
    AuthError,
    Connected,
    ConnectStart,
    Content,
    Credentials,
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
from channels.adapters.listening import (
    Heard,
    HeardItem,
    ItemKind,
    addressed,
    ids_field,
    int_field,
    read_cursor,
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
from channels.media import IMAGE_UPLOAD_MAX_BYTES, check_against_limits, clean_image

NETWORK = "flickr"
LABEL = "Flickr"
PERMS = "delete"  # includes write (upload); delete is needed to retract
PHOTO_URL = "https://www.flickr.com/photos/{nsid}/{photo_id}/"
MACHINE_TAG = "dh:ref={}"

LIMITS = NetworkLimits(
    text_max=0,  # Flickr sets no limit on descriptions, so neither do we (0: none)
    text_unit="characters",
    title_max=text_rules.FLICKR_TITLE_MAX,  # ours: Flickr documents none
    image_types=frozenset({"image/jpeg", "image/png", "image/gif"}),
    # Flickr takes photos up to 200 MB; our upload cap is lower and binds first.
    image_max_bytes=min(200 * 1024 * 1024, IMAGE_UPLOAD_MAX_BYTES),
    max_images=1,  # one upload, one photo page per delivery
    max_videos=0,
    requires="image",
)

# 96/97 (signature) stay the account's: a wrong token secret is fixed by reconnecting.
_AUTH_CODES = frozenset({96, 97, 98, 99})
_INVALID_API_KEY = 100  # our application's key: no account can fix it
_UPLOAD_RETRY_CODES = frozenset({3})  # "general upload failure": the photo may exist
_REST_RETRY_CODES = frozenset({105, 106})  # service unavailable, write operation failed
_NOT_FOUND = 1
_DEFAULT_RETRY_AFTER = 60.0
_CLOCK_SLACK = timedelta(minutes=10)


def build_adapter(*, sandbox_url: str | None, app: AppCredentials, timeouts: Timeouts) -> FlickrAdapter:
    return FlickrAdapter(sandbox_url=sandbox_url, app=app, timeouts=timeouts)


def build_connect_flow(*, sandbox_url: str | None, app: AppCredentials, timeouts: Timeouts) -> FlickrConnectFlow:
    return FlickrConnectFlow(sandbox_url=sandbox_url, app=app, timeouts=timeouts)


# --- Transport and errors -----------------------------------------------------------------------


@dataclass
class _LastResponse:
    """The HTTP status and headers of the latest answer: flickrapi turns every non-200
    into FlickrError(code=None) and keeps the status only in its message."""

    status: int | None = None
    headers: Mapping[str, str] = field(default_factory=dict)

    def __call__(self, response: requests.Response, *args: Any, **kwargs: Any) -> requests.Response:
        self.status, self.headers = response.status_code, response.headers
        return response


def _session(sandbox_url: str | None, timeouts: Timeouts) -> tuple[requests.Session, _LastResponse]:
    session = make_session(sandbox_url=sandbox_url, timeouts=timeouts)
    last = _LastResponse()
    session.hooks["response"].append(last)
    return session, last


def _error_code(exc: flickrapi.FlickrError) -> int | None:
    try:
        return int(exc.code) if exc.code is not None else None
    except (TypeError, ValueError):
        return None


def _from_http_status(status: int, last: _LastResponse, *, request_sent: bool) -> AdapterError:
    detail = Said(f"Flickr answered HTTP {status}.", "network.answered_status", network=NETWORK, status=status)
    if status == 429:  # a bare HTML page: Flickr sends no Retry-After, so we wait our own minute
        try:
            retry_after = float(last.headers.get("Retry-After", _DEFAULT_RETRY_AFTER))
        except (TypeError, ValueError):
            retry_after = _DEFAULT_RETRY_AFTER
        return RateLimited(detail, retry_after=retry_after, status_code=status)
    if status >= 500:
        return TransientError(detail, request_sent=request_sent, status_code=status)
    if status in (401, 403):  # the OAuth endpoints refuse a token or verifier this way
        return AuthError(detail, status_code=status)
    return PermanentError(detail, status_code=status)


def _from_flickr_error(
    exc: flickrapi.FlickrError, last: _LastResponse, *, upload: bool, request_sent: bool
) -> AdapterError:
    code = _error_code(exc)
    if code is None and last.status not in (None, 200):
        return _from_http_status(last.status, last, request_sent=request_sent)
    words = str(exc)[:300]
    detail = Said(f"Flickr refused the call: {words}", "network.refused_call", network=NETWORK, detail=words)
    if code == _INVALID_API_KEY:
        key_refused = Said(
            f"{detail} (check FLICKR_API_KEY and FLICKR_API_SECRET)",
            "network.app_key_refused",
            network=NETWORK,
            detail=words,
        )
        return AppAccessError(key_refused, network=NETWORK)
    if code in _AUTH_CODES:
        return AuthError(detail)
    if code in _REST_RETRY_CODES or (upload and code in _UPLOAD_RETRY_CODES):
        return TransientError(detail, request_sent=request_sent)
    # Everything else is the content or the request: upload codes 2, 4, 5, 6 and 8 (no
    # photo, empty, type not recognised, account over its quota, too big), 1 (not found)...
    return PermanentError(detail)


def _translate(
    exc: Exception, last: _LastResponse, *, upload: bool = False, request_sent: bool = True
) -> AdapterError | None:
    """Our error kind for an exception out of flickrapi or requests, or None for one we do
    not know (a bug: let it surface as it is)."""
    if isinstance(exc, flickrapi.FlickrError):
        return _from_flickr_error(exc, last, upload=upload, request_sent=request_sent)
    if isinstance(exc, UnknownHostError):
        return PermanentError(Said(str(exc), "network.sandbox_host", network=NETWORK))
    if isinstance(exc, requests.RequestException):
        sent = request_sent and not request_never_left(exc)
        return TransientError(
            unreachable("Flickr", NETWORK, exc, timeout=isinstance(exc, requests.Timeout)), request_sent=sent
        )
    if isinstance(exc, ParseError | json.JSONDecodeError | KeyError):
        return TransientError(
            Said("Flickr sent an answer we could not read.", "network.unreadable_answer", network=NETWORK),
            request_sent=request_sent,
            status_code=last.status,
        )
    return None


@contextmanager
def _gone_as(target: ReplyTarget) -> Iterator[None]:
    """Flickr's "Photo not found" (code 1) for the photo answered: deleted meanwhile."""
    try:
        yield
    except flickrapi.FlickrError as exc:
        if _error_code(exc) == _NOT_FOUND:
            raise PermanentError(target_gone(NETWORK, target.item_id)) from None
        raise


def _calling(last: _LastResponse, *, upload: bool = False) -> AbstractContextManager[None]:
    return sdk_errors(lambda exc: _translate(exc, last, upload=upload))


# --- Validation --------------------------------------------------------------------------------------


def _machine_tag(reference: str) -> str:
    # Flickr lower-cases tags when it normalises them; searching needs the same form.
    return MACHINE_TAG.format(reference.lower())


def _all_tags(content: Content) -> list[str]:
    tags = [tag.strip() for tag in content.tags if tag.strip()]
    if content.reference:
        tags.append(_machine_tag(content.reference))
    return tags


def _text_problems(content: Content) -> list[Problem]:
    """channels.text's rules (shared with the compose form's counter), our machine tag
    counted among the tags since Flickr counts it."""
    tags = _all_tags(content)
    tag_messages = text_rules.flickr_tag_problems(tags)
    if content.reference and len(tags) > text_rules.FLICKR_TAGS_MAX:  # the count comes first
        tag_messages[0] += f" That includes our tracking tag “{_machine_tag(content.reference)}”."
    by_field = (("title", text_rules.flickr_title_problems(content.title)), ("tags", tag_messages))
    return [problem_of(NETWORK, field, message) for field, messages in by_field for message in messages]


# --- The adapter --------------------------------------------------------------------------------------


class FlickrAdapter:
    network = NETWORK
    limits = LIMITS

    def __init__(self, *, sandbox_url: str | None, app: AppCredentials, timeouts: Timeouts) -> None:
        self.sandbox_url = sandbox_url
        self.app = app
        self.timeouts = timeouts

    def __repr__(self) -> str:
        return f"FlickrAdapter(sandbox={bool(self.sandbox_url)})"

    def validate(self, content: Content) -> list[Problem]:
        return [*_text_problems(content), *check_against_limits(content.media, self.limits, LABEL, network=NETWORK)]

    def publish(self, credentials: Credentials, content: Content, *, progress: Progress | None = None) -> Published:
        # One request: `progress` is never called.
        require_fit(self.validate(content))
        photo = content.media[0]
        data = clean_image(photo, label=LABEL)
        api, last = self._api(credentials)
        with _calling(last, upload=True):
            answer = api.upload(
                filename=os.path.basename(photo.path),
                fileobj=io.BytesIO(data),
                title=content.title,
                description=content.text,
                tags=text_rules.flickr_tags(_all_tags(content)),
                is_public="1",
                is_friend="0",
                is_family="0",
                safety_level="1",
                content_type="1",
                format="etree",  # the upload API answers in XML whatever the instance's format
            )
            photo_id = answer.findtext("photoid")
        if not photo_id:
            raise TransientError(
                Said(
                    "Flickr's answer to the upload carries no photo id.", "network.answer_without_id", network=NETWORK
                ),
                request_sent=True,
            )
        return Published(external_id=photo_id, url=self._photo_url(credentials, photo_id))

    def delete(self, credentials: Credentials, external_id: str) -> None:
        api, last = self._api(credentials)
        with _calling(last):
            try:
                api.photos.delete(photo_id=external_id)
            except flickrapi.FlickrError as exc:
                if _error_code(exc) == _NOT_FOUND:  # already gone
                    return
                raise

    def check_credentials(self, credentials: Credentials) -> AccountInfo:
        api, last = self._api(credentials)
        with _calling(last):
            user = api.test.login()["user"]
        nsid = user["id"]
        if credentials.account_id and nsid != credentials.account_id:
            raise AuthError(
                Said(
                    "The token belongs to another Flickr account than this one.",
                    "account.other_identity",
                    network=NETWORK,
                )
            )
        username = _content(user.get("username"))
        return AccountInfo(account_id=nsid, handle=username, display_name=credentials.extra.get("fullname") or username)

    def fetch_metrics(self, credentials: Credentials, external_id: str | None = None) -> Metrics:
        """A photo's views, faves (as likes) and comments. For the account: its photo views;
        Flickr's API exposes no follower count."""
        api, last = self._api(credentials)
        with _calling(last):
            if external_id is None:
                person = api.people.getInfo(user_id=credentials.account_id or "me")["person"]
                return Metrics(views=_int(person.get("photos", {}).get("views")))
            photo = api.photos.getInfo(photo_id=external_id)["photo"]
            faves = api.photos.getFavorites(photo_id=external_id, per_page=1)["photo"]
        return Metrics(
            views=_int(photo.get("views")), likes=_int(faves.get("total")), comments=_int(photo.get("comments"))
        )

    def find_published(self, credentials: Credentials, content: Content, since: datetime) -> Published | None:
        """The account's photo carrying the delivery's machine tag; without a reference,
        its photo uploaded since `since` with exactly this title."""
        if since.tzinfo is None:
            since = since.replace(tzinfo=UTC)
        query: dict[str, Any] = {
            "user_id": credentials.account_id or "me",
            "min_upload_date": int((since - _CLOCK_SLACK).timestamp()),
            "per_page": 100,
            "extras": "date_upload,machine_tags",
        }
        if content.reference:
            query["machine_tags"] = _machine_tag(content.reference)
        api, last = self._api(credentials)
        with _calling(last):
            photos = api.photos.search(**query)["photos"].get("photo") or []
        for photo in photos:
            if content.reference or photo.get("title") == content.title:
                return Published(external_id=photo["id"], url=self._photo_url(credentials, photo["id"]))
        return None

    def _api(self, credentials: Credentials) -> tuple[flickrapi.FlickrAPI, _LastResponse]:
        token = FlickrAccessToken(
            credentials.access_token,
            credentials.token_secret,
            PERMS,
            str(credentials.extra.get("fullname", "")),
            str(credentials.extra.get("username", "")),
            credentials.account_id,
        )
        api = flickrapi.FlickrAPI(
            self.app.client_id,
            self.app.client_secret,
            token=token,
            store_token=False,
            format="parsed-json",
            timeout=self.timeouts.as_requests(),
        )
        session, last = _session(self.sandbox_url, self.timeouts)
        api.flickr_oauth.session = session  # per instance: the default is shared process-wide
        return api, last

    def _photo_url(self, credentials: Credentials, photo_id: str) -> str:
        if self.sandbox_url:  # the real Flickr has never heard of it
            return sandbox_post_url(self.sandbox_url, NETWORK, photo_id)
        return PHOTO_URL.format(nsid=credentials.account_id, photo_id=photo_id)

    # --- Listening (channels.adapters.listening): comments on the account's photos

    challenge_content_type = "text/plain"

    def listen(self, credentials: Credentials, *, cursor: str, our_posts: Sequence[str]) -> Heard:
        """Which photos got comments (`flickr.activity.userPhotos`, at most once an hour:
        Flickr's documented maximum), then each one's new comments
        (`flickr.photos.comments.getList` from the last comment seen). Photos still to read
        stay in the cursor, so a poll stopped part-way resumes with them. `our_posts` is
        not needed: the activity covers every photo of the account."""
        state = read_cursor(cursor)
        now = time.time()
        photos: dict[str, Any] = {
            str(photo_id): {"after": int_field(seen.get("after")), "ids": ids_field(seen.get("ids"))}
            for photo_id, seen in (state.get("photos") if isinstance(state.get("photos"), dict) else {}).items()
            if isinstance(seen, dict) and now - int_field(seen.get("after")) < _FORGET_PHOTO_SECONDS
        }
        pending = ids_field(state.get("pending"))
        activity_at = state.get("activity_at")
        activity_at = float(activity_at) if isinstance(activity_at, int | float) else 0.0
        api, last = self._api(credentials)
        heard: dict[str, HeardItem] = {}
        retry_after: float | None = None
        wait = ACTIVITY_EVERY_SECONDS - (now - activity_at)
        try:
            if wait <= 0:
                since = activity_at or now - _FIRST_WINDOW_SECONDS
                for photo_id in self._active_photos(api, last, since=since, now=now):
                    photos.setdefault(photo_id, {"after": int(since), "ids": []})
                    if photo_id not in pending:
                        pending.append(photo_id)
                activity_at = now
            while pending:
                photo_id = pending[0]
                for item in self._new_comments(api, last, photo_id, photos.setdefault(photo_id, {"after": 0})):
                    heard[item.external_id] = item
                pending.pop(0)
        except RateLimited as limited:
            if not heard:
                raise
            retry_after = limited.retry_after
        if not pending and retry_after is None:
            retry_after = max(0.0, ACTIVITY_EVERY_SECONDS - (time.time() - activity_at))
        return Heard(
            items=[
                addressed(item, account_id=credentials.account_id, sandbox_url=self.sandbox_url)
                for item in heard.values()
            ],
            cursor=write_cursor({"activity_at": activity_at, "photos": photos, "pending": pending}),
            retry_after=retry_after or None,
        )

    def webhook_challenge(self, *, params: Mapping[str, str], app_secret: str, verify_token: str) -> str | None:
        return None  # Flickr pushes nothing: there is no subscription to confirm

    def verify_webhook(self, *, body: bytes, headers: Mapping[str, str], app_secret: str) -> bool:
        return False  # so a "Flickr webhook" is always refused

    def webhook_parts(self, payload: Any) -> Sequence[tuple[str, Mapping[str, Any]]]:
        raise PermanentError(
            Said("Flickr has no webhooks: its comments are read by polling.", "network.no_webhooks", network=NETWORK)
        )

    def webhook_items(self, payload: Mapping[str, Any]) -> Sequence[HeardItem]:
        raise PermanentError(
            Said("Flickr has no webhooks: its comments are read by polling.", "network.no_webhooks", network=NETWORK)
        )

    # --- Answering (channels.adapters.answering): a comment on the photo

    def reply(self, credentials: Credentials, *, target: ReplyTarget, text: str) -> Answered:
        """`flickr.photos.comments.addComment` on the photo (Flickr's comments are flat),
        as the account, with write permission."""
        problems = reply_problems(NETWORK, text)
        if problems:
            raise PermanentError(problems[0])
        api, last = self._api(credentials)
        with _calling(last), _gone_as(target):
            answer = api.photos.comments.addComment(photo_id=target.thread_id, comment_text=text)
        comment = answer.get("comment") if isinstance(answer, dict) else None
        comment_id = str((comment or {}).get("id") or "")
        if not comment_id:
            raise TransientError(
                Said("Flickr's answer to the comment carries no id.", "network.answer_without_id", network=NETWORK),
                request_sent=True,
            )
        return Answered(external_id=comment_id, url=str((comment or {}).get("permalink") or ""))

    def find_reply(
        self, credentials: Credentials, *, target: ReplyTarget, text: str, since: datetime
    ) -> Answered | None:
        """Our comment with this text on the photo since `since` (`photos.comments.getList`)."""
        api, last = self._api(credentials)
        with _calling(last), _gone_as(target):
            answer = api.photos.comments.getList(photo_id=target.thread_id, min_comment_date=int(since.timestamp()) - 1)
        for comment in (answer.get("comments") or {}).get("comment") or []:
            if str(comment.get("author")) == credentials.account_id and same_text(_content(comment), text):
                return Answered(external_id=str(comment["id"]), url=str(comment.get("permalink") or ""))
        return None

    def _active_photos(self, api: flickrapi.FlickrAPI, last: _LastResponse, *, since: float, now: float) -> list[str]:
        hours = max(1, math.ceil((now - since) / 3600) + 1)  # an hour of slack for clocks
        timeframe = f"{math.ceil(hours / 24)}d" if hours > 48 else f"{hours}h"
        found: list[str] = []
        for page in range(1, ACTIVITY_PAGES + 1):
            with _calling(last):
                answer = api.activity.userPhotos(timeframe=timeframe, per_page=50, page=page)["items"]
            for entry in answer.get("item") or []:
                if entry.get("type", "photo") == "photo" and entry.get("id"):
                    found.append(str(entry["id"]))
            if page >= int(answer.get("pages") or 1):
                break
        return found

    def _new_comments(
        self, api: flickrapi.FlickrAPI, last: _LastResponse, photo_id: str, seen: dict[str, Any]
    ) -> list[HeardItem]:
        """The photo's comments since `seen["after"]` (inclusive: Flickr counts seconds, so
        the ids already read in that second are skipped rather than the second itself)."""
        after = int(seen.get("after") or 0)
        at_edge = set(seen.get("ids") or [])
        with _calling(last):
            answer = api.photos.comments.getList(photo_id=photo_id, min_comment_date=after)["comments"]
        items: list[HeardItem] = []
        for comment in answer.get("comment") or []:
            try:
                item = _comment_item(comment, photo_id)
            except (KeyError, TypeError, ValueError):
                raise PermanentError(
                    Said("Flickr sent a comment this adapter cannot read.", "network.unreadable_item", network=NETWORK)
                ) from None
            stamp = int(item.created_at.timestamp())
            if stamp < after or (stamp == after and item.external_id in at_edge):
                continue
            items.append(item)
            if stamp > after:
                after, at_edge = stamp, set()
            at_edge.add(item.external_id)
        seen.update({"after": after, "ids": sorted(at_edge)})
        return items


def _content(value: Any) -> str:
    """Flickr's JSON wraps many strings as {"_content": "..."}."""
    if isinstance(value, Mapping):
        return str(value.get("_content", ""))
    return "" if value is None else str(value)


def _int(value: Any) -> int | None:
    try:
        return int(_content(value))
    except ValueError:
        return None


# --- Listening ---------------------------------------------------------------------------------------

ACTIVITY_EVERY_SECONDS = 3600  # "Do not poll this method more than once an hour" (Flickr)
ACTIVITY_PAGES = 10  # 500 photos with new activity per poll
_FIRST_WINDOW_SECONDS = 2 * 86400  # a new account: the comments of the last two days
_FORGET_PHOTO_SECONDS = 30 * 86400  # a photo quiet this long leaves the cursor


def _comment_item(comment: Mapping[str, Any], photo_id: str) -> HeardItem:
    return HeardItem(
        network=NETWORK,
        external_id=str(comment["id"]),
        kind=ItemKind.COMMENT,
        thread_id=photo_id,
        author_id=str(comment.get("author") or ""),
        author_name=str(comment.get("realname") or comment.get("authorname") or ""),
        author_handle=str(comment.get("authorname") or ""),
        text=_content(comment),
        created_at=datetime.fromtimestamp(int(comment["datecreate"]), UTC),
        url=str(comment.get("permalink") or ""),
        parent_id=photo_id,
        answers_post_id=photo_id,  # userPhotos lists the account's own photos only
        raw=dict(comment),
    )


# --- Connecting an account ---------------------------------------------------------------------------


def _first(params: Mapping[str, Any], name: str) -> str:
    """A callback parameter, whether the view passed QueryDict.dict() or lists of values."""
    value = params.get(name, "")
    if isinstance(value, list | tuple):
        value = value[0] if value else ""
    return str(value)


class FlickrConnectFlow:
    """OAuth 1.0a: a request token, the person's consent on Flickr, then the access token.
    Flickr's tokens do not expire; they last until the person revokes them."""

    def __init__(self, *, sandbox_url: str | None, app: AppCredentials, timeouts: Timeouts) -> None:
        self.sandbox_url = sandbox_url
        self.app = app
        self.timeouts = timeouts

    def __repr__(self) -> str:
        return f"FlickrConnectFlow(sandbox={bool(self.sandbox_url)})"

    def start(self, *, redirect_uri: str) -> ConnectStart:
        if not redirect_uri:
            # flickrapi would start a local web server and wait for a browser.
            raise ValueError("A callback URL is required.")
        api, last = self._api()
        with _calling(last):
            api.get_request_token(oauth_callback=redirect_uri)
            url = api.auth_url(perms=PERMS)
        oauth = api.flickr_oauth
        return ConnectStart(
            authorize_url=browser_url(url, sandbox_url=self.sandbox_url),
            keep={"request_token": oauth.resource_owner_key, "request_token_secret": oauth.resource_owner_secret},
        )

    def finish(self, *, redirect_uri: str, callback_params: dict, kept: dict) -> Connected:
        token, expected = _first(callback_params, "oauth_token"), str(kept.get("request_token") or "")
        if not expected or not hmac.compare_digest(token.encode(), expected.encode()):
            raise AuthError(
                Said(
                    "The answer from Flickr does not match the connection we started (token).",
                    "connect.state_mismatch",
                    network=NETWORK,
                )
            )
        verifier = _first(callback_params, "oauth_verifier")
        if not verifier:
            raise AuthError(
                Said(
                    "Flickr's answer carries no verifier: the access was not granted.",
                    "connect.not_granted",
                    network=NETWORK,
                )
            )
        api, last = self._api()
        oauth = api.flickr_oauth
        oauth.resource_owner_key = expected
        oauth.resource_owner_secret = str(kept.get("request_token_secret") or "")
        oauth.requested_permissions = PERMS  # otherwise "Requested permissions are unknown."
        with _calling(last):
            api.get_access_token(verifier)
        access = api.token_cache.token
        credentials = Credentials(
            access_token=access.token,
            token_secret=access.token_secret,
            expires_at=None,
            account_id=access.user_nsid,
            extra={"username": access.username, "fullname": access.fullname},
        )
        account = AccountInfo(
            account_id=access.user_nsid, handle=access.username, display_name=access.fullname or access.username
        )
        return Connected(credentials=credentials, account=account)

    def refresh(self, credentials: Credentials) -> Credentials:
        return credentials  # Flickr tokens do not expire

    def _api(self) -> tuple[flickrapi.FlickrAPI, _LastResponse]:
        api = flickrapi.FlickrAPI(
            self.app.client_id,
            self.app.client_secret,
            store_token=False,
            format="parsed-json",
            timeout=self.timeouts.as_requests(),
        )
        session, last = _session(self.sandbox_url, self.timeouts)
        api.flickr_oauth.session = session
        return api, last
