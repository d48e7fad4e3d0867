"""`esp serve`: time from saving a journey to the page having the new drawing.

A real `esp serve` process watches the file; a client holds the page's
server-sent event stream open, as the browser does. Each round appends a
comment to the journey (a save), waits for the 'update' event, then fetches
the current view's SVG — what the page does. Target: under 1 s for the
restaurant journey. Results go in docs/performance.md under "## esp serve".
"""

from __future__ import annotations

import argparse
import http.client
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.diagram import journey_yaml

ROOT = Path(__file__).resolve().parent.parent


def _update(stream: http.client.HTTPResponse) -> int:
    """Block until the next 'update' event; its version."""
    while True:
        line = stream.fp.readline()
        if line.startswith(b"data: "):
            return int(line.removeprefix(b"data: "))


def save_to_drawing(journey: Path, rounds: int, view: str) -> list[float]:
    proc = subprocess.Popen([sys.executable, "-m", "esp", "serve", str(journey)], stdout=subprocess.PIPE, text=True)
    assert proc.stdout is not None
    try:
        url = proc.stdout.readline().split("http://")[1].strip().rstrip("/")
        host, port = url.split(":")
        events = http.client.HTTPConnection(host, int(port), timeout=60)
        events.request("GET", "/events")
        stream = events.getresponse()
        _update(stream)
        page = http.client.HTTPConnection(host, int(port), timeout=60)
        times = []
        for n in range(rounds):
            start = time.perf_counter()
            with journey.open("a", encoding="utf-8") as f:
                f.write(f"# saved {n}\n")
            _update(stream)
            page.request("GET", f"/view/{view}.svg")
            body = page.getresponse().read()
            times.append(time.perf_counter() - start)
            assert body.startswith(b"<?xml") or b"<svg" in body
        return times
    finally:
        proc.terminate()
        proc.wait(timeout=10)
        proc.stdout.close()


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=10)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        restaurant = Path(tmp) / "restaurant.yaml"
        shutil.copy(ROOT / "journeys" / "restaurant.yaml", restaurant)
        big = Path(tmp) / "synthetic-200.yaml"
        big.write_text(journey_yaml(200), encoding="utf-8")
        for name, path in (("restaurant", restaurant), ("200 processes", big)):
            for view in ("esp", "context"):
                times = save_to_drawing(path, args.rounds, view)
                print(
                    f"{name:14} view {view:8} median {statistics.median(times) * 1000:7.0f} ms   "
                    f"max {max(times) * 1000:7.0f} ms   ({args.rounds} saves)"
                )


if __name__ == "__main__":
    main(sys.argv[1:])
