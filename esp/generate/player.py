"""The journey player's plan: what ``python -m <package>`` plays, in causal order, with the scenarios' values.

Each scenario is played on fresh aggregates: its given events are made to happen by the commands that record
them (a listener's command by the event its listener hears, recursively), then its command. What listeners
do, they do; what sagas do, their SEC does: the player never issues a listener's or a saga step's command
itself, so a scenario whose command only a listener or a saga issues is not played (its generated test is
its check). Each saga is played twice: every step succeeding, and its last step that can fail failing, the
steps before it undone in reverse order. The aggregates no scenario plays get a walk through their commands.

Values come from the scenarios: the field's value where the step was written, else the first value any
scenario gives a field of that name; the rules' made-up values (an event field no command carries) are
steered to the scenarios' values of that event field while the player plays.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from esp import names
from esp.generate.context import AggregateV, CommandV, EventV, FieldV, HookV, JourneyV, ListenerV, QueryV, ValueV
from esp.generate.saga import SagaV, StepV
from esp.generate.text import literal, literal_names, pystr, sample_names
from esp.model import Command, FieldType, Query
from esp.naming import optional_of


@dataclass(frozen=True)
class Source:
    """A value as source, and the standard-library names it reads."""

    expr: str
    names: frozenset[str] = frozenset()


@dataclass(frozen=True)
class MoveV:
    """One thing the player does: a command (``c``), a follow of a listener's new aggregate, a query, a saga's run."""

    kind: str  # "command" | "follow" | "query" | "saga"
    who: str = ""
    c: CommandV | None = None
    values: tuple[ValueV, ...] = ()  # the command's or query's fields (a command's target id excluded)
    target: str = ""  # the aggregate a command works on
    binds: str = ""  # the aggregate a creating command or a listener creates
    choose: str = ""  # the event the command's choice rule picks ("" = the rules decide)
    expect: str = "done"  # or "rejected"
    same_id: str = ""  # a creating command: the aggregate whose id the new one takes (a saga finds it by it)
    listener: ListenerV | None = None
    source: str = ""  # the aggregate whose event the listener heard
    q: QueryV | None = None
    saga: SagaV | None = None
    made: tuple[tuple[int, str], ...] = ()  # saga: (step index, aggregate) its steps make that the play goes on with

    @property
    def made_source(self) -> str:
        return ", ".join(f"{i}: {pystr(alias)}" for i, alias in self.made)

    @property
    def args(self) -> list[tuple[str, str]]:
        """(name, source) of the command's or query's arguments: a command's target by the play's id of it."""
        pairs = []
        if self.c is not None and self.c.id_field is not None:
            pairs.append((self.c.id_field.name, f"player.id({pystr(self.target)})"))
        return pairs + [(v.field.name, v.expr) for v in self.values]


@dataclass(frozen=True)
class PlayV:
    title: str
    function: str
    moves: tuple[MoveV, ...]
    fails: tuple[tuple[StepV, int], ...] = ()  # saga steps made to fail in this play, and how often (-1: always)
    happy: bool = True  # no move expects a rejection, no saga step fails

    @property
    def fail_map(self) -> str:
        return ", ".join(f"{pystr(st.invoke.cls)}: {times}" for st, times in self.fails)

    def source(self, indent: int) -> str:
        """The title as a string literal, split into parts in parentheses where it is too long for a line."""
        one = pystr(self.title)
        if indent + len(one) + 1 <= 120:
            return one
        parts, line = [], ""
        for word in self.title.split(" "):
            if line and indent + 4 + len(pystr(line + " " + word)) > 118:
                parts.append(line + " ")
                line = word
            else:
                line = f"{line} {word}" if line else word
        parts.append(line)
        pad = " " * (indent + 4)
        return "(\n" + "".join(f"{pad}{pystr(part)}\n" for part in parts) + " " * indent + ")"


@dataclass(frozen=True)
class SteerV:
    """A rule the player answers while it plays: a value from the scenarios, the event chosen, a step failing."""

    hook: HookV
    kind: str  # "value" | "choice" | "fails"
    value: str = ""  # value: its source
    options: tuple[str, ...] = ()  # choice: the events it may pick
    command: str = ""  # choice, fails: the command's class
    reason: str = ""  # fails: the reason, as source
    attribute: str = ""  # value: the aggregate's attribute the default answer keeps when it is set
    names: frozenset[str] = frozenset()  # the standard-library names its value or reason reads


class _Stuck(Exception):
    """The plan cannot make an event happen without issuing a listener's or a saga's command itself."""


@dataclass
class _Plan:
    """The moves of one play so far, and what the plan knows of its aggregates."""

    player: PlayerV
    moves: list[MoveV] = field(default_factory=list)
    bound: set[str] = field(default_factory=set)
    states: dict[str, str | None] = field(default_factory=dict)
    before: dict[str, list[str | None]] = field(default_factory=dict)  # the states each was in: 'previous' returns
    fails: tuple[StepV, ...] = ()  # the saga steps made to fail for good
    refs: dict[str, str] = field(default_factory=dict)  # a uuid field -> the aggregate whose id it gives
    producing: set[str] = field(default_factory=set)  # the events being made: listeners may lead back to one

    def enter(self, alias: str, ev: EventV) -> None:
        """The state ``ev`` leaves the aggregate in: the one it enters, or ('previous') the one it was in before."""
        if ev.enters_previous:
            earlier = self.before.get(alias)
            if earlier:
                self.states[alias] = earlier.pop()
        elif ev.enters:
            self.before.setdefault(alias, []).append(self.states.get(alias))
            self.states[alias] = ev.enters

    def produce(self, ev: EventV, values: Mapping[str, Any]) -> None:
        """Make ``ev`` happen on this play's aggregate of its kind, with ``values`` where a command carries them."""
        if ev.key in self.producing:
            raise _Stuck(f"making {ev.raw} needs {ev.raw} first")
        self.producing.add(ev.key)
        try:
            self._produce(ev, values)
        finally:
            self.producing.discard(ev.key)

    def _produce(self, ev: EventV, values: Mapping[str, Any]) -> None:
        agg = ev.aggregate
        makers = [c for c in agg.commands if any(e.event is ev for e in c.emits)]
        own = [c for c in makers if self.player.own(c)]
        if own:
            self._issue(own[0], ev, values)
            return
        heard = [li for c in makers for li in self.player.listening.get(c, [])]
        if not heard:
            self._by_saga(ev, makers)
            return
        li = heard[0]
        if li.command.creates:
            if agg.key in self.bound:
                raise _Stuck(f"{agg.raw} exists already")
            self.produce(li.on, self._upstream(li, values))
            if agg.key not in self.bound:
                raise _Stuck(f"the listener on {li.on.raw} did not create {agg.raw}")
            return
        for needed in (agg, li.on.aggregate):  # the listener's target, and the aggregate it hears
            if needed.key not in self.bound:
                creator = self.player.creator(needed)
                if creator is None:
                    raise _Stuck(f"nothing the player may do creates {needed.raw}")
                self.produce(creator, {})
        self.produce(li.on, self._upstream(li, values))

    def _by_saga(self, ev: EventV, makers: list[CommandV]) -> None:
        """Make ``ev`` happen by starting the saga whose step records it (on the aggregate the step makes)."""
        agg = ev.aggregate
        for saga in self.player.sagas:
            for st in saga.steps:
                if st.invoke in makers and st.invoke.creates and st.succeeds is ev and agg.key not in self.bound:
                    self.produce(saga.starts_on, {})
                    if agg.key in self.bound:
                        return
        raise _Stuck(f"only a saga records {ev.raw}")

    def _upstream(self, li: ListenerV, values: Mapping[str, Any]) -> dict[str, Any]:
        """The values of the heard event that give the command's fields these values."""
        mapping = dict(li.entity.mapping)
        return {mapping.get(f.raw, f.raw): values[f.raw] for f in li.command.fields if f.raw in values}

    def _issue(self, c: CommandV, ev: EventV, values: Mapping[str, Any]) -> None:
        agg = c.aggregate
        if c.creates:
            if agg.key in self.bound:
                raise _Stuck(f"{agg.raw} exists already")
        else:
            if agg.key not in self.bound:
                creator = self.player.creator(agg)
                if creator is None:
                    raise _Stuck(f"nothing the player may do creates {agg.raw}")
                self.produce(creator, {})
            self._reach(c)
        self.command(c, values, choose=ev.cls if c.choice_hook and c.emits[0].event is not ev else "")

    def _reach(self, c: CommandV) -> None:
        """Put the aggregate in a state ``c`` is allowed in, by the fewest commands the player may issue."""
        agg = c.aggregate
        if not c.allowed or self.states.get(agg.key) in c.allowed:
            return
        paths: list[tuple[str | None, list[CommandV]]] = [(self.states.get(agg.key), [])]
        seen = {self.states.get(agg.key)}
        while paths:
            state, path = paths.pop(0)
            for step in agg.commands:
                if step.creates or not self.player.own(step) or (step.allowed and state not in step.allowed):
                    continue
                after = step.default_enters or state
                if after in c.allowed:
                    for s in [*path, step]:
                        self.command(s, {})
                    if self.states.get(agg.key) not in c.allowed:
                        # what the way there set off (a saga completing) moved the aggregate on again
                        raise _Stuck(f"{c.raw}'s state does not last: {self.states.get(agg.key)} after {step.raw}")
                    return
                if after not in seen and len(path) < 4:
                    seen.add(after)
                    paths.append((after, [*path, step]))
        raise _Stuck(f"{c.raw} is allowed in no state the player reaches")

    def command(
        self, c: CommandV, values: Mapping[str, Any], choose: str = "", expect: str = "done", same_id: str = ""
    ) -> None:
        agg = c.aggregate
        alias = agg.key
        emitted = [e.event for e in c.emits if not choose or e.event.cls == choose]
        if c.creates or c.choice_hook:
            emitted = emitted[:1]
        if expect != "rejected":
            for saga in self.player.sagas:
                if saga.starts_on in emitted:
                    self._prepare(saga)
        args = []
        for f in c.fields:
            if f is c.id_field:
                continue
            ref = self.refs.get(f.raw) if f.ftype.name == "uuid" else None
            if ref:
                args.append(ValueV(f, f"player.id({pystr(ref)})"))
            else:
                found = self.player.value(f, values, c)
                args.append(ValueV(f, found.expr, names=found.names))
        self.moves.append(
            MoveV(
                "command",
                self.player.who(c),
                c,
                tuple(args),
                target="" if c.creates else alias,
                binds=alias if c.creates else "",
                choose=choose,
                expect=expect,
                same_id=same_id,
            )
        )
        if expect == "rejected":
            return
        self.bound.add(alias)
        for ev in emitted:
            self.enter(alias, ev)
            self._consequences(ev)

    def _prepare(self, saga: SagaV) -> None:
        """Make the existing aggregates the saga's steps act on, in a state their commands are allowed in; the
        starting event's field that names each gives its id (an aggregate of another kind found by the same
        id is made with that id)."""
        fields = {f.raw for f in saga.starts_on.fields}
        for st in saga.steps:
            raw = st.entity.target_field
            agg = st.invoke.aggregate
            if not st.existing or raw is None or raw not in fields or agg.key in self.bound:
                continue
            owner = self.refs.get(raw)
            if owner is None:
                self.refs[raw] = agg.key
                creator = self.player.creator(agg)
                if creator is None:
                    raise _Stuck(f"nothing the player may do creates {agg.raw}")
                self.produce(creator, {})
            else:
                made = next((c for c in agg.creators if self.player.own(c)), None)
                if made is None:
                    raise _Stuck(f"nothing the player may do creates {agg.raw}")
                self.command(made, {}, same_id=owner)
            self._reach(st.invoke)

    def _consequences(self, ev: EventV) -> None:
        """What listeners and sagas do when ``ev`` happens: follow the aggregates they create, track states."""
        for li in self.player.j.listeners_on.get(ev, ()):
            target = li.command.aggregate.key
            emitted = li.command.emits[:1] if li.command.creates or li.command.choice_hook else li.command.emits
            if li.command.creates:
                if target in self.bound:
                    continue
                self.moves.append(MoveV("follow", listener=li, binds=target, source=ev.aggregate.key))
                self.bound.add(target)
            elif target not in self.bound or (li.key is not None and li.key_value == "domain_event.originator_id"):
                # found by a key the event holds as its own id: the play's aggregate of the class, made with
                # example values, does not hold that id, so the command goes to none
                continue
            for e in emitted:
                self.enter(target, e.event)
                self._consequences(e.event)
        for saga in self.player.sagas:
            if saga.starts_on is not ev:
                continue
            failed = next((st.index for st in saga.steps if st in self.fails), len(saga.steps))
            made = []
            for st in saga.steps[:failed]:
                alias = st.invoke.aggregate.key
                if st.invoke.creates and alias not in self.bound:
                    made.append((st.index, alias))
                    self.bound.add(alias)
                    self.enter(alias, st.succeeds)
            who = saga.microservice.raw
            self.moves.append(MoveV("saga", who, saga=saga, target=ev.aggregate.key, made=tuple(made)))
            outcome = saga.aborts if failed < len(saga.steps) else saga.completes
            self.enter(ev.aggregate.key, outcome)

    def queries(self) -> None:
        """Ask the queries whose read models the aggregates of this play feed."""
        for q in self.player.j.queries:
            p = q.projection
            if p is None or not any(ev.aggregate.key in self.bound for ev in p.sources):
                continue
            main = p.main
            values = []
            for f in q.fields:
                if main is not None and f.name == main.identity.name and _is_uuid(f) and main.key in self.bound:
                    values.append(ValueV(f, f"player.id({pystr(main.key)})"))
                else:
                    found = self.player.query_value(q, f)
                    values.append(ValueV(f, found.expr, names=found.names))
            self.moves.append(MoveV("query", self.player.asker(q), values=tuple(values), q=q))


@dataclass(frozen=True, eq=False)
class PlayerV:
    j: JourneyV
    sagas: tuple[SagaV, ...]

    @cached_property
    def listening(self) -> dict[CommandV, list[ListenerV]]:
        found: dict[CommandV, list[ListenerV]] = {}
        for li in self.j.listeners:
            found.setdefault(li.command, []).append(li)
        return found

    @cached_property
    def by_sagas(self) -> set[CommandV]:
        return {c for s in self.sagas for st in s.steps for c in (st.invoke, st.compensate) if c is not None}

    def own(self, c: CommandV) -> bool:
        """Whether the player issues it itself: no listener and no saga does."""
        return c not in self.listening and c not in self.by_sagas

    def creator(self, agg: AggregateV) -> EventV | None:
        """The event that creates ``agg`` by a command the player issues, or else a listener's (one the player
        issues first: a listener's creator may hang on an aggregate the walk cannot make)."""
        for c in sorted(agg.creators, key=lambda c: not self.own(c)):
            if self.own(c) or any(li.command is c for li in self.j.listeners):
                return c.emits[0].event
        return None

    def failing(self, saga: SagaV) -> StepV | None:
        """The step made to fail: the last one before which some step can be undone (the pivot, often)."""
        last = saga.pivot if saga.pivot is not None else len(saga.steps) - 1
        for st in reversed(saga.failing):
            if st.index <= last and saga.compensations(st.index):
                return st
        return saga.failing[-1] if saga.failing else None

    @cached_property
    def _actors(self) -> dict[Command | Query, str]:
        found: dict[Command | Query, str] = {}
        for p in self.j.model.processes:
            who = p.actor.name if p.actor else ""
            for a in p.actions:
                found.setdefault(a, who or p.microservice.name)
        return found

    def who(self, c: CommandV) -> str:
        return self._actors.get(c.entity, c.aggregate.microservice.raw)

    def asker(self, q: QueryV) -> str:
        return self._actors.get(q.entity, self.j.service(q.entity.microservice).raw)

    def _command_pool(self, c: CommandV | None) -> dict[str, list[tuple[Any, FieldType]]]:
        """The values scenarios give this command's fields, or the same fields of the events it records."""
        found: dict[str, list[tuple[Any, FieldType]]] = {}
        if c is None:
            return found
        emitted = {e.event.entity for e in c.emits}
        for s in self.j.scenarios:
            if s.entity.when.command is c.entity:
                for f in c.fields:
                    if f.raw in s.entity.when.values:
                        found.setdefault(f.raw, []).append((s.entity.when.values[f.raw], f.ftype))
            for occ in (*s.entity.given, *(s.entity.then or ())):
                if occ.event in emitted:
                    for f in self.j.event(occ.event).fields:
                        if f.raw in occ.values:
                            found.setdefault(f.raw, []).append((occ.values[f.raw], f.ftype))
        return found

    @cached_property
    def pool(self) -> dict[str, list[tuple[Any, FieldType]]]:
        """Every value the scenarios give a field, by the field's name as written."""
        found: dict[str, list[tuple[Any, FieldType]]] = {}

        def add(fields: tuple[FieldV, ...], values: Mapping[str, Any]) -> None:
            for f in fields:
                if f.raw in values:
                    found.setdefault(f.raw, []).append((values[f.raw], f.ftype))

        for s in self.j.scenarios:
            for g in s.entity.given:
                add(s.j.event(g.event).fields, g.values)
            add(s.command.fields, s.entity.when.values)
            for t in s.entity.then or ():
                add(s.j.event(t.event).fields, t.values)
        return found

    def value(self, f: FieldV, values: Mapping[str, Any], c: CommandV | None = None) -> Source:
        """A field's value as source: as the step gives it, else as a scenario gives it to this command (or to
        an event it records), else the scenarios' first of its name, else an example."""
        if f.raw in values:
            found = self._fit(values[f.raw], f.ftype, f.ftype)
            if found:
                return found
        for value, ftype in [*self._command_pool(c).get(f.raw, []), *self.pool.get(f.raw, [])]:
            found = self._fit(value, ftype, f.ftype)
            if found:
                return found
        return Source("None") if f.ftype.name == "optional" else Source(f.sample, sample_names(f.ftype))

    def query_value(self, q: QueryV, f: FieldV) -> Source:
        """A query field's value: the scenarios' of its name; for a time bound, a time the rows' times meet
        (an upper bound far ahead, a lower one far back, a day the scenarios give the row's time)."""
        want = f.ftype.of if f.ftype.name == "optional" and f.ftype.of is not None else f.ftype
        if f.raw in self.pool or want.name not in ("date", "datetime"):
            return self.value(f, {})
        found = q.bound(f.name)
        if found is None:
            return self.value(f, {})
        field, ftype, op = found
        far = {"<=": "2100, 1, 1", ">=": "2000, 1, 1"}.get(op)
        if far is not None:
            if want.name == "date":
                return Source(f"date({far})", frozenset({"date"}))
            return Source(f"datetime({far}, tzinfo=UTC)", frozenset({"datetime", "UTC"}))
        for value, source in self.pool.get(field, []):
            text = self._fit(value, source, source)
            if text and ftype == "datetime" and want.name == "date":
                return Source(f"{text.expr}.date()", text.names)
            if text and ftype == want.name:
                return text
        return self.value(f, {})

    @staticmethod
    def _fit(value: Any, source: FieldType, want: FieldType) -> Source | None:
        if value is None and want.name != "optional":
            return None
        if not optional_of(source, want) and not optional_of(want, source):
            return None
        try:
            return Source(literal(value, want), literal_names(value, want))
        except (AssertionError, ValueError, ArithmeticError):  # a value given a field of its name, another type
            return None

    @cached_property
    def plays(self) -> tuple[PlayV, ...]:
        plays: list[PlayV] = []
        for s in self.j.scenarios:
            plan = _Plan(self)
            try:
                for g in s.entity.given:
                    plan.produce(self.j.event(g.event), g.values)
                c = s.command
                if not self.own(c):
                    continue
                if not c.creates and c.aggregate.key not in plan.bound:
                    creator = self.creator(c.aggregate)
                    if creator is None:
                        continue
                    plan.produce(creator, {})
                then = s.entity.then
                lifecycle_allows = then is not None or s.entity.rejection is not None
                if c.allowed and not c.creates and (plan.states.get(c.aggregate.key) in c.allowed) != lifecycle_allows:
                    # what the given events set off (a saga completing, a listener's command) moved the
                    # aggregate on: played, the command would not meet the scenario's expectation
                    continue
                choose = ""
                if then and c.choice_hook and c.emits[0].event.entity is not then[0].event:
                    choose = self.j.event(then[0].event).cls
                plan.command(c, s.entity.when.values, choose, "rejected" if then is None else "done")
            except _Stuck:
                continue
            plan.queries()
            plays.append(PlayV(s.raw, f"play_{len(plays) + 1}", tuple(plan.moves), happy=then is not None))
        for saga in self.sagas:
            plays.extend(self._saga_plays(saga, plays))
        plays.extend(self._walks(plays))
        return tuple(plays)

    def _saga_plays(self, saga: SagaV, before: list[PlayV]) -> list[PlayV]:
        """Its happy path (unless a scenario played it already), and a run where a step fails: backward
        recovery undoes the steps before it in reverse order; forward recovery retries it."""
        found: list[PlayV] = []
        failing = self.failing(saga)
        base = next((p for p in before if p.happy and any(m.saga is saga for m in p.moves)), None)
        cases: list[tuple[str, tuple[tuple[StepV, int], ...]]] = []
        if base is None:
            cases.append((f"the {saga.entity.name} saga: every step succeeds", ()))
        if failing is not None:
            step = failing.entity.name
            if saga.recovery == "forward" or not saga.compensations(failing.index):
                cases.append((f"the {saga.entity.name} saga: {step} fails once, the SEC retries it", ((failing, 1),)))
            else:
                undone = set(saga.compensations(failing.index))
                what = "what it did is undone" if undone == {failing.name} else "the steps before it are undone"
                cases.append((f"the {saga.entity.name} saga: {step} fails, {what}", ((failing, -1),)))
        for title, fails in cases:
            plan = _Plan(self)
            plan.fails = tuple(st for st, times in fails if times < 0)
            try:
                plan.produce(saga.starts_on, {})
            except _Stuck:
                continue
            moves = plan.moves
            cut = next((i for i, m in enumerate(moves) if m.saga is saga), len(moves))
            plan.moves = moves[: cut + 1]
            plan.queries()
            n = len(before) + len(found) + 1
            found.append(PlayV(title, f"play_{n}", tuple(plan.moves), fails, happy=not fails))
        return found

    def _walks(self, plays: list[PlayV]) -> list[PlayV]:
        """A play per aggregate with commands the player may issue that no play issued: a walk through them."""
        issued = {m.c for p in plays for m in p.moves if m.c is not None}
        found: list[PlayV] = []
        for agg in self.j.aggregates:
            todo = [c for c in agg.commands if self.own(c) and c not in issued]
            if not todo:
                continue
            plan = _Plan(self)
            played: list[CommandV] = []  # of todo: the title names these, not those no reachable state allows
            try:
                creating = next((c for c in todo if c.creates), None)
                if creating is not None:
                    plan.command(creating, {})
                    played.append(creating)
                else:
                    creator = self.creator(agg)
                    if creator is None:
                        continue
                    plan.produce(creator, {})
                rest = [c for c in todo if not c.creates]
                while rest:
                    state = plan.states.get(agg.key)
                    ready = [c for c in rest if not c.allowed or state in c.allowed]
                    keep = [c for c in ready if not _strands(c, state, rest)]
                    nxt = (keep or ready or rest)[0]
                    rest.remove(nxt)
                    try:
                        plan._reach(nxt)
                    except _Stuck:
                        continue  # no state it is allowed in can be reached: left out
                    plan.command(nxt, {})
                    played.append(nxt)
            except _Stuck:
                continue
            if not played:
                continue  # only the way to make it: nothing of its own to show
            plan.queries()
            title = f"{names.human(agg.raw)}: " + ", ".join(c.raw for c in played) + " (no scenario gives their values)"
            found.append(PlayV(title, f"play_{len(plays) + len(found) + 1}", tuple(plan.moves)))
        return found

    @cached_property
    def steers(self) -> dict[str, list[SteerV]]:
        """By microservice module: the rules the player answers while it plays."""
        found: dict[str, list[SteerV]] = {}
        chosen = {m.c for p in self.plays for m in p.moves if m.choose and m.c is not None}
        failing = {fail for p in self.plays for fail in p.fails}
        for ms in self.j.microservices:
            hooks = {h.method: h for h in ms.hooks}
            steers: list[SteerV] = []
            for h in self.j.names.hooks_of(ms.entity):
                view = hooks[h.method]
                if h.kind == "field" and h.event is not None and h.field is not None:
                    fv = next(x for x in self.j.event(h.event).fields if x.raw == h.field.name)
                    value = self._event_value(self.j.event(h.event), fv)
                    if value and fv.ftype.name != "uuid":  # an id the scenario made up names nothing here
                        keeps = fv.name if len(view.body) > 1 else ""  # the default keeps the aggregate's value
                        steers.append(SteerV(view, "value", value.expr, attribute=keeps, names=value.names))
                elif h.kind == "choice" and self.j.command(h.commands[0]) in chosen:
                    c = self.j.command(h.commands[0])
                    steers.append(SteerV(view, "choice", options=tuple(c.choices), command=c.cls))
                elif h.kind == "fails":
                    st = next((st for st, _ in failing if st.invoke.entity is h.commands[0]), None)
                    if st is not None and st.fails is not None:
                        why = next((x for x in st.fails.fields if x.raw == "reason"), None)
                        reason = self._event_value(st.fails, why) or Source(pystr("made to fail by the player"))
                        steers.append(
                            SteerV(view, "fails", command=st.invoke.cls, reason=reason.expr, names=reason.names)
                        )
            if steers:
                found[ms.module] = steers
        return found

    @property
    def written(self) -> bool:
        """Whether a rule the player answers gives a scenario's value unless rules.py overrides it: journey.py
        then asks esp_runtime.player's written()."""
        return any(s.kind == "value" for steers in self.steers.values() for s in steers)

    @property
    def stdlib(self) -> frozenset[str]:
        """The standard-library names journey.py reads: Callable (steer's put-back), and what the rules it
        steers (their signatures, the values and reasons they answer) and its moves' values read."""
        found = {"Callable"}
        for steers in self.steers.values():
            found.update(n for s in steers for n in s.hook.signature_names | s.names)
        found.update(n for p in self.plays for m in p.moves for v in m.values for n in v.names)
        return frozenset(found)

    @cached_property
    def modules(self) -> frozenset[tuple[str, str]]:
        """(microservice module, module) of each microservice module journey.py names: the rules it steers and
        what their signatures name, the commands its moves issue and its queries ask, the aggregates whose
        events its follows wait for."""
        found: set[tuple[str, str]] = set()
        for module, steers in self.steers.items():
            found.add((module, "rules"))
            found.update((module, part) for s in steers for part in s.hook.modules)
        for p in self.plays:
            for m in p.moves:
                if m.c is not None:
                    found.add((m.c.aggregate.microservice.module, "commands"))
                elif m.q is not None:
                    found.add((m.q.module, "commands"))
                elif m.listener is not None:
                    found.add((m.listener.on.service.module, "aggregates"))
        return frozenset(found)

    def _event_value(self, ev: EventV, f: FieldV | None) -> Source | None:
        """The first value the scenarios expect for this field of this event (a then), else the first they give
        (a given) unless it is a time, which is better now than when some scenario began."""
        if f is None:
            return None
        expected = [occ for s in self.j.scenarios for occ in s.entity.then or ()]
        given = [occ for s in self.j.scenarios for occ in s.entity.given]
        if f.ftype.name not in ("date", "datetime"):
            expected += given
        for occ in expected:
            if occ.event is ev.entity and f.raw in occ.values:
                found = self._fit(occ.values[f.raw], f.ftype, f.ftype)
                if found:
                    return found
        return None

    @cached_property
    def causes(self) -> dict[str, str]:
        """Who makes an event happen when the player does not: a listener, a saga's step, its SEC."""
        found: dict[str, str] = {}
        for li in self.j.listeners:
            for e in li.command.emits:
                found.setdefault(e.event.key, f"{li.command.key}, by a listener on {li.on.key}")
        for saga in self.sagas:
            name = saga.entity.name
            for st in saga.steps:
                for e in st.invoke.emits:
                    found.setdefault(e.event.key, f"{name} saga: {st.entity.name}")
                if st.compensate is not None:
                    for e in st.compensate.emits:
                        found.setdefault(e.event.key, f"{name} saga: undo {st.entity.name}")
            found.setdefault(saga.completes.key, f"{name} saga: completed")
            found.setdefault(saga.aborts.key, f"{name} saga: aborted")
        return found


def _strands(c: CommandV, state: str | None, rest: list[CommandV]) -> bool:
    """Whether ``c`` leaves a state some other command still to play is not allowed in."""
    after = c.default_enters or state
    return after != state and any(o is not c and state in o.allowed and after not in o.allowed for o in rest)


def _is_uuid(f: FieldV) -> bool:
    """Whether a query field holds an id (uuid, or optional[uuid]): one named like the identity but of another
    type selects rows otherwise (QueryV._condition), so it gets an example value, not the aggregate's id."""
    want = f.ftype.of if f.ftype.name == "optional" and f.ftype.of is not None else f.ftype
    return want.name == "uuid"
