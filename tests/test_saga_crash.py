"""A real crash test of the generated Saga Execution Container (the travel example's BookTrip saga).

A separate OS process (tests/saga_crash_worker.py) books trips on SQLite, one database file per
microservice, with participants that fail at random (seeded). It is killed with SIGKILL at random
moments, at least 50 times, and started again each time; a last run goes to the end. Then every
saga must be completed or fully compensated, no step may have taken effect twice, and no event may
be missing from any application's log.

The databases are on tmpfs (/dev/shm) when there is one: a killed process loses what it had not
committed, whatever the file system, and tmpfs keeps the test fast (SQLite's fsyncs on a virtual
disk cost more than everything else). Power loss is not what this test is about.
"""

from __future__ import annotations

import json
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
WORKER = Path(__file__).with_name("saga_crash_worker.py")
TRIPS = 1000  # on tmpfs; on a disk every commit waits for an fsync, so fewer (the kills still land mid-saga)
TRIPS_ON_DISK = 120
KILLS = 55
SEED = 20261129
FAILURE_RATE = 0.08  # per step: about a quarter of the trips are rejected


@pytest.fixture
def data_dir(tmp_path: Path) -> Iterator[tuple[Path, int]]:
    """The folder of the databases, and how many trips to book there."""
    shm = Path("/dev/shm")
    if shm.is_dir() and os.access(shm, os.W_OK):
        folder = Path(tempfile.mkdtemp(prefix="esp-saga-crash-", dir=shm))
        try:
            yield folder, TRIPS
        finally:
            shutil.rmtree(folder, ignore_errors=True)
    else:
        yield tmp_path / "data", TRIPS_ON_DISK


def _start(data: Path, trips: int) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, str(WORKER), str(data), str(trips), str(SEED), str(FAILURE_RATE)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=ROOT,
    )


def _crash_repeatedly(data: Path, trips: int, rng: random.Random) -> dict[str, int]:
    """Start the worker and SIGKILL it at a random moment, KILLS times; what happened."""
    kills = ended = resumed = restarts_mid_saga = 0
    while kills < KILLS:
        worker = _start(data, trips)
        assert worker.stdout is not None
        assert worker.stdout.readline().strip() == "up", worker.stderr.read() if worker.stderr else ""
        # After the imports: the kill lands while it resumes, catches up, or books new trips.
        time.sleep(rng.uniform(0.0, 0.25))
        if worker.poll() is None:
            worker.send_signal(signal.SIGKILL)
            kills += 1
        else:
            ended += 1
        out, err = worker.communicate(timeout=60)
        assert worker.returncode in (0, -signal.SIGKILL), err
        assert "Traceback" not in err, err
        # The SEC says how many runs it found unfinished when it started: a kill left them mid-saga.
        found = [int(line.partition("=")[2]) for line in out.splitlines() if line.startswith("resumed=")]
        resumed += sum(found)
        restarts_mid_saga += sum(1 for n in found if n)
        if ended > 5:
            pytest.fail(f"the worker ran out of work after only {kills} kills: book more trips")
    return {
        "kills": kills,
        "runs_that_ended_before_the_kill": ended,
        "restarts_that_resumed_sagas": restarts_mid_saga,
        "sagas_resumed": resumed,
    }


def _finish(data: Path, trips: int) -> str:
    worker = _start(data, trips)
    out, err = worker.communicate(timeout=300)
    assert worker.returncode == 0, err
    return out


def _verify(data: Path, trips: int) -> dict[str, int]:
    """The worker checks the stored events (in its own process: this one never imports the generated code)."""
    args = [sys.executable, str(WORKER), "verify", str(data), str(trips), str(SEED), str(FAILURE_RATE)]
    done = subprocess.run(args, capture_output=True, text=True, cwd=ROOT, timeout=300, check=False)
    assert done.returncode == 0, done.stderr[-4000:]
    counts: dict[str, int] = json.loads(done.stdout.strip().splitlines()[-1])
    return counts


@pytest.mark.slow
def test_sagas_survive_sigkill(data_dir: tuple[Path, int], capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    data, trips = data_dir
    rng = random.Random(SEED)
    began = time.monotonic()
    crashes = _crash_repeatedly(data, trips, rng)
    out = _finish(data, trips)
    assert "done unfinished=0 missing=0" in out, out
    # How many trips the killed runs had requested: the rest were booked by the last run, uninterrupted.
    before = [int(line.partition("=")[2]) for line in out.splitlines() if line.startswith("requested=")]
    counts = _verify(data, trips)
    counts.update(crashes, trips_requested_while_killed=before[0], seconds=round(time.monotonic() - began))
    line = "saga crash test: " + ", ".join(f"{k}={v}" for k, v in sorted(counts.items()))
    # Also in a file: ESP_SAGA_CRASH_COUNTS names it (CI keeps it), else it is in the test's tmp_path.
    report = Path(os.environ.get("ESP_SAGA_CRASH_COUNTS", str(tmp_path / "saga-crash-counts.json")))
    report.write_text(json.dumps(counts, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    line += f" (also in {report})"
    with capsys.disabled():  # the counts show in pytest's output without -s
        print(f"\n{line}")
    assert counts["kills"] >= 50, line
    assert counts["restarts_that_resumed_sagas"] > 0, line  # the kills did land in the middle of sagas
    assert counts["booked"] + counts["rejected"] == trips, line
