"""Timers: "after a duration in a state, unless something happens, issue a command" (an order's grace period).

A timer is kept by the microservice that owns its aggregate, and it needs no
store of its own: it is read from the service's own events. An event that
enters the timer's state arms it (due at the event's time plus the duration),
again from that event if the aggregate was in the state already or comes back
to it, an undo (``enters: previous``) included when the state it returns to is
the timer's; an event that leaves the state, or one of its ``unless`` events,
disarms it;
a ``TimerFired`` record, saved in the same transaction as what the command
did, says it went off. So after a restart ``tick`` reads the log again (only
those events, selected by the database) and every timer is armed as before;
one that went off never goes off again (the record's id is fixed by the
aggregate, the timer and the event that armed it): at most once in effect.

Time comes from the same clock as the sagas' timeouts: ``tick(now)``, which
the one-process-per-microservice runner calls every ``ESP_TICK_SECONDS``
(esp_runtime.process), the in-process system's ``Ticker`` when it is started
with a clock interval, and tests with the time they choose.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, ClassVar
from uuid import UUID, uuid5

from eventsourcing.application import AggregateNotFoundError
from eventsourcing.domain import Aggregate
from eventsourcing.persistence import IntegrityError
from eventsourcing.utils import get_topic

from esp_runtime.domain import DomainError
from esp_runtime.service import Service, events_of

logger = logging.getLogger(__name__)

Clock = Callable[[], datetime]


@dataclass(frozen=True)
class Timer:
    """One timer of an aggregate, as the journey declares it."""

    name: str
    state: str
    after: timedelta
    arms: tuple[type[Any], ...]  # the events that enter ``state``
    cancels: tuple[type[Any], ...]  # the events that leave it, and its ``unless`` events
    # The undos ('enters: previous'): they arm it when the state they return to is ``state``, else disarm it.
    returns: tuple[type[Any], ...] = ()


@dataclass(frozen=True)
class Armed:
    """A timer running for one aggregate since the event (its version) that entered the state."""

    timer: Timer
    aggregate_id: UUID
    version: int
    due: datetime


def fired_id(timer: str, aggregate_id: UUID, version: int) -> UUID:
    """The id of the record of a timer that went off: one per aggregate, timer and arming event."""
    return uuid5(aggregate_id, f"timer/{timer}/{version}")


class TimerFired(Aggregate):
    """The record that a timer went off (saved with the command's events, or with why there were none)."""

    class Created(Aggregate.Created):
        timer: str
        aggregate_id: UUID
        armed_version: int
        due: datetime
        outcome: str  # "" when the command was accepted, else why it was not

    def __init__(self, timer: str, aggregate_id: UUID, armed_version: int, due: datetime, outcome: str) -> None:
        self.timer = timer
        self.aggregate_id = aggregate_id
        self.armed_version = armed_version
        self.due = due
        self.outcome = outcome


class TimedService(Service):
    """A microservice with timers: ``tick`` issues the commands of the timers that are due."""

    TIMERS: ClassVar[tuple[Timer, ...]] = ()

    def __init__(self, env: Mapping[str, str] | None = None) -> None:
        super().__init__(env)
        self.clock: Clock = lambda: datetime.now(UTC)
        self.armed: dict[tuple[UUID, str], Armed] = {}
        self.position = 0  # the last notification of its own log read for timers
        events = (c for t in self.TIMERS for c in (*t.arms, *t.cancels, *t.returns))
        classes: set[type[Any]] = {TimerFired.Created, *events}
        self.timer_topics = sorted(get_topic(c) for c in classes)

    def fire(self, timer: str, aggregate_id: UUID) -> Aggregate:
        """Issue ``timer``'s command to the aggregate (the generated subclass says which); not saved yet."""
        raise NotImplementedError

    def tick(self, now: datetime | None = None) -> int:
        """Issue the commands of the timers due at ``now`` (default: the clock); returns how many went off."""
        self.read_timers()
        at = now if now is not None else self.clock()
        due = sorted((a for a in self.armed.values() if a.due <= at), key=lambda a: a.due)
        return sum(1 for armed in due if self._go_off(armed))

    def read_timers(self) -> None:
        """Arm and disarm timers from the events stored since the last read (all of them after a restart)."""
        while True:
            notifications = self.recorder.select_notifications(self.position + 1, 1000, topics=self.timer_topics)
            for notification in notifications:
                self._note(self.mapper.to_domain_event(notification))
                self.position = notification.id
            if len(notifications) < 1000:
                return

    def _note(self, event: Any) -> None:
        if isinstance(event, TimerFired.Created):
            armed = self.armed.get((event.aggregate_id, event.timer))
            if armed is not None and armed.version == event.armed_version:
                del self.armed[(event.aggregate_id, event.timer)]
            return
        returned: str | None = None  # the state an undo returned the aggregate to
        for timer in self.TIMERS:
            key = (event.originator_id, timer.name)
            if isinstance(event, timer.returns) and returned is None:
                returned = self._state_after(event)
            arms = isinstance(event, timer.arms) or (isinstance(event, timer.returns) and returned == timer.state)
            if arms:
                due = event.timestamp + timer.after
                self.armed[key] = Armed(timer, event.originator_id, event.originator_version, due)
            elif isinstance(event, (*timer.cancels, *timer.returns)):
                self.armed.pop(key, None)

    def _state_after(self, event: Any) -> str:
        """The state the aggregate was in once ``event`` happened (an undo's is known only from its past)."""
        try:
            aggregate: Aggregate = self.repository.get(event.originator_id, version=event.originator_version)
        except AggregateNotFoundError:
            return ""
        return str(getattr(aggregate, "state", ""))

    def _go_off(self, armed: Armed) -> bool:
        """Issue the command and record that the timer went off, in one transaction; False if it had not to."""
        key = (armed.aggregate_id, armed.timer.name)
        record_id = fired_id(armed.timer.name, armed.aggregate_id, armed.version)
        later = events_of(self, armed.aggregate_id, after=armed.version)
        # A later undo either left the state or entered it anew (the next read arms it from there): not this one.
        stops = (*armed.timer.cancels, *armed.timer.returns, *armed.timer.arms)
        if record_id in self.repository or any(isinstance(e, stops) for e in later):
            self.armed.pop(key, None)  # it went off already, or a newer event disarmed it (read next time)
            return False
        changed: list[Aggregate] = []
        outcome = ""
        try:
            changed.append(self.fire(armed.timer.name, armed.aggregate_id))
        except (DomainError, AggregateNotFoundError) as error:
            outcome = str(error) or type(error).__name__
            logger.warning("timer %s of %s: the command was not accepted: %s", armed.timer.name, key[0], outcome)
        record: TimerFired = TimerFired._create(
            TimerFired.Created,
            id=record_id,
            timer=armed.timer.name,
            aggregate_id=armed.aggregate_id,
            armed_version=armed.version,
            due=armed.due,
            outcome=outcome,
        )
        try:
            self.save(record, *changed)
        except IntegrityError:  # the aggregate changed meanwhile (a command): try again on the next tick
            return False
        self.armed.pop(key, None)
        return True


class Ticker:
    """A clock thread: calls ``tick`` every ``interval`` seconds until stopped (a failing tick is logged)."""

    def __init__(self, tick: Callable[[], object], interval: float, name: str = "esp-clock") -> None:
        self.tick = tick
        self.interval = interval
        self.stopping = threading.Event()
        self.thread = threading.Thread(target=self._run, name=name, daemon=True)

    def start(self) -> None:
        self.thread.start()

    def _run(self) -> None:
        while not self.stopping.wait(self.interval):
            try:
                self.tick()
            except Exception:  # the clock goes on: the next tick tries again
                logger.exception("tick failed")

    def stop(self) -> None:
        self.stopping.set()
        if self.thread.is_alive():
            self.thread.join(timeout=10)
