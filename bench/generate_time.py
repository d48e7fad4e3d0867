"""`esp generate` time on synthetic models of 100, 1,000 and 5,000 processes.

Each process has its own aggregate with a creating command, a second command
and two events; ten processes share a microservice, and every tenth process
ends with an integration event a listener in the next microservice hears.
Validation is timed apart; generation (render and write into an empty
folder) is what is compared, the sizes interleaved round by round so machine
noise hits all of them; the ratio is the median of the per-round ratios.
Target: 5,000 takes at most 5.5x the time of 1,000.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import yaml

from bench._timing import median_ratio
from esp import api
from esp.generate import generate


def synthetic(processes: int) -> dict[str, Any]:
    services: dict[str, Any] = {}
    rows = []
    listeners = []
    for i in range(processes):
        ms = f"service {i // 10}"
        agg = f"Thing{i}"
        services.setdefault(ms, {"aggregates": {}})["aggregates"][agg] = {
            "identity": f"thing{i}_id",
            "states": ["open", "closed"],
        }
        integration = i % 10 == 9
        rows.append(
            {
                "process": f"Handle Thing {i}",
                "microservice": ms,
                "aggregate": agg,
                "actions": [
                    {"command": f"Open{agg}", "fields": {"note": "str"}, "emits": [f"{agg}Opened"], "creates": True},
                    {"command": f"Close{agg}", "emits": [f"{agg}Closed"], "allowed_in": ["open"]},
                ],
                "events": [
                    {"event": f"{agg}Opened", "fields": {"note": "str"}, "enters": "open"},
                    {
                        "event": f"{agg}Closed",
                        "fields": {"note": "str"},
                        "enters": "closed",
                        **({"kind": "integration"} if integration else {}),
                    },
                ],
            }
        )
        if integration and i + 1 < processes:
            listeners.append({"on": f"{agg}Closed", "in": f"service {(i + 1) // 10}", "command": f"OpenThing{i + 1}"})
    return {"journey": "Synthetic", "microservices": services, "processes": rows, "listeners": listeners}


def measure(processes: int) -> tuple[float, float, int]:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "synthetic.yaml"
        path.write_text(yaml.safe_dump(synthetic(processes), sort_keys=False), encoding="utf-8")
        start = time.perf_counter()
        validation = api.validate([path])
        validated = time.perf_counter() - start
        assert validation.model is not None and validation.exit_code() == 0, validation.errors[:3]
        start = time.perf_counter()
        result = generate(validation.model, Path(tmp) / "out")
        return validated, time.perf_counter() - start, len(result.changes)


TARGET = 5.5


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", default="100,1000,5000")
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args(argv)
    sizes = [int(s) for s in args.sizes.split(",")]
    measure(20)  # warm up: imports, template compilation
    runs: dict[int, list[tuple[float, float, int]]] = {n: [] for n in sizes}
    for _ in range(args.rounds):
        for n in sizes:
            runs[n].append(measure(n))
    print("| processes | files | validate | generate (median) | generate (best) | per process |")
    print("|---|---|---|---|---|---|")
    for n in sizes:
        validated = statistics.median(r[0] for r in runs[n])
        generated = [r[1] for r in runs[n]]
        median = statistics.median(generated)
        print(
            f"| {n:,} | {runs[n][0][2]:,} | {validated:.2f} s | {median:.2f} s | {min(generated):.2f} s"
            f" | {median / n * 1000:.2f} ms |"
        )
    if 1000 in runs and 5000 in runs:
        ratio = median_ratio([r[1] for r in runs[5000]], [r[1] for r in runs[1000]])
        print(f"\n5,000 / 1,000: {ratio:.1f}x (target <= {TARGET:g}x; median of {args.rounds} interleaved rounds)")


if __name__ == "__main__":
    main(sys.argv[1:])
