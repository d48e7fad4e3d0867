"""Shared helpers: interleaved wall-clock runs of whole commands."""

from __future__ import annotations

import statistics
import subprocess
import time
from collections.abc import Sequence


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
