"""Value objects per bounded context: a microservice may declare its own ``types:``.

A type is found as an aggregate, command or event name is: ``Name`` in the referring microservice first, then
in the journey's ``types:``, then in the one microservice declaring it; ``microservice.Name`` anywhere. A name
declared in several places is qualified where it is shown (``order.Address``) and generated as its
microservice's class name followed by its own (``OrderAddress``), so the two never meet in one process.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from helpers import assert_package_passes, codes, show, validate_text, variant, write

from esp import api
from esp.draw import graph
from esp.export import asyncapi, markdown
from esp.generate import generate
from esp.model import Model

TWO_ADDRESSES = """\
journey: Two Addresses
microservices:
  order:
    types:
      Address:
        fields: {street: str, city: str}
    aggregates:
      Order:
        identity: order_id
        states: [placed]
  kitchen:
    types:
      Address:
        fields: {room: str, shelf: "optional[int]"}
      Slot:
        fields: {at: Address, spare: "list[Address]"}
    aggregates:
      Ticket:
        identity: ticket_id
        states: [queued]
  courier:
    aggregates:
      Delivery:
        identity: delivery_id
        states: [planned]
processes:
  - process: Place
    microservice: order
    aggregate: Order
    actions:
      - command: PlaceOrder
        fields: {to: Address}
        emits: [OrderPlaced]
        creates: true
    events:
      - event: OrderPlaced
        kind: integration
        fields: {to: Address}
        enters: placed
  - process: Cook
    microservice: kitchen
    aggregate: Ticket
    actions:
      - command: QueueTicket
        fields: {slot: Slot}
        emits: [TicketQueued]
        creates: true
    events:
      - event: TicketQueued
        kind: integration
        fields: {slot: Slot}
        enters: queued
  - process: Deliver
    microservice: courier
    aggregate: Delivery
    actions:
      - command: PlanDelivery
        fields: {to: order.Address}
        emits: [DeliveryPlanned]
        creates: true
    events:
      - event: DeliveryPlanned
        fields: {to: order.Address}
        enters: planned
listeners:
  - on: OrderPlaced
    in: courier
    command: PlanDelivery
projections:
  - projection: Kitchen Work
    in: courier
    from: [TicketQueued]
scenarios:
  - scenario: A ticket is queued in a room
    aggregate: Ticket
    when:
      QueueTicket: {slot: {at: {room: cold}, spare: [{room: dry, shelf: 2}]}}
    then:
      - TicketQueued: {slot: {at: {room: cold}, spare: [{room: dry, shelf: 2}]}}
"""


def _model(tmp_path: Path, text: str = TWO_ADDRESSES) -> Model:
    result = validate_text(tmp_path, text)
    assert result.model is not None and not result.diagnostics, show(result.diagnostics)
    return result.model


def _field_type(model: Model, command: str) -> str:
    found = next(c for c in model.commands if c.name == command)
    vo = found.fields[0].type.inner.value
    assert vo is not None
    return vo.key


def test_two_microservices_may_each_declare_a_type_of_the_same_name(tmp_path: Path) -> None:
    model = _model(tmp_path)
    assert [(vo.key, vo.cls) for vo in model.types] == [
        ("order.Address", "OrderAddress"),
        ("kitchen.Address", "KitchenAddress"),
        ("Slot", "Slot"),  # declared once: its own name
    ]
    assert _field_type(model, "PlaceOrder") == "order.Address"  # its own microservice's
    assert _field_type(model, "PlanDelivery") == "order.Address"  # qualified, from a third
    slot = next(vo for vo in model.types if vo.name == "Slot")
    assert [str(f.type) for f in slot.fields] == ["kitchen.Address", "list[kitchen.Address]"]  # the kitchen's own


def test_a_microservice_type_comes_before_the_journey_type_which_comes_before_another_microservice(
    tmp_path: Path,
) -> None:
    text = variant(
        TWO_ADDRESSES,
        ("journey: Two Addresses\n", "journey: Two Addresses\ntypes:\n  Address:\n    fields: {line: str}\n"),
        (
            "        fields: {to: order.Address}\n        enters",
            "        fields: {to: order.Address, drop: Address}\n        enters",
        ),
    )
    model = _model(tmp_path, text)
    assert _field_type(model, "PlaceOrder") == "order.Address"
    planned = next(e for e in model.events if e.name == "DeliveryPlanned")
    assert [str(f.type) for f in planned.fields] == ["order.Address", "Address"]  # the courier has none: the journey's
    assert [(vo.key, vo.cls) for vo in model.types][:3] == [
        ("Address", "Address"),
        ("order.Address", "OrderAddress"),
        ("kitchen.Address", "KitchenAddress"),
    ]


def test_two_types_of_one_name_are_two_types(tmp_path: Path) -> None:
    """A listener cannot fill the journey's Address from the order service's."""
    text = variant(
        TWO_ADDRESSES,
        (
            "journey: Two Addresses\n",
            "journey: Two Addresses\ntypes:\n  Address:\n    fields: {street: str, city: str}\n",
        ),
        ("        fields: {to: order.Address}\n        emits", "        fields: {to: Address}\n        emits"),
    )
    result = validate_text(tmp_path, text)
    assert codes(result.diagnostics) == ["E065"], show(result.diagnostics)
    assert "(Address) of command 'PlanDelivery' from 'to' (order.Address)" in result.diagnostics[0].message


def test_a_type_only_one_microservice_declares_is_found_from_any(tmp_path: Path) -> None:
    old, new = (
        "        fields: {to: order.Address}\n        enters",
        "        fields: {to: order.Address, at: Slot}\n        enters",
    )
    model = _model(tmp_path, variant(TWO_ADDRESSES, (old, new)))
    planned = next(e for e in model.events if e.name == "DeliveryPlanned")
    found = planned.fields[1].type.value
    assert found is not None and found.microservice is not None and found.microservice.name == "kitchen"


def test_an_unqualified_type_several_microservices_declare_is_ambiguous(tmp_path: Path) -> None:
    text = variant(
        TWO_ADDRESSES,
        ("        fields: {to: order.Address}\n        emits", "        fields: {to: Address}\n        emits"),
    )
    result = validate_text(tmp_path, text)
    assert codes(result.diagnostics) == ["E201"], show(result.diagnostics)
    assert result.diagnostics[0].hint == "write one of 'order.Address', 'kitchen.Address'"


def test_a_qualified_type_the_microservice_lacks_says_who_declares_it(tmp_path: Path) -> None:
    text = variant(
        TWO_ADDRESSES,
        ("        fields: {to: order.Address}\n        emits", "        fields: {to: courier.Address}\n        emits"),
    )
    result = validate_text(tmp_path, text)
    assert codes(result.diagnostics) == ["E190"], show(result.diagnostics)
    assert (
        result.diagnostics[0].hint
        == "'courier' declares no type 'Address'; write one of 'order.Address', 'kitchen.Address'"
    )


def test_a_microservice_type_in_two_files_is_one_type_if_its_fields_agree(tmp_path: Path) -> None:
    one = write(tmp_path, TWO_ADDRESSES, "one.yaml")
    other = "journey: Other\nmicroservices:\n  order:\n    types:\n      Address:\n"
    other += "        fields: {street: str, city: str}\n"
    two = write(tmp_path, other, "two.yaml")
    result = api.validate([one, two])
    assert not result.errors, show(result.diagnostics)
    three = write(tmp_path, other.replace("city: str", "town: str"), "two.yaml")
    result = api.validate([one, three])
    assert codes(result.errors) == ["E031"] and "order.Address" in result.errors[0].message


def test_drawings_and_exports_name_a_shared_type_by_its_qualified_name(tmp_path: Path) -> None:
    model = _model(tmp_path)
    drawing = graph(model)
    assert drawing.node("value-address-order").label == "order.Address"
    assert drawing.node("value-address-kitchen").note.split("\n") == ["room: str", "shelf: optional[int]"]
    assert drawing.node("command-place_order").note == "to: order.Address"
    schemas = asyncapi.document(model)["components"]["schemas"]
    assert {"order.Address", "kitchen.Address", "Slot"} <= set(schemas)
    assert schemas["order.Address"]["title"] == "order.Address"
    assert schemas["Slot"]["properties"]["at"] == {"$ref": "#/components/schemas/kitchen.Address"}
    text = markdown.markdown(model)
    assert "| order.Address | street: str, city: str |" in text


@pytest.mark.slow
def test_two_types_of_one_name_generate_a_package_that_passes(tmp_path: Path) -> None:
    """Two classes in one value_objects module, each with its own transcoding: stored and read back in one
    process (the package's own tests on memory, SQLite and PostgreSQL), ruff and mypy --strict."""
    model = _model(tmp_path)
    out = tmp_path / "out"
    generate(model, out)
    values = (out / "two_addresses" / "value_objects.py").read_text(encoding="utf-8")
    assert "class OrderAddress:" in values and "class KitchenAddress:" in values
    assert "VALUE_OBJECTS: tuple[type[Any], ...] = (OrderAddress, KitchenAddress, Slot)" in values
    assert 'ESP_NAME: ClassVar[str] = "order.Address"' in values  # stored under it: stays if the class is renamed
    assert 'ESP_NAME: ClassVar[str] = "kitchen.Slot"' in values
    assert_package_passes(out, "two_addresses")
