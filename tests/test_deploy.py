"""`python -m <package> up` on the generated travel example: one process per microservice on PostgreSQL.

Every microservice serves its OpenAPI, a trip booked over HTTP completes across the processes, a trip whose
card is declined (a rule written in rules.py, as a user would) is rejected after the car, the hotel and the
flight were cancelled in that order, a process killed with SIGKILL is started again by `up`, and SIGTERM
stops them all. The databases (one per process) are created by the processes and dropped afterwards.
"""

from __future__ import annotations

import http.client
import json
import os
import shutil
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from uuid import uuid4

import pytest

ROOT = Path(__file__).resolve().parents[1]
TRAVEL = ROOT / "generated" / "travel"
PROCESSES = ["trips", "flights", "hotels", "cars", "travel-payments", "book-trip-saga"]
PG = {"host": "127.0.0.1", "port": 5432, "user": "postgres"}
TRIP = {
    "traveller": "Ann",
    "email": "ann@example.org",
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
DECLINED = "9999.99"  # the amount the card rule below declines
CARD_RULE = f"""from __future__ import annotations

from decimal import Decimal

from book_a_trip.travel_payments import commands
from book_a_trip.travel_payments.hooks import Hooks


class Rules(Hooks):
    def charge_card_fails(self, command: commands.ChargeCard) -> str | None:
        return "card declined" if command.amount == Decimal("{DECLINED}") else None
"""


def _get(url: str) -> Any:
    with urllib.request.urlopen(url, timeout=5) as answer:
        return json.loads(answer.read())


def _post(url: str, body: dict[str, Any], key: str | None = None) -> tuple[int, dict[str, str], Any]:
    headers = {"content-type": "application/json", **({"Idempotency-Key": key} if key else {})}
    request = urllib.request.Request(url, data=json.dumps(body).encode(), headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=10) as answer:
            return answer.status, dict(answer.headers), json.loads(answer.read())
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), json.loads(error.read())


def _until(check: Any, what: str, seconds: float = 90) -> Any:
    deadline = time.monotonic() + seconds
    while True:
        try:
            found = check()
            if found:
                return found
        except (OSError, ValueError, http.client.HTTPException):  # a killed process cuts its answer short
            pass
        assert time.monotonic() < deadline, f"{what} did not happen in {seconds}s"
        time.sleep(0.1)


@pytest.fixture
def up(tmp_path: Path) -> Iterator[tuple[int, subprocess.Popen[bytes], Path, str]]:
    """`python -m book_a_trip up` on databases of its own; its first port, the process and its output."""
    try:
        import psycopg

        psycopg.connect(**PG, dbname="postgres", connect_timeout=5).close()
    except Exception as error:  # no server: fail in CI, skip elsewhere
        if os.environ.get("CI"):
            pytest.fail(f"PostgreSQL is not reachable: {error}")
        pytest.skip(f"PostgreSQL is not reachable: {error}")
    prefix = f"esp_up_{uuid4().hex[:10]}"
    port = 18600 + os.getpid() % 50 * 10
    package = tmp_path / "travel"  # a copy, with the user's rule that declines a card
    shutil.copytree(TRAVEL, package, ignore=shutil.ignore_patterns("__pycache__", ".pytest_cache"))
    (package / "book_a_trip" / "travel_payments" / "rules.py").write_text(CARD_RULE, encoding="utf-8")
    env = {**os.environ, "ESP_DATABASE_PREFIX": prefix, "PYTHONPATH": str(package), "PYTHONDONTWRITEBYTECODE": "1"}
    out = tmp_path / "up.log"
    with out.open("wb") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "book_a_trip", "up", "--port", str(port)],
            stdout=log,
            stderr=subprocess.STDOUT,
            env=env,
            cwd=tmp_path,
        )
    try:
        yield port, process, out, prefix
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            process.wait(30)
        with psycopg.connect(**PG, dbname="postgres", autocommit=True) as conn:
            rows = conn.execute("SELECT datname FROM pg_database WHERE datname LIKE %s", (prefix + "%",)).fetchall()
            for (name,) in rows:
                conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.mark.slow
def _compensations(prefix: str) -> list[str]:
    """The steps the SEC compensated, in the order it started them (its journal in its own database)."""
    import psycopg

    with psycopg.connect(**PG, dbname=f"{prefix}_book_trip_saga") as conn:
        rows = conn.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_name LIKE %s", ("%_events",)
        ).fetchall()
        states: list[dict[str, Any]] = []
        for (table,) in rows:
            query = f'SELECT state FROM "{table}" WHERE topic LIKE %s ORDER BY originator_id, originator_version'
            states += [json.loads(bytes(row[0])) for row in conn.execute(query, ("%CompensationStarted",))]
    return [state["step"] for state in states]


def test_up_serves_every_api_and_books_a_trip_across_processes(
    up: tuple[int, subprocess.Popen[bytes], Path, str],
) -> None:
    port, process, out, prefix = up
    urls = {name: f"http://127.0.0.1:{port + i}" for i, name in enumerate(PROCESSES)}
    for name, url in urls.items():
        _until(lambda url=url: _get(f"{url}/health").get("role") == "active", f"{name} active")
        assert _get(f"{url}/ready")["status"] == "ready"
    for name in PROCESSES[:-1]:
        spec = _get(f"{urls[name]}/openapi.json")
        assert spec["info"]["title"] == name and any(p.startswith("/commands/") for p in spec["paths"]), spec
    # The saga across six processes: trips -> SEC -> flights, hotels, cars, payments -> SEC -> trips.
    status, _, created = _post(f"{urls['trips']}/commands/request-trip", TRIP, key="trip-1")
    assert status == 201, created
    status, headers, again = _post(f"{urls['trips']}/commands/request-trip", TRIP, key="trip-1")
    assert (status, again) == (201, created) and headers.get("idempotent-replayed") == "true"
    booked = _until(
        lambda: [
            r for r in _get(f"{urls['trips']}/queries/view-my-trips?email=ann@example.org") if r["state"] == "booked"
        ],
        "the trip booked",
    )
    assert [r["id"] for r in booked] == [created["id"]]  # one trip: the repeated request changed nothing
    # A declined card (the pivot): the steps done before it are compensated in reverse order.
    status, _, declined = _post(f"{urls['trips']}/commands/request-trip", {**TRIP, "amount": DECLINED}, key="trip-2")
    assert status == 201, declined
    _until(
        lambda: [
            r
            for r in _get(f"{urls['trips']}/queries/view-my-trips?email=ann@example.org")
            if r["id"] == declined["id"] and r["state"] == "rejected"
        ],
        "the trip rejected",
    )
    assert _compensations(prefix) == ["Reserve car", "Reserve hotel", "Reserve flight"]
    # A rejected command: cancelling a reservation that does not exist, then one not in a cancellable state.
    missing = {"seat_reservation_id": str(uuid4()), "trip_id": created["id"]}
    status, headers, problem = _post(f"{urls['flights']}/commands/cancel-flight-reservation", missing)
    assert status == 404 and headers["content-type"] == "application/problem+json", problem
    # up restarts a process killed with SIGKILL; it becomes active again.
    pid = _get(f"{urls['hotels']}/health")["pid"]
    os.kill(pid, signal.SIGKILL)
    _until(lambda: _get(f"{urls['hotels']}/health").get("pid") not in (None, pid), "hotels restarted")
    process.send_signal(signal.SIGTERM)
    assert process.wait(30) == 0
    log = out.read_text(errors="replace")
    assert "hotels exited with -9: restarting" in log and "up: stopped" in log, log[-3000:]
    assert "Traceback" not in log, log[-3000:]


def test_procfile_lists_every_process() -> None:
    env = {**os.environ, "PYTHONPATH": str(TRAVEL)}
    done = subprocess.run(
        [sys.executable, "-m", "book_a_trip", "procfile"], capture_output=True, text=True, env=env, check=True
    )
    shipped = [line for line in (TRAVEL / "Procfile").read_text().splitlines() if not line.startswith("#")]
    assert done.stdout.splitlines() == shipped
    assert [line.partition(":")[0] for line in shipped] == PROCESSES
