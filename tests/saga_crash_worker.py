"""The process the saga crash test kills: it books trips with the generated travel system on SQLite.

Run as ``python tests/saga_crash_worker.py DATA_DIR TRIPS SEED FAILURE_RATE``. It prints ``up`` once
imported, then builds the system (which resumes every unfinished saga and lets every service catch up),
requests the trips not requested yet (trip ``i`` always has the same id, so a restart never asks twice),
and prints ``done`` when every saga has ended. Participants fail at random, but the same step of the same
trip always decides the same way (seeded), so a re-run after a crash cannot change a recorded outcome.
"""

from __future__ import annotations

import hashlib
import json
import os
import sys
import time
from collections import Counter
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any
from uuid import UUID, uuid5

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "generated" / "travel"))

from book_a_trip.cars import commands as cars_commands  # noqa: E402
from book_a_trip.cars.rules import Rules as CarsRules  # noqa: E402
from book_a_trip.flights import commands as flights_commands  # noqa: E402
from book_a_trip.flights.rules import Rules as FlightsRules  # noqa: E402
from book_a_trip.hotels import commands as hotels_commands  # noqa: E402
from book_a_trip.hotels.rules import Rules as HotelsRules  # noqa: E402
from book_a_trip.system import SYSTEM, BookATrip  # noqa: E402
from book_a_trip.travel_payments import commands as payments_commands  # noqa: E402
from book_a_trip.travel_payments.rules import Rules as PaymentsRules  # noqa: E402
from book_a_trip.trips import commands as trips_commands  # noqa: E402
from book_a_trip.trips.sagas import BookTripSaga  # noqa: E402
from eventsourcing.persistence import ProcessRecorder  # noqa: E402

from esp_runtime import Service, sqlite_env  # noqa: E402
from esp_runtime.saga import SagaRun, run_id, runs  # noqa: E402

TRIPS = UUID("6f1c9d0e-2b8a-4c57-9e43-0d5b7a1f2c38")


def trip_id(i: int) -> UUID:
    return uuid5(TRIPS, f"trip-{i}")


def fails(seed: int, rate: float, trip: UUID, step: str) -> bool:
    """Whether this step of this trip fails: random, but the same every time it is asked."""
    digest = hashlib.sha256(f"{seed}/{trip}/{step}".encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64 < rate


class Flaky:
    """Participant rules that fail a step at random (seeded per trip and step)."""

    seed = 0
    rate = 0.0

    def _reason(self, trip: UUID, step: str) -> str | None:
        return "random failure" if fails(self.seed, self.rate, trip, step) else None


class FlakyFlights(Flaky, FlightsRules):
    def reserve_flight_fails(self, command: flights_commands.ReserveFlight) -> str | None:
        return self._reason(command.trip_id, "flight")


class FlakyHotels(Flaky, HotelsRules):
    def reserve_hotel_fails(self, command: hotels_commands.ReserveHotel) -> str | None:
        return self._reason(command.trip_id, "hotel")


class FlakyCars(Flaky, CarsRules):
    def reserve_car_fails(self, command: cars_commands.ReserveCar) -> str | None:
        return self._reason(command.trip_id, "car")


class FlakyPayments(Flaky, PaymentsRules):
    def charge_card_fails(self, command: payments_commands.ChargeCard) -> str | None:
        return self._reason(command.trip_id, "card")


def request(i: int) -> trips_commands.RequestTrip:
    return trips_commands.RequestTrip(
        traveller=f"Traveller {i}",
        email=f"t{i}@example.org",
        origin="JFK",
        destination="LIS",
        depart_on=date(2026, 6, 1),
        return_on=date(2026, 6, 8),
        travellers=1 + i % 4,
        cabin="economy",
        room_type="double",
        car_class="compact",
        card_token=f"tok_{i}",
        amount=Decimal("100.00") + i,
        loyalty_number=None,
    )


def open_system(data: Path, seed: int, rate: float) -> BookATrip:
    """The system on SQLite with the flaky rules in place before it catches up (no step runs with other rules)."""
    import book_a_trip.cars.application as cars_app
    import book_a_trip.flights.application as flights_app
    import book_a_trip.hotels.application as hotels_app
    import book_a_trip.travel_payments.application as payments_app

    Flaky.seed, Flaky.rate = seed, rate
    # Each service builds its rules from its module's Rules when constructed: these are the user's rules.
    flights_app.Rules = FlakyFlights  # type: ignore[attr-defined]
    hotels_app.Rules = FlakyHotels  # type: ignore[attr-defined]
    cars_app.Rules = FlakyCars  # type: ignore[attr-defined]
    payments_app.Rules = FlakyPayments  # type: ignore[attr-defined]
    _aim(
        BookTripSaga,
        (
            flights_app.FlightsService,
            hotels_app.HotelsService,
            cars_app.CarsService,
            payments_app.TravelPaymentsService,
        ),
    )
    return BookATrip(sqlite_env(data, SYSTEM.nodes))


def _aim(sec: Any, participants: tuple[Any, ...]) -> None:
    """The kill points of the chaos test (CHAOS_KILL_POINT=<point>:<k>): this process SIGKILLs itself there."""
    import chaos_worker

    chaos_worker._wrap_sec(sec, tuple(sec.REPLIES))
    for cls in participants:
        chaos_worker._wrap_participant(cls)


STEPS = ("flight", "hotel", "car", "card")
STEP_NAMES = {"flight": "Reserve flight", "hotel": "Reserve hotel", "car": "Reserve car", "card": "Charge card"}


def _events(app: Any) -> list[Any]:
    """Every event in an application's log, checking that the log has no gap."""
    events, start, last = [], 1, 0
    while True:
        notifications = app.recorder.select_notifications(start, 500)
        for n in notifications:
            assert n.id == last + 1, f"{app.name}: notification {last + 1} is missing"
            last = n.id
            events.append(app.mapper.to_domain_event(n))
        if len(notifications) < 500:
            return events
        start = notifications[-1].id + 1


def verify(data: Path, trips: int, seed: int, rate: float) -> dict[str, int]:
    """Check the stored events of every application after the crashes; the counts of what happened."""
    with open_system(data, seed, rate) as system:
        print(f"resumed={system.book_trip_saga.resumed}", flush=True)
        requested = sum(1 for i in range(trips) if trip_id(i) in system.trips.repository)
        print(f"requested={requested}", flush=True)
        return _check(system, trips, seed, rate, list(runs(system.book_trip_saga)))


def _check(system: BookATrip, trips: int, seed: int, rate: float, all_runs: list[SagaRun]) -> dict[str, int]:
    apps: dict[str, Any] = {**system.services, "BookTripSaga": system.book_trip_saga}
    logs = {name: _events(app) for name, app in apps.items()}

    # Nothing is left unprocessed: after each follower's position, its leaders' logs hold nothing it follows
    # (a participant follows only the SEC events meant for it: its topics).
    for follower, leaders in SYSTEM.follows.items():
        follower_app = system.runner.apps[follower]
        assert isinstance(follower_app, Service) and isinstance(follower_app.recorder, ProcessRecorder)
        for leader in leaders:
            position = follower_app.recorder.max_tracking_id(leader) or 0
            after = system.runner.apps[leader].recorder.select_notifications(
                position + 1, 1, topics=follower_app.topics
            )
            assert not after, f"{follower} has not processed {leader}'s notification {after[0].id}"

    # Every aggregate's versions run 1, 2, 3, ... in every log.
    for name, events in logs.items():
        versions: dict[UUID, int] = {}
        for e in events:
            assert e.originator_version == versions.get(e.originator_id, 0) + 1, f"{name}: a version is missing"
            versions[e.originator_id] = e.originator_version

    # One run per trip, every run ended, and the trip says how.
    assert len(all_runs) == trips, f"{len(all_runs)} saga runs for {trips} trips"
    counts: Counter[str] = Counter()
    participants = {
        "flight": logs["flights"],
        "hotel": logs["hotels"],
        "car": logs["cars"],
        "card": logs["travel-payments"],
    }
    made: dict[str, Counter[UUID]] = {k: Counter() for k in STEPS}  # successful steps per trip
    undone: dict[str, Counter[UUID]] = {k: Counter() for k in STEPS}
    for kind, events in participants.items():
        for e in events:
            name = type(e).__name__
            if name in ("FlightReserved", "HotelReserved", "CarReserved", "CardCharged"):
                made[kind][e.trip_id] += 1
            elif name.endswith("Cancelled"):
                undone[kind][e.trip_id] += 1
    journal = logs["BookTripSaga"]
    started = Counter(e.target_id for e in journal if isinstance(e, SagaRun.StepStarted))
    assert max(started.values()) == 1, "a step was journaled as started twice"
    for i in range(trips):
        tid = trip_id(i)
        trip = system.trips.get_trip(tid)
        failing = [k for k in STEPS if fails(seed, rate, tid, k)]
        for kind in STEPS:
            assert made[kind][tid] <= 1, f"trip {i}: {kind} took effect twice"
            assert undone[kind][tid] <= made[kind][tid], f"trip {i}: {kind} was undone more than done"
        if not failing:
            assert trip.state == "booked", f"trip {i} should be booked, is {trip.state!r}"
            assert all(made[k][tid] == 1 and undone[k][tid] == 0 for k in STEPS)
            counts["booked"] += 1
            continue
        assert trip.state == "rejected", f"trip {i} should be rejected, is {trip.state!r}"
        first = STEPS.index(failing[0])
        done = STEPS[:first]
        assert all(made[k][tid] == 1 for k in done), f"trip {i}: a step before the failure did not run"
        assert all(made[k][tid] == 0 for k in STEPS[first:]), f"trip {i}: a step ran after the failure"
        assert all(undone[k][tid] == 1 for k in done), f"trip {i}: not fully compensated"
        counts["rejected"] += 1
        counts[f"rejected at {failing[0]}"] += 1
        counts["compensations"] += len(done)
    for run in all_runs:
        assert run.finished
        steps = [
            e.step
            for e in system.book_trip_saga.repository.event_store.get(run.id)
            if isinstance(e, SagaRun.CompensationDone)
        ]
        failed_at = run.reason.partition(":")[0]
        if run.status == "aborted":
            before = [STEP_NAMES[k] for k in STEPS][: [STEP_NAMES[k] for k in STEPS].index(failed_at)]
            assert steps == list(reversed(before)), f"compensations ran out of order: {steps}"
    counts["events"] = sum(len(events) for events in logs.values())
    counts["sagas"] = len(all_runs)
    return dict(counts)


# -- forward recovery: the shopping journey's FulfilOrder saga ------------------------------------------


def order_id(i: int) -> UUID:
    return uuid5(TRIPS, f"order-{i}")


def open_shop(data: Path, seed: int, rate: float) -> Any:
    """The shopping system on SQLite, its participants failing the first attempts of some steps (seeded)."""
    os.environ["CHAOS_SEED"], os.environ["CHAOS_RATE"] = str(seed), str(rate)
    import chaos_worker

    chaos_worker.shopping()
    from shop_online.system import SYSTEM as SHOP
    from shop_online.system import ShopOnline

    return ShopOnline(sqlite_env(data, SHOP.nodes))


def shop(data: Path, orders: int, seed: int, rate: float) -> int:
    print("up", flush=True)
    with open_shop(data, seed, rate) as system:
        from shop_online.orders import commands

        sec = system.fulfil_order_saga
        print(f"resumed={sec.resumed}", flush=True)
        print(f"requested={sum(1 for i in range(orders) if order_id(i) in system.orders.repository)}", flush=True)
        for i in range(orders):
            oid = order_id(i)
            if oid not in system.orders.repository:
                order = commands.PlaceCustomerOrder(
                    uuid5(oid, "cart"),
                    uuid5(TRIPS, "customer"),
                    f"s{i}@example.org",
                    [f"BK-{i}"],
                    Decimal(25),
                    "1 Main St",
                    None,
                )
                system.orders.place_customer_order(order, aggregate_id=oid)
            if system.orders.repository.get(oid).state == "placed":
                paid = datetime(2026, 6, 1, 10, tzinfo=UTC)
                system.orders.record_order_payment(
                    commands.RecordOrderPayment(oid, uuid5(oid, "payment"), Decimal(25), paid)
                )
            system.tick()  # retries come due as the orders go on
        while [r for r in sec.unfinished() if not sec.get_run(r).finished]:
            system.tick()
            time.sleep(0.02)
        print("done unfinished=0 missing=0", flush=True)
    return 0


def verify_shop(data: Path, orders: int, seed: int, rate: float) -> dict[str, int]:
    with open_shop(data, seed, rate) as system:
        import chaos_worker  # after open_shop: it reads the seed when imported

        apps = {**system.services, "fulfil-order-saga": system.fulfil_order_saga}
        logs = {name: chaos_worker.events(app) for name, app in apps.items()}
        chaos_worker._versions_complete(logs)
        journal = logs["fulfil-order-saga"]
        chaos_worker._replies(journal, [log for name, log in logs.items() if name != "fulfil-order-saga"])
        counts = chaos_worker.shopping_check(apps, logs, journal, orders)
        counts["events"] = sum(len(log) for log in logs.values())
        return counts


# -- steps on existing aggregates, and a step after the pivot: food-delivery's CreateOrder saga -------------

FOOD_STEPS = ("consumer", "slot", "ticket", "card")  # the steps that can fail; Confirm ticket (after the pivot) cannot
FOOD_NAMES = {
    "consumer": "Validate consumer",
    "slot": "Reserve slot",
    "ticket": "Create ticket",
    "card": "Authorize card",
}
PEOPLE = 20  # consumers (each with an account of its id) and restaurants: existing aggregates every saga shares


def food_order_id(i: int) -> UUID:
    return uuid5(TRIPS, f"food-order-{i}")


def consumer_id(k: int) -> UUID:
    return uuid5(TRIPS, f"consumer-{k}")


def restaurant_id(k: int) -> UUID:
    return uuid5(TRIPS, f"restaurant-{k}")


def open_food(data: Path, seed: int, rate: float) -> Any:
    """The food-delivery system on SQLite, its participants failing steps at random (seeded per order and step;
    a failing Create ticket fails its retries too), and the kill points in place."""
    sys.path.insert(0, str(ROOT / "generated" / "food-delivery"))
    import deliver_food.accounting.application as accounting_app
    import deliver_food.consumer.application as consumer_app
    import deliver_food.kitchen.application as kitchen_app
    from deliver_food.accounting.rules import Rules as AccountingRules
    from deliver_food.consumer.rules import Rules as ConsumerRules
    from deliver_food.kitchen.rules import Rules as KitchenRules
    from deliver_food.order.sagas import CreateOrderSaga
    from deliver_food.system import SYSTEM as FOOD
    from deliver_food.system import DeliverFood

    from esp_runtime.saga import StepReply

    class FlakyConsumer(Flaky, ConsumerRules):
        def validate_order_by_consumer_fails(self, command: Any) -> str | None:
            return self._reason(command.order_id, "consumer")

    class FlakyKitchen(Flaky, KitchenRules):
        def reserve_slot_fails(self, command: Any) -> str | None:
            return self._reason(command.order_id, "slot")

        def create_ticket_fails(self, command: Any) -> str | None:
            return self._reason(command.order_id, "ticket")

    class FlakyAccounting(Flaky, AccountingRules):
        def authorize_card_fails(self, command: Any) -> str | None:
            return self._reason(command.order_id, "card")

    Flaky.seed, Flaky.rate = seed, rate
    consumer_app.Rules = FlakyConsumer  # type: ignore[attr-defined]
    kitchen_app.Rules = FlakyKitchen  # type: ignore[attr-defined]
    accounting_app.Rules = FlakyAccounting  # type: ignore[attr-defined]
    import chaos_worker

    # Steps on existing aggregates answer with a StepReply: the SEC's kill point before it records one too.
    chaos_worker._wrap_sec(CreateOrderSaga, (*CreateOrderSaga.REPLIES, StepReply.Answered))
    for cls in (consumer_app.ConsumerService, kitchen_app.KitchenService, accounting_app.AccountingService):
        chaos_worker._wrap_participant(cls)
    return DeliverFood(sqlite_env(data, FOOD.nodes))


def food(data: Path, orders: int, seed: int, rate: float) -> int:
    print("up", flush=True)
    with open_food(data, seed, rate) as system:
        from deliver_food import value_objects
        from deliver_food.accounting import commands as accounting_commands
        from deliver_food.consumer import commands as consumer_commands
        from deliver_food.kitchen import commands as kitchen_commands
        from deliver_food.order import commands as order_commands

        sec = system.create_order_saga
        print(f"resumed={sec.resumed}", flush=True)
        print(f"requested={sum(1 for i in range(orders) if food_order_id(i) in system.order.repository)}", flush=True)
        for k in range(PEOPLE):  # the aggregates the sagas find, stored once (a restart finds them)
            if consumer_id(k) not in system.consumer.repository:
                register = consumer_commands.RegisterConsumer(name=f"Consumer {k}", email=f"c{k}@example.org")
                system.consumer.register_consumer(register, aggregate_id=consumer_id(k))
            if consumer_id(k) not in system.accounting.repository:
                opened = accounting_commands.OpenAccount(card_token=f"tok_{k}")
                system.accounting.open_account(opened, aggregate_id=consumer_id(k))
            if restaurant_id(k) not in system.kitchen.repository:
                kitchen = kitchen_commands.OpenRestaurant(name=f"Restaurant {k}", slots=10)
                system.kitchen.open_restaurant(kitchen, aggregate_id=restaurant_id(k))
        for i in range(orders):
            oid = food_order_id(i)
            if oid not in system.order.repository:
                order = order_commands.CreateOrder(
                    consumer_id=consumer_id(i % PEOPLE),
                    restaurant_id=restaurant_id(i * 7 % PEOPLE),
                    lines=[value_objects.OrderLine(dish="pad thai", quantity=1, unit_price=Decimal("20.00") + i)],
                    delivery_address=value_objects.Address(street=f"{i} Ada Ln", city="London", postcode="N1"),
                    order_total=Decimal("20.00") + i,
                )
                system.order.create_order(order, aggregate_id=oid)
            system.tick()  # a refused ticket's retries come due as the orders go on
        while [r for r in sec.unfinished() if not sec.get_run(r).finished]:
            system.tick()
            time.sleep(0.02)
        print("done unfinished=0 missing=0", flush=True)
    return 0


def verify_food(data: Path, orders: int, seed: int, rate: float) -> dict[str, int]:
    """Every order approved or rejected as its seeded failures say, each step at most once, exactly the
    compensations of the steps before the failure in reverse order, and the step after the pivot once."""
    with open_food(data, seed, rate) as system:
        import chaos_worker

        sec = system.create_order_saga
        apps = {**system.services, "create-order-saga": sec}
        logs = {name: chaos_worker.events(app) for name, app in apps.items()}
        chaos_worker._versions_complete(logs)
        _caught_up(system)
        kinds = {
            "ConsumerOrderValidated": "consumer",
            "SlotReserved": "slot",
            "TicketCreated": "ticket",
            "CardAuthorized": "card",
            "TicketConfirmed": "confirm",
            "SlotReleased": "slot undone",
            "TicketCreationCancelled": "ticket undone",
        }
        done: dict[str, Counter[UUID]] = {k: Counter() for k in kinds.values()}
        for name in ("consumer", "kitchen", "accounting"):
            for e in logs[name]:
                kind = kinds.get(type(e).__name__)
                if kind is not None:
                    done[kind][e.order_id] += 1
        all_runs = list(runs(sec))
        assert len(all_runs) == orders, f"{len(all_runs)} saga runs for {orders} orders"
        by_run = {run.start_id: run for run in all_runs}
        counts: Counter[str] = Counter()
        for i in range(orders):
            oid = food_order_id(i)
            assert all(done[k][oid] <= 1 for k in done), f"order {i}: a step took effect twice"
            failing = [k for k in FOOD_STEPS if fails(seed, rate, oid, k)]
            state = system.order.repository.get(oid).state
            run = by_run[oid]
            assert run.finished, f"order {i}: its saga did not end"
            if not failing:
                assert state == "approved", f"order {i} should be approved, is {state!r}"
                assert all(done[k][oid] == 1 for k in (*FOOD_STEPS, "confirm")), f"order {i}: a step is missing"
                assert done["slot undone"][oid] == done["ticket undone"][oid] == 0
                counts["approved"] += 1
                counts["confirmed_after_the_pivot"] += 1
                continue
            assert state == "rejected", f"order {i} should be rejected, is {state!r}"
            first = FOOD_STEPS.index(failing[0])
            before = FOOD_STEPS[:first]
            assert all(done[k][oid] == 1 for k in before), f"order {i}: a step before the failure did not run"
            assert all(done[k][oid] == 0 for k in (*FOOD_STEPS[first:], "confirm")), f"order {i}: ran after it"
            undone = [k for k in ("ticket", "slot") if k in before]  # the consumer check has nothing to undo
            assert done["slot undone"][oid] == ("slot" in undone), f"order {i}: slot not released exactly once"
            assert done["ticket undone"][oid] == ("ticket" in undone), f"order {i}: ticket not cancelled once"
            steps = [e.step for e in sec.repository.event_store.get(run.id) if isinstance(e, SagaRun.CompensationDone)]
            assert steps == [FOOD_NAMES[k] for k in undone], f"order {i}: compensations {steps}"
            counts["rejected"] += 1
            counts[f"rejected at {failing[0]}"] += 1
            counts["compensations"] += len(undone)
        counts["events"] = sum(len(log) for log in logs.values())
        counts["sagas"] = len(all_runs)
        return dict(counts)


def _caught_up(system: Any) -> None:
    """After each follower's position, its leaders' logs hold nothing it follows."""
    for follower, leaders in system.runner.system.follows.items():
        follower_app = system.runner.apps[follower]
        for leader in leaders:
            position = follower_app.recorder.max_tracking_id(leader) or 0
            after = system.runner.apps[leader].recorder.select_notifications(
                position + 1, 1, topics=follower_app.topics
            )
            assert not after, f"{follower} has not processed {leader}'s notification {after[0].id}"


def main(argv: list[str]) -> int:
    if os.environ.get("CRASH_JOURNEY") == "food-delivery":
        if argv[0] == "verify":
            print(json.dumps(verify_food(Path(argv[1]), int(argv[2]), int(argv[3]), float(argv[4])), sort_keys=True))
            return 0
        return food(Path(argv[0]), int(argv[1]), int(argv[2]), float(argv[3]))
    if os.environ.get("CRASH_JOURNEY") == "shopping":
        if argv[0] == "verify":
            print(json.dumps(verify_shop(Path(argv[1]), int(argv[2]), int(argv[3]), float(argv[4])), sort_keys=True))
            return 0
        return shop(Path(argv[0]), int(argv[1]), int(argv[2]), float(argv[3]))
    if argv[0] == "verify":
        data, trips, seed, rate = Path(argv[1]), int(argv[2]), int(argv[3]), float(argv[4])
        print(json.dumps(verify(data, trips, seed, rate), sort_keys=True))
        return 0
    data, trips, seed, rate = Path(argv[0]), int(argv[1]), int(argv[2]), float(argv[3])
    print("up", flush=True)
    with open_system(data, seed, rate) as system:
        print(f"resumed={system.book_trip_saga.resumed}", flush=True)
        requested = sum(1 for i in range(trips) if trip_id(i) in system.trips.repository)
        print(f"requested={requested}", flush=True)
        for i in range(trips):
            tid = trip_id(i)
            if tid not in system.trips.repository:
                system.trips.request_trip(request(i), aggregate_id=tid)
        sec = system.book_trip_saga
        unfinished = [r for r in sec.unfinished() if not sec.get_run(r).finished]
        missing = [i for i in range(trips) if run_id("BookTrip", trip_id(i)) not in sec.repository]
        print(f"done unfinished={len(unfinished)} missing={len(missing)}", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
