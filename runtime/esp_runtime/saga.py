"""Sagas: the Saga Execution Container (SEC) that runs them, and what participants share.

A saga's state is an event-sourced aggregate (``SagaRun``). The SEC is a
process application: it follows the application whose event starts the saga
and every participant, and it journals each step in the saga's own events:
``StepStarted`` is stored before anything happens and IS the command message
(each participant follows the SEC and runs the command when it processes it),
``StepSucceeded``/``StepFailed``/``StepTimedOut`` after the reply. A crash at
any moment leaves the journal and the tracking records consistent, so after a
restart the SEC and the participants go on from where they were.

A participant's aggregate for a saga step that creates one has the id
``target_id(saga, step, attempt)``: a repeated command for the same saga and
step finds it and is ignored, and the compensation targets that same id.
``Correlation`` records let the SEC find the saga of a reply from the id of the
aggregate that sent it. A step on an existing aggregate (found by an id in the
saga's data) answers with a ``StepReply.Answered`` of that id instead, stored
with the aggregate's change, and its compensation with a
``StepReply.Compensated``: the aggregate may be in many sagas at once.

The run's ``values`` are the saga's data: the starting event's fields, then
each step's success (reply) fields, journaled with ``StepSucceeded``, so they
survive a crash like the rest of the run.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, ClassVar, Literal
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.application import AggregateNotFoundError, ProcessingEvent
from eventsourcing.domain import Aggregate, DomainEventProtocol
from eventsourcing.utils import get_topic

from esp_runtime.service import Service

Clock = Callable[[], datetime]


def run_id(saga: str, start_id: UUID, version: int | None = None) -> UUID:
    """The id of the saga run that an event of aggregate ``start_id`` starts: processing it again finds the same
    run. The first run of a saga on an aggregate has no ``version``; a later one (an order revised again) is
    named by the version of the event that started it."""
    return uuid5(start_id, f"saga/{saga}" if version is None else f"saga/{saga}/{version}")


def target_id(run: UUID, step: str, attempt: int) -> UUID:
    """The id of the participant's aggregate for one attempt of one step of one saga run."""
    return uuid5(run, f"step/{step}/{attempt}")


# -- the journal ----------------------------------------------------------------------------


class _Folds:
    """The journal events fold into the run through one method, ``SagaRun.apply_event``."""

    def apply(self, aggregate: Any) -> None:
        aggregate.apply_event(self)


class SagaRun(Aggregate):
    """One run of a saga: its events are the SEC's journal."""

    class Started(Aggregate.Created):
        saga: str
        start_id: UUID
        values: dict[str, Any]
        start_version: int  # the version of the event that started it (journals older than it lack it)

    class StepStarted(_Folds, Aggregate.Event):
        """A step's command: stored before the participant runs it (the participant follows the SEC)."""

        saga: str
        step: str
        index: int
        attempt: int
        target_id: UUID
        values: dict[str, Any]
        deadline: datetime | None

    class StepSucceeded(_Folds, Aggregate.Event):
        step: str
        index: int
        target_id: UUID
        values: dict[str, Any]  # what the reply adds to the saga's data

    class StepFailed(_Folds, Aggregate.Event):
        step: str
        index: int
        attempt: int
        reason: str
        retry_at: datetime | None

    class StepTimedOut(_Folds, Aggregate.Event):
        step: str
        index: int
        attempt: int
        retry_at: datetime | None

    class RetryStarted(_Folds, Aggregate.Event):
        """The save point of a forward recovery: the failed step starts again (a StepStarted follows)."""

        step: str
        index: int

    class CompensationPlanned(_Folds, Aggregate.Event):
        """Backward recovery: the steps to compensate, in the order they will be (the reverse of their own)."""

        indexes: list[int]
        targets: list[UUID]

    class CompensationStarted(_Folds, Aggregate.Event):
        """A compensating command: stored before the participant runs it (``attempt``: journals older than
        compensation retries lack it, and mean 1; ``deadline``: when it counts as unanswered, None for none,
        as in journals older than compensation timeouts)."""

        saga: str
        step: str
        index: int
        target_id: UUID
        values: dict[str, Any]
        attempt: int
        deadline: datetime | None

    class CompensationFailed(_Folds, Aggregate.Event):
        """The participant could not run the compensation: retried at ``retry_at`` (None: parked)."""

        step: str
        index: int
        target_id: UUID
        attempt: int
        reason: str
        retry_at: datetime | None

    class CompensationTimedOut(_Folds, Aggregate.Event):
        """The participant did not answer a compensation by its deadline: retried at ``retry_at`` (None: parked).
        Its late answer still counts: compensations are idempotent, and the first answer that comes is the one."""

        step: str
        index: int
        target_id: UUID
        attempt: int
        retry_at: datetime | None

    class Parked(_Folds, Aggregate.Event):
        """A compensation failed past its retries: the run waits, visibly, for someone to retry it."""

        saga: str
        start_id: UUID
        step: str
        reason: str

    class Unparked(_Folds, Aggregate.Event):
        """Someone retried a parked run: its compensation starts again, with its retries afresh."""

        step: str

    class StepDeferred(_Folds, Aggregate.Event):
        """A step's participant's circuit breaker is open: the step starts when it closes (``until``)."""

        step: str
        index: int
        attempt: int
        participant: str
        until: datetime

    class CompensationDone(_Folds, Aggregate.Event):
        step: str
        index: int
        target_id: UUID
        skipped: bool

    class Completed(_Folds, Aggregate.Event):
        saga: str
        start_id: UUID
        values: dict[str, Any]  # the saga's data at the end, for the event that records it

    class Aborted(_Folds, Aggregate.Event):
        saga: str
        start_id: UUID
        reason: str

    def __init__(self, saga: str, start_id: UUID, values: dict[str, Any], start_version: int = 0) -> None:
        self.saga = saga
        self.start_id = start_id
        self.values = values
        self.start_version = start_version
        self.status: Literal["running", "compensating", "parked", "completed", "aborted"] = "running"
        self.index = -1
        self.attempt = 0
        self.waiting = False  # a step's command is out and not answered
        self.deadline: datetime | None = None
        self.retry_at: datetime | None = None
        self.targets: list[list[UUID]] = []  # per step: the ids of every attempt started
        self.succeeded: dict[int, UUID] = {}
        self.pending: list[tuple[int, UUID]] = []  # compensations still to run, first one out now
        self.reason = ""
        self.deferred = False  # the current step waits for its participant's circuit breaker to close
        self.compensation_attempt = 0  # of the compensation out now (per target, growing across retries)
        self.compensation_tries = 0  # since it was planned or unparked: what its retry policy counts
        self.compensation_retry_at: datetime | None = None
        self.compensation_waiting = False
        self.compensation_deadline: datetime | None = None  # of the compensation out now
        self.parked_reason = ""

    @property
    def finished(self) -> bool:
        return self.status in ("completed", "aborted")

    def apply_event(self, event: Any) -> None:
        """Fold a journal event into the run's state (one place, so the rules read as one state machine)."""
        if isinstance(event, SagaRun.StepStarted):
            self.index, self.attempt, self.waiting = event.index, event.attempt, True
            self.deadline, self.retry_at, self.deferred = event.deadline, None, False
            while len(self.targets) <= event.index:
                self.targets.append([])
            self.targets[event.index].append(event.target_id)
        elif isinstance(event, SagaRun.StepSucceeded):
            self.waiting, self.deadline = False, None
            self.succeeded[event.index] = event.target_id
            self.values = {**self.values, **getattr(event, "values", {})}  # journals older than saga data lack it
        elif isinstance(event, SagaRun.StepDeferred):
            self.index, self.attempt, self.waiting = event.index, event.attempt, False
            self.deadline, self.retry_at, self.deferred = None, event.until, True
        elif isinstance(event, (SagaRun.StepFailed, SagaRun.StepTimedOut)):
            self.index, self.attempt = event.index, event.attempt  # a step refused by an open breaker never started
            self.waiting, self.deadline, self.retry_at, self.deferred = False, None, event.retry_at, False
            if isinstance(event, SagaRun.StepFailed):
                self.reason = f"{event.step}: {event.reason}"
            else:
                self.reason = f"{event.step}: timed out"
        elif isinstance(event, SagaRun.CompensationPlanned):
            self.status = "compensating"
            self.pending = list(zip(event.indexes, event.targets, strict=True))
        elif isinstance(event, SagaRun.CompensationStarted):
            self.compensation_attempt = getattr(event, "attempt", 1)
            self.compensation_tries += 1
            self.compensation_waiting, self.compensation_retry_at = True, None
            self.compensation_deadline = getattr(event, "deadline", None)
        elif isinstance(event, SagaRun.CompensationFailed):
            self.compensation_waiting, self.compensation_retry_at = False, event.retry_at
            self.compensation_deadline = None
            self.parked_reason = f"{event.step}: compensation failed: {event.reason}"
        elif isinstance(event, SagaRun.CompensationTimedOut):
            self.compensation_waiting, self.compensation_retry_at = False, event.retry_at
            self.compensation_deadline = None
            self.parked_reason = f"{event.step}: compensation timed out (attempt {event.attempt})"
        elif isinstance(event, SagaRun.Parked):
            self.status = "parked"
        elif isinstance(event, SagaRun.Unparked):
            self.status, self.compensation_tries, self.parked_reason = "compensating", 0, ""
        elif isinstance(event, SagaRun.CompensationDone):
            self.pending = [p for p in self.pending if p[1] != event.target_id]
            self.compensation_attempt = self.compensation_tries = 0
            self.compensation_waiting, self.compensation_retry_at, self.compensation_deadline = False, None, None
        elif isinstance(event, SagaRun.Completed):
            self.status = "completed"
        elif isinstance(event, SagaRun.Aborted):
            self.status, self.reason = "aborted", event.reason


class Correlation(Aggregate):
    """Which saga run, step and attempt a participant's aggregate belongs to (its id is the participant's id)."""

    class Created(Aggregate.Created):
        run_id: UUID
        index: int
        attempt: int

    def __init__(self, run_id: UUID, index: int, attempt: int) -> None:
        self.run_id = run_id
        self.index = index
        self.attempt = attempt


class StepReply(Aggregate):
    """A participant's answer that is not an event of the aggregate a step made: a compensation that had
    nothing to undo (the step never took effect), and the answers of steps on existing aggregates."""

    class CompensationSkipped(Aggregate.Created):
        target_id: UUID
        reason: str

    class Answered(Aggregate.Created):
        """A step on an existing aggregate ran (its id is the step's ``target_id``): what it recorded there."""

        target_id: UUID
        succeeded: bool
        event: str  # the event it recorded on the aggregate ("" when the command was rejected)
        reason: str
        values: dict[str, Any]  # succeeded: what joins the saga's data

    class Compensated(Aggregate.Created):
        """The compensation of a step on an existing aggregate ran there."""

        target_id: UUID
        event: str

    class CompensationFailed(Aggregate.Created):
        """The participant could not run a compensation (attempt ``attempt``): nothing changed; the SEC retries
        it or parks the run."""

        target_id: UUID
        attempt: int
        reason: str

    def __init__(
        self,
        target_id: UUID,
        reason: str = "",
        succeeded: bool = False,
        event: str = "",
        values: dict[str, Any] | None = None,
        attempt: int = 0,
    ) -> None:
        self.target_id = target_id
        self.attempt = attempt
        self.reason = reason
        self.succeeded = succeeded
        self.event = event
        self.values = dict(values or {})


def skipped(started: SagaRun.CompensationStarted, reason: str) -> StepReply:
    """The reply of a participant whose compensation was a no-op: the SEC counts the compensation as done.

    Each attempt has its own: after a compensation timed out, a participant that comes back runs every
    attempt it missed, and more than one of them may find nothing to undo (the first keeps the id it always
    had)."""
    attempt = getattr(started, "attempt", 1)
    reply: StepReply = StepReply._create(
        StepReply.CompensationSkipped,
        id=uuid5(started.target_id, "compensation-skipped" if attempt <= 1 else f"compensation-skipped/{attempt}"),
        target_id=started.target_id,
        reason=reason,
    )
    return reply


def answered(
    started: SagaRun.StepStarted, event: str, *, reason: str = "", values: Mapping[str, Any] | None = None
) -> StepReply:
    """The answer of a step on an existing aggregate, saved with what it recorded there: ``values`` when it
    succeeded (what joins the saga's data), else ``reason``."""
    reply: StepReply = StepReply._create(
        StepReply.Answered,
        id=started.target_id,
        target_id=started.target_id,
        succeeded=values is not None,
        event=event,
        reason=reason,
        values=dict(values or {}),
    )
    return reply


def compensated(started: SagaRun.CompensationStarted, event: str) -> StepReply:
    """The answer of a compensation that ran on an existing aggregate."""
    reply: StepReply = StepReply._create(
        StepReply.Compensated, id=uuid5(started.target_id, "compensated"), target_id=started.target_id, event=event
    )
    return reply


def compensation_failed(app: Service, started: SagaRun.CompensationStarted, reason: str) -> list[Aggregate]:
    """The reply of a participant that could not run a compensation (its rule said why): nothing changed here;
    the SEC retries it per its policy, or parks the run. A repeated command for the same attempt adds nothing."""
    attempt = getattr(started, "attempt", 1)
    rid = uuid5(started.target_id, f"compensation-failed/{attempt}")
    if rid in app.repository:
        return []
    reply: StepReply = StepReply._create(
        StepReply.CompensationFailed, id=rid, target_id=started.target_id, attempt=attempt, reason=reason
    )
    return [reply]


def to_compensate(app: Service, started: SagaRun.CompensationStarted) -> str | None:
    """Why a compensation on an existing aggregate has nothing to do (None: it has): the step's attempt
    never took effect there, or its compensation ran already."""
    if uuid5(started.target_id, "compensated") in app.repository:
        return "compensated already"
    first = next(iter(app.repository.event_store.get(started.target_id, lte=1)), None)
    if not isinstance(first, StepReply.Answered) or not first.succeeded:
        return "the step did not take effect"
    return None


def already_answered(app: Service, started: SagaRun.StepStarted) -> bool:
    """Whether a step on an existing aggregate already ran for this saga: this attempt, or an earlier one that
    succeeded (its answer was the step's)."""
    if started.target_id in app.repository:
        return True
    for attempt in range(1, started.attempt):
        first = next(
            iter(app.repository.event_store.get(target_id(started.originator_id, started.step, attempt), lte=1)), None
        )
        if isinstance(first, StepReply.Answered) and first.succeeded:
            return True
    return False


def already_done(app: Service, started: SagaRun.StepStarted, success: type[Any]) -> bool:
    """Whether this step already ran here for this saga: this attempt, or an earlier one that succeeded."""
    if started.target_id in app.repository:
        return True
    for attempt in range(1, started.attempt):
        earlier = target_id(started.originator_id, started.step, attempt)
        first = next(iter(app.repository.event_store.get(earlier, lte=1)), None)
        if isinstance(first, success):
            return True
    return False


# -- the SEC -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Retries:
    max: int
    backoff: Literal["none", "fixed", "exponential"]
    delay: timedelta

    def delay_after(self, attempt: int) -> timedelta:
        """How long to wait before attempt ``attempt + 1``."""
        if self.backoff == "none":
            return timedelta(0)
        if self.backoff == "fixed":
            return self.delay
        factor: int = 2 ** (attempt - 1)
        return self.delay * factor


@dataclass(frozen=True)
class Breaker:
    """A circuit breaker per participant: after ``failures`` timeouts in a row the SEC sends it nothing for
    ``open_for``; a step for it meanwhile waits until then (``wait``) or fails at once (``fail``)."""

    failures: int
    open_for: timedelta
    while_open: Literal["wait", "fail"] = "wait"


class CircuitBreaker(Aggregate):
    """The state of one participant's circuit breaker in one SEC: persisted, so a restart keeps it open."""

    class Created(Aggregate.Created):
        saga: str
        participant: str

    class TimedOut(Aggregate.Event):
        """A step for the participant timed out; ``open_until``: the breaker opened (or stays open) until then."""

        count: int
        open_until: datetime | None

        def apply(self, aggregate: Any) -> None:
            aggregate.count = self.count
            if self.open_until is not None:
                aggregate.open_until = self.open_until

    class Answered(Aggregate.Event):
        """The participant answered a step after timeouts: the count starts again and the breaker closes."""

        def apply(self, aggregate: Any) -> None:
            aggregate.count, aggregate.open_until = 0, None

    def __init__(self, saga: str, participant: str) -> None:
        self.saga = saga
        self.participant = participant
        self.count = 0  # timeouts in a row
        self.open_until: datetime | None = None

    def is_open(self, now: datetime) -> bool:
        return self.open_until is not None and now < self.open_until


def breaker_id(saga: str, participant: str) -> UUID:
    return uuid5(NAMESPACE_URL, f"esp:saga/{saga}/breaker/{participant}")


@dataclass(frozen=True)
class ParkedRun:
    """A run on the SEC's dead-letter list: a compensation failed past its retries."""

    run_id: UUID
    saga: str
    start_id: UUID
    step: str
    reason: str
    since: datetime


@dataclass(frozen=True)
class Step:
    name: str
    compensable: bool
    retriable: bool
    timeout: timedelta | None
    retries: Retries | None = None  # its own policy: retried on a failure or a timeout, even in backward recovery
    compensation_retries: Retries | None = None  # its compensation's own policy (else the saga's)
    participant: str = ""  # its microservice: what a circuit breaker is per
    compensation_timeout: timedelta | None = None  # how long its compensation may go unanswered (else ``timeout``)

    @property
    def compensation_limit(self) -> timedelta | None:
        """How long its compensation may go unanswered before it counts as failed: its own limit, else the
        step's ``timeout`` (a participant that does not answer a step in that time is not answering)."""
        return self.compensation_timeout if self.compensation_timeout is not None else self.timeout


Outcome = Literal["succeeded", "failed", "compensated", "compensation failed"]


class SagaExecutionContainer(Service):
    """Runs one saga: reacts to its starting event and to the participants' replies, and to ``tick``."""

    SAGA: str
    STEPS: tuple[Step, ...]
    RECOVERY: Literal["backward", "forward"]
    COMPENSATE_FAILED_STEP: bool
    RETRIES: Retries | None
    PIVOT: int | None  # the index of the pivot step
    RUN: type[SagaRun]
    STEP_EVENTS: tuple[type[SagaRun.StepStarted], ...]  # per step: its participant's class of StepStarted
    COMPENSATION_EVENTS: tuple[type[SagaRun.CompensationStarted] | None, ...]
    STARTS_ON: type[Any]
    REPLIES: ClassVar[Mapping[type[Any], tuple[int, Outcome]]]  # a participant's event class -> (step index, outcome)
    COMPENSATION_RETRIES: ClassVar[Retries | None] = None  # a failed compensation's retries, then the run is parked
    BREAKER: ClassVar[Breaker | None] = None

    def __init__(self, env: Mapping[str, str] | None = None) -> None:
        super().__init__(env)
        self.clock: Clock = lambda: datetime.now(UTC)
        self.active: set[UUID] = set()
        self.parked_ids: set[UUID] = set()  # the dead-letter list: runs parked after a compensation failed
        self.resumed = self.resume()  # how many runs were unfinished when it started

    # -- what each saga says (the generated subclass) --

    def start_values(self, domain_event: Any) -> dict[str, Any]:
        raise NotImplementedError

    def step_values(self, index: int, values: Mapping[str, Any]) -> dict[str, Any]:
        raise NotImplementedError

    def compensation_values(self, index: int, target: UUID, values: Mapping[str, Any]) -> dict[str, Any]:
        raise NotImplementedError

    def reply_values(self, index: int, reply: Any) -> dict[str, Any]:
        """What the success event of step ``index`` (a step that creates its aggregate) adds to the saga's data."""
        return {}

    # -- start-up --

    def resume(self) -> int:
        """Find every unfinished run in the journal (after a restart); returns how many there are.

        What was journaled but not answered needs nothing more here: the
        participants process the stored commands when they catch up, at most
        once each, and ``tick`` times out steps and retries as their time comes.
        """
        self.active.clear()
        self.parked_ids.clear()
        # Only the events that start, park and end runs, selected by the database (their topics).
        kinds = (self.RUN.Started, self.RUN.Completed, self.RUN.Aborted, self.RUN.Parked, self.RUN.Unparked)
        topics = [get_topic(cls) for cls in kinds]
        start = 1
        while True:
            notifications = self.recorder.select_notifications(start, 1000, topics=topics)
            for notification in notifications:
                event = self.mapper.to_domain_event(notification)
                rid = event.originator_id
                if isinstance(event, (SagaRun.Started, SagaRun.Unparked)):
                    self.active.add(rid)
                    self.parked_ids.discard(rid)
                elif isinstance(event, SagaRun.Parked):
                    self.active.discard(rid)
                    self.parked_ids.add(rid)
                elif isinstance(event, (SagaRun.Completed, SagaRun.Aborted)):
                    self.active.discard(rid)
            if len(notifications) < 1000:
                return len(self.active)
            start = notifications[-1].id + 1

    def unfinished(self) -> list[UUID]:
        return sorted(self.active)

    def get_run(self, run: UUID) -> SagaRun:
        result: SagaRun = self.repository.get(run)
        return result

    # -- the dead-letter list --

    def parked(self) -> list[ParkedRun]:
        """The runs parked because a compensation failed past its retries, oldest first: none is lost, each
        waits here until ``retry`` (after its participant was fixed)."""
        found = []
        for rid in self.parked_ids:
            run = self.get_run(rid)
            parked = next(
                e for e in reversed(list(self.repository.event_store.get(rid))) if isinstance(e, SagaRun.Parked)
            )
            step = self.STEPS[run.pending[0][0]].name if run.pending else ""
            found.append(ParkedRun(rid, run.saga, run.start_id, step, run.parked_reason, parked.timestamp))
        return sorted(found, key=lambda p: (p.since, str(p.run_id)))

    def retry(self, run: UUID) -> bool:
        """Start a parked run's compensation again, with its retries afresh; False if it is not parked."""
        found = self.get_run(run)
        if found.status != "parked":
            return False
        step = self.STEPS[found.pending[0][0]].name if found.pending else ""
        found.trigger_event(found.Unparked, step=step)
        new = self._compensate_next(found)
        try:
            self.save(found, *new)
        finally:
            self._retrack(run)
        return True

    # -- reacting --

    def policy(self, domain_event: DomainEventProtocol[UUID], processing_event: ProcessingEvent[UUID]) -> None:
        """The starting event starts a run (once); a participant's reply moves its run on."""
        if isinstance(domain_event, self.STARTS_ON):
            self._start(domain_event, processing_event)
            return
        reply = self._reply(domain_event)
        if reply is None:
            return
        index, outcome = reply
        # A StepReply says its step by its target id (the correlation has the index).
        replies = (
            StepReply.CompensationSkipped,
            StepReply.Answered,
            StepReply.Compensated,
            StepReply.CompensationFailed,
        )
        replied = isinstance(domain_event, replies)
        key = domain_event.originator_id
        if isinstance(
            domain_event, (StepReply.CompensationSkipped, StepReply.Compensated, StepReply.CompensationFailed)
        ):
            key = domain_event.target_id  # the step's target id (the compensation's reply has an id of its own)
        try:
            correlation: Correlation = self.repository.get(key)
            run = self.get_run(correlation.run_id)
        except AggregateNotFoundError:
            return  # not an aggregate a saga step made (say, a command a user sent directly)
        if run.saga != self.SAGA or (not replied and correlation.index != index):
            return
        new = self._answer(run, correlation, outcome, domain_event)
        processing_event.collect_events(run, *new)
        self._track(run)

    def _reply(self, domain_event: object) -> tuple[int, Outcome] | None:
        for cls in type(domain_event).__mro__:
            found = self.REPLIES.get(cls)
            if found is not None:
                return found
        if isinstance(domain_event, (StepReply.CompensationSkipped, StepReply.Compensated)):
            return (-1, "compensated")
        if isinstance(domain_event, StepReply.CompensationFailed):
            return (-1, "compensation failed")
        if isinstance(domain_event, StepReply.Answered):
            return (-1, "succeeded" if domain_event.succeeded else "failed")
        return None

    def _start(self, domain_event: Any, processing_event: ProcessingEvent[UUID]) -> None:
        rid = self._run_for(domain_event)
        if rid is None:
            return
        run = self.RUN._create(
            self.RUN.Started,
            id=rid,
            saga=self.SAGA,
            start_id=domain_event.originator_id,
            values=self.start_values(domain_event),
            start_version=domain_event.originator_version,
        )
        new = self._start_step(run, 0, 1)
        processing_event.collect_events(run, *new)
        self._track(run)

    def _run_for(self, domain_event: Any) -> UUID | None:
        """The id of the run the starting event starts, None if it started one already: the aggregate's first
        run has the id ``run_id(saga, aggregate)``; a later one (the same saga again on the same aggregate) is
        named by its starting event's version, so processing any of them again finds its run."""
        first = run_id(self.SAGA, domain_event.originator_id)
        try:
            found = self.get_run(first)
        except AggregateNotFoundError:
            return first
        if found.start_version in (0, domain_event.originator_version):  # 0: a journal from before start_version
            return None
        later = run_id(self.SAGA, domain_event.originator_id, domain_event.originator_version)
        return None if later in self.repository else later

    def _answer(self, run: SagaRun, correlation: Correlation, outcome: Outcome, event: Any) -> list[Aggregate]:
        if outcome == "compensation failed":
            return self._compensation_failed(run, event)
        if outcome == "compensated":
            replied = isinstance(event, (StepReply.CompensationSkipped, StepReply.Compensated))
            target = event.target_id if replied else event.originator_id
            return self._compensated(run, target, skipped=isinstance(event, StepReply.CompensationSkipped))
        if run.status != "running" or correlation.index != run.index:
            return []  # a late answer: the run has moved on (a compensation covers it if needed)
        step = self.STEPS[run.index]
        breaker = self._answered(step)  # the participant is alive: its breaker closes
        if breaker is not None:
            return [breaker, *self._answer_step(run, correlation, outcome, event)]
        return self._answer_step(run, correlation, outcome, event)

    def _answer_step(self, run: SagaRun, correlation: Correlation, outcome: Outcome, event: Any) -> list[Aggregate]:
        step = self.STEPS[run.index]
        if outcome == "succeeded":
            values = (
                dict(event.values) if isinstance(event, StepReply.Answered) else self.reply_values(run.index, event)
            )
            run.trigger_event(
                run.StepSucceeded, step=step.name, index=run.index, target_id=event.originator_id, values=values
            )
            return self._next(run)
        if not run.waiting or correlation.attempt != run.attempt:
            return []
        reason = str(getattr(event, "reason", "") or type(event).__name__)
        retry_at = self._retry_at(run)
        run.trigger_event(
            run.StepFailed, step=step.name, index=run.index, attempt=run.attempt, reason=reason, retry_at=retry_at
        )
        return self._recover(run, timed_out=False)

    def _next(self, run: SagaRun) -> list[Aggregate]:
        if run.index + 1 < len(self.STEPS):
            return self._start_step(run, run.index + 1, 1)
        run.trigger_event(run.Completed, saga=self.SAGA, start_id=run.start_id, values=run.values)
        return []

    def _start_step(self, run: SagaRun, index: int, attempt: int) -> list[Aggregate]:
        step = self.STEPS[index]
        breaker = self._breaker(step)
        now = self.clock()
        if breaker is not None and breaker.is_open(now) and breaker.open_until is not None and self.BREAKER:
            if self.BREAKER.while_open == "wait":
                run.trigger_event(
                    run.StepDeferred,
                    step=step.name,
                    index=index,
                    attempt=attempt,
                    participant=step.participant,
                    until=breaker.open_until,
                )
                return []
            run.trigger_event(
                run.StepFailed,
                step=step.name,
                index=index,
                attempt=attempt,
                reason=f"circuit open: {step.participant} is not answering",
                retry_at=None,
            )
            return self._recover(run, timed_out=False)
        target = target_id(run.id, step.name, attempt)
        deadline = self.clock() + step.timeout if step.timeout is not None else None
        run.trigger_event(
            self.STEP_EVENTS[index],
            saga=self.SAGA,
            step=step.name,
            index=index,
            attempt=attempt,
            target_id=target,
            values=self.step_values(index, run.values),
            deadline=deadline,
        )
        return [Correlation._create(Correlation.Created, id=target, run_id=run.id, index=index, attempt=attempt)]

    def _may_time_out(self, run: SagaRun) -> bool:
        """Whether the current step may count as failed when late.

        A step that can be neither compensated nor retried (the pivot of a backward saga) is waited for:
        it may still take effect, and its late success after the saga was rolled back could not be undone
        (a card charged for a rejected trip). The chaos test found it.
        """
        step = self.STEPS[run.index]
        return self.RECOVERY == "forward" or step.compensable or self._retriable(run)

    def _retries(self, run: SagaRun) -> Retries | None:
        """The current step's retry policy: its own, else the saga's where the saga retries it (forward
        recovery, after the pivot, a retriable step)."""
        step = self.STEPS[run.index]
        if step.retries is not None:
            return step.retries
        after_pivot = self.PIVOT is not None and run.index > self.PIVOT
        return self.RETRIES if self.RECOVERY == "forward" or after_pivot or step.retriable else None

    def _retriable(self, run: SagaRun) -> bool:
        policy = self._retries(run)
        return policy is not None and run.attempt <= policy.max

    def _retry_at(self, run: SagaRun) -> datetime | None:
        policy = self._retries(run)
        if policy is None or run.attempt > policy.max:
            return None
        return self.clock() + policy.delay_after(run.attempt)

    def _recover(self, run: SagaRun, timed_out: bool) -> list[Aggregate]:
        """After a failure or a timeout: retry from the save point, or compensate, or abort."""
        if run.retry_at is not None:
            if run.retry_at <= self.clock():
                return self._retry(run)
            return []  # tick() retries when the time comes
        step = self.STEPS[run.index]
        if self.RECOVERY == "forward" or (self.PIVOT is not None and run.index > self.PIVOT):
            return self._abort(run)
        pending = [(i, run.succeeded[i]) for i in range(run.index) if self.STEPS[i].compensable and i in run.succeeded]
        if step.compensable and (timed_out or self.COMPENSATE_FAILED_STEP):
            # A step that timed out may have taken effect (every attempt of it); a failed one only if it says so.
            pending += [(run.index, t) for t in (run.targets[run.index] if run.index < len(run.targets) else [])]
        pending.reverse()
        run.trigger_event(run.CompensationPlanned, indexes=[i for i, _ in pending], targets=[t for _, t in pending])
        return self._compensate_next(run)

    def _retry(self, run: SagaRun) -> list[Aggregate]:
        step = self.STEPS[run.index]
        run.trigger_event(run.RetryStarted, step=step.name, index=run.index)
        return self._start_step(run, run.index, run.attempt + 1)

    def _compensate_next(self, run: SagaRun) -> list[Aggregate]:
        if not run.pending:
            return self._abort(run)
        index, target = run.pending[0]
        compensation = self.COMPENSATION_EVENTS[index]
        assert compensation is not None  # only compensable steps are planned
        limit = self.STEPS[index].compensation_limit
        run.trigger_event(
            compensation,
            saga=self.SAGA,
            step=self.STEPS[index].name,
            index=index,
            target_id=target,
            values=self.compensation_values(index, target, run.values),
            attempt=run.compensation_attempt + 1,
            deadline=self.clock() + limit if limit is not None else None,
        )
        return []

    def _compensation_retries(self, index: int) -> Retries | None:
        own = self.STEPS[index].compensation_retries
        return own if own is not None else self.COMPENSATION_RETRIES

    def _compensation_failed(self, run: SagaRun, event: Any) -> list[Aggregate]:
        """A compensation could not run: retried per its policy, then the run is parked (never dropped)."""
        if run.status != "compensating" or not run.pending or run.pending[0][1] != event.target_id:
            return []
        if not run.compensation_waiting or event.attempt != run.compensation_attempt:
            return []  # an answer to an attempt that is not the current one
        return self._compensation_missed(run, run.CompensationFailed, event.attempt, reason=event.reason)

    def _compensation_timed_out(self, run: SagaRun) -> list[Aggregate]:
        """A compensation went unanswered past its deadline: retried per its policy, then the run is parked,
        as if it had failed (a participant that never answers would otherwise hold the run forever)."""
        return self._compensation_missed(run, run.CompensationTimedOut, run.compensation_attempt)

    def _compensation_missed(self, run: SagaRun, kind: type[Any], attempt: int, **why: Any) -> list[Aggregate]:
        """Journal that the current compensation failed or went unanswered (``kind``); it goes out again when
        its retry is due, or the run is parked once its retries ran out."""
        index, target = run.pending[0]
        policy = self._compensation_retries(index)
        retry_at = None
        if policy is not None and run.compensation_tries <= policy.max:
            retry_at = self.clock() + policy.delay_after(run.compensation_tries)
        step = self.STEPS[index].name
        run.trigger_event(kind, step=step, index=index, target_id=target, attempt=attempt, retry_at=retry_at, **why)
        if retry_at is None:
            run.trigger_event(run.Parked, saga=self.SAGA, start_id=run.start_id, step=step, reason=run.parked_reason)
        elif retry_at <= self.clock():
            return self._compensate_next(run)
        return []

    def _compensated(self, run: SagaRun, target: UUID, skipped: bool) -> list[Aggregate]:
        if run.status not in ("compensating", "parked") or not run.pending or run.pending[0][1] != target:
            return []
        index = run.pending[0][0]
        if run.status == "parked":
            # The late answer of an attempt that timed out: the compensation ran after all, so the run is no
            # longer stuck on it and goes on by itself.
            run.trigger_event(run.Unparked, step=self.STEPS[index].name)
        run.trigger_event(
            run.CompensationDone, step=self.STEPS[index].name, index=index, target_id=target, skipped=skipped
        )
        return self._compensate_next(run)

    def _abort(self, run: SagaRun) -> list[Aggregate]:
        run.trigger_event(run.Aborted, saga=self.SAGA, start_id=run.start_id, reason=run.reason or "aborted")
        return []

    def _track(self, run: SagaRun) -> None:
        if run.status == "parked":
            self.active.discard(run.id)
            self.parked_ids.add(run.id)
            return
        self.parked_ids.discard(run.id)  # a late answer may move a parked run on
        if run.finished:
            self.active.discard(run.id)
        else:
            self.active.add(run.id)

    # -- circuit breakers --

    def _breaker(self, step: Step) -> CircuitBreaker | None:
        """The participant's breaker, if the saga has breakers and it ever timed out."""
        if self.BREAKER is None or not step.participant:
            return None
        try:
            found: CircuitBreaker = self.repository.get(breaker_id(self.SAGA, step.participant))
        except AggregateNotFoundError:
            return None
        return found

    def _timed_out(self, step: Step) -> CircuitBreaker | None:
        """Count a timeout of the step's participant; the breaker opens at the count the saga says."""
        if self.BREAKER is None or not step.participant:
            return None
        breaker = self._breaker(step)
        if breaker is None:
            breaker = CircuitBreaker._create(
                CircuitBreaker.Created,
                id=breaker_id(self.SAGA, step.participant),
                saga=self.SAGA,
                participant=step.participant,
            )
        count = breaker.count + 1
        open_until = self.clock() + self.BREAKER.open_for if count >= self.BREAKER.failures else None
        breaker.trigger_event(CircuitBreaker.TimedOut, count=count, open_until=open_until)
        return breaker

    def _answered(self, step: Step) -> CircuitBreaker | None:
        """The participant answered: a breaker that counted timeouts starts again (None: nothing to change)."""
        breaker = self._breaker(step)
        if breaker is None or (breaker.count == 0 and breaker.open_until is None):
            return None
        breaker.trigger_event(CircuitBreaker.Answered)
        return breaker

    def breakers(self) -> list[CircuitBreaker]:
        """The participants' breakers that ever counted a timeout (for tools and tests)."""
        found = []
        for step in {s.participant: s for s in self.STEPS if s.participant}.values():
            breaker = self._breaker(step)
            if breaker is not None:
                found.append(breaker)
        return found

    # -- time --

    def tick(self, now: datetime | None = None) -> int:
        """Time out the steps past their deadline and start the retries that are due; returns how many runs moved.

        The runner calls it now and then (``now`` defaults to the SEC's clock).
        """
        if now is not None:
            self.clock = lambda: now
        moved = 0
        for rid in self.unfinished():
            try:
                run = self.get_run(rid)
            except AggregateNotFoundError:  # its start was never committed (the processing failed)
                self.active.discard(rid)
                continue
            new = self._due(run, self.clock())
            if run.pending_events:
                try:
                    self.save(run, *new)
                finally:
                    self._retrack(rid)
                moved += 1
        return moved

    def _retrack(self, rid: UUID) -> None:
        """Track a run as its journal has it after a save: in one process the runner hands the saved events to
        the followers inside ``save``, so the participants' answers may have moved the run on further (or
        parked it), and a follower's error comes after the run was stored."""
        try:
            self._track(self.get_run(rid))
        except AggregateNotFoundError:
            self.active.discard(rid)

    def _due(self, run: SagaRun, now: datetime) -> list[Aggregate]:
        if run.status == "compensating":
            if run.compensation_waiting:
                late = run.compensation_deadline is not None and now >= run.compensation_deadline
                return self._compensation_timed_out(run) if late and run.pending else []
            due = run.compensation_retry_at
            if due is not None and now >= due:
                return self._compensate_next(run)
            return []
        if run.status != "running":
            return []
        if run.waiting and run.deadline is not None and now >= run.deadline and self._may_time_out(run):
            step = self.STEPS[run.index]
            breaker = self._timed_out(step)
            run.trigger_event(
                run.StepTimedOut, step=step.name, index=run.index, attempt=run.attempt, retry_at=self._retry_at(run)
            )
            return [*([breaker] if breaker else []), *self._recover(run, timed_out=True)]
        if run.deferred and run.retry_at is not None and now >= run.retry_at:
            return self._start_step(run, run.index, run.attempt)  # the breaker closed: the step goes out now
        if not run.waiting and run.retry_at is not None and now >= run.retry_at:
            return self._retry(run)
        return []


def runs(app: SagaExecutionContainer) -> Iterator[SagaRun]:
    """Every run the SEC has journaled (for tests and tools)."""
    seen: set[UUID] = set()
    start = 1
    while True:
        notifications = app.recorder.select_notifications(start, 1000)
        for notification in notifications:
            event = app.mapper.to_domain_event(notification)
            if isinstance(event, SagaRun.Started) and event.originator_id not in seen:
                seen.add(event.originator_id)
                yield app.get_run(event.originator_id)
        if len(notifications) < 1000:
            return
        start = notifications[-1].id + 1
