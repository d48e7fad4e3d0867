"""What the templates render: a read-only view of one resolved Model and its names.

Each view wraps one entity of the Model (``CommandV(j, command)``) and reads
everything else from two places: the Model, for what the journey says, and
the :class:`~esp.naming.Naming` pass, for every Python name (the same pass
``esp validate`` reports from, so a journey that validates has names the code
can carry). Views are frozen; what they hold is computed once on first use,
and each entity has exactly one view (``j.view_of``), so templates can compare
views with ``is``. Nothing here decides whether a model is valid: the checks
did; a broken assumption is an AssertionError, never a user-facing error.
Journey text reaches templates only as :class:`~esp.generate.text.UnsafeText`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import cached_property
from pathlib import PurePath
from typing import Generic, Protocol, TypeVar

from esp import names
from esp.generate import evolution
from esp.generate.text import (
    VALUE_MODULE,
    UnsafeText,
    default,
    default_names,
    literal,
    literal_names,
    py_type,
    sample,
    sample_names,
    type_names,
)
from esp.model import (
    Aggregate,
    Command,
    Event,
    Field,
    FieldType,
    Given,
    Listener,
    Microservice,
    Model,
    Process,
    Projection,
    Query,
    Saga,
    Scenario,
    Timer,
    ValueType,
    When,
)
from esp.naming import Hook, Naming, TimerNames, field_name, same_type

T = TypeVar("T")


@dataclass(frozen=True)
class FieldV:
    name: str  # the Python attribute
    raw: str  # as written in the journey
    type: str  # its annotation
    ftype: FieldType
    default: str  # a neutral value, as source (what a rule returns until a person writes it)
    sample: str  # an example value, as source


def field_of(raw: str, ftype: FieldType) -> FieldV:
    return FieldV(field_name(raw), raw, py_type(ftype), ftype, default(ftype), sample(ftype, names.human(raw)))


def field_v(f: Field) -> FieldV:
    return field_of(f.name, f.type)


@dataclass(frozen=True)
class ValueV:
    """One keyword argument, ``field=<source>``: an expression, or a call of the rule that fills it."""

    field: FieldV
    expr: str = ""
    hook: str | None = None  # the rule (Hooks method) that fills it
    on_aggregate: bool = False  # the rule also takes the aggregate (an event recorded on an existing one)
    by_rule: bool = False  # in a scenario's expected event: the value comes from a rule, not compared
    names: frozenset[str] = frozenset()  # the standard-library names ``expr`` reads, where a view states them

    def call(self, rules: str = "rules", aggregate: str = "self") -> str:
        """The value's source in a template where the rules and the aggregate have these names."""
        if self.hook is None:
            return self.expr
        return f"{rules}.{self.hook}({aggregate}, command)" if self.on_aggregate else f"{rules}.{self.hook}(command)"


@dataclass(frozen=True)
class ParamV:
    """A hook's parameter: its name and the classes its annotation names, each in ``module`` (one of the
    microservice's own modules, "aggregates" or "commands") or, when that is None, as written."""

    name: str
    classes: tuple[str, ...]
    module: str | None = None

    @property
    def annotation(self) -> str:
        return self.annotation_in("")

    def annotation_in(self, prefix: str) -> str:
        """The annotation where the microservice's modules are imported as ``prefix`` + their name."""
        return " | ".join(f"{prefix}{self.module}.{c}" if self.module else c for c in self.classes)


@dataclass(frozen=True)
class HookV:
    """A business rule the generated code asks for, with its default body."""

    method: str
    doc: str
    parts: tuple[ParamV, ...]  # after self
    returns: str
    body: tuple[str, ...]
    signature_names: frozenset[str] = frozenset()  # the standard-library names its parameters and return read
    body_names: frozenset[str] = frozenset()  # and its default body

    @property
    def params(self) -> tuple[tuple[str, str], ...]:
        """(name, annotation) of each parameter after self."""
        return self.params_in("")

    def params_in(self, prefix: str) -> tuple[tuple[str, str], ...]:
        """:attr:`params` where the microservice's modules are imported as ``prefix`` + their name."""
        return tuple((p.name, p.annotation_in(prefix)) for p in self.parts)

    @property
    def modules(self) -> frozenset[str]:
        """The microservice's own modules its signature names: hooks.py imports them for the type checker."""
        return frozenset(p.module for p in self.parts if p.module is not None)


@dataclass(frozen=True)
class EmitV:
    """An event a command method triggers, with the source of each value."""

    event: EventV
    values: tuple[ValueV, ...]


@dataclass(frozen=True)
class StepV:
    """A given or expected event of a scenario."""

    event: EventV
    values: tuple[ValueV, ...]


@dataclass(frozen=True)
class ActionV:
    """A step of the journey player: a command, a query, or a command a listener issues."""

    kind: str  # "command" | "query"
    c: CommandV | None = None
    q: QueryV | None = None
    listener: ListenerV | None = None


@dataclass(frozen=True)
class ProcessV:
    raw: str
    actions: tuple[ActionV, ...]


def _union(types: list[str]) -> str:
    parts: list[str] = []
    for t in types:
        for p in t.split(" | "):
            if p not in parts:
                parts.append(p)
    if "None" in parts:
        parts.remove("None")
        parts.append("None")
    return " | ".join(parts)


@dataclass(frozen=True)
class TypeV:
    """A value object: a frozen dataclass of the package's value_objects module."""

    cls: str
    doc: UnsafeText
    fields: tuple[tuple[str, str], ...]  # (attribute, annotation in its own module)
    stored: str  # the name it is stored under if not its class's: a microservice's own type's 'order.Address'
    stdlib: frozenset[str]  # the standard-library names its fields' types read


def type_v(vo: ValueType) -> TypeV:
    attrs = tuple((names.field_name(f.name), py_type(f.type, "")) for f in vo.fields)  # as text._make has them
    stored = f"{vo.microservice.name}.{vo.name}" if vo.microservice is not None else ""
    stdlib = frozenset[str]().union(*(type_names(f.type) for f in vo.fields))
    return TypeV(vo.cls, UnsafeText(vo.description), attrs, stored, stdlib)


def _key(model: Model, item: Aggregate | Command | Event, cls: str) -> str:
    """``cls``, qualified by its microservice where another microservice has the same name."""
    return f"{item.microservice.name}.{cls}" if model.shared(item) else cls


# -- the root ------------------------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class JourneyV:
    model: Model
    names: Naming

    @property
    def package(self) -> str:
        return self.names.package

    @property
    def cls(self) -> str:
        return self.names.journey_cls

    @property
    def title(self) -> str:
        return self.model.name

    @property
    def doc(self) -> UnsafeText:
        return UnsafeText("\n\n".join(j.description for j in self.model.journeys if j.description))

    @property
    def files(self) -> list[str]:
        return sorted({PurePath(j.file).name for j in self.model.journeys})

    @cached_property
    def microservices(self) -> tuple[MicroserviceV, ...]:
        return tuple(MicroserviceV(self, ms) for ms in self.model.microservices)

    @cached_property
    def types(self) -> tuple[TypeV, ...]:
        """The value objects, each after the ones it holds."""
        return tuple(type_v(vo) for vo in self.model.types)

    @property
    def journey_tests_stdlib(self) -> frozenset[str]:
        """The standard-library names test_journey.py reads: those of the event its catch-up test stores (the
        first listener's whose command creates, on an aggregate something creates): uuid4 when the event
        creates its aggregate, its fields' example values."""
        li = next((li for li in self.listeners if li.command.creates and li.on.aggregate.creators), None)
        if li is None:
            return frozenset()
        fixed = frozenset({"uuid4"} if li.on.creation else ())
        return fixed.union(*(sample_names(f.ftype) for f in li.on.fields))

    @property
    def integration_tests_stdlib(self) -> frozenset[str]:
        """The standard-library names test_integration_events.py reads (json apart, imported whole): uuid4 and
        the example values of each integration event it records, and of the creating event before it."""
        found: set[str] = set()
        for e in (e for ms in self.microservices for e in ms.integration_events if e.aggregate.creators):
            recorded = [e] if e.creation else [e.aggregate.creators[0].first_emit.event, e]
            found.add("uuid4")
            found.update(n for ev in recorded for f in ev.fields for n in sample_names(f.ftype))
        return frozenset(found)

    @property
    def listener_tests_stdlib(self) -> frozenset[str]:
        """The standard-library names test_listeners.py reads: uuid4 for an event that creates its aggregate
        under a new id, and the example values of the events it records (a field the target's id or key fills
        apart); for a keyed aggregate, those of the events that release or record its keys anew, and the other
        value recorded."""
        found: set[str] = set()
        for ms in self.microservices:
            for li in ms.listeners:
                if li.tested:
                    found |= _listener_test_names(li)
            for a in ms.aggregates:
                if a.keys and a.creators and not a.born_ended:
                    found |= _keys_test_names(a)
        return frozenset(found)

    @property
    def command_tests_stdlib(self) -> frozenset[str]:
        """The standard-library names test_commands.py reads: the example values of the fields of the commands
        it tests (a target's id apart: the built aggregate's)."""
        tested = [c for a in self.aggregates for c in a.command_tests]
        fields = [f for c in tested for f in c.all_fields if f is not c.id_field]
        return frozenset[str]().union(*(sample_names(f.ftype) for f in fields))

    @property
    def timer_tests_stdlib(self) -> frozenset[str]:
        """The standard-library names test_timers.py reads: timedelta (every test's due time), and the example
        values of the events that stop a timer or return the aggregate to its state."""
        found: set[str] = set()
        for t in (
            t for ms in self.timed for t in ms.timers if t.aggregate.creators and t.state in t.aggregate.reachable
        ):
            found.add("timedelta")
            recorded = [e for e in (t.stopper, t.undo[0] if t.undo else None) if e is not None]
            found.update(n for e in recorded for f in e.fields for n in sample_names(f.ftype))
        return frozenset(found)

    @property
    def scenario_tests_stdlib(self) -> frozenset[str]:
        """The standard-library names test_scenarios.py reads: its scenarios' (ScenarioV.stdlib)."""
        return frozenset[str]().union(*(s.stdlib for s in self.scenarios))

    @property
    def testing_stdlib(self) -> frozenset[str]:
        """The standard-library names testing.py reads: Protocol and TypeVar (Alone), UUID and uuid4 (a
        builder's id), and the example values of the events its builders record."""
        built = [a for a in self.aggregates if a.creators]
        fixed = {"Protocol", "TypeVar"} | ({"UUID", "uuid4"} if built else set())
        samples = (sample_names(f.ftype) for a in built for e in a.builder_events for f in e.fields)
        return frozenset(fixed).union(*samples)

    @property
    def value_objects_stdlib(self) -> frozenset[str]:
        """The standard-library names value_objects.py reads: dataclass, Any (VALUE_OBJECTS), ClassVar (a
        stored name), its fields' types."""
        fixed = {"dataclass", "Any"} | ({"ClassVar"} if any(t.stored for t in self.types) else set())
        return frozenset(fixed).union(*(t.stdlib for t in self.types))

    @cached_property
    def _views(self) -> _Views:
        return _Views.of(self)

    def service(self, ms: Microservice) -> MicroserviceV:
        return self._views.services[ms]

    def aggregate(self, agg: Aggregate) -> AggregateV:
        return self._views.aggregates[agg]

    def event(self, event: Event) -> EventV:
        return self._views.events[event]

    def command(self, cmd: Command) -> CommandV:
        return self._views.commands[cmd]

    def projection(self, pr: Projection) -> ProjectionV:
        return self._views.projections[pr]

    def query(self, q: Query) -> QueryV:
        return self._views.queries[q]

    @cached_property
    def _grouped(self) -> _Grouped:
        return _Grouped.of(self.model)

    @cached_property
    def _field_hooks(self) -> dict[tuple[Event, str], Hook]:
        return {(h.event, h.field.name): h for h in self.names.hooks if h.kind == "field" and h.event and h.field}

    @cached_property
    def _choice_hooks(self) -> dict[Command, Hook]:
        return {h.commands[0]: h for h in self.names.hooks if h.kind == "choice"}

    @cached_property
    def _check_hooks(self) -> dict[Command, Hook]:
        return {h.commands[0]: h for h in self.names.hooks if h.kind == "check"}

    @cached_property
    def _evolve_hooks(self) -> dict[Event, Hook]:
        return {h.event: h for h in self.names.hooks if h.kind == "evolve" and h.event}

    @cached_property
    def _fails_hooks(self) -> dict[Command, Hook]:
        return {h.commands[0]: h for h in self.names.hooks if h.kind == "fails"}

    @cached_property
    def _saga_hooks(self) -> dict[tuple[Saga, Command, str], Hook]:
        return {
            (h.saga, h.commands[0], h.field.name): h
            for h in self.names.hooks
            if h.kind == "saga" and h.saga and h.field
        }

    @cached_property
    def scenarios(self) -> tuple[ScenarioV, ...]:
        return tuple(ScenarioV(self, s) for s in self.model.scenarios)

    @cached_property
    def processes(self) -> tuple[ProcessV, ...]:
        creating = {li.command: li for li in self.listeners if li.command.creates}
        return tuple(_process(self, p, creating) for p in self.model.processes)

    # kept, not gathered anew on each use: the player and the templates ask per process (quadratic at 5,000)
    @cached_property
    def aggregates(self) -> tuple[AggregateV, ...]:
        return tuple(a for m in self.microservices for a in m.aggregates)

    @cached_property
    def listeners(self) -> tuple[ListenerV, ...]:
        return tuple(li for m in self.microservices for li in m.listeners)

    @cached_property
    def listeners_on(self) -> Mapping[EventV, tuple[ListenerV, ...]]:
        """The listeners of each event, in the order of ``listeners`` (the player asks per event)."""
        found: dict[EventV, list[ListenerV]] = {}
        for li in self.listeners:
            found.setdefault(li.on, []).append(li)
        return {ev: tuple(each) for ev, each in found.items()}

    @cached_property
    def changed_by_listeners(self) -> frozenset[Aggregate]:
        """The aggregates a listener changes by an event they recorded themselves (asked per aggregate)."""
        return frozenset(li.command.aggregate.entity for li in self.listeners if li.on_itself)

    @property
    def projections(self) -> list[ProjectionV]:
        return [p for m in self.microservices for p in m.projections]

    @cached_property
    def queries(self) -> tuple[QueryV, ...]:
        return tuple(q for m in self.microservices for q in m.queries)

    @property
    def timed(self) -> list[MicroserviceV]:
        """The microservices whose aggregates have timers."""
        return [m for m in self.microservices if m.timers]


@dataclass(frozen=True)
class _Grouped:
    """The model's listeners, projections and queries by microservice: grouped once, in one pass."""

    listeners: Mapping[Microservice, tuple[Listener, ...]]
    projections: Mapping[Microservice, tuple[Projection, ...]]
    queries: Mapping[Microservice, tuple[Query, ...]]

    @classmethod
    def of(cls, model: Model) -> _Grouped:
        return cls(
            _group(model.listeners, lambda li: li.microservice),
            _group(model.projections, lambda p: p.microservice),
            _group(model.queries, lambda q: q.microservice),
        )


def _group(items: tuple[T, ...], key: Callable[[T], Microservice]) -> dict[Microservice, tuple[T, ...]]:
    found: dict[Microservice, list[T]] = {}
    for item in items:
        found.setdefault(key(item), []).append(item)
    return {k: tuple(v) for k, v in found.items()}


@dataclass(frozen=True)
class _Views:
    """The one view of each entity, found by walking the journey's microservices once."""

    services: Mapping[Microservice, MicroserviceV]
    aggregates: Mapping[Aggregate, AggregateV]
    events: Mapping[Event, EventV]
    commands: Mapping[Command, CommandV]
    projections: Mapping[Projection, ProjectionV]
    queries: Mapping[Query, QueryV]

    @classmethod
    def of(cls, j: JourneyV) -> _Views:
        aggregates = [a for ms in j.microservices for a in ms.aggregates]
        return cls(
            {ms.entity: ms for ms in j.microservices},
            {a.entity: a for a in aggregates},
            {e.entity: e for a in aggregates for e in a.events},
            {c.entity: c for a in aggregates for c in a.commands},
            {p.entity: p for ms in j.microservices for p in ms.projections},
            {q.entity: q for ms in j.microservices for q in ms.queries},
        )


def _process(j: JourneyV, process: Process, creating: Mapping[CommandV, ListenerV]) -> ProcessV:
    actions = []
    for action in process.actions:
        if isinstance(action, Command) and action.aggregate is not None:
            cv = j.command(action)
            actions.append(ActionV("command", c=cv, listener=creating.get(cv)))
        elif isinstance(action, Query):
            qv = j.query(action)
            if qv.projection is not None:
                actions.append(ActionV("query", q=qv))
    return ProcessV(process.name, tuple(actions))


class _Entity(Protocol):
    @property
    def name(self) -> str: ...

    @property
    def description(self) -> str: ...


E = TypeVar("E", bound=_Entity)


@dataclass(frozen=True, eq=False)
class _View(Generic[E]):
    """The view of one entity of the journey: its name as written, its description as unsafe text."""

    j: JourneyV
    entity: E

    @property
    def raw(self) -> str:
        return self.entity.name

    @property
    def doc(self) -> UnsafeText:
        return UnsafeText(self.entity.description)


# -- microservices, aggregates, events, commands ------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class MicroserviceV(_View[Microservice]):
    @property
    def module(self) -> str:
        return self.j.names.services[self.entity].module

    @property
    def short(self) -> str:
        """Its module's stem where an alias must be short (naming.py's MAX_STEM)."""
        return self.j.names.services[self.entity].short

    @property
    def cls(self) -> str:
        return self.j.names.services[self.entity].cls

    @property
    def attr(self) -> str:
        return self.j.names.services[self.entity].attr

    @cached_property
    def aggregates(self) -> tuple[AggregateV, ...]:
        return tuple(AggregateV(self.j, a, self) for a in self.j.model.aggregates_in(self.entity))

    @cached_property
    def listeners(self) -> tuple[ListenerV, ...]:
        return tuple(ListenerV(self.j, li) for li in self.j._grouped.listeners.get(self.entity, ()))

    @cached_property
    def projections(self) -> tuple[ProjectionV, ...]:
        return tuple(ProjectionV(self.j, p) for p in self.j._grouped.projections.get(self.entity, ()))

    @cached_property
    def queries(self) -> tuple[QueryV, ...]:
        return tuple(QueryV(self.j, q) for q in self.j._grouped.queries.get(self.entity, ()))

    @cached_property
    def hooks(self) -> tuple[HookV, ...]:
        return tuple(_hook_v(self.j, h) for h in self.j.names.hooks_of(self.entity))

    @property
    def hook_modules(self) -> list[str]:
        """The microservice's own modules its hooks' signatures name, in import order."""
        used = {m for h in self.hooks for m in h.modules}
        return [m for m in ("aggregates", "commands") if m in used]

    @cached_property
    def commands(self) -> tuple[CommandV, ...]:
        return tuple(c for a in self.aggregates for c in a.commands)

    @cached_property
    def events(self) -> tuple[EventV, ...]:
        return tuple(e for a in self.aggregates for e in a.events)

    @property
    def timers(self) -> tuple[TimerV, ...]:
        return tuple(t for a in self.aggregates for t in a.timers)

    @property
    def integration_events(self) -> list[EventV]:
        return [e for e in self.events if e.integration]

    def ref(self, ev: EventV) -> str:
        """How this service's modules name an event class (others' through their module alias)."""
        prefix = "aggregates" if ev.service is self else f"{ev.service.module}_aggregates"
        return f"{prefix}.{ev.aggregate.cls}.{ev.cls}"

    @property
    def upcast_helpers(self) -> list[str]:
        """What its aggregates' upcasters import from esp_runtime.evolution."""
        return evolution.helpers_used(tuple(e.entity for a in self.aggregates for e in a.events))

    @property
    def needs_require(self) -> bool:
        return any(c.allowed for c in self.commands)

    @cached_property
    def heard(self) -> list[tuple[EventV, list[ListenerV]]]:
        """Each event this service's listeners hear, with the listeners."""
        by_event: dict[EventV, list[ListenerV]] = {}
        for li in self.listeners:
            by_event.setdefault(li.on, []).append(li)
        return list(by_event.items())

    @property
    def leaders(self) -> list[MicroserviceV]:
        return list({li.source.module: li.source for li in self.listeners}.values())

    @property
    def commands_stdlib(self) -> frozenset[str]:
        """The standard-library names commands.py reads: dataclass, and its fields' types."""
        fields = [f for c in self.commands for f in c.all_fields] + [f for q in self.queries for f in q.fields]
        return frozenset({"dataclass"}).union(*(type_names(f.ftype) for f in fields))

    @property
    def application_stdlib(self) -> frozenset[str]:
        """The standard-library names application.py reads: Mapping and UUID (every application's), uuid4 (a
        creating command's new id), ClassVar and timedelta (timers), ClassVar and Any (snapshot intervals),
        ClassVar (keys), and what its listeners' commands' values read."""
        snapshots = any(a.snapshot_every for a in self.aggregates)
        fixed = {
            "uuid4": any(c.creates for c in self.commands),
            "ClassVar": bool(self.timers) or snapshots or any(a.keys for a in self.aggregates),
            "timedelta": bool(self.timers),
            "Any": snapshots,
        }
        found = {"Mapping", "UUID"} | {name for name, needed in fixed.items() if needed}
        if self.j.types:  # VALUE_OBJECTS = value_objects.VALUE_OBJECTS: its events may hold them
            found.add(VALUE_MODULE)
        return frozenset(found).union(*(li.stdlib for li in self.listeners))

    @property
    def hooks_stdlib(self) -> frozenset[str]:
        """The standard-library names hooks.py reads: TYPE_CHECKING (the modules its signatures name), and
        what its hooks' signatures and default bodies read."""
        fixed = {"TYPE_CHECKING"} if self.hook_modules else set()
        return frozenset(fixed).union(*(h.signature_names | h.body_names for h in self.hooks))

    @property
    def aggregates_stdlib(self) -> frozenset[str]:
        """The standard-library names aggregates.py reads: TYPE_CHECKING (its Hooks), UUID (a creating command's
        aggregate_id), ClassVar (a shape, an integration event's name, an event's class_version), Any (an
        upcaster's state), its events' field types and its upcasters' defaults."""
        events = self.events
        fixed = {
            "TYPE_CHECKING": bool(self.commands),
            "UUID": any(c.creates for c in self.commands),
            "ClassVar": any(a.shape for a in self.aggregates) or any(e.integration or e.upcasters for e in events),
            "Any": any(e.upcasters for e in events),
        }
        found = {name for name, needed in fixed.items() if needed}
        found.update(n for e in events for f in e.fields for n in type_names(f.ftype))
        found.update(n for e in events for u in e.upcasters for n in u.stdlib)
        return frozenset(found)

    @property
    def projections_stdlib(self) -> frozenset[str]:
        """The standard-library names projections.py reads: dataclass, UUID (a row's id), its rows' types."""
        fields = [f for p in self.projections for e in p.sources for f in e.fields]
        return frozenset({"dataclass", "UUID"}).union(*(type_names(f.ftype) for f in fields))


# A value of a key's type other than its sample (esp.generate.text.sample), as source: a unique key recorded anew.
_OTHER_VALUE = {"uuid": "uuid4()", "str": '"another"', "int": "2", "date": "date(2024, 2, 29)"}
_OTHER_NAMES = {"uuid": frozenset({"uuid4"}), "date": frozenset({"date"})}  # the standard-library names they read


@dataclass(frozen=True, eq=False)
class AggregateV(_View[Aggregate]):
    microservice: MicroserviceV

    @property
    def keeps_previous(self) -> bool:
        """Whether an event of it enters 'previous': then it remembers the state before the current one."""
        return any(e.enters_previous for e in self.j.model.events_of(self.entity))

    @property
    def cls(self) -> str:
        return self.j.names.aggregates[self.entity].cls

    @property
    def key(self) -> str:
        """How the journey player knows the play's aggregate of this class: qualified by its microservice
        ('kitchen.Restaurant') where another microservice has an aggregate of the same name."""
        return _key(self.j.model, self.entity, self.cls)

    @property
    def keys(self) -> tuple[tuple[str, bool], ...]:
        """Its keys: (the events' attribute, unique)."""
        return tuple((field_name(k.name), k.unique) for k in self.entity.keys)

    @property
    def key_releases(self) -> tuple[tuple[str, tuple[str, ...]], ...]:
        """(event class, the keys' attributes) of each event that releases keys: the aggregate no longer holds
        the value it carries."""
        return tuple((e.cls, tuple(field_name(k) for k in e.entity.releases)) for e in self.events if e.entity.releases)

    @property
    def final_states(self) -> tuple[str, ...]:
        """The states no command accepts: an aggregate in one is found by none of its keys."""
        accepting = [c.entity.allowed_in for c in self.commands if not c.creates]
        if any(not allowed for allowed in accepting):  # a command allowed in every state
            return ()
        return tuple(s for s in self.entity.states if not any(s in allowed for allowed in accepting))

    @property
    def born_ended(self) -> bool:
        """Its builder's aggregate (made by the first creating command) is in a final state at once: no key finds it."""
        return bool(self.creators) and self.creators[0].first_emit.event.enters in self.final_states

    @property
    def ended_in(self) -> str:
        """A final state a test can build it in (an event enters it), to see it found by no key; "" if none."""
        return next((st for st in self.final_states if (e := self.entering(st)) is not None and not e.creation), "")

    @property
    def rekeying(self) -> tuple[tuple[EventV, str, str], ...]:
        """For each unique key a later event records: (that event, the key's attribute, a value other than the
        sample a test's aggregate holds, as source)."""
        released = {cls for cls, _ in self.key_releases}
        final = self.final_states  # an event entering one leaves the aggregate found by no key, its new value included
        found = []
        for attr, unique in self.keys:
            event = next(
                (
                    e
                    for e in self.events
                    if unique and not e.creation and e.cls not in released and e.field(attr) and e.enters not in final
                ),
                None,
            )
            field = event.field(attr) if event is not None else None
            if event is not None and field is not None and str(field.ftype) in _OTHER_VALUE:
                found.append((event, attr, _OTHER_VALUE[str(field.ftype)]))
        return tuple(found)

    @property
    def snake(self) -> str:
        return self.j.names.aggregates[self.entity].snake

    @property
    def getter(self) -> str:
        return self.j.names.aggregates[self.entity].getter

    @property
    def builder(self) -> str:
        """testing.py's function that stores one in a given state."""
        return self.j.names.aggregates[self.entity].builder

    @property
    def keys_test(self) -> str:
        """test_listeners.py's test of its key index."""
        return self.j.names.aggregates[self.entity].keys_test

    @property
    def builder_events(self) -> list[EventV]:
        """The events testing.py's builder records with example values: the other creating ones (each when the
        state asked for is the one it enters), the first creating command's, the one entering each state."""
        if not self.creators:
            return []
        creation = self.creators[0].first_emit.event
        others = [e for e in self.events if e.creation and e.enters and e is not creation]
        entering = [e for e in map(self.entering, self.states) if e is not None and not e.creation]
        return [*others, creation, *entering]

    @property
    def changed_by_listeners(self) -> bool:
        """A listener changes it when it records an event (the builder then returns it as stored)."""
        return self.entity in self.j.changed_by_listeners

    @cached_property
    def identity(self) -> FieldV:
        return field_of(self.entity.identity, FieldType("uuid"))

    @property
    def states(self) -> tuple[str, ...]:
        return self.entity.states

    @property
    def snapshot_every(self) -> int:
        return self.entity.snapshot_every

    @cached_property
    def events(self) -> tuple[EventV, ...]:
        creation = {e for c in self.j.model.creators_of(self.entity) for e in c.emits}
        return tuple(EventV(self.j, e, self, e in creation) for e in self.j.model.events_of(self.entity))

    @cached_property
    def commands(self) -> tuple[CommandV, ...]:
        return tuple(CommandV(self.j, c, self) for c in self.j.model.commands_of(self.entity))

    @property
    def shape(self) -> str | None:
        """The versions of its events once one is past 1: a snapshot of another shape is not used."""
        return evolution.shape(tuple(e.entity for e in self.events))

    @cached_property
    def attributes(self) -> list[tuple[str, str]]:
        """(name, annotation) of each attribute its events set: every type a field of that name has, or None."""
        types: dict[str, list[str]] = {}
        for ev in self.events:
            for f in ev.fields:
                known = types.setdefault(f.name, [])
                if f.type not in known:
                    known.append(f.type)
        return [(name, _union([*ts, "None"])) for name, ts in types.items()]

    @property
    def reachable(self) -> list[str]:
        """The states some event enters (a test can put the aggregate there)."""
        return [s for s in self.states if self.entering(s) is not None]

    @property
    def creators(self) -> list[CommandV]:
        return [c for c in self.commands if c.creates]

    @property
    def command_tests(self) -> list[CommandV]:
        """The commands test_commands.py tests: each creating one and, when some state can be reached, the others
        (parametrized by state; rejected with CommandRejected outside the states they are allowed in)."""
        if not self.creators:
            return []
        return [c for c in self.commands if c.creates or self.reachable]

    def entering(self, state: str) -> EventV | None:
        return next((e for e in self.events if e.enters == state), None)

    @cached_property
    def timers(self) -> tuple[TimerV, ...]:
        return tuple(TimerV(self.j, t, self) for t in self.j.model.timers_of(self.entity))


@dataclass(frozen=True, eq=False)
class EventV(_View[Event]):
    aggregate: AggregateV
    creation: bool  # a creating command records it: it creates the aggregate

    @property
    def cls(self) -> str:
        return self.j.names.events[self.entity].cls

    @property
    def snake(self) -> str:
        return self.j.names.events[self.entity].snake

    @property
    def test(self) -> str:
        return self.j.names.events[self.entity].test

    @property
    def key(self) -> str:
        """How the journey player knows a stored event: its class, qualified by its microservice
        ('kitchen.RestaurantOpened') where another microservice has an event of the same name."""
        return _key(self.j.model, self.entity, self.cls)

    @cached_property
    def fields(self) -> tuple[FieldV, ...]:
        return tuple(field_v(f) for f in self.entity.fields)

    def field(self, name: str) -> FieldV | None:
        """Its field whose attribute is ``name``, if it has one."""
        return next((f for f in self.fields if f.name == name), None)

    @property
    def integration(self) -> bool:
        return self.entity.integration

    @property
    def version(self) -> int:
        return self.entity.version

    @cached_property
    def upcasters(self) -> tuple[evolution.UpcasterV, ...]:
        """eventsourcing's upcast_vN_vM steps, from the event's history (none at version 1)."""
        return evolution.upcasters(self.entity)

    @property
    def enters_previous(self) -> bool:
        """Whether it returns its aggregate to the state before the current one ('enters: previous')."""
        return self.entity.enters_previous

    @property
    def enters(self) -> str | None:
        return self.entity.enters

    @property
    def service(self) -> MicroserviceV:
        return self.aggregate.microservice

    @property
    def evolve_hook(self) -> str:
        """The rule its apply ends with: the state evolution rules.py writes (default: nothing more)."""
        return self.j._evolve_hooks[self.entity].method


@dataclass(frozen=True, eq=False)
class CommandV(_View[Command]):
    aggregate: AggregateV

    @property
    def cls(self) -> str:
        return self.j.names.commands[self.entity].cls

    @property
    def key(self) -> str:
        """Its class, qualified by its microservice where another microservice has a command of that name."""
        return _key(self.j.model, self.entity, self.cls)

    @property
    def method(self) -> str:
        return self.j.names.commands[self.entity].method

    @property
    def handler(self) -> str:
        """The application's method that runs it on an aggregate without saving (listeners and sagas use it)."""
        return self.j.names.commands[self.entity].handler

    @property
    def test(self) -> str:
        return self.j.names.commands[self.entity].test

    @cached_property
    def fields(self) -> tuple[FieldV, ...]:
        """The command's own fields."""
        return tuple(field_v(f) for f in self.entity.fields)

    @property
    def creates(self) -> bool:
        return self.entity.creates

    @property
    def allowed(self) -> tuple[str, ...]:
        return self.entity.allowed_in

    @property
    def first_reachable(self) -> str:
        """The first state it is allowed in that a test can put its aggregate in (some event enters it); "" for
        any state. A state no event enters is skipped: the builder would leave the aggregate where it was."""
        reachable = self.aggregate.reachable
        return next((s for s in self.allowed if s in reachable), "")

    @cached_property
    def id_field(self) -> FieldV | None:
        """The target aggregate's id: its own field of that name (a uuid, esp.check says), else the identity."""
        if self.creates:
            return None
        identity = self.aggregate.identity
        return next((f for f in self.fields if f.name == identity.name), identity)

    @cached_property
    def emits(self) -> tuple[EmitV, ...]:
        """The events it records, each value from a command field of the same name and type, or from a rule."""
        own = {f.name: f for f in self.fields}
        found = []
        for event in self.entity.emits:
            ev = self.j.event(event)
            assert ev.aggregate is self.aggregate, f"{self.raw} records {ev.raw} of another aggregate"
            values = []
            for f in ev.fields:
                source = own.get(f.name)
                if source is not None and same_type(source.ftype, f.ftype):
                    values.append(ValueV(f, f"command.{f.name}"))
                else:
                    hook = self.j._field_hooks[(event, f.raw)].method
                    values.append(ValueV(f, hook=hook, on_aggregate=not ev.creation))
            found.append(EmitV(ev, tuple(values)))
        assert found, f"{self.raw} records nothing"
        return tuple(found)

    @property
    def check_hook(self) -> str:
        """The invariant the command method asks first: rules.py raises DomainError to reject the command."""
        return self.j._check_hooks[self.entity].method

    @property
    def choice_hook(self) -> str | None:
        """The rule choosing which of its events a command records (when it has several)."""
        hook = self.j._choice_hooks.get(self.entity)
        return hook.method if hook else None

    @property
    def choices(self) -> list[str]:
        return [e.event.cls for e in self.emits] if self.choice_hook else []

    @property
    def choice_type(self) -> str:
        """What the choice hook returns: one event name for a creating command, a sequence otherwise."""
        options = "Literal[" + ", ".join(f'"{c}"' for c in self.choices) + "]"
        return options if self.creates else f"Sequence[{options}]"

    @property
    def all_fields(self) -> list[FieldV]:
        return ([self.id_field] if self.id_field and self.id_field not in self.fields else []) + list(self.fields)

    @property
    def default_enters(self) -> str | None:
        """The state the command leaves its aggregate in under the default rules (None: unchanged)."""
        emits = self.emits[:1] if self.choice_hook or self.creates else self.emits
        states = [e.event.enters for e in emits if e.event.enters]
        return states[-1] if states else None

    @property
    def first_emit(self) -> EmitV:
        return self.emits[0]

    @property
    def later_emits(self) -> tuple[EmitV, ...]:
        """The events recorded on an existing aggregate (a creating command's one event creates it)."""
        return () if self.creates else self.emits


def _hook_v(j: JourneyV, hook: Hook) -> HookV:
    params: tuple[ParamV, ...]
    if hook.kind == "evolve":
        assert hook.event is not None
        ev = j.event(hook.event)
        a = ev.aggregate.cls
        doc = f"How {ev.cls} changes the {a} beyond the fields it records (default: no more)."
        params = (ParamV("aggregate", (a,), "aggregates"), ParamV("event", (f"{a}.{ev.cls}",), "aggregates"))
        return HookV(hook.method, doc, params, "None", ())
    cmd = j.command(hook.commands[0])
    if hook.kind == "check":
        doc = f"An invariant of {cmd.cls}: raise DomainError to reject it (default: accept)."
        params = (ParamV("command", (cmd.cls,), "commands"),)
        if not cmd.creates:
            params = (ParamV("aggregate", (cmd.aggregate.cls,), "aggregates"), *params)
        return HookV(hook.method, doc, params, "None", ())
    if hook.kind == "choice":
        choices = ", ".join(cmd.choices)
        if cmd.creates:
            doc = (
                f"Which of {choices} {cmd.cls} records: the one event that creates the aggregate (default: the first)."
            )
            return HookV(
                hook.method,
                doc,
                (ParamV("command", (cmd.cls,), "commands"),),
                cmd.choice_type,
                (f'return "{cmd.choices[0]}"',),
                frozenset({"Literal"}),
            )
        doc = f"Which of {choices} {cmd.cls} emits (default: the first)."
        params = (ParamV("aggregate", (cmd.aggregate.cls,), "aggregates"), ParamV("command", (cmd.cls,), "commands"))
        choice = (f'return ("{cmd.choices[0]}",)',)
        return HookV(hook.method, doc, params, cmd.choice_type, choice, frozenset({"Literal", "Sequence"}))
    if hook.kind == "field":
        assert hook.event is not None and hook.field is not None
        return _field_hook(j, hook, hook.event, hook.field)
    if hook.kind == "fails" and hook.event is None:
        doc = (
            f"Why {cmd.cls} cannot run when a saga compensates with it, or None when it can (default: None). "
            "A reason makes the compensation fail: the SEC retries it, then parks the saga run."
        )
        return HookV(hook.method, doc, (ParamV("command", (cmd.cls,), "commands"),), "str | None", ("return None",))
    if hook.kind == "fails":
        assert hook.event is not None
        doc = (
            f"Why {cmd.cls} fails when a saga runs it, or None when it succeeds (default: None). "
            f"A reason makes the step record {j.event(hook.event).cls}."
        )
        return HookV(hook.method, doc, (ParamV("command", (cmd.cls,), "commands"),), "str | None", ("return None",))
    assert hook.kind == "saga" and hook.field is not None and hook.saga is not None
    f = field_v(hook.field)
    saga = j.names.sagas[hook.saga].cls
    doc = (
        f"The {f.raw} of {cmd.cls} when the {saga} saga sends it, which no event of the saga carries "
        f"(default: {f.default})."
    )
    values = (ParamV("values", ("Mapping[str, Any]",)),)
    signature = frozenset({"Mapping", "Any"}) | type_names(f.ftype)
    return HookV(hook.method, doc, values, f.type, (f"return {f.default}",), signature, default_names(f.ftype))


def _field_hook(j: JourneyV, hook: Hook, event: Event, fld: Field) -> HookV:
    ev = j.event(event)
    f = field_v(fld)
    command = ParamV("command", tuple(j.command(c).cls for c in hook.commands), "commands")
    if ev.creation:
        params: tuple[ParamV, ...] = (command,)
    else:
        params = (ParamV("aggregate", (ev.aggregate.cls,), "aggregates"), command)
    body: tuple[str, ...]
    if not ev.creation and dict(ev.aggregate.attributes).get(f.name) == _union([f.type, "None"]):
        body = (f"if aggregate.{f.name} is not None:", f"    return aggregate.{f.name}", f"return {f.default}")
        doc = f"The {f.raw} of {ev.cls} (default: the aggregate's current {f.raw}, else {f.default})."
    else:
        body = (f"return {f.default}",)
        doc = f"The {f.raw} of {ev.cls}, which the command does not carry (default: {f.default})."
    return HookV(hook.method, doc, params, f.type, body, type_names(f.ftype), default_names(f.ftype))


def _listener_test_names(li: ListenerV) -> frozenset[str]:
    by_id = li.key is not None and li.key_value == "domain_event.originator_id"
    found = {"uuid4"} if li.on.creation and not by_id else set()
    for f in li.on.fields:
        source = f"domain_event.{f.name}"
        if li.target != source and not (li.key and li.key_value == source):
            found |= sample_names(f.ftype)
    return frozenset(found)


def _keys_test_names(a: AggregateV) -> frozenset[str]:
    found: set[str] = set()
    for cls, released in a.key_releases:
        e = next(e for e in a.events if e.cls == cls)
        found.update(n for f in e.fields if f.name not in released for n in sample_names(f.ftype))
    for e, attr, _ in a.rekeying:
        key = e.field(attr)
        assert key is not None
        found |= _OTHER_NAMES.get(str(key.ftype), frozenset())
        found.update(n for f in e.fields if f.name != attr for n in sample_names(f.ftype))
    return frozenset(found)


# -- listeners ------------------------------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class ListenerV:
    j: JourneyV
    entity: Listener

    @property
    def doc(self) -> UnsafeText:
        return UnsafeText(self.entity.description)

    @property
    def method(self) -> str:
        return self.j.names.listeners[self.entity].method

    @property
    def handler(self) -> str:
        """The policy's handler of the event it hears."""
        return self.j.names.listeners[self.entity].handler

    @property
    def test(self) -> str:
        return self.j.names.listeners[self.entity].test

    @property
    def tested(self) -> bool:
        """test_listeners.py tests it: a test can make the event's aggregate and the command's target."""
        return bool(self.on.aggregate.creators) and (self.command.creates or bool(self.command.aggregate.creators))

    @cached_property
    def on(self) -> EventV:
        return self.j.event(self.entity.on)

    @cached_property
    def command(self) -> CommandV:
        return self.j.command(self.entity.command)

    @property
    def source(self) -> MicroserviceV:
        return self.on.service

    @cached_property
    def values(self) -> tuple[ValueV, ...]:
        """Each field of the command, from the event (esp.check made sure it can be)."""
        mapping = dict(self.entity.mapping)
        values = []
        for f in self.command.fields:
            expr = self._event_value(mapping.get(f.raw, f.raw), f)
            assert expr is not None or f.ftype.name == "optional", f"nothing fills {f.raw}"
            values.append(ValueV(f, expr or "None"))
        return tuple(values)

    @property
    def key(self) -> str | None:
        """The key (its events' attribute) the command's aggregates are found by: 'by' or 'for_each'."""
        return None if self.entity.key is None else field_name(self.entity.key)

    @property
    def each(self) -> bool:
        return self.entity.each

    @property
    def source_makes_holders(self) -> bool:
        """Whether a listener on the source aggregate's events creates another aggregate of the target's kind,
        which may record the unique key last and so be the one the command goes to (ECommerce:
        OrderInitialized -> RequestPayment makes the Payment that DiscardPayment finds by the order's id)."""
        if self.entity.key is None or self.each:
            return False
        src, dst = self.entity.on.aggregate, self.entity.command.aggregate
        return any(
            li.command.creates and li.command.aggregate is dst and li.on.aggregate is src
            for li in self.j.model.listeners
        )

    @cached_property
    def key_value(self) -> str:
        """The expression of the event's value of the key: a field of it, else its own aggregate's id (esp.check's
        E184 made sure it is one of the two)."""
        assert self.entity.key is not None
        found = next((f for f in self.on.fields if f.raw == self.entity.key), None)
        return "domain_event.originator_id" if found is None else f"domain_event.{found.name}"

    @cached_property
    def target(self) -> str | None:
        """The expression of the target aggregate's id (None: the command creates it)."""
        if self.command.creates:
            return None
        if self.entity.key is not None:
            return "target_id"  # the listener method's parameter: each aggregate found by the key
        key = self.entity.target or self.command.aggregate.identity.raw
        expr = self._event_value(key, self.command.aggregate.identity)
        assert expr is not None, f"the listener on {self.on.raw} has no target"
        return expr

    @property
    def on_itself(self) -> bool:
        """The command changes the aggregate that recorded the event: addressed by the event's own aggregate id
        (esp.check's E067 refuses that id for any other aggregate)."""
        return self.target == "domain_event.originator_id"

    @property
    def stdlib(self) -> frozenset[str]:
        """The standard-library names its command's values and target read: Decimal, where an int of the event
        fills a decimal field."""
        mapping = dict(self.entity.mapping)
        wanted = [(mapping.get(f.raw, f.raw), f) for f in self.command.fields]
        if self.target is not None and self.entity.key is None:
            wanted.append((self.entity.target or self.command.aggregate.identity.raw, self.command.aggregate.identity))
        found: set[str] = set()
        for raw, want in wanted:
            source = self._event_source(raw)
            if source is not None:
                found.update(convert_names(source[1], want.ftype))
        return frozenset(found)

    def _event_value(self, raw: str, want: FieldV) -> str | None:
        source = self._event_source(raw)
        if source is None:
            return None
        expr = convert(source[0], source[1], want.ftype)
        assert expr is not None, f"{self.on.raw}.{raw} cannot fill {want.raw}"
        return expr

    def _event_source(self, raw: str) -> tuple[str, FieldType] | None:
        """The expression of the event's value named ``raw`` (a field, else its aggregate's id), and its type."""
        f = next((f for f in self.on.fields if f.raw == raw), None)
        if f is not None:
            return f"domain_event.{f.name}", f.ftype
        if raw == self.on.aggregate.identity.raw:
            return "domain_event.originator_id", FieldType("uuid")
        return None


def convert(expr: str, source: FieldType, target: FieldType) -> str | None:
    """``expr`` (of type ``source``) as a value of type ``target``: the same, or an int widened to a float or
    a Decimal, inside optionals and lists too; None if it cannot be (esp.check's E065 says so first)."""
    if same_type(source, target):
        return expr
    if target.name == "optional" and target.of is not None:
        if source.name == "optional" and source.of is not None:
            inner = convert(expr, source.of, target.of)
            return None if inner is None else f"None if {expr} is None else {inner}"
        return convert(expr, source, target.of)
    if source.name == target.name == "list" and source.of is not None and target.of is not None:
        inner = convert("v", source.of, target.of)
        return None if inner is None else f"[{inner} for v in {expr}]"
    if (source.name, target.name) == ("int", "float"):
        return f"float({expr})"
    if (source.name, target.name) == ("int", "decimal"):
        return f"Decimal({expr})"
    if target.name == "str":
        return f"str({expr})"
    return None


def convert_names(source: FieldType, target: FieldType) -> frozenset[str]:
    """The standard-library names :func:`convert` reads: Decimal, where it widens an int to one."""
    if same_type(source, target):
        return frozenset()
    if target.name == "optional" and target.of is not None:
        return convert_names(source.of if source.name == "optional" and source.of else source, target.of)
    if source.name == target.name == "list" and source.of is not None and target.of is not None:
        return convert_names(source.of, target.of)
    return frozenset({"Decimal"}) if (source.name, target.name) == ("int", "decimal") else frozenset()


# -- read models ----------------------------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class ProjectionV(_View[Projection]):
    @property
    def cls(self) -> str:
        return self.j.names.projections[self.entity].cls

    @property
    def row(self) -> str:
        return self.j.names.projections[self.entity].row

    @property
    def attr(self) -> str:
        return self.j.names.projections[self.entity].attr

    @cached_property
    def sources(self) -> tuple[EventV, ...]:
        return tuple(self.j.event(e) for e in self.entity.sources if e.aggregate is not None)

    @cached_property
    def fields(self) -> list[tuple[str, str]]:
        """(name, annotation) of the row's fields: every type a source event's field of that name has, or None."""
        types: dict[str, list[str]] = {}
        for ev in self.sources:
            for f in ev.fields:
                known = types.setdefault(f.name, [])
                if f.type not in known:
                    known.append(f.type)
        return [(name, _union([*ts, "None"])) for name, ts in types.items()]

    @property
    def microservice(self) -> MicroserviceV:
        return self.j.service(self.entity.microservice)

    @property
    def main(self) -> AggregateV | None:
        """The aggregate whose rows it keeps: that of its first source event."""
        return self.sources[0].aggregate if self.sources else None

    def owns(self, ev: EventV) -> bool:
        """Whether the event is the main aggregate's own (it sets the row's state and version)."""
        return ev.aggregate is self.main

    def key(self, ev: EventV) -> str:
        """The row an event changes: its own aggregate's, or the main aggregate's it names by its identity
        (a FlightReserved with a trip_id changes that trip's row of MyTrips, not a row of its own)."""
        main = self.main
        if main is None or self.owns(ev):
            return "event.originator_id"
        link = next((f for f in ev.fields if f.name == main.identity.name and f.ftype.name == "uuid"), None)
        return f"event.{link.name}" if link else "event.originator_id"

    @cached_property
    def branches(self) -> tuple[tuple[EventV, ...], ...]:
        """The source events grouped by the update they make (the same row, state and fields): one branch of
        project() each, so two events that change a row alike share it (ruff's SIM114 refuses twins)."""
        groups: dict[tuple[str, bool, str, tuple[str, ...]], list[EventV]] = {}
        for ev in self.sources:
            made = (self.key(ev), self.owns(ev), ev.enters or "", tuple(f.name for f in ev.fields))
            groups.setdefault(made, []).append(ev)
        return tuple(tuple(evs) for evs in groups.values())

    @property
    def apps(self) -> list[MicroserviceV]:
        """Whose logs it reads."""
        return list({ev.service.module: ev.service for ev in self.sources}.values())


@dataclass(frozen=True, eq=False)
class QueryV(_View[Query]):
    @property
    def module(self) -> str:
        return self.j.service(self.entity.microservice).module

    @property
    def cls(self) -> str:
        return self.j.names.queries[self.entity].cls

    @property
    def method(self) -> str:
        return self.j.names.queries[self.entity].method

    @cached_property
    def fields(self) -> tuple[FieldV, ...]:
        return tuple(field_v(f) for f in self.entity.fields)

    @property
    def projection(self) -> ProjectionV | None:
        return self.j.projection(self.entity.projection) if self.entity.projection is not None else None

    @cached_property
    def conditions(self) -> list[str]:
        """How the fields select rows of the read model, as source over ``row`` and ``query`` (see _condition):
        conditions that all hold."""
        return [c for f in self.fields for c in self._condition(f)]

    def select(self, rows: str, indent: int) -> str:
        """The rows the fields select, as source: on one line if ``return`` and it fit in 120 columns, else one
        condition a line, as ruff formats it."""
        one = f"[row for row in {rows} if {' and '.join(self.conditions)}]"
        if indent + len("return ") + len(one) <= 120:
            return one
        pad = " " * (indent + 4)
        if len(pad) + len(one) - 2 <= 120:
            return f"[\n{pad}{one[1:-1]}\n{' ' * indent}]"
        lines = ["[", f"{pad}row", f"{pad}for row in {rows}"]
        clause = f"{pad}if {' and '.join(self.conditions)}"
        if len(clause) <= 120:  # ruff keeps the whole 'if' clause on its line when it fits
            lines.append(clause)
        else:
            lines += [f"{pad}if {self.conditions[0]}", *(f"{pad}and {c}" for c in self.conditions[1:])]
        return "\n".join([*lines, " " * indent + "]"])

    @property
    def unused(self) -> list[FieldV]:
        """The fields that select no rows (no row field they could be compared with)."""
        return [f for f in self.fields if not self._condition(f)]

    @property
    def mentions(self) -> bool:
        """Whether a field selects rows by a text they mention: the code calls esp_runtime's mentions()."""
        return any(self._mentioned_in(f) for f in self.fields)

    def _mentioned_in(self, f: FieldV) -> list[str]:
        """The text fields of the row that a text field ``f`` selects rows by (it is a part of one), if it does."""
        if self.projection is None:
            return []
        row = dict(self.projection.fields)
        want = f.ftype.of if f.ftype.name == "optional" and f.ftype.of is not None else f.ftype
        if want.name != "str" or f.name in row or f.name not in _TEXT_WORDS:
            return []  # compared with the row field of its name, or no text to look for
        return [f"row.{n}" for n, t in row.items() if t == "str | None"]

    def _condition(self, f: FieldV) -> list[str]:
        """A field selects rows: the row field of its name (an optional one only when given); the main
        aggregate's id by its identity's name; a date or datetime as a bound on the row's time (since,
        until...) or its day; a text as a part of any text field of the row. None when it cannot."""
        if self.projection is None:
            return []
        row = dict(self.projection.fields)
        want = f.ftype.of if f.ftype.name == "optional" and f.ftype.of is not None else f.ftype
        conds: list[str] = []
        main = self.projection.main
        if row.get(f.name) == _union([py_type(want), "None"]):
            conds = [f"row.{f.name} == query.{f.name}"]
        elif main is not None and f.name == main.identity.name and want.name == "uuid" and f.name not in row:
            conds = [f"row.id == query.{f.name}"]
        elif want.name in ("date", "datetime") and f.name not in row:
            conds = self._time_condition(f.name, want.name, row)
        elif texts := self._mentioned_in(f):
            conds = [f"mentions(query.{f.name}, {', '.join(texts)})"]
        if conds and f.ftype.name == "optional":
            return [f"(query.{f.name} is None or {' and '.join(conds)})"]
        return conds

    def bound(self, name: str) -> tuple[str, str, str] | None:
        """How a date/datetime field ``name`` bounds the row's time: (row field, its type, operator). The time
        field is the one the query's name or description mentions (ListRejectedTrips: rejected_at), else the
        first source event's first one; ``since``/``from``/``after`` bound it below, ``until``/``to``/``before``
        above, any other name picks its day."""
        row = dict(self.projection.fields) if self.projection else {}
        times = [(n, t.split(" | ")[0]) for n, t in row.items() if t in ("date | None", "datetime | None")]
        if not times or name in row:
            return None
        words = set(names.words(self.raw)) | set(names.words(self.entity.description))
        field, ftype = next(((n, t) for n, t in times if n.split("_")[0] in words), times[0])
        parts = set(name.split("_"))
        return field, ftype, ">=" if parts & _LOWER_WORDS else "<=" if parts & _UPPER_WORDS else "=="

    def _time_condition(self, name: str, kind: str, row: dict[str, str]) -> list[str]:
        found = self.bound(name)
        if found is None:
            return []
        field, ftype, op = found
        lhs, rhs = f"row.{field}", f"query.{name}"
        if ftype == "datetime" and kind == "date":
            lhs += ".date()"
        elif ftype == "date" and kind == "datetime":
            rhs += ".date()"
        return [f"row.{field} is not None", f"{lhs} {op} {rhs}"]


_LOWER_WORDS = {"since", "from", "after", "start", "starting", "begin"}
_UPPER_WORDS = {"until", "till", "to", "before", "by", "end", "ending"}
_TEXT_WORDS = {"text", "search", "q", "term", "contains", "containing"}


# -- scenarios ------------------------------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class ScenarioV:
    j: JourneyV
    entity: Scenario

    @property
    def raw(self) -> str:
        return self.entity.name

    @property
    def test(self) -> str:
        return self.j.names.scenarios[self.entity]

    @property
    def doc(self) -> UnsafeText:
        return UnsafeText(self.entity.name)

    @property
    def aggregate(self) -> AggregateV:
        return self.j.aggregate(self.entity.aggregate)

    @property
    def command(self) -> CommandV:
        return self.j.command(self.entity.when.command)

    @cached_property
    def given(self) -> tuple[StepV, ...]:
        return tuple(self._step(g) for g in self.entity.given)

    @cached_property
    def when(self) -> tuple[ValueV, ...]:
        return _values(self.command.fields, self.entity.when)

    @property
    def rejection(self) -> str | None:
        """The words of the message a business rule rejects the command with (None: events, or the lifecycle)."""
        return self.entity.rejection

    @cached_property
    def then(self) -> tuple[StepV, ...] | None:
        """The expected events, with the values the scenario wrote (a rule's value is marked, not compared)."""
        if self.entity.then is None:
            return None
        steps = []
        for occ in self.entity.then:
            step = self._step(occ)
            emit = next((e for e in self.command.emits if e.event is step.event), None)
            from_rules = {v.field.name for v in emit.values if v.hook is not None} if emit else set()
            values = tuple(
                ValueV(v.field, v.expr, by_rule=v.field.name in from_rules, names=v.names)
                for v in step.values
                if v.field.raw in occ.values
            )
            steps.append(StepV(step.event, values))
        return tuple(steps)

    @property
    def names_class(self) -> bool:
        """Whether its test names the aggregate's class (``cls``): to record the given events on an existing
        aggregate, or to check the expected events' values."""
        checks = self.then is not None and any(t.values for t in self.then)
        return checks or (not self.command.creates and bool(self.given))

    @property
    def asks_logic(self) -> bool:
        """Whether its test asks if rules.py holds logic yet (esp_runtime's has_logic): an expected value a rule
        gives, or a rejection only a rule of rules.py makes."""
        if self.then is None:
            return self.rejection is not None
        return any(v.by_rule for t in self.then for v in t.values)

    @property
    def stdlib(self) -> frozenset[str]:
        """The standard-library names its test reads: Literal (and Sequence) where it picks the events with the
        choice rule, uuid4 where it creates the aggregate from a given event, and its values'."""
        c = self.command
        found = {"Literal"} | ({"Sequence"} if not c.creates else set()) if self.chooses else set()
        values = list(self.when)
        if not c.creates:
            found |= {"uuid4"} if self.given and self.given[0].event.creation else set()
            assert c.id_field is not None
            values = [v for st in self.given for v in st.values] + [
                v for v in values if v.field.name != c.id_field.name
            ]
        values += [v for t in self.then or () for v in t.values]
        return frozenset(found).union(*(v.names for v in values))

    @property
    def chooses(self) -> bool:
        """Whether its test makes the choice rule pick the events it expects (the default rules pick others)."""
        return not self.default_matches and self.command.choice_hook is not None

    @property
    def xfails(self) -> bool:
        """Whether its test is expected to fail until rules.py is written: the default rules record other events
        and no choice rule lets the test pick the scenario's."""
        return not self.default_matches and not self.command.choice_hook

    @property
    def default_matches(self) -> bool:
        """Whether the default rules record the expected events."""
        if self.then is None:
            return True
        cv = self.command
        expected = [cv.emits[0].event.cls] if cv.choice_hook else [e.event.cls for e in cv.emits]
        return [t.event.cls for t in self.then] == expected

    def _step(self, occ: Given) -> StepV:
        ev = self.j.event(occ.event)
        return StepV(ev, _values(ev.fields, occ))


def _values(fields: tuple[FieldV, ...], occ: Given | When) -> tuple[ValueV, ...]:
    """Every field's value: as written, else None for an optional field, else an example."""
    values = []
    for f in fields:
        if f.raw in occ.values:
            value = occ.values[f.raw]
            values.append(ValueV(f, literal(value, f.ftype), names=literal_names(value, f.ftype)))
        elif f.ftype.name == "optional":
            values.append(ValueV(f, "None"))
        else:
            values.append(ValueV(f, f.sample, names=sample_names(f.ftype)))
    return tuple(values)


# -- timers ------------------------------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class TimerV:
    j: JourneyV
    entity: Timer
    aggregate: AggregateV

    @property
    def raw(self) -> str:
        return self.entity.name

    @property
    def doc(self) -> UnsafeText:
        return UnsafeText(self.entity.description)

    @property
    def key(self) -> str:
        """Its name at run time (in the records of its firings): unique in the microservice."""
        return f"{self.aggregate.entity.name}/{self.entity.name}"

    @property
    def state(self) -> str:
        return self.entity.state

    @property
    def after_ms(self) -> int:
        assert self.entity.after_ms, f"timer {self.raw}: 'after' is not a duration (E210)"
        return self.entity.after_ms

    @property
    def command(self) -> CommandV:
        return self.j.command(self.entity.command)

    @property
    def unless(self) -> list[EventV]:
        return [self.j.event(e) for e in self.entity.unless]

    @property
    def arms(self) -> list[EventV]:
        """The events that start it: those that enter its state (an 'unless' event stops it instead)."""
        return [e for e in self.aggregate.events if e.enters == self.state and e.entity not in self.entity.unless]

    @property
    def cancels(self) -> list[EventV]:
        """The events that stop it: those that leave its state, and its 'unless' events."""
        leaving = [e for e in self.aggregate.events if e.enters and e.enters != self.state]
        return [*leaving, *(e for e in self.unless if e not in leaving)]

    @property
    def returns(self) -> list[EventV]:
        """The undos ('enters: previous'): they start it again when the state they return to is its state, and
        stop it otherwise (an 'unless' event stops it always)."""
        return [e for e in self.aggregate.events if e.enters_previous and e.entity not in self.entity.unless]

    @property
    def undo(self) -> tuple[EventV, str] | None:
        """An undo a generated test returns the aggregate into its state with, and the state it undoes from:
        the test's builder puts the aggregate in that state straight from the one its creation enters, so
        when that is the timer's state, the undo returns there (None: no such undo)."""
        a = self.aggregate
        created = a.creators[0].first_emit.event.enters if a.creators else None
        if created != self.state:
            return None
        for event in self.returns:
            for command in a.commands:
                if command.creates or not any(e.event is event for e in command.emits):
                    continue
                for state in command.allowed or tuple(a.reachable):
                    entering = a.entering(state)
                    if state != self.state and entering is not None and not entering.creation:
                        return event, state
        return None

    @property
    def stopper(self) -> EventV | None:
        """The event a generated test stops it with: its first 'unless' event, else one that leaves the state
        (never one that creates the aggregate)."""
        return next((e for e in self.unless or self.cancels or self.returns if not e.creation), None)

    @property
    def chained(self) -> bool:
        """Whether its command may start another timer of the aggregate (then a later tick may go off again): it
        enters a timer's state, or undoes back to what may be one."""
        states = {e.event.enters for e in self.command.emits}
        undoes = any(e.event.enters_previous for e in self.command.emits)
        return any(undoes or t.state in states for t in self.aggregate.timers)

    @property
    def values(self) -> list[tuple[str, str]]:
        """The command's fields: the aggregate's id, and None for its optional fields (E215 allows no others)."""
        cmd = self.command
        assert cmd.id_field is not None, f"timer {self.raw}: {cmd.raw} creates its aggregate (E213)"
        return [(f.name, "aggregate_id" if f is cmd.id_field else "None") for f in cmd.all_fields]

    @property
    def method(self) -> str:
        """The application's method that issues its command: numbered where another aggregate of the
        microservice has a timer of that name."""
        ident = names.snake(self.raw)
        same = [t.entity for t in self.aggregate.microservice.timers if names.snake(t.raw) == ident]
        name = f"_timer__{ident}"  # "__": no command's handler has it (snake names have single underscores)
        return f"{name}_{same.index(self.entity) + 1}" if len(same) > 1 else name

    @property
    def tests(self) -> TimerNames:
        return self.j.names.timers[self.entity]
