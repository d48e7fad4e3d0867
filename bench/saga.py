"""The generated travel saga (BookTrip) on SQLite: sagas completed per second, and resuming after a restart.

1. Throughput: trips requested one after another through the generated system (six applications,
   one SQLite file each: trips, the BookTrip SEC, flights, hotels, cars, travel-payments); each
   request runs its whole saga (four steps, 5 applications, about 20 stored events) before the next.
   Measured in memory, on SQLite on tmpfs (no fsync cost) and on SQLite on disk.
2. Resumption: 1,000 sagas are left unfinished (the card service is down, so every saga waits at its
   pivot step with the command journaled and unanswered), the system is closed, and started again
   with the card service up. Measured: how long the SEC takes to find the unfinished runs in its
   journal (its start-up), and how long until all 1,000 sagas have completed.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from datetime import date
from decimal import Decimal
from pathlib import Path

from esp_runtime import memory_env, sqlite_env
from esp_runtime.saga import runs

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "generated" / "travel"))

from book_a_trip.system import SYSTEM, BookATrip  # noqa: E402
from book_a_trip.travel_payments import commands as payments_commands  # noqa: E402
from book_a_trip.travel_payments.rules import Rules as PaymentsRules  # noqa: E402
from book_a_trip.trips import commands as trips_commands  # noqa: E402
from book_a_trip.trips.sagas import BookTripSaga  # noqa: E402


class Down(Exception):
    """The card service does not answer."""


class CardServiceDown(PaymentsRules):
    def charge_card_fails(self, command: payments_commands.ChargeCard) -> str | None:
        raise Down(str(command.trip_id))


def request(i: int) -> trips_commands.RequestTrip:
    return trips_commands.RequestTrip(
        traveller=f"Traveller {i}",
        email=f"t{i}@example.org",
        origin="JFK",
        destination="LIS",
        depart_on=date(2026, 6, 1),
        return_on=date(2026, 6, 8),
        travellers=2,
        cabin="economy",
        room_type="double",
        car_class="compact",
        card_token="tok_4242",
        amount=Decimal("2480.00"),
        loyalty_number=None,
    )


@contextmanager
def folder(where: str | None) -> Iterator[Path]:
    path = Path(tempfile.mkdtemp(prefix="esp-bench-saga-", dir=where))
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)


def tmpfs() -> str | None:
    shm = Path("/dev/shm")
    return str(shm) if shm.is_dir() else None


def throughput(env: dict[str, str], trips: int) -> tuple[float, int]:
    """Sagas completed per second, and events stored per saga (a fresh system)."""
    with BookATrip(env) as system:
        start = time.perf_counter()
        for i in range(trips):
            system.trips.request_trip(request(i))
        seconds = time.perf_counter() - start
        done = sum(1 for run in runs(system.book_trip_saga) if run.status == "completed")
        assert done == trips, f"{done} of {trips} sagas completed"
        stored = sum(system.positions().values()) + (system.book_trip_saga.recorder.max_notification_id() or 0)
    return trips / seconds, stored // trips


@contextmanager
def following_everything() -> Iterator[None]:
    """The services follow every SEC event, as they did before they followed only theirs (for the ratio)."""
    classes = [SYSTEM.follower_cls(name) for name in SYSTEM.followers]
    classes = [cls for cls in classes if cls.topics]
    saved = {cls: cls.topics for cls in classes}
    for cls in classes:
        cls.topics = ()
    try:
        yield
    finally:
        for cls, topics in saved.items():
            cls.topics = topics


def resumption(data: Path, unfinished: int) -> tuple[float, float, float]:
    """Seconds to leave ``unfinished`` sagas waiting; seconds for the SEC to find them; seconds to finish them."""
    env = sqlite_env(data, SYSTEM.nodes)
    start = time.perf_counter()
    with BookATrip(env) as system:
        system.travel_payments.rules = CardServiceDown()
        for i in range(unfinished):
            with suppress(Down):
                system.trips.request_trip(request(i))
        assert len(system.book_trip_saga.unfinished()) == unfinished
    setup = time.perf_counter() - start
    start = time.perf_counter()
    sec = BookTripSaga(env)  # what an SEC does at start-up: read its journal for the unfinished runs
    found = len(sec.unfinished())
    scan = time.perf_counter() - start
    sec.close()
    assert found == unfinished, found
    start = time.perf_counter()
    with BookATrip(env) as system:  # start-up: every service catches up, the card charges go through
        assert not system.book_trip_saga.unfinished()
    finish = time.perf_counter() - start
    return setup, scan, finish


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.saga", description=__doc__.splitlines()[0])
    parser.add_argument("--trips", type=int, default=300, help="sagas per throughput round (on disk: a fifth)")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--unfinished", type=int, default=1000)
    args = parser.parse_args(argv)

    kinds: dict[str, tuple[Callable[[Path], dict[str, str]], str | None, int]] = {
        "memory": (lambda _: memory_env(), None, args.trips),
        "SQLite on tmpfs": (lambda p: sqlite_env(p, SYSTEM.nodes), tmpfs(), args.trips),
        "SQLite on disk": (lambda p: sqlite_env(p, SYSTEM.nodes), None, max(1, args.trips // 5)),
    }
    print(f"travel saga (BookTrip), 4 steps, rounds of {args.trips} sagas (median of {args.rounds} rounds)")
    for name, (make, where, trips) in kinds.items():
        rates, per_saga = [], 0
        for _ in range(args.rounds):
            with folder(where) as path:
                rate, per_saga = throughput(make(path), trips)
                rates.append(rate)
        print(f"  {name:16} {statistics.median(rates):8.1f} sagas/s  ({trips} sagas a round, {per_saga} events a saga)")

    rates_only, rates_all = [], []
    for _ in range(args.rounds):  # interleaved: following only the events meant for them, then all of them
        with folder(tmpfs()) as path:
            rates_only.append(throughput(sqlite_env(path, SYSTEM.nodes), args.trips)[0])
        with folder(tmpfs()) as path, following_everything():
            rates_all.append(throughput(sqlite_env(path, SYSTEM.nodes), args.trips)[0])
    ratio = statistics.median(a / b for a, b in zip(rates_only, rates_all, strict=True))
    print(f"  SQLite on tmpfs, participants following every SEC event: {statistics.median(rates_all):.1f} sagas/s")
    print(f"  following only the SEC events meant for them: {ratio:.2f}x the sagas/s")

    with folder(tmpfs()) as path:
        setup, scan, finish = resumption(path, args.unfinished)
    print(f"resume {args.unfinished} unfinished sagas after a restart (SQLite on tmpfs):")
    print(f"  leaving them unfinished took {setup:.1f} s")
    print(f"  SEC start-up, finding them in its journal: {scan * 1000:.0f} ms")
    print(f"  restart until all {args.unfinished} have completed: {finish:.2f} s")


if __name__ == "__main__":
    main(sys.argv[1:])
