"""The processes the chaos test runs and kills: a generated package's `run`, with seeded failures and kill points.

    python tests/chaos_worker.py JOURNEY run PROCESS --port N   # one process (as `python -m <package> run`)
    python tests/chaos_worker.py JOURNEY progress SAGAS          # how many sagas have ended (one line of JSON)
    python tests/chaos_worker.py JOURNEY verify SAGAS            # every check on the stored events (JSON counts)

JOURNEY is travel (backward recovery) or shopping (forward recovery with retries). Participants fail at random,
seeded by CHAOS_SEED per saga and step (and attempt), so a re-run after a crash decides the same way and the
verification knows each saga's outcome. CHAOS_KILL_POINT=<point>:<k> makes this process SIGKILL itself at the
k-th time it reaches <point>, a risky moment (see POINTS). The databases come from ESP_DATABASE_PREFIX.
"""

from __future__ import annotations

import hashlib
import json
import os
import signal
import sys
from collections import Counter
from collections.abc import Callable, Iterator
from contextvars import ContextVar
from pathlib import Path
from typing import Any
from uuid import UUID, uuid5

ROOT = Path(__file__).resolve().parents[1]
FOLDERS = {"travel": "travel", "shopping": "shopping"}
SEED = int(os.environ.get("CHAOS_SEED", "20261202"))
RATE = float(os.environ.get("CHAOS_RATE", "0.08"))
SAGAS = UUID("0c6c1f3e-58a1-4d0e-b8a4-7f4f2d8a9e11")
ATTEMPT: ContextVar[int] = ContextVar("attempt", default=1)

# Where a kill hurts most, and who can be killed there.
POINTS = {
    "sec-reply-uncommitted": "the SEC dies as it takes a participant's committed reply, before recording it",
    "participant-committed": "a participant dies right after committing its reply, before the SEC has read it",
    "sec-mid-compensation": "the SEC dies right after sending a compensation, before its answer",
    "participant-mid-compensation": "a participant dies while running a compensation, before committing it",
    "sec-retry-due": "the SEC dies after recording a failure with the time of its retry, before the retry",
    "sec-mid-retry": "the SEC dies right after starting a retry, before the participant ran it",
}


def saga_key(i: int) -> UUID:
    """The id of saga ``i``'s starting aggregate is chosen by the request (an idempotency key): see ``start``."""
    return uuid5(SAGAS, f"saga-{i}")


def roll(*parts: object) -> float:
    digest = hashlib.sha256("/".join(str(p) for p in (SEED, *parts)).encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64


def travel_fails(trip: UUID, step: str) -> bool:
    """Whether this step of this trip fails: random, but the same every time it is asked."""
    return roll(trip, step) < RATE


def shopping_failures(order: UUID, step: str) -> int:
    """How many attempts of this step of this order fail before one succeeds (0, 1 or 2: within the 5 retries)."""
    r = roll(order, step)
    return 2 if r < RATE else 1 if r < 3 * RATE else 0


# -- kill points -------------------------------------------------------------------------------


class KillPoint:
    """SIGKILL this process at the k-th time it reaches the point named by CHAOS_KILL_POINT."""

    def __init__(self) -> None:
        name, _, k = os.environ.get("CHAOS_KILL_POINT", "").partition(":")
        self.name = name
        self.left = int(k or 1)

    def reached(self, point: str) -> None:
        if point != self.name:
            return
        self.left -= 1
        if self.left == 0:
            print(f"kill point {point}", flush=True)
            os.kill(os.getpid(), signal.SIGKILL)


KILL = KillPoint()


def _wrap_sec(sec_cls: Any, replies: tuple[type[Any], ...]) -> None:
    from esp_runtime.saga import SagaExecutionContainer

    process_event = sec_cls.process_event
    compensate_next = SagaExecutionContainer._compensate_next
    retry = SagaExecutionContainer._retry
    retry_at = SagaExecutionContainer._retry_at
    tick = SagaExecutionContainer.tick
    flags: dict[str, bool] = {}

    def process(self: Any, domain_event: Any, tracking: Any) -> None:
        if isinstance(domain_event, replies):
            KILL.reached("sec-reply-uncommitted")
        flags.clear()
        process_event(self, domain_event, tracking)
        if flags.get("compensation"):
            KILL.reached("sec-mid-compensation")
        if flags.get("retry_due"):
            KILL.reached("sec-retry-due")

    def compensating(self: Any, run: Any) -> Any:
        flags["compensation"] = bool(run.pending)
        return compensate_next(self, run)

    def retrying_at(self: Any, run: Any) -> Any:
        when = retry_at(self, run)
        flags["retry_due"] = flags.get("retry_due", False) or when is not None
        return when

    def retrying(self: Any, run: Any) -> Any:
        flags["retry"] = True
        return retry(self, run)

    def ticking(self: Any, now: Any = None) -> int:
        flags.clear()
        moved = int(tick(self, now))
        if flags.get("retry"):
            KILL.reached("sec-mid-retry")
        return moved

    sec_cls.process_event = process
    SagaExecutionContainer._compensate_next = compensating  # type: ignore[method-assign]
    SagaExecutionContainer._retry_at = retrying_at  # type: ignore[method-assign]
    SagaExecutionContainer._retry = retrying  # type: ignore[method-assign]
    SagaExecutionContainer.tick = ticking  # type: ignore[method-assign]


def _wrap_participant(app_cls: Any) -> None:
    from esp_runtime.saga import SagaRun

    process_event = app_cls.process_event

    def process(self: Any, domain_event: Any, tracking: Any) -> None:
        if isinstance(domain_event, SagaRun.CompensationStarted):
            KILL.reached("participant-mid-compensation")
        token = ATTEMPT.set(getattr(domain_event, "attempt", 1))
        try:
            process_event(self, domain_event, tracking)
        finally:
            ATTEMPT.reset(token)
        if isinstance(domain_event, SagaRun.StepStarted):
            KILL.reached("participant-committed")

    app_cls.process_event = process


# -- the journeys ---------------------------------------------------------------------------------


def _use(folder: str) -> None:
    sys.path.insert(0, str(ROOT / "generated" / folder))


def travel() -> Any:
    """The travel package with seeded failing steps and the kill points in place; its deployment."""
    _use("travel")
    from book_a_trip import deploy
    from book_a_trip.cars import application as cars
    from book_a_trip.flights import application as flights
    from book_a_trip.hotels import application as hotels
    from book_a_trip.travel_payments import application as payments
    from book_a_trip.trips import sagas

    def flaky(module: Any, method: str, step: str) -> None:
        base = module.Rules

        def fails(self: Any, command: Any) -> str | None:
            return "random failure" if travel_fails(command.trip_id, step) else None

        module.Rules = type("Flaky" + base.__name__, (base,), {method: fails})

    flaky(flights, "reserve_flight_fails", "flight")
    flaky(hotels, "reserve_hotel_fails", "hotel")
    flaky(cars, "reserve_car_fails", "car")
    flaky(payments, "charge_card_fails", "card")
    _wrap_sec(sagas.BookTripSaga, tuple(sagas.BookTripSaga.REPLIES))
    for cls in (flights.FlightsService, hotels.HotelsService, cars.CarsService, payments.TravelPaymentsService):
        _wrap_participant(cls)
    return deploy.DEPLOYMENT


def shopping() -> Any:
    _use("shopping")
    from shop_online import deploy
    from shop_online.orders import sagas
    from shop_online.shipping import application as shipping
    from shop_online.shop_notifications import application as notifications
    from shop_online.warehouse import application as warehouse

    def flaky(module: Any, method: str, step: str) -> None:
        base = module.Rules

        def fails(self: Any, command: Any) -> str | None:
            return "random failure" if ATTEMPT.get() <= shopping_failures(command.order_id, step) else None

        module.Rules = type("Flaky" + base.__name__, (base,), {method: fails})

    flaky(warehouse, "reserve_stock_fails", "stock")
    flaky(shipping, "ship_order_fails", "ship")
    _wrap_sec(sagas.FulfilOrderSaga, tuple(sagas.FulfilOrderSaga.REPLIES))
    for cls in (warehouse.WarehouseService, shipping.ShippingService, notifications.ShopNotificationsService):
        _wrap_participant(cls)
    return deploy.DEPLOYMENT


# -- reading what is stored -------------------------------------------------------------------------


def _apps(deployment: Any, only: Callable[[Any], bool] = lambda process: True) -> Iterator[tuple[Any, Any]]:
    """(process, application) for every process (or those ``only`` picks), opened read-only on its database."""
    for process in deployment.processes:
        if only(process):
            env = dict(deployment.env(process))
            env[f"{process.app.name.upper()}_CREATE_TABLE"] = "false"
            yield process, process.app(env)


def events(app: Any, topics: tuple[str, ...] = ()) -> list[Any]:
    """Every event of an application's log, in order.

    PostgreSQL's ids may skip a number (a transaction rolled back after taking it, as a killed one is):
    what must not be missing is an aggregate's version, which ``_versions_complete`` checks.
    """
    found, start, last = [], 1, 0
    while True:
        notifications = app.recorder.select_notifications(start, 1000, topics=topics)
        for n in notifications:
            assert n.id > last, f"{app.name}: notification {n.id} after {last}"
            last = n.id
            found.append(app.mapper.to_domain_event(n))
        if len(notifications) < 1000:
            return found
        start = notifications[-1].id + 1


def progress(deployment: Any, sagas: int) -> dict[str, int]:
    """How many runs the SEC has started and ended."""
    from eventsourcing.utils import get_topic

    from esp_runtime.saga import SagaRun

    ((_, sec),) = _apps(deployment, lambda process: process.name.endswith("-saga"))
    run = sec.RUN  # the saga's own journal class: its events' topics are its own
    topics = tuple(get_topic(cls) for cls in (run.Started, run.Completed, run.Aborted))
    try:
        journal = events(sec, topics)
    finally:
        sec.close()
    started = sum(1 for e in journal if isinstance(e, SagaRun.Started))
    ended = sum(1 for e in journal if isinstance(e, (SagaRun.Completed, SagaRun.Aborted)))
    return {"started": started, "ended": ended, "sagas": sagas}


def _followers_caught_up(deployment: Any, apps: dict[str, Any]) -> None:
    for process in deployment.processes:
        follower = apps[process.name]
        for upstream in deployment.upstreams(process):
            leader = apps[deployment.owner(upstream).name]
            position = follower.recorder.max_tracking_id(upstream.name) or 0
            after = leader.recorder.select_notifications(position + 1, 1, topics=follower.topics)
            assert not after, f"{process.name} has not processed {upstream.name}'s notification {after[0].id}"


def _versions_complete(logs: dict[str, list[Any]]) -> None:
    for name, log in logs.items():
        versions: dict[UUID, int] = {}
        for e in log:
            assert e.originator_version == versions.get(e.originator_id, 0) + 1, f"{name}: a version is missing"
            versions[e.originator_id] = e.originator_version


def _replies(journal: list[Any], participants: list[list[Any]]) -> None:
    """Exactly one reply per step command and per compensation command."""
    from esp_runtime.saga import SagaRun, StepReply

    created: Counter[UUID] = Counter()
    compensated: Counter[UUID] = Counter()
    for log in participants:
        for e in log:
            if isinstance(e, StepReply.CompensationSkipped):
                compensated[e.target_id] += 1
            elif e.originator_version == 1:
                created[e.originator_id] += 1
            elif type(e).__name__.endswith("Cancelled"):
                compensated[e.originator_id] += 1
    answered: set[tuple[UUID, str]] = set()  # (run, step) of which an attempt was answered
    for e in journal:
        if isinstance(e, SagaRun.StepStarted):
            n = created[e.target_id]
            # A retry after a timeout whose first attempt succeeded late is not run again (already_done).
            late = n == 0 and (e.originator_id, e.step) in answered
            assert n == 1 or late, f"step {e.step} of run {e.originator_id}: {n} replies"
            if n:
                answered.add((e.originator_id, e.step))
        elif isinstance(e, SagaRun.CompensationStarted):
            n = compensated[e.target_id]
            assert n == 1, f"compensation of {e.step} of run {e.originator_id}: {n} replies"


def verify(name: str, deployment: Any, sagas: int) -> dict[str, int]:
    from esp_runtime.idempotency import IdempotentRequest
    from esp_runtime.saga import SagaRun

    opened = dict(_apps(deployment))
    apps = {p.name: app for p, app in opened.items()}
    try:
        logs = {n: events(app) for n, app in apps.items()}
        _followers_caught_up(deployment, apps)
        _versions_complete(logs)
        sec_name = next(n for n in apps if n.endswith("-saga"))
        journal = logs[sec_name]
        participants = [log for n, log in logs.items() if n != sec_name]
        _replies(journal, participants)
        started = Counter(e.target_id for e in journal if isinstance(e, SagaRun.StepStarted))
        assert not started or max(started.values()) == 1, "a step was journaled as started twice"
        runs = [e.originator_id for e in journal if isinstance(e, SagaRun.Started)]
        assert len(runs) == len(set(runs)) == sagas, f"{len(runs)} runs ({len(set(runs))} distinct) for {sagas} sagas"
        keys = Counter(e.key for log in logs.values() for e in log if isinstance(e, IdempotentRequest.Answered))
        counts = (travel_check if name == "travel" else shopping_check)(apps, logs, journal, sagas)
        counts["idempotent_requests"] = len(keys)
        counts["duplicated"] = sum(n - 1 for n in keys.values())
        counts["events"] = sum(len(log) for log in logs.values())
        return counts
    finally:
        for app in apps.values():
            app.close()


def _by_run(journal: list[Any]) -> dict[UUID, list[Any]]:
    runs: dict[UUID, list[Any]] = {}
    for e in journal:
        runs.setdefault(e.originator_id, []).append(e)
    return runs


def travel_check(apps: dict[str, Any], logs: dict[str, list[Any]], journal: list[Any], sagas: int) -> dict[str, int]:
    from esp_runtime.saga import SagaRun

    steps = ("flight", "hotel", "car", "card")
    names = {"flight": "Reserve flight", "hotel": "Reserve hotel", "car": "Reserve car", "card": "Charge card"}
    made: dict[str, Counter[UUID]] = {k: Counter() for k in steps}
    undone: dict[str, Counter[UUID]] = {k: Counter() for k in steps}
    kinds = {"flights": "flight", "hotels": "hotel", "cars": "car", "travel-payments": "card"}
    for service, kind in kinds.items():
        for e in logs[service]:
            name = type(e).__name__
            if name in ("FlightReserved", "HotelReserved", "CarReserved", "CardCharged"):
                made[kind][e.trip_id] += 1
            elif name.endswith("Cancelled"):
                undone[kind][e.trip_id] += 1
    trips = {e.originator_id: e for e in logs["trips"] if type(e).__name__ != "Answered"}
    counts: Counter[str] = Counter()
    for trip, last in trips.items():
        state = type(last).__name__
        failing = [k for k in steps if travel_fails(trip, k)]
        for kind in steps:
            assert made[kind][trip] <= 1, f"trip {trip}: {kind} took effect twice"
            assert undone[kind][trip] <= made[kind][trip], f"trip {trip}: {kind} undone more than done"
        if state == "TripRejected" and "timed out" in last.reason:
            # A step past its deadline (a participant down too long): everything that took effect is undone.
            assert all(made[k][trip] == undone[k][trip] for k in steps[:3]), f"trip {trip}: not compensated"
            assert made["card"][trip] == 0, f"trip {trip}: charged, yet rejected ({last.reason})"
            counts["compensated"] += 1
            counts["timed_out"] += 1
            continue
        if not failing:
            assert state == "TripBooked", f"trip {trip} should be booked, is {state}: {getattr(last, 'reason', '')}"
            counts["completed"] += 1
            continue
        assert state == "TripRejected", f"trip {trip} should be rejected, is {state}"
        assert last.reason.startswith(names[failing[0]]), f"trip {trip}: rejected for {last.reason}"
        done = steps[: steps.index(failing[0])]
        assert all(made[k][trip] == 1 and undone[k][trip] == 1 for k in done), f"trip {trip}: not compensated"
        assert all(made[k][trip] == 0 for k in steps[len(done) :]), f"trip {trip}: a step ran after the failure"
        counts["compensated"] += 1
        counts["compensations"] += len(done)
    assert len(trips) == sagas, f"{len(trips)} trips for {sagas} sagas"
    for run in _by_run(journal).values():
        order = [e.step for e in run if isinstance(e, SagaRun.CompensationDone)]
        aborted = [e for e in run if isinstance(e, SagaRun.Aborted)]
        if aborted and "timed out" not in aborted[0].reason:
            failed = aborted[0].reason.partition(":")[0]
            before = [names[k] for k in steps][: [names[k] for k in steps].index(failed)]
            assert order == list(reversed(before)), f"compensations out of order: {order}"
    counts["sagas"] = len(trips)
    counts["lost"] = sagas - counts["completed"] - counts["compensated"]
    return dict(counts)


def shopping_check(apps: dict[str, Any], logs: dict[str, list[Any]], journal: list[Any], sagas: int) -> dict[str, int]:
    from esp_runtime.saga import SagaRun

    orders = {}
    for e in logs["orders"]:
        name = type(e).__name__
        if name in ("CustomerOrderPlaced", "OrderPaid", "OrderFulfilled", "OrderFulfilmentFailed"):
            orders[e.originator_id] = name
    effects: dict[str, Counter[UUID]] = {"stock": Counter(), "ship": Counter(), "notify": Counter()}
    for service, kind, success in (
        ("warehouse", "stock", "StockReserved"),
        ("shipping", "ship", "ShipmentDispatched"),
        ("shop-notifications", "notify", "CustomerNotified"),
    ):
        for e in logs[service]:
            if type(e).__name__ == success:
                effects[kind][e.order_id] += 1
    counts: Counter[str] = Counter()
    attempts: Counter[str] = Counter()
    for run in _by_run(journal).values():
        for e in run:
            if isinstance(e, SagaRun.StepStarted):
                attempts[e.step] += 1
            if isinstance(e, SagaRun.RetryStarted):
                counts["retries"] += 1
    for order, state in orders.items():
        assert state == "OrderFulfilled", f"order {order} should be fulfilled, is {state}"
        for kind in effects:
            assert effects[kind][order] == 1, f"order {order}: {kind} took effect {effects[kind][order]} times"
        counts["completed"] += 1
    expected = {
        "Reserve stock": sum(1 + shopping_failures(o, "stock") for o in orders),
        "Ship order": sum(1 + shopping_failures(o, "ship") for o in orders),
    }
    for step, n in expected.items():
        assert attempts[step] == n, f"{step}: {attempts[step]} attempts, expected {n} (the seeded failures)"
    assert len(orders) == sagas, f"{len(orders)} orders for {sagas} sagas"
    counts["sagas"] = len(orders)
    counts["lost"] = sagas - counts["completed"]
    return dict(counts)


def replay(journey: str, deployment: Any) -> dict[str, int]:
    """The entry microservice's read models rebuilt from scratch, counted as the chaos test counts the live ones."""
    apps = {process.name: app for process, app in _apps(deployment)}
    try:
        if journey == "travel":
            from book_a_trip.trips.projections import MyTrips, RejectedTrips

            trips = MyTrips(apps["trips"], apps["flights"], apps["hotels"], apps["cars"])
            rejected = RejectedTrips(apps["trips"])
            trips.catch_up()
            rejected.catch_up()
            emails = {f"t{i}@example.org" for i in range(7)}
            rows = [row for row in trips.rows() if row.email in emails]
            booked = sum(row.state == "booked" for row in rows)
            # as the live query answers (ListRejectedTrips since a day): the rows of rejected trips
            rejections = sum(row.state == "rejected" for row in rejected.rows())
            return {"rows": len(rows), "rejected": rejections, "booked": booked}
        from shop_online.orders.projections import OrderHistory

        history = OrderHistory(apps["orders"], apps["shipping"])
        history.catch_up()
        customer = UUID("3f2c1a9e-7b4d-4e2a-9c1b-8d7e6f5a4b3c")
        orders = [row for row in history.rows() if row.customer_id == customer]
        return {"rows": len(orders), "fulfilled": sum(row.state == "fulfilled" for row in orders)}
    finally:
        for app in apps.values():
            app.close()


def main(argv: list[str]) -> int:
    journey, command = argv[0], argv[1]
    deployment = {"travel": travel, "shopping": shopping}[journey]()
    if command == "run":
        from esp_runtime.supervise import main as supervise

        return supervise(deployment, argv[1:])
    if command == "progress":
        print(json.dumps(progress(deployment, int(argv[2]))), flush=True)
        return 0
    if command == "replay":
        print(json.dumps(replay(journey, deployment), sort_keys=True), flush=True)
        return 0
    if command == "verify":
        print(json.dumps(verify(journey, deployment, int(argv[2])), sort_keys=True), flush=True)
        return 0
    raise SystemExit(f"unknown command {command!r}")


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
