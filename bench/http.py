"""HTTP commands: the generated API against a hand-written FastAPI + eventsourcing endpoint doing the same work.

Both answer ``POST`` RequestTrip (13 fields: text, dates, a decimal, an optional) by storing a new Trip
aggregate's creation event in PostgreSQL (a fresh schema each) and answering its id and version, under
uvicorn (one worker) on 127.0.0.1. Debian's ``wrk`` loads each in turn, interleaved rounds; the figures
are the median round's p50, p99 and requests per second, and the ratio generated/hand-written.

    python -m bench http [--rounds 3] [--seconds 8] [--connections 16]
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from uuid import uuid4

ROOT = Path(__file__).resolve().parent.parent
BODY = {
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

HAND_WRITTEN = '''
"""A hand-written endpoint: what one would write without esp, for the same command."""
from datetime import date
from decimal import Decimal
from uuid import UUID, uuid4

from eventsourcing.application import Application
from eventsourcing.domain import Aggregate
from eventsourcing.persistence import JSONTranscoder, Transcoding
from fastapi import FastAPI
from pydantic import BaseModel


class DateAsISO(Transcoding):
    type = date
    name = "date_iso"

    def encode(self, obj):
        return obj.isoformat()

    def decode(self, data):
        return date.fromisoformat(data)


class Trip(Aggregate):
    class TripRequested(Aggregate.Created):
        traveller: str
        email: str
        origin: str
        destination: str
        depart_on: date
        return_on: date
        travellers: int
        cabin: str
        room_type: str
        car_class: str
        card_token: str
        amount: Decimal
        loyalty_number: str | None

    def __init__(self, **fields):
        self.__dict__.update(fields)


class Trips(Application):
    name = "TripsService"

    def register_transcodings(self, transcoder: JSONTranscoder) -> None:
        super().register_transcodings(transcoder)
        transcoder.register(DateAsISO())


class RequestTrip(BaseModel):
    traveller: str
    email: str
    origin: str
    destination: str
    depart_on: date
    return_on: date
    travellers: int
    cabin: str
    room_type: str
    car_class: str
    card_token: str
    amount: Decimal
    loyalty_number: str | None


trips = Trips()
app = FastAPI()


@app.post("/commands/request-trip", status_code=201)
def request_trip(command: RequestTrip) -> dict[str, object]:
    trip = Trip._create(Trip.TripRequested, id=uuid4(), **command.model_dump())
    trips.save(trip)
    return {"id": trip.id, "version": trip.version}
'''

GENERATED = '''
"""The generated trips API (esp_runtime.http over the generated TripsService), without a consumer."""
import sys
sys.path.insert(0, {travel!r})
from book_a_trip.deploy import DEPLOYMENT
from esp_runtime.http import Opened

process = DEPLOYMENT.process("trips")
app = Opened(process, process.app(), {{}}).web
'''

LUA = """wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.body = '{body}'
"""


def _schema(name: str) -> dict[str, str]:
    import psycopg

    with psycopg.connect(host="127.0.0.1", user="postgres", dbname="test", autocommit=True) as conn:
        conn.execute(f'CREATE SCHEMA "{name}"')
    return {
        "PERSISTENCE_MODULE": "eventsourcing.postgres",
        "POSTGRES_DBNAME": "test",
        "POSTGRES_HOST": "127.0.0.1",
        "POSTGRES_PORT": "5432",
        "POSTGRES_USER": "postgres",
        "POSTGRES_PASSWORD": "",
        "POSTGRES_SCHEMA": name,
        "POSTGRES_POOL_SIZE": "4",
    }


def _drop(name: str) -> None:
    import psycopg

    with psycopg.connect(host="127.0.0.1", user="postgres", dbname="test", autocommit=True) as conn:
        conn.execute(f'DROP SCHEMA IF EXISTS "{name}" CASCADE')


def _serve(folder: Path, module: str, source: str, port: int, env: dict[str, str]) -> subprocess.Popen[bytes]:
    (folder / f"{module}.py").write_text(source, encoding="utf-8")
    args = [sys.executable, "-m", "uvicorn", f"{module}:app", "--port", str(port), "--log-level", "warning"]
    server = subprocess.Popen([*args, "--no-access-log"], cwd=folder, env={**os.environ, **env})
    for _ in range(300):
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/openapi.json", timeout=1).close()
            return server
        except OSError:
            time.sleep(0.1)
    server.kill()
    raise RuntimeError(f"{module} did not start")


def _wrk(port: int, script: Path, seconds: int, connections: int) -> dict[str, float]:
    url = f"http://127.0.0.1:{port}/commands/request-trip"
    args = ["wrk", "-t2", f"-c{connections}", f"-d{seconds}s", "--latency", "-s", str(script), url]
    out = subprocess.run(args, capture_output=True, text=True, check=True).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
    latency = {m[0]: _millis(m[1]) for m in re.findall(r"^\s+(50|99)%\s+(\S+)", out, re.MULTILINE)}
    if set(latency) != {"50", "99"}:
        raise RuntimeError(f"no latency distribution in wrk's output:\n{out}")
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    if errors:
        raise RuntimeError(f"{errors.group(1)} failed requests:\n{out}")
    return {"rps": rps, "p50": latency["50"], "p99": latency["99"]}


def _millis(text: str) -> float:
    value = float(re.sub(r"[a-z]+$", "", text))
    unit = re.search(r"[a-z]+$", text).group(0)  # type: ignore[union-attr]
    return value * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench http")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seconds", type=int, default=8)
    parser.add_argument("--connections", type=int, default=16)
    args = parser.parse_args(argv)
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is not installed: apt-get install wrk (./dev bench does)")
    folder = Path(tempfile.mkdtemp(prefix="esp-bench-http-"))
    script = folder / "post.lua"
    script.write_text(LUA.format(body=json.dumps(BODY)), encoding="utf-8")
    schemas = {name: f"esp_bench_{name}_{uuid4().hex[:8]}" for name in ("generated", "hand")}
    sources = {"generated": GENERATED.format(travel=str(ROOT / "generated" / "travel")), "hand": HAND_WRITTEN}
    ports = {"generated": 18891, "hand": 18892}
    servers = {}
    try:
        for name in ("generated", "hand"):
            servers[name] = _serve(folder, f"{name}_app", sources[name], ports[name], _schema(schemas[name]))
        results: dict[str, list[dict[str, float]]] = {"generated": [], "hand": []}
        for name in ("generated", "hand"):  # warm-up
            _wrk(ports[name], script, 2, args.connections)
        for _ in range(args.rounds):
            for name in ("generated", "hand"):
                results[name].append(_wrk(ports[name], script, args.seconds, args.connections))
        report(results)
    finally:
        for server in servers.values():
            server.send_signal(signal.SIGTERM)
            server.wait(10)
        for schema in schemas.values():
            _drop(schema)
        shutil.rmtree(folder, ignore_errors=True)


def report(results: dict[str, list[dict[str, float]]]) -> None:
    def median(name: str, key: str) -> float:
        return statistics.median(r[key] for r in results[name])

    for name in ("generated", "hand"):
        print(
            f"{name:9} p50 {median(name, 'p50'):6.2f} ms  p99 {median(name, 'p99'):6.2f} ms  "
            f"{median(name, 'rps'):7.1f} requests/s"
        )
    ratios = [g["rps"] / h["rps"] for g, h in zip(results["generated"], results["hand"], strict=True)]
    print(
        f"throughput generated/hand-written: {statistics.median(ratios):.2f}x (per round: "
        + ", ".join(f"{r:.2f}" for r in ratios)
        + "; goal >= 0.9x)"
    )


if __name__ == "__main__":
    main(sys.argv[1:])
