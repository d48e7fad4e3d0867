"""esp-runtime, the library generated packages run on: shipped from runtime/, required in a compatible range."""

from __future__ import annotations

import json
import tomllib
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any, ClassVar
from uuid import UUID, uuid4

import pytest
from eventsourcing.domain import Aggregate
from eventsourcing.persistence import DecimalAsStr, JSONTranscoder, UUIDAsHex
from fastapi.testclient import TestClient
from packaging.requirements import Requirement

import esp_runtime
from esp_runtime import IntegrationEvent, Service, ValueObjectAsDict, memory_env, require_state
from esp_runtime.http import Api, CommandRoute, make_app

ROOT = Path(__file__).resolve().parent.parent


def _requirement(pyproject: Path, name: str) -> Requirement:
    project = tomllib.loads(pyproject.read_text(encoding="utf-8"))["project"]
    found = [Requirement(r) for r in project["dependencies"] if Requirement(r).name == name]
    assert len(found) == 1, project["dependencies"]
    return found[0]


def test_every_generated_package_requires_a_range_that_holds_this_runtime() -> None:
    for pyproject in sorted((ROOT / "generated").glob("*/pyproject.toml")):
        requirement = _requirement(pyproject, "esp-runtime")
        assert requirement.specifier.contains(esp_runtime.__version__), (pyproject, requirement)
        # a compatible range, not one version: a runtime fix reaches the package without generating it again
        assert not str(requirement.specifier).startswith("=="), requirement


def test_esp_requires_the_runtime_it_generates_code_for() -> None:
    requirement = _requirement(ROOT / "pyproject.toml", "esp-runtime")
    assert str(requirement.specifier) == f"=={esp_runtime.__version__}"


def test_the_runtime_needs_none_of_the_cli_dependencies() -> None:
    project = tomllib.loads((ROOT / "runtime" / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    assert [Requirement(r).name for r in project["dependencies"]] == ["eventsourcing"]


def test_generated_packages_ship_no_copy_of_the_runtime() -> None:
    for package in (ROOT / "generated").glob("*/*/__init__.py"):
        assert not (package.parent / "runtime.py").exists()
        assert not (package.parent / "saga.py").exists()


# -- the HTTP API's answers, on a small real application (in memory) ------------------------------


@dataclass(frozen=True)
class OpenBox:
    """Open a box."""

    label: str


@dataclass(frozen=True)
class CloseBox:
    """Close a box."""

    box_id: UUID


class Box(Aggregate):
    class Opened(Aggregate.Created):
        label: str

    class Closed(Aggregate.Event):
        def apply(self, aggregate: Any) -> None:
            aggregate.state = "closed"

    def __init__(self, label: str) -> None:
        self.label = label
        self.state = "open"

    def close(self) -> None:
        require_state("CloseBox", "Box", self.state, ("open",))
        self.trigger_event(self.Closed)


class Boxes(Service):
    def open_box(self, command: OpenBox, box_id: UUID) -> Box:
        box: Box = Box._create(Box.Opened, id=box_id, label=command.label)
        return box

    def close_box(self, command: CloseBox, _: UUID) -> Box:
        box: Box = self.repository.get(command.box_id)
        box.close()
        return box


@pytest.fixture
def boxes() -> Iterator[tuple[Boxes, TestClient]]:
    app = Boxes(memory_env())
    api = Api(
        "boxes",
        commands=(
            CommandRoute("OpenBox", OpenBox, app.open_box, creates=True),
            CommandRoute("CloseBox", CloseBox, app.close_box, creates=False),
        ),
    )
    with TestClient(make_app(api, app)) as client:
        yield app, client
    app.close()


def test_a_command_answers_its_aggregate_id_and_version(boxes: tuple[Boxes, TestClient]) -> None:
    _, client = boxes
    opened = client.post("/commands/open-box", json={"label": "a"})
    assert opened.status_code == 201 and opened.json()["version"] == 1
    closed = client.post("/commands/close-box", json={"box_id": opened.json()["id"]})
    assert closed.status_code == 200 and closed.json() == {"id": opened.json()["id"], "version": 2}


def test_a_rejected_command_is_a_409_problem(boxes: tuple[Boxes, TestClient]) -> None:
    _, client = boxes
    box = client.post("/commands/open-box", json={"label": "a"}).json()["id"]
    client.post("/commands/close-box", json={"box_id": box})
    again = client.post("/commands/close-box", json={"box_id": box})
    assert again.status_code == 409 and again.headers["content-type"] == "application/problem+json"
    assert again.json()["status"] == 409 and "not allowed in state 'closed'" in again.json()["detail"]
    missing = client.post("/commands/close-box", json={"box_id": str(uuid4())})
    assert missing.status_code == 404 and missing.headers["content-type"] == "application/problem+json"
    invalid = client.post("/commands/open-box", json={"label": 3})
    assert invalid.status_code == 422 and invalid.json()["errors"][0]["loc"] == ["body", "label"]


def test_an_idempotency_key_applies_a_command_once(boxes: tuple[Boxes, TestClient]) -> None:
    app, client = boxes
    before = app.recorder.max_notification_id() or 0
    first = client.post("/commands/open-box", json={"label": "a"}, headers={"Idempotency-Key": "k1"})
    again = client.post("/commands/open-box", json={"label": "a"}, headers={"Idempotency-Key": "k1"})
    assert again.json() == first.json() and again.status_code == first.status_code == 201
    assert again.headers["Idempotent-Replayed"] == "true"
    # one box and one stored answer, in one transaction: nothing more for the repeat
    assert (app.recorder.max_notification_id() or 0) - before == 2
    other = client.post("/commands/open-box", json={"label": "b"}, headers={"Idempotency-Key": "k1"})
    assert other.status_code == 422 and "another request" in other.json()["detail"]
    # a rejection is an answer too: its repeat is the same rejection
    box = first.json()["id"]
    client.post("/commands/close-box", json={"box_id": box})
    rejected = client.post("/commands/close-box", json={"box_id": box}, headers={"Idempotency-Key": "k2"})
    assert rejected.status_code == 409
    assert (
        client.post("/commands/close-box", json={"box_id": box}, headers={"Idempotency-Key": "k2"}).json()
        == rejected.json()
    )


def test_a_circuit_breaker_opens_after_timeouts_in_a_row_and_an_answer_closes_it() -> None:
    from datetime import UTC, datetime, timedelta

    from esp_runtime.saga import Breaker, CircuitBreaker, breaker_id

    policy = Breaker(failures=2, open_for=timedelta(seconds=30))
    now = datetime(2026, 1, 1, tzinfo=UTC)
    breaker = CircuitBreaker._create(
        CircuitBreaker.Created, id=breaker_id("Trip", "flights"), saga="Trip", participant="flights"
    )
    for count in (1, 2, 3):  # a timeout after the cooldown (half open) opens it again at once
        until = now + policy.open_for if count >= policy.failures else None
        breaker.trigger_event(CircuitBreaker.TimedOut, count=count, open_until=until)
    assert breaker.count == 3 and breaker.is_open(now) and not breaker.is_open(now + timedelta(seconds=30))
    breaker.trigger_event(CircuitBreaker.Answered)
    assert breaker.count == 0 and not breaker.is_open(now)
    copy: CircuitBreaker | None = None  # the same state from its events (as the repository rebuilds it)
    for event in breaker.collect_events():
        copy = event.mutate(copy)
    assert copy is not None and (copy.count, copy.open_until) == (0, None)
    assert breaker_id("Trip", "flights") != breaker_id("Trip", "hotels")


@dataclass(frozen=True)
class _Money:
    amount: Decimal
    currency: str


@dataclass(frozen=True)
class _Line:
    sku: str
    price: _Money
    discount: _Money | None
    tags: list[str]


def test_value_objects_are_stored_through_their_transcoding_and_read_back_equal() -> None:
    transcoder = JSONTranscoder()
    for transcoding in (UUIDAsHex(), DecimalAsStr(), ValueObjectAsDict(_Money), ValueObjectAsDict(_Line)):
        transcoder.register(transcoding)
    lines = [
        _Line("BK-042", _Money(Decimal("12.50"), "EUR"), None, ["book"]),
        _Line("X", _Money(Decimal("1"), "GBP"), _Money(Decimal("0.10"), "GBP"), []),
    ]
    stored = transcoder.encode({"lines": lines, "id": uuid4()})
    assert b'"value:_Money"' in stored
    assert transcoder.decode(stored)["lines"] == lines


@dataclass(frozen=True)
class _Address:  # the order service's own Address, generated before another microservice declared one
    ESP_NAME: ClassVar[str] = "order.Address"
    street: str


@dataclass(frozen=True)
class _OrderAddress:  # the same type once the kitchen declared an Address too: its class renamed
    ESP_NAME: ClassVar[str] = "order.Address"
    street: str


@dataclass(frozen=True)
class _KitchenAddress:
    ESP_NAME: ClassVar[str] = "kitchen.Address"
    room: str


def _transcoder(*classes: type[Any]) -> JSONTranscoder:
    transcoder = JSONTranscoder()
    for cls in classes:
        transcoder.register(ValueObjectAsDict(cls))
    return transcoder


def test_a_microservice_type_is_stored_under_its_own_name_whatever_its_class() -> None:
    """Two Address types in one process are two transcodings; a class renamed still reads what was stored."""
    stored = _transcoder(_Address).encode({"to": _Address("1 Ada Ln")})
    assert b'"value:order.Address"' in stored
    both = _transcoder(_OrderAddress, _KitchenAddress)
    assert both.decode(stored) == {"to": _OrderAddress("1 Ada Ln")}
    again = both.encode({"to": _OrderAddress("2 Ada Ln"), "at": _KitchenAddress("cold room")})
    assert both.decode(again) == {"to": _OrderAddress("2 Ada Ln"), "at": _KitchenAddress("cold room")}


def test_an_integration_event_writes_value_objects_as_objects_of_their_fields() -> None:
    @dataclass(frozen=True)
    class Shipped(IntegrationEvent):
        NAME: ClassVar[str] = "Shipped"
        VERSION: ClassVar[int] = 1
        line: _Line
        lines: list[_Line]

    line = _Line("BK-042", _Money(Decimal("12.50"), "EUR"), None, ["book"])
    message = json.loads(Shipped(line, [line]).to_json())
    assert message["data"]["line"] == {
        "sku": "BK-042",
        "price": {"amount": "12.50", "currency": "EUR"},
        "discount": None,
        "tags": ["book"],
    }
    assert Shipped.from_json(json.dumps(message)) == Shipped(line, [line])


class Basket(Aggregate):
    """A basket found by its buyer (a unique key) and by each product it holds (a many key)."""

    class Filled(Aggregate.Created):
        buyer: UUID
        product: str

    class ProductAdded(Aggregate.Event):
        product: str

    class ProductRemoved(Aggregate.Event):
        product: str

    class HandedOver(Aggregate.Event):
        buyer: UUID

    class Emptied(Aggregate.Event):
        def apply(self, aggregate: Aggregate) -> None:
            assert isinstance(aggregate, Basket)
            aggregate.state = "emptied"

    def __init__(self) -> None:
        self.state = "filled"


class Baskets(Service):
    keys: ClassVar[dict[str, dict[str, bool]]] = {"Basket": {"buyer": True, "product": False}}
    key_releases: ClassVar[dict[str, dict[str, tuple[str, ...]]]] = {"Basket": {"ProductRemoved": ("product",)}}
    key_final_states: ClassVar[dict[str, tuple[str, ...]]] = {"Basket": ("emptied",)}


class BasketsBeforeKeys(Baskets):
    keys: ClassVar[dict[str, dict[str, bool]]] = {}  # as stored before the basket had keys


def test_the_key_index_follows_the_values_an_aggregate_holds(tmp_path: Path) -> None:
    """A unique value recorded anew moves the aggregate; a released value or a final state drops it; an
    aggregate stored before its keys were indexed is read from its stored events when it next changes."""
    ann, bob = UUID(int=1), UUID(int=2)
    env = esp_runtime.sqlite_env(tmp_path, ["Baskets", "BasketsBeforeKeys"])
    env["BASKETSBEFOREKEYS_SQLITE_DBNAME"] = env["BASKETS_SQLITE_DBNAME"]  # one store, two versions of the code
    with Baskets(env) as app:
        basket = Basket._create(Basket.Filled, id=uuid4(), buyer=ann, product="tea")
        basket.trigger_event(Basket.ProductAdded, product="rice")
        app.save(basket)
        assert app.holders("Basket", "product", "tea") == app.holders("Basket", "buyer", ann) == [basket.id]
        basket.trigger_event(Basket.ProductRemoved, product="tea")
        basket.trigger_event(Basket.HandedOver, buyer=bob)
        app.save(basket)
        assert (app.holders("Basket", "product", "tea"), app.holders("Basket", "buyer", ann)) == ([], [])
        assert app.holders("Basket", "product", "rice") == app.holders("Basket", "buyer", bob) == [basket.id]
        basket.trigger_event(Basket.Emptied)
        app.save(basket)
        assert (app.holders("Basket", "product", "rice"), app.holders("Basket", "buyer", bob)) == ([], [])
    with BasketsBeforeKeys(env) as old:
        stored = Basket._create(Basket.Filled, id=uuid4(), buyer=ann, product="tea")
        old.save(stored)
    with Baskets(env) as app:
        stored = app.repository.get(stored.id)
        stored.trigger_event(Basket.ProductAdded, product="rice")
        app.save(stored)
        assert app.holders("Basket", "product", "rice") == [stored.id]
        holding = app.repository.get(esp_runtime.index.holding_id(stored.id))
        assert holding.values == {"buyer": [ann], "product": ["tea", "rice"]}  # tea and ann: from its history


def test_the_key_index_is_built_from_the_stored_events(tmp_path: Path) -> None:
    """Baskets stored before their keys were declared are found once the index is built from history; a unique
    value finds the basket that recorded it last; built again, it finds the same."""
    ann = UUID(int=1)
    env = esp_runtime.sqlite_env(tmp_path, ["Baskets", "BasketsBeforeKeys"])
    env["BASKETSBEFOREKEYS_SQLITE_DBNAME"] = env["BASKETS_SQLITE_DBNAME"]
    with BasketsBeforeKeys(env) as old:
        first = Basket._create(Basket.Filled, id=uuid4(), buyer=ann, product="tea")
        second = Basket._create(Basket.Filled, id=uuid4(), buyer=ann, product="tea")
        old.save(first)
        old.save(second)
        first.trigger_event(Basket.ProductAdded, product="rice")  # the first basket's last event is the latest
        old.save(first)
    with Baskets(env) as app:
        assert app.holders("Basket", "product", "tea") == []
        assert app.reindex(page=2) == 2
        assert app.holders("Basket", "product", "tea") == [second.id, first.id]
        assert app.holders("Basket", "product", "rice") == app.holders("Basket", "buyer", ann) == [first.id]
        assert app.reindex() == 2
        assert app.holders("Basket", "product", "tea") == [second.id, first.id]
        assert app.holders("Basket", "buyer", ann) == [first.id]
