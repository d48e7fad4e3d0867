"""Shared helpers: interleaved wall-clock runs of whole commands, their CPU time, esp at an older revision."""

from __future__ import annotations

import resource
import statistics
import subprocess
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def run_once(cmd: Sequence[str]) -> float:
    """Seconds one run of ``cmd`` takes; its output is discarded, failures are errors."""
    start = time.perf_counter()
    subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
    return time.perf_counter() - start


def interleaved(commands: dict[str, Sequence[str]], rounds: int, warmup: int = 2) -> dict[str, list[float]]:
    """Run each command once per round, alternating, so machine noise hits all alike."""
    for _ in range(warmup):
        for cmd in commands.values():
            run_once(cmd)
    times: dict[str, list[float]] = {name: [] for name in commands}
    for _ in range(rounds):
        for name, cmd in commands.items():
            times[name].append(run_once(cmd))
    return times


def median_ratio(a: list[float], b: list[float]) -> float:
    """Median of the per-round ratios a/b (robust to a slow round)."""
    return statistics.median(x / y for x, y in zip(a, b, strict=True))


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.1f} ms"


def run_cpu(cmd: Sequence[str], env: dict[str, str] | None = None) -> tuple[float, float]:
    """(wall seconds, CPU seconds of the child: user + system) of one run of ``cmd``, from a temporary folder
    (so ``python -m esp`` finds the esp installed or on PYTHONPATH, not ./esp). CPU time is what other work on
    a shared machine disturbs far less than wall time."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    subprocess.run(
        cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False, env=env, cwd=tempfile.gettempdir()
    )
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def old_esp(rev: str, folder: Path) -> None:
    """esp's package as it was at git revision ``rev``, exported into ``folder`` (run it with PYTHONPATH=folder)."""
    archive = subprocess.run(["git", "-C", str(ROOT), "archive", rev, "esp"], check=True, capture_output=True)
    subprocess.run(["tar", "-x", "-C", str(folder)], input=archive.stdout, check=True)
