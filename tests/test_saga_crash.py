"""A real crash test of the generated Saga Execution Container (the travel example's BookTrip saga).

A separate OS process (tests/saga_crash_worker.py) books trips on SQLite, one database file per
microservice, with participants that fail at random (seeded). It is killed with SIGKILL at random
moments, at least 50 times, and started again each time; a last run goes to the end. Then every
saga must be completed or fully compensated, no step may have taken effect twice, and no event may
be missing from any application's log. The same for the shopping example's forward recovery and for
food-delivery's CreateOrder saga, whose steps act on existing aggregates (a consumer, a restaurant, an
account shared by many sagas) and whose step after the pivot confirms the ticket an earlier step created.

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
from contextlib import suppress
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
WORKER = Path(__file__).with_name("saga_crash_worker.py")
TRIPS = 1000  # on tmpfs; on a disk every commit waits for an fsync, so fewer (the kills still land mid-saga)
TRIPS_ON_DISK = 120
KILLS = {"travel": 55, "shopping": 25, "food-delivery": 45}
# The kills must land in the middle of sagas this many times in all. How often one does depends on how busy the
# machine is (a slow worker has started fewer sagas when it is killed), so the test kills on until they did,
# up to MORE_KILLS times KILLS, instead of failing on a count the machine's load decides.
RESUMED = 20
MORE_KILLS = 4
SEED = 20261129
AIMED_WAIT = 2.0  # seconds; each order takes ~20 ms, so a run uses at most ~100 of them
# per step: about a quarter of the trips are rejected; a third of the orders retry a step
RATES = {"travel": 0.08, "shopping": 0.12, "food-delivery": 0.1}
ORDERS = 500  # forward recovery: each order waits for its retries (200 ms, 400 ms) on the SEC's clock
# Where the aimed kills land (tests/chaos_worker.py POINTS): the worker kills itself the k-th time it gets there.
POINTS = {
    "travel": [
        "sec-reply-uncommitted",
        "participant-committed",
        "sec-mid-compensation",
        "participant-mid-compensation",
    ],
    "shopping": ["sec-reply-uncommitted", "participant-committed", "sec-retry-due", "sec-mid-retry"],
    # steps on existing aggregates (their StepReply answers), a created ticket's retries, compensations
    "food-delivery": [
        "sec-reply-uncommitted",
        "participant-committed",
        "sec-mid-compensation",
        "participant-mid-compensation",
        "sec-retry-due",
    ],
}


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


def _start(data: Path, trips: int, journey: str, point: str = "") -> subprocess.Popen[str]:
    env = {**os.environ, "CRASH_JOURNEY": journey, "CHAOS_KILL_POINT": point}
    return subprocess.Popen(
        [sys.executable, str(WORKER), str(data), str(trips), str(SEED), str(RATES[journey])],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=ROOT,
        env=env,
    )


def _crash_repeatedly(data: Path, trips: int, journey: str, rng: random.Random) -> dict[str, int]:
    """Start the worker and SIGKILL it, KILLS times (more until RESUMED sagas were found mid-way): every other
    time at a random moment, else at a risky one (a kill point of the chaos test: the worker kills itself the
    k-th time it gets there)."""
    kills = ended = resumed = restarts_mid_saga = aimed = 0
    while kills < KILLS[journey] or (resumed < RESUMED and kills < MORE_KILLS * KILLS[journey]):
        point = f"{rng.choice(POINTS[journey])}:{rng.randint(1, 5)}" if kills % 2 else ""
        worker = _start(data, trips, journey, point)
        assert worker.stdout is not None
        assert worker.stdout.readline().strip() == "up", worker.stderr.read() if worker.stderr else ""
        if point:  # a point not reached soon is killed anyway: a long wait would use up the work
            with suppress(subprocess.TimeoutExpired):
                worker.wait(AIMED_WAIT)
        else:  # after the imports: the kill lands while it resumes, catches up, or starts new sagas
            time.sleep(rng.uniform(0.0, 0.25))
        if worker.poll() is None:
            worker.send_signal(signal.SIGKILL)
            kills += 1
        elif worker.returncode == -signal.SIGKILL:
            kills += 1
            aimed += 1
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
        "kills_at_risky_moments": aimed,
        "runs_that_ended_before_the_kill": ended,
        "restarts_that_resumed_sagas": restarts_mid_saga,
        "sagas_resumed": resumed,
    }


def _finish(data: Path, trips: int, journey: str) -> str:
    worker = _start(data, trips, journey)
    out, err = worker.communicate(timeout=300)
    assert worker.returncode == 0, err
    return out


def _verify(data: Path, trips: int, journey: str) -> dict[str, int]:
    """The worker checks the stored events (in its own process: this one never imports the generated code)."""
    args = [sys.executable, str(WORKER), "verify", str(data), str(trips), str(SEED), str(RATES[journey])]
    env = {**os.environ, "CRASH_JOURNEY": journey}
    done = subprocess.run(args, capture_output=True, text=True, cwd=ROOT, timeout=300, check=False, env=env)
    assert done.returncode == 0, done.stderr[-4000:]
    counts: dict[str, int] = json.loads(done.stdout.strip().splitlines()[-1])
    return counts


@pytest.mark.slow
@pytest.mark.parametrize("journey", ["travel", "shopping", "food-delivery"])
def test_sagas_survive_sigkill(
    journey: str, data_dir: tuple[Path, int], capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    data, trips = data_dir
    sagas = trips if journey == "travel" else min(trips, ORDERS)
    rng = random.Random(SEED)
    began = time.monotonic()
    crashes = _crash_repeatedly(data, sagas, journey, rng)
    out = _finish(data, sagas, journey)
    assert "done unfinished=0 missing=0" in out, out
    # How many sagas the killed runs had started: the rest were started by the last run, uninterrupted.
    before = [int(line.partition("=")[2]) for line in out.splitlines() if line.startswith("requested=")]
    counts = _verify(data, sagas, journey)
    counts.update(crashes, started_while_killed=before[0], seconds=round(time.monotonic() - began))
    line = f"saga crash test ({journey}): " + ", ".join(f"{k}={v}" for k, v in sorted(counts.items()))
    # Also in a file: ESP_SAGA_CRASH_COUNTS names it (CI keeps it), else it is in the test's tmp_path.
    report = Path(os.environ.get("ESP_SAGA_CRASH_COUNTS", str(tmp_path / "saga-crash-counts.json")))
    report = report.with_name(f"{report.stem}-{journey}{report.suffix}")
    report.write_text(json.dumps(counts, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    line += f" (also in {report})"
    with capsys.disabled():  # the counts show in pytest's output without -s
        print(f"\n{line}")
    assert counts["kills"] >= KILLS[journey], line
    assert counts["sagas_resumed"] >= RESUMED, line  # the kills did land in the middle of sagas
    if journey == "travel":
        assert counts["booked"] + counts["rejected"] == trips, line
    elif journey == "food-delivery":
        assert counts["approved"] + counts["rejected"] == sagas, line
        assert counts["confirmed_after_the_pivot"] == counts["approved"] > 0, line
    else:
        assert counts["completed"] == sagas and counts["lost"] == 0 and counts["retries"] > 0, line
