"""The HTTPS plumbing every stand-in shares: a threaded server, routing, recording, throttling.

A stand-in subclasses ``StandIn``, declares ``routes`` as (method, regex, handler name) and
answers with ``Response``. Every request is appended to ``calls`` (with the Gmail quota units
the handler charged), so tests assert on what the client really sent.
"""

import json
import re
import socket
import ssl
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, unquote, urlsplit

from .tls import certificate_authority


@dataclass
class Request:
    method: str
    path: str
    query: dict  # name -> [values], as parse_qs gives
    headers: dict  # lower-case name -> value
    body: bytes = b""
    match: re.Match | None = None
    call: "Call | None" = None  # what gets recorded; handlers set its quota units
    raw_path: str = ""  # the path as sent, %-escapes kept (an id may hold a quoted "/")

    def arg(self, name, default=None):
        values = self.query.get(name)
        return values[0] if values else default

    def json(self):
        return json.loads(self.body or b"{}")

    def form(self):
        return {k: v[0] for k, v in parse_qs(self.body.decode()).items()}

    @property
    def bearer(self):
        value = self.headers.get("authorization", "")
        return value[7:] if value.lower().startswith("bearer ") else None


@dataclass
class Response:
    status: int = 200
    body: bytes | dict | list | None = None
    headers: dict = field(default_factory=dict)
    drop: bool = False  # close the connection without answering (the request was acted on)

    def encoded(self):
        headers = dict(self.headers)
        if isinstance(self.body, (dict, list)):
            headers.setdefault("Content-Type", "application/json; charset=UTF-8")
            return json.dumps(self.body).encode(), headers
        return self.body or b"", headers


@dataclass
class Call:
    """One request as the stand-in saw it."""

    method: str
    path: str
    query: dict
    headers: dict
    status: int = 0
    units: int = 0  # Gmail quota units charged
    batch_part: bool = False  # one request inside a Gmail batch


def json_error(status, body, retry_after=None):
    headers = {"Retry-After": str(retry_after)} if retry_after is not None else {}
    return Response(status, body, headers)


class Throttle:
    """Per-key limits: a moving one-second window of cost, and a cap on requests in flight."""

    def __init__(self, per_second=None, in_flight=None, clock=time.monotonic):
        self.per_second = per_second
        self.in_flight_cap = in_flight
        self.clock = clock
        self.lock = threading.Lock()
        self.spent = {}  # key -> deque of (time, cost)
        self.in_flight = {}
        self.peak_in_flight = {}

    def charge(self, key, cost):
        """True if ``cost`` fits in the key's last second (and is then counted)."""
        if not self.per_second:
            return True
        with self.lock:
            now = self.clock()
            window = self.spent.setdefault(key, deque())
            while window and window[0][0] <= now - 1.0:
                window.popleft()
            if sum(c for _, c in window) + cost > self.per_second:
                return False
            window.append((now, cost))
            return True

    def enter(self, key):
        with self.lock:
            count = self.in_flight.get(key, 0)
            if self.in_flight_cap and count >= self.in_flight_cap:
                return False
            self.in_flight[key] = count + 1
            self.peak_in_flight[key] = max(self.peak_in_flight.get(key, 0), count + 1)
            return True

    def leave(self, key):
        with self.lock:
            self.in_flight[key] -= 1


class StandIn:
    """A threaded HTTPS server on 127.0.0.1 with a port of its own; use as a context manager."""

    routes = ()  # (method, path regex, handler method name)

    def __init__(self):
        self.calls = []
        self.calls_lock = threading.Lock()
        self.lock = threading.RLock()  # guards the stand-in's data
        self.forced = deque()  # scripted failures: (status, body, retry_after) for the next calls
        self._compiled = [(m, re.compile(p + r"\Z"), h) for m, p, h in self.routes]
        self.httpd = None

    # -- life cycle --------------------------------------------------------------------------
    def start(self):
        authority = certificate_authority()
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(authority.cert_file, authority.key_file)
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), _handler_for(self))
        self.httpd.daemon_threads = True
        self.httpd.socket = context.wrap_socket(self.httpd.socket, server_side=True)
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()
        return self

    def stop(self):
        if self.httpd:
            self.httpd.shutdown()
            self.httpd.server_close()
            self.httpd = None

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()

    @property
    def base_url(self):
        return f"https://127.0.0.1:{self.httpd.server_address[1]}"

    @property
    def ca_file(self):
        return certificate_authority().ca_file

    # -- what tests read ---------------------------------------------------------------------
    def calls_to(self, pattern, method=None):
        regex = re.compile(pattern)
        with self.calls_lock:
            return [c for c in self.calls if regex.search(c.path) and (method is None or c.method == method)]

    def clear_calls(self):
        with self.calls_lock:
            self.calls.clear()

    def fail_next(self, count, status, body, retry_after=None):
        """The next ``count`` API calls get this answer instead of being served."""
        for _ in range(count):
            self.forced.append((status, body, retry_after))

    def record(self, call):
        with self.calls_lock:
            self.calls.append(call)

    # -- dispatch ----------------------------------------------------------------------------
    def dispatch(self, request):
        for method, regex, handler in self._compiled:
            match = regex.match(request.path)
            if match and method == request.method:
                request.match = match
                return getattr(self, handler)(request)
        return self.not_found(request)

    def not_found(self, request):
        return Response(404, {"error": {"code": 404, "message": f"no route {request.method} {request.path}"}})

    def serve(self, request):
        """Entry point from the HTTP handler; subclasses wrap it for auth and throttling."""
        return self.dispatch(request)

    def take_forced(self):
        """The scripted failure for this call, if one is queued."""
        with self.lock:
            if self.forced:
                status, body, retry_after = self.forced.popleft()
                return json_error(status, body, retry_after)
        return None


def _handler_for(standin):
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def setup(self):
            super().setup()
            # headers and body leave in two writes: without this, Nagle's algorithm and the
            # client's delayed ACK stall each keep-alive response by ~40 ms
            self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

        def _serve(self):
            parts = urlsplit(self.path)
            length = int(self.headers.get("Content-Length") or 0)
            request = Request(
                method=self.command,
                path=unquote(parts.path),
                raw_path=parts.path,
                query=parse_qs(parts.query, keep_blank_values=True),
                headers={k.lower(): v for k, v in self.headers.items()},
                body=self.rfile.read(length) if length else b"",
            )
            request.call = call = Call(request.method, request.path, request.query, request.headers)
            try:
                response = standin.serve(request)
            except Exception as exc:  # a stand-in bug shows as a 500 with its reason, not a hang
                response = Response(500, {"error": {"code": 500, "message": repr(exc)}})
            call.status = response.status
            standin.record(call)
            if response.drop:
                self.close_connection = True
                self.connection.shutdown(socket.SHUT_RDWR)
                return
            body, headers = response.encoded()
            self.send_response(response.status)
            for name, value in headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _serve

        def log_message(self, *args):
            pass

    return Handler


class RecordedSleeps(list):
    """A ``sleep`` for Backoff and QuotaMeter that records the waits instead of sleeping."""

    def __call__(self, seconds):
        self.append(seconds)
