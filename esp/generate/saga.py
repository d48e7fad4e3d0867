"""The template view of sagas: one Saga Execution Container (SEC) per saga, and each participant's part.

``attach`` adds to a built :class:`~esp.generate.context.JourneyV` what the saga
templates render: the SEC (``<ms>/sagas.py`` in the saga's microservice), the
step and compensation handlers of every participant (``<ms>/saga_steps.py``),
and the rules they ask for (added to each service's ``Hooks``): why a step
fails (the failure a test or a business rule injects) and the command fields
no event of the saga carries.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from esp import names
from esp.generate.context import CommandV, EventV, FieldV, HookV, JourneyV, MicroserviceV
from esp.generate.text import GenerateError, UnsafeText, ident, pystr
from esp.model import Model, Saga, SagaStep


@dataclass
class StepV:
    index: int
    name: str  # a Python string literal of the step's name
    raw: str
    method: str  # the participant's handler
    invoke: CommandV
    succeeds: EventV
    fails: EventV | None
    compensate: CommandV | None
    retriable: bool
    timeout_ms: int | None
    participant: MicroserviceV
    values: list[tuple[str, str]]  # command field -> expression over ``values`` (the run's values)
    compensation: list[tuple[str, str]]  # compensating command field -> expression over ``values``/``target``
    success: list[tuple[str, str]]  # success event field -> expression over ``command``/``rules``
    failure: list[tuple[str, str]]  # failure event field -> expression over ``command``/``reason``
    fails_hook: str | None  # the participant's rule that injects a failure

    @property
    def started_cls(self) -> str:
        """The run's event that carries this step's command: one class per participant, which follows only its own."""
        return ident(names.class_name(self.participant.raw) + "StepStarted")

    @property
    def compensation_cls(self) -> str:
        return ident(names.class_name(self.participant.raw) + "CompensationStarted")

    @property
    def compensation_method(self) -> str:
        assert self.compensate is not None
        return ident(f"{self.method}_compensate")


@dataclass
class SagaV:
    raw: str
    name: str  # a Python string literal
    doc: UnsafeText
    cls: str
    run_cls: str
    sec_cls: str
    attr: str
    microservice: MicroserviceV
    starts_on: EventV
    start_values: list[tuple[str, str]]  # run value -> expression over ``domain_event``
    recovery: str
    compensate_failed_step: bool
    retries: tuple[int, str, int] | None  # (max, backoff, delay in ms)
    pivot: int | None
    steps: list[StepV]
    completes: EventV
    completes_values: list[tuple[str, str]]  # over ``domain_event`` (the run's Completed)
    aborts: EventV
    aborts_values: list[tuple[str, str]]  # over ``domain_event`` (the run's Aborted)
    hooks: list[HookV] = field(default_factory=list)

    @property
    def start_state(self) -> str | None:
        """The state its starting event enters (a test puts the aggregate there to start the saga)."""
        return self.starts_on.enters

    def compensations(self, index: int, timed_out: bool = False) -> list[str]:
        """The steps backward recovery compensates when step ``index`` fails (or times out), in order."""
        if self.recovery == "forward" or (self.pivot is not None and index > self.pivot):
            return []
        done = [st.name for st in self.steps[:index] if st.compensate is not None]
        failed = self.steps[index]
        if failed.compensate is not None and (timed_out or self.compensate_failed_step):
            done.append(failed.name)
        return list(reversed(done))

    def retried(self, index: int) -> bool:
        step = self.steps[index]
        after_pivot = self.pivot is not None and index > self.pivot
        return self.retries is not None and (self.recovery == "forward" or after_pivot or step.retriable)

    @property
    def failing(self) -> list[StepV]:
        """The steps a rule can make fail."""
        return [st for st in self.steps if st.fails_hook is not None]

    @property
    def timing_out(self) -> StepV | None:
        """The step a timeout test makes hang: one with a timeout and a rule, a compensable one if any."""
        steps = [st for st in self.failing if st.timeout_ms is not None]
        return next((st for st in steps if st.compensate is not None), steps[0] if steps else None)

    @property
    def leaders(self) -> list[MicroserviceV]:
        """What the SEC follows: the starting event's microservice and the participants (their answers)."""
        return _unique_services([self.starts_on.service, *self.participants])

    @property
    def followers(self) -> list[MicroserviceV]:
        """What follows the SEC: the participants (its commands) and the microservice that records the end."""
        return _unique_services([*self.participants, self.completes.service])

    @property
    def run_events(self) -> list[tuple[str, str, MicroserviceV]]:
        """The run's command events, one class per participant: (class, base class, participant)."""
        found: list[tuple[str, str, MicroserviceV]] = []
        for st in self.steps:
            pairs = [(st.started_cls, "StepStarted")]
            if st.compensate is not None:
                pairs.append((st.compensation_cls, "CompensationStarted"))
            for cls, base in pairs:
                if cls not in [f[0] for f in found]:
                    found.append((cls, base, st.participant))
        return found

    @property
    def participants(self) -> list[MicroserviceV]:
        seen: dict[str, MicroserviceV] = {}
        for step in self.steps:
            seen.setdefault(step.participant.module, step.participant)
        return list(seen.values())


@dataclass
class SagaPartV:
    """What one microservice does for the sagas: steps and compensations it runs, outcomes it records."""

    steps: list[tuple[SagaV, StepV]] = field(default_factory=list)
    outcomes: list[SagaV] = field(default_factory=list)  # sagas whose end it records on its aggregate
    runs: list[SagaV] = field(default_factory=list)  # sagas whose SEC it hosts

    @property
    def topics(self) -> list[tuple[SagaV, str]]:
        """The SEC events meant for this microservice: (saga, event class name in its run)."""
        found: list[tuple[SagaV, str]] = []
        for sv, st in self.steps:
            for cls in [st.started_cls] + ([st.compensation_cls] if st.compensate is not None else []):
                if (sv, cls) not in found:
                    found.append((sv, cls))
        for sv in self.outcomes:
            found += [(sv, "Completed"), (sv, "Aborted")]
        return found

    @property
    def sagas(self) -> list[SagaV]:
        """The sagas whose SEC events it reads."""
        return _unique_sagas([sv for sv, _ in self.topics])

    @property
    def needs_aggregate(self) -> bool:
        """Whether its module names ``Aggregate`` (a failure as a first event, or a compensation's answer)."""
        return bool(self.first_failures) or any(st.compensate is not None for _, st in self.steps)

    @property
    def first_failures(self) -> list[tuple[str, list[EventV]]]:
        """Per aggregate, the failure events a step records as the aggregate's first event."""
        found: dict[str, list[EventV]] = {}
        for _, st in self.steps:
            if st.fails is None or st.fails.creation:  # a creating command's alternative creates already
                continue
            if st.fails not in found.setdefault(st.invoke.aggregate.cls, []):
                found[st.invoke.aggregate.cls].append(st.fails)
        return [(cls, events) for cls, events in found.items() if events]

    @property
    def compensations(self) -> list[tuple[SagaV, StepV]]:
        return [(s, st) for s, st in self.steps if st.compensate is not None]


def attach(view: JourneyV, model: Model) -> None:
    """Add the sagas of ``model`` to ``view`` (and their rules to the services' hooks)."""
    by_name = {ms.raw: ms for ms in view.microservices}
    events = {(e.aggregate.raw if e.aggregate else "", e.raw): e for ms in view.microservices for e in ms.events}
    commands = {c.raw: c for ms in view.microservices for c in ms.commands}
    sagas = [_Saga(saga, by_name, events, commands).build() for saga in model.sagas]
    _check_names(view, sagas)
    for sv in sagas:
        _part(sv.microservice).runs.append(sv)
        _part(sv.completes.service).outcomes.append(sv)
        for step in sv.steps:
            _part(step.participant).steps.append((sv, step))
        sv.microservice.hooks.extend(sv.hooks)
    for ms in view.microservices:
        for hook in _fails_hooks(ms):
            if hook.method not in {h.method for h in ms.hooks}:
                ms.hooks.append(hook)
        ms.hooks.sort(key=lambda h: h.method)
    view.saga_views = sagas
    view.sagas = []


# Names the system class has once sagas run, and names saga_steps.py imports (an aggregate's holder class there).
SYSTEM_NAMES = frozenset({"runner", "services", "catch_up", "positions", "recorded", "close", "sagas", "tick"})
STEP_MODULE_NAMES = frozenset(
    {"Aggregate", "AggregateNotFoundError", "DomainError", "DomainEventProtocol", "ProcessingEvent", "SagaRun", "UUID"}
)


def _check_names(view: JourneyV, sagas: list[SagaV]) -> None:
    """Refuse a saga whose generated names would clash with the system's or a module's own names."""
    taken = {ms.attr: f"microservice {ms.raw!r}" for ms in view.microservices}
    taken.update({q.method: f"query {q.raw!r}" for q in view.queries})
    for sv in sagas:
        clash = taken.get(sv.attr) or ("the system class" if sv.attr in SYSTEM_NAMES else None)
        if clash:
            raise GenerateError(
                f"saga {sv.raw!r} becomes {sv.attr!r}, which {clash} already is", "rename the saga or the other"
            )
        taken[sv.attr] = f"saga {sv.raw!r}"
        for step in sv.steps:
            if step.invoke.aggregate.cls in STEP_MODULE_NAMES:
                raise GenerateError(
                    f"aggregate {step.invoke.aggregate.raw!r} runs a saga step but its name "
                    f"{step.invoke.aggregate.cls!r} is one the saga code already uses",
                    "rename the aggregate",
                )
    if sagas:
        for ms in view.microservices:
            if ms.attr in SYSTEM_NAMES:
                raise GenerateError(
                    f"microservice {ms.raw!r} becomes {ms.attr!r}, which the system class uses for sagas",
                    "rename the microservice",
                )


def _unique_sagas(sagas: list[SagaV]) -> list[SagaV]:
    seen: dict[str, SagaV] = {}
    for sv in sagas:
        seen.setdefault(sv.cls, sv)
    return list(seen.values())


def _unique_services(services: list[MicroserviceV]) -> list[MicroserviceV]:
    seen: dict[str, MicroserviceV] = {}
    for ms in services:
        seen.setdefault(ms.module, ms)
    return list(seen.values())


def _part(ms: MicroserviceV) -> SagaPartV:
    if ms.saga_part is None:
        ms.saga_part = SagaPartV()
    part = ms.saga_part
    assert isinstance(part, SagaPartV)
    return part


def _fails_hooks(ms: MicroserviceV) -> list[HookV]:
    part = ms.saga_part
    if not isinstance(part, SagaPartV):
        return []
    hooks = []
    for _, step in part.steps:
        if step.fails_hook is None:
            continue
        hooks.append(
            HookV(
                step.fails_hook,
                f"Why {step.invoke.cls} fails when a saga runs it, or None when it succeeds (default: None). "
                f"A reason makes the step record {step.fails.cls if step.fails else 'its failure'}.",
                f"command: commands.{step.invoke.cls}",
                "str | None",
                ["return None"],
            )
        )
    return hooks


class _Saga:
    def __init__(
        self,
        saga: Saga,
        services: dict[str, MicroserviceV],
        events: dict[tuple[str, str], EventV],
        commands: dict[str, CommandV],
    ) -> None:
        self.saga = saga
        self.services = services
        self.events = events
        self.commands = commands
        self.cls = ident(names.class_name(saga.name))
        self.snake = ident(names.snake(saga.name))
        self.hooks: list[HookV] = []

    def event(self, name: str, aggregate: str) -> EventV:
        ev = self.events.get((aggregate, name))
        if ev is None:
            raise GenerateError(f"saga {self.saga.name!r}: the event {name!r} is not generated")
        return ev

    def build(self) -> SagaV:
        saga = self.saga
        start = self.event(saga.starts_on.name, saga.starts_on.aggregate.name if saga.starts_on.aggregate else "")
        assert start.aggregate is not None
        known: dict[str, str] = {start.aggregate.identity.name: "UUID"}
        start_values = [(start.aggregate.identity.name, "domain_event.originator_id")]
        for f in start.fields:
            if f.name not in known:
                known[f.name] = f.type
                start_values.append((f.name, f"domain_event.{f.name}"))
        steps = [self.step(i, s, known) for i, s in enumerate(saga.steps)]
        seen: dict[str, str] = {}
        for step in steps:
            if step.method in seen:
                raise GenerateError(
                    f"saga {saga.name!r}: the steps {seen[step.method]!r} and {step.raw!r} become the same "
                    f"Python name {step.method!r}",
                    "rename one of them",
                )
            seen[step.method] = step.raw
        for event in (saga.completes_with, saga.aborts_with):
            if event.aggregate is None or event.aggregate.name != start.aggregate.raw:
                raise GenerateError(
                    f"saga {saga.name!r}: esp records {event.name!r} on the aggregate whose event started the saga "
                    f"({start.aggregate.raw}), but it is an event of another aggregate",
                    f"make {event.name!r} an event of {start.aggregate.raw!r}",
                )
        completes = self.event(saga.completes_with.name, start.aggregate.raw)
        aborts = self.event(saga.aborts_with.name, start.aggregate.raw)
        retries = (saga.retries.max, saga.retries.backoff, saga.retries.delay_ms) if saga.retries else None
        pivot = next((i for i, s in enumerate(saga.steps) if s.pivot), None)
        return SagaV(
            saga.name,
            pystr(saga.name),
            UnsafeText(saga.description),
            self.cls,
            ident(self.cls + "Run"),
            ident(self.cls + "Saga"),
            ident(self.snake + "_saga"),
            self.services[saga.microservice.name],
            start,
            start_values,
            saga.recovery,
            bool(saga.compensate_failed_step),
            retries,
            pivot,
            steps,
            completes,
            _outcome_values(completes, aborted=False),
            aborts,
            _outcome_values(aborts, aborted=True),
            self.hooks,
        )

    def step(self, index: int, step: SagaStep, known: dict[str, str]) -> StepV:
        invoke = self.commands.get(step.invoke.name)
        if invoke is None:
            raise GenerateError(f"saga {self.saga.name!r}: the command {step.invoke.name!r} is not generated")
        succeeds = self.event(step.succeeds_on.name, invoke.aggregate.raw)
        if not invoke.creates or invoke.first_emit.event is not succeeds:
            raise GenerateError(
                f"saga {self.saga.name!r}, step {step.name!r}: esp generates steps whose command creates "
                f"an aggregate with the step's success event ({invoke.raw} does not create one with {succeeds.raw})",
                "make the step's command create its aggregate, with succeeds_on as its first event",
            )
        fails = self.event(step.fails_on.name, invoke.aggregate.raw) if step.fails_on else None
        compensate = self.commands.get(step.compensate.name) if step.compensate else None
        method = ident(f"{self.snake}_{names.snake(step.name)}")
        values = [(f.name, self.value(f, invoke, known)) for f in invoke.fields]
        compensation = []
        if compensate is not None:
            for f in compensate.all_fields:
                if compensate.id_field is not None and f.name == compensate.id_field.name:
                    compensation.append((f.name, "target"))
                else:
                    compensation.append((f.name, self.value(f, compensate, known)))
        success = [(v.field.name, v.expr.replace("rules.", "app.rules.")) for v in invoke.first_emit.values]
        failure = []
        if fails is not None:
            own = {f.name: f.type for f in invoke.fields}
            for f in fails.fields:
                if own.get(f.name) == f.type:
                    failure.append((f.name, f"command.{f.name}"))
                elif f.name == "reason" and f.type == "str":
                    failure.append((f.name, "reason"))
                else:
                    failure.append((f.name, f.default))
        return StepV(
            index,
            pystr(step.name),
            step.name,
            method,
            invoke,
            succeeds,
            fails,
            compensate,
            step.retriable,
            step.timeout_ms if step.timeout_ms is not None else self.saga.timeout_ms,
            invoke.aggregate.microservice or self.services[step.invoke.microservice.name],
            values,
            compensation,
            success,
            failure,
            ident(f"{invoke.method}_fails") if fails is not None else None,
        )

    def value(self, f: FieldV, command: CommandV, known: dict[str, str]) -> str:
        """A command field's value: the run's value of that name, else a rule of the SEC's microservice."""
        have = known.get(f.name)
        if have is not None and f.type in (have, f"{have} | None"):
            return f'values["{f.name}"]'
        if f.type.endswith("| None") and have is None:
            return "None"
        hook = ident(f"{self.snake}_{command.method}_{f.name}")
        if hook not in {h.method for h in self.hooks}:
            self.hooks.append(
                HookV(
                    hook,
                    f"The {f.raw} of {command.cls} when the {self.cls} saga sends it, which no event of the saga "
                    f"carries (default: {f.default}).",
                    "values: Mapping[str, Any]",
                    f.type,
                    [f"return {f.default}"],
                )
            )
        return f"self.rules.{hook}(values)"


def _outcome_values(ev: EventV, aborted: bool) -> list[tuple[str, str]]:
    """The values of the event that ends a saga: when it ended, and why it aborted (the run's Aborted says)."""
    values = []
    for f in ev.fields:
        if f.type == "datetime":
            values.append((f.name, "domain_event.timestamp"))
        elif aborted and f.type == "str" and f.name == "reason":
            values.append((f.name, "domain_event.reason"))
        elif aborted and f.type == "str" and f.name == "step":
            values.append((f.name, 'domain_event.reason.partition(": ")[0]'))
        else:
            values.append((f.name, f.default))
    return values
