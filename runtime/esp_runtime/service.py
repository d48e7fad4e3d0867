"""A microservice: an event-sourced application that can also follow others."""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Callable, Mapping
from datetime import date
from typing import Any, ClassVar
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError, Application, ProcessingEvent
from eventsourcing.domain import Aggregate, DomainEventProtocol
from eventsourcing.persistence import EventStore, JSONTranscoder, Recording, Transcoding
from eventsourcing.system import ProcessApplication

from esp_runtime.domain import DomainError
from esp_runtime.evolution import FreshSnapshots
from esp_runtime.index import KeyHolding, KeyIndex, KeyRules, Keys, dropped, holding_id, index_id

logger = logging.getLogger(__name__)


def react(
    processing_event: ProcessingEvent[UUID],
    domain_event: DomainEventProtocol[UUID],
    run: Callable[[Any], Aggregate],
) -> None:
    """Run a listener's command in a policy; a rejection is logged, and the event still counts as processed."""
    try:
        aggregate = run(domain_event)
    except (DomainError, AggregateNotFoundError) as error:
        logger.warning("%s did not lead to a command: %s", type(domain_event).__qualname__, error)
        return
    processing_event.collect_events(aggregate)


def react_each(
    processing_event: ProcessingEvent[UUID],
    domain_event: DomainEventProtocol[UUID],
    targets: list[UUID],
    run: Callable[[Any, UUID], Aggregate],
) -> None:
    """Run a listener's command on each aggregate found by a key; a rejection of one is logged, the others
    still run, and the event counts as processed (no aggregate found: no command)."""
    if not targets:
        logger.info("%s found no aggregate by its key: no command", type(domain_event).__qualname__)
    for target in targets:
        try:
            aggregate = run(domain_event, target)
        except (DomainError, AggregateNotFoundError) as error:
            logger.warning("%s did not lead to a command on %s: %s", type(domain_event).__qualname__, target, error)
            continue
        processing_event.collect_events(aggregate)


class DateAsISO(Transcoding):
    """Stores ``datetime.date`` values (the library stores datetimes, not dates)."""

    type = date
    name = "date_iso"

    def encode(self, obj: date) -> str:
        return obj.isoformat()

    def decode(self, data: str) -> date:
        return date.fromisoformat(data)


class ValueObjectAsDict(Transcoding):
    """Stores a value object (a frozen dataclass of the journey's ``types:``) as a mapping of its fields,
    each stored by its own transcoding; it is read back by its name, so the class may move between modules.
    A microservice's own type names itself (``ESP_NAME = "order.Address"``): its class is renamed when another
    microservice declares the same name (``OrderAddress``), what was stored under its name is not."""

    def __init__(self, cls: type[Any]) -> None:
        assert dataclasses.is_dataclass(cls), f"{cls!r} is not a value object"
        self.type = cls
        self.name = f"value:{getattr(cls, 'ESP_NAME', cls.__name__)}"

    def encode(self, obj: Any) -> dict[str, Any]:
        return {f.name: getattr(obj, f.name) for f in dataclasses.fields(obj)}

    def decode(self, data: dict[str, Any]) -> Any:
        return self.type(**data)


class Service(ProcessApplication[UUID]):
    """A microservice: an event-sourced application that can also follow others."""

    # The value objects its events hold (each needs a transcoding to be stored).
    VALUE_OBJECTS: ClassVar[tuple[type[Any], ...]] = ()

    keys: ClassVar[Keys] = {}  # the keys its aggregates are found by (esp_runtime.index)
    # Aggregate class name -> event class name -> the keys whose value it carries and the aggregate no longer holds.
    key_releases: ClassVar[Mapping[str, Mapping[str, tuple[str, ...]]]] = {}
    # Aggregate class name -> its final states (no command accepts them): an aggregate in one is found by no key.
    key_final_states: ClassVar[Mapping[str, tuple[str, ...]]] = {}

    def holders(self, aggregate: str, key: str, value: object) -> list[UUID]:
        """The ids of the ``aggregate``s that recorded ``value`` for ``key``, in the order they did."""
        try:
            index: KeyIndex = self.repository.get(index_id(aggregate, key, value))
        except AggregateNotFoundError:
            return []
        return list(index.holders)

    def _record(self, processing_event: ProcessingEvent[UUID]) -> list[Recording[UUID]]:
        """Store the index aggregates the events change with the events, in the same transaction.

        A private method of eventsourcing's Application, overridden on purpose: it is the one place every batch
        of new events passes through, whether a command handler called ``save()``, a policy collected them while
        processing another application's event (``process_event``, which records without calling ``save()``),
        a saga step, a timer or a quiet ``store()``. The library's public ways (pass the index aggregates to
        ``save(*objs)`` or ``collect_events(*objs)``, as its content-management example does in each command)
        would need every one of those paths to remember to, and would see a fan-out's aggregates one by one,
        where two of them may change the same index aggregate in one transaction."""
        if self.keys:
            processing_event.collect_events(*self._indexes(processing_event))
        return super()._record(processing_event)

    def key_rules(self, aggregate: str) -> KeyRules:
        """How the events of ``aggregate`` change the values of its keys."""
        return KeyRules(
            self.keys.get(aggregate, {}),
            self.key_releases.get(aggregate, {}),
            self.key_final_states.get(aggregate, ()),
        )

    def _indexes(self, processing_event: ProcessingEvent[UUID]) -> list[Aggregate]:
        changed: dict[UUID, Aggregate] = {}
        for aggregate_id, aggregate in list(processing_event.aggregates.items()):
            name = type(aggregate).__name__
            events = [e for e in processing_event.events if e.originator_id == aggregate_id]
            if name not in self.keys or not events:
                continue
            rules = self.key_rules(name)
            holding = self._holding(aggregate_id, rules, events[0].originator_version)
            after = rules.held_after(holding.values, events, getattr(aggregate, "state", None))
            for key, value in dropped(holding.values, after):
                index = changed.get(index_id(name, key, value)) or self._index(name, key, value)
                if isinstance(index, KeyIndex) and aggregate_id in index.holders:
                    index.trigger_event(KeyIndex.Released, holder=aggregate_id)
                    changed[index.id] = index
            for key, value in rules.recorded(events):
                index = changed.get(index_id(name, key, value)) or self._index(name, key, value)
                if not isinstance(index, KeyIndex) or aggregate_id in index.holders or value not in after.get(key, []):
                    continue
                # a unique key's value finds the aggregate that recorded it last (a buyer's new basket)
                unique_and_held = rules.keys[key] and index.holders
                index.trigger_event(KeyIndex.Moved if unique_and_held else KeyIndex.Held, holder=aggregate_id)
                changed[index.id] = index
            if after != holding.values:
                holding.trigger_event(KeyHolding.Changed, values=after)
                changed[holding.id] = holding
        return list(changed.values())

    def reindex(self, page: int = 500) -> int:
        """Build the index of the keys from the stored events: for aggregates stored before a key was declared
        (``esp diff``'s key-added and key-changed). Aggregates are taken in the order of their last event, so a
        unique key's value finds the one that recorded it last; one already indexed is brought up to date (built
        again, the index finds the same aggregates). The number of aggregates read is returned."""
        last: dict[UUID, str] = {}  # aggregate id -> class name, in the order of their last event
        start: int | None = None
        while notifications := self.recorder.select_notifications(start, page, inclusive_of_start=start is None):
            for n in notifications:
                name = n.topic.rpartition(":")[2].partition(".")[0]  # 'pkg.shop.aggregates:Cart.CartOpened'
                if name in self.keys:
                    aggregate_id = UUID(str(n.originator_id))  # a UUID, typed UUID | str by the recorder
                    last.pop(aggregate_id, None)
                    last[aggregate_id] = name
            start = notifications[-1].id
        for aggregate_id in last:
            processing_event: ProcessingEvent[UUID] = ProcessingEvent()
            processing_event.aggregates[aggregate_id] = self.repository.get(aggregate_id)
            processing_event.events.extend(self.repository.event_store.get(aggregate_id))
            self.save(*self._indexes(processing_event))
        return len(last)

    def _holding(self, aggregate_id: UUID, rules: KeyRules, first_version: int) -> KeyHolding:
        """The record of the values the aggregate holds; for one stored before such records were kept, the
        values its stored events hold (its state then is not known: a final one is passed over)."""
        try:
            holding: KeyHolding = self.repository.get(holding_id(aggregate_id))
        except AggregateNotFoundError:
            holding = KeyHolding._create(KeyHolding.Created, id=holding_id(aggregate_id), holder=aggregate_id)
            if first_version > Aggregate.INITIAL_VERSION:
                stored = self.repository.event_store.get(aggregate_id, lte=first_version - 1)
                holding.values = rules.held_after({}, stored, None)
        return holding

    def _index(self, aggregate: str, key: str, value: object) -> KeyIndex:
        try:
            index: KeyIndex = self.repository.get(index_id(aggregate, key, value))
        except AggregateNotFoundError:
            index = KeyIndex._create(
                KeyIndex.Created, id=index_id(aggregate, key, value), name=f"{aggregate}.{key}={value}"
            )
        return index

    def register_transcodings(self, transcoder: JSONTranscoder) -> None:
        super().register_transcodings(transcoder)
        transcoder.register(DateAsISO())
        for cls in self.VALUE_OBJECTS:
            transcoder.register(ValueObjectAsDict(cls))

    def construct_snapshot_store(self) -> EventStore[UUID]:
        """Snapshots of an aggregate whose events have changed since are passed over (esp_runtime.evolution)."""
        return FreshSnapshots(mapper=self.mapper, recorder=self.factory.aggregate_recorder(purpose="snapshots"))


def store(app: Application[UUID], aggregate: Aggregate, *, quiet: bool = False) -> None:
    """Save ``aggregate``; ``quiet``: put its events in the store without prompting the followers, which read
    them when next prompted, like followers that had not caught up yet (a test builds an aggregate in a state
    without the listeners its events start moving it on first)."""
    if quiet:
        processing_event: ProcessingEvent[UUID] = ProcessingEvent()
        processing_event.collect_events(aggregate)
        app._record(processing_event)  # what save() does, less prompting the followers
    else:
        app.save(aggregate)


def events_of(app: Application[UUID], aggregate_id: UUID, after: int = 0) -> list[DomainEventProtocol[UUID]]:
    """The stored events of one aggregate, after version ``after``."""
    return list(app.repository.event_store.get(aggregate_id, gt=after or None))
