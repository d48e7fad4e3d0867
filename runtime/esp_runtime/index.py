"""Keys: finding aggregates by a correlation key (a basket by its buyer id, every basket holding a product).

eventsourcing finds an aggregate only by its id, so the index is kept the way its
documentation suggests (the content-management example's slug index): one
``KeyIndex`` aggregate per value of a key, whose id is a version-5 UUID of the
aggregate class, the key and the value, holding the ids of the aggregates that
recorded that value. Index aggregates are stored by the application that keeps the
aggregates, with the events that change them, in one transaction: the index is as
durable as the events (memory, SQLite, PostgreSQL), survives a restart, and is
never ahead of or behind them.

The index only grows: an aggregate that recorded a value of a key is found by it
from then on (its command's rules decide what a stale match means), except that
a unique key's value finds only the aggregate that recorded it last (a buyer's
new basket, once the old one is checked out).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from uuid import UUID, uuid5

from eventsourcing.domain import Aggregate, DomainEventProtocol

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

    def __init__(self, name: str) -> None:
        self.name = name
        self.holders: list[UUID] = []


def values(keys: Keys, aggregate: str, events: Iterable[DomainEventProtocol[UUID]]) -> list[tuple[str, object]]:
    """The (key, value) pairs that ``events`` of one aggregate record, in order, once each."""
    found: dict[tuple[str, str], tuple[str, object]] = {}
    for event in events:
        for key in keys.get(aggregate, {}):
            if hasattr(event, key):
                value = getattr(event, key)
                found.setdefault((key, str(value)), (key, value))
    return list(found.values())
