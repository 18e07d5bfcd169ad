"""X (Twitter) through tweepy 4.17 and the X API v2, with OAuth 2.0 user tokens (PKCE).

- Every call goes through `tweepy.Client(bearer_token=<the account's OAuth 2.0 user access
  token>)` with `user_auth=False`: otherwise tweepy signs with OAuth 1.0a keys we do not
  have. `wait_on_rate_limit` stays False: a worker must never sleep inside a call; a 429
  becomes RateLimited and the pipeline schedules the retry.
- tweepy 4.17 has no v2 media upload (its `API.media_upload` is v1.1, deprecated by X in
  2025), so `_MediaUploader` calls `POST /2/media/upload` (images) and
  `/2/media/upload/initialize|append|finalize` (GIFs, videos) itself, over the client's own
  session and with tweepy's own exception classes, so one error mapping serves both.
- Nothing is posted until every media file is uploaded: a failure before `create_tweet` is
  always `request_sent=False` (an orphan upload is harmless; X drops it after a day).

Limits we apply (docs.x.com media best practices and initialize-media-upload):
- text: 280 weighted characters (channels.text.tweet_length); never cut.
- images: JPEG, PNG, GIF, WebP up to 5 MB, at most 4; a GIF goes alone (X: "4 photos, or
  1 GIF, or 1 video"), and an animated GIF may weigh up to 15 MB (uploaded as `tweet_gif`).
- video: one MP4 or MOV, 0.5 s to 140 s, up to 512 MB. X lets some accounts post longer
  videos (up to 20 min and more for verified or paying accounts), but which accounts may is
  decided by X per account and only checked when the post is created ("This user is not
  allowed to post a video longer than N minutes"). 140 s / 512 MB is what every account
  may post, so a message we accept is never refused for its video; a longer video belongs
  on YouTube. Deployments whose accounts all have the allowance can pass other limits.
"""

from __future__ import annotations

import base64
import dataclasses
import hashlib
import hmac
import html
import io
import json
import os
import secrets
import time
import unicodedata
from collections.abc import Callable, Mapping, Sequence
from contextlib import AbstractContextManager
from datetime import UTC, datetime, timedelta
from typing import Any, BinaryIO

import oauthlib.oauth2
import requests
import tweepy
from requests_oauthlib import OAuth2Session
from twitter_text import extract_urls_with_indices

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
    mount_on,
    request_never_left,
    sandbox_post_url,
)
from channels.media import check_against_limits, clean_image, video_without_metadata

NETWORK = "twitter"
LABEL = "X"
MB = 1024 * 1024

API_URL = "https://api.x.com"  # tweepy itself calls api.twitter.com: both are X's
AUTHORIZE_URL = "https://x.com/i/oauth2/authorize"
TOKEN_URL = "https://api.x.com/2/oauth2/token"  # noqa: S105 (a URL, not a secret)
# tweet.moderate.write: hiding replies in the account's own conversations (PUT /2/tweets/:id/hidden).
SCOPES = ("tweet.read", "tweet.write", "users.read", "offline.access", "media.write", "tweet.moderate.write")
POST_URL = "https://x.com/{handle}/status/{id}"  # "i" stands for any handle

LIMITS = NetworkLimits(
    text_max=text_rules.TWEET_MAX,
    text_unit="weighted characters",
    image_types=frozenset({"image/jpeg", "image/png", "image/gif", "image/webp"}),
    video_types=frozenset({"video/mp4", "video/quicktime"}),
    image_max_bytes=5 * MB,
    video_max_bytes=512 * MB,
    video_max_seconds=140.0,
    max_images=4,
    max_videos=1,
    images_and_video_together=False,
)
GIF_MAX_BYTES = 15 * MB  # animated GIFs (X: "GIF: 15 MB"); other images 5 MB
VIDEO_MIN_SECONDS = 0.5
ALT_TEXT_MAX = 1_000

CHUNK_SIZE = 4 * MB  # X takes chunks up to 5 MB
# Giving up on a video X is still processing means uploading it again in full on the next
# attempt (X has no way to find a pending upload again), so the adapter waits as long as X
# keeps it: until the media would expire (initialize's `expires_after_secs`), polling when
# X's `check_after_secs` says. `progress()` after each poll tells the pipeline it is alive.
MEDIA_EXPIRES_DEFAULT = 86_400.0  # X's answer when it does not say
_FIND_PAGES = 5  # up to 500 recent posts searched when reconciling
_DEFAULT_RETRY_AFTER = 60.0  # a 429 without x-rate-limit-reset (X's windows are 15 min)

# A 403 that means "this token may not do this" rather than "this content is refused".
_AUTH_403 = ("permission", "not permitted", "suspended", "locked", "unsupported authentication")
_DUPLICATE_403 = "duplicate content"
# OAuth errors at the token endpoint worth a retry; every other one means "reconnect the account".
_TRANSIENT_OAUTH = frozenset({"server_error", "temporarily_unavailable", "missing_token"})


def build_adapter(*, sandbox_url: str | None, app: AppCredentials, timeouts: Timeouts) -> TwitterAdapter:
    return TwitterAdapter(sandbox_url=sandbox_url, timeouts=timeouts)


def build_connect_flow(*, sandbox_url: str | None, app: AppCredentials, timeouts: Timeouts) -> TwitterConnectFlow:
    return TwitterConnectFlow(sandbox_url=sandbox_url, app=app, timeouts=timeouts)


# --- Errors ---------------------------------------------------------------------------------


def to_adapter_error(exc: BaseException, *, may_have_posted: bool = True) -> AdapterError | None:
    """Our error kind for an exception out of tweepy, requests or oauthlib; None for one we
    do not know (a bug: let it surface as it is).

    `may_have_posted` is False for calls made before the post itself (media uploads):
    whatever happened to them, no post can exist yet.
    """
    if isinstance(exc, AdapterError):
        return exc
    if isinstance(exc, tweepy.HTTPException):
        return _from_http_exception(exc, may_have_posted=may_have_posted)
    if isinstance(exc, UnknownHostError):
        return PermanentError(Said(str(exc), "network.sandbox_host", network=NETWORK))
    if isinstance(exc, requests.RequestException):
        sent = may_have_posted and not request_never_left(exc)
        return TransientError(
            unreachable("X", NETWORK, exc, timeout=isinstance(exc, requests.Timeout)), request_sent=sent
        )
    if isinstance(exc, oauthlib.oauth2.OAuth2Error):
        return _from_oauth_error(exc)
    return None


def _from_http_exception(exc: tweepy.HTTPException, *, may_have_posted: bool) -> AdapterError:
    status = exc.response.status_code
    message = "; ".join(str(m) for m in exc.api_messages) or f"HTTP {status}"
    detail = Said(f"X refused the call: {message}", "network.refused_call", network=NETWORK, detail=message)
    if isinstance(exc, tweepy.TooManyRequests):
        limited = Said(f"X rate limit reached: {message}", "network.rate_limited", network=NETWORK, detail=message)
        return RateLimited(limited, retry_after=_retry_after(exc), status_code=status)
    if isinstance(exc, tweepy.TwitterServerError):
        failed = Said(f"X failed: {message}", "network.failed", network=NETWORK, detail=message)
        return TransientError(failed, request_sent=may_have_posted, status_code=status)
    if isinstance(exc, tweepy.Unauthorized):
        return AuthError(detail, status_code=status)
    if isinstance(exc, tweepy.Forbidden):
        if _app_not_allowed(exc):
            return AppAccessError(
                Said(
                    f"X does not let this app make that call (its access level does not include it): {message}",
                    "network.app_access",
                    network=NETWORK,
                    detail=message,
                ),
                network=NETWORK,
                status_code=status,
            )
        lowered = message.lower()
        if _DUPLICATE_403 in lowered:
            return PermanentError(detail, status_code=status, duplicate=True)
        if any(word in lowered for word in _AUTH_403):
            return AuthError(detail, status_code=status)
    return PermanentError(detail, status_code=status)


def _app_not_allowed(exc: tweepy.Forbidden) -> bool:
    """X's "client-forbidden" problem (reason client-not-enrolled: the app's access level
    does not include the endpoint), or v1.1's code 453 saying the same."""
    try:
        body = exc.response.json()
    except ValueError:
        return False
    if not isinstance(body, dict):
        return False
    return (
        str(body.get("type", "")).endswith("/client-forbidden")
        or body.get("reason") == "client-not-enrolled"
        or 453 in exc.api_codes
    )


def _retry_after(exc: tweepy.TooManyRequests) -> float:
    # x-rate-limit-reset is a Unix time; at least a second, so a reset "now" is not a spin.
    if exc.reset_time is None:
        return _DEFAULT_RETRY_AFTER
    return max(1.0, exc.reset_time - time.time())


def _from_oauth_error(exc: oauthlib.oauth2.OAuth2Error) -> AdapterError:
    words = f"{exc.error} ({exc.description})" if exc.description else str(exc.error)
    detail = Said(f"X refused the token request: {words}", "network.refused_call", network=NETWORK, detail=words)
    if exc.error in _TRANSIENT_OAUTH:
        # The refresh token may have been spent by a request whose answer we lost.
        return TransientError(detail, request_sent=True, status_code=exc.status_code)
    return AuthError(detail, status_code=exc.status_code)


# X's words for a reply it refuses because the author did not summon the account, and for a
# post that is gone (docs.x.com, posts/manage-tweets/integrate).
_NOT_SUMMONED = "not been mentioned or otherwise engaged"
_REPLY_TARGET_GONE = ("deleted or not visible", "not found")


def _reply_refusal(refused: PermanentError, target: ReplyTarget) -> PermanentError:
    """X's refusal of a reply, worded by our code when we know what it means."""
    lowered = refused.detail.lower()
    if _NOT_SUMMONED in lowered:
        return PermanentError(
            Said(
                "X lets an app reply only to people who mention or quote the account: answer on X itself.",
                "reply.not_summoned",
                network=NETWORK,
                url=POST_URL.format(handle="i", id=target.item_id),
            ),
            status_code=refused.status_code,
        )
    if any(words in lowered for words in _REPLY_TARGET_GONE):
        return PermanentError(target_gone(NETWORK, target.item_id), status_code=refused.status_code)
    return refused


def _hide_refusal(refused: PermanentError, item_id: str) -> PermanentError:
    """X's refusal to hide a reply: a 403 says the reply is not in a conversation the
    account started (X hides only those); a 404, or "not found", that it is gone."""
    lowered = refused.detail.lower()
    if refused.status_code == 404 or any(words in lowered for words in _REPLY_TARGET_GONE):
        return PermanentError(target_gone(NETWORK, item_id), status_code=refused.status_code)
    if refused.status_code == 403:
        return PermanentError(
            Said(
                "X hides only replies in conversations the account started: hide or report it on X itself.",
                "hide.not_own_conversation",
                network=NETWORK,
                url=POST_URL.format(handle="i", id=item_id),
            ),
            status_code=refused.status_code,
        )
    return refused


def _calling_x(*, may_have_posted: bool = True) -> AbstractContextManager[None]:
    return sdk_errors(lambda exc: to_adapter_error(exc, may_have_posted=may_have_posted))


def _raise_like_tweepy(response: requests.Response) -> None:
    """tweepy.BaseClient.request's status handling, for the calls tweepy does not make."""
    status = response.status_code
    if status == 429:
        reset = response.headers.get("x-rate-limit-reset")
        raise tweepy.TooManyRequests(response, reset_time=int(reset) if reset and reset.isdigit() else None)
    errors = {400: tweepy.BadRequest, 401: tweepy.Unauthorized, 403: tweepy.Forbidden, 404: tweepy.NotFound}
    if status in errors:
        raise errors[status](response)
    if status >= 500:
        raise tweepy.TwitterServerError(response)
    if not 200 <= status < 300:
        raise tweepy.HTTPException(response)


# --- Media upload (X API v2) -----------------------------------------------------------------


class _MediaUploader:
    """X API v2 media upload over a tweepy.Client's session and bearer token."""

    def __init__(
        self,
        client: tweepy.Client,
        *,
        processing_timeout: float | None,
        sleep: Callable[[float], None],
        progress: Progress | None = None,
    ) -> None:
        self.client = client
        self.processing_timeout = processing_timeout  # None: as long as the media lives
        self.sleep = sleep
        self.progress = progress or (lambda: None)

    def upload(self, item: MediaFile) -> str:
        if item.kind == "video":
            with video_without_metadata(item.path, network=NETWORK) as path, open(path, "rb") as video:
                return self._chunked(video, os.path.getsize(path), item.mime_type, "tweet_video")
        cap = GIF_MAX_BYTES if item.mime_type == "image/gif" else LIMITS.image_max_bytes
        data = clean_image(item, label=LABEL, max_bytes=cap)
        if item.mime_type == "image/gif":  # the one-shot upload takes no GIF
            media_id = self._chunked(io.BytesIO(data), len(data), item.mime_type, "tweet_gif")
        else:
            media_id = self._one_shot(data, item)
        if item.alt_text:
            self._set_alt_text(media_id, item.alt_text)
        return media_id

    def _one_shot(self, data: bytes, item: MediaFile) -> str:
        answer = self._call(
            "POST",
            "/2/media/upload",
            files={"media": (os.path.basename(item.path), data, item.mime_type)},
            data={"media_category": "tweet_image", "media_type": item.mime_type},
        )
        return self._media_id(answer)

    def _chunked(self, stream: BinaryIO, size: int, mime_type: str, category: str) -> str:
        answer = self._call(
            "POST",
            "/2/media/upload/initialize",
            json={"media_type": mime_type, "total_bytes": size, "media_category": category},
        )
        media_id = self._media_id(answer)
        expires_after = float((answer.get("data") or {}).get("expires_after_secs") or MEDIA_EXPIRES_DEFAULT)
        for index, chunk in enumerate(iter(lambda: stream.read(CHUNK_SIZE), b"")):
            self._call(
                "POST",
                f"/2/media/upload/{media_id}/append",
                files={"media": ("chunk", chunk, "application/octet-stream")},
                data={"segment_index": str(index)},
            )
            self.progress()
        answer = self._call("POST", f"/2/media/upload/{media_id}/finalize")
        self._wait_for_processing(media_id, (answer.get("data") or {}).get("processing_info"), expires_after)
        return media_id

    def _wait_for_processing(self, media_id: str, info: dict | None, expires_after: float) -> None:
        """Poll STATUS when X says (check_after_secs) for as long as X processes the media,
        within the media's life (or `processing_timeout`, where a caller set one)."""
        limit = expires_after if self.processing_timeout is None else min(self.processing_timeout, expires_after)
        deadline = time.monotonic() + limit
        while info and info.get("state") in ("pending", "in_progress"):
            wait = max(float(info.get("check_after_secs") or 1), 1.0)  # never sooner than X asks
            if time.monotonic() + wait > deadline:
                raise TransientError(
                    Said(
                        f"X was still processing the video after {limit:.0f} s; nothing was posted.",
                        "network.video_still_processing",
                        network=NETWORK,
                        seconds=round(limit),
                    ),
                    request_sent=False,
                )
            self.sleep(wait)
            answer = self._call("GET", "/2/media/upload", params={"command": "STATUS", "media_id": media_id})
            info = (answer.get("data") or {}).get("processing_info")
            self.progress()
        if info and info.get("state") == "failed":
            reason = (info.get("error") or {}).get("message") or "no reason given"
            raise PermanentError(
                Said(
                    f"X could not process the video: {reason}.", "network.video_failed", network=NETWORK, detail=reason
                )
            )

    def _set_alt_text(self, media_id: str, alt_text: str) -> None:
        self._call("POST", "/2/media/metadata", json={"id": media_id, "metadata": {"alt_text": {"text": alt_text}}})

    def _call(self, method: str, path: str, **kwargs: Any) -> dict:
        headers = {"Authorization": f"Bearer {self.client.bearer_token}", "User-Agent": self.client.user_agent}
        with self.client.session.request(method, API_URL + path, headers=headers, **kwargs) as response:
            _raise_like_tweepy(response)
            return response.json() if response.content else {}

    @staticmethod
    def _media_id(answer: dict) -> str:
        media_id = (answer.get("data") or {}).get("id")
        if not media_id:
            raise TransientError(_without_id("X's answer to a media upload carries no media id."), request_sent=False)
        return str(media_id)


def _without_id(text: str) -> Said:
    return Said(text, "network.answer_without_id", network=NETWORK)


# --- Validation -----------------------------------------------------------------------------------


def _text_problems(content: Content) -> list[Problem]:
    messages = text_rules.tweet_problems(content.text)
    if not content.text.strip() and not content.media:
        messages.append(Said("X needs a text, an image or a video.", "text.or_media_required", network=NETWORK))
    return [problem_of(NETWORK, "text", message) for message in messages]


def _x_media_problems(media: tuple[MediaFile, ...]) -> list[Problem]:
    """X's rules beyond channels.media's shared checks."""
    messages = []
    gifs = [item for item in media if item.mime_type == "image/gif"]
    if gifs and len(media) > 1:
        messages.append(
            Said(
                "X takes a GIF only on its own: send the GIF alone, or the other images without it.",
                "media.gif_alone",
                network=NETWORK,
            )
        )
    for item in media:
        name = os.path.basename(item.path)
        seconds = item.duration_seconds
        if item.kind == "video" and seconds is not None and seconds < VIDEO_MIN_SECONDS:
            messages.append(
                Said(
                    f"The video “{name}” is too short for X, which takes videos from {VIDEO_MIN_SECONDS:g} s.",
                    "media.video_too_short",
                    network=NETWORK,
                    file=name,
                    min_duration=VIDEO_MIN_SECONDS,
                )
            )
        if len(item.alt_text) > ALT_TEXT_MAX:
            messages.append(
                Said(
                    f"The description (alt text) of “{name}” is "
                    f"{text_rules.plural(len(item.alt_text) - ALT_TEXT_MAX, 'character')} too long "
                    f"for X ({len(item.alt_text):,} of {ALT_TEXT_MAX:,}).",
                    "media.alt_text_too_long",
                    network=NETWORK,
                    file=name,
                    excess=len(item.alt_text) - ALT_TEXT_MAX,
                    count=len(item.alt_text),
                    limit=ALT_TEXT_MAX,
                )
            )
    return [problem_of(NETWORK, "media", message) for message in messages]


# --- Reconciliation ---------------------------------------------------------------------------------

_URL_MARK = "\u2060URL\u2060"


def comparable_text(text: str) -> str:
    """A post's text as X gives it back and as we sent it, made comparable: X turns every
    link into a t.co link, adds one for attached media, HTML-escapes & < >, and stores NFC
    with \\n line ends."""
    text = unicodedata.normalize("NFC", html.unescape(text)).replace("\r\n", "\n").replace("\r", "\n")
    for url in reversed(extract_urls_with_indices(text)):
        start, end = url["indices"]
        text = text[:start] + _URL_MARK + text[end:]
    text = text.strip()
    while text.endswith(_URL_MARK):  # the media link X appends
        text = text.removesuffix(_URL_MARK).rstrip()
    return text


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


# --- The adapter --------------------------------------------------------------------------------------


class TwitterAdapter:
    network = NETWORK

    def __init__(
        self,
        *,
        sandbox_url: str | None,
        timeouts: Timeouts,
        limits: NetworkLimits = LIMITS,
        processing_timeout: float | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.sandbox_url = sandbox_url
        self.timeouts = timeouts
        self.limits = limits
        self.processing_timeout = processing_timeout
        self.sleep = sleep

    def __repr__(self) -> str:
        return f"TwitterAdapter(sandbox={bool(self.sandbox_url)})"

    def validate(self, content: Content) -> list[Problem]:
        limits = self.limits
        if content.media and all(item.mime_type == "image/gif" for item in content.media):
            # A GIF goes alone (_x_media_problems), so the post's one image is the GIF.
            limits = dataclasses.replace(limits, image_max_bytes=max(limits.image_max_bytes, GIF_MAX_BYTES))
        return [
            *_text_problems(content),
            *check_against_limits(content.media, limits, LABEL, network=NETWORK),
            *_x_media_problems(content.media),
        ]

    def publish(self, credentials: Credentials, content: Content, *, progress: Progress | None = None) -> Published:
        require_fit(self.validate(content))
        client = self._client(credentials)
        uploader = _MediaUploader(
            client, processing_timeout=self.processing_timeout, sleep=self.sleep, progress=progress
        )
        with _calling_x(may_have_posted=False):
            media_ids = [uploader.upload(item) for item in content.media]
        with _calling_x():
            response = client.create_tweet(text=content.text or None, media_ids=media_ids or None, user_auth=False)
        tweet_id = (response.data or {}).get("id")
        if not tweet_id:
            raise TransientError(_without_id("X's answer to the post carries no id."), request_sent=True)
        return Published(external_id=str(tweet_id), url=self._post_url(credentials, str(tweet_id)))

    def delete(self, credentials: Credentials, external_id: str) -> None:
        client = self._client(credentials)
        with _calling_x():
            try:
                response = client.delete_tweet(external_id, user_auth=False)
            except tweepy.NotFound:
                return  # already gone: what we wanted
        if not (response.data or {}).get("deleted"):
            raise PermanentError(
                Said(
                    f"X did not delete the post {external_id}.",
                    "network.not_deleted",
                    network=NETWORK,
                    external_id=external_id,
                )
            )

    def check_credentials(self, credentials: Credentials) -> AccountInfo:
        user = self._me(self._client(credentials))
        if credentials.account_id and str(user.id) != credentials.account_id:
            raise AuthError(
                Said("The token belongs to another X account than this one.", "account.other_identity", network=NETWORK)
            )
        return AccountInfo(account_id=str(user.id), handle=user.username, display_name=user.name)

    def fetch_metrics(self, credentials: Credentials, external_id: str | None = None) -> Metrics:
        client = self._client(credentials)
        if external_id is None:
            counts = self._me(client).public_metrics or {}
            return Metrics(followers=counts.get("followers_count"))
        private = _private_metrics_open(external_id)
        fields = ["public_metrics", "non_public_metrics"] if private else ["public_metrics"]
        with _calling_x():
            response = client.get_tweet(external_id, tweet_fields=fields, user_auth=False)
        refused = private and response.data is None and _field_refused(response.errors)
        if refused:
            # Within a second or so of the 30 days, or a clock apart from X's: the public ones.
            with _calling_x():
                response = client.get_tweet(external_id, tweet_fields=["public_metrics"], user_auth=False)
        if response.data is None:  # X answers 200 with an `errors` array for a missing post
            raise PermanentError(
                Said(
                    f"X has no post {external_id} (deleted?).",
                    "network.no_such_post",
                    network=NETWORK,
                    external_id=external_id,
                )
            )
        counts = response.data.public_metrics or {}
        hidden = (response.data.non_public_metrics or {}) if private and not refused else None
        return Metrics(
            likes=counts.get("like_count"),
            shares=counts.get("retweet_count"),
            views=counts.get("impression_count"),
            comments=counts.get("reply_count"),
            clicks=hidden.get("url_link_clicks") if hidden is not None else None,
            profile_clicks=hidden.get("user_profile_clicks") if hidden is not None else None,
            clicks_missing="" if hidden is not None else Missing.TOO_OLD,
        )

    def find_published(self, credentials: Credentials, content: Content, since: datetime) -> Published | None:
        """The account's post with this text created since `since` (its recent posts, newest
        first), or None. A post without text cannot be told apart: PermanentError."""
        if not content.text.strip():
            raise PermanentError(
                Said(
                    "A post without text cannot be found again on X: check the account by hand.",
                    "network.cannot_find_without_text",
                    network=NETWORK,
                )
            )
        # X gives creation times to the second (".000Z"): a post made in the same second as
        # `since` must still count.
        since = _aware(since).replace(microsecond=0)
        wanted = comparable_text(content.text)
        client = self._client(credentials)
        user_id = credentials.account_id or str(self._me(client).id)
        pagination_token = None
        for _ in range(_FIND_PAGES):
            with _calling_x():
                response = client.get_users_tweets(
                    user_id,
                    start_time=since,
                    max_results=100,
                    tweet_fields=["created_at"],
                    pagination_token=pagination_token,
                    user_auth=False,
                )
            for tweet in response.data or []:
                if tweet.created_at and tweet.created_at >= since and comparable_text(tweet.text) == wanted:
                    tweet_id = str(tweet.id)
                    return Published(external_id=tweet_id, url=self._post_url(credentials, tweet_id))
            pagination_token = (response.meta or {}).get("next_token")
            if not pagination_token:
                return None
        raise TransientError(
            Said(
                f"More than {_FIND_PAGES * 100} posts on this X account since then: "
                "cannot tell whether this one is among them.",
                "network.too_many_posts",
                network=NETWORK,
                count=_FIND_PAGES * 100,
            ),
            request_sent=False,
        )

    # --- Answering (channels.adapters.answering): replies in the thread

    def reply(self, credentials: Credentials, *, target: ReplyTarget, text: str) -> Answered:
        """`POST /2/tweets` with `reply.in_reply_to_tweet_id`. X lets an app reply only where
        the author mentioned or quoted the account ("summoned" it): its 403 for that is
        PermanentError "reply.not_summoned", with a link to answer on X itself."""
        problems = reply_problems(NETWORK, text)
        if problems:
            raise PermanentError(problems[0])
        client = self._client(credentials)
        try:
            with _calling_x():
                response = client.create_tweet(text=text, in_reply_to_tweet_id=target.item_id, user_auth=False)
        except PermanentError as refused:
            raise _reply_refusal(refused, target) from None
        tweet_id = (response.data or {}).get("id")
        if not tweet_id:
            raise TransientError(_without_id("X's answer to the reply carries no id."), request_sent=True)
        return Answered(external_id=str(tweet_id), url=self._post_url(credentials, str(tweet_id)))

    def find_reply(
        self, credentials: Credentials, *, target: ReplyTarget, text: str, since: datetime
    ) -> Answered | None:
        """Our reply in the target's conversation (`conversation_id:` recent search), by the
        account, answering the target, with this text, since `since`."""
        client = self._raw_client(credentials)
        user_id = credentials.account_id or str(self._me(self._client(credentials)).id)
        since = _aware(since).replace(microsecond=0)
        token: str | None = None
        for _ in range(_FIND_PAGES):
            with _calling_x(may_have_posted=False):
                response = _conversation_fetcher(client, target.thread_id)(None, token)
            try:
                body = response.json()
            except ValueError:
                raise TransientError(
                    Said(
                        "X answered a search with something other than JSON.",
                        "network.search_not_json",
                        network=NETWORK,
                    ),
                    request_sent=False,
                ) from None
            for tweet in body.get("data") or []:
                references = {ref.get("type"): str(ref.get("id")) for ref in tweet.get("referenced_tweets") or []}
                created = datetime.fromisoformat(
                    str(tweet.get("created_at") or "1970-01-01T00:00:00Z").replace("Z", "+00:00")
                )
                if (
                    str(tweet.get("author_id")) == user_id
                    and references.get("replied_to") == target.item_id
                    and created >= since
                    and same_text(html.unescape(str(tweet.get("text") or "")), text)
                ):
                    return Answered(external_id=str(tweet["id"]), url=self._post_url(credentials, str(tweet["id"])))
            token = (body.get("meta") or {}).get("next_token")
            if not token:
                return None
        raise TransientError(
            Said(
                f"More than {_FIND_PAGES * 100} posts in this X conversation: "
                "cannot tell whether our reply is among them.",
                "network.too_many_posts",
                network=NETWORK,
                count=_FIND_PAGES * 100,
            ),
            request_sent=False,
        )

    def set_hidden(self, credentials: Credentials, *, item_id: str, hidden: bool) -> None:
        """`PUT /2/tweets/:id/hidden` (tweepy's hide_reply / unhide_reply): only a reply in a
        conversation the account started; the public sees it only behind "View hidden
        replies". Asking for the state it is in already succeeds (idempotent)."""
        client = self._client(credentials)
        call = client.hide_reply if hidden else client.unhide_reply
        try:
            with _calling_x():
                response = call(item_id, user_auth=False)
        except PermanentError as refused:
            raise _hide_refusal(refused, item_id) from None
        if (response.data or {}).get("hidden") is not hidden:
            raise TransientError(
                Said("X did not confirm hiding the reply.", "network.hide_unconfirmed", network=NETWORK),
                request_sent=True,
            )

    # --- helpers

    def _client(self, credentials: Credentials) -> tweepy.Client:
        client = tweepy.Client(bearer_token=credentials.access_token, wait_on_rate_limit=False)
        client.session = make_session(sandbox_url=self.sandbox_url, timeouts=self.timeouts)
        return client

    @staticmethod
    def _me(client: tweepy.Client) -> tweepy.User:
        with _calling_x():
            response = client.get_me(user_fields=["public_metrics"], user_auth=False)
        if response.data is None:
            raise TransientError(
                Said("X's answer about the account was empty.", "network.unreadable_answer", network=NETWORK),
                request_sent=True,
            )
        return response.data

    def _post_url(self, credentials: Credentials, tweet_id: str) -> str:
        if self.sandbox_url:  # the real X has never heard of it
            return sandbox_post_url(self.sandbox_url, NETWORK, tweet_id)
        handle = str(credentials.extra.get("handle") or "i").lstrip("@")
        return POST_URL.format(handle=handle, id=tweet_id)

    # --- Listening (channels.adapters.listening): mentions, our threads, the Activity API

    challenge_content_type = "application/json"

    def listen(self, credentials: Credentials, *, cursor: str, our_posts: Sequence[str]) -> Heard:
        """Mentions since the last poll (`GET /2/users/:id/mentions`), then the replies in the
        threads of `our_posts` (our posts of the last 72 hours, newest first, the first
        THREADS_PER_POLL of them: replies to replies do not name the account, so only
        `conversation_id:` search finds them). Each stream keeps
        its own since_id and, mid-drain, the next page's token: a stopped poll resumes on
        the very page it did not get."""
        client = self._raw_client(credentials)
        user_id = credentials.account_id or str(self._me(self._client(credentials)).id)
        state = read_cursor(cursor)
        threads = state.get("threads") if isinstance(state.get("threads"), dict) else {}
        # Each stream's state is a dict that _drain advances in place page by page; a
        # thread that left the reply window leaves the cursor with it.
        mentions = _stream_state(state.get("mentions"))
        # Recent search shares X's per-user window with nothing else we do, but 300 calls
        # a quarter of an hour is its whole allowance: the newest threads first, a bounded few.
        kept = {post_id: _stream_state(threads.get(post_id)) for post_id in list(our_posts)[:THREADS_PER_POLL]}
        streams = [(mentions, _mentions_fetcher(client, user_id))]
        streams += [(stream, _conversation_fetcher(client, post_id)) for post_id, stream in kept.items()]
        budget = _Budget()
        heard: dict[str, HeardItem] = {}
        for stream, fetch in streams:
            try:
                _drain(fetch, stream, budget, heard, self._heard_item, set(our_posts))
            except RateLimited as limited:
                if not heard:
                    raise
                budget.retry_after = limited.retry_after
                break  # the streams not reached keep their state for the next poll
        return Heard(
            items=[addressed(item, account_id=user_id, sandbox_url=self.sandbox_url) for item in heard.values()],
            cursor=write_cursor({"mentions": mentions, "threads": kept}),
            remaining_calls=budget.remaining,
            retry_after=budget.retry_after,
        )

    def webhook_challenge(self, *, params: Mapping[str, str], app_secret: str, verify_token: str) -> str | None:
        """X's CRC: `{"response_token": "sha256=<base64 HMAC-SHA256(consumer secret, crc_token)>"}`."""
        crc_token = params.get("crc_token") or ""
        if not crc_token or not app_secret:
            return None
        token = "sha256=" + base64.b64encode(hmac_sha256(app_secret, crc_token)).decode()
        return json.dumps({"response_token": token})

    def verify_webhook(self, *, body: bytes, headers: Mapping[str, str], app_secret: str) -> bool:
        """`x-twitter-webhooks-signature` is `sha256=<base64 HMAC-SHA256(consumer secret, body)>`."""
        if not app_secret:
            return False
        expected = "sha256=" + base64.b64encode(hmac_sha256(app_secret, body)).decode()
        return same_signature(header(headers, "x-twitter-webhooks-signature"), expected)

    def webhook_parts(self, payload: Any) -> Sequence[tuple[str, Mapping[str, Any]]]:
        """The X Activity API puts one event (or a list) under `data`, each naming the user
        it was delivered for in `filter.user_id`."""
        events = payload.get("data") if isinstance(payload, Mapping) else None
        if isinstance(events, Mapping):
            events = [events]
        if not isinstance(events, list) or not events:
            raise PermanentError(_unreadable_push("An X webhook delivery without its `data` event."))
        parts: list[tuple[str, Mapping[str, Any]]] = []
        for event in events:
            where = event.get("filter") if isinstance(event, Mapping) else None
            user_id = where.get("user_id") if isinstance(where, Mapping) else ""
            parts.append((str(user_id) if isinstance(user_id, str | int) else "", {**payload, "data": event}))
        return parts

    def webhook_items(self, payload: Mapping[str, Any]) -> Sequence[HeardItem]:
        """The X Activity API's post.mention.create, post.reply.create and post.quote.create
        (one event per delivery, under `data`); other event types carry nothing for us."""
        events = payload.get("data") if isinstance(payload, Mapping) else None
        if isinstance(events, Mapping):
            events = [events]
        if not isinstance(events, list):
            raise PermanentError(_unreadable_push("An X webhook delivery without its `data` event."))
        items: list[HeardItem] = []
        for event in events:
            if not isinstance(event, Mapping):
                raise PermanentError(_unreadable_push("An X webhook event that is not an object."))
            kind = _ACTIVITY_EVENTS.get(str(event.get("event_type")))
            if kind is None:
                continue
            tweet = event.get("payload")
            users = (event.get("includes") or {}).get("users") or []
            if not isinstance(tweet, Mapping) or not isinstance(users, list):
                raise PermanentError(_unreadable_push("An X webhook event without its post."))
            ours = _our_side(tweet, kind)
            item = self._heard_item(tweet, _users_by_id(users), ours)
            subscription = event.get("filter")
            account = str(subscription.get("user_id") or "") if isinstance(subscription, Mapping) else ""
            items.append(addressed(item, account_id=account, sandbox_url=self.sandbox_url))
        return items

    def _raw_client(self, credentials: Credentials) -> tweepy.Client:
        """A client that returns requests' Response: the rate-limit headers ride on it."""
        client = tweepy.Client(
            bearer_token=credentials.access_token, wait_on_rate_limit=False, return_type=requests.Response
        )
        client.session = make_session(sandbox_url=self.sandbox_url, timeouts=self.timeouts)
        return client

    def _heard_item(
        self, tweet: Mapping[str, Any], users: Mapping[str, Mapping[str, Any]], ours: set[str]
    ) -> HeardItem:
        try:
            return _tweet_item(tweet, users, ours, url=self._heard_url)
        except (KeyError, TypeError, ValueError) as error:
            raise PermanentError(
                Said(
                    f"X sent a post this adapter cannot read ({type(error).__name__}).",
                    "network.unreadable_item",
                    network=NETWORK,
                )
            ) from None

    @staticmethod
    def _heard_url(handle: str, tweet_id: str) -> str:
        return POST_URL.format(handle=handle or "i", id=tweet_id)


# --- Listening: the streams, their pages, the items ---------------------------------------------

# X gives a post's private metrics (non_public_metrics) to its author for 30 days; a day
# short of them, so that a clock apart from X's does not ask once too often.
PRIVATE_METRICS_AGE = timedelta(days=29, hours=23)
_X_EPOCH_MS = 1288834974657  # X's ids ("snowflakes") count milliseconds from this instant


def post_created_at(external_id: str) -> datetime | None:
    """When X made the post, read from its id (None for an id that is not a snowflake)."""
    if not external_id.isdigit():
        return None
    return datetime.fromtimestamp(((int(external_id) >> 22) + _X_EPOCH_MS) / 1000, tz=UTC)


def _private_metrics_open(external_id: str) -> bool:
    created = post_created_at(external_id)
    return created is not None and datetime.now(UTC) - created < PRIVATE_METRICS_AGE


def _field_refused(errors: Sequence[Mapping[str, Any]] | None) -> bool:
    """X's "Field Authorization Error": a field it may not give for this post (its
    private metrics past 30 days), the post itself left out."""
    return any(str(error.get("type", "")).endswith("/not-authorized-for-field") for error in errors or ())


HEARD_TWEET_FIELDS = ["created_at", "conversation_id", "in_reply_to_user_id", "referenced_tweets", "lang", "author_id"]
LISTEN_PAGES = 8  # per stream and poll: mentions reach back 800 posts at most anyway
THREADS_PER_POLL = 50  # of our posts (the caller's, newest first) whose threads are searched
_ACTIVITY_EVENTS = {
    "post.mention.create": ItemKind.MENTION,
    "post.reply.create": ItemKind.REPLY,
    "post.quote.create": ItemKind.QUOTE,
}
Fetch = Callable[[str | None, str | None], requests.Response]


@dataclasses.dataclass
class _Budget:
    remaining: int | None = None
    retry_after: float | None = None

    def note(self, response: requests.Response) -> None:
        raw = response.headers.get("x-rate-limit-remaining", "")
        if raw.isdigit():
            self.remaining = int(raw) if self.remaining is None else min(self.remaining, int(raw))


def _mentions_fetcher(client: tweepy.Client, user_id: str) -> Fetch:
    def fetch(since_id: str | None, token: str | None) -> requests.Response:
        return client.get_users_mentions(
            user_id,
            since_id=since_id,
            pagination_token=token,
            max_results=100,
            tweet_fields=HEARD_TWEET_FIELDS,
            expansions=["author_id"],
            user_fields=["username", "name"],
            user_auth=False,
        )

    return fetch


def _conversation_fetcher(client: tweepy.Client, post_id: str) -> Fetch:
    def fetch(since_id: str | None, token: str | None) -> requests.Response:
        return client.search_recent_tweets(
            f"conversation_id:{post_id}",
            since_id=since_id,
            next_token=token,
            max_results=100,
            tweet_fields=HEARD_TWEET_FIELDS,
            expansions=["author_id"],
            user_fields=["username", "name"],
            user_auth=False,
        )

    return fetch


def _drain(
    fetch: Fetch,
    stream: dict[str, Any],
    budget: _Budget,
    heard: dict[str, HeardItem],
    make: Callable[[Mapping[str, Any], Mapping[str, Mapping[str, Any]], set[str]], HeardItem],
    ours: set[str],
) -> None:
    """Read one stream newest first down to its since_id, a page at a time. Its state:
    `since` (the newest id of the last complete drain), `next` (the page to read next,
    mid-drain) and `top` (the newest id of the drain under way), updated in place after
    each page read: RateLimited leaves it as it stood before the refused page. A drain
    resumed from an earlier poll is followed, page budget permitting, by a fresh one above
    it: what was said meanwhile is heard in this poll, not the next."""
    resumed = bool(stream.get("next"))
    for _ in range(LISTEN_PAGES):
        with _calling_x(may_have_posted=False):
            response = fetch(stream.get("since") or None, stream.get("next") or None)
        budget.note(response)
        try:
            body = response.json()
        except ValueError:
            raise TransientError(
                Said(
                    "X answered a listing with something other than JSON.", "network.unreadable_answer", network=NETWORK
                ),
                request_sent=False,
            ) from None
        users = _users_by_id(((body.get("includes") or {}).get("users")) or [])
        for tweet in body.get("data") or []:
            item = make(tweet, users, ours)
            heard[item.external_id] = item
        meta = body.get("meta") or {}
        newest = text_field(meta.get("newest_id"))
        newest = newest if newest.isdigit() else ""
        top = stream.get("top") or ""
        if newest and (not top or int(newest) > int(top)):
            top = newest
        next_token = meta.get("next_token") or ""
        since = stream.get("since") or ""
        stream.clear()
        if not next_token:  # drained: the next read starts above the newest seen
            stream["since"] = top or since
            if not resumed:
                return
            resumed = False
            continue
        stream.update({"since": since, "next": next_token, "top": top})


def _stream_state(value: Any) -> dict[str, Any]:
    """A stream's state from the cursor, its malformed parts dropped (read again instead)."""
    if not isinstance(value, dict):
        return {}
    clean = {key: value[key] for key in ("since", "top") if text_field(value.get(key)).isdigit()}
    if text_field(value.get("next")):
        clean["next"] = value["next"]
    return clean


def _users_by_id(users: list[Any]) -> dict[str, Mapping[str, Any]]:
    return {str(user.get("id")): user for user in users if isinstance(user, Mapping)}


def _our_side(tweet: Mapping[str, Any], kind: str) -> set[str]:
    """For a pushed event: the post of ours it answers (a direct reply's parent, a quote's
    original), which X's event type vouches for."""
    wanted = "replied_to" if kind == ItemKind.REPLY else "quoted" if kind == ItemKind.QUOTE else ""
    return {str(ref.get("id")) for ref in tweet.get("referenced_tweets") or [] if ref.get("type") == wanted}


def _tweet_item(
    tweet: Mapping[str, Any], users: Mapping[str, Mapping[str, Any]], ours: set[str], *, url: Callable[[str, str], str]
) -> HeardItem:
    """A post of the public as an item. An edited post is a new id on X; the item keeps
    the first (`edit_history_tweet_ids[0]`), so that an edit updates it."""
    history = [str(i) for i in tweet.get("edit_history_tweet_ids") or []] or [str(tweet["id"])]
    references = {ref["type"]: str(ref["id"]) for ref in tweet.get("referenced_tweets") or []}
    thread = str(tweet.get("conversation_id") or tweet["id"])
    if "quoted" in references:
        kind, parent = ItemKind.QUOTE, references["quoted"]
    elif "replied_to" in references:
        kind, parent = ItemKind.REPLY, references["replied_to"]
    else:
        kind, parent = ItemKind.MENTION, ""
    answers = thread if thread in ours else parent if parent in ours else ""
    author_id = str(tweet.get("author_id") or "")
    author = users.get(author_id) or {}
    created = datetime.fromisoformat(str(tweet["created_at"]).replace("Z", "+00:00"))
    language = str(tweet.get("lang") or "")
    return HeardItem(
        network=NETWORK,
        external_id=history[0],
        kind=kind,
        thread_id=thread,
        author_id=author_id,
        author_name=str(author.get("name") or ""),
        author_handle=str(author.get("username") or ""),
        text=html.unescape(str(tweet.get("text") or "")),  # X escapes &, < and > in v2 text
        created_at=created,
        url=url(str(author.get("username") or ""), str(tweet["id"])),
        parent_id=parent,
        answers_post_id=answers,
        language="" if language in ("und", "zxx", "qme", "qht") else language,
        edited_at=created if len(history) > 1 else None,
        raw={"tweet": dict(tweet), "author": dict(author)},
    )


# --- Connecting an account (OAuth 2.0 Authorization Code with PKCE) -------------------------------


class TwitterConnectFlow:
    """X's OAuth 2.0 with PKCE through tweepy.OAuth2UserHandler (a requests_oauthlib
    OAuth2Session, on which our transport is mounted).

    The PKCE verifier is ours, not the handler's: a web app builds the authorize URL in one
    request and receives the callback in another, so the verifier travels in `keep` (the
    administrator's session) and is handed back to `finish`.

    No OAUTHLIB_* environment variable is needed, so none is set (they would change every
    OAuth client in the process):
    - OAUTHLIB_INSECURE_TRANSPORT guards the URLs oauthlib itself parses: the authorize and
      token URLs, always https:// here (the sandbox rewrite happens below oauthlib, in the
      transport), and the callback URL, which we never give it: `finish` checks the state
      itself and passes the bare code. An http:// redirect URI in development just works.
    - OAUTHLIB_RELAX_TOKEN_SCOPE silences the "Scope has changed" Warning that oauthlib
      raises when the token's scope differs from the requested one; the token requests run
      on a handler that requested none, so there is nothing to compare, and `finish` checks
      the granted scopes itself.
    """

    def __init__(self, *, sandbox_url: str | None, app: AppCredentials, timeouts: Timeouts) -> None:
        self.sandbox_url = sandbox_url
        self.app = app
        self.timeouts = timeouts

    def __repr__(self) -> str:
        return f"TwitterConnectFlow(client_id={self.app.client_id!r}, sandbox={bool(self.sandbox_url)})"

    def start(self, *, redirect_uri: str) -> ConnectStart:
        state = secrets.token_urlsafe(32)
        verifier = secrets.token_urlsafe(96)  # 128 characters, the most RFC 7636 allows
        handler = self._handler(redirect_uri=redirect_uri, scope=list(SCOPES))
        url, _ = handler.authorization_url(
            AUTHORIZE_URL, state=state, code_challenge=_s256(verifier), code_challenge_method="S256"
        )
        return ConnectStart(
            authorize_url=browser_url(url, sandbox_url=self.sandbox_url),
            keep={"state": state, "code_verifier": verifier},
        )

    def finish(self, *, redirect_uri: str, callback_params: dict, kept: dict) -> Connected:
        code = _callback_code(callback_params, kept)
        handler = self._handler(redirect_uri=redirect_uri)
        with _calling_x():
            token = OAuth2Session.fetch_token(  # tweepy's override would parse the callback URL
                handler,
                TOKEN_URL,
                code=code,
                auth=handler.auth,
                include_client_id=True,
                code_verifier=kept.get("code_verifier", ""),
            )
        _require_scopes(token)
        credentials = _credentials_from(token, previous_refresh_token="")
        account = TwitterAdapter(sandbox_url=self.sandbox_url, timeouts=self.timeouts).check_credentials(credentials)
        credentials = credentials.replace(account_id=account.account_id, extra={"handle": account.handle})
        return Connected(credentials=credentials, account=account)

    def refresh(self, credentials: Credentials) -> Credentials:
        """A new access token and a new refresh token: X's refresh tokens are single-use, so
        the caller must store both before anything else (under a lock on the account)."""
        if not credentials.refresh_token:
            raise AuthError(
                Said(
                    "This X account has no refresh token: connect it again.",
                    "account.no_refresh_token",
                    network=NETWORK,
                )
            )
        handler = self._handler(redirect_uri=None)
        public_client = {} if self.app.client_secret else {"client_id": self.app.client_id}
        with _calling_x():
            token = handler.refresh_token(
                TOKEN_URL, refresh_token=credentials.refresh_token, auth=handler.auth, **public_client
            )
        fresh = _credentials_from(token, previous_refresh_token=credentials.refresh_token)
        return credentials.replace(
            access_token=fresh.access_token, refresh_token=fresh.refresh_token, expires_at=fresh.expires_at
        )

    def _handler(self, *, redirect_uri: str | None, scope: list[str] | None = None) -> tweepy.OAuth2UserHandler:
        handler = tweepy.OAuth2UserHandler(
            client_id=self.app.client_id,
            redirect_uri=redirect_uri,
            scope=scope,
            client_secret=self.app.client_secret or None,
        )
        mount_on(handler, sandbox_url=self.sandbox_url, timeouts=self.timeouts)
        # oauthlib reads any body, even a 503 page, as a token answer ("missing token"):
        # judge the HTTP status first.
        handler.register_compliance_hook("access_token_response", _token_endpoint_status)
        handler.register_compliance_hook("refresh_token_response", _token_endpoint_status)
        return handler


def _s256(verifier: str) -> str:
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def _callback_code(params: dict, kept: dict) -> str:
    """The authorization code of a genuine callback; AuthError for a refused or forged one."""
    if params.get("error"):
        refusal = str(params["error"])[:100]
        raise AuthError(
            Said(
                f"X did not authorise Diplomacy Hub: {refusal}.",
                "connect.not_authorised",
                network=NETWORK,
                detail=refusal,
            )
        )
    expected = str(kept.get("state") or "")
    if not expected or not hmac.compare_digest(str(params.get("state") or ""), expected):
        raise AuthError(
            Said(
                "The answer from X does not match this connection attempt (state); start again.",
                "connect.state_mismatch",
                network=NETWORK,
            )
        )
    if not kept.get("code_verifier"):
        raise AuthError(Said("This connection attempt lost its PKCE verifier; start again.", "connect.attempt_lost"))
    code = params.get("code")
    if not code:
        raise AuthError(Said("X sent no authorization code; start again.", "connect.no_code", network=NETWORK))
    return str(code)


def _token_endpoint_status(response: requests.Response) -> requests.Response:
    if response.status_code == 429:
        reset = response.headers.get("x-rate-limit-reset", "")
        wait = max(1.0, int(reset) - time.time()) if reset.isdigit() else _DEFAULT_RETRY_AFTER
        limited = "X's token endpoint is rate limited."
        raise RateLimited(
            Said(limited, "network.rate_limited", network=NETWORK, detail="oauth2/token"), retry_after=wait
        )
    if response.status_code >= 500:
        raise TransientError(
            Said(
                f"X's token endpoint failed (HTTP {response.status_code}).",
                "network.failed",
                network=NETWORK,
                detail=f"oauth2/token, HTTP {response.status_code}",
            ),
            request_sent=True,
            status_code=response.status_code,
        )
    return response


def _require_scopes(token: dict) -> None:
    granted = token.get("scope")
    if granted is None:  # X always says; without it, the first post will tell
        return
    granted = set(granted.split() if isinstance(granted, str) else granted)
    missing = [scope for scope in SCOPES if scope not in granted]
    if missing:
        scopes = ", ".join(missing)
        raise AuthError(
            Said(
                f"X did not grant every permission Diplomacy Hub needs (missing: {scopes}).",
                "connect.missing_permissions",
                network=NETWORK,
                detail=scopes,
            )
        )


def _credentials_from(token: dict, *, previous_refresh_token: str) -> Credentials:
    access_token = token.get("access_token")
    if not access_token:
        raise TransientError(
            Said("X's token answer carries no access token.", "connect.no_access_token", network=NETWORK),
            request_sent=True,
        )
    # Never store an empty refresh token: if X's answer lacks one, the old one still holds.
    refresh_token = token.get("refresh_token") or previous_refresh_token
    return Credentials(access_token=access_token, refresh_token=refresh_token, expires_at=_expiry(token))


def _expiry(token: dict) -> datetime | None:
    # oauthlib adds `expires_at` (Unix time) to every token that has `expires_in`.
    if token.get("expires_at"):
        return datetime.fromtimestamp(float(token["expires_at"]), tz=UTC)
    if token.get("expires_in"):
        return datetime.fromtimestamp(time.time() + float(token["expires_in"]), tz=UTC)
    return None


def _unreadable_push(text: str) -> Said:
    """A webhook delivery we could not read: the network's push, not a person's doing."""
    return Said(text, "network.unreadable_push", network=NETWORK)
