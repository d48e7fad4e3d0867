"""Keys: finding aggregates by a correlation key (a basket by its buyer id, every basket holding a product).

eventsourcing finds an aggregate only by its id, so the index is kept the way its
documentation suggests (the content-management example's slug index): one
``KeyIndex`` aggregate per value of a key, whose id is a version-5 UUID of the
aggregate class, the key and the value, holding the ids of the aggregates that
hold that value now. Index aggregates are stored by the application that keeps the
aggregates, with the events that change them, in one transaction: the index is as
durable as the events (memory, SQLite, PostgreSQL), survives a restart, and is
never ahead of or behind them.

The index follows the values each aggregate holds now, which one ``KeyHolding``
aggregate per keyed aggregate remembers (so a change is known without replaying
its history):

- an event that carries a key's field records its value; for a unique key it
  replaces the one held before (a basket handed to another buyer is no longer
  found by the first), for a many key it is one more (a basket holding another
  product);
- an event that *releases* a key (``releases:`` in the journey) carries a value
  the aggregate no longer holds (a product removed from a basket);
- an aggregate that enters a final state (one no command accepts) holds no value:
  no command could change it, so no listener finds it;
- a unique key's value finds only the aggregate that recorded it last (a buyer's
  new basket, once the old one is checked out); the one it was taken from is no
  longer found by it, until it records it again.

Aggregates stored before ``KeyHolding`` existed are read from their stored events
the first time they change; those stored before a key was declared are indexed by
``Service.reindex()``, which reads every stored event once. Why ``Service`` hooks the library's private
``Application._record`` rather than a public method: see ``Service._record``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any
from uuid import UUID, uuid5

from eventsourcing.domain import Aggregate

# The namespace of index ids (a fixed, random uuid: ids stay the same across versions and restarts).
NAMESPACE = UUID("6f4c2a58-8d0e-4b1f-9a57-3c0e2b7d9e41")

# Aggregate class name -> key (the events' attribute) -> whether it is unique.
Keys = Mapping[str, Mapping[str, bool]]


def index_id(aggregate: str, key: str, value: object) -> UUID:
    """The id of the index of one value of one key of an aggregate class."""
    return uuid5(NAMESPACE, f"{aggregate}.{key}={value}")


class KeyIndex(Aggregate):
    """The aggregates that hold one value of one key."""

    class Created(Aggregate.Created):
        name: str

    class Held(Aggregate.Event):
        holder: UUID

        def apply(self, aggregate: Aggregate) -> None:
            assert isinstance(aggregate, KeyIndex)
            aggregate.holders = [*aggregate.holders, self.holder]

    class Moved(Aggregate.Event):
        """A unique key's value passed to another aggregate: it alone holds it now."""

        holder: UUID

        def apply(self, aggregate: Aggregate) -> None:
            assert isinstance(aggregate, KeyIndex)
            aggregate.holders = [self.holder]

    class Released(Aggregate.Event):
        """An aggregate no longer holds this value (it recorded another, released it, or ended)."""

        holder: UUID

        def apply(self, aggregate: Aggregate) -> None:
            assert isinstance(aggregate, KeyIndex)
            aggregate.holders = [h for h in aggregate.holders if h != self.holder]

    def __init__(self, name: str) -> None:
        self.name = name
        self.holders: list[UUID] = []


# A key -> the values one aggregate holds of it (in the order it recorded them).
Held = dict[str, list[Any]]


def holding_id(aggregate_id: UUID) -> UUID:
    """The id of the record of the key values one aggregate holds."""
    return uuid5(NAMESPACE, f"holding:{aggregate_id}")


class KeyHolding(Aggregate):
    """The values of its keys one aggregate holds now: what its next events are compared with."""

    class Created(Aggregate.Created):
        holder: UUID

    class Changed(Aggregate.Event):
        values: dict[str, list[Any]]

        def apply(self, aggregate: Aggregate) -> None:
            assert isinstance(aggregate, KeyHolding)
            aggregate.values = {k: list(v) for k, v in self.values.items()}

    def __init__(self, holder: UUID) -> None:
        self.holder = holder
        self.values: Held = {}


@dataclass(frozen=True)
class KeyRules:
    """How the events of one aggregate class change the values it holds."""

    keys: Mapping[str, bool]  # key -> whether it is unique
    releases: Mapping[str, tuple[str, ...]] = field(default_factory=dict)  # event class name -> keys it releases
    final: tuple[str, ...] = ()  # states no command accepts: an aggregate in one holds no value

    def held_after(self, before: Mapping[str, list[Any]], events: Iterable[object], state: object) -> Held:
        """The values held after ``events``, starting from ``before``; ``state``: the aggregate's after them."""
        held = {k: list(v) for k, v in before.items()}
        for event in events:
            released = self.releases.get(type(event).__name__, ())
            for key, unique in self.keys.items():
                if not hasattr(event, key):
                    continue
                value = getattr(event, key)
                values = held.setdefault(key, [])
                if key in released:
                    held[key] = [v for v in values if v != value]
                elif unique:
                    held[key] = [value]
                elif value not in values:
                    values.append(value)
        if state in self.final:
            return {}
        return {k: v for k, v in held.items() if v}

    def recorded(self, events: Iterable[object]) -> list[tuple[str, object]]:
        """The (key, value) pairs ``events`` record (not release), in order, once each."""
        found: dict[tuple[str, str], tuple[str, object]] = {}
        for event in events:
            released = self.releases.get(type(event).__name__, ())
            for key in self.keys:
                if hasattr(event, key) and key not in released:
                    value = getattr(event, key)
                    found.setdefault((key, str(value)), (key, value))
        return list(found.values())


def dropped(before: Mapping[str, list[Any]], after: Mapping[str, list[Any]]) -> list[tuple[str, object]]:
    """The (key, value) pairs held before and not after."""
    return [(k, v) for k, values in before.items() for v in values if v not in after.get(k, [])]
