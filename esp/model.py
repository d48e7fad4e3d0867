"""The Model: an immutable, fully resolved picture of one or more journeys.

Every reference is an object (a command's ``emits`` are :class:`Event`
objects), so renderers and generators never look names up again. Entities
compare by identity; their back-references (``event.aggregate``,
``command.process``) are set once by ``esp.build`` and never change, so the
derived collections (``model.events``, ``aggregate.commands``) are computed
once, on first use.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, Literal

from esp.errors import Location

SCALAR_TYPES = ("str", "int", "float", "bool", "decimal", "date", "datetime", "uuid")
_TYPE = re.compile(r"^\s*(list|optional)\s*\[\s*(.*)\s*\]\s*$")


@dataclass(frozen=True)
class FieldType:
    """``str`` ... ``uuid``, or ``list[T]`` / ``optional[T]`` around another type."""

    name: str  # a scalar type, "list" or "optional"
    of: FieldType | None = None

    @classmethod
    def parse(cls, text: str) -> FieldType | None:
        """The type written as ``text``, or None if it is not one."""
        text = text.strip()
        if text in SCALAR_TYPES:
            return cls(text)
        match = _TYPE.match(text)
        if match is None:
            return None
        inner = cls.parse(match.group(2))
        return None if inner is None else cls(match.group(1), inner)

    @property
    def scalar(self) -> str:
        """The innermost scalar type."""
        return self.name if self.of is None else self.of.scalar

    def __str__(self) -> str:
        return self.name if self.of is None else f"{self.name}[{self.of}]"


@dataclass(frozen=True)
class Field:
    name: str
    type: FieldType
    loc: Location


def _back() -> Any:
    return field(init=False, repr=False, compare=False, default=None)


@dataclass(frozen=True, eq=False)
class Actor:
    name: str
    description: str
    loc: Location


@dataclass(frozen=True, eq=False)
class Microservice:
    name: str
    description: str
    aggregates: tuple[Aggregate, ...]
    loc: Location


@dataclass(frozen=True, eq=False)
class Aggregate:
    name: str
    description: str
    identity: str
    states: tuple[str, ...]
    snapshot_every: int
    loc: Location
    at: Mapping[str, Location]
    microservice: Microservice = _back()
    processes: tuple[Process, ...] = _back()

    @cached_property
    def commands(self) -> tuple[Command, ...]:
        return tuple(c for p in self.processes for c in p.commands)

    @cached_property
    def events(self) -> tuple[Event, ...]:
        return tuple(e for p in self.processes for e in p.events)

    @cached_property
    def creators(self) -> tuple[Command, ...]:
        return tuple(c for c in self.commands if c.creates)


@dataclass(frozen=True, eq=False)
class Command:
    name: str
    description: str
    fields: tuple[Field, ...]
    emits: tuple[Event, ...]
    creates: bool
    allowed_in: tuple[str, ...]
    loc: Location
    at: Mapping[str, Location]
    written_emits: int = 0  # names written under 'emits', resolved or not
    process: Process = _back()

    @property
    def aggregate(self) -> Aggregate | None:
        return self.process.aggregate

    @property
    def microservice(self) -> Microservice:
        return self.process.microservice


@dataclass(frozen=True, eq=False)
class Query:
    name: str
    description: str
    fields: tuple[Field, ...]
    projection: Projection | None
    loc: Location
    at: Mapping[str, Location]
    process: Process = _back()


Action = Command | Query


@dataclass(frozen=True, eq=False)
class Event:
    name: str
    description: str
    kind: Literal["domain", "integration"]
    version: int
    fields: tuple[Field, ...]
    enters: str | None
    loc: Location
    at: Mapping[str, Location]
    process: Process = _back()

    @property
    def integration(self) -> bool:
        return self.kind == "integration"

    @property
    def aggregate(self) -> Aggregate | None:
        return self.process.aggregate

    @property
    def microservice(self) -> Microservice:
        return self.process.microservice


@dataclass(frozen=True, eq=False)
class Process:
    """One row of the ESP map: the five lanes."""

    name: str
    actor: Actor | None
    description: str
    actions: tuple[Action, ...]
    microservice: Microservice
    events: tuple[Event, ...]
    aggregate: Aggregate | None
    journey: str
    loc: Location
    at: Mapping[str, Location]

    @cached_property
    def commands(self) -> tuple[Command, ...]:
        return tuple(a for a in self.actions if isinstance(a, Command))

    @cached_property
    def queries(self) -> tuple[Query, ...]:
        return tuple(a for a in self.actions if isinstance(a, Query))


@dataclass(frozen=True, eq=False)
class Listener:
    """A policy: whenever ``on`` happens, issue ``command`` in ``microservice``."""

    on: Event
    microservice: Microservice
    command: Command
    mapping: tuple[tuple[str, str], ...]  # (command field, event field)
    target: str | None  # the event field holding the target aggregate's id
    description: str
    journey: str
    loc: Location
    at: Mapping[str, Location]

    @property
    def creates(self) -> bool:
        return self.command.creates


@dataclass(frozen=True, eq=False)
class Projection:
    name: str
    microservice: Microservice
    sources: tuple[Event, ...]
    description: str
    journey: str
    loc: Location
    at: Mapping[str, Location]


@dataclass(frozen=True)
class Retries:
    max: int
    backoff: Literal["none", "fixed", "exponential"]
    delay_ms: int


@dataclass(frozen=True, eq=False)
class SagaStep:
    name: str
    description: str
    invoke: Command
    succeeds_on: Event
    fails_on: Event | None
    compensate: Command | None
    pivot: bool
    retriable: bool
    timeout_ms: int | None
    loc: Location
    at: Mapping[str, Location]


@dataclass(frozen=True, eq=False)
class Saga:
    name: str
    description: str
    microservice: Microservice
    starts_on: Event
    recovery: Literal["backward", "forward"]
    compensate_failed_step: bool | None
    retries: Retries | None
    timeout_ms: int | None
    steps: tuple[SagaStep, ...]
    completes_with: Event
    aborts_with: Event
    journey: str
    loc: Location
    at: Mapping[str, Location]

    @property
    def pivot(self) -> SagaStep | None:
        return next((s for s in self.steps if s.pivot), None)


@dataclass(frozen=True)
class Occurrence:
    """An event or command with field values, in a scenario."""

    name: str
    values: Mapping[str, Any]
    loc: Location


@dataclass(frozen=True, eq=False)
class Scenario:
    name: str
    aggregate: Aggregate
    given: tuple[Occurrence, ...]
    when: Occurrence
    then: tuple[Occurrence, ...] | None  # None: the command is rejected
    journey: str
    loc: Location


@dataclass(frozen=True, eq=False)
class Hotspot:
    text: str
    about: str | None
    by: str | None
    journey: str
    loc: Location


@dataclass(frozen=True, eq=False)
class Journey:
    name: str
    description: str
    file: str
    actors: tuple[Actor, ...]
    processes: tuple[Process, ...]
    loc: Location


@dataclass(frozen=True, eq=False)
class Model:
    """One or more journeys that share microservices."""

    journeys: tuple[Journey, ...]
    microservices: tuple[Microservice, ...]
    listeners: tuple[Listener, ...]
    projections: tuple[Projection, ...]
    sagas: tuple[Saga, ...]
    scenarios: tuple[Scenario, ...]
    hotspots: tuple[Hotspot, ...]

    @property
    def name(self) -> str:
        return self.journeys[0].name if len(self.journeys) == 1 else " + ".join(j.name for j in self.journeys)

    @cached_property
    def processes(self) -> tuple[Process, ...]:
        return tuple(p for j in self.journeys for p in j.processes)

    @cached_property
    def aggregates(self) -> tuple[Aggregate, ...]:
        return tuple(a for m in self.microservices for a in m.aggregates)

    @cached_property
    def commands(self) -> tuple[Command, ...]:
        return tuple(c for p in self.processes for c in p.commands)

    @cached_property
    def queries(self) -> tuple[Query, ...]:
        return tuple(q for p in self.processes for q in p.queries)

    @cached_property
    def events(self) -> tuple[Event, ...]:
        return tuple(e for p in self.processes for e in p.events)

    @cached_property
    def actors(self) -> tuple[Actor, ...]:
        return tuple(a for j in self.journeys for a in j.actors)

    @cached_property
    def _events_by_name(self) -> dict[str, Event]:
        return {e.name: e for e in self.events}

    @cached_property
    def _commands_by_name(self) -> dict[str, Command]:
        return {c.name: c for c in self.commands}

    def event(self, name: str) -> Event | None:
        return self._events_by_name.get(name)

    def command(self, name: str) -> Command | None:
        return self._commands_by_name.get(name)

    def listeners_on(self, event: Event) -> tuple[Listener, ...]:
        return tuple(li for li in self.listeners if li.on is event)
