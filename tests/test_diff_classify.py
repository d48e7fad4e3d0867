"""``esp diff``'s classification, case by case: each change to a small model and
exactly the changes (impact, rule, name) esp reports for it."""

from __future__ import annotations

from pathlib import Path

import pytest
from helpers import SAGA, show, variant, write

from esp import api
from esp.diff import RULES, Impact, compare
from esp.model import Model

# Two microservices, an integration event heard across them, a domain event with no field
# users rely on, and a state only one event enters.
BASE = """\
journey: Order Food
microservices:
  dining:
    aggregates:
      Order:
        identity: order_id
        states: [open, placed, cancelled]
  kitchen:
    aggregates:
      Ticket:
        identity: ticket_id
        states: [queued]
processes:
  - process: Order
    microservice: dining
    aggregate: Order
    actions:
      - query: ViewOrders
        projection: Orders
      - command: OpenOrder
        fields: {table: int, guests: int}
        emits: [OrderOpened]
        creates: true
      - command: PlaceOrder
        fields: {dish: str, note: "optional[str]"}
        emits: [OrderPlaced]
        allowed_in: [open]
      - command: CancelOrder
        emits: [OrderCancelled]
        allowed_in: [open]
    events:
      - event: OrderOpened
        fields: {table: int, guests: int}
        enters: open
      - event: OrderPlaced
        kind: integration
        fields: {dish: str, note: "optional[str]"}
        enters: placed
      - event: OrderCancelled
        enters: cancelled
  - process: Cook
    microservice: kitchen
    aggregate: Ticket
    actions:
      - command: QueueTicket
        fields: {order_id: uuid, dish: str}
        emits: [TicketQueued]
        creates: true
    events:
      - event: TicketQueued
        fields: {order_id: uuid, dish: str}
        enters: queued
listeners:
  - on: OrderPlaced
    in: kitchen
    command: QueueTicket
projections:
  - projection: Orders
    in: dining
    from: [OrderOpened]
"""

OPENED = "      - event: OrderOpened\n        fields: {table: int, guests: int}\n"
PLACED = '        kind: integration\n        fields: {dish: str, note: "optional[str]"}\n'
OPEN_CMD = "        fields: {table: int, guests: int}\n        emits: [OrderOpened]"
PLACE_CMD = '        fields: {dish: str, note: "optional[str]"}\n        emits: [OrderPlaced]'


def opened(fields: str, extra: str = "") -> tuple[str, str]:
    """OrderOpened (a domain event) with other fields, version and history."""
    return OPENED, f"      - event: OrderOpened\n{extra}        fields: {fields}\n"


def placed(fields: str, extra: str = "") -> tuple[str, str]:
    """OrderPlaced (an integration event) with other fields, version, promise and history."""
    return PLACED, f"        kind: integration\n{extra}        fields: {fields}\n"


def model(folder: Path, text: str) -> Model:
    result = api.validate([write(folder, text)])
    assert result.model is not None and not result.errors, show(result.diagnostics)
    return result.model


def changes(tmp_path: Path, old: str, new: str) -> list[tuple[str, str, str]]:
    found = compare(model(tmp_path / "old", old), model(tmp_path / "new", new))
    for c in found:
        assert c.rule in RULES and c.message and c.why, c
        assert c.location.file.startswith(str(tmp_path)), c  # somewhere a person can look
    return sorted((c.impact.label, c.rule, c.name) for c in found)


V2 = "        version: 2\n"


def history(*lines: str) -> str:
    return "        history:\n          - version: 2\n" + "".join(f"            {line}\n" for line in lines)


CASES: dict[str, tuple[list[tuple[str, str]], list[tuple[str, str, str]]]] = {
    "nothing": ([], []),
    "domain field added with a default": (
        [opened("{table: int, guests: int, waiter: str}", V2 + history('added: {waiter: ""}'))],
        [("upcaster", "field-added", "OrderOpened")],
    ),
    "domain field added without a version": (
        [opened("{table: int, guests: int, waiter: str}")],
        [("breaking", "field-added-without-default", "OrderOpened")],
    ),
    "domain field added with a version but no history": (
        [opened("{table: int, guests: int, waiter: str}", V2)],
        [("breaking", "field-added-without-default", "OrderOpened")],
    ),
    "optional domain field added without a default is still undeclared": (
        [opened('{table: int, guests: int, waiter: "optional[str]"}', V2)],
        [("breaking", "field-added-without-default", "OrderOpened")],
    ),
    "domain field renamed": (
        [opened("{table: int, people: int}", V2 + history("renamed: {guests: people}"))],
        [("upcaster", "field-renamed", "OrderOpened")],
    ),
    "domain field renamed without history: a removal and an addition": (
        [opened("{table: int, people: int}", V2)],
        [
            ("breaking", "field-added-without-default", "OrderOpened"),
            ("breaking", "field-removed", "OrderOpened"),
        ],
    ),
    "domain field widened": (
        [opened("{table: int, guests: decimal}", V2 + history("widened: {guests: int}"))],
        [("upcaster", "field-widened", "OrderOpened")],
    ),
    "domain field widened to optional": (
        [opened('{table: int, guests: "optional[int]"}', V2 + history("widened: {guests: int}"))],
        [("upcaster", "field-widened", "OrderOpened")],
    ),
    "domain field widened without history": (
        [opened("{table: int, guests: float}", V2)],
        [("breaking", "field-widened", "OrderOpened")],
    ),
    "domain field type changed (no widening)": (
        [opened("{table: int, guests: bool}", V2)],
        [("breaking", "field-type-changed", "OrderOpened")],
    ),
    "domain field removed": (
        [opened("{table: int}", V2 + history("removed: {guests: int}"))],
        [("upcaster", "field-removed", "OrderOpened")],
    ),
    "domain field removed without a version": (
        [opened("{table: int}")],
        [("breaking", "field-removed", "OrderOpened")],
    ),
    "two versions: renamed, then a field added": (
        [
            opened(
                "{table: int, people: int, waiter: str}",
                "        version: 3\n"
                "        history:\n"
                "          - version: 2\n            renamed: {guests: people}\n"
                '          - version: 3\n            added: {waiter: ""}\n',
            )
        ],
        [("upcaster", "field-added", "OrderOpened"), ("upcaster", "field-renamed", "OrderOpened")],
    ),
    "integration field added with a default (full)": (
        [placed('{dish: str, note: "optional[str]", table: int}', V2 + history("added: {table: 0}"))],
        [("upcaster", "field-added", "OrderPlaced")],
    ),
    "integration field added, promise none": (
        [
            placed(
                '{dish: str, note: "optional[str]", table: int}',
                V2 + "        compatibility: none\n" + history("added: {table: 0}"),
            )
        ],
        [("breaking", "field-added", "OrderPlaced"), ("compatible", "event-changed", "OrderPlaced")],
    ),
    "integration field removed (full)": (
        [placed("{dish: str}", V2 + history('removed: {note: "optional[str]"}'))],
        [("breaking", "field-removed", "OrderPlaced")],
    ),
    "integration field removed (backward)": (
        [placed("{dish: str}", V2 + "        compatibility: backward\n" + history('removed: {note: "optional[str]"}'))],
        [("upcaster", "field-removed", "OrderPlaced"), ("compatible", "event-changed", "OrderPlaced")],
    ),
    "integration field removed (forward)": (
        [placed("{dish: str}", V2 + "        compatibility: forward\n" + history('removed: {note: "optional[str]"}'))],
        [("breaking", "field-removed", "OrderPlaced"), ("compatible", "event-changed", "OrderPlaced")],
    ),
    "integration field renamed (full)": (
        [placed('{dish: str, remark: "optional[str]"}', V2 + history("renamed: {note: remark}"))],
        [("breaking", "field-renamed", "OrderPlaced")],
    ),
    "integration field renamed (backward)": (
        [
            placed(
                '{dish: str, remark: "optional[str]"}',
                V2 + "        compatibility: backward\n" + history("renamed: {note: remark}"),
            )
        ],
        [("upcaster", "field-renamed", "OrderPlaced"), ("compatible", "event-changed", "OrderPlaced")],
    ),
    "integration field added without a default": (
        [placed('{dish: str, note: "optional[str]", table: int}', V2)],
        [("breaking", "field-added-without-default", "OrderPlaced")],
    ),
    "version raised, fields the same": (
        [opened("{table: int, guests: int}", V2)],
        [("compatible", "event-version-raised", "OrderOpened")],
    ),
    "promise changed": (
        [placed('{dish: str, note: "optional[str]"}', "        compatibility: backward\n")],
        [("compatible", "event-changed", "OrderPlaced")],
    ),
    "event enters another state": (
        [
            (
                "      - event: OrderCancelled\n        enters: cancelled",
                "      - event: OrderCancelled\n        enters: open",
            )
        ],
        [("compatible", "event-changed", "OrderCancelled")],
    ),
    "domain event published": (
        [("      - event: OrderCancelled\n", "      - event: OrderCancelled\n        kind: integration\n")],
        [("compatible", "event-published", "OrderCancelled")],
    ),
    "integration event no longer published": (
        [
            ("        kind: integration\n", ""),
            ("listeners:\n  - on: OrderPlaced\n    in: kitchen\n    command: QueueTicket\n", ""),
        ],
        [
            ("breaking", "event-unpublished", "OrderPlaced"),
            ("compatible", "listener-removed", "OrderPlaced -> kitchen.QueueTicket"),
        ],
    ),
    "event, its command and its state removed": (
        [
            ("        states: [open, placed, cancelled]", "        states: [open, placed]"),
            ("      - command: CancelOrder\n        emits: [OrderCancelled]\n        allowed_in: [open]\n", ""),
            ("      - event: OrderCancelled\n        enters: cancelled\n", ""),
        ],
        [
            ("breaking", "event-removed", "OrderCancelled"),
            ("breaking", "state-removed", "Order"),
            ("compatible", "command-removed", "CancelOrder"),
        ],
    ),
    "state added": (
        [("        states: [queued]", "        states: [queued, served]")],
        [("compatible", "state-added", "Ticket")],
    ),
    "key added to an aggregate with stored events: its index misses them": (
        [("        states: [queued]", "        states: [queued]\n        keys: {order_id: unique}")],
        [("breaking", "key-added", "Ticket")],
    ),
    "identity renamed": (
        [("        identity: ticket_id", "        identity: kitchen_ticket_id")],
        [("compatible", "aggregate-changed", "Ticket")],
    ),
    "command field added": (
        [(OPEN_CMD, "        fields: {table: int, guests: int, name: str}\n        emits: [OrderOpened]")],
        [("compatible", "command-changed", "OpenOrder")],
    ),
    "listener map added": (
        [("    command: QueueTicket\n", "    command: QueueTicket\n    map: {dish: dish}\n")],
        [("compatible", "listener-changed", "OrderPlaced -> kitchen.QueueTicket")],
    ),
    "query added": (
        [
            (
                "        projection: Orders\n",
                "        projection: Orders\n      - query: ViewTables\n        projection: Orders\n",
            )
        ],
        [("compatible", "query-added", "ViewTables")],
    ),
    "query changed": (
        [("        projection: Orders\n", "        projection: Orders\n        fields: {table: int}\n")],
        [("compatible", "query-changed", "ViewOrders")],
    ),
    "projection reads another event": (
        [("    from: [OrderOpened]", "    from: [OrderOpened, OrderCancelled]")],
        [("compatible", "projection-changed", "Orders")],
    ),
    "projection and its query removed": (
        [
            ("      - query: ViewOrders\n        projection: Orders\n", ""),
            ("projections:\n  - projection: Orders\n    in: dining\n    from: [OrderOpened]\n", ""),
        ],
        [("compatible", "projection-removed", "Orders"), ("compatible", "query-removed", "ViewOrders")],
    ),
    "projection added": (
        [
            (
                "    from: [OrderOpened]\n",
                "    from: [OrderOpened]\n  - projection: Tickets\n    in: kitchen\n    from: [TicketQueued]\n",
            )
        ],
        [("compatible", "projection-added", "Tickets")],
    ),
    "journey renamed: the package and every event's module change": (
        [("journey: Order Food", "journey: Food Orders")],
        [
            ("breaking", "package-renamed", "food_orders"),
            ("compatible", "journey-added", "Food Orders"),
            ("compatible", "journey-removed", "Order Food"),
        ],
    ),
    "aggregate moved to another microservice": (
        [
            (
                "  kitchen:\n    aggregates:\n      Ticket:",
                "  kitchen:\n    aggregates: {}\n  cooking:\n    aggregates:\n      Ticket:",
            ),
            ("    microservice: kitchen\n    aggregate: Ticket", "    microservice: cooking\n    aggregate: Ticket"),
            ("    in: kitchen\n", "    in: cooking\n"),
        ],
        [
            ("breaking", "aggregate-moved", "Ticket"),
            ("breaking", "event-moved", "TicketQueued"),
            ("compatible", "command-changed", "QueueTicket"),
            ("compatible", "listener-added", "OrderPlaced -> cooking.QueueTicket"),
            ("compatible", "listener-removed", "OrderPlaced -> kitchen.QueueTicket"),
            ("compatible", "microservice-added", "cooking"),
            ("compatible", "process-changed", "Cook"),
        ],
    ),
}


@pytest.mark.parametrize("case", CASES, ids=list(CASES))
def test_each_change_is_classified(tmp_path: Path, case: str) -> None:
    edits, expected = CASES[case]
    assert changes(tmp_path, BASE, variant(BASE, *edits)) == sorted(expected)


def test_undoing_a_change_is_classified_from_the_other_side(tmp_path: Path) -> None:
    """A field removed from the old side's view: the new version lacks it."""
    new = variant(BASE, opened("{table: int}", V2 + history("removed: {guests: int}")))
    assert changes(tmp_path, new, BASE) == [("breaking", "event-version-lowered", "OrderOpened")]


SAGA_CASES: dict[str, tuple[list[tuple[str, str]], list[tuple[str, str, str]]]] = {
    "step appended": (
        [
            (
                "        pivot: true\n",
                "        pivot: true\n      - step: Extra room\n        invoke: ReserveRoom\n"
                "        succeeds_on: RoomReserved\n        retriable: true\n",
            ),
        ],
        [("compatible", "saga-step-added", "Book Trip")],
    ),
    "a step renamed: runs in progress would resume elsewhere": (
        [("      - step: Seat\n", "      - step: Flight\n")],
        [("breaking", "saga-steps-changed", "Book Trip")],
    ),
    "the saga's microservice renamed: its aggregate, events and runs move": (
        [
            ("  booking:\n", "  trips:\n"),
            ("    microservice: booking\n", "    microservice: trips\n"),
            ("    in: booking\n", "    in: trips\n"),
        ],
        [
            ("breaking", "aggregate-moved", "Trip"),
            ("breaking", "event-moved", "TripBooked"),
            ("breaking", "event-moved", "TripCancelled"),
            ("breaking", "event-moved", "TripRequested"),
            ("breaking", "saga-moved", "Book Trip"),
            ("compatible", "command-changed", "RequestTrip"),
            ("compatible", "microservice-added", "trips"),
            ("compatible", "microservice-removed", "booking"),
            ("compatible", "process-changed", "Request Trip"),
        ],
    ),
    "saga timeout set": (
        [("    recovery: backward\n", "    recovery: backward\n    timeout: 30s\n")],
        [("compatible", "saga-changed", "Book Trip")],
    ),
}


@pytest.mark.parametrize("case", SAGA_CASES, ids=list(SAGA_CASES))
def test_saga_changes_are_classified(tmp_path: Path, case: str) -> None:
    edits, expected = SAGA_CASES[case]
    assert changes(tmp_path, SAGA, variant(SAGA, *edits)) == sorted(expected)


def test_a_saga_removed_is_breaking_and_added_compatible(tmp_path: Path) -> None:
    without = SAGA[: SAGA.index("sagas:")]
    assert changes(tmp_path / "gone", SAGA, without) == [("breaking", "saga-removed", "Book Trip")]
    assert changes(tmp_path / "back", without, SAGA) == [("compatible", "saga-added", "Book Trip")]


# Rules the tests below produce, besides the tables above.
OTHER_TESTS = {"saga-removed", "saga-added", "event-version-lowered", "journey-added", "journey-removed"}
OTHER_TESTS |= {"aggregate-added", "aggregate-removed", "event-added", "command-added", "listener-added"}
OTHER_TESTS |= {"microservice-removed", "process-added", "process-removed", "key-changed", "key-removed"}


def test_keys_made_unique_or_many_or_removed(tmp_path: Path) -> None:
    """The index kept for a unique key holds one aggregate per value, for a many key every one: turning one into
    the other leaves an index that does not fit (breaking); a key removed leaves its index unread (compatible)."""
    queued = "        states: [queued]"
    keyed = variant(BASE, (queued, f"{queued}\n        keys: {{order_id: unique, dish: many}}"))
    swapped = variant(BASE, (queued, f"{queued}\n        keys: {{order_id: many, dish: unique}}"))
    assert changes(tmp_path / "swap", keyed, swapped) == [("breaking", "key-changed", "Ticket")] * 2
    found = compare(model(tmp_path / "old", keyed), model(tmp_path / "new", swapped))
    assert sorted(c.message for c in found) == ["key 'dish' made unique", "key 'order_id' made many"]
    assert changes(tmp_path / "gone", keyed, BASE) == [("compatible", "key-removed", "Ticket")] * 2


def test_every_rule_is_exercised() -> None:
    """A rule no case produces is dead catalogue, or an untested branch."""
    seen = {rule for _, expected in [*CASES.values(), *SAGA_CASES.values()] for _, rule, _ in expected}
    assert set(RULES) - seen - OTHER_TESTS == set()


def test_a_whole_microservice_added_and_removed(tmp_path: Path) -> None:
    """The kitchen goes (its aggregate and event are breaking), then comes back (all compatible)."""
    without = variant(
        BASE,
        ("  kitchen:\n    aggregates:\n      Ticket:\n        identity: ticket_id\n        states: [queued]\n", ""),
        (BASE[BASE.index("  - process: Cook") : BASE.index("listeners:")], ""),
        ("listeners:\n  - on: OrderPlaced\n    in: kitchen\n    command: QueueTicket\n", ""),
    )
    gone = changes(tmp_path / "gone", BASE, without)
    assert gone == [
        ("breaking", "aggregate-removed", "Ticket"),
        ("breaking", "event-removed", "TicketQueued"),
        ("compatible", "command-removed", "QueueTicket"),
        ("compatible", "listener-removed", "OrderPlaced -> kitchen.QueueTicket"),
        ("compatible", "microservice-removed", "kitchen"),
        ("compatible", "process-removed", "Cook"),
    ]
    back = changes(tmp_path / "back", without, BASE)
    assert {impact for impact, _, _ in back} == {"compatible"}
    assert {rule for _, rule, _ in back} == {
        "aggregate-added",
        "event-added",
        "command-added",
        "listener-added",
        "microservice-added",
        "process-added",
    }


def test_changes_are_listed_costliest_first(tmp_path: Path) -> None:
    new = variant(
        BASE,
        opened("{table: int, people: int}", V2 + history("renamed: {guests: people}")),
        placed("{dish: str}", V2 + history('removed: {note: "optional[str]"}')),
        ("        states: [queued]", "        states: [queued, served]"),
    )
    found = compare(model(tmp_path / "old", BASE), model(tmp_path / "new", new))
    assert [c.impact for c in found] == [Impact.BREAKING, Impact.UPCASTER, Impact.COMPATIBLE]


# OrderPlaced and its command with a price, a value object.
PLACED_AND_CMD = (
    (PLACED, '        kind: integration\n        fields: {dish: str, note: "optional[str]", price: Money}\n'),
    (PLACE_CMD, '        fields: {dish: str, note: "optional[str]", price: Money}\n        emits: [OrderPlaced]'),
)


def test_a_value_object_that_changes_changes_the_events_that_hold_it(tmp_path: Path) -> None:
    with_money = variant(
        BASE,
        ("microservices:", "types:\n  Money:\n    fields: {amount: decimal, currency: str}\nmicroservices:"),
        PLACED_AND_CMD[0],
        PLACED_AND_CMD[1],
    )
    changed = with_money.replace("{amount: decimal, currency: str}", "{amount: decimal, currency: str, rate: float}")
    found = changes(tmp_path, with_money, changed)
    assert ("breaking", "field-type-changed", "OrderPlaced") in found, found
    assert changes(tmp_path / "same", with_money, with_money) == []
