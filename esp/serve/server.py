"""The HTTP side of the board: the page, its state, the drawings, and a
server-sent event stream that tells every open page when to redraw."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Sequence
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from importlib import resources
from pathlib import Path
from urllib.parse import urlsplit

from esp.serve.board import Board, signature

POLL_SECONDS = 0.1  # how often the files are looked at: well under the 1 s budget
HEARTBEAT_SECONDS = 15.0


class BoardServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, address: tuple[str, int], board: Board) -> None:
        super().__init__(address, _Handler)
        self.board = board
        self.stopping = threading.Event()

    @property
    def url(self) -> str:
        host, port = str(self.server_address[0]), self.server_address[1]
        shown = "127.0.0.1" if host in ("", "0.0.0.0") else host
        return f"http://{shown}:{port}/"

    def watch(self, paths: Sequence[Path]) -> None:
        """Poll the journey files and refresh the board when they change."""
        seen = signature(paths)
        while not self.stopping.wait(POLL_SECONDS):
            now = signature(paths)
            if now != seen:
                seen = now
                self.board.refresh()

    def shutdown(self) -> None:
        self.stopping.set()
        super().shutdown()


class _Handler(BaseHTTPRequestHandler):
    server: BoardServer
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: object) -> None:
        """Quiet: a workshop terminal is for the link, not for access logs."""

    def do_GET(self) -> None:
        path = urlsplit(self.path).path
        routes: dict[str, Callable[[], None]] = {"/": self.page, "/state": self.state, "/events": self.events}
        if path in routes:
            routes[path]()
        elif path.startswith("/view/") and path.endswith(".svg"):
            self.view(path.removeprefix("/view/").removesuffix(".svg"))
        else:
            self.send(HTTPStatus.NOT_FOUND, b"not found", "text/plain; charset=utf-8")

    def send(self, status: HTTPStatus, body: bytes, content_type: str) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
        self.wfile.write(body)

    def page(self) -> None:
        body = resources.files(__package__).joinpath("page.html").read_bytes()
        self.send(HTTPStatus.OK, body, "text/html; charset=utf-8")

    def state(self) -> None:
        board = self.server.board
        body = json.dumps(board.snapshot.as_json(board.views, board.render_error)).encode()
        self.send(HTTPStatus.OK, body, "application/json")

    def view(self, name: str) -> None:
        svg = self.server.board.drawing(name)
        if svg is None:
            self.send(HTTPStatus.NOT_FOUND, b"no such view", "text/plain; charset=utf-8")
        else:
            self.send(HTTPStatus.OK, svg.encode(), "image/svg+xml")

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
        except (BrokenPipeError, ConnectionResetError):
            return


def serve(board: Board, paths: Sequence[Path], host: str, port: int) -> BoardServer:
    """Start serving ``board`` in background threads; the caller owns shutdown."""
    board.refresh()
    server = BoardServer((host, port), board)
    threading.Thread(target=server.serve_forever, name="esp-serve", daemon=True).start()
    threading.Thread(target=server.watch, args=(paths,), name="esp-watch", daemon=True).start()
    return server
