"""Bounded contexts: each microservice is a namespace for its aggregates, commands and events.

The same name may be defined in several microservices; a reference is written ``Name`` (resolved in the
referring microservice first, else in the one microservice defining it) or ``microservice.Name``.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from helpers import ROOT, assert_package_passes, codes, show, validate_text, variant

from esp import api
from esp.draw import graph
from esp.export import asyncapi, eventcatalog
from esp.generate import generate, render
from esp.load import load_text
from esp.naming import naming
from esp.serve.edit import Change, apply

# Restaurant, CreateRestaurant and RestaurantCreated in two microservices: the kitchen keeps its own copy of
# the order service's restaurants, as FTGO's services do.
REPLICA = """\
journey: Restaurants
microservices:
  order:
    aggregates:
      Restaurant: {identity: restaurant_id}
  kitchen:
    aggregates:
      Restaurant: {identity: restaurant_id}
processes:
  - process: Add restaurant
    microservice: order
    aggregate: Restaurant
    actions:
      - command: CreateRestaurant
        fields: {name: str}
        emits: [RestaurantCreated]
        creates: true
    events:
      - event: RestaurantCreated
        kind: integration
        fields: {name: str}
  - process: Copy restaurant
    microservice: kitchen
    aggregate: Restaurant
    actions:
      - command: CreateRestaurant
        fields: {name: str}
        emits: [RestaurantCreated]
        creates: true
    events:
      - event: RestaurantCreated
        fields: {name: str}
listeners:
  - on: order.RestaurantCreated
    in: kitchen
    command: CreateRestaurant
scenarios:
  - scenario: The kitchen copies a restaurant
    aggregate: kitchen.Restaurant
    when:
      CreateRestaurant: {name: Ajanta}
    then:
      - RestaurantCreated: {name: Ajanta}
"""


def test_the_same_names_in_two_microservices_are_two_things(tmp_path: Path) -> None:
    result = validate_text(tmp_path, REPLICA)
    assert not result.diagnostics, show(result.diagnostics)
    model = result.model
    assert model is not None
    assert [(a.microservice.name, a.name) for a in model.aggregates] == [
        ("order", "Restaurant"),
        ("kitchen", "Restaurant"),
    ]
    (listener,) = model.listeners
    assert listener.on.microservice.name == "order"  # qualified
    assert listener.command.microservice.name == "kitchen"  # unqualified: the listener's own microservice
    (scenario,) = model.scenarios
    assert scenario.when.command.microservice.name == "kitchen"  # the scenario aggregate's microservice
    assert scenario.then is not None and scenario.then[0].event.microservice.name == "kitchen"
    order_event = model.event("order.RestaurantCreated")
    assert order_event is not None and order_event.integration
    assert model.event("RestaurantCreated") is None  # two of them: the plain name says neither
    assert model.label(order_event) == "order.RestaurantCreated"


def test_an_unqualified_name_resolves_in_its_own_microservice_first(tmp_path: Path) -> None:
    # each process emits its own microservice's RestaurantCreated, written unqualified
    result = validate_text(tmp_path, REPLICA)
    assert result.model is not None
    for cmd in result.model.commands:
        assert [e.microservice for e in cmd.emits] == [cmd.microservice]


def test_a_name_defined_twice_in_one_microservice_is_still_a_duplicate(tmp_path: Path) -> None:
    text = variant(REPLICA, ("    microservice: kitchen\n", "    microservice: order\n"))
    result = validate_text(tmp_path, text)
    assert "E031" in codes(result.diagnostics), show(result.diagnostics)


def test_an_ambiguous_reference_lists_the_qualified_names(tmp_path: Path) -> None:
    text = variant(REPLICA, ("    aggregate: kitchen.Restaurant", "    aggregate: Restaurant"))
    result = validate_text(tmp_path, text)
    assert codes(result.diagnostics) == ["E201"], show(result.diagnostics)
    (problem,) = result.diagnostics
    assert "'order.Restaurant', 'kitchen.Restaurant'" in problem.hint


def test_an_unknown_qualifier_is_reported_with_the_microservice_meant(tmp_path: Path) -> None:
    text = variant(REPLICA, ("  - on: order.RestaurantCreated", "  - on: ordr.RestaurantCreated"))
    result = validate_text(tmp_path, text)
    assert codes(result.diagnostics) == ["E200"], show(result.diagnostics)
    assert "did you mean 'order'?" in result.diagnostics[0].hint


def test_a_qualified_name_the_microservice_lacks_says_where_it_is(tmp_path: Path) -> None:
    text = variant(REPLICA, ("    command: CreateRestaurant\n", "    command: kitchen.OpenRestaurant\n"))
    result = validate_text(tmp_path, text)
    assert codes(result.diagnostics) == ["E043"], show(result.diagnostics)


def test_an_unqualified_own_event_that_another_microservice_publishes_is_a_warning(tmp_path: Path) -> None:
    # the listener now hears the kitchen's own RestaurantCreated: a cycle, and W122 says why
    text = variant(REPLICA, ("  - on: order.RestaurantCreated", "  - on: RestaurantCreated"))
    result = validate_text(tmp_path, text)
    assert codes(result.diagnostics) == ["E058", "W101", "W122"], show(result.diagnostics)
    assert "'order.RestaurantCreated'" in result.diagnostics[2].hint


def test_messages_qualify_a_name_several_microservices_define(tmp_path: Path) -> None:
    text = variant(REPLICA, ("  - on: order.RestaurantCreated", "  - on: kitchen.RestaurantCreated"))
    result = validate_text(tmp_path, text)
    assert codes(result.diagnostics) == ["E058", "W101"], show(result.diagnostics)
    unheard, cycle = sorted(result.diagnostics, key=lambda d: d.code, reverse=True)
    assert "kitchen.RestaurantCreated => kitchen.CreateRestaurant" in cycle.message
    assert "'order.RestaurantCreated'" in unheard.message


def test_drawings_show_two_stickies_with_qualified_labels(tmp_path: Path) -> None:
    result = validate_text(tmp_path, REPLICA)
    assert result.model is not None
    for view in ("esp", "flow"):
        drawing = graph(result.model, view)
        events = sorted(n.label for n in drawing.nodes if n.kind in ("event", "integration"))
        assert events == ["kitchen.Restaurant Created", "order.Restaurant Created"], view
        assert len({n.id for n in drawing.nodes}) == len(drawing.nodes)
    links = [e.label for e in graph(result.model, "context").edges]
    assert any("order.Restaurant Created" in text for text in links), links


def test_exports_name_shared_events_by_their_qualified_name(tmp_path: Path) -> None:
    text = variant(
        REPLICA,
        (
            "        fields: {name: str}\nlisteners:",
            "        kind: integration\n        fields: {name: str}\nlisteners:",
        ),
    )
    text += "projections:\n  - projection: Kitchens\n    in: order\n    from: [kitchen.RestaurantCreated]\n"
    result = validate_text(tmp_path, text)
    assert result.model is not None and not result.diagnostics, show(result.diagnostics)
    doc = asyncapi.document(result.model)
    assert sorted(doc["components"]["messages"]) == ["kitchen.RestaurantCreated", "order.RestaurantCreated"]
    assert list(doc["channels"]["order"]["messages"]) == ["order.RestaurantCreated"]
    titles = {m["title"] for m in doc["components"]["messages"].values()}
    assert titles == {"kitchen.Restaurant Created", "order.Restaurant Created"}
    catalog = eventcatalog.files(result.model)
    assert "events/order.RestaurantCreated/index.mdx" in catalog
    assert "events/kitchen.RestaurantCreated/index.mdx" in catalog
    assert "id: kitchen.RestaurantCreated" in catalog["services/order/index.mdx"]


@pytest.mark.parametrize("length", [10, 40, 90, 200])
def test_a_long_cause_is_laid_out_as_ruff_format_leaves_it(tmp_path: Path, length: int) -> None:
    """The journey player's causes name qualified events and commands: an entry past 120 columns is split."""
    key = "customer-self-service." + "E" * min(length, 40)
    text = "customer-self-service.RejectRequest, by a listener on " + "p" * length
    source = "CAUSES: dict[str, str] = {\n    " + render.entry(key, text, 4) + "\n}\n"
    path = tmp_path / "causes.py"
    path.write_text(source)
    ruff = [sys.executable, "-m", "ruff"]
    fmt = [*ruff, "format", "--isolated", "--line-length", "120", "--diff", str(path)]
    formatted = subprocess.run(fmt, capture_output=True, text=True, check=False)
    assert formatted.returncode == 0, formatted.stdout
    lint = [*ruff, "check", "--isolated", "--line-length", "120", "--select", "E501", str(path)]
    checked = subprocess.run(lint, capture_output=True, text=True, check=False)
    assert checked.returncode == 0, checked.stdout
    namespace: dict[str, object] = {}
    exec(compile(source, str(path), "exec"), namespace)  # the parts join back into the cause
    assert namespace["CAUSES"] == {key: text}


def test_a_hotspot_may_be_about_a_qualified_name(tmp_path: Path) -> None:
    text = REPLICA + "hotspots:\n  - hotspot: Does the kitchen need the menu?\n    about: kitchen.Restaurant\n"
    result = validate_text(tmp_path, text)
    assert codes(result.diagnostics) == ["W106"], show(result.diagnostics)  # open, and about something known
    assert result.model is not None
    drawing = graph(result.model, "esp")
    (about,) = [e for e in drawing.edges if e.kind == "about"]
    assert about.dst == next(n.id for n in drawing.nodes if n.label == "kitchen.Restaurant")


def test_renaming_on_the_board_renames_qualified_references_too(tmp_path: Path) -> None:
    doc, _ = load_text(REPLICA, str(tmp_path / "journey.yaml"))
    assert doc is not None
    text, _ = apply(REPLICA, doc, Change("rename", "event", "RestaurantCreated", "RestaurantAdded"))
    assert "  - on: order.RestaurantAdded\n" in text
    assert "RestaurantCreated" not in text
    result = validate_text(tmp_path, text)
    assert not result.diagnostics, show(result.diagnostics)


# A saga whose two participants each have a Slot, ReserveSlot, SlotReserved...: the steps say which.
TWO_SLOTS = """\
journey: Two Slots
microservices:
  trips:
    aggregates:
      Trip: {identity: trip_id, states: [requested, booked, rejected]}
  hotel:
    aggregates:
      Slot: {identity: slot_id, states: [reserved, refused, released]}
  car:
    aggregates:
      Slot: {identity: slot_id, states: [reserved, refused, released]}
processes:
  - process: Request trip
    microservice: trips
    aggregate: Trip
    actions:
      - command: RequestTrip
        fields: {seats: int}
        emits: [TripRequested]
        creates: true
    events:
      - event: TripRequested
        fields: {seats: int}
        enters: requested
      - event: TripBooked
        enters: booked
      - event: TripRejected
        enters: rejected

  - process: Reserve in hotel
    microservice: hotel
    aggregate: Slot
    actions:
      - command: ReserveSlot
        fields: {trip_id: uuid, seats: int}
        emits: [SlotReserved, SlotRefused]
        creates: true
      - command: ReleaseSlot
        emits: [SlotReleased]
        allowed_in: [reserved]
    events:
      - event: SlotReserved
        kind: integration
        fields: {trip_id: uuid, seats: int}
        enters: reserved
      - event: SlotRefused
        kind: integration
        fields: {trip_id: uuid, seats: int}
        enters: refused
      - event: SlotReleased
        enters: released

  - process: Reserve in car
    microservice: car
    aggregate: Slot
    actions:
      - command: ReserveSlot
        fields: {trip_id: uuid, seats: int}
        emits: [SlotReserved, SlotRefused]
        creates: true
      - command: ReleaseSlot
        emits: [SlotReleased]
        allowed_in: [reserved]
    events:
      - event: SlotReserved
        kind: integration
        fields: {trip_id: uuid, seats: int}
        enters: reserved
      - event: SlotRefused
        kind: integration
        fields: {trip_id: uuid, seats: int}
        enters: refused
      - event: SlotReleased
        enters: released

sagas:
  - saga: Book trip
    in: trips
    starts_on: TripRequested
    recovery: backward
    compensate_failed_step: false
    completes_with: TripBooked
    aborts_with: TripRejected
    steps:
      - step: Hotel
        invoke: hotel.ReserveSlot
        succeeds_on: SlotReserved
        fails_on: SlotRefused
        compensate: ReleaseSlot
      - step: Car
        invoke: car.ReserveSlot
        succeeds_on: SlotReserved
        fails_on: SlotRefused
        pivot: true
"""


@pytest.mark.slow
def test_a_saga_over_two_contexts_with_the_same_names_generates_a_package_that_passes(tmp_path: Path) -> None:
    """Its own tests (memory, SQLite, PostgreSQL), ruff and mypy --strict; the player knows which SlotReserved."""
    path = tmp_path / "two.yaml"
    path.write_text(TWO_SLOTS, encoding="utf-8")
    v = api.validate([path])
    assert v.model is not None and not v.diagnostics, show(v.diagnostics)
    (step1, step2) = v.model.sagas[0].steps
    assert (step1.invoke.microservice.name, step2.invoke.microservice.name) == ("hotel", "car")
    assert step2.succeeds_on.microservice.name == "car"  # its command's microservice
    out = tmp_path / "out"
    generate(v.model, out)
    journey = (out / "two_slots" / "journey.py").read_text(encoding="utf-8")
    assert '"car.SlotReserved": "Book trip saga: Car",' in journey
    assert_package_passes(out, "two_slots")


def test_listener_messages_qualify_shared_names(tmp_path: Path) -> None:
    head, tail = REPLICA.split("process: Copy restaurant")
    tail = tail.replace("fields: {name: str}\n        emits", "fields: {name: str, chef: str}\n        emits", 1)
    result = validate_text(tmp_path, head + "process: Copy restaurant" + tail)
    assert codes(result.diagnostics) == ["E059", "E072"], show(result.diagnostics)  # E072: the scenario's
    message = result.diagnostics[0].message
    assert "'order.RestaurantCreated'" in message and "'kitchen.CreateRestaurant'" in message, message


def test_a_misspelt_microservice_is_one_problem_even_where_its_aggregate_name_is_shared(tmp_path: Path) -> None:
    text = variant(REPLICA, ("    microservice: kitchen\n", "    microservice: kitchn\n"))
    result = validate_text(tmp_path, text)
    assert codes(result.diagnostics) == ["E040"], show(result.diagnostics)  # the Restaurant meant: kitchen's


def test_saga_rules_of_two_participants_same_named_commands_are_two_rules(tmp_path: Path) -> None:
    text = TWO_SLOTS.replace(
        "fields: {trip_id: uuid, seats: int}\n        emits: [SlotReserved, SlotRefused]",
        "fields: {trip_id: uuid, seats: int, room: str}\n        emits: [SlotReserved, SlotRefused]",
    )
    result = validate_text(tmp_path, text)
    assert result.model is not None and not result.diagnostics, show(result.diagnostics)  # no E032 'rule'
    rules = {h.method for h in naming(result.model).hooks if h.kind == "saga"}
    assert rules == {"book_trip_hotel_reserve_slot_room", "book_trip_car_reserve_slot_room"}


# The kitchen's CreateRestaurant given 'allowed_in': a creating command has no state yet (E056), and the kitchen's
# Restaurant has no such state (E045).
_ALLOWED_IN = (
    "        creates: true\n    events:\n      - event: RestaurantCreated\n        fields: {name: str}\nlisteners",
    "        creates: true\n        allowed_in: [open]\n    events:\n      - event: RestaurantCreated\n"
    "        fields: {name: str}\nlisteners",
)


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (
            (
                "      Restaurant: {identity: restaurant_id}\n  kitchen:",
                "      Restaurant: {identity: restaurant_id, states: [open]}\n  kitchen:",
            ),
            {"W102": "no event enters state 'open' of aggregate 'order.Restaurant'"},
        ),
        (
            _ALLOWED_IN,
            {
                "E056": "command 'kitchen.CreateRestaurant' creates its aggregate but has 'allowed_in'",
                "E045": "aggregate 'kitchen.Restaurant' has no state 'open'",
            },
        ),
        (
            ("      - RestaurantCreated: {name: Ajanta}\n", "      - order.RestaurantCreated: {name: Ajanta}\n"),
            {
                "E070": "event 'order.RestaurantCreated' does not belong to aggregate 'kitchen.Restaurant'",
                "E074": "command 'kitchen.CreateRestaurant' cannot emit 'order.RestaurantCreated'",
            },
        ),
        (
            ("      CreateRestaurant: {name: Ajanta}\n", "      CreateRestaurant: {name: Ajanta, chef: Raj}\n"),
            {"E071": "command 'kitchen.CreateRestaurant' has no field 'chef'"},
        ),
        (
            (
                "    command: CreateRestaurant\nscenarios",
                "    command: CreateRestaurant\n    map: {chef: name}\nscenarios",
            ),
            {"E064": "command 'kitchen.CreateRestaurant' has no field 'chef'"},
        ),
    ],
    ids=["lifecycle", "command", "scenario", "scenario-values", "listener-map"],
)
def test_check_messages_qualify_a_shared_name(
    tmp_path: Path, change: tuple[str, str], expected: dict[str, str]
) -> None:
    result = validate_text(tmp_path, variant(REPLICA, change))
    assert {d.code: d.message for d in result.diagnostics} == expected, show(result.diagnostics)


def test_check_messages_keep_a_name_no_other_microservice_defines(tmp_path: Path) -> None:
    text = (ROOT / "journeys" / "restaurant.yaml").read_text(encoding="utf-8")
    text = variant(
        text,
        (
            "        emits: [FoodAdded]\n        creates: true\n",
            "        emits: [FoodAdded]\n        creates: true\n        allowed_in: [gone]\n",
        ),
    )
    result = validate_text(tmp_path, text)
    messages = {d.code: d.message for d in result.diagnostics if d.code != "W106"}
    assert messages == {
        "E056": "command 'AddFood' creates its aggregate but has 'allowed_in'",
        "E045": "aggregate 'MenuItem' has no state 'gone'",
    }, show(result.diagnostics)
