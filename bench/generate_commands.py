"""Commands per second through the generated restaurant dining service, against a
hand-written eventsourcing application doing the same commands, and against raw
sqlite3 inserts with one commit per command (the floor).

Same persistence for both applications (in memory, then SQLite files), the same
snapshot interval (50, as the journey sets), fresh applications every round, and
the implementations interleaved round by round. Target: generated >= 0.9x
hand-written. Also: reloading one aggregate of 10,000 events with and without a
snapshot.
"""

from __future__ import annotations

import argparse
import sqlite3
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any
from uuid import UUID, uuid4

from eventsourcing.application import Application
from eventsourcing.domain import Aggregate, event

from esp_runtime import memory_env, sqlite_env

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "generated" / "restaurant"))

from customer_dining.dining import application as generated  # noqa: E402
from customer_dining.dining import commands  # noqa: E402


class Order(Aggregate):
    """The hand-written equivalent of DiningOrder: open a table, add drinks."""

    @event("TableOpened")
    def __init__(self, table_number: int, guests: int) -> None:
        self.table_number = table_number
        self.guests = guests
        self.state = "open"
        self.drinks: list[str] = []

    @event("DrinksAdded")
    def add_drinks(self, drink: str, quantity: int) -> None:
        if self.state != "open":
            raise ValueError(self.state)
        self.drinks.append(drink)


class Dining(Application[UUID]):
    snapshotting_intervals = {Order: 50}

    def open_table(self, table_number: int, guests: int) -> UUID:
        order = Order(table_number, guests)
        self.save(order)
        return order.id

    def add_drinks(self, order_id: UUID, drink: str, quantity: int) -> None:
        order: Order = self.repository.get(order_id)
        order.add_drinks(drink, quantity)
        self.save(order)


def run_generated(env: dict[str, str], n: int) -> float:
    app = generated.DiningService(env)
    start = time.perf_counter()
    order_id = app.open_table(commands.OpenTable(table_number=1, guests=2))
    for _ in range(n - 1):
        app.add_drinks(commands.AddDrinks(order_id=order_id, drink="tea", quantity=1))
    elapsed = time.perf_counter() - start
    app.close()
    return elapsed


def run_handwritten(env: dict[str, str], n: int) -> float:
    app = Dining(env)
    start = time.perf_counter()
    order_id = app.open_table(1, 2)
    for _ in range(n - 1):
        app.add_drinks(order_id, "tea", 1)
    elapsed = time.perf_counter() - start
    app.close()
    return elapsed


def run_raw(path: Path, n: int) -> float:
    db = sqlite3.connect(path)
    db.execute("PRAGMA journal_mode=WAL")  # as the eventsourcing SQLite recorder does
    db.execute("CREATE TABLE IF NOT EXISTS events (id TEXT, version INTEGER, topic TEXT, state BLOB)")
    order_id = str(uuid4())
    start = time.perf_counter()
    for version in range(1, n + 1):
        db.execute("INSERT INTO events VALUES (?, ?, ?, ?)", (order_id, version, "DrinksAdded", b'{"drink":"tea"}'))
        db.commit()
    elapsed = time.perf_counter() - start
    db.close()
    return elapsed


def envs(kind: str, folder: Path, name: str) -> dict[str, str]:
    if kind == "memory":
        return memory_env()
    return sqlite_env(folder / f"{name}-{uuid4().hex}", [generated.DiningService.name, Dining.name])


def throughput(kind: str, rounds: int, n: int) -> dict[str, list[float]]:
    times: dict[str, list[float]] = {"generated": [], "hand-written": [], "raw sqlite3": []}
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        for i in range(rounds + 1):  # the first round warms up
            pairs: list[tuple[str, Callable[[], float]]] = [
                ("generated", lambda: run_generated(envs(kind, folder, "g"), n)),
                ("hand-written", lambda: run_handwritten(envs(kind, folder, "h"), n)),
            ]
            if kind == "sqlite":
                pairs.append(("raw sqlite3", lambda: run_raw(folder / f"raw-{uuid4().hex}.db", n)))
            if i % 2:
                pairs.reverse()
            for name, fn in pairs:
                seconds = fn()
                if i:
                    times[name].append(n / seconds)
    return times


def reload_times(kind: str, events: int) -> tuple[float, float]:
    """Seconds to get one aggregate of ``events`` events, without and with a snapshot."""

    class Unsnapshotted(generated.DiningService):
        snapshotting_intervals: Any = {}

    with tempfile.TemporaryDirectory() as tmp:
        env = envs(kind, Path(tmp), "r")
        env["IS_SNAPSHOTTING_ENABLED"] = "y"
        env.update({k.replace("DININGSERVICE_", "UNSNAPSHOTTED_"): v for k, v in env.items()})
        app = Unsnapshotted(env)
        order_id = app.open_table(commands.OpenTable(table_number=1, guests=2))
        order = app.get_dining_order(order_id)
        for _ in range(events - 1):
            order.trigger_event(order.DrinksAdded, drink="tea", quantity=1)
        app.save(order)
        without = _best(lambda: app.get_dining_order(order_id), 5)
        app.take_snapshot(order_id)
        with_snapshot = _best(lambda: app.get_dining_order(order_id), 5)
        app.close()
    return without, with_snapshot


def _best(fn: Callable[[], object], times: int) -> float:
    results = []
    for _ in range(times):
        start = time.perf_counter()
        fn()
        results.append(time.perf_counter() - start)
    return min(results)


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--commands", type=int, default=400)
    parser.add_argument("--events", type=int, default=10_000)
    args = parser.parse_args(argv)
    print("| persistence | generated cmd/s | hand-written cmd/s | ratio (target >= 0.9x) | raw sqlite3 inserts/s |")
    print("|---|---|---|---|---|")
    for kind in ("memory", "sqlite"):
        times = throughput(kind, args.rounds, args.commands)
        ratio = statistics.median(g / h for g, h in zip(times["generated"], times["hand-written"], strict=True))
        raw = f"{statistics.median(times['raw sqlite3']):,.0f}" if times["raw sqlite3"] else "-"
        print(
            f"| {kind} | {statistics.median(times['generated']):,.0f} | "
            f"{statistics.median(times['hand-written']):,.0f} | **{ratio:.2f}x** | {raw} |"
        )
    print()
    print(f"| persistence | reload {args.events:,} events | with a snapshot |")
    print("|---|---|---|")
    for kind in ("memory", "sqlite"):
        without, with_snapshot = reload_times(kind, args.events)
        print(f"| {kind} | {without * 1000:.1f} ms | {with_snapshot * 1000:.2f} ms |")


if __name__ == "__main__":
    main(sys.argv[1:])
