"""`esp serve`'s board and HTTP server, over real sockets (no browser: see test_serve_browser.py)."""

from __future__ import annotations

import html
import http.client
import json
import shutil
import socket
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from esp.errors import UserError
from esp.model import Model
from esp.serve import Board, BoardServer, serve

ROOT = Path(__file__).resolve().parent.parent


def names_renderer(model: Model, view: str) -> str:
    """A stand-in drawing that lists the model's names: enough to see what the board shows."""
    names = " ".join(e.name for e in model.events)
    return f"<svg xmlns='http://www.w3.org/2000/svg'><text>{view}: {names}</text></svg>"


@pytest.fixture
def journey(tmp_path: Path) -> Path:
    target = tmp_path / "restaurant.yaml"
    shutil.copy(ROOT / "journeys" / "restaurant.yaml", target)
    return target


@pytest.fixture
def server(journey: Path) -> Iterator[BoardServer]:
    board = Board([journey], names_renderer, ["esp", "flow"])
    running = serve(board, [journey], "127.0.0.1", 0)
    yield running
    running.shutdown()
    running.server_close()


def get(server: BoardServer, path: str, headers: dict[str, str] | None = None) -> tuple[int, str, str]:
    host, port = server.server_address[:2]
    conn = http.client.HTTPConnection(str(host), port, timeout=10)
    conn.request("GET", path, headers=headers or {})
    response = conn.getresponse()
    body = response.read().decode()
    conn.close()
    return response.status, response.getheader("Content-Type") or "", body


def wait_for_version(server: BoardServer, above: int) -> dict[str, object]:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        state: dict[str, object] = json.loads(get(server, "/state")[2])
        if int(str(state["version"])) > above:
            return state
        time.sleep(0.05)
    raise AssertionError("the board never saw the change")


def test_page_state_and_views(server: BoardServer) -> None:
    status, ctype, page = get(server, "/")
    assert status == 200 and ctype.startswith("text/html")
    assert '<script src="/board.js"' in page and "<script>" not in page and "style=" not in page
    status, ctype, script = get(server, "/board.js")
    assert status == 200 and ctype.startswith("text/javascript") and "EventSource" in script
    assert "http" not in script and "http" not in get(server, "/board.css")[2]  # nothing from the internet
    state = json.loads(get(server, "/state")[2])
    assert state["views"] == ["esp", "flow"]
    assert state["errors"] == 0 and state["stale"] is False
    assert any("re-open" in h for h in state["hotspots"])
    status, ctype, svg = get(server, "/view/esp.svg")
    assert status == 200 and ctype == "image/svg+xml" and "TableOpened" in svg
    assert get(server, "/view/nope.svg")[0] == 404
    assert get(server, "/nothing")[0] == 404


def test_drawings_go_gzipped_to_pages_that_take_it(server: BoardServer) -> None:
    import gzip

    host, port = server.server_address[:2]
    conn = http.client.HTTPConnection(str(host), port, timeout=10)
    for _ in range(2):  # compressed once, sent twice
        conn.request("GET", "/view/esp.svg", headers={"Accept-Encoding": "gzip, deflate"})
        response = conn.getresponse()
        body = response.read()
        assert response.getheader("Content-Encoding") == "gzip" and response.getheader("Vary") == "Accept-Encoding"
        assert gzip.decompress(body).decode() == get(server, "/view/esp.svg")[2]
    conn.close()
    assert "TableOpened" in get(server, "/view/esp.svg")[2]  # plain without Accept-Encoding


def test_saving_a_change_redraws(server: BoardServer, journey: Path) -> None:
    version = int(json.loads(get(server, "/state")[2])["version"])
    journey.write_text(journey.read_text(encoding="utf-8").replace("TableOpened", "TableTaken"), encoding="utf-8")
    state = wait_for_version(server, version)
    assert state["errors"] == 0
    svg = get(server, "/view/esp.svg")[2]
    assert "TableTaken" in svg and "TableOpened" not in svg


def test_invalid_yaml_keeps_the_last_good_drawing(server: BoardServer, journey: Path) -> None:
    version = int(json.loads(get(server, "/state")[2])["version"])
    journey.write_text(
        journey.read_text(encoding="utf-8").replace("emits: [TableOpened]", "emits: [TableOpend"), encoding="utf-8"
    )
    state = wait_for_version(server, version)
    assert state["stale"] is True and int(str(state["errors"])) >= 1
    problems = state["problems"]
    assert isinstance(problems, list) and problems[0]["code"] == "E006"
    assert "TableOpened" in get(server, "/view/esp.svg")[2]


def test_server_sent_events_announce_each_version(server: BoardServer, journey: Path) -> None:
    host, port = server.server_address[:2]
    conn = http.client.HTTPConnection(str(host), port, timeout=30)
    conn.request("GET", "/events")
    response = conn.getresponse()
    assert response.getheader("Content-Type") == "text/event-stream"
    first = response.fp.readline() + response.fp.readline()
    assert first.startswith(b"event: update\ndata: ")
    response.fp.readline()
    journey.write_text(journey.read_text(encoding="utf-8") + "\n# saved again\n", encoding="utf-8")
    second = response.fp.readline() + response.fp.readline()
    assert second.startswith(b"event: update\ndata: ")
    assert int(second.split(b"data: ")[1]) > int(first.split(b"data: ")[1])
    conn.close()


def test_binds_to_loopback_by_default(server: BoardServer) -> None:
    assert server.server_address[0] == "127.0.0.1"
    assert server.url.startswith("http://127.0.0.1:")


def test_cli_draws_only_the_chosen_process(journey: Path) -> None:
    import subprocess
    import sys

    proc = subprocess.Popen(
        [sys.executable, "-m", "esp", "serve", str(journey), "--process", "Pay"], stdout=subprocess.PIPE, text=True
    )
    assert proc.stdout is not None
    try:
        url = proc.stdout.readline().split("http://")[1].strip().rstrip("/")
        host, port = url.split(":")
        conn = http.client.HTTPConnection(host, int(port), timeout=30)
        conn.request("GET", "/view/esp.svg")
        svg = conn.getresponse().read().decode()
        conn.close()
        assert "Billable Order" in svg and "Manage Menu" not in svg
    finally:
        proc.terminate()
        proc.wait(timeout=10)
        proc.stdout.close()


def test_cli_refuses_an_unknown_process(journey: Path) -> None:
    import subprocess
    import sys

    done = subprocess.run(
        [sys.executable, "-m", "esp", "serve", str(journey), "--process", "Nope"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 2, done.stderr
    assert "Nope" in done.stderr and "Traceback" not in done.stderr


# -- hardening: Host check, timeouts, quiet disconnects, headers (issue 10.5) -----------------------


def raw_status(server: BoardServer, request: bytes) -> bytes:
    """The status line the board answers a hand-written request with."""
    with socket.create_connection(server.server_address[:2], timeout=10) as sock:
        sock.sendall(request)
        return sock.recv(4096).split(b"\r\n", 1)[0]


def test_the_host_header_must_name_the_board(server: BoardServer) -> None:
    port = server.server_address[1]
    for host in (f"127.0.0.1:{port}", f"localhost:{port}", f"[::1]:{port}"):
        assert get(server, "/state", {"Host": host})[0] == 200, host
    for host in (f"evil.example:{port}", "evil.example", f"127.0.0.1:{port + 1}", f"127.0.0.1.evil.example:{port}"):
        status, _, body = get(server, "/state", {"Host": host})
        assert status == 421 and "Host" in body, host  # a DNS-rebinding page reads nothing
    assert raw_status(server, b"GET /state HTTP/1.0\r\n\r\n").endswith(b" 421 Misdirected Request")  # no Host


def test_every_answer_says_what_it_is_and_what_the_page_may_load(server: BoardServer) -> None:
    host, port = server.server_address[:2]
    for path in ("/", "/board.js", "/state", "/view/esp.svg", "/nothing"):
        conn = http.client.HTTPConnection(str(host), port, timeout=10)
        conn.request("GET", path)
        response = conn.getresponse()
        response.read()
        conn.close()
        assert response.getheader("X-Content-Type-Options") == "nosniff", path
        policy = response.getheader("Content-Security-Policy") or ""
        assert "default-src 'none'" in policy and "script-src 'self'" in policy, path
        assert "frame-ancestors 'none'" in policy, path


@pytest.fixture
def quick(journey: Path) -> Iterator[BoardServer]:
    """A board whose connections time out after half a second."""
    board = Board([journey], names_renderer, ["esp"])
    running = serve(board, [journey], "127.0.0.1", 0, idle_timeout=0.5)
    yield running
    running.shutdown()
    running.server_close()


def closed_by_server(sock: socket.socket) -> bool:
    sock.settimeout(10)
    try:
        while sock.recv(4096):
            pass
    except ConnectionResetError:
        pass
    return True


def test_idle_and_half_open_connections_time_out(quick: BoardServer) -> None:
    import threading

    before = threading.active_count()
    address = quick.server_address[:2]
    half_open = [socket.create_connection(address, timeout=10) for _ in range(40)]
    for n, sock in enumerate(half_open):
        sock.sendall(b"GET /state HTTP/1.1\r\nHost: 127.0.0.1" if n % 2 else b"")  # never finished
    idle = socket.create_connection(address, timeout=10)
    port = quick.server_address[1]
    idle.sendall(f"GET /state HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n\r\n".encode())  # then keep-alive, silent
    assert idle.recv(4096).startswith(b"HTTP/1.1 200")
    started = time.monotonic()
    for sock in [*half_open, idle]:
        assert closed_by_server(sock)
        sock.close()
    assert time.monotonic() - started < 8
    deadline = time.monotonic() + 10
    while threading.active_count() > before and time.monotonic() < deadline:
        time.sleep(0.05)
    assert threading.active_count() <= before  # every connection's thread is gone


def test_connections_beyond_the_cap_are_closed_at_once(journey: Path) -> None:
    board = Board([journey], names_renderer, ["esp"])
    board.refresh()
    server = BoardServer(("127.0.0.1", 0), board, max_connections=3, idle_timeout=5)
    import threading

    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        held = [socket.create_connection(server.server_address[:2], timeout=10) for _ in range(3)]
        time.sleep(0.2)
        extra = socket.create_connection(server.server_address[:2], timeout=10)
        started = time.monotonic()
        assert closed_by_server(extra) and time.monotonic() - started < 2
        for sock in [*held, extra]:
            sock.close()
    finally:
        server.shutdown()
        server.server_close()


def test_one_client_cannot_take_every_connection(journey: Path) -> None:
    import threading

    board = Board([journey], names_renderer, ["esp"])
    board.refresh()
    server = BoardServer(("127.0.0.1", 0), board, idle_timeout=5)
    server.per_client = 3
    threading.Thread(target=server.serve_forever, daemon=True).start()
    address = server.server_address[:2]
    try:
        held = [socket.create_connection(address, timeout=10) for _ in range(3)]
        time.sleep(0.2)
        extra = socket.create_connection(address, timeout=10)
        started = time.monotonic()
        assert closed_by_server(extra) and time.monotonic() - started < 2
        other = socket.create_connection(address, timeout=10, source_address=("127.0.0.2", 0))
        other.sendall(f"GET /state HTTP/1.1\r\nHost: 127.0.0.1:{address[1]}\r\n\r\n".encode())
        assert other.recv(4096).startswith(b"HTTP/1.1 200")  # another participant still gets in
        for sock in [*held, extra, other]:
            sock.close()
    finally:
        server.shutdown()
        server.server_close()


def test_a_client_that_hangs_up_is_not_an_error(journey: Path) -> None:
    import struct
    import subprocess
    import sys

    proc = subprocess.Popen(
        [sys.executable, "-m", "esp", "serve", str(journey)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    assert proc.stdout is not None and proc.stderr is not None
    try:
        url = proc.stdout.readline().split("http://")[1].strip().rstrip("/")
        host, port = url.split(":")
        for path in ["/view/esp.svg", "/events", "/state", "/"] * 5:
            sock = socket.create_connection((host, int(port)), timeout=10)
            sock.sendall(f"GET {path} HTTP/1.1\r\nHost: {url}\r\n\r\n".encode())
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            sock.close()  # a reset, mid-answer
        time.sleep(1.5)
        assert get_url(host, int(port), "/state")[0] == 200  # still serving
    finally:
        proc.terminate()
        proc.wait(timeout=10)
        errors = proc.stderr.read()
        proc.stdout.close()
        proc.stderr.close()
    assert "Traceback" not in errors and "Error" not in errors, errors


def get_url(host: str, port: int, path: str) -> tuple[int, str]:
    conn = http.client.HTTPConnection(host, port, timeout=10)
    conn.request("GET", path)
    response = conn.getresponse()
    body = response.read().decode()
    conn.close()
    return response.status, body


@pytest.mark.parametrize("target", ["nope.yaml", "empty-folder"])
def test_a_missing_journey_is_refused_at_start(tmp_path: Path, target: str) -> None:
    import subprocess
    import sys

    (tmp_path / "empty-folder").mkdir()
    done = subprocess.run(
        [sys.executable, "-m", "esp", "serve", str(tmp_path / target)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 2, done.stderr
    assert target in done.stderr and ("E001" in done.stderr or "E014" in done.stderr)
    assert "Traceback" not in done.stderr and not done.stdout


# -- editing over HTTP: off unless --edit, JSON from the board's own page, a token off loopback --------


def post(server: BoardServer, path: str, body: object, headers: dict[str, str] | None = None) -> tuple[int, dict]:
    host, port = server.server_address[:2]
    conn = http.client.HTTPConnection(str(host), port, timeout=10)
    sent = {"Content-Type": "application/json", **(headers or {})}
    conn.request("POST", path, body=json.dumps(body).encode(), headers=sent)
    response = conn.getresponse()
    data = json.loads(response.read() or b"{}")
    conn.close()
    return response.status, data


ADD = {"action": "add", "kind": "actor", "name": "Sommelier", "who": "Ana", "base": 1}


def test_editing_is_off_unless_asked_for(server: BoardServer, journey: Path) -> None:
    before = journey.read_bytes()
    status, data = post(server, "/change", ADD)
    assert status == 403 and "--edit" in data["message"]
    assert json.loads(get(server, "/state")[2])["editable"] is False
    assert journey.read_bytes() == before


@pytest.fixture
def editing(journey: Path) -> Iterator[BoardServer]:
    from esp.serve import Workshop

    board = Board([journey], names_renderer, ["esp"], "workshop")
    running = serve(board, [journey], "127.0.0.1", 0, workshop=Workshop(board))
    yield running
    running.shutdown()
    running.server_close()


def test_changes_come_as_json_from_the_boards_own_page(editing: BoardServer, journey: Path) -> None:
    before = journey.read_bytes()
    port = editing.server_address[1]
    assert post(editing, "/change", ADD, {"Origin": "http://evil.example"})[0] == 403
    assert post(editing, "/change", ADD, {"Origin": f"http://localhost:{port}"})[0] == 403  # not the Host used
    assert post(editing, "/change", ADD, {"Content-Type": "text/plain"})[0] == 415
    assert post(editing, "/change", [ADD])[0] == 400
    assert post(editing, "/change", {**ADD, "name": "x" * 20_000})[0] == 413
    assert journey.read_bytes() == before
    status, data = post(editing, "/change", ADD, {"Origin": f"http://127.0.0.1:{port}"})
    assert status == 200 and data["status"] == "ok" and data["message"] == "added actor Sommelier"
    state = json.loads(get(editing, "/state")[2])
    assert state["editable"] is True and state["version"] == data["version"]
    assert state["added"] == [{"kind": "actor", "name": "Sommelier", "who": "Ana", "file": str(journey)}]
    assert state["log"][-1]["what"] == "added actor Sommelier" and state["undo"] == "added actor Sommelier"
    assert "Dine" in [p["name"] for p in state["names"]["processes"]]
    status, data = post(editing, "/change", ADD)
    assert status == 409 and data["status"] == "conflict"
    status, data = post(editing, "/change", {**ADD, "name": "Sommelier", "kind": "command", "details": {}})
    assert status == 422 and data["status"] == "refused"
    status, data = post(editing, "/undo", {"who": "Ana", "base": state["version"]})
    assert status == 200 and journey.read_bytes() == before


def test_off_loopback_the_board_wants_its_token(journey: Path) -> None:
    import subprocess
    import sys

    proc = subprocess.Popen(
        [sys.executable, "-m", "esp", "serve", str(journey), "--edit", "--host", "0.0.0.0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None and proc.stderr is not None
    try:
        url = proc.stdout.readline().split("http://")[1].strip()
        where, _, query = url.partition("/?token=")
        assert len(query) >= 20, url
        host, port = where.split(":")
        assert get_url(host, int(port), "/state")[0] == 403
        assert get_url(host, int(port), "/state?token=wrong")[0] == 403
        conn = http.client.HTTPConnection(host, int(port), timeout=10)
        conn.request("GET", f"/?token={query}")
        response = conn.getresponse()
        response.read()
        cookie = (response.getheader("Set-Cookie") or "").split(";")[0]
        assert response.status == 200 and cookie == f"esp_token_{port}={query}"
        conn.request("GET", "/state", headers={"Cookie": cookie})  # the page's later requests carry the cookie
        state = conn.getresponse()
        assert state.status == 200 and json.loads(state.read())["editable"] is True
        conn.close()
    finally:
        proc.terminate()
        proc.wait(timeout=10)
        proc.stdout.close()
        proc.stderr.close()


@pytest.mark.parametrize(
    ("failure", "shown"),
    [
        (UserError("Graphviz's dot could not lay out this drawing: lost edge"), "lost edge"),
        (KeyError("x"), "internal error: KeyError('x')"),
    ],
)
def test_a_view_that_cannot_be_drawn_says_why_on_the_page(
    journey: Path, failure: Exception, shown: str, capsys: pytest.CaptureFixture[str]
) -> None:
    def broken(model: Model, view: str) -> str:
        raise failure

    board = Board([journey], broken, ["esp"])
    running = serve(board, [journey], "127.0.0.1", 0)
    try:
        status, ctype, svg = get(running, "/view/esp.svg")
        assert status == 200 and ctype == "image/svg+xml"
        assert "could not be drawn" in svg and html.escape(shown, quote=False) in svg
        assert json.loads(get(running, "/state")[2])["render_error"].endswith(shown)
    finally:
        running.shutdown()
        running.server_close()


# -- a big map goes page by page: a change in one row is one page to fetch again --------------------


@pytest.fixture
def paged(journey: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[BoardServer]:
    """An editing board that draws the restaurant's ESP map (really, with dot) in pages of two rows."""
    from esp.draw import draw_pages, pages
    from esp.serve import Workshop

    monkeypatch.setattr(pages, "ONE_PAGE_MAX", 2)
    monkeypatch.setattr(pages, "ROWS_PER_PAGE", 2)
    board = Board([journey], draw_pages, ["esp", "context"], "workshop")
    running = serve(board, [journey], "127.0.0.1", 0, workshop=Workshop(board))
    yield running
    running.shutdown()
    running.server_close()


def manifest(server: BoardServer, view: str = "esp") -> dict[str, Any]:
    status, ctype, body = get(server, f"/view/{view}.json")
    assert status == 200 and ctype == "application/json"
    data: dict[str, Any] = json.loads(body)
    return data


def test_a_change_in_one_row_is_one_page_to_fetch_again(paged: BoardServer) -> None:
    before = manifest(paged)
    assert before["paged"] is True and len(before["pages"]) == 2  # rows 1-2 and 3-4
    assert [p["y"] for p in before["pages"]] == [0, before["pages"][0]["height"]]
    assert before["height"] == sum(p["height"] for p in before["pages"])
    shown = []
    for page in before["pages"]:
        status, ctype, svg = get(paged, f"/view/esp/{page['etag']}.svg")
        assert status == 200 and ctype == "image/svg+xml" and svg.startswith("<svg xmlns=")
        shown.append(svg)
    assert ">Pay<" in shown[1] and ">Pay<" not in shown[0]
    whole = get(paged, "/view/esp.svg")[2]
    assert all(svg[svg.index(">") + 1 : svg.rindex("</svg>")] in whole for svg in shown)  # the same pages, stacked

    state = json.loads(get(paged, "/state")[2])
    event = {"action": "add", "kind": "event", "name": "TipLeft", "details": {"process": "Pay"}}
    status, outcome = post(paged, "/change", {**event, "who": "Ana", "base": state["version"]})
    assert status == 200, outcome
    after = manifest(paged)
    assert after["version"] == outcome["version"]
    changed = [a["etag"] != b["etag"] for a, b in zip(before["pages"], after["pages"], strict=True)]
    assert changed == [False, True]
    status, _, svg = get(paged, f"/view/esp/{after['pages'][1]['etag']}.svg")
    assert status == 200 and "Tip Left" in svg
    assert get(paged, "/view/esp/0123456789abcdef01234567.svg")[0] == 404
    assert get(paged, f"/view/context/{after['pages'][1]['etag']}.svg")[0] == 404  # a page of another view

    # undone: the page is as it was, under its old name
    status, outcome = post(paged, "/undo", {"who": "Ana", "base": outcome["version"]})
    assert status == 200, outcome
    assert [p["etag"] for p in manifest(paged)["pages"]] == [p["etag"] for p in before["pages"]]


def test_a_small_view_is_one_page(paged: BoardServer) -> None:
    drawn = manifest(paged, "context")
    assert drawn["paged"] is False and len(drawn["pages"]) == 1
    status, _, svg = get(paged, f"/view/context/{drawn['pages'][0]['etag']}.svg")
    assert status == 200 and svg == get(paged, "/view/context.svg")[2]
    assert get(paged, "/view/nope.json")[0] == 404


def test_pages_and_a_big_state_go_gzipped_to_pages_that_take_it(
    paged: BoardServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    import gzip

    from esp.serve import server

    def fetch(path: str) -> tuple[str | None, bytes]:
        host, port = paged.server_address[:2]
        conn = http.client.HTTPConnection(str(host), port, timeout=10)
        conn.request("GET", path, headers={"Accept-Encoding": "gzip"})
        response = conn.getresponse()
        body = response.read()
        conn.close()
        return response.getheader("Content-Encoding"), body

    etag = manifest(paged)["pages"][0]["etag"]
    encoding, body = fetch(f"/view/esp/{etag}.svg")
    assert encoding == "gzip" and gzip.decompress(body).decode() == get(paged, f"/view/esp/{etag}.svg")[2]
    assert fetch("/state")[0] is None  # the restaurant's state is small
    monkeypatch.setattr(server, "GZIP_FROM", 100)  # as a 200-process journey's list of to-dos is not
    encoding, body = fetch("/state")
    assert encoding == "gzip" and json.loads(gzip.decompress(body))["views"] == ["esp", "context"]


def test_a_new_model_is_drawn_ahead_for_the_views_pages_show(journey: Path) -> None:
    """The drawing starts when the change is in, not when the pages ask for it; views nobody
    looked at are not drawn."""
    import threading

    drawn: list[tuple[str, str]] = []
    done = threading.Event()

    def counting(model: Model, view: str) -> str:
        drawn.append((view, " ".join(e.name for e in model.events)))
        done.set()
        return names_renderer(model, view)

    board = Board([journey], counting, ["esp", "flow"])
    board.refresh()
    assert drawn == []  # nobody asked yet
    board.pages("esp")
    done.clear()
    journey.write_text(journey.read_text(encoding="utf-8").replace("TableOpened", "TableTaken"), encoding="utf-8")
    board.refresh()
    assert done.wait(30)
    assert [view for view, _ in drawn] == ["esp", "esp"] and "TableTaken" in drawn[-1][1]
