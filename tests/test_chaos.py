"""The multi-process chaos test: generated microservices as separate processes on PostgreSQL, killed at random.

Travel (backward recovery) and shopping (forward recovery with retries) each run as one process per
microservice and one for the saga's SEC, with a standby SEC, one database per process. Sagas are started
over HTTP (with idempotency keys, retried across kills) while random processes are SIGKILLed and restarted,
and processes kill themselves at the risky moments (tests/chaos_worker.py's POINTS). Then: nothing lost,
nothing applied twice, every saga completed or compensated, exactly one reply per step, every follower
caught up, a replay into a fresh read model gives what the live one answers, a second replica is kept out
by the lock, and killing the active SEC hands over to its standby (takeover time measured).

ESP_CHAOS_SAGAS and ESP_CHAOS_KILLS set the size (per journey); bench/chaos.py runs a larger one.
"""

from __future__ import annotations

import http.client
import json
import os
import random
import signal
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from uuid import UUID, uuid4, uuid5

import pytest

ROOT = Path(__file__).resolve().parents[1]
WORKER = Path(__file__).with_name("chaos_worker.py")
SAGAS = int(os.environ.get("ESP_CHAOS_SAGAS", "60"))  # per journey; bench/chaos.py runs 500 and more
KILLS = int(os.environ.get("ESP_CHAOS_KILLS", "15"))  # random SIGKILLs per journey, beside the kill points
STALL = 180  # seconds without a saga ending after the chaos: they are stuck
SEED = 20261202
BASE_PORT = 18700 + os.getpid() % 50 * 20
PG = {"host": "127.0.0.1", "port": 5432, "user": "postgres"}

# The deterministic kill points of each journey: (process, point, k): the k-th time it gets there.
KILL_POINTS = {
    "travel": [
        ("book-trip-saga", "sec-reply-uncommitted", 3),
        ("flights", "participant-committed", 3),
        ("book-trip-saga", "sec-mid-compensation", 1),
        ("hotels", "participant-mid-compensation", 1),
    ],
    "shopping": [
        ("fulfil-order-saga", "sec-reply-uncommitted", 3),
        ("warehouse", "participant-committed", 3),
        ("fulfil-order-saga", "sec-retry-due", 1),
        ("fulfil-order-saga", "sec-mid-retry", 1),
    ],
}
PROCESSES = {
    "travel": ["trips", "flights", "hotels", "cars", "travel-payments", "book-trip-saga"],
    "shopping": [
        "catalogue",
        "cart",
        "orders",
        "shop-payments",
        "warehouse",
        "shipping",
        "shop-notifications",
        "fulfil-order-saga",
    ],
}
ENTRY = {"travel": "trips", "shopping": "orders"}
NS = UUID("9d7c2b1a-6e5f-4a3b-8c9d-0e1f2a3b4c5d")


@dataclass
class Child:
    """One process: its name (a standby has its own), the process name it runs, its port and its starts."""

    key: str
    process: str
    port: int
    logs: Path
    popen: subprocess.Popen[bytes] | None = None
    starts: int = 0
    restart_at: float = 0.0


@dataclass
class Cluster:
    """The processes of one journey, restarted when they die, as `up` does (with the test's own worker)."""

    journey: str
    env: dict[str, str]
    logs: Path
    children: dict[str, Child] = field(default_factory=dict)
    stopping: threading.Event = field(default_factory=threading.Event)
    kills: int = 0
    crashes: list[list[str]] = field(default_factory=list)  # the last line of each crash's log
    lock: threading.Lock = field(default_factory=threading.Lock)

    points: dict[str, list[str]] = field(default_factory=dict)  # per process: kill points still to reach

    def add(self, key: str, process: str, port: int) -> None:
        self.children[key] = Child(key, process, port, self.logs)

    def start(self, child: Child) -> None:
        env = {**self.env}
        points = self.points.get(child.process)
        if points:  # armed until reached (in every replica: the active one gets there)
            env["CHAOS_KILL_POINT"] = points[0]
        child.starts += 1
        args = [sys.executable, str(WORKER), self.journey, "run", child.process, "--port", str(child.port)]
        with (
            (self.logs / f"{child.key}-{child.starts}.out").open("wb") as out,
            (self.logs / f"{child.key}-{child.starts}.err").open("wb") as err,
        ):
            child.popen = subprocess.Popen(args, stdout=out, stderr=err, env=env, cwd=ROOT)

    def watch(self) -> None:
        """Restart what died (after a short pause), until stopped."""
        while not self.stopping.wait(0.05):
            with self.lock:
                for child in self.children.values():
                    if child.popen is not None and child.popen.poll() is not None:
                        if child.popen.returncode not in (0, -signal.SIGKILL):  # it crashed: let it
                            self.crashes.append(self.tail(child).strip().splitlines()[-1:] or ["?"])
                        child.popen = None
                        out = self.logs / f"{child.key}-{child.starts}.out"
                        points = self.points.get(child.process)
                        if points and f"kill point {points[0].partition(':')[0]}" in out.read_text(errors="replace"):
                            points.pop(0)
                        child.restart_at = time.monotonic() + 0.2
                    if child.popen is None and time.monotonic() >= child.restart_at:
                        self.start(child)

    def kill(self, key: str) -> bool:
        with self.lock:
            child = self.children[key]
            if child.popen is None or child.popen.poll() is not None:
                return False
            child.popen.send_signal(signal.SIGKILL)
            self.kills += 1
            return True

    def health(self, key: str) -> dict[str, Any] | None:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{self.children[key].port}/health", timeout=2) as answer:
                found: dict[str, Any] = json.loads(answer.read())
                return found
        except (OSError, ValueError, http.client.HTTPException):
            return None

    def stop(self) -> dict[str, int | None]:
        """SIGTERM everything; each process's exit status (0: it stopped gracefully)."""
        self.stopping.set()
        codes: dict[str, int | None] = {}
        with self.lock:
            for child in self.children.values():
                if child.popen is not None:
                    child.popen.send_signal(signal.SIGTERM)
            for child in self.children.values():
                if child.popen is not None:
                    try:
                        codes[child.key] = child.popen.wait(20)
                    except subprocess.TimeoutExpired:
                        child.popen.kill()
                        codes[child.key] = child.popen.wait()
        return codes

    def tail(self, child: Child) -> str:
        path = self.logs / f"{child.key}-{child.starts}.err"
        return path.read_text(errors="replace")[-3000:] if path.exists() else ""

    def output(self) -> list[str]:
        return [line for p in sorted(self.logs.glob("*.out")) for line in p.read_text(errors="replace").splitlines()]


def _drop_databases(prefix: str) -> None:
    import psycopg

    with psycopg.connect(**PG, dbname="postgres", autocommit=True) as conn:
        names = [r[0] for r in conn.execute("SELECT datname FROM pg_database WHERE datname LIKE %s", (prefix + "%",))]
        for name in names:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _post(port: int, path: str, body: dict[str, Any], key: str) -> dict[str, Any]:
    """POST until it is answered (a killed process is restarted): the idempotency key makes repeats harmless."""
    data = json.dumps(body).encode()
    deadline = time.monotonic() + 120
    while True:
        request = urllib.request.Request(
            f"http://127.0.0.1:{port}{path}",
            data=data,
            headers={"content-type": "application/json", "Idempotency-Key": key},
        )
        try:
            with urllib.request.urlopen(request, timeout=10) as answer:
                found: dict[str, Any] = json.loads(answer.read())
                return found
        except urllib.error.HTTPError as error:
            if error.code < 500:
                raise AssertionError(f"{path}: {error.code} {error.read()[:500]!r}") from error
        except (OSError, ValueError, http.client.HTTPException):
            pass  # refused, reset or cut short by a kill (IncompleteRead): try again
        assert time.monotonic() < deadline, f"{path} was not answered for 2 minutes"
        time.sleep(0.1)


def _get(port: int, path: str) -> Any:
    deadline = time.monotonic() + 60
    while True:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=10) as answer:
                return json.loads(answer.read())
        except (OSError, ValueError, http.client.HTTPException):
            assert time.monotonic() < deadline, f"{path} was not answered"
            time.sleep(0.1)


def start_saga(journey: str, port: int, i: int) -> None:
    if journey == "travel":
        body = {
            "traveller": f"Traveller {i}",
            "email": f"t{i % 7}@example.org",
            "origin": "JFK",
            "destination": "LIS",
            "depart_on": "2026-06-01",
            "return_on": "2026-06-08",
            "travellers": 1 + i % 4,
            "cabin": "economy",
            "room_type": "double",
            "car_class": "compact",
            "card_token": f"tok_{i}",
            "amount": f"{100 + i}.00",
            "loyalty_number": None,
        }
        _post(port, "/commands/request-trip", body, f"trip-{i}")
        return
    order = {
        "cart_id": str(uuid5(NS, f"cart-{i}")),  # the same body every time: a retried request is a repeat
        "customer_id": "3f2c1a9e-7b4d-4e2a-9c1b-8d7e6f5a4b3c",
        "email": f"s{i}@example.org",
        "lines": [{"sku": f"BK-{i:03d}", "quantity": 1, "unit_price": "25.00"}],  # value objects: JSON objects
        "total": "25.00",
        "shipping_address": {"street": "1 Main St", "city": "Springfield", "postcode": "12345", "country": "US"},
        "delivery_notes": None,
    }
    placed = _post(port, "/commands/place-customer-order", order, f"order-{i}")
    payment = {
        "order_id": placed["id"],
        "payment_id": str(uuid4()),
        "amount": "25.00",
        "paid_at": "2026-06-01T10:00:00Z",
    }
    _post(port, "/commands/record-order-payment", payment, f"payment-{i}")


def _worker(journey: str, env: dict[str, str], *args: str) -> dict[str, Any]:
    for _ in range(5):
        done = subprocess.run(
            [sys.executable, str(WORKER), journey, *args],
            capture_output=True,
            text=True,
            cwd=ROOT,
            env=env,
            timeout=300,
            check=False,
        )
        # The server's connections are shared (by default 100): wait for one rather than fail.
        if done.returncode == 0 or ("too many clients" not in done.stderr and "PoolTimeout" not in done.stderr):
            break
        time.sleep(2)
    assert done.returncode == 0, done.stderr[-4000:]
    found: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return found


def _wait_all_active(cluster: Cluster, keys: list[str]) -> None:
    deadline = time.monotonic() + 180
    for key in keys:
        while (cluster.health(key) or {}).get("role") != "active":
            assert time.monotonic() < deadline, f"{key} did not become active: {cluster.tail(cluster.children[key])}"
            time.sleep(0.1)


def _takeover(cluster: Cluster, sec: str) -> float:
    """Kill whichever SEC is active; seconds until the other one is active."""
    first, second = sec, f"{sec}-standby"
    deadline = time.monotonic() + 60
    while sorted((cluster.health(k) or {}).get("role") or "" for k in (first, second)) != ["active", "standby"]:
        assert time.monotonic() < deadline, "the SEC and its replica are not active and standing by"
        time.sleep(0.05)
    active = first if (cluster.health(first) or {}).get("role") == "active" else second
    other = second if active == first else first
    began = time.monotonic()
    assert cluster.kill(active)
    while (cluster.health(other) or {}).get("role") != "active":
        assert time.monotonic() - began < 30, "the standby SEC did not take over"
        time.sleep(0.005)
    return time.monotonic() - began


def _one_active(cluster: Cluster, sec: str) -> None:
    """The lock keeps the second replica out: never two active SECs (two reads are not one instant: a kill
    between them can show the old one and its successor, so a pair of actives must not last)."""

    def actives() -> set[int]:
        found = [cluster.health(k) or {} for k in (sec, f"{sec}-standby")]
        return {h["pid"] for h in found if h.get("role") == "active"}

    first = actives()
    if len(first) > 1:
        time.sleep(0.5)
        assert len(first & actives()) <= 1, f"two active SECs: {first}"


def run_journey(journey: str, tmp_path: Path, sagas: int, kills: int) -> dict[str, Any]:
    prefix = f"esp_chaos_{uuid4().hex[:10]}"
    env = {
        **os.environ,
        "ESP_DATABASE_PREFIX": prefix,
        "CHAOS_SEED": str(SEED),
        "CHAOS_RATE": "0.15",  # per step: about half the trips are rejected, a third of the orders retry
        "PYTHONDONTWRITEBYTECODE": "1",
    }
    logs = Path(os.environ.get("ESP_CHAOS_LOGS", str(tmp_path))) / journey
    logs.mkdir(parents=True, exist_ok=True)
    cluster = Cluster(journey, env, logs)
    names = PROCESSES[journey]
    sec = names[-1]
    for process, point, k in KILL_POINTS[journey]:
        cluster.points.setdefault(process, []).append(f"{point}:{k}")
    port = BASE_PORT + (0 if journey == "travel" else 10)
    for i, name in enumerate(names):
        cluster.add(name, name, port + i)
    cluster.add(f"{sec}-standby", sec, port + len(names))
    # The SEC's kill points, one per start: it kills itself at one, restarts with the next.
    sec_child = cluster.children[sec]
    rng = random.Random(SEED)
    takeovers: list[float] = []
    try:
        # The standby SEC starts first (the kill points meet an active SEC); the watcher restarts what dies.
        sec_child.restart_at = time.monotonic() + 3600
        watcher = threading.Thread(target=cluster.watch, daemon=True)
        watcher.start()
        _wait_all_active(cluster, [n for n in names if n != sec])
        sec_child.restart_at = 0.0
        takeovers.append(_chaos(cluster, journey, sagas, kills, rng))
        # After the chaos: every saga ends. A busy machine makes it slow, so what fails is 3 minutes without
        # a saga ending, not a total time.
        deadline, ended = time.monotonic() + STALL, -1
        while True:
            found = _worker(journey, env, "progress", str(sagas))
            if found["ended"] == sagas:
                break
            if found["ended"] > ended:
                deadline, ended = time.monotonic() + STALL, found["ended"]
            assert time.monotonic() < deadline, f"sagas stopped ending for {STALL}s: {found}"
            time.sleep(1)
        _wait_all_active(cluster, names[:-1])
        takeovers.append(_takeover(cluster, sec))  # once more, with everything quiet
        # The live read model (caught up across its process's restarts) and one rebuilt from scratch agree,
        # once the followers have processed the last events (the SEC ends a run before its outcome is recorded).
        replay = _worker(journey, env, "replay")
        deadline = time.monotonic() + 60
        while (live := _live_read_model(journey, cluster.children[ENTRY[journey]].port)) != replay:
            assert time.monotonic() < deadline, f"a fresh read model says {replay}, the live one {live}"
            time.sleep(0.5)
            replay = _worker(journey, env, "replay")
        second = _second_replica(cluster, journey, names[1], port + len(names) + 1)
        codes = cluster.stop()
        assert all(code == 0 for code in codes.values()), f"not stopped gracefully by SIGTERM: {codes}"
        counts = _worker(journey, env, "verify", str(sagas))
        output = cluster.output()
        counts.update(
            processes=len(cluster.children),
            kills=cluster.kills,
            kill_points=sorted({line.split()[2] for line in output if line.startswith("kill point")}),
            resumed=sum(int(line.rpartition("resumed=")[2]) for line in output if line.startswith(f"active {sec}")),
            takeover_ms=[round(t * 1000) for t in takeovers],
            second_replica=second,
            crashes=len(cluster.crashes),
            crash_reasons=sorted({line for lines in cluster.crashes for line in lines})[:5],
        )
        return counts
    finally:
        cluster.stop()
        _drop_databases(prefix)


def _chaos(cluster: Cluster, journey: str, sagas: int, kills: int, rng: random.Random) -> float:
    """Start the sagas over HTTP while killing processes at random; the standby SEC's takeover time, in seconds."""
    sec = PROCESSES[journey][-1]
    entry = cluster.children[ENTRY[journey]].port
    loaded = threading.Event()
    takeover = 0.0

    def load() -> None:
        with ThreadPoolExecutor(8) as pool:
            list(pool.map(lambda i: start_saga(journey, entry, i), range(sagas)))
        loaded.set()

    loader = threading.Thread(target=load, daemon=True)
    loader.start()
    random_kills = 0
    armed = lambda: any(cluster.points.values())  # noqa: E731
    deadline = time.monotonic() + 300
    while not loaded.is_set() or random_kills < kills or armed():
        assert time.monotonic() < deadline, f"kill points not reached: {cluster.points}"
        time.sleep(rng.uniform(0.05, 0.4) if not loaded.is_set() else 0.2)
        _one_active(cluster, sec)
        if random_kills == kills // 2 and not takeover:
            takeover = _takeover(cluster, sec)
            random_kills += 1
            continue
        if random_kills < kills and cluster.kill(rng.choice(list(cluster.children))):
            random_kills += 1
    loader.join(300)
    assert loaded.is_set(), "the sagas were not all started"
    return takeover


def _live_read_model(journey: str, port: int) -> dict[str, int]:
    """What the live read model of the entry microservice answers (it caught up across its restarts)."""
    if journey == "travel":
        rejected = _get(port, "/queries/list-rejected-trips?since=2020-01-01")
        trips = [row for i in range(7) for row in _get(port, f"/queries/view-my-trips?email=t{i}@example.org")]
        return {"rows": len(trips), "rejected": len(rejected), "booked": sum(r["state"] == "booked" for r in trips)}
    orders = _get(port, "/queries/view-my-orders?customer_id=3f2c1a9e-7b4d-4e2a-9c1b-8d7e6f5a4b3c")
    return {"rows": len(orders), "fulfilled": sum(r["state"] == "fulfilled" for r in orders)}


def _second_replica(cluster: Cluster, journey: str, process: str, port: int) -> str:
    """A second replica of a running consumer stands by: the advisory lock keeps it out."""
    cluster.add(f"{process}-replica", process, port)
    child = cluster.children[f"{process}-replica"]
    with cluster.lock:
        cluster.start(child)
    deadline = time.monotonic() + 30
    while (role := (cluster.health(child.key) or {}).get("role")) is None:
        assert time.monotonic() < deadline, cluster.tail(child)
        time.sleep(0.1)
    time.sleep(1.0)
    role = (cluster.health(child.key) or {}).get("role")
    assert role == "standby", f"a second {process} became {role}"
    assert (cluster.health(process) or {}).get("role") == "active"
    return str(role)


@pytest.fixture
def postgres() -> Iterator[None]:
    try:
        import psycopg

        psycopg.connect(**PG, dbname="postgres", connect_timeout=5).close()
    except Exception as error:  # no server: fail in CI, skip elsewhere
        if os.environ.get("CI"):
            pytest.fail(f"PostgreSQL is not reachable: {error}")
        pytest.skip(f"PostgreSQL is not reachable: {error}")
    yield


@pytest.mark.slow
def test_chaos(postgres: None, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    began = time.monotonic()
    results = {journey: run_journey(journey, tmp_path, SAGAS, KILLS) for journey in ("travel", "shopping")}
    total = {k: sum(r[k] for r in results.values()) for k in ("sagas", "processes", "kills", "resumed", "lost")}
    duplicated = sum(r["duplicated"] for r in results.values())
    takeovers = [t for r in results.values() for t in r["takeover_ms"]]
    line = (
        f"chaos: sagas={total['sagas']} processes={total['processes']} kills={total['kills']} "
        f"resumed={total['resumed']} lost={total['lost']} duplicated={duplicated}"
    )
    details = {journey: {k: v for k, v in r.items()} for journey, r in results.items()}
    report = Path(os.environ.get("ESP_CHAOS_COUNTS", str(tmp_path / "chaos-counts.json")))
    report.write_text(json.dumps(details, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    with capsys.disabled():
        print(f"\n{line}")
        print(f"chaos: standby SEC takeover ms={takeovers}, seconds={round(time.monotonic() - began)} ({report})")
    assert total["lost"] == 0 and duplicated == 0, details
    assert total["sagas"] == 2 * SAGAS
    assert total["kills"] >= 2 * KILLS, details
    for journey, r in results.items():
        assert r["kill_points"] == sorted({point for _, point, _ in KILL_POINTS[journey]}), details
    assert results["travel"]["compensated"] > 0 and results["shopping"]["retries"] > 0, details
