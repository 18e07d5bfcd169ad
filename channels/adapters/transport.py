"""How the SDKs' HTTP reaches a network or the sandbox.

Every SDK is given a session (requests) or an Http object (httplib2, for Google) from this
module, through the SDK's own supported hook:

- tweepy:        `client.session = make_session(...)` (a plain public attribute);
                 `OAuth2UserHandler` is a requests Session itself: `mount_on(handler, ...)`.
- facebook-sdk:  `GraphAPI(session=make_session(...))`, a constructor argument.
- flickrapi:     `flickr.flickr_oauth.session = make_session(...)` on each instance (the
                 default session is a class attribute shared by the whole process).
- google:        `build(..., http=AuthorizedHttp(creds, http=make_httplib2(...)),
                 static_discovery=True)`; the discovery document comes from the package.

With `sandbox_url` set, requests to a network's real host are rewritten to
`<sandbox_url>/<prefix>/<original path>`; a host the sandbox does not know is refused, so a
sandbox account can never reach a real network. Without it (production) nothing is
rewritten. Either way every request gets a timeout: tweepy.Client sends none of its own,
and a stalled request would otherwise hang a worker forever.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from urllib.parse import quote, urlsplit, urlunsplit

import httplib2
import requests
import urllib3
from requests.adapters import HTTPAdapter

# The real hosts the SDKs call (or send a browser to), and the sandbox path prefix of each.
HOST_PREFIX = {
    "api.twitter.com": "twitter",
    "api.x.com": "twitter",
    "upload.twitter.com": "twitter",
    "twitter.com": "twitter",
    "x.com": "twitter",
    "graph.facebook.com": "facebook",
    "graph-video.facebook.com": "facebook",  # Meta's host for video uploads
    "www.facebook.com": "facebook",
    "youtube.googleapis.com": "youtube",
    "www.googleapis.com": "youtube",
    "youtubeanalytics.googleapis.com": "youtube",  # the YouTube Analytics API's reports
    "oauth2.googleapis.com": "google-oauth",
    "accounts.google.com": "google-oauth",
    "api.flickr.com": "flickr",
    "up.flickr.com": "flickr",
    "www.flickr.com": "flickr",
}

ORIGINAL_URL_HEADER = "X-Sandbox-Original-Url"


@dataclass(frozen=True)
class Timeouts:
    connect: float = 5.0
    read: float = 30.0

    def as_requests(self) -> tuple[float, float]:
        return (self.connect, self.read)


class UnknownHostError(requests.exceptions.InvalidURL):
    """A sandbox session was asked for a host the sandbox does not imitate."""


def rewrite_url(url: str, sandbox_url: str) -> str:
    """`https://api.x.com/2/tweets` -> `http://127.0.0.1:8100/twitter/2/tweets`."""
    parts = urlsplit(url)
    sandbox = urlsplit(sandbox_url)
    if parts.netloc == sandbox.netloc:
        return url  # already the sandbox, e.g. a Location header it sent back
    prefix = HOST_PREFIX.get(parts.hostname or "")
    if prefix is None:
        raise UnknownHostError(f"The sandbox does not imitate {parts.hostname!r}; refusing to call it.")
    base_path = sandbox.path.rstrip("/")
    return urlunsplit((sandbox.scheme, sandbox.netloc, f"{base_path}/{prefix}{parts.path}", parts.query, ""))


class _TimeoutAdapter(HTTPAdapter):
    def __init__(self, timeouts: Timeouts, sandbox_url: str | None, **kwargs) -> None:
        self.timeouts = timeouts
        self.sandbox_url = sandbox_url
        super().__init__(**kwargs)

    def send(self, request, **kwargs):
        if kwargs.get("timeout") is None:
            kwargs["timeout"] = self.timeouts.as_requests()
        if self.sandbox_url:
            # OAuth 1.0a signatures cover the original URL; the sandbox can check them.
            request.headers[ORIGINAL_URL_HEADER] = request.url
            request.url = rewrite_url(request.url, self.sandbox_url)
            # Proxies were resolved for the original host; loopback needs none.
            kwargs["proxies"] = {}
        return super().send(request, **kwargs)


def mount_on(session: requests.Session, *, sandbox_url: str | None, timeouts: Timeouts) -> requests.Session:
    adapter = _TimeoutAdapter(timeouts, sandbox_url, pool_maxsize=4)
    session.mount("https://", adapter)
    session.mount("http://", adapter)
    if sandbox_url:
        session.trust_env = False
    return session


def make_session(*, sandbox_url: str | None, timeouts: Timeouts | None = None) -> requests.Session:
    """A fresh requests Session for one SDK object (never share one across threads): what an
    SDK may keep on it (auth, headers, cookies) dies with it. Its connections come from
    this thread's pool for the same sandbox and timeouts (`_pooled_adapter`), kept alive
    from one call to the next: a network's TLS and TCP set-up is paid once per thread, not
    once per delivery."""
    session = _Session()
    adapter = _pooled_adapter(sandbox_url, timeouts or Timeouts())
    session.mount("https://", adapter)
    session.mount("http://", adapter)
    if sandbox_url:
        session.trust_env = False
    return session


class _Session(requests.Session):
    def close(self) -> None:
        """Nothing to close: the connections belong to the thread's pool, kept alive."""


_thread_pools = threading.local()


def _pooled_adapter(sandbox_url: str | None, timeouts: Timeouts) -> _TimeoutAdapter:
    """This thread's connection pool (an HTTPAdapter: connections only, never a token, a
    header or a cookie) for these settings; its pools are per host, so per network."""
    adapters = getattr(_thread_pools, "adapters", None)
    if adapters is None:
        adapters = _thread_pools.adapters = {}
    key = (sandbox_url, timeouts)
    if key not in adapters:
        adapters[key] = _TimeoutAdapter(timeouts, sandbox_url, pool_maxsize=4)
    return adapters[key]


class _RewritingHttp(httplib2.Http):
    def __init__(self, sandbox_url: str | None, timeouts: Timeouts) -> None:
        super().__init__(timeout=timeouts.read, proxy_info=None)
        self.sandbox_url = sandbox_url
        # 308 is YouTube's "Resume Incomplete", not a redirect (as googleapiclient's own
        # build_http() does).
        self.redirect_codes = self.redirect_codes - {308}

    def request(self, uri, method="GET", body=None, headers=None, **kwargs):
        if self.sandbox_url:
            headers = dict(headers or {})
            headers[ORIGINAL_URL_HEADER] = uri
            uri = rewrite_url(uri, self.sandbox_url)
        return super().request(uri, method, body=body, headers=headers, **kwargs)


def make_httplib2(*, sandbox_url: str | None, timeouts: Timeouts | None = None) -> httplib2.Http:
    """An httplib2.Http for google-api-python-client, rewriting to the sandbox if asked."""
    return _RewritingHttp(sandbox_url, timeouts or Timeouts())


def browser_url(url: str, *, sandbox_url: str | None) -> str:
    """Where to send a person's browser (an OAuth consent page): the sandbox's copy of it
    for a sandbox account."""
    return rewrite_url(url, sandbox_url) if sandbox_url else url


def sandbox_post_url(sandbox_url: str, network: str, external_id: str) -> str:
    """The sandbox's own page of a post ("See it on X" for a sandbox account)."""
    return f"{sandbox_url.rstrip('/')}/_sandbox/post/{network}/{quote(external_id, safe='')}"


def request_never_left(exc: requests.RequestException) -> bool:
    """Connection refused, name not resolved, TLS failed, or connect timeout: the request
    never reached the network, so sending it again cannot make a duplicate. A read timeout
    or a reset after sending may have delivered it."""
    if isinstance(exc, requests.ConnectTimeout | requests.exceptions.SSLError):
        return True
    reason = getattr(exc.args[0], "reason", None) if exc.args else None
    return isinstance(reason, urllib3.exceptions.NewConnectionError)  # includes NameResolutionError
