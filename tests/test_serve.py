"""`esp serve`'s board and HTTP server, over real sockets (no browser: see test_serve_browser.py)."""

from __future__ import annotations

import http.client
import json
import shutil
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

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


def get(server: BoardServer, path: str) -> tuple[int, str, str]:
    host, port = server.server_address[:2]
    conn = http.client.HTTPConnection(str(host), port, timeout=10)
    conn.request("GET", path)
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
    assert "EventSource" in page and "http" not in page.split("<script>")[1].replace("http://www.w3.org", "")
    state = json.loads(get(server, "/state")[2])
    assert state["views"] == ["esp", "flow"]
    assert state["errors"] == 0 and state["stale"] is False
    assert any("re-open" in h for h in state["hotspots"])
    status, ctype, svg = get(server, "/view/esp.svg")
    assert status == 200 and ctype == "image/svg+xml" and "TableOpened" in svg
    assert get(server, "/view/nope.svg")[0] == 404
    assert get(server, "/nothing")[0] == 404


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
