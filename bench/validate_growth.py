"""`esp validate` on synthetic models of 500 and 5,000 processes: does it grow linearly?

The models are those of ``bench.generate_time`` (each process its own aggregate,
two commands, two events; ten processes to a microservice; a listener every ten
processes). Each size runs as a whole ``esp validate`` process (what a user or
CI pays), the sizes interleaved round by round so machine noise hits both;
the ratio is the median of the per-round ratios of CPU time (user + system,
which other work on a shared machine disturbs far less than wall time; wall
is printed too). Target: 5,000 processes in at most 11x the time of 500 (10x
the size). ``--against REV`` runs esp as it was at git revision REV too,
interleaved, each esp from a temporary folder (``python -m esp``).
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

import yaml

from bench._timing import median_ratio, old_esp, run_cpu
from bench.generate_time import synthetic

TARGET = 11.0


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--sizes", default="500,5000")
    parser.add_argument("--against", metavar="REV", help="esp at git revision REV too, interleaved (a baseline)")
    args = parser.parse_args(argv)
    small, large = (int(s) for s in args.sizes.split(","))
    esp = [sys.executable, "-m", "esp"]  # run from a temporary folder, as the revision compared runs
    versions: dict[str, dict[str, str] | None] = {"now": None}
    with tempfile.TemporaryDirectory() as tmp:
        if args.against:
            old = Path(tmp) / "old"
            old.mkdir()
            old_esp(args.against, old)
            versions[args.against] = {**os.environ, "PYTHONPATH": str(old)}  # before the installed esp
        commands: dict[tuple[str, int], list[str]] = {}
        for n in (small, large):
            path = Path(tmp) / f"synthetic-{n}.yaml"
            path.write_text(yaml.safe_dump(synthetic(n), sort_keys=False), encoding="utf-8")
            for version, env in versions.items():
                commands[version, n] = [*esp, "validate", str(path)]
                done = subprocess.run(
                    commands[version, n], capture_output=True, text=True, check=False, env=env, cwd=tmp
                )
                assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
        wall: dict[tuple[str, int], list[float]] = {key: [] for key in commands}
        cpu: dict[tuple[str, int], list[float]] = {key: [] for key in commands}
        for _ in range(args.rounds):
            for key, cmd in commands.items():
                w, c = run_cpu(cmd, versions[key[0]])
                wall[key].append(w)
                cpu[key].append(c)
    print("| esp | processes | wall median | CPU median | CPU best |")
    print("|---|---|---|---|---|")
    for version, n in commands:
        key = (version, n)
        print(
            f"| {version} | {n:,} | {statistics.median(wall[key]):.2f} s | {statistics.median(cpu[key]):.2f} s"
            f" | {min(cpu[key]):.2f} s |"
        )
    print()
    for version in versions:
        ratio = median_ratio(cpu[version, large], cpu[version, small])
        by_wall = median_ratio(wall[version, large], wall[version, small])
        print(
            f"{version}: {large:,} / {small:,}: CPU {ratio:.1f}x, wall {by_wall:.1f}x"
            f" (target <= {TARGET:g}x; medians of {args.rounds} interleaved rounds)"
        )
    print(f"load average after: {' '.join(f'{x:.1f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main(sys.argv[1:])
