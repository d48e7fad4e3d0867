"""Compare two built Models and classify every change.

What a change can break is decided by what outlives a deployment:

- stored events: each is stored under its class's module path with its fields,
  so a change to an event's fields needs an upcaster (esp generates it from the
  event's ``history``), and moving, renaming or removing an event class leaves
  stored events that no longer load;
- integration events' consumers: other teams read the JSON form; what they may
  rely on is the event's ``compatibility`` promise;
- stored aggregates and saga runs: a state or saga step that stored ones may be
  in must not disappear;
- the index of an aggregate's keys (esp_runtime.index): it is kept as events are
  recorded, so a key added to an aggregate with stored events, or made unique or
  many, leaves an index that misses what was recorded before.

Everything else (commands, queries, listeners, projections, processes) is
regenerated with the code and is listed as compatible.
"""

from __future__ import annotations

import enum
from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any, TypeVar

from esp.errors import Location
from esp.model import Aggregate, Command, Event, FieldType, Journey, Listener, Model, Query, Revision, Saga


class Impact(enum.IntEnum):
    """How much a change costs, in increasing order (``--fail-on`` compares them)."""

    COMPATIBLE = 0
    UPCASTER = 1
    BREAKING = 2

    @property
    def label(self) -> str:
        return {0: "compatible", 1: "upcaster", 2: "breaking"}[self.value]


# Every kind of change, with a short title (SARIF rules, docs/evolution.md).
RULES: dict[str, str] = {
    "package-renamed": "generated package renamed",
    "journey-added": "journey added",
    "journey-removed": "journey removed",
    "microservice-added": "microservice added",
    "microservice-removed": "microservice removed",
    "aggregate-added": "aggregate added",
    "aggregate-removed": "aggregate removed",
    "aggregate-moved": "aggregate moved to another microservice",
    "aggregate-changed": "aggregate changed",
    "state-added": "state added",
    "state-removed": "state removed",
    "key-added": "key added to an aggregate",
    "key-removed": "key removed from an aggregate",
    "key-changed": "key made unique or many",
    "process-added": "process added",
    "process-removed": "process removed",
    "process-changed": "process changed",
    "command-added": "command added",
    "command-removed": "command removed",
    "command-changed": "command changed",
    "query-added": "query added",
    "query-removed": "query removed",
    "query-changed": "query changed",
    "event-added": "event added",
    "event-removed": "event removed",
    "event-moved": "event moved to another aggregate",
    "event-published": "domain event made an integration event",
    "event-unpublished": "integration event made a domain event",
    "event-version-raised": "event version raised",
    "event-version-lowered": "event version lowered",
    "event-changed": "event changed",
    "field-added": "event field added with a default",
    "field-added-without-default": "event field added without a default",
    "field-removed": "event field removed",
    "field-renamed": "event field renamed",
    "field-widened": "event field type widened",
    "field-type-changed": "event field type changed",
    "listener-added": "listener added",
    "listener-removed": "listener removed",
    "listener-changed": "listener changed",
    "projection-added": "projection added",
    "projection-removed": "projection removed",
    "projection-changed": "projection changed",
    "saga-added": "saga added",
    "saga-removed": "saga removed",
    "saga-moved": "saga moved to another microservice",
    "saga-steps-changed": "saga steps reordered, inserted or removed",
    "saga-step-added": "saga step appended",
    "saga-changed": "saga changed",
}


@dataclass(frozen=True)
class Change:
    """One difference between the old and the new model, and what it costs."""

    impact: Impact
    rule: str  # a key of RULES
    kind: str  # what changed: "event", "aggregate", ...
    name: str  # which one
    message: str  # what changed, for people
    why: str  # why it costs what it does
    location: Location  # where to look in the new model (or the old one, for what is gone)

    def sort_key(self) -> tuple[int, str, int, int, str, str]:
        loc = self.location
        return (-self.impact, loc.file, loc.line, loc.col, self.kind, self.message)


def compare(old: Model, new: Model) -> list[Change]:
    """Every change from ``old`` to ``new``, most costly first."""
    found = _Comparer(old, new)
    found.run()
    return sorted(found.changes, key=Change.sort_key)


T = TypeVar("T")


def keyed(items: Iterable[T], name: Callable[[T], str], home: Callable[[T], str]) -> dict[str, T]:
    """Items by name; a name used in several microservices is qualified by it there."""
    listed = list(items)
    count = Counter(name(x) for x in listed)
    return {(name(x) if count[name(x)] == 1 else f"{home(x)}.{name(x)}"): x for x in listed}


def _quote(values: Iterable[str]) -> str:
    shown = [f"'{v}'" for v in values]
    return ", ".join(shown) if shown else "none"


def _fields(fields: Iterable[Any]) -> str:
    return "{" + ", ".join(f"{f.name}: {f.type}" for f in fields) + "}"


PROMISE = {
    "full": "consumers of the version before and after both read every message",
    "backward": "new consumers read older messages",
    "forward": "older consumers read new messages",
    "none": "no promise: consumers must upgrade with the publisher",
}


Attributes = Mapping[str, Callable[[Any], str]]  # attribute -> its value as text


@dataclass(frozen=True)
class _Kind:
    """A kind of item nothing stores: each change to one is compatible, for these reasons."""

    name: str
    attrs: Attributes
    added: str
    removed: str
    changed: str


PROCESS = _Kind(
    "process",
    {
        "actor": lambda p: p.actor.name if p.actor else "none",
        "microservice": lambda p: p.microservice.name,
        "aggregate": lambda p: p.aggregate.name if p.aggregate else "none",
    },
    "new",
    "its commands and events are listed on their own",
    "a process is a row of the map; its events are compared on their own",
)
_COMMANDS = "commands are not stored; callers of the generated services send the new form"
COMMAND = _Kind(
    "command",
    {
        "fields": lambda c: _fields(c.fields),
        "emits": lambda c: _quote(e.name for e in c.emits),
        "creates": lambda c: str(c.creates).lower(),
        "allowed_in": lambda c: _quote(c.allowed_in),
        "microservice": lambda c: c.microservice.name,
    },
    _COMMANDS,
    _COMMANDS,
    _COMMANDS,
)
QUERY = _Kind(
    "query",
    {"fields": lambda q: _fields(q.fields), "projection": lambda q: q.projection.name if q.projection else "none"},
    "queries are not stored",
    "queries are not stored",
    "queries are not stored",
)
_LISTENERS = "listeners are regenerated; events already processed are not processed again"
LISTENER = _Kind(
    "listener",
    {
        "map": lambda li: "{" + ", ".join(f"{c}: {e}" for c, e in li.mapping) + "}",
        "target": lambda li: li.target or "none",
    },
    "it hears events recorded from now on",
    _LISTENERS,
    _LISTENERS,
)
PROJECTION = _Kind(
    "projection",
    {"from": lambda p: _quote(e.name for e in p.sources), "in": lambda p: p.microservice.name},
    "a read model is rebuilt from the stored events",
    "nothing reads it any more",
    "a read model is rebuilt from the stored events",
)


def _by_name(items: Iterable[Any]) -> dict[str, Any]:
    return keyed(items, lambda x: x.name, lambda x: x.microservice.name)


@dataclass
class _Comparer:
    old: Model
    new: Model

    def __post_init__(self) -> None:
        self.changes: list[Change] = []
        self.first_file = Location(self.new.journeys[0].file if self.new.journeys else "")

    def add(self, impact: Impact, rule: str, kind: str, name: str, message: str, why: str, loc: Location) -> None:
        assert rule in RULES, rule
        self.changes.append(Change(impact, rule, kind, name, message, why, loc))

    def run(self) -> None:
        self.package()
        self.journeys()
        self.microservices()
        self.aggregates()
        self.processes()
        self.commands()
        self.queries()
        self.events()
        self.listeners()
        self.projections()
        self.sagas()

    # -- where to point at ---------------------------------------------------------

    def near(self, *candidates: Location | None) -> Location:
        """The first known place, else the new model's first file."""
        return next((c for c in candidates if c is not None), self.first_file)

    def where_was(self, item: Any) -> Location | None:
        """Where the process that held a removed command, query or event is in the new model."""
        if not isinstance(item, (Command, Query, Event)):
            return None
        name = self.old.process_of(item).name
        return next((p.loc for p in self.new.processes if p.name == name), None)

    # -- the whole package ---------------------------------------------------------

    def package(self) -> None:
        from esp.generate import package_name

        if not self.old.events or not self.new.events or not self.old.journeys or not self.new.journeys:
            return
        before, after = package_name(self.old), package_name(self.new)
        if before != after:
            self.add(
                Impact.BREAKING,
                "package-renamed",
                "package",
                after,
                f"the generated package is renamed from {before} to {after}",
                "stored events name their class by module (e.g. "
                f"{before}.<microservice>.aggregates): events stored by {before} no longer load",
                self.near(self.new.journeys[0].loc),
            )

    def journeys(self) -> None:
        old = {j.name: j for j in self.old.journeys}
        new = {j.name: j for j in self.new.journeys}
        for name in new.keys() - old.keys():
            self.add(
                Impact.COMPATIBLE,
                "journey-added",
                "journey",
                name,
                "journey added",
                "nothing stored yet",
                new[name].loc,
            )
        for name in old.keys() - new.keys():
            self.add(
                Impact.COMPATIBLE,
                "journey-removed",
                "journey",
                name,
                "journey removed",
                "what it defined is listed below",
                self.near(_same_file(old[name], self.new.journeys)),
            )

    def microservices(self) -> None:
        old = {m.name: m for m in self.old.microservices}
        new = {m.name: m for m in self.new.microservices}
        for name in sorted(new.keys() - old.keys()):
            self.add(
                Impact.COMPATIBLE,
                "microservice-added",
                "microservice",
                name,
                "microservice added",
                "new",
                new[name].loc,
            )
        for name in sorted(old.keys() - new.keys()):
            self.add(
                Impact.COMPATIBLE,
                "microservice-removed",
                "microservice",
                name,
                "microservice removed",
                "its aggregates and events are listed on their own",
                self.near(),
            )

    # -- aggregates and their states -------------------------------------------------

    def aggregates(self) -> None:
        old = keyed(self.old.aggregates, lambda a: a.name, lambda a: a.microservice.name)
        new = keyed(self.new.aggregates, lambda a: a.name, lambda a: a.microservice.name)
        for key in sorted(new.keys() - old.keys()):
            self.add(Impact.COMPATIBLE, "aggregate-added", "aggregate", key, "aggregate added", "new", new[key].loc)
        for key in sorted(old.keys() - new.keys()):
            self.add(
                Impact.BREAKING,
                "aggregate-removed",
                "aggregate",
                key,
                "aggregate removed",
                f"stored {key} aggregates can no longer be loaded",
                self.near(),
            )
        for key in sorted(old.keys() & new.keys()):
            self.aggregate(key, old[key], new[key])

    def aggregate(self, key: str, old: Aggregate, new: Aggregate) -> None:
        if old.microservice.name != new.microservice.name:
            self.add(
                Impact.BREAKING,
                "aggregate-moved",
                "aggregate",
                key,
                f"moved from microservice {old.microservice.name} to {new.microservice.name}",
                "its stored events and snapshots are in the old microservice's store, under its module",
                new.loc,
            )
        for state in new.states:
            if state not in old.states:
                self.add(
                    Impact.COMPATIBLE,
                    "state-added",
                    "aggregate",
                    key,
                    f"state '{state}' added",
                    "no stored aggregate is in it yet",
                    new.at.get(f"state:{state}", new.loc),
                )
        for state in old.states:
            if state not in new.states:
                self.add(
                    Impact.BREAKING,
                    "state-removed",
                    "aggregate",
                    key,
                    f"state '{state}' removed",
                    f"stored {key} aggregates may be in state '{state}', which no command accepts any more",
                    new.at.get("states", new.loc),
                )
        attrs: Attributes = {"identity": lambda a: a.identity, "snapshot_every": lambda a: str(a.snapshot_every)}
        self.changed("aggregate-changed", "aggregate", key, old, new, attrs, "stored events do not hold it")
        self.keys(key, old, new)

    def keys(self, key: str, old: Aggregate, new: Aggregate) -> None:
        """Keys added, removed or made unique or many: what the index already holds no longer fits."""
        before = {k.name: k for k in old.keys}
        rebuild = "until the index is built from their stored events: call the microservice's reindex() once"
        for k in new.keys:
            kind = "unique" if k.unique else "many"
            if k.name not in before:
                why = (
                    f"stored {key} aggregates that recorded a '{k.name}' are in no index: a listener that finds "
                    f"{key} by it misses them {rebuild}"
                )
                self.add(Impact.BREAKING, "key-added", "aggregate", key, f"key '{k.name}' ({kind}) added", why, k.loc)
            elif before[k.name].unique != k.unique:
                why = (
                    "the index holds only the aggregate that recorded a value last"
                    if k.unique is False
                    else "the index holds every aggregate that recorded a value, not the last one only"
                )
                message = f"key '{k.name}' made {kind}"
                self.add(Impact.BREAKING, "key-changed", "aggregate", key, message, f"{why} {rebuild}", k.loc)
        for name in before.keys() - {k.name for k in new.keys}:
            why = "its index is no longer read (its stored entries stay, unused)"
            where = new.at.get("keys", new.loc)
            self.add(Impact.COMPATIBLE, "key-removed", "aggregate", key, f"key '{name}' removed", why, where)

    # -- what is regenerated with the code: processes, commands, queries, listeners, projections

    def changed(
        self, rule: str, kind: str, key: str, old: Any, new: Any, attrs: Attributes, why: str, prefix: str = ""
    ) -> None:
        """One compatible change per attribute whose text differs."""
        for attr, before, after in _attribute_changes(old, new, attrs):
            message = f"{prefix}{attr} changed from {before} to {after}"
            self.add(Impact.COMPATIBLE, rule, kind, key, message, why, new.at.get(attr, new.loc))

    def regenerated(self, kind: _Kind, old: Mapping[str, Any], new: Mapping[str, Any]) -> None:
        """Added, removed and changed items of a kind nothing stores: all compatible."""
        for key in sorted(new.keys() - old.keys()):
            self.add(
                Impact.COMPATIBLE, f"{kind.name}-added", kind.name, key, f"{kind.name} added", kind.added, new[key].loc
            )
        for key in sorted(old.keys() - new.keys()):
            where = self.where_was(old[key])
            message = f"{kind.name} removed"
            self.add(Impact.COMPATIBLE, f"{kind.name}-removed", kind.name, key, message, kind.removed, self.near(where))
        for key in sorted(old.keys() & new.keys()):
            self.changed(f"{kind.name}-changed", kind.name, key, old[key], new[key], kind.attrs, kind.changed)

    def processes(self) -> None:
        self.regenerated(PROCESS, {p.name: p for p in self.old.processes}, {p.name: p for p in self.new.processes})

    def commands(self) -> None:
        self.regenerated(COMMAND, _by_name(self.old.commands), _by_name(self.new.commands))

    def queries(self) -> None:
        self.regenerated(QUERY, _by_name(self.old.queries), _by_name(self.new.queries))

    def listeners(self) -> None:
        def key(model: Model, li: Listener) -> str:  # 'kitchen.X -> ...' where two microservices have an X
            return f"{model.label(li.on)} -> {li.microservice.name}.{li.command.name}"

        old, new = self.old, self.new
        self.regenerated(
            LISTENER, {key(old, li): li for li in old.listeners}, {key(new, li): li for li in new.listeners}
        )

    def projections(self) -> None:
        old, new = self.old.projections, self.new.projections
        self.regenerated(PROJECTION, {p.name: p for p in old}, {p.name: p for p in new})

    # -- events ----------------------------------------------------------------------

    def events(self) -> None:
        old = keyed(self.old.events, lambda e: e.name, lambda e: e.microservice.name)
        new = keyed(self.new.events, lambda e: e.name, lambda e: e.microservice.name)
        for key in sorted(new.keys() - old.keys()):
            self.add(
                Impact.COMPATIBLE,
                "event-added",
                "event",
                key,
                f"{_kind(new[key])} added",
                "nothing stored yet",
                new[key].loc,
            )
        for key in sorted(old.keys() - new.keys()):
            gone = old[key]
            why = f"stored {key} events no longer load: their class is gone"
            if gone.integration:
                why += "; consumers of the integration event stop receiving it"
            where = self.where_was(gone)
            self.add(Impact.BREAKING, "event-removed", "event", key, f"{_kind(gone)} removed", why, self.near(where))
        for key in sorted(old.keys() & new.keys()):
            self.event(key, old[key], new[key])

    def event(self, key: str, old: Event, new: Event) -> None:
        before, after = _home(old), _home(new)
        if before != after:
            self.add(
                Impact.BREAKING,
                "event-moved",
                "event",
                key,
                f"moved from {before} to {after}",
                "stored events name their class by microservice and aggregate: those stored before no longer load",
                new.loc,
            )
        if old.integration and not new.integration:
            self.add(
                Impact.BREAKING,
                "event-unpublished",
                "event",
                key,
                "no longer an integration event",
                "its consumers in other microservices and teams stop receiving it",
                new.at.get("kind", new.loc),
            )
        elif new.integration and not old.integration:
            self.add(
                Impact.COMPATIBLE,
                "event-published",
                "event",
                key,
                "now an integration event",
                "other microservices may now consume it",
                new.at.get("kind", new.loc),
            )
        if new.version < old.version:
            self.add(
                Impact.BREAKING,
                "event-version-lowered",
                "event",
                key,
                f"version lowered from {old.version} to {new.version}",
                f"events stored at version {old.version} cannot be read back to an earlier version",
                new.at.get("version", new.loc),
            )
        elif new.version > old.version and _schema(old.fields) == _schema(new.fields):
            self.add(
                Impact.COMPATIBLE,
                "event-version-raised",
                "event",
                key,
                f"version raised from {old.version} to {new.version}; the fields are the same",
                "older events load unchanged",
                new.at.get("version", new.loc),
            )
        attrs: dict[str, Callable[[Any], str]] = {"enters": lambda e: e.enters or "none"}
        if old.integration and new.integration:
            attrs["compatibility"] = lambda e: e.compatibility
        for attr, was, now in _attribute_changes(old, new, attrs):
            why = (
                f"stored {key} events now put replayed aggregates in '{now}'"
                if attr == "enters"
                else f"the promise now reads: {PROMISE[now]}"
            )
            self.add(
                Impact.COMPATIBLE,
                "event-changed",
                "event",
                key,
                f"{attr} changed from {was} to {now}",
                why,
                new.at.get(attr, new.loc),
            )
        if _schema(old.fields) != _schema(new.fields) and new.version >= old.version:
            for change in FieldChanges(old, new).run():
                self.changes.append(change)

    # -- sagas -----------------------------------------------------------------------

    def sagas(self) -> None:
        old = {s.name: s for s in self.old.sagas}
        new = {s.name: s for s in self.new.sagas}
        for k in sorted(new.keys() - old.keys()):
            self.add(Impact.COMPATIBLE, "saga-added", "saga", k, "saga added", "no run of it is stored yet", new[k].loc)
        for k in sorted(old.keys() - new.keys()):
            self.add(
                Impact.BREAKING,
                "saga-removed",
                "saga",
                k,
                "saga removed",
                "runs in progress, stored in its journal, can no longer finish or compensate",
                self.near(),
            )
        for k in sorted(old.keys() & new.keys()):
            self.saga(k, old[k], new[k])

    def saga(self, key: str, old: Saga, new: Saga) -> None:
        if old.microservice.name != new.microservice.name:
            self.add(
                Impact.BREAKING,
                "saga-moved",
                "saga",
                key,
                f"moved from microservice {old.microservice.name} to {new.microservice.name}",
                "runs in progress are journaled in the old microservice",
                new.at.get("in", new.loc),
            )
        before = [s.name for s in old.steps]
        after = [s.name for s in new.steps]
        if after[: len(before)] == before:
            for name in after[len(before) :]:
                step = new.steps[after.index(name)]
                self.add(
                    Impact.COMPATIBLE,
                    "saga-step-added",
                    "saga",
                    key,
                    f"step '{name}' appended",
                    "runs in progress go on into it",
                    step.loc,
                )
        else:
            self.add(
                Impact.BREAKING,
                "saga-steps-changed",
                "saga",
                key,
                f"steps changed from {_quote(before)} to {_quote(after)}",
                "runs in progress record their step by position: they would resume at another step",
                new.at.get("steps", new.loc),
            )
        attrs: Attributes = {
            "starts_on": lambda s: s.starts_on.name,
            "completes_with": lambda s: s.completes_with.name,
            "aborts_with": lambda s: s.aborts_with.name,
            "recovery": lambda s: s.recovery,
            "timeout": lambda s: _ms(s.timeout_ms),
            "retries": lambda s: "none" if s.retries is None else f"{s.retries.max} ({s.retries.backoff})",
            "compensate_failed_step": lambda s: str(s.compensate_failed_step).lower(),
        }
        why = "runs in progress follow the new definition from their next step"
        self.changed("saga-changed", "saga", key, old, new, attrs, why)
        step_attrs: Attributes = {
            "invoke": lambda s: s.invoke.name,
            "succeeds_on": lambda s: s.succeeds_on.name,
            "fails_on": lambda s: s.fails_on.name if s.fails_on else "none",
            "compensate": lambda s: s.compensate.name if s.compensate else "none",
            "pivot": lambda s: str(s.pivot).lower(),
            "retriable": lambda s: str(s.retriable).lower(),
            "timeout": lambda s: _ms(s.timeout_ms),
        }
        old_steps = {s.name: s for s in old.steps}
        for step in new.steps:
            if step.name in old_steps:
                prefix = f"step '{step.name}': "
                self.changed("saga-changed", "saga", key, old_steps[step.name], step, step_attrs, why, prefix)


def _ms(value: int | None) -> str:
    return "none" if value is None else f"{value}ms"


def _kind(event: Event) -> str:
    return "integration event" if event.integration else "domain event"


def _home(event: Event) -> str:
    aggregate = event.aggregate.name if event.aggregate else "no aggregate"
    return f"{event.microservice.name}/{aggregate}"


def _schema(fields: Iterable[Any]) -> list[tuple[str, str]]:
    return sorted((f.name, f.type.shape()) for f in fields)


def _same_file(journey: Journey, candidates: Iterable[Journey]) -> Location | None:
    return next((j.loc for j in candidates if j.file == journey.file), None)


def _attribute_changes(old: Any, new: Any, attrs: Mapping[str, Callable[[Any], str]]) -> list[tuple[str, str, str]]:
    """(attribute, before, after) for each attribute whose text differs."""
    result = []
    for attr, show in attrs.items():
        before, after = show(old), show(new)
        if before != after:
            result.append((attr, before, after))
    return result


@dataclass
class FieldChanges:
    """The field changes of one event whose fields differ: those its history declares
    between the two versions (an upcaster is generated for them), and the rest."""

    old: Event
    new: Event

    def __post_init__(self) -> None:
        self.changes: list[Change] = []
        self.missing: list[Change] = []  # changes the history does not declare
        self.key = self.new.name

    def run(self) -> list[Change]:
        fields: dict[str, FieldType] = {f.name: f.type for f in self.old.fields}
        for version in range(self.old.version + 1, self.new.version + 1):
            rev = self.new.revision(version)
            if rev is not None:
                self.declared(rev, fields, {f.name: f.type for f in self.new.fields_at(version)})
        self.undeclared(fields)
        return self.changes

    def run_missing(self) -> list[Change]:
        """Only the changes the history does not declare."""
        self.run()
        return self.missing

    def add(self, rule: str, impact: Impact, message: str, why: str, loc: Location, *, declared: bool = True) -> None:
        change = Change(impact, rule, "event", self.key, message, why, loc)
        self.changes.append(change)
        if not declared:
            self.missing.append(change)

    def contract(self, rule: str, name: str) -> tuple[Impact, str]:
        """What a declared change costs the consumers of an integration event, by its promise."""
        promise = self.new.compatibility
        said = f"its promise is compatibility: {promise} ({PROMISE[promise]})"
        if rule == "field-added":
            if promise == "none":
                return Impact.BREAKING, said
            return (
                Impact.COMPATIBLE,
                f"older consumers ignore it, newer ones read older messages with the default; {said}",
            )
        if promise == "backward":
            return Impact.UPCASTER, f"the generated JSON reader converts older messages; {said}"
        return Impact.BREAKING, f"consumers of version {self.old.version} still read '{name}' as it was; {said}"

    def classify(self, rule: str, name: str, message: str, version: int, loc: Location) -> None:
        impact = Impact.UPCASTER
        why = f"stored {self.key} events of version {version - 1} need the upcaster esp generates from the history"
        if self.new.integration:
            contract, contract_why = self.contract(rule, name)
            if contract > impact:
                impact, why = contract, contract_why
            else:
                why = f"{why}; {contract_why}"
        self.add(rule, impact, message, why, loc)

    def declared(self, rev: Revision, fields: dict[str, FieldType], after: dict[str, FieldType]) -> None:
        v = rev.version
        for old_name, new_name in rev.renamed:
            if old_name in fields:
                fields[new_name] = fields.pop(old_name)
                message = f"field '{old_name}' renamed to '{new_name}' (version {v})"
                self.classify("field-renamed", old_name, message, v, rev.at.get(f"renamed:{old_name}", rev.loc))
        for name, before in rev.widened:
            if name in fields and name in after and fields[name] == before:
                fields[name] = after[name]
                message = f"field '{name}' widened from {before} to {after[name]} (version {v})"
                self.classify("field-widened", name, message, v, rev.at.get(f"widened:{name}", rev.loc))
        for name, default in rev.added:
            if name not in fields and name in after:
                fields[name] = after[name]
                message = f"field '{name}' added (version {v}; older events get {_show(default)})"
                self.classify("field-added", name, message, v, rev.at.get(f"added:{name}", rev.loc))
        for f in rev.removed:
            if f.name in fields:
                del fields[f.name]
                self.classify("field-removed", f.name, f"field '{f.name}' removed (version {v})", v, f.loc)

    def undeclared(self, fields: dict[str, FieldType]) -> None:
        """What the history does not explain: no upcaster, so stored events would not fit."""
        bump = (
            f"its version is still {self.new.version}"
            if self.new.version == self.old.version
            else f"its history does not say so between versions {self.old.version} and {self.new.version}"
        )
        now = {f.name: f for f in self.new.fields}
        for name, ftype in now.items():
            if name not in fields:
                self.add(
                    "field-added-without-default",
                    Impact.BREAKING,
                    f"field '{name}' added",
                    f"stored {self.key} events lack it and {bump}: no upcaster gives them a value",
                    ftype.loc,
                    declared=False,
                )
            elif fields[name].shape() != ftype.type.shape():
                widening = fields[name].widens_to(ftype.type)
                before, after = (
                    (fields[name], ftype.type)
                    if fields[name] != ftype.type
                    else (fields[name].shape(), ftype.type.shape())
                )
                self.add(
                    "field-widened" if widening else "field-type-changed",
                    Impact.BREAKING,
                    f"field '{name}' changed from {before} to {after}",
                    f"stored {self.key} events hold {fields[name]} values and {bump}: no upcaster converts them"
                    if widening
                    else f"stored {self.key} events hold {fields[name]} values, which do not convert to {ftype.type}",
                    ftype.loc,
                    declared=False,
                )
        for name in fields:
            if name not in now:
                readers = "consumers still expect it" if self.new.integration else "older events still carry it"
                self.add(
                    "field-removed",
                    Impact.BREAKING,
                    f"field '{name}' removed",
                    f"{readers} and {bump}: no upcaster drops it",
                    self.new.at.get("fields", self.new.loc),
                    declared=False,
                )


def _show(value: Any) -> str:
    return repr(value) if not isinstance(value, str) else f"'{value}'"
