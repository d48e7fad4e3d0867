"""The template view of sagas: one Saga Execution Container (SEC) per saga, and each participant's part.

``SagaV`` is what the SEC (``<ms>/sagas.py`` in the saga's microservice) and
the saga tests render; ``SagaPartV`` is what one microservice does for the
sagas: the steps and compensations it runs (``<ms>/saga_steps.py``) and the
outcomes it records. The rules they ask for (why a step fails, the command
fields no event of the saga carries) are named by :mod:`esp.naming` with the
others, and rendered in each microservice's ``Hooks``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property

from esp.build import duration_text
from esp.generate.context import AggregateV, CommandV, EventV, JourneyV, MicroserviceV, _View
from esp.generate.text import VALUE_MODULE, default_names, pystr, sample_names
from esp.generate.wrap import LINE
from esp.model import FieldType, Microservice, Retries, Saga, SagaStep
from esp.naming import field_name, optional_of, saga_data, saga_source


@dataclass(frozen=True, eq=False)
class StepV:
    j: JourneyV
    saga: SagaV
    entity: SagaStep
    index: int

    @property
    def name(self) -> str:
        """A Python string literal of the step's name."""
        return pystr(self.entity.name)

    @property
    def raw(self) -> str:
        return self.entity.name

    @property
    def method(self) -> str:
        """The participant's handler."""
        return self.j.names.steps[self.entity].method

    @property
    def compensation_method(self) -> str:
        return self.j.names.steps[self.entity].compensation

    @property
    def started_cls(self) -> str:
        """The run's event that carries this step's command: one class per participant, which follows only its own."""
        return self.j.names.steps[self.entity].started

    @property
    def compensation_cls(self) -> str:
        return self.j.names.steps[self.entity].compensation_started

    @property
    def rule_cls(self) -> str:
        """The saga tests' rule that makes the step fail."""
        return self.j.names.steps[self.entity].rule_cls

    @property
    def test_fails(self) -> str:
        return self.j.names.steps[self.entity].test_fails

    @property
    def test_fails_then_succeeds(self) -> str:
        return self.j.names.steps[self.entity].test_fails_then_succeeds

    @property
    def test_times_out(self) -> str:
        return self.j.names.steps[self.entity].test_times_out

    @property
    def compensation_rule_cls(self) -> str:
        """The saga tests' rule that makes its compensation fail."""
        return self.j.names.steps[self.entity].compensation_rule_cls

    @cached_property
    def invoke(self) -> CommandV:
        return self.j.command(self.entity.invoke)

    @property
    def existing(self) -> bool:
        """Whether the step acts on an existing aggregate (found by an id in the saga's data)."""
        return not self.entity.creates

    @property
    def target(self) -> str:
        """The saga data key of the existing aggregate's id."""
        raw = self.entity.target_field
        assert raw is not None and field_name(raw) in saga_data(self.saga.entity, self.index), (
            f"step {self.raw}: no saga data holds its aggregate's id (E140, E150)"
        )
        return field_name(raw)

    @property
    def changed_later(self) -> bool:
        """Whether a later step acts on an existing aggregate of the kind this one creates (maybe this one)."""
        later = self.saga.steps[self.index + 1 :]
        return any(st.existing and st.invoke.aggregate is self.invoke.aggregate for st in later)

    @property
    def id_field(self) -> str:
        """The field of its command that holds the existing aggregate's id."""
        assert self.invoke.id_field is not None
        return self.invoke.id_field.name

    @property
    def succeeds(self) -> EventV:
        return self.j.event(self.entity.succeeds_on)

    @property
    def fails(self) -> EventV | None:
        return self.j.event(self.entity.fails_on) if self.entity.fails_on is not None else None

    @property
    def compensate(self) -> CommandV | None:
        return self.j.command(self.entity.compensate) if self.entity.compensate is not None else None

    @property
    def retriable(self) -> bool:
        return self.entity.retriable

    @property
    def timeout_ms(self) -> int | None:
        return self.entity.timeout_ms if self.entity.timeout_ms is not None else self.saga.entity.timeout_ms

    @property
    def own_compensation_timeout_ms(self) -> int | None:
        """The compensation's time limit written in the journey (the step's, else the saga's); None: the SEC
        takes the step's timeout."""
        own = self.entity.compensation_timeout_ms
        return own if own is not None else self.saga.entity.compensation_timeout_ms

    @property
    def compensation_timeout_ms(self) -> int | None:
        """How long its compensation may go unanswered before it is retried or the run parked (None: no limit)."""
        own = self.own_compensation_timeout_ms
        return own if own is not None else self.timeout_ms

    @property
    def compensation_timeout(self) -> str:
        """Its compensation's time limit as the journey writes it ('30s')."""
        assert self.compensation_timeout_ms is not None
        return duration_text(self.compensation_timeout_ms)

    @property
    def participant(self) -> MicroserviceV:
        return self.invoke.aggregate.microservice

    @cached_property
    def values(self) -> list[tuple[str, str]]:
        """The command's fields: expressions over ``values`` (the saga's data)."""
        cv = self.invoke
        if not self.existing:
            return [(f.name, self.saga.value(self, f.raw, cv)) for f in cv.fields]
        return [
            (f.name, f'values["{self.target}"]' if f is cv.id_field else self.saga.value(self, f.raw, cv))
            for f in cv.all_fields
        ]

    @cached_property
    def compensation(self) -> list[tuple[str, str]]:
        """The compensating command's fields: over ``values`` and ``target`` (the aggregate the step made, or
        for a step on an existing aggregate the id its answer has)."""
        cv = self.compensate
        if cv is None:
            return []
        found = []
        for f in cv.all_fields:
            if cv.id_field is not None and f.name == cv.id_field.name:
                found.append((f.name, f'values["{self.target}"]' if self.existing else "target"))
            else:
                found.append((f.name, self.saga.value(self, f.raw, cv)))
        return found

    @cached_property
    def replies(self) -> list[tuple[str, str]]:
        """What its success adds to the saga's data (a step that creates: over its success event ``reply``)."""
        found = [(self.invoke.aggregate.identity.name, "reply.originator_id")] if not self.existing else []
        return found + [(f.name, f"reply.{f.name}") for f in self.succeeds.fields if f.name not in dict(found)]

    @cached_property
    def success(self) -> list[tuple[str, str]]:
        """The success event's fields: over ``command``, ``app.rules`` and (on an existing one) ``aggregate``."""
        emit = next(e for e in self.invoke.emits if e.event is self.succeeds)
        return [(v.field.name, v.call(rules="app.rules", aggregate="aggregate")) for v in emit.values]

    @property
    def reads_command(self) -> bool:
        """Whether a step that creates reads its command: a failure rule takes it, and each success field comes
        from it (a field of the command, or a rule given it). A success event with no fields reads nothing."""
        return self.fails is not None or bool(self.success)

    @cached_property
    def failure(self) -> list[tuple[str, str]]:
        """The failure event's fields: over ``command`` and ``reason``."""
        if self.fails is None:
            return []
        own = {f.name: f.type for f in self.invoke.fields}
        found = []
        for f in self.fails.fields:
            if own.get(f.name) == f.type:
                found.append((f.name, f"command.{f.name}"))
            elif f.name == "reason" and f.type == "str":
                found.append((f.name, "reason"))
            else:
                found.append((f.name, f.default))
        return found

    @property
    def fails_hook(self) -> str | None:
        """The participant's rule that injects a failure."""
        if self.entity.fails_on is None:
            return None
        return self.j._fails_hooks[self.entity.invoke].method

    @property
    def compensation_fails_hook(self) -> str:
        """The participant's rule that makes its compensation fail (retried, then the run parked)."""
        assert self.entity.compensate is not None
        return self.j._fails_hooks[self.entity.compensate].method

    @property
    def declaration(self) -> list[str]:
        """The arguments of its ``Step(...)`` in the SEC (its retry policies apart: ``retries_args``)."""
        timeout = f"timedelta(milliseconds={self.timeout_ms})" if self.timeout_ms is not None else "None"
        own = self.own_compensation_timeout_ms
        limit = [f"compensation_timeout=timedelta(milliseconds={own})"] if own is not None and self.compensate else []
        return [
            self.name,
            f"compensable={self.compensate is not None}",
            f"retriable={self.retriable}",
            f"timeout={timeout}",
            *limit,
        ]

    @property
    def retries_args(self) -> list[str] | None:
        return retries_args(self.entity.retries)

    @property
    def compensation_retries_args(self) -> list[str] | None:
        return retries_args(self.entity.compensation_retries)

    @property
    def compensation_policy(self) -> tuple[int, str, int] | None:
        """(max, backoff, delay in ms) of its compensation's retries: its own, else the saga's."""
        r = self.entity.compensation_retries or self.saga.entity.compensation_retries
        return (r.max, r.backoff, r.delay_ms) if r else None


def retries_args(r: Retries | None) -> list[str] | None:
    """The arguments of a ``Retries(...)``."""
    if r is None:
        return None
    return [f"max={r.max}", f"backoff={pystr(r.backoff)}", f"delay=timedelta(milliseconds={r.delay_ms})"]


@dataclass(frozen=True, eq=False)
class SagaV(_View[Saga]):
    @property
    def name(self) -> str:
        """A Python string literal of the saga's name."""
        return pystr(self.entity.name)

    @property
    def cls(self) -> str:
        return self.j.names.sagas[self.entity].cls

    @property
    def run_cls(self) -> str:
        return self.j.names.sagas[self.entity].run_cls

    @property
    def sec_cls(self) -> str:
        return self.j.names.sagas[self.entity].sec_cls

    @property
    def attr(self) -> str:
        return self.j.names.sagas[self.entity].attr

    @property
    def start(self) -> str:
        """The saga tests' helper that starts a run."""
        return self.j.names.sagas[self.entity].start

    @property
    def test_completes(self) -> str:
        return self.j.names.sagas[self.entity].test_completes

    @property
    def test_repeated_commands(self) -> str:
        return self.j.names.sagas[self.entity].test_repeated_commands

    @property
    def test_repeated_compensations(self) -> str:
        return self.j.names.sagas[self.entity].test_repeated_compensations

    @property
    def test_parks(self) -> str:
        return self.j.names.sagas[self.entity].test_parks

    @property
    def test_breaker(self) -> str:
        return self.j.names.sagas[self.entity].test_breaker

    @property
    def test_again(self) -> str:
        return self.j.names.sagas[self.entity].test_again

    @property
    def runs_again(self) -> bool:
        """Whether its completion leaves the aggregate where the saga starts (an order revised is approved, and
        may be revised again): a test runs it twice on one aggregate."""
        return not self.start_recorded and bool(self.start_state) and self.completes.enters == self.start_state

    @property
    def microservice(self) -> MicroserviceV:
        return self.j.service(self.entity.microservice)

    @property
    def starts_on(self) -> EventV:
        return self.j.event(self.entity.starts_on)

    @cached_property
    def start_values(self) -> list[tuple[str, str]]:
        """What the run keeps of its starting event: the aggregate's id and its fields."""
        start = self.starts_on
        found = [(start.aggregate.identity.name, "domain_event.originator_id")]
        for f in start.fields:
            if f.name not in dict(found):
                found.append((f.name, f"domain_event.{f.name}"))
        return found

    def value(self, step: StepV, raw: str, command: CommandV) -> str:
        """A field of a step's command or compensation: the saga data it is mapped to or named like, else None
        for an optional one, else a rule of the SEC's microservice (esp.naming.saga_rule_fields)."""
        f = next(f for f in command.entity.fields if f.name == raw)
        source = saga_source(self.entity, step.index, command.entity, f)
        if source is not None:
            return f'values["{source}"]'
        if f.type.name == "optional":
            return "None"
        return f"self.rules.{self.j._saga_hooks[(self.entity, command.entity, raw)].method}(values)"

    @property
    def recovery(self) -> str:
        return self.entity.recovery

    @property
    def compensate_failed_step(self) -> bool:
        return bool(self.entity.compensate_failed_step)

    @property
    def retries(self) -> tuple[int, str, int] | None:
        """(max, backoff, delay in ms)."""
        r = self.entity.retries
        return (r.max, r.backoff, r.delay_ms) if r else None

    @property
    def pivot(self) -> int | None:
        return next((i for i, s in enumerate(self.entity.steps) if s.pivot), None)

    @property
    def compensation_retries(self) -> list[str] | None:
        """The arguments of the SEC's ``COMPENSATION_RETRIES = Retries(...)``, if the saga has them."""
        return retries_args(self.entity.compensation_retries)

    @property
    def breaker(self) -> list[str] | None:
        """The arguments of the SEC's ``BREAKER = Breaker(...)``, if the saga has a circuit breaker."""
        b = self.entity.circuit_breaker
        if b is None:
            return None
        return [
            f"failures={b.failures}",
            f"open_for=timedelta(milliseconds={b.open_for_ms})",
            f"while_open={pystr(b.while_open)}",
        ]

    @property
    def uses_retries(self) -> bool:
        """Whether its SEC names ``Retries``."""
        e = self.entity
        return bool(e.retries or e.compensation_retries) or any(s.retries or s.compensation_retries for s in e.steps)

    @property
    def compensating(self) -> StepV | None:
        """The step a parking test makes a compensation fail for: the first compensable one a later step's
        failure compensates."""
        for st in self.failing:
            undo = self.compensations(st.index)
            if undo:
                return next(s for s in self.steps if s.name == undo[-1])
        return None

    @property
    def unanswered(self) -> StepV | None:
        """The step whose compensation a test leaves unanswered until the run is parked: the parking test's,
        when its compensation has a time limit."""
        comp = self.compensating
        return comp if comp is not None and comp.compensation_timeout_ms is not None else None

    @property
    def test_unanswered(self) -> str:
        return self.j.names.sagas[self.entity].test_unanswered

    @property
    def breaker_step(self) -> StepV | None:
        """The step a circuit-breaker test makes time out: one with a timeout and a rule, compensated when it
        times out and not retried (so each run counts one timeout, and its late answer does not close the
        breaker)."""
        if self.entity.circuit_breaker is None or self.recovery != "backward":
            return None
        for st in self.failing:
            if st.timeout_ms is not None and st.compensate is not None and not self.retried(st.index):
                return st
        return None

    def failing_after(self, step: StepV) -> StepV:
        """The first step whose failure compensates ``step``."""
        return next(st for st in self.failing if step.name in self.compensations(st.index))

    @cached_property
    def steps(self) -> tuple[StepV, ...]:
        return tuple(StepV(self.j, self, s, i) for i, s in enumerate(self.entity.steps))

    @property
    def completes(self) -> EventV:
        return self._outcome(self.j.event(self.entity.completes_with))

    @property
    def aborts(self) -> EventV:
        return self._outcome(self.j.event(self.entity.aborts_with))

    def _outcome(self, ev: EventV) -> EventV:
        assert ev.aggregate is self.starts_on.aggregate, (
            f"{ev.raw} is not of the aggregate that started the saga (E141)"
        )
        return ev

    @property
    def completes_values(self) -> list[tuple[str, str]]:
        """Over ``domain_event`` (the run's Completed, which carries the saga's data)."""
        return _outcome_values(self.completes, aborted=False, data=saga_data(self.entity, len(self.entity.steps)))

    @property
    def completes_from_data(self) -> list[str]:
        """The fields of ``completes_with`` the saga's data fills."""
        return [name for name, expr in self.completes_values if expr.startswith("domain_event.values[")]

    @property
    def aborts_values(self) -> list[tuple[str, str]]:
        """Over ``domain_event`` (the run's Aborted)."""
        return _outcome_values(self.aborts, aborted=True)

    @property
    def start_state(self) -> str:
        """The state a test puts the starting aggregate in: the one its starting event enters, else one where a
        command that records it is allowed (the test then records the event itself)."""
        if self.starts_on.enters:
            return self.starts_on.enters
        for cmd in self.j.model.commands:
            if self.entity.starts_on in cmd.emits:
                return cmd.allowed_in[0] if cmd.allowed_in else ""
        return ""

    @property
    def prior(self) -> SagaV | None:
        """The saga earlier in its aggregate's life that leaves it where this one starts (create, then cancel):
        a test runs it to completion first, as the builder's events would start it anyway."""
        start = self.starts_on.aggregate
        for saga in self.j.model.sagas:
            other = SagaV(self.j, saga)
            if saga is self.entity or other.starts_on.aggregate is not start or not other.start_recorded:
                continue
            if other.completes.enters == self.start_state and not self.start_recorded:
                return other
        return None

    @cached_property
    def prior_data(self) -> set[str]:
        """The starting event's fields a test takes from the prior saga's data (the ticket it created)."""
        prior = self.prior
        if prior is None:
            return set()
        data = saga_data(prior.entity, len(prior.entity.steps))
        return {f.name for f in self.starts_on.fields if f.name in data and optional_of(data[f.name], f.ftype)}

    @property
    def start_recorded(self) -> bool:
        """Whether putting the starting aggregate in ``start_state`` records the starting event."""
        return bool(self.starts_on.enters) or self.starts_on.creation

    @property
    def start_targets(self) -> list[tuple[AggregateV, str, str]]:
        """The existing aggregates the steps act on whose ids the starting event carries: (aggregate, its id in a
        test, its state there); a test stores them before it starts the saga."""
        found: list[tuple[AggregateV, str, str]] = []
        start = self.entity.starts_on
        start_fields = {f.name: f for f in self.starts_on.fields}
        for st in self.steps:
            raw = st.entity.target_field
            agg = st.invoke.aggregate
            field = self.entity.data(st.index).get(raw) if raw is not None else None
            if raw is None or field is None or field.step != -1 or agg.entity is start.aggregate:
                continue
            if field_name(raw) in self.prior_data:
                continue  # the prior saga's run made it or found it
            identity = start.aggregate.identity if start.aggregate is not None else None
            source = "start_id" if raw == identity else start_fields[field_name(raw)].sample
            if any(a.microservice.module == agg.microservice.module and s == source for a, s, _ in found):
                continue  # stored already (or another aggregate of its microservice has that id in a test)
            allowed = st.invoke.allowed
            found.append((agg, source, allowed[0] if allowed else ""))
        return found

    @property
    def step_retries(self) -> bool:
        """Whether a step has a retry policy of its own."""
        return any(st.entity.retries is not None for st in self.steps)

    def compensations(self, index: int, timed_out: bool = False) -> list[str]:
        """The steps backward recovery compensates when step ``index`` fails (or times out), in order."""
        if self.recovery == "forward" or (self.pivot is not None and index > self.pivot):
            return []
        done = [st.name for st in self.steps[:index] if st.compensate is not None]
        failed = self.steps[index]
        if failed.compensate is not None and (timed_out or self.compensate_failed_step):
            # a step that keeps failing was tried once and then per its retries: the SEC compensates every
            # attempt, each of which may have partly taken effect on an aggregate of its own
            done += [failed.name] * (1 if timed_out else self.retry_max(index) + 1)
        return list(reversed(done))

    def _may_time_out(self, step: StepV) -> bool:
        """As the SEC decides (esp_runtime.saga, _may_time_out): forward recovery, a compensable or a retried step."""
        return self.recovery == "forward" or step.compensate is not None or self.retried(step.index)

    def retried(self, index: int) -> bool:
        return self.retry_policy(index) is not None

    def retry_policy(self, index: int) -> tuple[int, str, int] | None:
        """(max, backoff, delay in ms) of step ``index``: its own, else the saga's where the saga retries it."""
        step = self.steps[index]
        own = step.entity.retries
        if own is not None:
            return (own.max, own.backoff, own.delay_ms)
        after_pivot = self.pivot is not None and index > self.pivot
        return self.retries if self.recovery == "forward" or after_pivot or step.retriable else None

    def retry_max(self, index: int) -> int:
        policy = self.retry_policy(index)
        return policy[0] if policy else 0

    @property
    def failing(self) -> list[StepV]:
        """The steps a rule can make fail."""
        return [st for st in self.steps if st.fails_hook is not None]

    @property
    def timing_out(self) -> StepV | None:
        """The step a timeout test makes hang: one with a timeout and a rule, a compensable one if any.

        A step the SEC may not time out is left out: a backward saga's pivot that is not retried is waited for
        (its late success could not be undone), so no timeout test can fail it.
        """
        steps = [st for st in self.failing if st.timeout_ms is not None and self._may_time_out(st)]
        return next((st for st in steps if st.compensate is not None), steps[0] if steps else None)

    @property
    def waited_for(self) -> StepV | None:
        """The step the SEC never times out although it has a timeout: a backward saga's pivot, not retried."""
        return next((st for st in self.failing if st.timeout_ms is not None and not self._may_time_out(st)), None)

    @property
    def tests_stdlib(self) -> frozenset[str]:
        """The standard-library names its tests read beyond test_sagas.py's own: uuid4 where the starting
        aggregate takes a new id the steps' targets share, and the example values of the starting event's
        fields where a test records it (those the prior saga's data fills apart)."""
        found = {"uuid4"} if any(source == "start_id" for _, source, _ in self.start_targets) else set()
        if not self.start_recorded:
            found.update(
                n for f in self.starts_on.fields if f.name not in self.prior_data for n in sample_names(f.ftype)
            )
        return frozenset(found)

    @property
    def expects_unavailable(self) -> bool:
        """Whether a test of this saga expects starting it to raise (``pytest.raises``): a participant is down
        in its circuit-breaker, timeout or waited-for test."""
        return self.breaker_step is not None or self.timing_out is not None or self.waited_for is not None

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
        return _unique_services([step.participant for step in self.steps])

    @property
    def has_existing(self) -> bool:
        """Whether a step acts on an existing aggregate."""
        return any(st.existing for st in self.steps)

    @property
    def repliers(self) -> list[MicroserviceV]:
        """The participants whose own events answer the SEC (steps that create; the others answer with a StepReply)."""
        return _unique_services([step.participant for step in self.steps if not step.existing])


@dataclass(frozen=True, eq=False)
class SagaPartV:
    """What one microservice does for the sagas: steps and compensations it runs, outcomes it records."""

    steps: tuple[tuple[SagaV, StepV], ...] = ()
    outcomes: tuple[SagaV, ...] = ()  # sagas whose end it records on its aggregate
    runs: tuple[SagaV, ...] = ()  # sagas whose SEC it hosts

    @property
    def sagas_stdlib(self) -> frozenset[str]:
        """The standard-library names sagas.py reads: ClassVar, Any, Mapping and UUID (every SEC's), timedelta
        where a step's timeout, a retry policy or a circuit breaker waits."""
        waits = any(s.retries or s.compensation_retries or s.breaker or any(map(_waits, s.steps)) for s in self.runs)
        held = any(s.j.types for s in self.runs)  # VALUE_OBJECTS = value_objects.VALUE_OBJECTS: the data may hold them
        found = {"Any", "ClassVar", "Mapping", "UUID"} | ({"timedelta"} if waits else set())
        return frozenset(found | ({VALUE_MODULE} if held else set()))

    @property
    def steps_stdlib(self) -> frozenset[str]:
        """The standard-library names saga_steps.py reads: TYPE_CHECKING and UUID (every one's), Any (the
        values of a step on an existing aggregate), and the defaults of the outcome and failure events' fields
        nothing else fills."""
        found = {"TYPE_CHECKING", "UUID"} | ({"Any"} if any(st.existing for _, st in self.steps) else set())
        for s in self.outcomes:
            found |= _default_names(s.completes, s.completes_values) | _default_names(s.aborts, s.aborts_values)
        for _, st in self.steps:
            if st.fails is not None:
                found |= _default_names(st.fails, st.failure)
        return frozenset(found)

    @cached_property
    def _short(self) -> frozenset[str]:
        """The participants (modules) whose aggregates module sagas.py imports by its short stem (naming.py): a
        REPLIES key, its alias, aggregate and event, would pass 120 columns (ruff cannot split a dotted name)."""
        found: set[str] = set()
        for sv in self.runs:
            for st in sv.steps:
                if st.existing:
                    continue
                comp = st.compensate.emits if st.compensate is not None else ()
                events = [st.succeeds, st.fails, *(e.event for e in comp)]
                for ev in events:
                    key = f"{ev.service.module}_aggregates.{ev.aggregate.cls}.{ev.cls}" if ev is not None else ""
                    if ev is not None and len(f"        {key}: (") > LINE:
                        found.add(ev.service.module)
        return frozenset(found)

    def alias(self, ms: MicroserviceV) -> str:
        """How sagas.py imports ``ms``'s aggregates module."""
        return f"{ms.short if ms.module in self._short else ms.module}_aggregates"

    def ref(self, host: MicroserviceV, ev: EventV) -> str:
        """How sagas.py names an event class (another microservice's through its alias)."""
        prefix = "aggregates" if ev.service is host else self.alias(ev.service)
        return f"{prefix}.{ev.aggregate.cls}.{ev.cls}"

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
        return list({sv.cls: sv for sv, _ in self.topics}.values())

    @property
    def needs_aggregate(self) -> bool:
        """Whether its module names ``Aggregate`` (a failure as a first event, a compensation's answer, a step
        on an existing aggregate)."""
        return bool(self.first_failures) or any(st.compensate is not None or st.existing for _, st in self.steps)

    @property
    def creating(self) -> list[StepV]:
        """The steps it runs that create their aggregate."""
        return [st for _, st in self.steps if not st.existing]

    @property
    def existing(self) -> list[StepV]:
        """The steps it runs on existing aggregates."""
        return [st for _, st in self.steps if st.existing]

    @property
    def first_failures(self) -> list[tuple[str, list[EventV]]]:
        """Per aggregate, the failure events a step records as the aggregate's first event."""
        found: dict[str, list[EventV]] = {}
        for _, st in self.steps:
            if st.existing or st.fails is None or st.fails.creation:  # a creating command's alternative creates
                continue
            if st.fails not in found.setdefault(st.invoke.aggregate.cls, []):
                found[st.invoke.aggregate.cls].append(st.fails)
        return [(cls, events) for cls, events in found.items() if events]

    @property
    def compensations(self) -> list[tuple[SagaV, StepV]]:
        return [(s, st) for s, st in self.steps if st.compensate is not None]


@dataclass
class _Part:
    steps: list[tuple[SagaV, StepV]] = field(default_factory=list)
    outcomes: list[SagaV] = field(default_factory=list)
    runs: list[SagaV] = field(default_factory=list)


def parts(sagas: tuple[SagaV, ...]) -> dict[Microservice, SagaPartV]:
    """What each microservice does for the sagas (only those that do something)."""
    found: dict[Microservice, _Part] = {}
    for sv in sagas:
        found.setdefault(sv.microservice.entity, _Part()).runs.append(sv)
        found.setdefault(sv.completes.service.entity, _Part()).outcomes.append(sv)
        for step in sv.steps:
            found.setdefault(step.participant.entity, _Part()).steps.append((sv, step))
    return {ms: SagaPartV(tuple(p.steps), tuple(p.outcomes), tuple(p.runs)) for ms, p in found.items()}


def _waits(st: StepV) -> bool:
    """Whether its ``Step(...)`` waits a timedelta: a timeout, its compensation's own, a retry policy."""
    own = st.own_compensation_timeout_ms is not None and st.compensate is not None
    return st.timeout_ms is not None or own or bool(st.retries_args or st.compensation_retries_args)


def _default_names(ev: EventV, values: list[tuple[str, str]]) -> frozenset[str]:
    """The standard-library names of the values that are their field's default (what nothing else fills)."""
    fields = {f.name: f for f in ev.fields}
    return frozenset[str]().union(*(default_names(fields[n].ftype) for n, e in values if e == fields[n].default))


def _unique_services(services: list[MicroserviceV]) -> list[MicroserviceV]:
    return list({ms.module: ms for ms in services}.values())


def _outcome_values(ev: EventV, aborted: bool, data: dict[str, FieldType] | None = None) -> list[tuple[str, str]]:
    """The values of the event that ends a saga: the saga's data of that name (when it completed), when it
    ended, and why it aborted (the run's Aborted says)."""
    values = []
    for f in ev.fields:
        have = (data or {}).get(f.name)
        if have is not None and optional_of(have, f.ftype):
            values.append((f.name, f'domain_event.values["{f.name}"]'))
        elif f.type == "datetime":
            values.append((f.name, "domain_event.timestamp"))
        elif aborted and f.type == "str" and f.name == "reason":
            values.append((f.name, "domain_event.reason"))
        elif aborted and f.type == "str" and f.name == "step":
            values.append((f.name, 'domain_event.reason.partition(": ")[0]'))
        else:
            values.append((f.name, f.default))
    return values
