"""A microservice: an event-sourced application that can also follow others."""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Callable
from datetime import date
from typing import Any, ClassVar
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError, Application, ProcessingEvent
from eventsourcing.domain import Aggregate, DomainEventProtocol
from eventsourcing.persistence import EventStore, JSONTranscoder, Transcoding
from eventsourcing.system import ProcessApplication

from esp_runtime.domain import DomainError
from esp_runtime.evolution import FreshSnapshots

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
    each stored by its own transcoding; it is read back by its name, so the class may move between modules."""

    def __init__(self, cls: type[Any]) -> None:
        assert dataclasses.is_dataclass(cls), f"{cls!r} is not a value object"
        self.type = cls
        self.name = f"value:{cls.__name__}"

    def encode(self, obj: Any) -> dict[str, Any]:
        return {f.name: getattr(obj, f.name) for f in dataclasses.fields(obj)}

    def decode(self, data: dict[str, Any]) -> Any:
        return self.type(**data)


class Service(ProcessApplication[UUID]):
    """A microservice: an event-sourced application that can also follow others."""

    # The value objects its events hold (each needs a transcoding to be stored).
    VALUE_OBJECTS: ClassVar[tuple[type[Any], ...]] = ()

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
        app.events.put(aggregate.collect_events())
    else:
        app.save(aggregate)


def events_of(app: Application[UUID], aggregate_id: UUID, after: int = 0) -> list[DomainEventProtocol[UUID]]:
    """The stored events of one aggregate, after version ``after``."""
    return list(app.repository.event_store.get(aggregate_id, gt=after or None))
