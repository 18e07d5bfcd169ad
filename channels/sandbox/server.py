"""The sandbox HTTP server: stdlib only (no Django), one asyncio event loop in one thread.

    server = SandboxServer(host="127.0.0.1", port=0)   # port 0: any free port
    server.start()                                     # returns once listening
    server.url                                         # "http://127.0.0.1:54321"
    server.reset(); server.stop()

A request's first path segment picks a network (`/twitter/2/tweets`) or the control API
(`/_sandbox/…`); the rest is the network's real path. For an API call the server asks the
fault rules what to do before the network's handler runs: wait (latency), answer 5xx or
429 instead, or run the handler and then hang up without answering (timeout).

Why asyncio rather than `http.server`: with 128 calls in flight, each held 200 ms by a
latency fault, `http.server` ran a thread per connection and parsed every header block
through the `email` package; here a connection is a coroutine, a latency is a timer, and
the request is parsed by hand (HTTP/1.1, keep-alive, Content-Length or chunked bodies,
`Expect: 100-continue`). The handlers are the same synchronous functions, run on the
loop's thread: they only touch the state in memory, under its lock, and never sleep.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
import threading
import time
from collections.abc import Callable
from email.utils import formatdate
from http import HTTPStatus
from urllib.parse import parse_qs, urlsplit

from channels.sandbox import control, facebook, flickr, google_oauth, translate, twitter, youtube
from channels.sandbox.faults import NO_FAULT, FaultDecision
from channels.sandbox.http import Call, Handler, Headers, NetworkSpec, Reply, Request, Response, json_response
from channels.sandbox.state import SandboxState

logger = logging.getLogger(__name__)

NETWORK_SPECS: dict[str, NetworkSpec] = {
    spec.prefix: spec
    for spec in (twitter.SPEC, facebook.SPEC, youtube.SPEC, google_oauth.SPEC, flickr.SPEC, translate.SPEC)
}
CONTROL_PREFIX = "_sandbox"
MAX_BODY_BYTES = 512 * 1024 * 1024
MAX_LINE_BYTES = 65536  # a request line or one header field
MAX_HEADERS = 200
IDLE_SECONDS = 120  # an idle keep-alive connection is closed after this
METHODS = frozenset({"GET", "POST", "PUT", "DELETE", "PATCH"})
SERVER_NAME = "DiplomacyHubSandbox/1.0"


class _BadRequest(Exception):
    """A request too malformed to route: answered with `status`, then the connection closes."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


def _reason(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return ""


class _Clock:
    """The Date header, formatted once a second rather than once a response."""

    def __init__(self) -> None:
        self._second = -1
        self._text = ""

    def date(self) -> str:
        second = int(time.time())
        if second != self._second:
            self._second, self._text = second, formatdate(second, usegmt=True)
        return self._text


class _Loop:
    """The event loop's side of the server: connections, requests, pauses."""

    def __init__(self, state: SandboxState, listener: socket.socket) -> None:
        self.state = state
        self.listener = listener
        self.loop = asyncio.new_event_loop()
        self.server: asyncio.base_events.Server | None = None
        self.writers: set[asyncio.StreamWriter] = set()
        self.sleepers: set[asyncio.Future] = set()
        self.clock = _Clock()
        host, port = listener.getsockname()[:2]
        self.address = f"{host}:{port}"

    # --- life cycle (the loop's thread) -------------------------------------------------------

    async def open(self) -> None:
        self.server = await asyncio.start_server(self.connection, sock=self.listener, limit=MAX_LINE_BYTES)

    def wake_all(self) -> None:
        """End every pause at once (a reset, or the server stopping)."""
        for sleeper in list(self.sleepers):
            if not sleeper.done():
                sleeper.set_result(None)

    def hang_up_all(self) -> None:
        for writer in list(self.writers):
            writer.transport.abort()

    async def pause(self, seconds: float) -> None:
        if seconds <= 0:
            return
        sleeper = self.loop.create_future()
        timer = self.loop.call_later(seconds, _settle, sleeper)
        self.sleepers.add(sleeper)
        try:
            await sleeper
        finally:
            timer.cancel()
            self.sleepers.discard(sleeper)

    # --- one connection -----------------------------------------------------------------------

    async def connection(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        sock = writer.get_extra_info("socket")
        if sock is not None:
            # Without it, Nagle's algorithm and delayed ACKs cost ~40 ms per keep-alive request.
            with contextlib.suppress(OSError):
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.writers.add(writer)
        idle: asyncio.TimerHandle | None = None
        try:
            while True:
                idle = self.loop.call_later(IDLE_SECONDS, writer.transport.abort)
                try:
                    line = await reader.readline()
                finally:
                    idle.cancel()
                if not line:
                    return  # the client closed the connection
                if line in (b"\r\n", b"\n"):
                    continue  # a stray CRLF between requests (RFC 9112 2.2)
                keep_alive = await self.exchange(line, reader, writer)
                if not keep_alive:
                    return
        except (ConnectionError, asyncio.IncompleteReadError):
            logger.debug("Client went away")
        except asyncio.CancelledError:
            # The server is stopping. Ending quietly: asyncio would log a connection task
            # that ends cancelled as an error.
            return
        except Exception:
            logger.exception("Sandbox failed serving a connection")
        finally:
            self.writers.discard(writer)
            writer.close()

    async def exchange(self, line: bytes, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> bool:
        """Read one request after its request line, answer it; whether to keep the connection."""
        with self.state.serving():
            try:
                method, target, version, headers = await self.read_head(line, reader)
                keep_alive = _keeps_alive(version, headers)
                if headers.get("expect", "").lower() == "100-continue":
                    writer.write(b"HTTP/1.1 100 Continue\r\n\r\n")
                body = await self.read_body(headers, reader)
                request, prefix = _request(method, target, headers, body)
            except _BadRequest as error:
                self.send(writer, json_response(error.status, {"error": str(error)}), keep_alive=False)
                await writer.drain()
                return False
            response = await self.dispatch(request, prefix, headers)
            if response is None:
                return False  # an injected timeout: hang up, answer nothing
            self.send(writer, response, keep_alive=keep_alive)
            await writer.drain()
            return keep_alive

    async def read_head(self, line: bytes, reader: asyncio.StreamReader) -> tuple[str, str, str, Headers]:
        try:
            method, target, version = line.decode("latin-1").rstrip("\r\n").split(" ")
        except ValueError:
            raise _BadRequest(400, "Malformed request line.") from None
        if not version.startswith("HTTP/1."):
            raise _BadRequest(505, "HTTP/1.x only.")
        if method not in METHODS:
            raise _BadRequest(501, f"Unsupported method {method!r}.")
        headers = Headers()
        for _ in range(MAX_HEADERS + 1):
            try:
                field = await reader.readline()
            except (ValueError, asyncio.LimitOverrunError):
                raise _BadRequest(431, "Header field too large.") from None
            if field in (b"\r\n", b"\n", b""):
                return method, target, version, headers
            name, colon, value = field.decode("latin-1").partition(":")
            if not colon or not name or name != name.strip():
                raise _BadRequest(400, "Malformed header field.")
            headers.add(name, value.strip())
        raise _BadRequest(431, "Too many header fields.")

    async def read_body(self, headers: Headers, reader: asyncio.StreamReader) -> bytes:
        if (headers.get("transfer-encoding") or "").lower() == "chunked":
            return await self.read_chunked(reader)
        try:
            length = int(headers.get("content-length") or 0)
        except ValueError:
            raise _BadRequest(400, "Malformed Content-Length.") from None
        if length < 0:
            raise _BadRequest(400, "Malformed Content-Length.")
        if length > MAX_BODY_BYTES:
            raise _BadRequest(413, "Request body too large for the sandbox.")
        return await reader.readexactly(length) if length else b""

    async def read_chunked(self, reader: asyncio.StreamReader) -> bytes:
        body = bytearray()
        while True:
            try:
                size = int((await reader.readline()).split(b";")[0].strip() or b"0", 16)
            except ValueError:
                raise _BadRequest(400, "Malformed chunked body.") from None
            if size == 0:
                while (await reader.readline()) not in (b"\r\n", b"\n", b""):
                    pass  # trailers
                return bytes(body)
            if size < 0 or len(body) + size > MAX_BODY_BYTES:
                raise _BadRequest(413, "Request body too large for the sandbox.")
            body += await reader.readexactly(size)
            await reader.readline()  # the CRLF after each chunk

    async def dispatch(self, request: Request, prefix: str, headers: Headers) -> Response | None:
        state = self.state
        base_url = f"http://{headers.get('host') or self.address}"
        if prefix == CONTROL_PREFIX:
            found = control.router.match(request.method, request.path)
            if found is None:
                return json_response(404, {"error": "No such control endpoint; see docs/sandbox.md."})
            route, params = found
            return _run(route.handler, Call(request, state, params, NO_FAULT, base_url, prefix))
        spec = NETWORK_SPECS.get(prefix)
        if spec is None:
            return json_response(404, {"error": f"Unknown sandbox prefix {prefix!r}."})
        found = spec.router.match(request.method, request.path)
        if found is None:
            return spec.not_found(request)
        route, params = found
        fault = state.decide_fault(spec.network, spec.account_of(request, state)) if route.api else NO_FAULT
        await self.pause(fault.latency_seconds)
        early = _fault_answer(spec, request, fault)
        if early is not None:
            return early
        response = _run(route.handler, Call(request, state, params, fault, base_url, prefix), spec.server_error)
        if fault.outcome == "timeout":
            await self.pause(fault.hang_seconds)  # the call is stored; the client hears nothing
            return None
        return response

    def send(self, writer: asyncio.StreamWriter, response: Response, *, keep_alive: bool) -> None:
        lines = [
            f"HTTP/1.1 {response.status} {_reason(response.status)}",
            f"Server: {SERVER_NAME}",
            f"Date: {self.clock.date()}",
        ]
        lines += [f"{name}: {value}" for name, value in response.headers.items()]
        if response.status not in (204, 304):
            lines.append(f"Content-Length: {len(response.body)}")
        if not keep_alive:
            lines.append("Connection: close")
        writer.write(("\r\n".join(lines) + "\r\n\r\n").encode("latin-1", "replace") + response.body)


def _settle(sleeper: asyncio.Future) -> None:
    if not sleeper.done():
        sleeper.set_result(None)


def _keeps_alive(version: str, headers: Headers) -> bool:
    connection = (headers.get("connection") or "").lower()
    if version == "HTTP/1.0":
        return connection == "keep-alive"
    return connection != "close"


def _request(method: str, target: str, headers: Headers, body: bytes) -> tuple[Request, str]:
    parts = urlsplit(target)
    prefix, _, rest = parts.path.lstrip("/").partition("/")
    request = Request(
        method=method,
        path="/" + rest if rest or parts.path.endswith("/") else "",
        query=parse_qs(parts.query, keep_blank_values=True),
        headers=headers,
        body=body,
    )
    return request, prefix


def _fault_answer(spec: NetworkSpec, request: Request, fault: FaultDecision) -> Response | None:
    """The answer an injected fault gives instead of the handler's, if any (after its latency)."""
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
    """The four sandbox networks on one port, served by an event loop in a daemon thread."""

    def __init__(self, host: str = "127.0.0.1", port: int = 0) -> None:
        self.state = SandboxState()
        # How the public's posts are pushed: the networks that push say (public.py).
        self.state.public.envelopes.update({"twitter": twitter.webhook_body, "facebook": facebook.webhook_body})
        # Binds and listens now, so that `url` is known before start().
        self._listener = socket.create_server((host, port), backlog=1024)
        self._listener.setblocking(False)
        self._loop = _Loop(self.state, self._listener)
        # A reset (from a control call or from a test's thread) ends every pause at once.
        self.state.on_wake(self._wake)
        self._thread: threading.Thread | None = None
        self._stopped = False

    @property
    def url(self) -> str:
        host, port = self._listener.getsockname()[:2]
        return f"http://{host}:{port}"

    def start(self) -> SandboxServer:
        listening = threading.Event()
        self._thread = threading.Thread(target=self._run, args=(listening,), name="sandbox-server", daemon=True)
        self._thread.start()
        listening.wait(10)
        return self

    def _run(self, listening: threading.Event | None = None) -> None:
        loop = self._loop.loop
        asyncio.set_event_loop(loop)
        loop.run_until_complete(self._loop.open())
        if listening is not None:
            listening.set()
        try:
            loop.run_forever()
        finally:
            loop.run_until_complete(self._shutdown())
            loop.close()

    async def _shutdown(self) -> None:
        loop = self._loop
        if loop.server is not None:
            loop.server.close()
        loop.wake_all()
        loop.hang_up_all()
        tasks = [task for task in asyncio.all_tasks() if task is not asyncio.current_task()]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    def _wake(self) -> None:
        with contextlib.suppress(RuntimeError):  # the loop has stopped: nothing pauses
            self._loop.loop.call_soon_threadsafe(self._loop.wake_all)

    def serve_forever(self) -> None:
        """Serve from the calling thread until interrupted (the management command)."""
        try:
            self._run()
        finally:
            self.stop()

    def reset(self) -> None:
        self.state.reset()

    def stop(self) -> None:
        if self._stopped:
            return
        self._stopped = True
        self.state.close()  # end latency pauses and hangs, and the public's threads
        loop = self._loop.loop
        if self._thread is not None:
            with contextlib.suppress(RuntimeError):  # the loop already closed
                loop.call_soon_threadsafe(loop.stop)
            self._thread.join(timeout=5)
            self._thread = None
        with contextlib.suppress(OSError):
            self._listener.close()
