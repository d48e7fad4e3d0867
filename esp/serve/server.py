"""The HTTP side of the board: the page, its state, the drawings, a server-sent
event stream that tells every open page when to redraw, and (with ``--edit``)
the participants' changes.

Hardened for a room full of laptops: the Host header must name the address
served (a DNS-rebinding page cannot read the board), idle and half-open
connections time out and their number is capped, a client that hangs up is
not an error, every response says what it is (nosniff) and what the page may
load (a Content-Security-Policy: nothing but the board itself). A board that
listens beyond loopback and takes changes wants the token of its link;
changes come as JSON from the board's own origin only.
"""

from __future__ import annotations

import gzip
import hmac
import ipaddress
import json
import socket
import sys
import threading
import time
from collections.abc import Callable, Sequence
from http import HTTPStatus
from http.cookies import SimpleCookie
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from importlib import resources
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

from esp.model import Model
from esp.serve.board import Board
from esp.serve.edit import Change
from esp.serve.workshop import Outcome, Workshop

POLL_SECONDS = 0.1  # how often the files are looked at: well under the 1 s budget
HEARTBEAT_SECONDS = 15.0
IDLE_SECONDS = 10.0  # a connection that sends nothing for this long is closed
MAX_CONNECTIONS = 256  # each holds a thread; a page holds one for its event stream
PER_CLIENT = 64  # one address's share (a browser opens ~6 per board; every local browser is 127.0.0.1)
MAX_BODY = 16 * 1024
GZIP_FROM = 8 * 1024  # a state this long goes gzipped to a page that takes it
LOOPBACK_NAMES = ("localhost", "127.0.0.1", "::1")
STATIC = {
    "/": ("page.html", "text/html; charset=utf-8"),
    "/board.js": ("board.js", "text/javascript; charset=utf-8"),
    "/board.css": ("board.css", "text/css; charset=utf-8"),
}
SECURITY_HEADERS = (
    ("X-Content-Type-Options", "nosniff"),
    (
        "Content-Security-Policy",
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        "connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
    ),
    ("Referrer-Policy", "no-referrer"),
)


class BoardServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(
        self,
        address: tuple[str, int],
        board: Board,
        *,
        workshop: Workshop | None = None,
        token: str = "",
        idle_timeout: float = IDLE_SECONDS,
        max_connections: int = MAX_CONNECTIONS,
    ) -> None:
        # StreamRequestHandler applies its class's ``timeout`` to each connection's socket
        super().__init__(address, type("_TimedHandler", (_Handler,), {"timeout": idle_timeout}))
        self.board = board
        self.workshop = workshop
        self.token = token
        self.idle_timeout = idle_timeout
        self.stopping = threading.Event()
        self._slots = threading.BoundedSemaphore(max_connections)
        self.per_client = max(1, min(PER_CLIENT, max_connections))
        self._open: dict[str, int] = {}
        self._counting = threading.Lock()
        self._gzipped: dict[str, tuple[str, bytes]] = {}  # view or page -> (its SVG, gzipped)
        self.hosts = allowed_hosts(address[0])

    @property
    def url(self) -> str:
        host, port = str(self.server_address[0]), self.server_address[1]
        shown = "127.0.0.1" if host in ("", "0.0.0.0", "::") else host
        shown = f"[{shown}]" if ":" in shown else shown
        return f"http://{shown}:{port}/" + (f"?token={self.token}" if self.token else "")

    def watch(self, paths: Sequence[Path]) -> None:
        """Poll the journey files and refresh the board when they change."""
        while not self.stopping.wait(POLL_SECONDS):
            self.board.poll()

    def process_request(self, request: Any, client_address: Any) -> None:
        if not self._take_slot(client_address[0]):  # full: refuse at once instead of queueing threads
            self.shutdown_request(request)
            return
        try:
            super().process_request(request, client_address)
        except BaseException:
            self._free_slot(client_address[0])
            raise

    def process_request_thread(self, request: Any, client_address: Any) -> None:
        try:
            super().process_request_thread(request, client_address)
        finally:
            self._free_slot(client_address[0])

    def compressed(self, key: str, svg: str) -> bytes:
        """``svg`` gzipped, once per drawing (``key``: a view, or a page's etag): a big map
        is megabytes, and every page in the room fetches it after each change (over a
        workshop's Wi-Fi)."""
        with self._counting:
            cached = self._gzipped.get(key)
            if cached is not None and cached[0] == svg:
                return cached[1]
        data = gzip.compress(svg.encode(), compresslevel=6, mtime=0)
        with self._counting:
            if len(self._gzipped) > 64:
                self._gzipped.clear()
            self._gzipped[key] = (svg, data)
        return data

    def _take_slot(self, client: str) -> bool:
        """A connection may start: under the cap, and under one client's share of it
        (a client trickling bytes to keep connections open cannot take every slot)."""
        with self._counting:
            if self._open.get(client, 0) >= self.per_client or not self._slots.acquire(blocking=False):
                return False
            self._open[client] = self._open.get(client, 0) + 1
            return True

    def _free_slot(self, client: str) -> None:
        with self._counting:
            self._open[client] -= 1
            if not self._open[client]:
                del self._open[client]
            self._slots.release()

    def handle_error(self, request: Any, client_address: Any) -> None:
        """A client that hung up or went quiet is normal on a board: no traceback for it."""
        if isinstance(sys.exc_info()[1], (ConnectionError, TimeoutError)):
            return
        super().handle_error(request, client_address)

    def shutdown(self) -> None:
        self.stopping.set()
        super().shutdown()


def allowed_hosts(bound: str) -> frozenset[str]:
    """The host names a browser may use for this board (without the port).

    Bound to loopback or a named address: those names. Bound to every
    interface: any IP address, this machine's names, and localhost; never a
    made-up domain name pointed at us (DNS rebinding)."""
    names = set(LOOPBACK_NAMES)
    if bound in ("", "0.0.0.0", "::"):
        names |= {socket.gethostname().lower(), socket.getfqdn().lower(), "*"}
    else:
        names.add(bound.lower())
    return frozenset(names)


def host_allowed(header: str | None, hosts: frozenset[str], port: int) -> bool:
    if not header:
        return False
    parsed = urlsplit(f"//{header}")
    try:
        given_port = parsed.port
    except ValueError:
        return False
    name = (parsed.hostname or "").lower()
    if given_port not in (port, None if port == 80 else port):
        return False
    if name in hosts:
        return True
    if "*" not in hosts:
        return False
    try:
        ipaddress.ip_address(name)
    except ValueError:
        return False
    return True


class _Handler(BaseHTTPRequestHandler):
    server: BoardServer
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: object) -> None:
        """Quiet: a workshop terminal is for the link, not for access logs."""

    def end_headers(self) -> None:
        for name, value in SECURITY_HEADERS:
            self.send_header(name, value)
        super().end_headers()

    # -- requests ------------------------------------------------------------------------------

    def do_GET(self) -> None:
        if not self.admitted():
            return
        path = urlsplit(self.path).path
        routes: dict[str, Callable[[], None]] = {"/state": self.state, "/events": self.events}
        if path in STATIC:
            self.static(*STATIC[path])
        elif path in routes:
            routes[path]()
        elif path.startswith("/view/") and path.endswith(".json"):
            self.manifest(path.removeprefix("/view/").removesuffix(".json"))
        elif path.startswith("/view/") and path.endswith(".svg") and path.count("/") == 3:
            view, etag = path.removeprefix("/view/").removesuffix(".svg").split("/")
            self.page(view, etag)
        elif path.startswith("/view/") and path.endswith(".svg"):
            self.view(path.removeprefix("/view/").removesuffix(".svg"))
        else:
            self.send(HTTPStatus.NOT_FOUND, b"not found", "text/plain; charset=utf-8")

    def do_POST(self) -> None:
        if not self.admitted():
            return
        body = self.json_body()
        if body is None:
            return
        workshop = self.server.workshop
        path = urlsplit(self.path).path
        if workshop is None:
            self.reply(HTTPStatus.FORBIDDEN, {"status": "refused", "message": "editing is off: esp serve --edit"})
        elif path == "/change":
            change = Change(
                _text(body, "action"),
                _text(body, "kind"),
                _text(body, "name"),
                _text(body, "new_name"),
                {str(k): str(v) for k, v in dict(body.get("details") or {}).items()},
            )
            self.outcome(workshop.submit(change, _text(body, "who"), _int(body, "base"), _text(body, "file")))
        elif path == "/undo":
            self.outcome(workshop.undo(_text(body, "who"), _int(body, "base")))
        else:
            self.reply(HTTPStatus.NOT_FOUND, {"status": "refused", "message": "not found"})

    def admitted(self) -> bool:
        """The Host names this board; with a token, the request carries it."""
        if not host_allowed(self.headers.get("Host"), self.server.hosts, self.server.server_address[1]):
            self.send(HTTPStatus.MISDIRECTED_REQUEST, b"this board does not answer to that Host", "text/plain")
            return False
        token = self.server.token
        if not token:
            return True
        given = parse_qs(urlsplit(self.path).query).get("token", [""])[0]
        cookie = SimpleCookie(self.headers.get("Cookie", "")).get(self.cookie_name())
        if hmac.compare_digest(given, token) or (cookie is not None and hmac.compare_digest(cookie.value, token)):
            return True
        self.send(HTTPStatus.FORBIDDEN, b"open the board with the link esp serve printed: it has a token", "text/plain")
        return False

    def cookie_name(self) -> str:
        """One cookie per board: cookies are per host, not per port."""
        return f"esp_token_{self.server.server_address[1]}"

    def json_body(self) -> dict[str, Any] | None:
        """The request's JSON object, if it came from the board's own page."""
        origin = self.headers.get("Origin")
        if origin is not None and urlsplit(origin).netloc != self.headers.get("Host"):
            self.reply(HTTPStatus.FORBIDDEN, {"status": "refused", "message": "changes come from the board's page"})
            return None
        if not (self.headers.get("Content-Type") or "").startswith("application/json"):
            self.reply(HTTPStatus.UNSUPPORTED_MEDIA_TYPE, {"status": "refused", "message": "send JSON"})
            return None
        try:
            length = int(self.headers.get("Content-Length") or "0")
        except ValueError:
            length = -1
        if not 0 < length <= MAX_BODY:
            self.reply(HTTPStatus.REQUEST_ENTITY_TOO_LARGE, {"status": "refused", "message": "a change is small"})
            return None
        try:
            body = json.loads(self.rfile.read(length))
        except ValueError:
            body = None
        if not isinstance(body, dict):
            self.reply(HTTPStatus.BAD_REQUEST, {"status": "refused", "message": "send a JSON object"})
            return None
        return body

    # -- answers -------------------------------------------------------------------------------

    def send(self, status: HTTPStatus, body: bytes, content_type: str, *extra: tuple[str, str]) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        for name, value in extra:
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(body)

    def reply(self, status: HTTPStatus, data: dict[str, Any]) -> None:
        self.send(status, json.dumps(data).encode(), "application/json")

    def outcome(self, outcome: Outcome) -> None:
        statuses = {"ok": HTTPStatus.OK, "conflict": HTTPStatus.CONFLICT}
        self.reply(statuses.get(outcome.status, HTTPStatus.UNPROCESSABLE_ENTITY), outcome.as_json())

    def static(self, name: str, content_type: str) -> None:
        body = resources.files(__package__).joinpath(name).read_bytes()
        extra = []
        if self.server.token and name == "page.html":  # later requests (the event stream too) carry it
            extra.append(("Set-Cookie", f"{self.cookie_name()}={self.server.token}; HttpOnly; SameSite=Strict; Path=/"))
        self.send(HTTPStatus.OK, body, content_type, *extra)

    def state(self) -> None:
        board = self.server.board
        snapshot = board.snapshot
        data = snapshot.as_json(board.views, board.render_error)
        workshop = self.server.workshop
        data["editable"] = workshop is not None
        if workshop is not None:
            data["names"] = names(snapshot.model) if snapshot.model is not None else {}
            data["added"] = workshop.added()
            data["log"] = workshop.log()
            data["undo"] = workshop.undoable()
        body = json.dumps(data).encode()
        if len(body) > GZIP_FROM and "gzip" in (self.headers.get("Accept-Encoding") or ""):  # a big model's to-dos
            zipped = gzip.compress(body, compresslevel=6, mtime=0)
            self.send(
                HTTPStatus.OK, zipped, "application/json", ("Content-Encoding", "gzip"), ("Vary", "Accept-Encoding")
            )
        else:
            self.send(HTTPStatus.OK, body, "application/json", ("Vary", "Accept-Encoding"))

    def view(self, name: str) -> None:
        """The whole drawing of a view, as one SVG."""
        self.svg(name, self.server.board.drawing(name))

    def manifest(self, name: str) -> None:
        """A view's pages: where each goes and its etag, so the page fetches only the changed ones."""
        drawn = self.server.board.pages(name)
        if drawn is None:
            self.send(HTTPStatus.NOT_FOUND, b"no such view", "text/plain; charset=utf-8")
        else:
            self.reply(HTTPStatus.OK, drawn[1].manifest(drawn[0]))

    def page(self, name: str, etag: str) -> None:
        """One page of a recent drawing of a view, by its etag (a page's name for its text)."""
        self.svg(etag, self.server.board.page(name, etag), "no such page (the drawing changed since: ask again)")

    def svg(self, key: str, svg: str | None, missing: str = "no such view") -> None:
        if svg is None:
            self.send(HTTPStatus.NOT_FOUND, missing.encode(), "text/plain; charset=utf-8")
        elif "gzip" in (self.headers.get("Accept-Encoding") or ""):
            zipped = self.server.compressed(key, svg)
            self.send(HTTPStatus.OK, zipped, "image/svg+xml", ("Content-Encoding", "gzip"), ("Vary", "Accept-Encoding"))
        else:
            self.send(HTTPStatus.OK, svg.encode(), "image/svg+xml", ("Vary", "Accept-Encoding"))

    def events(self) -> None:
        """Server-sent events: one 'update' per new version, heartbeats between."""
        self.send_response(HTTPStatus.OK)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Cache-Control", "no-store")
        self.send_header("Connection", "keep-alive")
        self.end_headers()
        board = self.server.board
        version = -1
        last_beat = time.monotonic()
        try:
            while not self.server.stopping.is_set():
                snapshot = board.wait_for_change(version, timeout=1.0)
                if snapshot.version != version:
                    version = snapshot.version
                    self.wfile.write(f"event: update\ndata: {version}\n\n".encode())
                    self.wfile.flush()
                elif time.monotonic() - last_beat > HEARTBEAT_SECONDS:
                    self.wfile.write(b": heartbeat\n\n")
                    self.wfile.flush()
                    last_beat = time.monotonic()
        except OSError:  # the page closed, or stopped reading
            self.close_connection = True


def names(model: Model) -> dict[str, list[Any]]:
    """What the page's forms offer to pick from."""
    return {
        "processes": [{"name": p.name, "file": p.loc.file} for p in model.processes],
        "events": sorted({e.name for p in model.processes for e in p.events}),
        "commands": sorted(c.name for c in model.commands),
        "actors": sorted({a.name for j in model.journeys for a in j.actors}),
        "microservices": sorted(m.name for m in model.microservices),
    }


def _text(body: dict[str, Any], key: str) -> str:
    value = body.get(key, "")
    return value if isinstance(value, str) else str(value)


def _int(body: dict[str, Any], key: str) -> int:
    value = body.get(key, 0)
    return value if isinstance(value, int) and not isinstance(value, bool) else 0


def serve(
    board: Board,
    paths: Sequence[Path],
    host: str,
    port: int,
    *,
    workshop: Workshop | None = None,
    token: str = "",
    idle_timeout: float = IDLE_SECONDS,
) -> BoardServer:
    """Start serving ``board`` in background threads; the caller owns shutdown."""
    board.refresh()
    server = BoardServer((host, port), board, workshop=workshop, token=token, idle_timeout=idle_timeout)
    threading.Thread(target=server.serve_forever, name="esp-serve", daemon=True).start()
    threading.Thread(target=server.watch, args=(paths,), name="esp-watch", daemon=True).start()
    return server
