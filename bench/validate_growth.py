"""`esp validate` on synthetic models of 500 and 5,000 processes: does it grow linearly?

The models are those of ``bench.generate_time`` (each process its own aggregate,
two commands, two events; ten processes to a microservice; a listener every ten
processes). Each size runs as a whole ``esp validate`` process (what a user or
CI pays), the sizes interleaved round by round so machine noise hits both;
the ratio is the median of the per-round ratios. Target: 5,000 processes in at
most 11x the time of 500 (10x the size).
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

import yaml

from bench._timing import interleaved, median_ratio
from bench.generate_time import synthetic

TARGET = 11.0


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--sizes", default="500,5000")
    args = parser.parse_args(argv)
    small, large = (int(s) for s in args.sizes.split(","))
    esp = str(Path(sys.executable).parent / "esp")
    with tempfile.TemporaryDirectory() as tmp:
        commands = {}
        for n in (small, large):
            path = Path(tmp) / f"synthetic-{n}.yaml"
            path.write_text(yaml.safe_dump(synthetic(n), sort_keys=False), encoding="utf-8")
            commands[n] = [esp, "validate", str(path)]
            done = subprocess.run(commands[n], capture_output=True, text=True, check=False)
            assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
        times = interleaved({str(n): cmd for n, cmd in commands.items()}, args.rounds, warmup=1)
    print("| processes | median | best |")
    print("|---|---|---|")
    for n in (small, large):
        values = times[str(n)]
        print(f"| {n:,} | {statistics.median(values):.2f} s | {min(values):.2f} s |")
    ratio = median_ratio(times[str(large)], times[str(small)])
    print(f"\n{large:,} / {small:,}: {ratio:.1f}x (target <= {TARGET:g}x; median of {args.rounds} interleaved rounds)")


if __name__ == "__main__":
    main(sys.argv[1:])
