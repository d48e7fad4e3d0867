"""`esp serve`: how soon a change is on every open page.

Two measurements, on the restaurant journey and on a 200-process journey:

- **save**: time from saving a journey in an editor to the page having the new
  drawing. A real `esp serve` process watches the file; a client holds the
  page's server-sent event stream open, as the browser does. Each round
  appends a comment (a save), waits for the 'update' event, then fetches the
  current view's SVG — what the page does.
- **board**: time from one participant's change on the board (`esp serve
  --edit`: the POST the page sends) to another participant's page having the
  new drawing. Rounds alternate adding an event to a process row and
  removing it again, interleaved with the saves above (the baseline: the
  same server, the same machine moment).

``--browser`` measures the board change between two real headless Chromiums
instead: browser A sends the change as its page does, browser B records when
its drawing has the new version and has been painted.

Target: under 1 s. Results go in docs/performance.md under "## esp serve".
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Any

from bench.diagram import journey_yaml

ROOT = Path(__file__).resolve().parent.parent


@contextmanager
def board(journey: Path, *options: str, tree: Path = ROOT) -> Iterator[tuple[str, int]]:
    """A real `esp serve` process (esp of ``tree``) on ``journey``: its host and port while it runs."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "esp", "serve", str(journey), *options], stdout=subprocess.PIPE, text=True, cwd=tree
    )
    assert proc.stdout is not None
    try:
        url = proc.stdout.readline().split("http://")[1].strip().rstrip("/")
        host, port = url.split(":")
        yield host, int(port)
    finally:
        proc.terminate()
        proc.wait(timeout=10)
        proc.stdout.close()


class Page:
    """What the board's page does: hold the event stream, fetch the state and the drawing."""

    def __init__(self, host: str, port: int, view: str) -> None:
        self.view = view
        events = http.client.HTTPConnection(host, port, timeout=60)
        events.request("GET", "/events")
        self.stream = events.getresponse()
        self.conn = http.client.HTTPConnection(host, port, timeout=60)
        self.version = self.next_update()
        self.etags: set[str] = set()  # the pages this page shows

    def next_update(self) -> int:
        while True:
            line = self.stream.fp.readline()
            if line.startswith(b"data: "):
                return int(line.removeprefix(b"data: "))

    def get(self, path: str) -> tuple[int, bytes]:
        self.conn.request("GET", path)
        response = self.conn.getresponse()
        return response.status, response.read()

    def follow(self, version: int = 0) -> None:
        """Wait for the update (at least ``version``), then fetch what the page fetches:
        the state, the list of pages and the pages it does not have (a board from before
        pages: the whole drawing)."""
        target = max(version, self.version + 1)
        while self.version < target:
            self.version = self.next_update()
        self.get("/state")
        status, manifest = self.get(f"/view/{self.view}.json")
        if status == 404:
            assert b"<svg" in self.get(f"/view/{self.view}.svg")[1]
            return
        etags = {page["etag"] for page in json.loads(manifest)["pages"]}
        for etag in etags - self.etags:
            assert b"<svg" in self.get(f"/view/{self.view}/{etag}.svg")[1]
        self.etags = etags


def post(page: Page, path: str, body: dict[str, Any]) -> dict[str, Any]:
    data = json.dumps(body).encode()
    page.conn.request("POST", path, body=data, headers={"Content-Type": "application/json"})
    outcome: dict[str, Any] = json.loads(page.conn.getresponse().read())
    assert outcome["status"] == "ok", outcome
    return outcome


def change(n: int, process: str, base: int) -> dict[str, Any]:
    """Round ``n``'s change: add an event to ``process``, or remove the one added before."""
    body = {"kind": "event", "name": f"BenchNoted{n // 2}", "who": "A", "base": base}
    if n % 2 == 0:
        return body | {"action": "add", "details": {"process": process}}
    return body | {"action": "remove"}


def save_and_board(
    journey: Path, process: str, rounds: int, view: str, options: tuple[str, ...] = ()
) -> tuple[list[float], list[float]]:
    """Interleaved rounds: (save → drawing) and (board change → another page's drawing)."""
    saves, edits = [], []
    with board(journey, "--edit", *options) as (host, port):
        watcher = Page(host, port, view)  # the other participant's page
        author = Page(host, port, view)  # the participant who changes the board
        for n in range(rounds + 1):
            start = time.perf_counter()
            with journey.open("a", encoding="utf-8") as f:
                f.write(f"# saved {n}\n")
            watcher.follow()
            saved = time.perf_counter() - start
            author.follow(watcher.version)
            start = time.perf_counter()
            outcome = post(author, "/change", change(n, process, watcher.version))
            watcher.follow(outcome["version"])
            if n:  # the first round warms the drawing cache up
                saves.append(saved)
                edits.append(time.perf_counter() - start)
            author.follow(outcome["version"])
    return saves, edits


def browsers(
    journey: Path, process: str, rounds: int, profile: Path, options: tuple[str, ...] = (), tree: Path = ROOT
) -> list[float]:
    """Board change in browser A → new drawing painted in browser B, in real Chromiums."""
    from tests.test_serve_browser import new_browser, wait_until

    with board(journey, "--edit", *options, tree=tree) as (host, port):
        a, b = new_browser(profile / "a"), new_browser(profile / "b")
        try:
            for page in (a, b):
                page.get(f"http://{host}:{port}/")
                wait_until(lambda p=page: bool(p.execute_script("return document.body.dataset.version")), "the board")
            b.execute_script(
                "window.marks = {}; const d = document.getElementById('drawing');"
                "new MutationObserver(() => requestAnimationFrame(() => {"
                " window.marks[d.dataset.version] = window.marks[d.dataset.version] || Date.now(); }))"
                ".observe(d, {attributes: true, attributeFilter: ['data-version']});"
            )
            times = []
            for n in range(rounds + 1):
                base = int(a.execute_script("return Number(document.body.dataset.version)"))
                sent, version = a.execute_async_script(
                    "const done = arguments[arguments.length - 1]; const t0 = Date.now();"
                    "fetch('/change', {method: 'POST', headers: {'Content-Type': 'application/json'},"
                    " body: JSON.stringify(arguments[0])}).then(r => r.json()).then(o => done([t0, o.version]));",
                    change(n, process, base),
                )
                seen: list[int] = []

                def painted(v: int = version, found: list[int] = seen) -> bool:
                    marks = b.execute_script("return window.marks")
                    found[:] = [t for k, t in marks.items() if int(k) >= v]
                    return bool(found)

                wait_until(painted, "the change in browser B")
                wait_until(lambda v=version: int(a.execute_script("return document.body.dataset.version")) >= v, "A")
                if n:
                    times.append((min(seen) - sent) / 1000)
            return times
        finally:
            a.quit()
            b.quit()


def fresh(restaurant: Path, big: Path) -> None:
    """The journeys as they were, without a change log."""
    shutil.copy(ROOT / "journeys" / "restaurant.yaml", restaurant)
    big.write_text(journey_yaml(200), encoding="utf-8")
    for journey in (restaurant, big):
        journey.with_name(journey.stem + ".changes.jsonl").unlink(missing_ok=True)


def cpu_per_change(journey: Path, process: str, rounds: int, options: tuple[str, ...]) -> dict[str, list[float]]:
    """CPU seconds (esp's and its dot processes') in-process: of a save (re-read and
    validate, then redraw the ESP map) and of a board change (load, splice, validate,
    write, then redraw), each with what the server then does for one page: the pages
    that changed, gzipped (an esp from before pages: the whole drawing, gzipped). A busy
    shared machine stretches wall-clock times; CPU time says what each costs."""
    import resource

    from esp.serve import Board, Workshop
    from esp.serve.edit import Change

    def cpu() -> float:
        own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
        return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime

    import esp.serve

    getattr(esp.serve, "collect_less", lambda: None)()  # as `esp serve` does, where it does
    shop = Workshop(Board([journey], renderer(options[1] if options else None), ["esp"], "workshop"))
    shop.board.refresh()
    shown = sent(shop.board, set())
    times: dict[str, list[float]] = {"save": [], "board change": []}
    for n in range(rounds):
        with journey.open("a", encoding="utf-8") as f:
            f.write(f"# saved {n}\n")
        start = cpu()
        shop.board.refresh()
        shown = sent(shop.board, shown)
        times["save"].append(cpu() - start)
        body = change(n, process, shop.board.snapshot.version)
        start = cpu()
        kind, name = body["kind"], body["name"]
        outcome = shop.submit(Change(body["action"], kind, name, details=body.get("details", {})), "A", body["base"])
        assert outcome.status == "ok", outcome
        shown = sent(shop.board, shown)
        times["board change"].append(cpu() - start)
    return times


def renderer(process: str | None) -> Any:
    """What `esp serve` draws with: page by page where esp can (the esp under test may be older)."""
    try:
        from esp.draw import draw_pages
    except ImportError:
        from esp.draw import draw

        return lambda model, view: str(draw(model, view, "svg", process=process))
    return lambda model, view: draw_pages(model, view, process=process)


def sent(board: Any, shown: set[str]) -> set[str]:
    """What the server does for a page that shows the pages ``shown`` (their etags): the list
    of pages and each page it lacks, gzipped. The pages it shows then."""
    import gzip

    if not hasattr(board, "pages"):  # an esp from before pages: the whole drawing
        gzip.compress(board.drawing("esp").encode(), compresslevel=6, mtime=0)
        return set()
    version, drawing = board.pages("esp")
    json.dumps(drawing.manifest(version))
    for etag in set(drawing.etags) - shown:
        gzip.compress(board.page("esp", etag).encode(), compresslevel=6, mtime=0)
    return set(drawing.etags)


def line(name: str, what: str, times: list[float]) -> str:
    return (
        f"{name:14} {what:28} median {statistics.median(times) * 1000:6.0f} ms   "
        f"max {max(times) * 1000:6.0f} ms   ({len(times)} rounds)"
    )


JOURNEYS = ("restaurant", "200 processes", "200, --process")


def journeys(tmp: Path) -> list[tuple[str, Path, str, tuple[str, ...]]]:
    restaurant = tmp / "restaurant.yaml"
    big = tmp / "synthetic-200.yaml"
    one = ("--process", "Handle Case 100")  # a big model watched one row at a time
    return [
        ("restaurant", restaurant, "Dine", ()),
        ("200 processes", big, "Handle Case 100", ()),
        ("200, --process", big, "Handle Case 100", one),
    ]


@contextmanager
def old_tree(rev: str) -> Iterator[Path]:
    """esp as it was at ``rev`` (a git worktree), with this file in it: the same measuring code."""
    with tempfile.TemporaryDirectory() as tmp:
        tree = Path(tmp) / "old"
        subprocess.run(
            ["git", "-C", str(ROOT), "worktree", "add", "--detach", str(tree), rev], check=True, capture_output=True
        )
        try:
            shutil.copy(Path(__file__), tree / "bench" / "serve.py")
            yield tree
        finally:
            subprocess.run(["git", "-C", str(ROOT), "worktree", "remove", "--force", str(tree)], check=False)


def cpu_in(tree: Path, rounds: int, journey: str) -> dict[str, list[float]]:
    """``--cpu`` figures of the esp in ``tree`` on ``journey``, measured in a process of its own."""
    done = subprocess.run(
        [sys.executable, "-m", "bench.serve", "--cpu", "--json", "--rounds", str(rounds), "--only", journey],
        cwd=tree,
        env={**os.environ, "PYTHONPATH": str(tree)},  # before the installed (editable) esp
        check=True,
        capture_output=True,
        text=True,
    )
    result: dict[str, list[float]] = json.loads(done.stdout)[journey]
    return result


def compare_cpu(rev: str, rounds: int, repeats: int) -> None:
    """CPU per change of esp at ``rev`` and of this esp: for each journey, fresh processes
    of each in turn, ``repeats`` times."""
    with old_tree(rev) as tree:
        for name in JOURNEYS:
            figures: dict[str, dict[str, list[float]]] = {"before": {}, "after": {}}
            for _ in range(repeats):
                for who, where in (("before", tree), ("after", ROOT)):
                    for what, times in cpu_in(where, rounds, name).items():
                        figures[who].setdefault(what, []).extend(times)
            for what, times in figures["after"].items():
                old, new = statistics.median(figures["before"][what]), statistics.median(times)
                print(
                    f"{name:14} CPU: {what:13} + ESP map   before {old * 1000:5.0f} ms   after {new * 1000:5.0f} ms"
                    f"   {old / new:4.1f}x   ({len(times)} rounds each)",
                    flush=True,
                )


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=10)
    parser.add_argument("--browser", action="store_true", help="two real headless Chromiums (board changes only)")
    parser.add_argument("--cpu", action="store_true", help="CPU time of a board change and its redraw, in-process")
    parser.add_argument("--json", action="store_true", help=argparse.SUPPRESS)  # --cpu's figures for --against
    parser.add_argument("--only", choices=JOURNEYS, help="one journey only")
    parser.add_argument("--against", metavar="REV", help="with --cpu or --browser: esp at git revision REV too")
    parser.add_argument("--repeats", type=int, default=3, help="with --against --cpu: alternating runs of each")
    args = parser.parse_args(argv)
    if not args.json:
        print("load average " + " ".join(f"{n:.1f}" for n in os.getloadavg()), flush=True)
    if args.against and args.cpu:
        compare_cpu(args.against, args.rounds, args.repeats)
        return
    with tempfile.TemporaryDirectory() as tmp, ExitStack() as stack:
        restaurant, big = Path(tmp) / "restaurant.yaml", Path(tmp) / "synthetic-200.yaml"
        trees = [("before", stack.enter_context(old_tree(args.against)))] if args.against else []
        trees.append(("after" if args.against else "", ROOT))
        figures: dict[str, dict[str, list[float]]] = {}
        for name, path, process, options in journeys(Path(tmp)):
            if args.only and name != args.only:
                continue
            if args.cpu:
                fresh(restaurant, big)
                figures[name] = cpu_per_change(path, process, args.rounds, options)
                if not args.json:
                    for what, times in figures[name].items():
                        print(line(name, f"CPU: {what} + ESP map", times), flush=True)
                continue
            if args.browser:
                for who, tree in trees:
                    fresh(restaurant, big)
                    times = browsers(path, process, args.rounds, Path(tmp) / who, options, tree)
                    print(line(name, f"board change, browser→browser {who}".strip(), times), flush=True)
                continue
            for view in ("esp", "context")[: 1 if options else 2]:
                fresh(restaurant, big)
                saves, edits = save_and_board(path, process, args.rounds, view, options)
                print(line(name, f"save → drawing ({view})", saves), flush=True)
                print(line(name, f"board change → page ({view})", edits), flush=True)
                ratios = [e / s for e, s in zip(edits, saves, strict=True)]
                print(f"{'':14} board change / save, median of per-round ratios: {statistics.median(ratios):.2f}x")
        if args.json:
            print(json.dumps(figures))


if __name__ == "__main__":
    main(sys.argv[1:])
