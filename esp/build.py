"""Build the resolved :class:`~esp.model.Model` from loaded journey documents.

Runs after the schema check and must survive data that failed it: every
getter here tolerates a wrong type (the schema has already said so) and
skips what it cannot use. Each reference is resolved once; an unknown name is
reported where it was written, with the nearest known name as a hint.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import PurePath
from typing import Any, Literal, TypeVar

from esp.errors import Diagnostic, Location, diagnostic
from esp.load import Document, NodePath
from esp.model import (
    QUALIFIER,
    SCALAR_TYPES,
    Action,
    Actor,
    Aggregate,
    CircuitBreaker,
    Command,
    Event,
    Field,
    FieldType,
    Given,
    Hotspot,
    Journey,
    Key,
    Listener,
    Microservice,
    Model,
    Process,
    Projection,
    Query,
    Retries,
    Revision,
    Saga,
    SagaStep,
    Scenario,
    Timer,
    ValueType,
    When,
    innermost,
)
from esp.names import class_name

T = TypeVar("T")
_Row = tuple[tuple[Document, int, dict[str, Any]], tuple[Microservice, Aggregate | None], list[Event]]
_DURATION = re.compile(r"^([0-9]+)(ms|s|m|h|d)$")
_MS = {"ms": 1, "s": 1000, "m": 60_000, "h": 3_600_000, "d": 86_400_000}
PREVIOUS = "previous"  # 'enters: previous': the state the aggregate was in before its current one
NO_COMPENSATION = "none"  # 'compensate: none': a step with nothing to undo (a check)


def build(docs: Sequence[Document]) -> tuple[Model, list[Diagnostic]]:
    """Resolve every reference of ``docs`` (one journey each) into one Model."""
    reset_suggestions()
    return _Builder(docs).run()


def _str(node: Any, key: str, default: str = "") -> str:
    value = node.get(key) if isinstance(node, dict) else None
    return value if isinstance(value, str) else default


def _list(node: Any, key: str) -> list[Any]:
    value = node.get(key) if isinstance(node, dict) else None
    return value if isinstance(value, list) else []


def _map(node: Any, key: str) -> dict[str, Any]:
    value = node.get(key) if isinstance(node, dict) else None
    return value if isinstance(value, dict) else {}


def _named(node: Any, key: str) -> bool:
    return isinstance(node, dict) and isinstance(node.get(key), str)


def _flag(node: Any, key: str) -> bool:
    return isinstance(node, dict) and node.get(key) is True


def duration_ms(text: str) -> int | None:
    match = _DURATION.match(text)
    return int(match.group(1)) * _MS[match.group(2)] if match else None


def duration_text(ms: int) -> str:
    """A duration as a journey writes it (the largest unit it is a whole number of): 30000 -> '30s'."""
    for unit, size in (("h", 3_600_000), ("m", 60_000), ("s", 1000)):
        if ms % size == 0:
            return f"{ms // size}{unit}"
    return f"{ms}ms"


# Comparing a misspelt name with every known one costs a few microseconds per pair;
# a file full of misspellings would take minutes. Past this many comparisons per
# run, hints stop suggesting names.
SUGGESTION_BUDGET = 300_000


@dataclass
class _Budget:
    left: int = SUGGESTION_BUDGET


_suggestions = _Budget()


def reset_suggestions() -> None:
    """Start a new run's budget of name suggestions (called by build)."""
    _suggestions.left = SUGGESTION_BUDGET


def did_you_mean(name: str, known: Iterable[str]) -> str:
    return suggest(name, known)[0]


# How alike a misspelt name and a known one must be for the model to be checked further as if the known
# one were written (one letter wrong, missing, extra or swapped in a name of 4 or more: Kart, opne): a
# looser guess would report follow-ups of a name the user never meant, such as an event of another aggregate.
MEANT_CUTOFF = 0.75


def suggest(name: str, known: Iterable[str]) -> tuple[str, str | None]:
    """A hint for a name that is not defined, and the known name it surely misspells (None if none is that close)."""
    if _suggestions.left <= 0:
        return "check the spelling: a reference must match a defined name exactly", None
    import difflib  # here: a valid journey never needs a suggestion

    names = sorted(set(known))
    _suggestions.left -= len(names) + 1
    close = difflib.get_close_matches(name, names, n=1, cutoff=0.6)
    if close:
        ratio = difflib.SequenceMatcher(None, name, close[0]).ratio()
        return f"did you mean '{close[0]}'?", close[0] if ratio >= MEANT_CUTOFF else None
    if not names:
        return "none is defined yet", None
    shown = ", ".join(names[:8]) + (", ..." if len(names) > 8 else "")
    return f"known: {shown}", None


@dataclass
class _Named:
    """What a name was first defined as, and where."""

    obj: Any
    loc: Location


@dataclass
class _Scoped:
    """The aggregates, commands or events: each microservice is a namespace (a bounded context), so a name
    is unique within its microservice, and the same name may be defined in several."""

    kind: str
    unknown: str  # the code of a reference to none of them
    defined: dict[tuple[str, str], _Named] = field(default_factory=dict)  # (microservice, name)
    homes: dict[str, list[str]] = field(default_factory=dict)  # name -> the microservices defining it

    def get(self, ms: str, name: str) -> Any:
        named = self.defined.get((ms, name))
        return None if named is None else named.obj

    def values(self) -> list[Any]:
        return [named.obj for named in self.defined.values()]

    def label(self, item: Aggregate | Command | Event) -> str:
        """How a message names ``item``: qualified (``kitchen.Restaurant``) where several microservices define
        its name (Model.label, for the model being built: every name is declared before a reference is read)."""
        shared = len(self.homes.get(item.name, ())) > 1
        return f"{item.microservice.name}{QUALIFIER}{item.name}" if shared else item.name


@dataclass
class _Builder:
    docs: Sequence[Document]
    problems: list[Diagnostic] = field(default_factory=list)
    aggregates: _Scoped = field(default_factory=lambda: _Scoped("aggregate", "E041"))
    microservices: dict[str, Microservice] = field(default_factory=dict)
    events: _Scoped = field(default_factory=lambda: _Scoped("event", "E042"))
    commands: _Scoped = field(default_factory=lambda: _Scoped("command", "E043"))
    queries: dict[str, _Named] = field(default_factory=dict)
    projections: dict[str, _Named] = field(default_factory=dict)
    sagas: dict[str, _Named] = field(default_factory=dict)
    types: dict[_TypeKey, ValueType] = field(default_factory=dict)  # the value objects built so far
    type_decls: set[_TypeKey] = field(default_factory=set)  # every value object declared, built or not
    type_homes: dict[str, list[str]] = field(default_factory=dict)  # a type's name -> the scopes declaring it
    misnamed_types: set[str] = field(default_factory=set)  # the classes of types E025 refused: 'Line Item'
    microservice_refs: dict[str, _Named] = field(default_factory=dict)  # for self.ref, made once
    scenario_names: dict[tuple[str, str], Location] = field(default_factory=dict)
    # What the listeners and sagas left out of the model (for an error reported already) name: see Model.left_out
    left_out_events: set[Event] = field(default_factory=set)
    left_out_names: set[str] = field(default_factory=set)
    # Unknown names taken for the aggregate, command or event they misspell: (problem's index, name, kind, it),
    # and how often each of those was named as defined (see misspelt_definitions)
    guesses: list[tuple[int, str, str, Any]] = field(default_factory=list)
    named: dict[int, int] = field(default_factory=dict)

    # -- helpers ----------------------------------------------------------------

    def add(self, code: str, loc: Location, **params: Any) -> None:
        self.problems.append(diagnostic(code, loc, **params))

    def once(self, seen: dict[Any, Location], key: Any, kind: str, name: str, loc: Location) -> None:
        """Report a second use of a name that must be unique among its kind (E031)."""
        if key in seen:
            self.add("E031", loc, kind=kind, name=name, first=_where(seen[key], loc))
        else:
            seen[key] = loc

    def unique(self, table: dict[str, _Named], kind: str, name: str, obj: Any, loc: Location) -> bool:
        if name in table:
            self.add("E031", loc, kind=kind, name=name, first=_where(table[name].loc, loc))
            return False
        table[name] = _Named(obj, loc)
        return True

    def declare(self, table: _Scoped, ms: Microservice, name: str, obj: Any, loc: Location) -> bool:
        """Define ``name`` in ``ms``: a second definition in the same microservice is E031."""
        key = (ms.name, name)
        if key in table.defined:
            first = table.defined[key].loc
            self.add("E031", loc, kind=table.kind, name=name, first=_where(first, loc))
            return False
        table.defined[key] = _Named(obj, loc)
        table.homes.setdefault(name, []).append(ms.name)
        return True

    def ref(
        self,
        doc: Document,
        path: NodePath,
        table: Mapping[str, _Named] | _Scoped,
        code: str = "",
        within: Microservice | None = None,
    ) -> Any:
        """The object named at ``path``. A name that is not defined is reported, and stands for the name it
        most likely misspells (None if none is close), as a compiler recovers: the rest of the model is
        checked as meant, so one misspelling is one diagnostic, not one for each thing it leaves out.
        Aggregates, commands and events resolve ``within`` the referring microservice first (see resolve)."""
        name = _at(doc.data, path)
        if not isinstance(name, str):
            return None
        if isinstance(table, _Scoped):
            return self.resolve(table, name, doc.loc(path), within, code)
        if name in table:
            return table[name].obj
        hint, meant = suggest(name, table)
        self.add(code, doc.loc(path), name=name, hint=hint)
        return None if meant is None else table[meant].obj

    def refs(
        self,
        doc: Document,
        path: NodePath,
        table: Mapping[str, _Named] | _Scoped,
        code: str = "",
        within: Microservice | None = None,
    ) -> tuple[Any, ...]:
        items = _at(doc.data, path)
        if not isinstance(items, list):
            return ()
        found = (self.ref(doc, (*path, i), table, code, within) for i in range(len(items)))
        return tuple(x for x in found if x is not None)

    def heard(self, doc: Document, path: NodePath, ms: Microservice | None) -> Event | None:
        """An event a listener, projection or saga of ``ms`` hears: an unqualified name of ``ms``'s own event
        that another microservice publishes too (an integration event) is worth a word (W122)."""
        event: Event | None = self.ref(doc, path, self.events, within=ms)
        text = _at(doc.data, path)
        if event is None or ms is None or event.microservice is not ms or QUALIFIER in text:
            return event
        for home in self.events.homes.get(text, []):
            other: Event | None = self.events.get(home, text)
            if other is not None and other.microservice is not ms and other.integration:
                own, theirs = f"{ms.name}{QUALIFIER}{text}", f"{home}{QUALIFIER}{text}"
                self.add("W122", doc.loc(path), name=text, microservice=ms.name, other=theirs, own=own)
                break
        return event

    def resolve(self, table: _Scoped, text: str, loc: Location, within: Microservice | None, code: str = "") -> Any:
        """What ``text`` names: ``ms.Name`` in that microservice; ``Name`` in ``within`` if it defines one,
        else the one microservice that does (several: E201, with the qualified names to choose from); none:
        ``code`` (default: the table's unknown name)."""
        unknown = code or table.unknown
        if QUALIFIER in text:
            qualifier, name = (part.strip() for part in text.split(QUALIFIER, 1))
            if qualifier not in self.microservices:
                hint, meant_ms = suggest(qualifier, self.microservices)
                self.add("E200", loc, qualifier=qualifier, name=text, hint=hint)
                return None if meant_ms is None else table.get(meant_ms, name)
            found = table.get(qualifier, name)
            if found is not None:
                return self.count(found)
            homes = table.homes.get(name, [])
            own = [n for (ms, n) in table.defined if ms == qualifier]
            hint, meant = suggest(name, own)
            if homes:
                hint = f"'{qualifier}' has no {table.kind} '{name}'; " + _choose(name, homes)
            self.add(unknown, loc, name=text, hint=hint)
            return None if meant is None else table.get(qualifier, meant)
        homes = table.homes.get(text, [])
        if within is not None and within.name in homes:
            return self.count(table.get(within.name, text))
        if len(homes) == 1:
            return self.count(table.get(homes[0], text))
        if homes:
            where = ", ".join(homes)
            self.add("E201", loc, kind=table.kind, name=text, where=where, hint=_choose(text, homes))
            return None
        hint, meant = suggest(text, table.homes)
        self.add(unknown, loc, name=text, hint=hint)
        if meant is None:
            return None
        meant_homes = table.homes[meant]
        home = within.name if within is not None and within.name in meant_homes else meant_homes[0]
        found = table.get(home, meant)
        if found is not None:
            self.guesses.append((len(self.problems) - 1, text, table.kind, found))
        return found

    def count(self, found: Any) -> Any:
        """``found``, named as defined once more."""
        if found is not None:
            self.named[id(found)] = self.named.get(id(found), 0) + 1
        return found

    def misspelt_definitions(self) -> None:
        """Two or more references that agree on a name, where the one thing they are taken for is named as
        defined nowhere: the definition is the misspelling (E034 there), not each reference (one E042 each)."""
        groups: dict[tuple[str, int], tuple[str, Any, list[int]]] = {}
        for index, text, kind, found in self.guesses:
            if not self.named.get(id(found)) and isinstance(getattr(found, "loc", None), Location):
                groups.setdefault((text, id(found)), (kind, found, []))[2].append(index)
        dropped: set[int] = set()
        for (text, _), (kind, found, indices) in groups.items():
            if len(indices) < 2:
                continue
            first = min((self.problems[i].location for i in indices), key=lambda at: (at.file, at.line, at.col))
            where = getattr(found, "at", {}).get(kind, found.loc)  # its name, where the definition has one
            named = {"kind": kind, "defined": found.name, "name": text, "n": len(indices)}
            self.add("E034", where, **named, first=_where(first, where))
            dropped.update(indices)
        self.problems = [d for i, d in enumerate(self.problems) if i not in dropped]

    def fields(
        self,
        doc: Document,
        path: NodePath,
        within: Microservice | None,
        left_out: frozenset[_TypeKey] = frozenset(),
    ) -> tuple[Field, ...]:
        """The fields at ``path``, their value objects found ``within`` a microservice (see find_type); one
        whose type is unknown is reported and left out, and so is one whose type is among ``left_out`` (a
        value object in a cycle, reported already)."""
        result = []
        for name, text in _map_at(doc.data, path).items():
            if not isinstance(text, str):
                continue
            ftype = self.field_type(doc, (*path, name), name, text, within, left_out)
            if ftype is not None:
                result.append(Field(name, ftype, doc.loc((*path, name), key=True)))
        return tuple(result)

    def field_type(
        self,
        doc: Document,
        path: NodePath,
        name: str,
        text: str,
        within: Microservice | None,
        left_out: frozenset[_TypeKey] = frozenset(),
    ) -> FieldType | None:
        """The type ``text`` of field ``name``: an unknown one is E030, or E190 if it names a value object
        (a capitalised name that is no scalar type written in another case; E200 or E201 if it is
        qualified by no microservice, or several microservices declare it)."""
        scope = within.name if within is not None else GLOBAL

        def lookup(written: str) -> ValueType | None:
            home = self.find_type(written, scope)
            return None if home is None else self.types.get(home)

        ftype = FieldType.parse(text, lookup)
        if ftype is not None:
            return ftype
        inner = innermost(text)
        home = self.find_type(inner, scope)
        if home is not None and home in left_out:
            return None
        type_name = inner.rsplit(QUALIFIER, 1)[-1].strip()
        if home is not None or not _TYPE_NAME.match(type_name) or inner.lower() in SCALAR_TYPES:
            self.add("E030", doc.loc(path), field=name, type=text)
            return None
        if type_name not in self.misnamed_types:  # a type declared under a name E025 refused: one error
            self.find_type(inner, scope, (doc.loc(path), name))
        return None

    def find_type(self, text: str, scope: str, report: tuple[Location, str] | None = None) -> _TypeKey | None:
        """The value object ``text`` names from ``scope`` (a microservice's name, or GLOBAL for the journey's
        ``types:``): ``ms.Name`` that microservice's; ``Name`` the scope's own if it declares one, else the
        journey's ``types:``, else the one microservice that does (several: E201). With ``report`` (where,
        and the field), a name it finds nothing for is reported: E200, E201 or E190, with a hint."""
        text = text.strip()
        if QUALIFIER in text:
            qualifier, name = (part.strip() for part in text.rsplit(QUALIFIER, 1))
            if (qualifier, name) in self.type_decls:
                return (qualifier, name)
            if report is not None and qualifier not in self.microservices:
                hint = did_you_mean(qualifier, self.microservices)
                self.add("E200", report[0], qualifier=qualifier, name=text, hint=hint)
            elif report is not None:
                own = [n for (ms, n) in self.type_decls if ms == qualifier]
                hint = f"'{qualifier}' declares no type '{name}'; " + did_you_mean(name, own)
                if self.type_homes.get(name):
                    hint = f"'{qualifier}' declares no type '{name}'; " + _choose_type(name, self.type_homes[name])
                self.add("E190", report[0], field=report[1], type=text, hint=hint)
            return None
        homes = self.type_homes.get(text, [])
        for home in (scope, GLOBAL):
            if home in homes:
                return (home, text)
        if len(homes) == 1:
            return (homes[0], text)
        if report is None:
            return None
        if homes:
            self.add("E201", report[0], kind="type", name=text, where=", ".join(homes), hint=_choose_type(text, homes))
        else:
            self.add("E190", report[0], field=report[1], type=text, hint=did_you_mean(text, self.type_homes))
        return None

    def declare_types(self, docs: Sequence[Document]) -> None:
        """The value objects of every document, the journey's ``types:`` and each microservice's own, each built
        after the ones its fields hold; a type written twice in one scope with other fields is E031, a type that
        holds itself (through others, lists or optionals) E191. A name declared in several scopes is qualified
        by its microservice (``order.Address``) in messages, exports and generated class names."""
        written: dict[_TypeKey, tuple[Document, NodePath, Any]] = {}
        for doc in docs:
            for scope, base in _type_sections(doc):
                for name, raw in _map_at(doc.data, base).items():
                    if not _TYPE_NAME.match(name):  # the schema said so (E025)
                        self.misnamed_types.add(class_name(name))  # 'Line Item': the fields of LineItem wait
                        continue
                    path: NodePath = (*base, name)
                    if (scope, name) in written:
                        first_doc, first_path, first_raw = written[(scope, name)]
                        if _map(first_raw, "fields") != _map(raw, "fields"):  # the same type in two journeys is one
                            here = doc.loc(path, key=True)
                            first = _where(first_doc.loc(first_path, key=True), here)
                            self.add("E031", here, kind="type", name=_type_text(scope, name), first=first)
                        continue
                    written[(scope, name)] = (doc, path, raw)
        self.type_decls = set(written)
        for scope, name in written:
            self.type_homes.setdefault(name, []).append(scope)
        holds = {
            key: [
                h
                for t in _map(raw, "fields").values()
                if isinstance(t, str) and (h := self.find_type(innermost(t), key[0]))
            ]
            for key, (_, _, raw) in written.items()
        }
        order, cycles = _topological(holds)
        in_cycle = frozenset(k for cycle in cycles for k in cycle)
        for cycle in cycles:
            doc, path, _ = written[cycle[0]]
            text = " -> ".join(_type_text(*k) for k in [*cycle, cycle[0]])
            self.add("E191", doc.loc(path, key=True), name=_type_text(*cycle[0]), cycle=text)
        for key in order:
            doc, path, raw = written[key]
            scope, name = key
            if isinstance(raw, dict) and raw.get("fields") == {}:
                self.add("E193", doc.loc(path, key=True), name=_type_text(scope, name))
            ms = self.microservices.get(scope) if scope != GLOBAL else None
            fields = self.fields(doc, (*path, "fields"), ms, in_cycle)
            shared = len(self.type_homes[name]) > 1 and scope != GLOBAL
            self.types[key] = ValueType(
                name,
                _str(raw, "description"),
                fields,
                _journey_name(doc),
                doc.loc(path, key=True),
                ms,
                shared,
                _untyped(doc, (*path, "fields"), fields),
            )

    def states(self, doc: Document, path: NodePath, aggregate: Aggregate | None) -> tuple[str, ...]:
        """State names at ``path``, each checked against ``aggregate``'s states."""
        names = _at(doc.data, path)
        values = [names] if isinstance(names, str) else names if isinstance(names, list) else []
        result = []
        for i, name in enumerate(values):
            if not isinstance(name, str):
                continue
            item = path if isinstance(names, str) else (*path, i)
            meant: str | None = None
            if aggregate is not None and name not in aggregate.states:
                hint, meant = suggest(name, aggregate.states) if aggregate.states else (None, None)
                self.add(
                    "E045",
                    doc.loc(item),
                    aggregate=self.aggregates.label(aggregate),
                    name=name,
                    hint=hint or f"declare 'states:' on aggregate '{self.aggregates.label(aggregate)}'",
                )
            result.append(meant or name)  # checked further as meant (see ref)
        return tuple(result)

    # -- the passes ---------------------------------------------------------------

    def run(self) -> tuple[Model, list[Diagnostic]]:
        docs = sorted(self.docs, key=lambda d: d.file)
        self.name_microservices(docs)
        self.declare_types(docs)  # after the microservices, whose types they may be; before any field
        self.declare_aggregates(docs)
        raw = [
            [(doc, i, p) for i, p in enumerate(_list(doc.data, "processes")) if _named(p, "process")] for doc in docs
        ]
        contexts = [[self.process_context(*r) for r in rows] for rows in raw]
        events = [
            [self.declare_events(*r, *ctx) for r, ctx in zip(rows, ctxs, strict=True)]
            for rows, ctxs in zip(raw, contexts, strict=True)
        ]
        projections = [pr for doc in docs for pr in self.declare_projections(doc)]
        journeys = [
            self.journey(doc, list(zip(rows, ctxs, evs, strict=True)))
            for doc, rows, ctxs, evs in zip(docs, raw, contexts, events, strict=True)
        ]
        journey_names: dict[Any, Location] = {}
        for doc in docs:
            if isinstance(doc.data.get("journey"), str):
                name = doc.data["journey"]
                self.once(journey_names, name, "journey", name, doc.loc(("journey",)))
        listeners = [li for doc in docs for li in self.listeners(doc)]
        sagas = [s for doc in docs for s in self.sagas_of(doc)]
        scenarios = [s for doc in docs for s in self.scenarios(doc)]
        hotspots = [h for doc in docs for h in self.hotspots(doc)]
        timers = [t for doc in docs for t in self.timers(doc)]
        model = Model(
            tuple(journeys),
            tuple(self.microservices.values()),
            tuple(self.aggregates.values()),
            tuple(listeners),
            tuple(projections),
            tuple(sagas),
            tuple(scenarios),
            tuple(hotspots),
            frozenset(self.left_out_events),
            frozenset(self.left_out_names),
            tuple(self.types.values()),
            timers=tuple(timers),
        )
        self.misspelt_definitions()
        return model, self.problems

    def name_microservices(self, docs: Sequence[Document]) -> None:
        """Every microservice (declared in one or more journeys: the first description wins)."""
        declared: dict[str, tuple[str, Location]] = {}
        for doc in docs:
            for ms_name, ms in _map(doc.data, "microservices").items():
                loc = doc.loc(("microservices", ms_name), key=True)
                description, first_loc = declared.setdefault(ms_name, (_str(ms, "description"), loc))
                if not description and _str(ms, "description"):
                    declared[ms_name] = (_str(ms, "description"), first_loc)
        for ms_name, (description, loc) in declared.items():
            self.microservices[ms_name] = Microservice(ms_name, description, loc)
            self.microservice_refs[ms_name] = _Named(self.microservices[ms_name], loc)

    def declare_aggregates(self, docs: Sequence[Document]) -> None:
        """The aggregates of every microservice."""
        for doc in docs:
            for ms_name, ms in _map(doc.data, "microservices").items():
                for agg_name, agg in _map(ms, "aggregates").items():
                    path: NodePath = ("microservices", ms_name, "aggregates", agg_name)
                    aggregate = self.aggregate(doc, path, agg_name, agg, self.microservices[ms_name])
                    self.declare(self.aggregates, aggregate.microservice, agg_name, aggregate, aggregate.loc)

    def aggregate(self, doc: Document, path: NodePath, name: str, raw: Any, ms: Microservice) -> Aggregate:
        states = tuple(s for s in _list(raw, "states") if isinstance(s, str))
        seen: dict[str, int] = {}
        for i, state in enumerate(_list(raw, "states")):
            if isinstance(state, str) and state in seen:
                here = doc.loc((*path, "states", i))
                first = doc.loc((*path, "states", seen[state]))
                self.add("E031", here, kind="state", name=state, first=_where(first, here))
            seen.setdefault(state, i) if isinstance(state, str) else None
        snapshot = raw.get("snapshot_every") if isinstance(raw, dict) else None
        # "identity" only where it is written: a missing one is E020, and the "id" it stands in for warns of nothing
        written = {"identity": _str(raw, "identity") != "", "states": True, "keys": bool(_map(raw, "keys"))}
        at = {k: doc.loc((*path, k)) for k in ("identity", "states", "keys") if written[k]}
        for i, state in enumerate(_list(raw, "states")):  # "state:<name>": where each state is written
            if isinstance(state, str):
                at.setdefault(f"state:{state}", doc.loc((*path, "states", i)))
        return Aggregate(
            name,
            _str(raw, "description"),
            _str(raw, "identity", "id"),
            tuple(dict.fromkeys(states)),
            snapshot if isinstance(snapshot, int) and not isinstance(snapshot, bool) else 0,
            ms,
            doc.loc(path, key=True),
            at,
            tuple(
                Key(name, kind == "unique", doc.loc((*path, "keys", name), key=True))
                for name, kind in _map(raw, "keys").items()
                if kind in ("unique", "many")  # anything else is the schema's E02x
            ),
        )

    def process_context(self, doc: Document, i: int, raw: dict[str, Any]) -> tuple[Microservice, Aggregate | None]:
        """The microservice and aggregate of a process row (placeholders if unknown)."""
        path: NodePath = ("processes", i)
        ms_name = _str(raw, "microservice")
        ms = self.microservices.get(ms_name)
        meant: str | None = None
        if ms is None and ms_name:
            hint, meant = suggest(ms_name, self.microservices)
            self.add("E040", doc.loc((*path, "microservice")), name=ms_name, hint=hint)
        aggregate: Aggregate | None = None
        if "aggregate" in raw:
            within = ms or self.microservices.get(meant or "")  # an unknown one (E040): the one it misspells
            aggregate = self.ref(doc, (*path, "aggregate"), self.aggregates, within=within)
            if aggregate is not None and ms_name in self.microservices and aggregate.microservice is not ms:
                self.add(
                    "E046",
                    doc.loc((*path, "aggregate")),
                    aggregate=self.aggregates.label(aggregate),
                    owner=aggregate.microservice.name,
                    microservice=ms_name,
                )
        elif _list(raw, "events") or any(isinstance(a, dict) and "command" in a for a in _list(raw, "actions")):
            self.add("E047", doc.loc(path), process=raw["process"])
        if ms is None:  # unknown (E040): the aggregate's, else the one meant, as ref recovers
            ms = aggregate.microservice if aggregate is not None else self.microservices.get(meant or "")
        return ms or Microservice(ms_name or "?", "", doc.loc(path)), aggregate

    def declare_events(
        self, doc: Document, i: int, raw: dict[str, Any], ms: Microservice, aggregate: Aggregate | None
    ) -> list[Event]:
        result = []
        for j, ev in enumerate(_list(raw, "events")):
            name = _str(ev, "event")
            if not name:
                continue
            path: NodePath = ("processes", i, "events", j)
            previous = ev.get("enters") == PREVIOUS and (aggregate is None or PREVIOUS not in aggregate.states)
            enters = self.states(doc, (*path, "enters"), aggregate) if "enters" in ev and not previous else ()
            kind: Literal["domain", "integration"] = "integration" if ev.get("kind") == "integration" else "domain"
            version = ev.get("version")
            compatibility = ev.get("compatibility")
            at = _key_locs(doc, path, ev)
            for r, released in enumerate(_list(ev, "releases")):  # "releases:<key>": where each is written
                if isinstance(released, str):
                    at.setdefault(f"releases:{released}", doc.loc((*path, "releases", r)))
            fields = self.fields(doc, (*path, "fields"), ms)
            event = Event(
                name,
                _str(ev, "description"),
                kind,
                version if isinstance(version, int) and not isinstance(version, bool) else 1,
                fields,
                enters[0] if enters else None,
                ms,
                aggregate,
                _journey_name(doc),
                doc.loc(path),
                at,
                self.history(doc, (*path, "history"), ms),
                compatibility if compatibility in ("full", "backward", "forward", "none") else "full",
                previous,
                tuple(dict.fromkeys(r for r in _list(ev, "releases") if isinstance(r, str))),
                _untyped(doc, (*path, "fields"), fields),
            )
            if self.declare(self.events, ms, name, event, doc.loc((*path, "event"))):
                result.append(event)
        return result

    def history(self, doc: Document, path: NodePath, ms: Microservice) -> tuple[Revision, ...]:
        """An event's history entries, by version; a version written twice is reported (E031)."""
        revisions: dict[int, Revision] = {}
        entries = _at(doc.data, path)
        for i, raw in enumerate(entries if isinstance(entries, list) else []):
            version = raw.get("version") if isinstance(raw, dict) else None
            if not isinstance(version, int) or isinstance(version, bool):
                continue
            here: NodePath = (*path, i)
            if version in revisions:
                first = revisions[version].loc
                self.add(
                    "E031",
                    doc.loc((*here, "version")),
                    kind="history entry",
                    name=f"version {version}",
                    first=_where(first, doc.loc((*here, "version"))),
                    hint="keep one entry per version: merge the two",
                )
                continue
            widened = []
            for name, text in _map(raw, "widened").items():
                ftype = (
                    self.field_type(doc, (*here, "widened", name), name, text, ms) if isinstance(text, str) else None
                )
                if ftype is not None:
                    widened.append((name, ftype))
            revisions[version] = Revision(
                version,
                tuple(_map(raw, "added").items()),
                tuple((old, new) for old, new in _map(raw, "renamed").items() if isinstance(new, str)),
                tuple(widened),
                self.fields(doc, (*here, "removed"), ms),
                doc.loc((*here, "version")),
                _revision_locs(doc, here, raw),
            )
        return tuple(revisions[v] for v in sorted(revisions))

    def declare_projections(self, doc: Document) -> list[Projection]:
        result = []
        for i, raw in enumerate(_list(doc.data, "projections")):
            name = _str(raw, "projection")
            if not name:
                continue
            path: NodePath = ("projections", i)
            ms = self.ref(doc, (*path, "in"), self.microservice_refs, "E040")
            sources = tuple(e for j in range(len(_list(raw, "from"))) if (e := self.heard(doc, (*path, "from", j), ms)))
            if raw.get("from") == []:  # written empty; one left empty by unknown events has its errors already
                self.add("W133", doc.loc((*path, "from")), projection=name)
            if ms is None:
                continue
            projection = Projection(
                name,
                ms,
                sources,
                _str(raw, "description"),
                _journey_name(doc),
                doc.loc(path),
                _key_locs(doc, path, raw),
            )
            if self.unique(self.projections, "projection", name, projection, doc.loc((*path, "projection"))):
                result.append(projection)
        return result

    def journey(self, doc: Document, rows: list[_Row]) -> Journey:
        actors = self.actors(doc)
        processes = []
        names: dict[Any, Location] = {}
        for (_, i, raw), (ms, aggregate), events in rows:
            self.once(names, raw["process"], "process", raw["process"], doc.loc(("processes", i, "process")))
            processes.append(self.process(doc, i, raw, ms, aggregate, events, actors))
        return Journey(
            _journey_name(doc),
            _str(doc.data, "description"),
            doc.file,
            tuple(actors.values()),
            tuple(processes),
            doc.loc(()),
        )

    def actors(self, doc: Document) -> dict[str, Actor]:
        actors: dict[str, Actor] = {}
        for i, raw in enumerate(_list(doc.data, "actors")):
            name = raw if isinstance(raw, str) else _str(raw, "actor")
            if not name:
                continue
            loc = doc.loc(("actors", i))
            if name in actors:
                self.add("E031", loc, kind="actor", name=name, first=_where(actors[name].loc, loc))
                continue
            actors[name] = Actor(name, _str(raw, "description"), loc)
        return actors

    def process(
        self,
        doc: Document,
        i: int,
        raw: dict[str, Any],
        ms: Microservice,
        aggregate: Aggregate | None,
        events: list[Event],
        actors: dict[str, Actor],
    ) -> Process:
        path: NodePath = ("processes", i)
        actions: list[Action] = []
        for j, act in enumerate(_list(raw, "actions")):
            action = self.action(doc, (*path, "actions", j), act, ms, aggregate)
            if action is not None:
                actions.append(action)
        actor = None
        actor_name = _str(raw, "actor")
        if actor_name:
            actor = actors.get(actor_name)
            if actor is None:
                self.add("W105", doc.loc((*path, "actor")), name=actor_name)
                actor = Actor(actor_name, "", doc.loc((*path, "actor")))
        return Process(
            raw["process"],
            actor,
            _str(raw, "description"),
            tuple(actions),
            ms,
            tuple(events),
            aggregate,
            _journey_name(doc),
            doc.loc(path),
            _key_locs(doc, path, raw),
        )

    def action(
        self, doc: Document, path: NodePath, raw: Any, ms: Microservice, aggregate: Aggregate | None
    ) -> Action | None:
        if not isinstance(raw, dict):
            return None
        if isinstance(raw.get("command"), str) and "query" not in raw:
            name = raw["command"]
            fields = self.fields(doc, (*path, "fields"), ms)
            command = Command(
                name,
                _str(raw, "description"),
                fields,
                self.refs(doc, (*path, "emits"), self.events, within=ms),
                _flag(raw, "creates"),
                self.states(doc, (*path, "allowed_in"), aggregate),
                ms,
                aggregate,
                _journey_name(doc),
                doc.loc(path),
                _key_locs(doc, path, raw),
                written_emits=len(_list(raw, "emits")),
                untyped=_untyped(doc, (*path, "fields"), fields),
            )
            return command if self.declare(self.commands, ms, name, command, doc.loc((*path, "command"))) else None
        if isinstance(raw.get("query"), str) and "command" not in raw:
            name = raw["query"]
            projection = self.ref(doc, (*path, "projection"), self.projections, "E044") if "projection" in raw else None
            query = Query(
                name,
                _str(raw, "description"),
                self.fields(doc, (*path, "fields"), ms),
                projection,
                ms,
                _journey_name(doc),
                doc.loc(path),
                _key_locs(doc, path, raw),
            )
            return query if self.unique(self.queries, "query", name, query, doc.loc((*path, "query"))) else None
        return None

    def listeners(self, doc: Document) -> list[Listener]:
        result = []
        for i, raw in enumerate(_list(doc.data, "listeners")):
            path: NodePath = ("listeners", i)
            ms: Microservice | None = self.ref(doc, (*path, "in"), self.microservice_refs, "E040")
            on = self.heard(doc, (*path, "on"), ms)
            command: Command | None = self.ref(doc, (*path, "command"), self.commands, within=ms)
            if on is None or ms is None or command is None:
                self.left_out_events.update(e for e in (on,) if e is not None)
                continue
            if command.microservice is not ms:
                self.add(
                    "E063",
                    doc.loc((*path, "command")),
                    command=self.commands.label(command),
                    owner=command.microservice.name,
                    microservice=ms.name,
                )
                self.left_out_events.add(on)
                continue
            mapping = self.listener_map(doc, path, raw, on, command)
            target = _str(raw, "target") or None
            if target is not None and target not in _event_field_names(on) and target not in on.untyped:
                self.add(
                    "E061",
                    doc.loc((*path, "target")),
                    event=self.events.label(on),
                    field=target,
                    hint=did_you_mean(target, _event_field_names(on)),
                )
            result.append(
                Listener(
                    on,
                    ms,
                    command,
                    mapping,
                    target,
                    _str(raw, "description"),
                    _journey_name(doc),
                    doc.loc(path),
                    _key_locs(doc, path, raw),
                    _str(raw, "for_each") or _str(raw, "by") or None,
                    bool(_str(raw, "for_each")),
                )
            )
        return result

    def listener_map(
        self, doc: Document, path: NodePath, raw: Any, on: Event, command: Command
    ) -> tuple[tuple[str, str], ...]:
        mapping = []
        source_fields = _event_field_names(on)
        command_fields = [f.name for f in command.fields]
        for cmd_field, ev_field in _map(raw, "map").items():
            if not isinstance(ev_field, str):
                continue
            if cmd_field in command.untyped:
                continue  # its type is reported already
            if cmd_field not in command_fields:
                self.add(
                    "E064",
                    doc.loc((*path, "map", cmd_field), key=True),
                    command=self.commands.label(command),
                    field=cmd_field,
                    hint=did_you_mean(cmd_field, command_fields),
                )
            elif ev_field not in source_fields and ev_field not in on.untyped:  # an unknown type: E190 already
                self.add(
                    "E061",
                    doc.loc((*path, "map", cmd_field)),
                    event=self.events.label(on),
                    field=ev_field,
                    hint=did_you_mean(ev_field, source_fields),
                )
            else:
                mapping.append((cmd_field, ev_field))
        return tuple(mapping)

    def timers(self, doc: Document) -> list[Timer]:
        """The timers written on the aggregates of ``doc`` (after the commands and events are known)."""
        result: list[Timer] = []
        for ms_name, ms in _map(doc.data, "microservices").items():
            for agg_name, agg in _map(ms, "aggregates").items():
                named = self.aggregates.defined.get((ms_name, agg_name))
                if named is None or named.obj.microservice.name != ms_name:
                    continue  # a second declaration of the name (E031)
                seen: dict[Any, Location] = {}
                for i, raw in enumerate(_list(agg, "timers")):
                    path: NodePath = ("microservices", ms_name, "aggregates", agg_name, "timers", i)
                    timer = self.timer(doc, path, raw, named.obj)
                    if timer is not None:
                        self.once(seen, timer.name, "timer", timer.name, timer.at.get("timer", timer.loc))
                        result.append(timer)
        return result

    def timer(self, doc: Document, path: NodePath, raw: Any, aggregate: Aggregate) -> Timer | None:
        ms = aggregate.microservice
        command: Command | None = self.ref(doc, (*path, "then"), self.commands, "E212", within=ms)
        at = _key_locs(doc, path, raw)
        unless: list[Event] = []
        for i in range(len(_list(raw, "unless"))):
            event: Event | None = self.ref(doc, (*path, "unless", i), self.events, "E216", within=ms)
            if event is not None:
                at[f"unless:{len(unless)}"] = doc.loc((*path, "unless", i))
                unless.append(event)
        if command is None or not _named(raw, "timer"):
            return None
        after = _str(raw, "after")
        return Timer(
            _str(raw, "timer"),
            aggregate,
            _str(raw, "in_state"),
            after,
            duration_ms(after),
            command,
            tuple(unless),
            _str(raw, "description"),
            _journey_name(doc),
            doc.loc(path),
            at,
        )

    def sagas_of(self, doc: Document) -> list[Saga]:
        result = []
        for i, raw in enumerate(_list(doc.data, "sagas")):
            name = _str(raw, "saga")
            if name:
                saga = self.saga(doc, ("sagas", i), name, raw)
                if saga is not None and self.unique(self.sagas, "saga", name, saga, doc.loc(("sagas", i, "saga"))):
                    result.append(saga)
                elif saga is not None:
                    self.left_out_events.update(_saga_events(saga))
        return result

    def saga(self, doc: Document, path: NodePath, name: str, raw: dict[str, Any]) -> Saga | None:
        ms = self.ref(doc, (*path, "in"), self.microservice_refs, "E040")
        ends = [self.heard(doc, (*path, "starts_on"), ms)]
        ends += [self.ref(doc, (*path, k), self.events, within=ms) for k in ("completes_with", "aborts_with")]
        steps = [self.step(doc, (*path, "steps", j), s, ms) for j, s in enumerate(_list(raw, "steps"))]
        step_names: dict[Any, Location] = {}
        for j, step in enumerate(_list(raw, "steps")):
            if _str(step, "step"):
                loc = doc.loc((*path, "steps", j, "step"))
                self.once(step_names, step["step"], "saga step", step["step"], loc)
        retries = _retries(raw.get("retries"))
        if ms is None or None in ends or None in steps or not steps:
            self.left_out_names.add(name)
            self.left_out_events.update(e for e in ends if e is not None)
            self.left_out_events.update(e for s in steps if s is not None for e in _step_events(s))
            return None
        failed = raw.get("compensate_failed_step")
        recovery: Literal["backward", "forward"] = "forward" if raw.get("recovery") == "forward" else "backward"
        starts_on, completes_with, aborts_with = ends
        assert starts_on is not None and completes_with is not None and aborts_with is not None
        return Saga(
            name,
            _str(raw, "description"),
            ms,
            starts_on,
            recovery,
            failed if isinstance(failed, bool) else None,
            retries,
            duration_ms(_str(raw, "timeout")),
            tuple(s for s in steps if s is not None),
            completes_with,
            aborts_with,
            _journey_name(doc),
            doc.loc(path),
            _key_locs(doc, path, raw),
            _retries(raw.get("compensation_retries")),
            _breaker(raw.get("circuit_breaker")),
            duration_ms(_str(raw, "compensation_timeout")),
        )

    def step(self, doc: Document, path: NodePath, raw: Any, saga_ms: Microservice | None) -> SagaStep | None:
        if not isinstance(raw, dict) or not _str(raw, "step"):
            return None
        invoke: Command | None = self.ref(doc, (*path, "invoke"), self.commands, within=saga_ms)
        ms = invoke.microservice if invoke is not None else saga_ms  # its outcomes and undo: the participant's
        succeeds = self.ref(doc, (*path, "succeeds_on"), self.events, within=ms)
        fails = self.ref(doc, (*path, "fails_on"), self.events, within=ms) if "fails_on" in raw else None
        nothing_to_undo = raw.get("compensate") == NO_COMPENSATION
        writes_compensation = "compensate" in raw and not nothing_to_undo
        compensate = self.ref(doc, (*path, "compensate"), self.commands, within=ms) if writes_compensation else None
        if (
            invoke is None
            or succeeds is None
            or ("fails_on" in raw and fails is None)
            or (writes_compensation and compensate is None)
        ):
            self.left_out_names.add(raw["step"])
            # the compensation's answer too: heard by the SEC, it is no integration event nobody hears (W101)
            answers = compensate.emits if compensate is not None else ()
            self.left_out_events.update(e for e in (succeeds, fails, *answers) if e is not None)
            return None
        mapping = tuple((k, v) for k, v in _map(raw, "map").items() if isinstance(v, str))
        return SagaStep(
            raw["step"],
            _str(raw, "description"),
            invoke,
            succeeds,
            fails,
            compensate,
            _flag(raw, "pivot"),
            _flag(raw, "retriable"),
            duration_ms(_str(raw, "timeout")),
            doc.loc(path),
            _step_locs(doc, path, raw),
            _str(raw, "target") or None,
            mapping,
            nothing_to_undo,
            _retries(raw.get("retries")),
            _retries(raw.get("compensation_retries")),
            duration_ms(_str(raw, "compensation_timeout")),
        )

    def scenarios(self, doc: Document) -> list[Scenario]:
        """Scenarios with their events and command resolved; one naming an unknown one is reported and left out."""
        result = []
        for i, raw in enumerate(_list(doc.data, "scenarios")):
            path: NodePath = ("scenarios", i)
            aggregate: Aggregate | None = self.ref(doc, (*path, "aggregate"), self.aggregates)
            if aggregate is None and self.problems and self.problems[-1].code == "E201":
                continue  # which microservice it means is unknown, so its events and command would be too
            ms = aggregate.microservice if aggregate is not None else None
            given = _all([self.given(o, ms) for o in _occurrences(doc, path, "given")])
            when_occ = _occurrences(doc, path, "when")
            when = self.when(when_occ[0], ms) if when_occ else None
            rejection = _rejection(raw.get("then") if isinstance(raw, dict) else None)
            rejected = rejection is not None
            then = None if rejected else _all([self.given(o, ms) for o in _occurrences(doc, path, "then")])
            if aggregate is None or not isinstance(raw, dict) or not when_occ:
                continue
            if _str(raw, "scenario"):
                name = raw["scenario"]
                key = (aggregate.name, name)
                self.once(self.scenario_names, key, "scenario", name, doc.loc((*path, "scenario")))
            if given is None or when is None or (then is None and not rejected):
                continue
            if isinstance(raw.get("then"), dict) and not rejection:
                continue  # a rule's rejection without words: the schema said so (E022, E025)
            name, journey, loc = _str(raw, "scenario"), _journey_name(doc), doc.loc(path)
            result.append(Scenario(name, aggregate, given, when, then, journey, loc, rejection or None))
        return result

    def given(self, occ: _Occurrence, ms: Microservice | None) -> Given | None:
        event = self.exact(self.events, occ, ms)
        return None if event is None else Given(event, occ.values, occ.loc)

    def when(self, occ: _Occurrence, ms: Microservice | None) -> When | None:
        command = self.exact(self.commands, occ, ms)
        return None if command is None else When(command, occ.values, occ.loc)

    def exact(self, table: _Scoped, occ: _Occurrence, ms: Microservice | None) -> Any:
        """What a scenario names, resolved like any reference, but never as a guess: a scenario naming a
        misspelt event is left out (its values are checked against the fields of the one it names)."""
        before = len(self.problems)
        found = self.resolve(table, occ.name, occ.loc, ms)
        return found if len(self.problems) == before else None

    def hotspots(self, doc: Document) -> list[Hotspot]:
        result = []
        for i, raw in enumerate(_list(doc.data, "hotspots")):
            text = raw if isinstance(raw, str) else _str(raw, "hotspot")
            if text:
                result.append(
                    Hotspot(
                        text,
                        _str(raw, "about") or None,
                        _str(raw, "by") or None,
                        _journey_name(doc),
                        doc.loc(("hotspots", i)),
                    )
                )
        return result


_TYPE_NAME = re.compile(r"^[A-Z][A-Za-z0-9]*$")  # a value object's name, as the schema has it
GLOBAL = ""  # the scope of the journey's own ``types:`` (no microservice has an empty name)
_TypeKey = tuple[str, str]  # a value object's scope (a microservice's name, or GLOBAL) and name


def _topological(holds: Mapping[T, list[T]]) -> tuple[list[T], list[list[T]]]:
    """The names of ``holds`` (name -> the names it holds), each after the ones it holds, and the cycles
    found (each once, from its first name in ``holds``' order); the names on a cycle come last."""
    order: list[T] = []
    cycles: list[list[T]] = []
    state: dict[T, int] = {}  # 1: on the path being walked, 2: done
    for root in holds:
        if root in state:
            continue
        path: list[T] = [root]
        work: list[tuple[T, int]] = [(root, 0)]
        state[root] = 1
        while work:
            node, i = work.pop()
            nexts = holds[node]
            if i < len(nexts):
                work.append((node, i + 1))
                nxt = nexts[i]
                if state.get(nxt) == 1:
                    cycles.append(path[path.index(nxt) :])
                elif nxt not in state:
                    state[nxt] = 1
                    path.append(nxt)
                    work.append((nxt, 0))
            else:
                state[node] = 2
                path.pop()
                order.append(node)
    return order, cycles


def _type_sections(doc: Document) -> list[tuple[str, NodePath]]:
    """Where a document declares value objects: its ``types:`` (GLOBAL), and each microservice's ``types:``."""
    found: list[tuple[str, NodePath]] = [(GLOBAL, ("types",))]
    found += [(ms, ("microservices", ms, "types")) for ms in _map(doc.data, "microservices")]
    return found


def _type_text(scope: str, name: str) -> str:
    """A value object's name in a message: qualified by its microservice, if it has one."""
    return f"{scope}{QUALIFIER}{name}" if scope != GLOBAL else name


def _choose_type(name: str, homes: Sequence[str]) -> str:
    """The hint of a type several scopes declare: the names to choose from (the journey's own unqualified)."""
    return "write one of " + ", ".join(f"'{_type_text(home, name)}'" for home in homes)


def _choose(name: str, homes: Sequence[str]) -> str:
    """The hint of a name several microservices define: the qualified names to choose from."""
    return "write one of " + ", ".join(f"'{ms}{QUALIFIER}{name}'" for ms in homes)


def _where(first: Location, here: Location) -> str:
    """Where the first definition is, said briefly when it is in the same file."""
    if first.file == here.file and first.line:
        return f"line {first.line}, column {first.col}"
    return str(first)


def _at(data: Any, path: NodePath) -> Any:
    for step in path:
        if isinstance(data, dict) and isinstance(step, str):
            data = data.get(step)
        elif isinstance(data, list) and isinstance(step, int) and step < len(data):
            data = data[step]
        else:
            return None
    return data


def _map_at(data: Any, path: NodePath) -> dict[str, Any]:
    value = _at(data, path)
    return value if isinstance(value, dict) else {}


def _key_locs(doc: Document, path: NodePath, raw: Any) -> dict[str, Location]:
    return {k: doc.loc((*path, k)) for k in raw} if isinstance(raw, dict) else {}


def _retries(raw: Any) -> Retries | None:
    """A retry policy (a saga's or a step's), if written well enough to use (the schema says what is wrong)."""
    if not isinstance(raw, dict) or not isinstance(raw.get("max"), int):
        return None
    backoff = raw.get("backoff", "exponential")
    return Retries(
        raw["max"],
        backoff if backoff in ("none", "fixed", "exponential") else "none",
        duration_ms(_str(raw, "delay", "100ms")) or 100,
    )


def _breaker(raw: Any) -> CircuitBreaker | None:
    """A saga's circuit breaker, if written well enough to use (the schema says what is wrong)."""
    if not isinstance(raw, dict) or not isinstance(raw.get("failures"), int) or raw["failures"] < 1:
        return None
    open_for = duration_ms(_str(raw, "open_for"))
    if not open_for:
        return None
    return CircuitBreaker(raw["failures"], open_for, "fail" if raw.get("while_open") == "fail" else "wait")


def _step_locs(doc: Document, path: NodePath, raw: dict[str, Any]) -> dict[str, Location]:
    """Where each key of a saga step is, and each map entry: "map:<field>" its key, "map=<field>" its value."""
    at = _key_locs(doc, path, raw)
    for name in _map(raw, "map"):
        at[f"map:{name}"] = doc.loc((*path, "map", name), key=True)
        at[f"map={name}"] = doc.loc((*path, "map", name))
    return at


def _revision_locs(doc: Document, path: NodePath, raw: dict[str, Any]) -> dict[str, Location]:
    """Where each key of a history entry is, and each field under it as "added:notes"."""
    at = _key_locs(doc, path, raw)
    for key in ("added", "renamed", "widened"):
        for name in _map(raw, key):
            at[f"{key}:{name}"] = doc.loc((*path, key, name), key=True)
    return at


def _saga_events(saga: Saga) -> set[Event]:
    ends = {saga.starts_on, saga.completes_with, saga.aborts_with}
    return ends | {e for s in saga.steps for e in _step_events(s)}


def _step_events(step: SagaStep) -> set[Event]:
    """The events a saga step hears: its outcomes and its compensation's answers."""
    answers = step.compensate.emits if step.compensate is not None else ()
    return {e for e in (step.succeeds_on, step.fails_on, *answers) if e is not None}


def _journey_name(doc: Document) -> str:
    # Without a name (E020) the journey goes by its file's stem: the folder it sits in is no part of it.
    return _str(doc.data, "journey", PurePath(doc.file).stem)


def _untyped(doc: Document, path: NodePath, fields: tuple[Field, ...]) -> frozenset[str]:
    """The fields written at ``path`` that were left out of ``fields`` for a type already reported (E030, E190,
    E200, E201): a listener's map, a scenario's value or a listener's target naming one is no new mistake."""
    return frozenset(_map_at(doc.data, path)) - {f.name for f in fields}


def _event_field_names(event: Event) -> list[str]:
    """The fields a listener can read: the event's own, and its aggregate's id."""
    names = [f.name for f in event.fields]
    if event.aggregate is not None:
        names.append(event.aggregate.identity)
    return names


@dataclass(frozen=True)
class _Occurrence:
    """An event or command name with field values, as a scenario writes it."""

    name: str
    values: Mapping[str, Any]
    loc: Location


def _all(items: list[T | None]) -> tuple[T, ...] | None:
    """All of ``items``, or None if one could not be resolved (it is reported already)."""
    found = tuple(i for i in items if i is not None)
    return found if len(found) == len(items) else None


def _rejection(then: Any) -> str | None:
    """A scenario's rejection: '' for 'then: rejected' (the lifecycle's), the words of the rule's message for
    'then: {rejected: words}' ('' when there are none: the schema's to report); None when it expects events. A
    mapping with 'rejected' is a rejection, never an event named 'rejected'."""
    if then == "rejected":
        return ""
    if isinstance(then, dict) and "rejected" in then:
        words = then["rejected"]
        return words.strip() if isinstance(words, str) else ""
    return None


def _occurrences(doc: Document, path: NodePath, key: str) -> list[_Occurrence]:
    raw = _at(doc.data, (*path, key))
    items: list[tuple[NodePath, Any]]
    if isinstance(raw, dict):
        items = [((*path, key), raw)]
    elif isinstance(raw, list):
        items = [((*path, key, i), item) for i, item in enumerate(raw)]
    else:
        items = []
    result = []
    for item_path, item in items:
        if isinstance(item, dict) and len(item) == 1:
            ((name, values),) = item.items()
            result.append(
                _Occurrence(name, values if isinstance(values, dict) else {}, doc.loc((*item_path, name), key=True))
            )
    return result
