"""esp_runtime.evolution and the JSON reader of integration events: widening
values from the event store or from JSON, and reading a message of an earlier
version (upcast) or a later one (its extra fields ignored)."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any, ClassVar
from uuid import UUID, uuid4

import pytest
from eventsourcing.domain import Aggregate

from esp_runtime.evolution import attributes, rename, upcast, widen
from esp_runtime.integration import IntegrationEvent
from esp_runtime.service import Service


@pytest.mark.parametrize(
    ("value", "old", "new", "expected"),
    [
        (3, "int", "float", 3.0),
        (3, "int", "decimal", Decimal("3")),
        ("3", "int", "decimal", Decimal("3")),  # JSON carries decimals as text
        (0.1, "float", "decimal", Decimal("0.1")),  # the float's shortest text, not its binary value
        (Decimal("2.5"), "float", "decimal", Decimal("2.5")),
        (7, "int", "str", "7"),
        (UUID(int=1), "uuid", "str", "00000000-0000-0000-0000-000000000001"),
        (4, "int", "optional[int]", 4),
        (4, "int", "optional[float]", 4.0),
        (None, "optional[int]", "optional[float]", None),
        ([1, 2], "list[int]", "list[decimal]", [Decimal(1), Decimal(2)]),
        ([1, None], "list[optional[int]]", "list[optional[float]]", [1.0, None]),
    ],
)
def test_widen(value: object, old: str, new: str, expected: object) -> None:
    result = widen(value, old, new)
    assert result == expected and type(result) is type(expected)


def test_widen_refuses_a_narrowing() -> None:
    with pytest.raises(ValueError, match="float does not widen to int"):
        widen(1.5, "float", "int")


def test_rename_keeps_a_value_already_under_the_new_name() -> None:
    state: dict[str, Any] = {"drink": "tea"}
    rename(state, "drink", "beverage")
    assert state == {"beverage": "tea"}
    both: dict[str, Any] = {"drink": "tea", "beverage": "coffee"}
    rename(both, "drink", "beverage")
    assert both == {"beverage": "coffee"}


class Table(Aggregate):
    """What a generated aggregate looks like when its integration event is at version 3."""

    class Ordered(Aggregate.Event, IntegrationEvent):
        NAME: ClassVar[str] = "Ordered"
        VERSION: ClassVar[int] = 3
        class_version: ClassVar[int] = 3
        seats: int
        total: Decimal
        notes: str

        @staticmethod
        def upcast_v1_v2(state: dict[str, Any]) -> None:
            rename(state, "guests", "seats")
            state["total"] = widen(state["total"], "int", "decimal")

        @staticmethod
        def upcast_v2_v3(state: dict[str, Any]) -> None:
            state["notes"] = ""
            state.pop("waiter", None)

        def apply(self, aggregate: Table) -> None:
            aggregate.seats = self.seats

    def __init__(self) -> None:
        self.seats = 0


def _message(version: int, data: dict[str, object]) -> str:
    base = {"originator_id": str(uuid4()), "originator_version": 2, "timestamp": "2024-01-31T12:00:00+00:00"}
    return json.dumps({"name": "Ordered", "version": version, "data": {**base, **data}})


def test_an_earlier_message_is_upcast() -> None:
    event = Table.Ordered.from_json(_message(1, {"guests": 4, "total": 12, "waiter": "Kim"}))
    assert (event.seats, event.total, event.notes) == (4, Decimal(12), "")
    assert "waiter" not in vars(event) and "guests" not in vars(event)
    again = Table.Ordered.from_json(event.to_json())
    assert again == event


def test_a_later_message_is_read_by_the_fields_known() -> None:
    event = Table.Ordered.from_json(_message(4, {"seats": 2, "total": "9.50", "notes": "", "vip": True}))
    assert (event.seats, event.total) == (2, Decimal("9.50"))
    assert "vip" not in vars(event)


def test_a_later_message_without_a_known_field_is_refused() -> None:
    with pytest.raises(ValueError, match="Ordered v4 message does not fit v3"):
        Table.Ordered.from_json(_message(4, {"seats": 2, "total": "9.50"}))


@pytest.mark.parametrize("message", [_message(0, {}), json.dumps({"name": "Other", "version": 3, "data": {}})])
def test_another_event_or_no_version_is_refused(message: str) -> None:
    with pytest.raises(ValueError, match="not a Ordered message"):
        Table.Ordered.from_json(message)


def test_upcast_runs_each_step_in_order() -> None:
    state: dict[str, Any] = {"guests": 3, "total": 5, "waiter": "Lee"}
    upcast(Table.Ordered, state, 1)
    assert state == {"seats": 3, "total": Decimal(5), "notes": ""}


class Counter(Aggregate):
    """An aggregate of a generated shape; ``applied`` counts the events replayed."""

    SHAPE: ClassVar[str] = "one"
    applied: ClassVar[list[int]] = []

    class Counted(Aggregate.Event):
        def apply(self, aggregate: Counter) -> None:
            Counter.applied.append(self.originator_version)
            aggregate.count += 1

    def __init__(self) -> None:
        self._esp_shape = self.SHAPE
        self.count = 0


def snapshotted(counts: int) -> tuple[Service, UUID]:
    """A Counter counted ``counts`` times, with a snapshot of its last version that the next read uses."""
    app = Service(env={"PERSISTENCE_MODULE": "eventsourcing.popo", "IS_SNAPSHOTTING_ENABLED": "y"})
    counter = Counter()
    for _ in range(counts):
        counter.trigger_event(Counter.Counted)
    app.save(counter)
    app.take_snapshot(counter.id)
    Counter.applied.clear()
    assert app.repository.get(counter.id).count == counts
    assert Counter.applied == []  # the snapshot was used: nothing replayed
    return app, counter.id


def test_a_snapshot_of_another_shape_is_passed_over(monkeypatch: pytest.MonkeyPatch) -> None:
    app, counter_id = snapshotted(3)
    monkeypatch.setattr(Counter, "SHAPE", "two")  # the next version of the aggregate's events
    assert app.repository.get(counter_id).count == 3
    assert Counter.applied == [2, 3, 4]  # rebuilt from its events


def test_a_snapshot_without_an_attribute_added_since_is_passed_over(monkeypatch: pytest.MonkeyPatch) -> None:
    """An event added to the aggregate (its versions all the same) brings an attribute a snapshot taken
    before lacks: restored from it, the aggregate would have no such attribute at all."""
    app, counter_id = snapshotted(2)
    before = Counter.__init__

    def init(self: Counter) -> None:  # the next version: a new event sets 'tip'
        before(self)
        self.tip = None

    monkeypatch.setattr(Counter, "__init__", init)
    attributes.cache_clear()  # a class does not change within a process; this test's does
    rebuilt = app.repository.get(counter_id)
    assert Counter.applied == [2, 3] and rebuilt.count == 2 and rebuilt.tip is None
    attributes.cache_clear()


def test_the_attributes_of_an_aggregate_whose_init_wants_arguments_are_not_known() -> None:
    class Named(Aggregate):
        def __init__(self, name: str) -> None:
            self.name = name

    assert attributes(Named) == frozenset()
    assert attributes(Counter) == {"_esp_shape", "count"}
