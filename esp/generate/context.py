"""The view of a Model that the templates render: every name resolved and checked.

Templates never compute names or read the Model directly: each object here
carries the Python identifiers (from :mod:`esp.names`, checked by ``ident``),
the annotations and the value expressions its template prints, and journey
text only as :class:`~esp.generate.text.UnsafeText`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import PurePath
from typing import Any

from esp import names
from esp.generate.text import GenerateError, UnsafeText, default, ident, literal, py_type, sample
from esp.model import (
    Aggregate,
    Command,
    Field,
    FieldType,
    Given,
    Listener,
    Microservice,
    Model,
    Process,
    Projection,
    Query,
    Scenario,
    When,
)

# Names the runtime gives aggregates, applications and events: a journey name
# that becomes one of them would break the class, so it is refused.
AGGREGATE_ATTRIBUTES = frozenset(
    {
        "id",
        "version",
        "state",
        "created_on",
        "modified_on",
        "pending_events",
        "collect_events",
        "trigger_event",
        "apply",
        "create_id",
        "rules",
    }
)
NESTED_CLASSES = frozenset({"Event", "Created", "Snapshot"})
APPLICATION_ATTRIBUTES = frozenset(
    {
        "name",
        "env",
        "save",
        "close",
        "policy",
        "repository",
        "events",
        "snapshots",
        "mapper",
        "recorder",
        "factory",
        "log",
        "notification_log",
        "take_snapshot",
        "follow",
        "lead",
        "pull_and_process",
        "process_event",
        "rules",
        "construct_env",
        "notify",
        "topics",
        "readers",
        "mappers",
        "followers",
        "is_snapshotting_enabled",
        "snapshotting_intervals",
    }
)
# Modules of the generated package and members of its system class.
PACKAGE_MODULES = frozenset({"runtime", "system", "journey", "testing", "tests", "saga", "sagas", "deploy"})
SYSTEM_MEMBERS = frozenset({"runner", "services", "catch_up", "positions", "recorded", "close"})
MODULE_NAMES = frozenset({"Decimal", "UUID", "date", "datetime", "UTC", "Aggregate", "Any", "Literal"})


@dataclass(frozen=True)
class FieldV:
    name: str  # the Python attribute
    raw: str  # as written in the journey
    type: str
    ftype: FieldType
    default: str
    sample: str


def field_v(f: Field) -> FieldV:
    return field_of(f.name, f.type)


def field_of(raw: str, ftype: FieldType) -> FieldV:
    name = ident(names.field_name(raw))
    return FieldV(name, raw, py_type(ftype), ftype, default(ftype), sample(ftype, names.human(raw)))


@dataclass
class ValueV:
    """One keyword argument: ``field=expr``."""

    field: FieldV
    expr: str
    by_rule: bool = False  # the value comes from a rule (hooks), not from the command


@dataclass
class HookV:
    """A business rule the generated code asks for, with its default body."""

    method: str
    doc: str
    params: str  # after self
    returns: str
    body: list[str]


@dataclass
class EventV:
    cls: str
    raw: str
    doc: UnsafeText
    fields: list[FieldV]
    integration: bool
    version: int
    enters: str | None
    creation: bool = False
    aggregate: AggregateV | None = None

    @property
    def snake(self) -> str:
        return ident(names.module_name(self.cls))

    @property
    def service(self) -> MicroserviceV:
        assert self.aggregate is not None and self.aggregate.microservice is not None
        return self.aggregate.microservice


@dataclass
class EmitV:
    """An event a command method triggers, with the source of each value."""

    event: EventV
    values: list[ValueV]


@dataclass
class CommandV:
    cls: str
    method: str
    raw: str
    doc: UnsafeText
    fields: list[FieldV]  # the command's own fields
    creates: bool
    allowed: tuple[str, ...]
    aggregate: AggregateV
    id_field: FieldV | None = None  # the target aggregate's id (not for creating commands)
    emits: list[EmitV] = field(default_factory=list)
    choice_hook: str | None = None  # the rule choosing which events to emit
    choices: list[str] = field(default_factory=list)

    @property
    def choice_type(self) -> str:
        """What the choice hook returns: one event name for a creating command, a sequence otherwise."""
        options = "Literal[" + ", ".join(f'"{c}"' for c in self.choices) + "]"
        return options if self.creates else f"Sequence[{options}]"

    @property
    def all_fields(self) -> list[FieldV]:
        return ([self.id_field] if self.id_field and self.id_field not in self.fields else []) + self.fields

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
    def later_emits(self) -> list[EmitV]:
        """The events recorded on an existing aggregate (a creating command's one event creates it)."""
        return [] if self.creates else self.emits


@dataclass
class AggregateV:
    cls: str
    raw: str
    doc: UnsafeText
    identity: FieldV
    states: tuple[str, ...]
    snapshot_every: int
    attributes: list[tuple[str, str]] = field(default_factory=list)  # (name, annotation)
    events: list[EventV] = field(default_factory=list)
    commands: list[CommandV] = field(default_factory=list)
    microservice: MicroserviceV | None = None

    @property
    def snake(self) -> str:
        return ident(names.module_name(self.cls))

    @property
    def reachable(self) -> list[str]:
        """The states some event enters (a test can put the aggregate there)."""
        return [s for s in self.states if self.entering(s) is not None]

    @property
    def getter(self) -> str:
        return ident("get_" + names.snake(self.cls))

    @property
    def creators(self) -> list[CommandV]:
        return [c for c in self.commands if c.creates]

    def entering(self, state: str) -> EventV | None:
        return next((e for e in self.events if e.enters == state), None)


@dataclass
class ListenerV:
    method: str  # the application method that builds and runs the command
    on: EventV
    command: CommandV
    values: list[ValueV]  # command field = expression over ``domain_event``
    target: str | None  # expression for the target aggregate's id (None: creates)
    doc: UnsafeText
    source: MicroserviceV | None = None


@dataclass
class QueryV:
    module: str  # the microservice whose commands module holds it
    cls: str
    method: str
    raw: str
    doc: UnsafeText
    fields: list[FieldV]
    filters: list[FieldV]  # the fields that select rows of the read model
    projection: ProjectionV | None
    source: Query | None = None


@dataclass
class ProjectionV:
    cls: str
    row: str
    attr: str  # the facade's attribute holding it
    raw: str
    doc: UnsafeText
    fields: list[tuple[str, str]]  # (name, annotation) of the row
    sources: list[EventV]
    microservice: MicroserviceV
    apps: list[MicroserviceV] = field(default_factory=list)  # whose logs it reads


@dataclass
class MicroserviceV:
    module: str
    cls: str  # the Application class
    attr: str  # the facade's attribute holding it
    raw: str
    doc: UnsafeText
    aggregates: list[AggregateV] = field(default_factory=list)
    listeners: list[ListenerV] = field(default_factory=list)
    projections: list[ProjectionV] = field(default_factory=list)
    queries: list[QueryV] = field(default_factory=list)
    hooks: list[HookV] = field(default_factory=list)
    saga_part: Any = None  # what it does for sagas (esp.generate.saga.SagaPartV), if anything

    @property
    def commands(self) -> list[CommandV]:
        return [c for a in self.aggregates for c in a.commands]

    @property
    def events(self) -> list[EventV]:
        return [e for a in self.aggregates for e in a.events]

    @property
    def integration_events(self) -> list[EventV]:
        return [e for e in self.events if e.integration]

    def ref(self, ev: EventV) -> str:
        """How this service's modules name an event class (others' through their module alias)."""
        assert ev.aggregate is not None
        prefix = "aggregates" if ev.service is self else f"{ev.service.module}_aggregates"
        return f"{prefix}.{ev.aggregate.cls}.{ev.cls}"

    @property
    def needs_require(self) -> bool:
        return any(c.allowed for c in self.commands)

    @property
    def heard(self) -> list[tuple[EventV, list[ListenerV]]]:
        """Each event this service's listeners hear, with the listeners."""
        by_event: dict[int, tuple[EventV, list[ListenerV]]] = {}
        for li in self.listeners:
            by_event.setdefault(id(li.on), (li.on, []))[1].append(li)
        return list(by_event.values())

    @property
    def leaders(self) -> list[MicroserviceV]:
        seen: dict[str, MicroserviceV] = {}
        for li in self.listeners:
            if li.source is not None:
                seen.setdefault(li.source.module, li.source)
        return list(seen.values())

    @property
    def uses(self) -> set[str]:
        """The type names its modules need to import."""
        text = " ".join(t for a in self.aggregates for _, t in a.attributes)
        text += " " + " ".join(f.type + " " + f.default for c in self.commands for f in c.all_fields)
        text += " " + " ".join(f.type for e in self.events for f in e.fields)
        return {n for n in ("Decimal", "UUID", "date", "datetime") if n in text}


@dataclass
class StepV:
    """A given event of a scenario."""

    event: EventV
    values: list[ValueV]


@dataclass
class ScenarioV:
    test: str
    raw: str
    doc: UnsafeText
    aggregate: AggregateV
    given: list[StepV]
    command: CommandV
    when: list[ValueV]
    then: list[StepV] | None
    default_matches: bool  # whether the default rules emit the expected events


@dataclass
class ActionV:
    """A step of the journey player: a command, a query, or a command a listener issues."""

    kind: str  # "command" | "query"
    c: CommandV | None = None
    q: QueryV | None = None
    listener: ListenerV | None = None


@dataclass
class ProcessV:
    raw: str
    actions: list[ActionV]


@dataclass
class JourneyV:
    package: str
    cls: str
    title: str  # the model's name, plain text
    doc: UnsafeText
    files: list[str]
    microservices: list[MicroserviceV]
    scenarios: list[ScenarioV]
    sagas: list[str]  # names of the sagas not generated yet
    processes: list[ProcessV]  # in journey order, for the player
    saga_views: list[Any] = field(default_factory=list)  # esp.generate.saga.SagaV, one per saga
    deploy: Any = None  # esp.generate.deploy.DeployV: its processes and HTTP APIs

    @property
    def aggregates(self) -> list[AggregateV]:
        return [a for m in self.microservices for a in m.aggregates]

    @property
    def listeners(self) -> list[ListenerV]:
        return [li for m in self.microservices for li in m.listeners]

    @property
    def projections(self) -> list[ProjectionV]:
        return [p for m in self.microservices for p in m.projections]

    @property
    def queries(self) -> list[QueryV]:
        return [q for m in self.microservices for q in m.queries]


def _unique(kind: str, idents: Iterable[str]) -> None:
    seen: set[str] = set()
    for name in idents:
        if name in seen:
            raise GenerateError(f"two {kind} become the same Python name {name!r}", "rename one of them")
        seen.add(name)


def _refuse(kind: str, name: str, reserved: frozenset[str], raw: str) -> str:
    if name in reserved:
        raise GenerateError(
            f"{kind} {raw!r} becomes {name!r}, which the generated code already uses", "rename it in the journey"
        )
    return name


class _Builder:
    def __init__(self, model: Model, package: str) -> None:
        self.model = model
        self.package = ident(package)
        self.events: dict[int, EventV] = {}
        self.commands: dict[int, CommandV] = {}
        self.aggregates: dict[int, AggregateV] = {}
        self.services: dict[int, MicroserviceV] = {}
        self.projections: dict[int, ProjectionV] = {}
        self._hooks: dict[str, dict[str, object]] = {}

    def run(self) -> JourneyV:
        model = self.model
        services = [self.microservice(ms) for ms in model.microservices]
        _unique("microservices", (s.module for s in services))
        for svc in services:
            _refuse("microservice", svc.module, PACKAGE_MODULES | SYSTEM_MEMBERS, svc.raw)
        _unique("applications", (s.cls for s in services))
        for ms in model.microservices:
            for agg in model.aggregates_in(ms):
                self.fill_aggregate(agg)
        for ms in model.microservices:
            for agg in model.aggregates_in(ms):
                for cmd in model.commands_of(agg):
                    self.fill_command(cmd)
        for pr in model.projections:
            self.projection(pr)
        for query in model.queries:
            self.query(query)
        for li in model.listeners:
            self.listener(li)
        for svc in services:
            svc.hooks = self.hooks(svc)
            _unique("rules", (h.method for h in svc.hooks))
            _unique(
                "methods of " + svc.cls,
                [c.method for c in svc.commands]
                + [li.method for li in svc.listeners]
                + [a.getter for a in svc.aggregates]
                + [f"_{c.method}" for c in svc.commands],
            )
        _unique(
            "microservices, read models and queries",
            [s.attr for s in services]
            + [p.attr for s in services for p in s.projections]
            + [q.method for s in services for q in s.queries if q.projection],
        )
        for name in [p.attr for s in services for p in s.projections] + [q.method for s in services for q in s.queries]:
            _refuse("read model or query", name, SYSTEM_MEMBERS, name)
        scenarios = [self.scenario(s) for s in model.scenarios]
        _dedupe_tests(scenarios)
        title = model.name
        return JourneyV(
            self.package,
            ident(names.class_name(title)),
            title,
            UnsafeText("\n\n".join(j.description for j in model.journeys if j.description)),
            sorted({PurePath(j.file).name for j in model.journeys}),
            services,
            scenarios,
            [s.name for s in model.sagas],
            [self.process_v(p, services) for p in model.processes],
        )

    def process_v(self, process: Process, services: list[MicroserviceV]) -> ProcessV:
        actions = []
        creating = {id(li.command): li for s in services for li in s.listeners if li.command.creates}
        for action in process.actions:
            if isinstance(action, Command) and id(action) in self.commands:
                cv = self.commands[id(action)]
                actions.append(ActionV("command", c=cv, listener=creating.get(id(cv))))
            elif isinstance(action, Query):
                qv = next((q for s in services for q in s.queries if q.source is action), None)
                if qv is not None and qv.projection is not None:
                    actions.append(ActionV("query", q=qv))
        return ProcessV(process.name, actions)

    # -- structure ---------------------------------------------------------------

    def microservice(self, ms: Microservice) -> MicroserviceV:
        module = ident(names.module_name(ms.name))
        svc = MicroserviceV(
            module,
            ident(names.class_name(ms.name) + "Service"),
            module,
            ms.name,
            UnsafeText(ms.description),
        )
        self.services[id(ms)] = svc
        for agg in self.model.aggregates_in(ms):
            cls = _refuse("aggregate", ident(names.class_name(agg.name)), MODULE_NAMES, agg.name)
            identity = field_of(agg.identity, FieldType("uuid"))
            aggv = AggregateV(cls, agg.name, UnsafeText(agg.description), identity, agg.states, agg.snapshot_every)
            aggv.microservice = svc
            svc.aggregates.append(aggv)
            self.aggregates[id(agg)] = aggv
        return svc

    def fill_aggregate(self, agg: Aggregate) -> None:
        aggv = self.aggregates[id(agg)]
        # A creating command's events are alternatives: whichever a rule picks creates the aggregate.
        creation = {e for c in self.model.creators_of(agg) for e in c.emits}
        for event in self.model.events_of(agg):
            cls = _refuse("event", ident(names.class_name(event.name)), NESTED_CLASSES | MODULE_NAMES, event.name)
            fields = [field_v(f) for f in event.fields]
            ev = EventV(
                cls,
                event.name,
                UnsafeText(event.description),
                fields,
                event.integration,
                event.version,
                event.enters,
                event in creation,
                aggv,
            )
            self.events[id(event)] = ev
            aggv.events.append(ev)
        _unique(f"events of {agg.name}", (e.cls for e in aggv.events))
        types: dict[str, list[str]] = {}
        for ev in aggv.events:
            for f in ev.fields:
                _refuse("field", f.name, AGGREGATE_ATTRIBUTES, f.raw)
                known = types.setdefault(f.name, [])
                if f.type not in known:
                    known.append(f.type)
        aggv.attributes = [(name, _union([*ts, "None"])) for name, ts in types.items()]
        for cmd in self.model.commands_of(agg):
            method = _refuse(
                "command", ident(names.module_name(cmd.name)), AGGREGATE_ATTRIBUTES | APPLICATION_ATTRIBUTES, cmd.name
            )
            if method in types:
                raise GenerateError(f"command {cmd.name!r} and a field of {agg.name!r} both become {method!r}")
            fields = [field_v(f) for f in cmd.fields]
            cv = CommandV(
                ident(names.class_name(cmd.name)),
                method,
                cmd.name,
                UnsafeText(cmd.description),
                fields,
                cmd.creates,
                cmd.allowed_in,
                aggv,
            )
            if not cmd.creates:
                own = next((f for f in fields if f.name == aggv.identity.name), None)
                if own is not None and own.type != "UUID":
                    raise GenerateError(
                        f"command {cmd.name!r} has a field {own.raw!r} of type {own.type}, "
                        f"but that name is the id (a UUID) of {agg.name!r}"
                    )
                cv.id_field = own or aggv.identity
            self.commands[id(cmd)] = cv
            aggv.commands.append(cv)

    def fill_command(self, cmd: Command) -> None:
        cv = self.commands[id(cmd)]
        aggv = cv.aggregate
        emitted = [self.events[id(e)] for e in cmd.emits if id(e) in self.events]
        if not emitted:
            raise GenerateError(f"command {cmd.name!r} emits no event of its aggregate {aggv.raw!r}")
        if cmd.creates and not emitted[0].creation:
            raise GenerateError(f"command {cmd.name!r} creates, but its first event is not its aggregate's creation")
        by_name = {f.name: f for f in cv.fields}
        attrs = dict(aggv.attributes)
        for ev in emitted:
            values = []
            for f in ev.fields:
                source = by_name.get(f.name)
                if source is not None and source.type == f.type:
                    values.append(ValueV(f, f"command.{f.name}"))
                    continue
                hook = ident(f"{names.snake(ev.cls)}_{f.name}")
                values.append(ValueV(f, f"rules.{hook}" + ("(command)" if ev.creation else "(self, command)")))
                self._want_hook(aggv, ev, f, hook, cv, attrs)
            cv.emits.append(EmitV(ev, values))
        if len(emitted) > 1:
            cv.choice_hook = ident(f"{cv.method}_emits")
            cv.choices = [e.cls for e in emitted]

    def _want_hook(
        self, aggv: AggregateV, ev: EventV, f: FieldV, hook: str, cv: CommandV, attrs: Mapping[str, str]
    ) -> None:
        wanted = self._hooks.setdefault(hook, {"event": ev, "field": f, "commands": [], "aggregate": aggv})
        commands: list[CommandV] = wanted["commands"]  # type: ignore[assignment]
        if cv not in commands:
            commands.append(cv)
        wanted["from_state"] = attrs.get(f.name) == _union([f.type, "None"]) and not ev.creation

    def hooks(self, svc: MicroserviceV) -> list[HookV]:
        result = []
        for cv in svc.commands:
            if cv.choice_hook and cv.creates:
                result.append(
                    HookV(
                        cv.choice_hook,
                        f"Which of {', '.join(cv.choices)} {cv.cls} records: the one event that creates the "
                        "aggregate (default: the first).",
                        f"command: commands.{cv.cls}",
                        cv.choice_type,
                        [f'return "{cv.choices[0]}"'],
                    )
                )
            elif cv.choice_hook:
                result.append(
                    HookV(
                        cv.choice_hook,
                        f"Which of {', '.join(cv.choices)} {cv.cls} emits (default: the first).",
                        f"aggregate: aggregates.{cv.aggregate.cls}, command: commands.{cv.cls}",
                        cv.choice_type,
                        [f'return ("{cv.choices[0]}",)'],
                    )
                )
        for hook, wanted in self._hooks.items():
            aggv: AggregateV = wanted["aggregate"]  # type: ignore[assignment]
            if aggv.microservice is not svc:
                continue
            ev: EventV = wanted["event"]  # type: ignore[assignment]
            f: FieldV = wanted["field"]  # type: ignore[assignment]
            commands: list[CommandV] = wanted["commands"]  # type: ignore[assignment]
            ctype = " | ".join(f"commands.{c.cls}" for c in commands)
            params = f"command: {ctype}" if ev.creation else f"aggregate: aggregates.{aggv.cls}, command: {ctype}"
            if wanted.get("from_state"):
                body = [f"if aggregate.{f.name} is not None:", f"    return aggregate.{f.name}", f"return {f.default}"]
                doc = f"The {f.raw} of {ev.cls} (default: the aggregate's current {f.raw}, else {f.default})."
            else:
                body = [f"return {f.default}"]
                doc = f"The {f.raw} of {ev.cls}, which the command does not carry (default: {f.default})."
            result.append(HookV(hook, doc, params, f.type, body))
        return sorted(result, key=lambda h: h.method)

    def projection(self, pr: Projection) -> None:
        svc = self.services[id(pr.microservice)]
        cls = ident(names.class_name(pr.name))
        sources = [self.events[id(e)] for e in pr.sources if id(e) in self.events]
        types: dict[str, list[str]] = {}
        for ev in sources:
            for f in ev.fields:
                if f.name in ("id", "state", "version"):
                    continue
                known = types.setdefault(f.name, [])
                if f.type not in known:
                    known.append(f.type)
        fields = [(name, _union([*ts, "None"])) for name, ts in types.items()]
        apps: dict[str, MicroserviceV] = {}
        for ev in sources:
            assert ev.aggregate is not None and ev.aggregate.microservice is not None
            apps.setdefault(ev.aggregate.microservice.module, ev.aggregate.microservice)
        pv = ProjectionV(
            cls,
            ident(cls + "Row"),
            ident(names.module_name(pr.name)),
            pr.name,
            UnsafeText(pr.description),
            fields,
            sources,
            svc,
            list(apps.values()),
        )
        self.projections[id(pr)] = pv
        svc.projections.append(pv)

    def query(self, query: Query) -> None:
        svc = self.services[id(query.microservice)]
        fields = [field_v(f) for f in query.fields]
        pv = self.projections.get(id(query.projection)) if query.projection is not None else None
        row = dict(pv.fields) if pv else {}
        filters = [f for f in fields if row.get(f.name) == _union([f.type, "None"])]
        svc.queries.append(
            QueryV(
                svc.module,
                ident(names.class_name(query.name)),
                ident(names.module_name(query.name)),
                query.name,
                UnsafeText(query.description),
                fields,
                filters,
                pv,
                query,
            )
        )

    def listener(self, li: Listener) -> None:
        svc = self.services[id(li.microservice)]
        cv = self.commands.get(id(li.command))
        on = self.events.get(id(li.on))
        if cv is None or on is None or on.aggregate is None:
            return
        mapping = dict(li.mapping)
        event_fields = {f.raw: f for f in on.fields}
        source_identity = on.aggregate.identity
        values = []
        for f in cv.fields:
            expr = self._event_value(mapping.get(f.raw, f.raw), f, event_fields, source_identity)
            if expr is None:
                if f.ftype.name != "optional":
                    raise GenerateError(f"the listener on {li.on.name!r} cannot fill {f.raw!r} of {cv.raw!r}")
                expr = "None"
            values.append(ValueV(f, expr))
        target = None
        if not cv.creates:
            key = li.target or cv.aggregate.identity.raw
            target = self._event_value(key, cv.aggregate.identity, event_fields, source_identity)
            if target is None:
                raise GenerateError(f"the listener on {li.on.name!r} cannot tell which {cv.aggregate.raw} to command")
        svc.listeners.append(
            ListenerV(
                ident(f"_{cv.method}_on_{names.snake(on.cls)}"),
                on,
                cv,
                values,
                target,
                UnsafeText(li.description),
                on.aggregate.microservice,
            )
        )

    @staticmethod
    def _event_value(raw: str, want: FieldV, event_fields: Mapping[str, FieldV], identity: FieldV) -> str | None:
        f = event_fields.get(raw)
        if f is not None:
            if f.type == want.type or want.type == _union([f.type, "None"]):
                return f"domain_event.{f.name}"
            if want.type == "str":
                return f"str(domain_event.{f.name})"
            raise GenerateError(f"event field {raw!r} is a {f.type}, but {want.raw!r} needs a {want.type}")
        if raw == identity.raw and want.type in ("UUID", "UUID | None"):
            return "domain_event.originator_id"
        return None

    # -- scenarios -----------------------------------------------------------------

    def scenario(self, s: Scenario) -> ScenarioV:
        aggv = self.aggregates[id(s.aggregate)]
        cv = self.commands[id(s.when.command)]
        given = [self.step(o) for o in s.given]
        then = None if s.then is None else [self.step(o) for o in s.then]
        for step in then or []:
            emit = next((e for e in cv.emits if e.event is step.event), None)
            from_rules = {v.field.name for v in emit.values if v.expr.startswith("rules.")} if emit else set()
            step.values = [
                ValueV(v.field, v.expr, v.field.name in from_rules)
                for v in step.values
                if v.field.raw in _given(s, step)
            ]
        default = [cv.emits[0].event.cls] if cv.choice_hook else None
        expected = [e.event.cls for e in cv.emits] if default is None else default
        matches = then is None or [t.event.cls for t in then] == expected
        when = _values(cv.fields, s.when)
        return ScenarioV(
            ident("test_" + (names.snake(s.name) or "scenario")),
            s.name,
            UnsafeText(s.name),
            aggv,
            given,
            cv,
            when,
            then,
            matches,
        )

    def step(self, occ: Given) -> StepV:
        ev = self.events[id(occ.event)]
        return StepV(ev, _values(ev.fields, occ))


def _given(s: Scenario, step: StepV) -> set[str]:
    """The field names a scenario wrote for a then-event (the others are not compared)."""
    occ = next((o for o in s.then or () if o.event.name == step.event.raw), None)
    return set(occ.values) if occ else set()


def _values(fields: list[FieldV], occ: Given | When) -> list[ValueV]:
    """Every field's value: as written, else None for an optional field, else an example."""
    values = []
    for f in fields:
        if f.raw in occ.values:
            values.append(ValueV(f, literal(occ.values[f.raw], f.ftype)))
        else:
            values.append(ValueV(f, "None" if f.ftype.name == "optional" else f.sample))
    return values


def _dedupe_tests(scenarios: list[ScenarioV]) -> None:
    seen: dict[str, int] = {}
    for s in scenarios:
        n = seen.get(s.test, 0) + 1
        seen[s.test] = n
        if n > 1:
            s.test = ident(f"{s.test}_{n}")


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


def build(model: Model, package: str) -> JourneyV:
    """The template view of ``model``, rendered as the Python package ``package``."""
    return _Builder(model, package).run()
