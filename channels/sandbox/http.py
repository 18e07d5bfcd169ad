"""The sandbox's own small HTTP vocabulary: a parsed request, a response, routing.

The networks' modules see only these types, never `http.server`: a handler takes a `Call`
and returns a `Response`, or raises `Reply` to answer early (an error body, usually).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from email.parser import HeaderParser
from functools import cached_property
from typing import Any
from urllib.parse import parse_qs, unquote, urlencode, urlsplit, urlunsplit

from channels.sandbox.faults import FaultDecision
from channels.sandbox.state import SandboxState


@dataclass(frozen=True)
class UploadedFile:
    filename: str
    content_type: str
    data: bytes


class Headers:
    """A request's header fields, looked up by name in any case (the last of repeated
    fields wins, as the networks' front ends keep one)."""

    __slots__ = ("_fields",)

    def __init__(self, fields: dict[str, str] | None = None) -> None:
        self._fields = {name.lower(): value for name, value in (fields or {}).items()}

    def add(self, name: str, value: str) -> None:
        self._fields[name.lower()] = value

    def get(self, name: str, default: str | None = None) -> str | None:
        return self._fields.get(name.lower(), default)

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and name.lower() in self._fields

    def items(self):
        return self._fields.items()


@dataclass
class Request:
    """One HTTP request, as seen under a network's prefix (`path` excludes the prefix)."""

    method: str
    path: str
    query: dict[str, list[str]]
    headers: Headers
    body: bytes

    def header(self, name: str, default: str = "") -> str:
        value = self.headers.get(name)
        return default if value is None else value

    @property
    def content_type(self) -> str:
        return self.header("Content-Type").split(";")[0].strip().lower()

    @cached_property
    def _parts(self) -> tuple[dict[str, str], dict[str, UploadedFile]]:
        """Form fields and files of a urlencoded or multipart body."""
        if self.content_type == "application/x-www-form-urlencoded":
            fields = {
                k: v[-1] for k, v in parse_qs(self.body.decode("utf-8", "replace"), keep_blank_values=True).items()
            }
            return fields, {}
        if self.content_type.startswith("multipart/"):
            return parse_multipart(self.header("Content-Type"), self.body)
        return {}, {}

    @property
    def form(self) -> dict[str, str]:
        return self._parts[0]

    @property
    def files(self) -> dict[str, UploadedFile]:
        return self._parts[1]

    def arg(self, name: str, default: str = "") -> str:
        """A parameter from the query string or the form body (networks accept both)."""
        if name in self.query:
            return self.query[name][-1]
        return self.form.get(name, default)

    def json(self) -> Any:
        """The JSON body; a malformed one is the client's fault, answered by the caller."""
        try:
            return json.loads(self.body or b"null")
        except ValueError:
            return None

    def bearer_token(self) -> str:
        """The token of `Authorization: Bearer …` or of an OAuth 1.0a header (oauth_token)."""
        authorization = self.header("Authorization")
        scheme, _, credentials = authorization.partition(" ")
        if scheme.lower() == "bearer":
            return credentials.strip()
        if scheme.lower() == "oauth":
            return oauth1_params(authorization).get("oauth_token", "")
        return ""


@dataclass
class Response:
    status: int
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)


class Reply(Exception):  # an answer rather than an error, hence not "…Error"
    """Raised by a handler to answer at once with `response`."""

    def __init__(self, response: Response) -> None:
        super().__init__(response.status)
        self.response = response


@dataclass
class Call:
    """What a network handler gets: the request, the shared state, the fault decision
    for this call (only `revoked` matters to handlers) and the sandbox's own base URL."""

    request: Request
    state: SandboxState
    params: dict[str, str]
    fault: FaultDecision
    base_url: str
    prefix: str

    def url(self, path: str, query: dict[str, str] | None = None) -> str:
        """An absolute URL back to this sandbox under this call's network prefix."""
        return f"{self.base_url}/{self.prefix}{path}" + (f"?{urlencode(query)}" if query else "")


Handler = Callable[[Call], Response]


@dataclass(frozen=True)
class Route:
    method: str
    pattern: re.Pattern
    handler: Handler
    # False for pages a person's browser shows (consent pages): faults are for API calls.
    api: bool


class Router:
    """Routes of one network: `@router.route("POST", r"/2/tweets")`; named groups of
    the pattern become `call.params`."""

    def __init__(self) -> None:
        self.routes: list[Route] = []

    def route(self, method: str, pattern: str, *, api: bool = True) -> Callable[[Handler], Handler]:
        def register(handler: Handler) -> Handler:
            self.routes.append(Route(method, re.compile(pattern + r"/?\Z"), handler, api))
            return handler

        return register

    def match(self, method: str, path: str) -> tuple[Route, dict[str, str]] | None:
        for route in self.routes:
            found = route.pattern.match(path)
            if found and route.method == method:
                return route, found.groupdict()
        return None


# --- Responses ------------------------------------------------------------------------


def json_response(status: int, payload: Any, headers: dict[str, str] | None = None) -> Response:
    body = json.dumps(payload, ensure_ascii=False).encode()
    return Response(status, body, {"Content-Type": "application/json; charset=utf-8", **(headers or {})})


def text_response(
    status: int,
    text: str,
    content_type: str = "text/plain; charset=utf-8",
    headers: dict[str, str] | None = None,
) -> Response:
    return Response(status, text.encode(), {"Content-Type": content_type, **(headers or {})})


def html_response(status: int, html: str) -> Response:
    return text_response(status, html, "text/html; charset=utf-8")


def redirect(url: str) -> Response:
    return Response(302, b"", {"Location": url})


def add_query(url: str, params: dict[str, str]) -> str:
    """`url` with `params` appended to its query string (a redirect_uri may have its own)."""
    parts = urlsplit(url)
    query = "&".join(q for q in (parts.query, urlencode(params)) if q)
    return urlunsplit((parts.scheme, parts.netloc, parts.path, query, parts.fragment))


# --- Body parsing ----------------------------------------------------------------------


_BLANK_LINE = re.compile(rb"(\r?\n\r?\n)")  # between a part's headers and its body


def parse_multipart(content_type: str, body: bytes) -> tuple[dict[str, str], dict[str, UploadedFile]]:
    """Fields and files of a multipart/form-data (or multipart/related) body.

    Split on the boundary by hand: the stdlib's `cgi` is deprecated and `email` handles
    megabytes of binary slowly. Lines end with CRLF (requests) or LF (googleapiclient's
    email generator). Parts without a name (multipart/related) are keyed by their
    position: "0", "1"...
    """
    header = HeaderParser().parsestr(f"Content-Type: {content_type}\r\n\r\n")
    boundary = header.get_param("boundary")
    if not isinstance(boundary, str) or not boundary:
        return {}, {}
    fields: dict[str, str] = {}
    files: dict[str, UploadedFile] = {}
    for index, chunk in enumerate(body.split(b"--" + boundary.encode())[1:]):
        if chunk.startswith(b"--"):
            break  # the closing delimiter
        pieces = _BLANK_LINE.split(chunk.lstrip(b"\r\n"), maxsplit=1)
        if len(pieces) != 3:
            continue  # a part without headers and body
        head, blank, data = pieces
        data = data.removesuffix(b"\r\n" if blank.startswith(b"\r") else b"\n")
        part = HeaderParser().parsestr(head.decode("utf-8", "replace"))
        name = part.get_param("name", header="content-disposition") or str(index)
        filename = part.get_param("filename", header="content-disposition")
        if isinstance(filename, str) or not part.get("Content-Disposition"):
            files[str(name)] = UploadedFile(str(filename or ""), part.get_content_type(), data)
        else:
            fields[str(name)] = data.decode("utf-8", "replace")
    return fields, files


_OAUTH1_PARAM = re.compile(r'(\w+)="([^"]*)"')


def oauth1_params(authorization: str) -> dict[str, str]:
    """The parameters of an `Authorization: OAuth k="v", …` header, percent-decoded."""
    return {key: unquote(value) for key, value in _OAUTH1_PARAM.findall(authorization)}


@dataclass(frozen=True)
class NetworkSpec:
    """One network as the server sees it: its path prefix, its routes, how to tell which
    account a call is for (to match fault rules), and its own way of saying "server
    error", "slow down" and "no such path"."""

    prefix: str
    network: str
    router: Router
    account_of: Callable[[Request, SandboxState], str | None]
    server_error: Callable[[Request], Response]
    rate_limited: Callable[[Request, float], Response]
    not_found: Callable[[Request], Response]
    # The network's own refusals by name (faults.REFUSALS), for fault rules to inject.
    refusals: dict[str, Callable[[Request], Response]] = field(default_factory=dict)
