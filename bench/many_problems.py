"""`esp validate` on a journey with a problem on each of its 190,000 lines (unknown keys), against
`esp validate` on the restaurant journey.

esp words the first 1,000 problems and counts the rest (E069 "and N more"): before that cap it
worded all 190,000, each with a suggestion, in 6.6 s and 251 MB. Both run as whole processes,
interleaved; the CPU time (user + system) is printed too, which other work on the machine disturbs
far less than wall time. Target: the big file answers within about a second on a quiet machine.
Every esp runs from a copy in a temporary folder, once with its byte code compiled ahead (as ``pip install``
leaves an installed esp) and once compiling itself from source on every run (an editable install where
PYTHONDONTWRITEBYTECODE=1 is set), so neither depends on what __pycache__ folders the tree happens to hold.
``--against REV`` runs esp as it was at git revision REV on the big file too, interleaved (before / after).
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

from bench._timing import ROOT, median_ratio, ms, old_esp
from bench._timing import run_cpu as run

JOURNEY = ROOT / "journeys" / "restaurant.yaml"


def write_many_unknown_keys(path: Path, n: int) -> None:
    with path.open("w", encoding="utf-8") as f:
        f.write("journey: Many\n")
        f.writelines(f"key{i}: 1\n" for i in range(n))


def esp_copy(folder: Path, rev: str | None, *, compiled: bool) -> dict[str, str]:
    """The environment that runs esp from ``folder``: this tree's esp (or the one at git revision ``rev``), its
    byte code compiled ahead as pip compiles an installed package's, or never written (every run compiles esp
    from source, as an editable install does where PYTHONDONTWRITEBYTECODE=1 is set)."""
    folder.mkdir()
    if rev is None:
        shutil.copytree(ROOT / "esp", folder / "esp", ignore=shutil.ignore_patterns("__pycache__"))
    else:
        old_esp(rev, folder)
    env = {**os.environ, "PYTHONPATH": str(folder)}  # before the installed esp
    if compiled:
        subprocess.run([sys.executable, "-m", "compileall", "-q", str(folder / "esp")], check=True)
    else:
        env["PYTHONDONTWRITEBYTECODE"] = "1"
    return env


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=10)
    parser.add_argument("--lines", type=int, default=190_000)
    parser.add_argument("--against", metavar="REV", help="esp at git revision REV on the big file too")
    args = parser.parse_args(argv)
    esp = [sys.executable, "-m", "esp", "validate"]  # from a temporary folder: the esp on PYTHONPATH, not ./esp
    with tempfile.TemporaryDirectory() as tmp:
        big = Path(tmp) / "many.yaml"
        write_many_unknown_keys(big, args.lines)
        now, now_source = (
            esp_copy(Path(tmp, "now"), None, compiled=True),
            esp_copy(Path(tmp, "src"), None, compiled=False),
        )
        runs = {
            "many problems": ([*esp, str(big)], now),
            "many problems, no .pyc": ([*esp, str(big)], now_source),
            "restaurant": ([*esp, str(JOURNEY)], now),
        }
        if args.against:
            old = esp_copy(Path(tmp, "old"), args.against, compiled=True)
            old_source = esp_copy(Path(tmp, "old-src"), args.against, compiled=False)
            runs[f"many at {args.against}"] = ([*esp, str(big)], old)
            runs[f"many at {args.against}, no .pyc"] = ([*esp, str(big)], old_source)
        wall: dict[str, list[float]] = {name: [] for name in runs}
        cpu: dict[str, list[float]] = {name: [] for name in runs}
        for _ in range(args.rounds):
            for name, (cmd, env) in runs.items():
                w, c = run(cmd, env)
                wall[name].append(w)
                cpu[name].append(c)
    for name in runs:
        print(
            f"{name:30} wall median {ms(statistics.median(wall[name])):>10}"
            f"   CPU median {ms(statistics.median(cpu[name])):>10}   CPU best {ms(min(cpu[name])):>10}"
        )
    ratio = median_ratio(cpu["many problems"], cpu["restaurant"])
    print(f"CPU ratio many problems / restaurant (median of {args.rounds} interleaved rounds): {ratio:.1f}x")
    if args.against:
        for suffix in ("", ", no .pyc"):
            ratio = median_ratio(cpu[f"many problems{suffix}"], cpu[f"many at {args.against}{suffix}"])
            print(f"CPU ratio many problems{suffix} now / at {args.against}: {ratio:.2f}x")
    print(f"load average after: {' '.join(f'{x:.1f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main(sys.argv[1:])
