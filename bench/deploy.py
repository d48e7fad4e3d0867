"""Sagas per second on PostgreSQL: the generated travel system in one process vs one process per microservice.

- one process: ``BookATrip`` (every microservice and the SEC in one eventsourcing System, the library's
  single-threaded runner) on one PostgreSQL schema; trips requested one after another, each saga run to
  its end by the runner before the next request;
- one process per microservice: ``run`` for trips, flights, hotels, cars, travel-payments and the SEC
  (``tests/chaos_worker.py run``, with no failures), one database each, following each other with
  LISTEN/NOTIFY subscriptions; trips requested over HTTP by 8 clients at once; timed until the SEC has
  ended every saga.

    python -m bench deploy [--sagas 200]
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from datetime import date
from decimal import Decimal
from pathlib import Path
from uuid import uuid4

ROOT = Path(__file__).resolve().parent.parent
WORKER = ROOT / "tests" / "chaos_worker.py"
PROCESSES = ["trips", "flights", "hotels", "cars", "travel-payments", "book-trip-saga"]
PORT = 18950


def _trip(i: int) -> dict[str, object]:
    return {
        "traveller": f"T{i}",
        "email": f"t{i}@example.org",
        "origin": "JFK",
        "destination": "LIS",
        "depart_on": "2026-06-01",
        "return_on": "2026-06-08",
        "travellers": 2,
        "cabin": "economy",
        "room_type": "double",
        "car_class": "compact",
        "card_token": "tok",
        "amount": "120.50",
        "loyalty_number": None,
    }


def one_process(sagas: int) -> float:
    """Sagas per second of BookATrip on PostgreSQL (a fresh schema)."""
    import psycopg

    sys.path.insert(0, str(ROOT / "generated" / "travel"))
    from book_a_trip.system import BookATrip
    from book_a_trip.trips import commands

    from esp_runtime import postgres_env

    schema = f"esp_bench_one_{uuid4().hex[:8]}"
    with psycopg.connect(host="127.0.0.1", user="postgres", dbname="test", autocommit=True) as conn:
        conn.execute(f'CREATE SCHEMA "{schema}"')
        try:
            with BookATrip(postgres_env(schema)) as system:
                began = time.perf_counter()
                for i in range(sagas):
                    fields = {**_trip(i), "depart_on": date(2026, 6, 1), "return_on": date(2026, 6, 8)}
                    system.trips.request_trip(commands.RequestTrip(**{**fields, "amount": Decimal("120.50")}))
                seconds = time.perf_counter() - began
                assert len(system.book_trip_saga.unfinished()) == 0
                return sagas / seconds
        finally:
            conn.execute(f'DROP SCHEMA "{schema}" CASCADE')


def _health(port: int) -> dict[str, object]:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=2) as answer:
            found: dict[str, object] = json.loads(answer.read())
            return found
    except OSError:
        return {}


def _post(port: int, body: dict[str, object]) -> None:
    data = json.dumps(body).encode()
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}/commands/request-trip", data=data, headers={"content-type": "application/json"}
    )
    urllib.request.urlopen(request, timeout=30).close()


def process_per_microservice(sagas: int) -> float:
    """Sagas per second of the six processes, each on its own database."""
    prefix = f"esp_bench_many_{uuid4().hex[:8]}"
    env = {**os.environ, "ESP_DATABASE_PREFIX": prefix, "CHAOS_RATE": "0"}
    children = [
        subprocess.Popen(
            [sys.executable, str(WORKER), "travel", "run", name, "--port", str(PORT + i)],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        for i, name in enumerate(PROCESSES)
    ]
    try:
        deadline = time.monotonic() + 120
        while not all(_health(PORT + i).get("role") == "active" for i in range(len(PROCESSES))):
            assert time.monotonic() < deadline, "the processes did not start"
            time.sleep(0.2)
        began = time.perf_counter()
        with ThreadPoolExecutor(8) as pool:
            list(pool.map(lambda i: _post(PORT, _trip(i)), range(sagas)))
        while True:
            done = subprocess.run(
                [sys.executable, str(WORKER), "travel", "progress", str(sagas)],
                capture_output=True,
                text=True,
                env=env,
                check=True,
            )
            if json.loads(done.stdout.strip().splitlines()[-1])["ended"] >= sagas:
                return sagas / (time.perf_counter() - began)
            time.sleep(0.2)
    finally:
        for child in children:
            child.send_signal(signal.SIGTERM)
        for child in children:
            child.wait(30)
        _drop(prefix)


def _drop(prefix: str) -> None:
    import psycopg

    with psycopg.connect(host="127.0.0.1", user="postgres", dbname="postgres", autocommit=True) as conn:
        rows = conn.execute("SELECT datname FROM pg_database WHERE datname LIKE %s", (prefix + "%",)).fetchall()
        for (name,) in rows:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench deploy")
    parser.add_argument("--sagas", type=int, default=200)
    args = parser.parse_args(argv)
    one = one_process(args.sagas)
    many = process_per_microservice(args.sagas)
    print(f"one process:                   {one:6.1f} sagas/s ({args.sagas} travel sagas, PostgreSQL)")
    print(f"one process per microservice:  {many:6.1f} sagas/s (6 processes, 8 HTTP clients; includes the HTTP)")
    print(f"ratio per-microservice/one:    {many / one:.2f}x")


if __name__ == "__main__":
    main(sys.argv[1:])
