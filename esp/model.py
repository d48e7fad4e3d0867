"""The Model: an immutable, fully resolved picture of one or more journeys.

Every reference is an object (a command's ``emits`` are :class:`Event`
objects, a scenario's steps name their events and command), so renderers and
generators never look names up again. Entities compare by identity and are
built top down, once, by ``esp.build``: each holds what it belongs to
(``event.aggregate``, ``command.microservice``) and the rows of the map hold
their lanes (``process.actions``). What an aggregate or a microservice holds
(``model.commands_of(aggregate)``) is indexed by the Model, computed once on
first use, so no entity is ever changed after it is made.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, Literal, TypeVar

from esp import names
from esp.errors import Location

SCALAR_TYPES = ("str", "int", "float", "bool", "decimal", "date", "datetime", "uuid")
# Scalar conversions an upcaster makes without losing information (old type, new type).
WIDENINGS = frozenset({("int", "float"), ("int", "decimal"), ("float", "decimal"), ("int", "str"), ("uuid", "str")})
_TYPE = re.compile(r"^\s*(list|optional)\s*\[\s*(.*)\s*\]\s*$")


@dataclass(frozen=True)
class FieldType:
    """``str`` ... ``uuid``, a value object declared under ``types:`` (``Money``), or ``list[T]`` /
    ``optional[T]`` around another type."""

    name: str  # a scalar type, a value object's key (its name, qualified where shared), "list" or "optional"
    of: FieldType | None = None
    # The value object keyed ``name`` (a type is known by its key: two types cannot share one).
    value: ValueType | None = field(default=None, compare=False, repr=False)

    @classmethod
    def parse(
        cls, text: str, types: Mapping[str, ValueType] | Callable[[str], ValueType | None] | None = None
    ) -> FieldType | None:
        """The type written as ``text`` (a value object found in ``types``, a mapping or a lookup of the name
        as written, such as ``order.Address``), or None if it is not one."""
        text = text.strip()
        if text in SCALAR_TYPES:
            return cls(text)
        found = (types.get(text) if isinstance(types, Mapping) else types(text)) if types else None
        if found is not None:
            return cls(found.key, None, found)
        match = _TYPE.match(text)
        if match is None:
            return None
        inner = cls.parse(match.group(2), types)
        return None if inner is None else cls(match.group(1), inner)

    @property
    def scalar(self) -> str:
        """The innermost scalar type (or value object's name)."""
        return self.name if self.of is None else self.of.scalar

    @property
    def inner(self) -> FieldType:
        """The type inside every list and optional: ``Money`` for ``list[optional[Money]]``."""
        return self if self.of is None else self.of.inner

    def __str__(self) -> str:
        return self.name if self.of is None else f"{self.name}[{self.of}]"

    def shape(self) -> str:
        """The type with each value object spelt out (``Money{amount: decimal, currency: str}``): two types of
        one shape hold the same values, so a value object that changed its fields changed every field of it."""
        if self.of is not None:
            return f"{self.name}[{self.of.shape()}]"
        if self.value is not None:
            return self.name + "{" + ", ".join(f"{f.name}: {f.type.shape()}" for f in self.value.fields) + "}"
        return self.name

    def widens_to(self, wider: FieldType) -> bool:
        """Whether every value of this type converts, without loss, to a value of ``wider``
        (int to float or decimal, T to optional[T], element by element in lists)."""
        if self == wider:
            return False
        if wider.of is not None and wider.name == "optional":
            inner = self.of if self.name == "optional" and self.of is not None else self
            return inner == wider.of or inner.widens_to(wider.of)
        if self.of is not None and wider.of is not None and self.name == wider.name == "list":
            return self.of.widens_to(wider.of)
        return (self.name, wider.name) in WIDENINGS


@dataclass(frozen=True)
class Field:
    name: str
    type: FieldType
    loc: Location


def innermost(text: str) -> str:
    """The name inside every ``list[...]`` and ``optional[...]`` of a type's text (for messages and lookups)."""
    text = text.strip()
    match = _TYPE.match(text)
    return text if match is None else innermost(match.group(2))


@dataclass(frozen=True, eq=False)
class ValueType:
    """A value object declared under ``types:`` (``Money {amount: decimal, currency: str}``): immutable,
    compared by value, usable as a field's type; generated as a frozen dataclass."""

    name: str
    description: str
    fields: tuple[Field, ...]
    journey: str
    loc: Location
    # The microservice whose ``types:`` declare it (a bounded context's own), None for the journey's ``types:``.
    microservice: Microservice | None = None
    qualified: bool = False  # another microservice (or the journey's types) declares the same name too
    untyped: frozenset[str] = frozenset()  # fields left out for a type reported unknown: any value is theirs

    @property
    def key(self) -> str:
        """Its name, qualified by its microservice where the name is shared (``order.Address``): what fields
        and messages call it."""
        return f"{self.microservice.name}{QUALIFIER}{self.name}" if self.qualified and self.microservice else self.name

    @property
    def cls(self) -> str:
        """Its class in the generated value_objects module, one module for every microservice: its name,
        prefixed by its microservice's class name where the name is shared (``OrderAddress``)."""
        if self.qualified and self.microservice is not None:
            return names.class_name(self.microservice.name) + self.name
        return self.name

    def uses(self) -> tuple[ValueType, ...]:
        """The value objects its fields hold, directly."""
        found = (f.type.inner.value for f in self.fields)
        return tuple(dict.fromkeys(v for v in found if v is not None))


@dataclass(frozen=True, eq=False)
class Actor:
    name: str
    description: str
    loc: Location


@dataclass(frozen=True, eq=False)
class Microservice:
    name: str
    description: str
    loc: Location


@dataclass(frozen=True)
class Key:
    """A field that finds aggregates (a correlation key), kept by the generated code in an index."""

    name: str
    unique: bool  # at most one aggregate holds a value (a basket's buyer), else many may (a product in baskets)
    loc: Location


@dataclass(frozen=True, eq=False)
class Aggregate:
    name: str
    description: str
    identity: str
    states: tuple[str, ...]
    snapshot_every: int
    microservice: Microservice
    loc: Location
    at: Mapping[str, Location]
    keys: tuple[Key, ...] = ()

    def key(self, name: str) -> Key | None:
        return next((k for k in self.keys if k.name == name), None)


@dataclass(frozen=True, eq=False)
class Command:
    name: str
    description: str
    fields: tuple[Field, ...]
    emits: tuple[Event, ...]
    creates: bool
    allowed_in: tuple[str, ...]
    microservice: Microservice
    aggregate: Aggregate | None
    journey: str
    loc: Location
    at: Mapping[str, Location]
    written_emits: int = 0  # names written under 'emits', resolved or not
    untyped: frozenset[str] = frozenset()  # fields left out for a type reported unknown: no more about them


@dataclass(frozen=True, eq=False)
class Query:
    name: str
    description: str
    fields: tuple[Field, ...]
    projection: Projection | None
    microservice: Microservice
    journey: str
    loc: Location
    at: Mapping[str, Location]


Action = Command | Query


Compatibility = Literal["full", "backward", "forward", "none"]


@dataclass(frozen=True)
class Revision:
    """One entry of an event's history: how ``version`` differs from the version before it.

    An upcaster from the version before applies it in this order: renames, then
    widenings (named by the new name), then added fields get their defaults,
    then removed fields are dropped.
    """

    version: int
    added: tuple[tuple[str, Any], ...]  # (field, its default value for older events)
    renamed: tuple[tuple[str, str], ...]  # (name before, name now)
    widened: tuple[tuple[str, FieldType], ...]  # (field, its type before)
    removed: tuple[Field, ...]  # the fields as they were before
    loc: Location
    at: Mapping[str, Location]

    def changes(self) -> tuple[str, ...]:
        """What this version changed, in words: for changelogs and catalogs."""
        return (
            *(f"'{old}' renamed to '{new}'" for old, new in self.renamed),
            *(f"'{name}' widened from {before}" for name, before in self.widened),
            *(f"'{name}' added (earlier events get {value!r})" for name, value in self.added),
            *(f"'{f.name}' ({f.type}) removed" for f in self.removed),
        )


@dataclass(frozen=True, eq=False)
class Event:
    name: str
    description: str
    kind: Literal["domain", "integration"]
    version: int
    fields: tuple[Field, ...]
    enters: str | None
    microservice: Microservice
    aggregate: Aggregate | None
    journey: str
    loc: Location
    at: Mapping[str, Location]
    history: tuple[Revision, ...] = ()  # by version, ascending
    compatibility: Compatibility = "full"  # an integration event's promise to its consumers
    enters_previous: bool = False  # 'enters: previous': back to the state before the last one entered (an undo)
    releases: tuple[str, ...] = ()  # keys of its aggregate whose value it carries and the aggregate no longer holds
    untyped: frozenset[str] = frozenset()  # fields left out for a type reported unknown: no more about them

    @property
    def integration(self) -> bool:
        return self.kind == "integration"

    def revision(self, version: int) -> Revision | None:
        """The history entry that made ``version``, if one was written."""
        return next((r for r in self.history if r.version == version), None)

    def fields_at(self, version: int) -> tuple[Field, ...]:
        """The fields the event had at ``version``, undoing the history from the current one."""
        fields = list(self.fields)
        for v in range(self.version, max(version, 1), -1):
            rev = self.revision(v)
            if rev is not None:
                fields = undo(rev, fields)
        return tuple(fields)


def undo(rev: Revision, fields: list[Field]) -> list[Field]:
    """The fields before ``rev``, from the fields after it (names that do not fit are skipped)."""
    added = {name for name, _ in rev.added}
    before = dict(rev.widened)
    old_name = {new: old for old, new in rev.renamed}
    result = [
        Field(old_name.get(f.name, f.name), before.get(f.name, f.type), f.loc) for f in fields if f.name not in added
    ]
    taken = {f.name for f in result}
    return result + [f for f in rev.removed if f.name not in taken]


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
    key: str | None = None  # 'by' / 'for_each': the key of the command's aggregate its targets are found by
    each: bool = False  # 'for_each': the command goes to every aggregate holding the event's value of the key

    @property
    def creates(self) -> bool:
        return self.command.creates


@dataclass(frozen=True, eq=False)
class Timer:
    """After ``after`` in ``state`` of ``aggregate``, unless it leaves the state or one of ``unless`` happens
    first, issue ``command`` to it (an order's grace period)."""

    name: str
    aggregate: Aggregate
    state: str
    after: str  # as written: 30s, 5m, 2h, 1d
    after_ms: int | None  # None: not a duration (E210)
    command: Command
    unless: tuple[Event, ...]
    description: str
    journey: str
    loc: Location
    at: Mapping[str, Location]


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


@dataclass(frozen=True)
class CircuitBreaker:
    """Per participant of a saga: after ``failures`` timeouts in a row, nothing is sent to it for ``open_for_ms``;
    a step for it meanwhile waits (``wait``) or fails at once (``fail``)."""

    failures: int
    open_for_ms: int
    while_open: Literal["wait", "fail"]


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
    # A step whose command does not create: the saga data field holding its aggregate's id
    # (None: the field named like the aggregate's identity).
    target: str | None = None
    mapping: tuple[tuple[str, str], ...] = ()  # (command field, saga data field), for its command and compensation
    nothing_to_undo: bool = False  # 'compensate: none': written, so E080 does not ask for one
    retries: Retries | None = None  # its own retry policy: it is retried on a failure or a timeout
    compensation_retries: Retries | None = None  # its compensation's own retry policy (else the saga's)
    # How long its compensation may go unanswered (else the saga's compensation_timeout, else its timeout).
    compensation_timeout_ms: int | None = None

    @property
    def creates(self) -> bool:
        return self.invoke.creates

    @property
    def target_field(self) -> str | None:
        """The saga data field holding the id of the existing aggregate the step acts on (None: it creates one)."""
        if self.invoke.creates:
            return None
        if self.target is not None:
            return self.target
        return self.invoke.aggregate.identity if self.invoke.aggregate is not None else None


@dataclass(frozen=True)
class DataField:
    """A field of a saga's data: where it comes from, and its type there."""

    name: str
    type: FieldType
    step: int  # the step whose success brought it, -1 for the starting event


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
    # A compensation that fails is retried so (None: not at all), then the run is parked on the dead-letter list.
    compensation_retries: Retries | None = None
    circuit_breaker: CircuitBreaker | None = None
    compensation_timeout_ms: int | None = None  # how long a compensation may go unanswered (else the step's timeout)

    @property
    def pivot(self) -> SagaStep | None:
        return next((s for s in self.steps if s.pivot), None)

    def data(self, index: int) -> dict[str, DataField]:
        """The saga's data when step ``index`` starts (``len(steps)``: when it completes): the starting
        aggregate's id and its event's fields, then, for each step that succeeded, the id of the aggregate
        it created and its success event's fields (a later value of a name replaces an earlier one)."""
        found: dict[str, DataField] = {}
        start = self.starts_on
        if start.aggregate is not None:
            found[start.aggregate.identity] = DataField(start.aggregate.identity, FieldType("uuid"), -1)
        for f in start.fields:
            found.setdefault(f.name, DataField(f.name, f.type, -1))
        for i, step in enumerate(self.steps[:index]):
            if step.creates and step.invoke.aggregate is not None:
                identity = step.invoke.aggregate.identity
                found[identity] = DataField(identity, FieldType("uuid"), i)
            for f in step.succeeds_on.fields:
                found[f.name] = DataField(f.name, f.type, i)
        return found

    def joins(self, name: str) -> int | None:
        """The first step whose success adds ``name`` to the saga's data (None: none does)."""
        for i in range(len(self.steps)):
            field = self.data(i + 1).get(name)
            if field is not None and field.step == i:
                return i
        return None


@dataclass(frozen=True)
class Given:
    """An event with field values, in a scenario (a ``given`` or a ``then``)."""

    event: Event
    values: Mapping[str, Any]  # as written in YAML: checked against the fields by esp.check
    loc: Location


@dataclass(frozen=True)
class When:
    """The command of a scenario, with field values."""

    command: Command
    values: Mapping[str, Any]
    loc: Location


@dataclass(frozen=True, eq=False)
class Scenario:
    name: str
    aggregate: Aggregate
    given: tuple[Given, ...]
    when: When
    then: tuple[Given, ...] | None  # None: the command is rejected
    journey: str
    loc: Location
    rejection: str | None = None  # then: {rejected: words}: a business rule rejects it, with a message holding these

    @property
    def by_rule(self) -> bool:
        """Whether a rule (a check_<command> of rules.py) rejects the command, not its lifecycle."""
        return self.rejection is not None


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


@dataclass(frozen=True)
class _Parts:
    """What one aggregate holds, in journey order."""

    processes: tuple[Process, ...]
    commands: tuple[Command, ...]
    events: tuple[Event, ...]


@dataclass(frozen=True, eq=False)
class Model:
    """One or more journeys that share microservices."""

    journeys: tuple[Journey, ...]
    microservices: tuple[Microservice, ...]
    aggregates: tuple[Aggregate, ...]
    listeners: tuple[Listener, ...]
    projections: tuple[Projection, ...]
    sagas: tuple[Saga, ...]
    scenarios: tuple[Scenario, ...]
    hotspots: tuple[Hotspot, ...]
    # What listeners and sagas left out of the model (each for an error reported already) name: rules that
    # ask whether anything produces or hears an event, or defines a name, count these, so that one mistake
    # is one diagnostic (an unknown compensation is not also seven events nobody produces or hears).
    left_out_events: frozenset[Event] = frozenset()
    left_out_names: frozenset[str] = frozenset()
    types: tuple[ValueType, ...] = ()  # the value objects, each after the ones it holds
    timers: tuple[Timer, ...] = ()  # in aggregate order

    @property
    def name(self) -> str:
        return self.journeys[0].name if len(self.journeys) == 1 else " + ".join(j.name for j in self.journeys)

    @cached_property
    def processes(self) -> tuple[Process, ...]:
        return tuple(p for j in self.journeys for p in j.processes)

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

    # -- what each entity holds, indexed once -----------------------------------------

    @cached_property
    def _parts(self) -> dict[Aggregate, _Parts]:
        rows: dict[Aggregate, list[Process]] = {a: [] for a in self.aggregates}
        for p in self.processes:
            if p.aggregate is not None:
                rows.setdefault(p.aggregate, []).append(p)
        return {
            agg: _Parts(
                tuple(ps),
                tuple(c for p in ps for c in p.commands),
                tuple(e for p in ps for e in p.events),
            )
            for agg, ps in rows.items()
        }

    @cached_property
    def _aggregates_in(self) -> dict[Microservice, tuple[Aggregate, ...]]:
        found: dict[Microservice, list[Aggregate]] = {m: [] for m in self.microservices}
        for agg in self.aggregates:
            found.setdefault(agg.microservice, []).append(agg)
        return {m: tuple(aggs) for m, aggs in found.items()}

    @cached_property
    def _process_of(self) -> dict[Command | Query | Event, Process]:
        return {item: p for p in self.processes for item in (*p.actions, *p.events)}

    def aggregates_in(self, microservice: Microservice) -> tuple[Aggregate, ...]:
        """The aggregates a microservice declares."""
        return self._aggregates_in.get(microservice, ())

    def processes_of(self, aggregate: Aggregate) -> tuple[Process, ...]:
        """The rows of the map whose lane 5 is ``aggregate``."""
        parts = self._parts.get(aggregate)
        return parts.processes if parts else ()

    def commands_of(self, aggregate: Aggregate) -> tuple[Command, ...]:
        parts = self._parts.get(aggregate)
        return parts.commands if parts else ()

    def events_of(self, aggregate: Aggregate) -> tuple[Event, ...]:
        parts = self._parts.get(aggregate)
        return parts.events if parts else ()

    def timers_of(self, aggregate: Aggregate) -> tuple[Timer, ...]:
        """The timers declared on ``aggregate``."""
        return tuple(t for t in self.timers if t.aggregate is aggregate)

    def creators_of(self, aggregate: Aggregate) -> tuple[Command, ...]:
        """The commands that create ``aggregate``."""
        return tuple(c for c in self.commands_of(aggregate) if c.creates)

    def process_of(self, item: Command | Query | Event) -> Process:
        """The row of the map a command, query or event is written in."""
        return self._process_of[item]

    @cached_property
    def _events_by_name(self) -> dict[str, Event]:
        return _by_name(self.events)

    @cached_property
    def _commands_by_name(self) -> dict[str, Command]:
        return _by_name(self.commands)

    def event(self, name: str) -> Event | None:
        """The event ``kitchen.TicketCreated``, or ``TicketCreated`` if one microservice alone defines it."""
        return self._events_by_name.get(name)

    def command(self, name: str) -> Command | None:
        return self._commands_by_name.get(name)

    @cached_property
    def _shared(self) -> frozenset[tuple[type, str]]:
        """The (kind, name) pairs that several microservices define."""
        seen: dict[tuple[type, str], Microservice] = {}
        shared = set()
        items: tuple[Named, ...] = (*self.aggregates, *self.commands, *self.events)
        for item in items:
            key = (type(item), item.name)
            if seen.setdefault(key, item.microservice) is not item.microservice:
                shared.add(key)
        return frozenset(shared)

    def shared(self, item: Named | Query) -> bool:
        """Whether another microservice defines an aggregate, command or event of the same kind and name
        (never a query: query names are unique across the model)."""
        return (type(item), item.name) in self._shared

    def label(self, item: Named) -> str:
        """How a person tells ``item`` apart: its name, qualified by its microservice where another one
        defines the same name (``kitchen.Restaurant``)."""
        return qualified(item) if self.shared(item) else item.name

    @cached_property
    def _listeners_on(self) -> dict[Event, tuple[Listener, ...]]:
        found: dict[Event, list[Listener]] = {}
        for li in self.listeners:
            found.setdefault(li.on, []).append(li)
        return {e: tuple(ls) for e, ls in found.items()}

    def listeners_on(self, event: Event) -> tuple[Listener, ...]:
        return self._listeners_on.get(event, ())


Named = Aggregate | Command | Event
QUALIFIER = "."  # 'kitchen.Ticket': the aggregate, command or event Ticket of the microservice kitchen


def qualified(item: Named) -> str:
    """``microservice.Name``: unique across the model (each microservice is a namespace)."""
    return f"{item.microservice.name}{QUALIFIER}{item.name}"


N = TypeVar("N", Command, Event)


def _by_name(items: Iterable[N]) -> dict[str, N]:
    """Each item by its qualified name, and by its plain name where that is unique."""
    found: dict[str, N] = {}
    plain: dict[str, list[N]] = {}
    for item in items:
        found[qualified(item)] = item
        plain.setdefault(item.name, []).append(item)
    found.update({name: its[0] for name, its in plain.items() if len(its) == 1 and name not in found})
    return found
