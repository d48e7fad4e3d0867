"""`esp validate` on a journey with a problem on each of its 190,000 lines (unknown keys), against
`esp validate` on the restaurant journey.

esp words the first 1,000 problems and counts the rest (E069 "and N more"): before that cap it
worded all 190,000, each with a suggestion, in 6.6 s and 251 MB. Both run as whole processes,
interleaved; the CPU time (user + system) is printed too, which other work on the machine disturbs
far less than wall time. Target: the big file answers within about a second on a quiet machine.
``--against REV`` runs esp as it was at git revision REV on the big file too, interleaved (before / after).
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

from bench._timing import median_ratio, ms

ROOT = Path(__file__).resolve().parent.parent
JOURNEY = ROOT / "journeys" / "restaurant.yaml"


def write_many_unknown_keys(path: Path, n: int) -> None:
    with path.open("w", encoding="utf-8") as f:
        f.write("journey: Many\n")
        f.writelines(f"key{i}: 1\n" for i in range(n))


def run(cmd: Sequence[str], env: dict[str, str] | None = None) -> tuple[float, float]:
    """(wall seconds, CPU seconds of the child) of one run of ``cmd``."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    subprocess.run(
        cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False, env=env, cwd=tempfile.gettempdir()
    )
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def old_esp(rev: str, folder: Path) -> None:
    """esp's package as it was at ``rev``, exported into ``folder`` (it runs with PYTHONPATH=folder)."""
    archive = subprocess.run(["git", "-C", str(ROOT), "archive", rev, "esp"], check=True, capture_output=True)
    subprocess.run(["tar", "-x", "-C", str(folder)], input=archive.stdout, check=True)


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=10)
    parser.add_argument("--lines", type=int, default=190_000)
    parser.add_argument("--against", metavar="REV", help="esp at git revision REV on the big file too")
    args = parser.parse_args(argv)
    esp = [sys.executable, "-m", "esp"]  # as the revision compared runs (from a temporary folder: not ./esp)
    with tempfile.TemporaryDirectory() as tmp:
        big = Path(tmp) / "many.yaml"
        write_many_unknown_keys(big, args.lines)
        commands = {"many problems": [*esp, "validate", str(big)], "restaurant": [*esp, "validate", str(JOURNEY)]}
        env: dict[str, dict[str, str]] = {}
        if args.against:
            old = Path(tmp) / "old"
            old.mkdir()
            old_esp(args.against, old)
            commands[f"many at {args.against}"] = [*esp, "validate", str(big)]
            env[f"many at {args.against}"] = {**os.environ, "PYTHONPATH": str(old)}  # before the installed esp
        wall: dict[str, list[float]] = {name: [] for name in commands}
        cpu: dict[str, list[float]] = {name: [] for name in commands}
        for _ in range(args.rounds):
            for name, cmd in commands.items():
                w, c = run(cmd, env.get(name))
                wall[name].append(w)
                cpu[name].append(c)
    for name in commands:
        print(
            f"{name:14} wall median {ms(statistics.median(wall[name])):>10}"
            f"   CPU median {ms(statistics.median(cpu[name])):>10}"
        )
    ratio = median_ratio(cpu["many problems"], cpu["restaurant"])
    print(f"CPU ratio many problems / restaurant (median of {args.rounds} interleaved rounds): {ratio:.1f}x")
    if args.against:
        ratio = median_ratio(cpu["many problems"], cpu[f"many at {args.against}"])
        print(f"CPU ratio many problems now / at {args.against} (median of {args.rounds} rounds): {ratio:.2f}x")


if __name__ == "__main__":
    main(sys.argv[1:])
