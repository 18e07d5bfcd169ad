"""What every network adapter is: the data it takes, what it returns, the errors it raises.

Adapters speak HTTP through their network's SDK and know nothing of our models or of
Celery: they take plain data (credentials, text, media paths) and return plain data, or
raise one of the four error kinds below. The publishing pipeline decides what each kind
means for a delivery (retry when, mark the account expired, give up, reconcile).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

# --- Data in -------------------------------------------------------------------------


@dataclass(frozen=True)
class Credentials:
    """An account's secrets, decrypted only for the duration of one call."""

    access_token: str
    refresh_token: str = ""
    token_secret: str = ""  # OAuth 1.0a (Flickr)
    expires_at: datetime | None = None
    # Network-specific identity needed to call the API: the Facebook Page id, the Flickr
    # user NSID, the YouTube channel id, the X user id.
    account_id: str = ""
    extra: dict = field(default_factory=dict)

    def __repr__(self) -> str:  # never print a secret, not even in a traceback
        return f"Credentials(account_id={self.account_id!r}, expires_at={self.expires_at!r}, ...)"

    def replace(self, **changes) -> Credentials:
        return dataclasses.replace(self, **changes)


@dataclass(frozen=True)
class MediaFile:
    path: str
    mime_type: str
    kind: str  # "image" or "video"
    size: int
    alt_text: str = ""
    duration_seconds: float | None = None


@dataclass(frozen=True)
class Content:
    """One delivery's payload in one language, already chosen for this network."""

    text: str
    title: str = ""  # YouTube and Flickr titles
    media: tuple[MediaFile, ...] = ()
    tags: tuple[str, ...] = ()
    # A random token unique to the delivery (its `network_token`, never its internal
    # reference: it is public). Adapters carry it where the network lets us search for it
    # later (a Flickr machine tag, a YouTube tag), so that an ambiguous outcome can be
    # reconciled without posting twice.
    reference: str = ""


# --- Data out -------------------------------------------------------------------------


@dataclass(frozen=True)
class Published:
    """What a network made of a delivery. `external_id` is what deleting and metrics
    address; `post_id` is the post that carries it when that is another object (a Facebook
    video's Page post), else empty."""

    external_id: str
    url: str
    post_id: str = ""


@dataclass(frozen=True)
class AccountInfo:
    account_id: str
    handle: str
    display_name: str


class Missing:
    """Why a network gave no number it could have (Metrics.missing), as plain codes."""

    NOT_GIVEN = "not_given"  # the network has no such number for this kind of post
    TOO_OLD = "too_old"  # given only while the post is young (X's private metrics: 30 days)
    NOT_GRANTED = "not_granted"  # the account did not grant the permission that reads it
    UNREACHABLE = "unreachable"  # the API that gives it did not answer this time


@dataclass(frozen=True)
class Metrics:
    followers: int | None = None
    likes: int | None = None
    shares: int | None = None
    views: int | None = None
    comments: int | None = None
    # Link clicks where the network gives them (X's url_link_clicks for our own posts in
    # their first 30 days, Facebook's post_clicks_by_type); their Missing code otherwise.
    clicks: int | None = None
    clicks_missing: str = ""
    profile_clicks: int | None = None  # X: clicks on the account's name or picture
    # YouTube Analytics, where the account granted it; their Missing code otherwise.
    watch_minutes: int | None = None
    subscribers_gained: int | None = None
    analytics_missing: str = ""


@dataclass(frozen=True)
class Problem:
    """One reason a content cannot go to a network: a `code` with plain `params` (numbers,
    file names, the network's key), which our side words in the reader's language
    (posts.problems), and `message`, the same in English for logs and the record."""

    network: str
    field: str  # "text", "title", "media", "tags"
    message: str
    code: str = ""
    params: Mapping[str, Any] = field(default_factory=dict)


class Said(str):
    """A sentence in English, for logs and the record, that also carries its `code` and
    plain `params`: the text rules return these, so that our side can word each one in
    the reader's language (posts.problems) while the English stays as it was."""

    code: str
    params: dict[str, Any]

    def __new__(cls, text: str, code: str, **params: Any) -> Said:
        said = super().__new__(cls, text)
        said.code, said.params = code, params
        return said


def problem_of(network: str, field: str, said: str) -> Problem:
    """A Problem from a sentence, with its code and parameters when it is a `Said`."""
    return Problem(network, field, str(said), getattr(said, "code", ""), dict(getattr(said, "params", {})))


def unreachable(label: str, network: str, exc: Exception, *, timeout: bool) -> Said:
    """A call that did not get through, named by the exception's class only (its message
    may hold a URL with a token)."""
    what = "did not answer in time" if timeout else "could not be reached"
    return Said(
        f"{label} {what} ({type(exc).__name__}).",
        "network.timeout" if timeout else "network.unreachable",
        network=network,
        exception=type(exc).__name__,
    )


@dataclass(frozen=True)
class NetworkLimits:
    text_max: int  # in the network's own unit (X: weighted characters; YouTube: bytes)
    text_unit: str
    title_max: int | None = None
    tags_max_total: int | None = None
    image_types: frozenset[str] = frozenset()
    video_types: frozenset[str] = frozenset()
    image_max_bytes: int = 0
    video_max_bytes: int = 0
    video_max_seconds: float | None = None
    max_images: int = 0
    max_videos: int = 0
    images_and_video_together: bool = False
    requires: str | None = None  # "video" (YouTube) or "image" (Flickr)


# --- Errors: the four kinds ---------------------------------------------------------------


class AdapterError(Exception):
    """A network refused or failed a call. `detail` is a short excerpt of its answer,
    never a credential."""

    kind = "permanent"
    # Set where the sentence is ours rather than the network's (posts.problems words it for
    # each reader); empty for the network's own words, which are shown as they came.
    code = ""
    params: Mapping[str, Any] = {}

    def __init__(self, detail: str, *, status_code: int | None = None) -> None:
        super().__init__(detail)
        self.status_code = status_code
        if isinstance(detail, Said):
            self.code, self.params = detail.code, dict(detail.params)
            # Still a Said: an error made from this one's detail keeps the code.
            self.detail: str = Said(detail[:500], detail.code, **detail.params)
        else:
            self.detail = detail[:500]


class RateLimited(AdapterError):
    """Too many calls: try again after `retry_after` seconds (from the network's headers)."""

    kind = "rate_limited"

    def __init__(self, detail: str, *, retry_after: float, status_code: int | None = 429) -> None:
        super().__init__(detail, status_code=status_code)
        self.retry_after = max(0.0, retry_after)


class TransientError(AdapterError):
    """A passing failure: the network is down, slow or overloaded.

    `request_sent` is False when the request surely never reached the network (connection
    refused, DNS, TLS): safe to send again. It is True when it may have arrived (read
    timeout, connection reset after sending, a 5xx): the outcome is unknown and must be
    reconciled before anything is sent again.
    """

    kind = "transient"

    def __init__(self, detail: str, *, request_sent: bool, status_code: int | None = None) -> None:
        super().__init__(detail, status_code=status_code)
        self.request_sent = request_sent


class AppAccessError(TransientError):
    """The network refuses this call to our application itself (X: an access level that does
    not include reading timelines or looking posts up): a configuration problem for an
    administrator, not a failure of the content nor of the account. Nothing was done, so
    the call may be tried again once the application's access is raised."""

    def __init__(self, detail: str, *, network: str, status_code: int | None = None) -> None:
        super().__init__(detail, request_sent=False, status_code=status_code)
        self.network = network


class AuthError(AdapterError):
    """The credentials are expired, revoked or lack a permission: reconnect the account."""

    kind = "auth"


class PermanentError(AdapterError):
    """The network refused this content for good. `duplicate` marks its "duplicate
    content" refusal, which may mean an earlier attempt did go out."""

    kind = "permanent"

    def __init__(self, detail: str, *, status_code: int | None = None, duplicate: bool = False) -> None:
        super().__init__(detail, status_code=status_code)
        self.duplicate = duplicate


# --- What every adapter does the same way -------------------------------------------------


def require_fit(problems: Sequence[Problem]) -> None:
    """Publishing checks again what validation said: content that does not fit the network
    is refused for good before any call, with every problem in one message."""
    if problems:
        said = Said(
            " ".join(problem.message for problem in problems),
            "delivery.does_not_fit",
            network=problems[0].network,
            problems=[{"code": p.code, "params": dict(p.params), "text": p.message} for p in problems],
        )
        raise PermanentError(said)


@contextmanager
def sdk_errors(translate: Callable[[Exception], AdapterError | None], *, chain: bool = True) -> Iterator[None]:
    """Run SDK calls, raising one of the four kinds for what their exceptions mean.

    `translate` is the network's own mapping: an AdapterError for an exception it knows,
    None for one it does not, which propagates unchanged (a bug, not a network failure).
    Our own AdapterErrors pass through as they are. `chain=False` drops the original, for
    an SDK whose exception messages may hold a URL with a token in it.
    """
    try:
        yield
    except AdapterError:
        raise
    except Exception as exc:
        translated = translate(exc)
        if translated is None:
            raise
        if chain:
            raise translated from exc
        raise translated from None


# --- The interface ----------------------------------------------------------------------

# Called by a long upload after each part it sent (see Adapter.publish).
Progress = Callable[[], None]


class Adapter(Protocol):
    network: str
    limits: NetworkLimits

    def validate(self, content: Content) -> list[Problem]:
        """Every problem at once; an empty list means the content fits the network."""

    def publish(self, credentials: Credentials, content: Content, *, progress: Progress | None = None) -> Published:
        """Publish the content. An upload sent in parts (YouTube's resumable chunks, X's
        media segments) calls `progress()` after each part, so that the caller can tell a
        slow upload from a dead worker; adapters that send one request never call it."""

    def delete(self, credentials: Credentials, external_id: str) -> None:
        """Delete a published item. An item already gone counts as deleted."""

    def check_credentials(self, credentials: Credentials) -> AccountInfo: ...

    def fetch_metrics(self, credentials: Credentials, external_id: str | None = None) -> Metrics:
        """Followers of the account, or likes/shares/views of one published item."""

    def find_published(self, credentials: Credentials, content: Content, since: datetime) -> Published | None:
        """Reconciliation: the item this content became, if the network has it, else None.
        Raises TransientError when the network cannot tell right now."""


# --- Connecting an account (OAuth) ------------------------------------------------------------


@dataclass(frozen=True)
class AppCredentials:
    """Our application's id and secret on a network, from settings."""

    client_id: str
    client_secret: str = field(repr=False)  # never in a log line or a traceback


@dataclass(frozen=True)
class ConnectStart:
    """Where to send the administrator's browser, and what to keep in their session until
    the network sends them back (state, PKCE verifier, request token...)."""

    authorize_url: str
    keep: dict


@dataclass(frozen=True)
class Connected:
    credentials: Credentials
    account: AccountInfo


class ConnectFlow(Protocol):
    """The network's own OAuth flow, run from our web UI."""

    def start(self, *, redirect_uri: str) -> ConnectStart: ...

    def finish(self, *, redirect_uri: str, callback_params: dict, kept: dict) -> Connected:
        """Exchange the callback's code/verifier for credentials. Raises AuthError on a
        refused or forged callback (wrong state, missing code)."""

    def refresh(self, credentials: Credentials) -> Credentials:
        """A new access token (and, for X, a new single-use refresh token). Raises AuthError
        when the grant is refused, TransientError when the network failed to answer.
        Networks whose tokens do not expire return the credentials unchanged."""
