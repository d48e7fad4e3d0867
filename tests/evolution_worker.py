"""Run by tests/test_evolution_roundtrip.py inside a generated restaurant package (its folder on
PYTHONPATH, so the package of each version is imported on its own):

    python evolution_worker.py record sqlite:FOLDER | postgres:SCHEMA
        runs a table's visit, snapshots the dining order, records another visit with the dining
        service alone (no one follows it yet), prints what was stored (JSON);
    python evolution_worker.py read sqlite:FOLDER | postgres:SCHEMA MESSAGES.json
        starts the system (the kitchen and payment follow the other visit), reads every stored
        event back, rebuilds every aggregate, reads the earlier version's
        integration messages, runs another visit beside the old events, and prints it all (JSON).

Values are printed as their repr, so the test sees their types (``Decimal('1')``).
"""

from __future__ import annotations

import json
import sys
from decimal import Decimal
from pathlib import Path
from typing import Any
from uuid import UUID

from customer_dining.dining import aggregates as dining
from customer_dining.dining import commands as dc
from customer_dining.dining.application import DiningService
from customer_dining.kitchen import commands as kc
from customer_dining.payment import commands as pc
from customer_dining.system import SYSTEM, CustomerDining

from esp_runtime import IntegrationEvent, events_of, postgres_env, sqlite_env

HALF = Decimal("0.5")


def env_of(where: str) -> dict[str, str]:
    kind, _, place = where.partition(":")
    return sqlite_env(Path(place), SYSTEM.nodes) if kind == "sqlite" else postgres_env(schema=place)


def shown(data: dict[str, Any]) -> dict[str, str]:
    return {key: repr(value) for key, value in sorted(data.items()) if not key.startswith("_")}


def stored(system: CustomerDining) -> list[dict[str, Any]]:
    """Every stored event of every microservice, each through the mapper (so through its upcasters)."""
    return [
        {"service": r.service, "id": str(r.aggregate_id), "version": r.version, "event": r.event, "data": shown(r.data)}
        for r in system.recorded()
    ]


def dining_visit(dining: DiningService, version: int) -> UUID:
    """A table's visit as the dining service records it (each version's commands: v2 renamed, widened and
    added fields)."""
    order = dining.open_table(dc.OpenTable(table_number=4, guests=2))
    drink: dict[str, Any] = {"drink": "juice"} if version == 1 else {"beverage": "juice"}
    dining.add_drinks(dc.AddDrinks(order_id=order, quantity=2, **drink))
    dining.add_food_item(dc.AddFoodItem(order_id=order, dish="soup", quantity=1 if version == 1 else HALF))
    dining.place_order(dc.PlaceOrder(order_id=order, **({} if version == 1 else {"notes": "no salt"})))
    dining.close_table(dc.CloseTable(order_id=order))
    return order


def journey(system: CustomerDining, version: int) -> UUID:
    """A whole visit: the kitchen's ticket and the bill come from listeners; the food is served, the bill paid."""
    order = dining_visit(system.dining, version)
    made = {(r.aggregate, r.event): r.aggregate_id for r in system.recorded()}
    ticket, bill = made["KitchenTicket", "TicketQueued"], made["BillableOrder", "BillPrepared"]
    system.kitchen.prepare_food(kc.PrepareFood(ticket_id=ticket))
    system.kitchen.serve_food(kc.ServeFood(ticket_id=ticket))
    system.payment.pay_cash(pc.PayCash(bill_id=bill, amount=Decimal("9.50")))
    return order


def lagging(env: dict[str, str]) -> UUID:
    """Another visit, recorded by the dining service alone: the kitchen and payment have not heard of it
    when the new version starts, and follow it through the upcasters."""
    dining = DiningService(env)
    try:
        return dining_visit(dining, 1)
    finally:
        dining.close()


def record(system: CustomerDining) -> dict[str, Any]:
    order = journey(system, 1)
    events = stored(system)
    system.dining.take_snapshot(order)
    messages = [e.to_json() for e in events_of(system.dining, order) if isinstance(e, IntegrationEvent)]
    return {"events": events, "messages": messages, "order": str(order)}


def read(system: CustomerDining, messages: list[str]) -> dict[str, Any]:
    events = stored(system)
    aggregates = {}
    for e in events:
        app = system.services[e["service"]]
        aggregates[e["id"]] = shown(vars(app.repository.get(UUID(e["id"]))))
    order = UUID(next(e["id"] for e in events if e["event"] == "OrderPlaced"))
    snapshots = system.dining.snapshots
    assert snapshots is not None
    kept = len(list(snapshots.recorder.select_events(order)))
    used = len(list(snapshots.get(order)))
    read_back = {}
    for text in messages:
        name = json.loads(text)["name"]
        cls = getattr(dining.DiningOrder, name)
        read_back[name] = shown(vars(cls.from_json(text)))
    journey(system, 2)  # new events beside the old ones
    mixed = [(e["event"], sorted(e["data"])) for e in stored(system)[len(events) :]]
    return {
        "events": events,
        "aggregates": aggregates,
        "snapshots": [kept, used],
        "messages": read_back,
        "mixed": mixed,
    }


def main(argv: list[str]) -> None:
    env = env_of(argv[1])
    with CustomerDining(env) as system:
        if argv[0] == "record":
            result = record(system)
        else:
            result = read(system, json.loads(Path(argv[2]).read_text(encoding="utf-8")))
    if argv[0] == "record":
        result["lagging"] = str(lagging(env))
    print(json.dumps(result, indent=1))


if __name__ == "__main__":
    main(sys.argv[1:])
