"""`esp diagram` on synthetic models of 50, 200 and 500 processes (with listeners).

Each model is written as journey YAML in a temporary folder and loaded
through ``esp.api.validate``, as the CLI does; then the ESP map (and, with
``--views``, every view) is rendered to SVG several times and the median
kept. Target: the 500-process map in under 10x the time of the 50-process one.
Results go in docs/performance.md under "## esp diagram".
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

from esp import api
from esp.draw import VIEWS, draw, layout
from esp.model import Model

SIZES = (50, 200, 500)
PER_SERVICE = 5  # processes per microservice


def journey_yaml(processes: int) -> str:
    """A journey of ``processes`` rows: a query, three commands, three events and an
    aggregate each; a listener carries each row's integration event to the next row."""
    lines = ["journey: Synthetic", "actors: [Clerk]", "microservices:"]
    for s in range(0, processes, PER_SERVICE):
        lines.append(f"  service-{s // PER_SERVICE}:")
        lines.append("    aggregates:")
        for i in range(s, min(s + PER_SERVICE, processes)):
            lines.append(f"      Record{i}: {{identity: record{i}_id, states: [open, done]}}")
    lines.append("processes:")
    for i in range(processes):
        lines += [
            f"  - process: Handle Case {i}",
            "    actor: Clerk",
            "    actions:",
            f"      - {{query: ViewCase{i}, projection: CaseView{i}}}",
            f"      - {{command: OpenCase{i}, emits: [CaseOpened{i}], creates: true}}",
            f"      - {{command: AmendCase{i}, emits: [CaseAmended{i}], allowed_in: [open]}}",
            f"      - {{command: CloseCase{i}, emits: [CaseClosed{i}], allowed_in: [open]}}",
            f"    microservice: service-{i // PER_SERVICE}",
            "    events:",
            f"      - {{event: CaseOpened{i}, enters: open}}",
            f"      - {{event: CaseAmended{i}}}",
            f"      - {{event: CaseClosed{i}, kind: integration, enters: done}}",
            f"    aggregate: Record{i}",
        ]
    lines.append("projections:")
    for i in range(processes):
        sources = f"[CaseOpened{i}, CaseAmended{i}]"
        lines.append(f"  - {{projection: CaseView{i}, in: service-{i // PER_SERVICE}, from: {sources}}}")
    lines.append("listeners:")
    for i in range(processes - 1):
        lines.append(f"  - {{on: CaseClosed{i}, in: service-{(i + 1) // PER_SERVICE}, command: OpenCase{i + 1}}}")
    return "\n".join(lines) + "\n"


def synthetic_model(processes: int) -> Model:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "synthetic.yaml"
        path.write_text(journey_yaml(processes), encoding="utf-8")
        result = api.validate([path])
    if result.model is None or result.errors:
        raise SystemExit(f"synthetic journey is invalid: {[d.message for d in result.errors][:3]}")
    return result.model


def seconds(model: Model, view: str) -> float:
    start = time.perf_counter()
    draw(model, view, "svg")
    return time.perf_counter() - start


def interleaved(models: dict[int, Model], view: str, runs: int) -> dict[int, list[float]]:
    """Each size once per round, alternating, so a busy moment hits every size alike."""
    times: dict[int, list[float]] = {n: [] for n in models}
    for _ in range(runs):
        for n, model in models.items():
            times[n].append(seconds(model, view))
    return times


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=7, help="rounds (median and best kept)")
    parser.add_argument("--sizes", type=int, nargs="*", default=list(SIZES))
    parser.add_argument("--views", action="store_true", help="time every view, not only the ESP map")
    args = parser.parse_args(argv)
    views = list(VIEWS) if args.views else ["esp"]
    models = {n: synthetic_model(n) for n in args.sizes}
    for model in models.values():  # warm up: imports, fonts, caches
        draw(model, "esp", "svg")
    head = f"{'view':10} {'processes':>9} {'stickies':>8} {'median':>8} {'best':>8} {'1 CPU med':>10}"
    print(f"{head}  ({args.runs} rounds)")
    low, high = min(args.sizes), max(args.sizes)
    for view in views:
        both = interleaved(models, view, args.runs)
        layout.MAX_WORKERS = 1  # the same pages, one dot at a time: the cost without parallelism
        one = interleaved(models, view, args.runs)
        layout.MAX_WORKERS = None
        for n, model in models.items():
            med, best, serial = statistics.median(both[n]), min(both[n]), statistics.median(one[n])
            print(f"{view:10} {n:9d} {_stickies(model):8d} {_ms(med)} {_ms(best)} {_ms(serial):>10}", flush=True)
        ratio = statistics.median(both[high]) / statistics.median(both[low])
        best_ratio = min(both[high]) / min(both[low])
        serial_ratio = statistics.median(one[high]) / statistics.median(one[low])
        print(
            f"{view}: {high}/{low} processes = {ratio:.1f}x the time (best {best_ratio:.1f}x,"
            f" one CPU {serial_ratio:.1f}x); target < 10x for {high / low:.0f}x the size",
            flush=True,
        )


def _ms(value: float) -> str:
    return f"{value * 1000:5.0f} ms"


def _stickies(model: Model) -> int:
    return len(model.processes) * 2 + len(model.commands) + len(model.queries) + len(model.events) * 2


if __name__ == "__main__":
    main(sys.argv[1:])
