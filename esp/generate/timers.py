"""What the templates render of a timer: which events start and stop it, and the command it issues."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from esp import names
from esp.generate.text import UnsafeText
from esp.model import Timer
from esp.naming import TimerNames

if TYPE_CHECKING:
    from esp.generate.context import AggregateV, CommandV, EventV, JourneyV


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
        """The events that stop it: those that leave its state (an undo too), and its 'unless' events."""
        leaving = [e for e in self.aggregate.events if (e.enters and e.enters != self.state) or e.enters_previous]
        return [*leaving, *(e for e in self.unless if e not in leaving)]

    @property
    def stopper(self) -> EventV | None:
        """The event a generated test stops it with: its first 'unless' event, else one that leaves the state
        (never one that creates the aggregate)."""
        return next((e for e in self.unless or self.cancels if not e.creation), None)

    @property
    def chained(self) -> bool:
        """Whether its command may start another timer of the aggregate (then a later tick may go off again)."""
        states = {e.event.enters for e in self.command.emits}
        return any(t.state in states for t in self.aggregate.timers)

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
