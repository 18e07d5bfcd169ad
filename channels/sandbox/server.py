"""The sandbox HTTP server: stdlib only (no Django), one thread per connection.

    server = SandboxServer(host="127.0.0.1", port=0)   # port 0: any free port
    server.start()                                     # returns once listening
    server.url                                         # "http://127.0.0.1:54321"
    server.reset(); server.stop()

A request's first path segment picks a network (`/twitter/2/tweets`) or the control API
(`/_sandbox/…`); the rest is the network's real path. For an API call the server asks the
fault rules what to do before the network's handler runs: wait (latency), answer 5xx or
429 instead, or run the handler and then hang up without answering (timeout).
"""

from __future__ import annotations

import contextlib
import logging
import socket
import sys
import threading
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

from channels.sandbox import control, facebook, flickr, google_oauth, twitter, youtube
from channels.sandbox.faults import NO_FAULT, FaultDecision
from channels.sandbox.http import Call, Handler, NetworkSpec, Reply, Request, Response, json_response
from channels.sandbox.state import SandboxState

logger = logging.getLogger(__name__)

NETWORK_SPECS: dict[str, NetworkSpec] = {
    spec.prefix: spec for spec in (twitter.SPEC, facebook.SPEC, youtube.SPEC, google_oauth.SPEC, flickr.SPEC)
}
CONTROL_PREFIX = "_sandbox"
MAX_BODY_BYTES = 512 * 1024 * 1024


class _BadRequest(Exception):
    """A request too malformed to route: answered with `status`."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    # Idle keep-alive connections and hung answers must not hold up server_close().
    block_on_close = False
    request_queue_size = 1024

    def __init__(self, address: tuple[str, int], state: SandboxState) -> None:
        self.state = state
        self.connections: set[socket.socket] = set()
        self.connections_lock = threading.Lock()
        super().__init__(address, _Handler)

    def handle_error(self, request: object, client_address: object) -> None:
        # A client that gave up (its own timeout, a closed connection) is ordinary here.
        if isinstance(sys.exc_info()[1], ConnectionError):
            logger.debug("Client %s went away", client_address)
        else:
            logger.exception("Sandbox failed serving %s", client_address)

    def close_connections(self) -> None:
        """Hang up on every open connection, so that their threads end."""
        with self.connections_lock:
            for connection in self.connections:
                with contextlib.suppress(OSError):  # already closed by the client
                    connection.shutdown(socket.SHUT_RDWR)


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    protocol_version = "HTTP/1.1"  # keep-alive
    server_version = "DiplomacyHubSandbox/1.0"
    # Without these, Nagle's algorithm and delayed ACKs cost ~40 ms per keep-alive request.
    disable_nagle_algorithm = True
    wbufsize = 65536
    timeout = 120  # seconds an idle keep-alive connection is kept

    def setup(self) -> None:
        super().setup()
        with self.server.connections_lock:
            self.server.connections.add(self.connection)

    def finish(self) -> None:
        with self.server.connections_lock:
            self.server.connections.discard(self.connection)
        super().finish()

    def do_GET(self) -> None:
        self._serve()

    do_POST = do_PUT = do_DELETE = do_PATCH = do_GET

    def log_message(self, format: str, *args: object) -> None:
        logger.debug("%s " + format, self.address_string(), *args)

    def _serve(self) -> None:
        state = self.server.state
        with state.serving():
            try:
                request, prefix = self._read_request()
            except _BadRequest as error:
                self._send(json_response(error.status, {"error": str(error)}))
                self.close_connection = True
                return
            response = self._dispatch(request, prefix)
            if response is None:
                self.close_connection = True  # an injected timeout: hang up, answer nothing
            else:
                self._send(response)

    def _read_request(self) -> tuple[Request, str]:
        parts = urlsplit(self.path)
        prefix, _, rest = parts.path.lstrip("/").partition("/")
        request = Request(
            method=self.command,
            path="/" + rest if rest or parts.path.endswith("/") else "",
            query=parse_qs(parts.query, keep_blank_values=True),
            headers=self.headers,
            body=self._read_body(),
        )
        return request, prefix

    def _read_body(self) -> bytes:
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            return self._read_chunked()
        try:
            length = int(self.headers.get("Content-Length") or 0)
        except ValueError:
            raise _BadRequest(400, "Malformed Content-Length.") from None
        if length > MAX_BODY_BYTES:
            raise _BadRequest(413, "Request body too large for the sandbox.")
        return self.rfile.read(length) if length > 0 else b""

    def _read_chunked(self) -> bytes:
        body = bytearray()
        while True:
            try:
                size = int(self.rfile.readline(1024).split(b";")[0].strip() or b"0", 16)
            except ValueError:
                raise _BadRequest(400, "Malformed chunked body.") from None
            if size == 0:
                while self.rfile.readline(1024) not in (b"\r\n", b"\n", b""):
                    pass  # trailers
                return bytes(body)
            if len(body) + size > MAX_BODY_BYTES:
                raise _BadRequest(413, "Request body too large for the sandbox.")
            body += self.rfile.read(size)
            self.rfile.readline(1024)  # the CRLF after each chunk

    def _base_url(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{self.headers.get('Host') or f'{host}:{port}'}"

    def _dispatch(self, request: Request, prefix: str) -> Response | None:
        state = self.server.state
        if prefix == CONTROL_PREFIX:
            found = control.router.match(request.method, request.path)
            if found is None:
                return json_response(404, {"error": "No such control endpoint; see docs/sandbox.md."})
            route, params = found
            return _run(route.handler, Call(request, state, params, NO_FAULT, self._base_url(), prefix))
        spec = NETWORK_SPECS.get(prefix)
        if spec is None:
            return json_response(404, {"error": f"Unknown sandbox prefix {prefix!r}."})
        found = spec.router.match(request.method, request.path)
        if found is None:
            return spec.not_found(request)
        route, params = found
        fault = state.decide_fault(spec.network, spec.account_of(request, state)) if route.api else NO_FAULT
        early = _fault_answer(spec, request, fault, state)
        if early is not None:
            return early
        response = _run(route.handler, Call(request, state, params, fault, self._base_url(), prefix), spec.server_error)
        if fault.outcome == "timeout":
            state.pause(fault.hang_seconds)  # the call is stored; the client hears nothing
            return None
        return response

    def _send(self, response: Response) -> None:
        self.send_response(response.status)
        for name, value in response.headers.items():
            self.send_header(name, value)
        if response.status not in (204, 304):
            self.send_header("Content-Length", str(len(response.body)))
        self.end_headers()
        self.wfile.write(response.body)


def _fault_answer(spec: NetworkSpec, request: Request, fault: FaultDecision, state: SandboxState) -> Response | None:
    """The answer an injected fault gives instead of the handler's, if any."""
    state.pause(fault.latency_seconds)
    if fault.outcome == "error":
        return spec.server_error(request)
    if fault.outcome == "rate_limit":
        return spec.rate_limited(request, fault.reset_seconds)
    if fault.refusal in spec.refusals:
        return spec.refusals[fault.refusal](request)
    # Other refusals are the handler's to give, where they apply (call.fault.refusal).
    return None


def _run(handler: Handler, call: Call, on_crash: Callable[[Request], Response] | None = None) -> Response:
    try:
        return handler(call)
    except Reply as reply:
        return reply.response
    except Exception:
        # A sandbox bug must look like a network's 5xx, not a dropped connection.
        logger.exception("Sandbox handler %s crashed", getattr(handler, "__name__", handler))
        return on_crash(call.request) if on_crash else json_response(500, {"error": "Sandbox error."})


class SandboxServer:
    """The four sandbox networks on one port, served from a daemon thread."""

    def __init__(self, host: str = "127.0.0.1", port: int = 0) -> None:
        self.state = SandboxState()
        # How the public's posts are pushed: the networks that push say (public.py).
        self.state.public.envelopes.update({"twitter": twitter.webhook_body, "facebook": facebook.webhook_body})
        self._httpd = _Server((host, port), self.state)  # binds and listens now
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        host, port = self._httpd.server_address[:2]
        return f"http://{host}:{port}"

    def start(self) -> SandboxServer:
        self._thread = threading.Thread(
            target=self._httpd.serve_forever,
            kwargs={"poll_interval": 0.2},
            name="sandbox-server",
            daemon=True,
        )
        self._thread.start()
        return self

    def serve_forever(self) -> None:
        """Serve from the calling thread until interrupted (the management command)."""
        try:
            self._httpd.serve_forever(poll_interval=0.2)
        finally:
            self.stop()

    def reset(self) -> None:
        self.state.reset()

    def stop(self) -> None:
        self.state.close()  # end latency sleeps and hangs
        if self._thread is not None:
            self._httpd.shutdown()
            self._thread.join(timeout=5)
            self._thread = None
        self._httpd.close_connections()
        self._httpd.server_close()
