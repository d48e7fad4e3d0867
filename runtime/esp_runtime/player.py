"""What a generated journey player (``python -m <package>``) runs on: it plays the journey's scenarios.

A play is a function that issues commands and queries through a :class:`Player`; the player writes a
timeline: each command with its values and outcome, then every event stored because of it (the listeners'
and the sagas' too, in the order they were stored, each with who made it happen). :func:`show` prints the
timelines: a table per play on a terminal (with rich, when it is installed), plain text otherwise.
"""

from __future__ import annotations

import sys
import textwrap
from collections.abc import Callable, Mapping, Sequence, Sized
from dataclasses import dataclass, field, fields, is_dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Protocol, TextIO, TypeVar
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError

from esp_runtime.domain import DomainError, listener_id
from esp_runtime.saga import SagaExecutionContainer, SagaRun, run_id
from esp_runtime.service import Service, events_of

C = TypeVar("C")


class Stored(Protocol):
    """One stored event, as the generated system lists them."""

    @property
    def service(self) -> str: ...

    @property
    def aggregate(self) -> str: ...

    @property
    def aggregate_id(self) -> UUID: ...

    @property
    def version(self) -> int: ...

    @property
    def event(self) -> str: ...

    @property
    def data(self) -> Mapping[str, object]: ...


class Recording(Protocol):
    """The generated system: where each microservice's log ends, and what was stored after."""

    def positions(self) -> dict[str, int]: ...

    def recorded(self, since: Mapping[str, int] | None = None) -> Sequence[Stored]: ...


@dataclass(frozen=True)
class Line:
    """One line of a timeline: something the player did, or an event stored because of it (``event``)."""

    who: str
    what: str
    values: str
    outcome: str
    event: bool = False

    @property
    def command(self) -> str:
        return self.what

    @property
    def rejected(self) -> bool:
        return self.outcome.startswith("rejected")


@dataclass
class Steer:
    """What the player's rules answer now: the event a command's rule picks, the saga steps that fail."""

    choice: str = ""
    fail: dict[str, int] = field(default_factory=dict)  # command -> how many more times it fails (-1: always)

    def failing(self, command: str) -> bool:
        """Whether ``command`` fails this time (a saga step a play makes fail)."""
        left = self.fail.get(command, 0)
        if left > 0:
            self.fail[command] = left - 1
        return left != 0


class Missing(Exception):
    """A play needs an aggregate an earlier step did not make."""


@dataclass
class Player:
    """Runs the moves of one play at a time on ``system``, and writes down what happened."""

    system: Recording
    causes: Mapping[str, str] = field(default_factory=dict)  # event name -> who stores it when the player does not
    steer: Steer = field(default_factory=Steer)
    ids: dict[str, UUID] = field(default_factory=dict)  # the play's aggregates, by class name
    lines: list[Line] = field(default_factory=list)

    def id(self, aggregate: str) -> UUID:
        """The id of the play's aggregate of that class."""
        if aggregate not in self.ids:
            raise Missing(aggregate)
        return self.ids[aggregate]

    def command(
        self,
        who: str,
        command: C,
        handler: Callable[[C], object],
        *,
        target: str = "",
        binds: str = "",
        choose: str = "",
        expect: str = "done",
    ) -> None:
        """Issue ``command``; ``binds``: it creates the play's aggregate of that class; ``expect``: "rejected"
        when the scenario says the command is rejected."""
        before = self.system.positions()
        own = self.ids.get(target)
        self.steer.choice = choose
        try:
            result = handler(command)
        except DomainError as error:
            outcome = f"rejected, as the scenario expects: {error}" if expect == "rejected" else f"rejected: {error}"
        except AggregateNotFoundError:
            outcome = f"rejected: there is no such {target or 'aggregate'}"
        else:
            outcome = "done" if expect == "done" else "done, although the scenario expects it to be rejected"
            if binds and isinstance(result, UUID):
                self.ids[binds] = own = result
        finally:
            self.steer.choice = ""
        values = {k: v for k, v in vars(command).items() if v != own or own is None}
        self.lines.append(Line(who, type(command).__name__, shown_values(values), outcome))
        self._stored(before, own)

    def follow(self, aggregate: str, app: Service, source: str, event: type[object], command: str) -> None:
        """Learn the id of the aggregate a listener created (by ``command``) from the last ``event`` of ``source``."""
        if source not in self.ids:
            return
        found = [e for e in events_of(app, self.ids[source]) if isinstance(e, event)]
        if found:
            self.ids[aggregate] = listener_id(self.ids[source], found[-1].originator_version, command)

    def query(self, who: str, query: C, handler: Callable[[C], Sized]) -> None:
        rows = len(handler(query))
        self.lines.append(Line(who, type(query).__name__, shown_values(vars(query)), f"answered: {rows} row(s)"))

    def saga(
        self,
        who: str,
        sec: SagaExecutionContainer,
        name: str,
        start: str,
        tick: Callable[[datetime], int],
        binds: Mapping[int, str] | None = None,
    ) -> None:
        """Let the SEC finish the run ``start``'s event began (an hour a tick: retries and timeouts come due);
        ``binds``: the aggregates its steps made, by step index, that the play goes on with."""
        before = self.system.positions()
        try:
            run = sec.get_run(run_id(name, self.id(start)))
        except AggregateNotFoundError:
            self.lines.append(Line(who, f"{name} saga", "", "did not start"))
            return
        now = datetime.now(UTC)
        for _ in range(100):
            if run.finished:
                break
            now += timedelta(hours=1)
            tick(now)
            run = sec.get_run(run.id)
        journal = events_of(sec, run.id)
        undone = [e.step for e in journal if isinstance(e, SagaRun.CompensationDone)]
        retried = [e.step for e in journal if isinstance(e, SagaRun.RetryStarted)]
        for index, aggregate in (binds or {}).items():
            if index in run.succeeded:
                self.ids[aggregate] = run.succeeded[index]
        if run.status == "completed" and retried:
            outcome = f"completed after retrying {', '.join(dict.fromkeys(retried))} ({len(retried)} time(s))"
        elif run.status == "completed":
            outcome = "completed: every step succeeded"
        elif run.status == "aborted":
            outcome = f"aborted: {run.reason}" + (f"; undone in reverse order: {', '.join(undone)}" if undone else "")
        else:
            outcome = f"still {run.status}"
        self._stored(before, None)  # what the ticks made happen (retries, compensations) comes before the outcome
        self.lines.append(Line(who, f"{name} saga", "", outcome))

    def _stored(self, before: Mapping[str, int], own: UUID | None) -> None:
        for r in self.system.recorded(since=before):
            if r.aggregate in _BOOKKEEPING:
                continue
            # an event another microservice also has is known by its qualified name: kitchen.RestaurantOpened
            known = self.causes.get(f"{r.service}.{r.event}") or self.causes.get(r.event, "")
            cause = "" if r.aggregate_id == own else known
            self.lines.append(Line(r.service, r.event, shown_values(r.data), cause, event=True))


_BOOKKEEPING = frozenset({"StepReply", "Correlation"})  # what the SEC's participants record of a step's answer


@dataclass(frozen=True)
class Play:
    """One scenario (or saga run) of the journey: its title, the moves, and whether all should go well."""

    title: str
    run: Callable[[Player], None]
    happy: bool = True
    fails: Mapping[str, int] = field(default_factory=dict)  # saga steps' commands made to fail: how often (-1: always)


def play(player: Player, plays: Sequence[Play], only: str | None = None) -> list[tuple[Play, list[Line]]]:
    """Play each play (or the one titled ``only``) on fresh aggregates; each with its timeline."""
    played = []
    for p in plays:
        if only is not None and p.title != only:
            continue
        player.ids, player.lines = {}, []
        player.steer.fail = dict(p.fails)
        try:
            p.run(player)
        except Missing as missing:
            player.lines.append(Line("", "", "", f"stopped: no {missing} (an earlier step did not make it)"))
        finally:
            player.steer.fail = {}
        played.append((p, player.lines))
    return played


def table(rows: Sequence[Stored]) -> str:
    """Stored events as a plain-text table: one row each, numbered."""
    header = ("#", "microservice", "aggregate", "id", "v", "event", "data")
    lines = [
        (str(i), r.service, r.aggregate, shown(r.aggregate_id), str(r.version), r.event, shown_values(r.data))
        for i, r in enumerate(rows, 1)
    ]
    widths = [max(len(line[i]) for line in [header, *lines]) for i in range(len(header))]
    out = [" | ".join(c.ljust(w) for c, w in zip(line, widths, strict=True)).rstrip() for line in [header, *lines]]
    out.insert(1, "-+-".join("-" * w for w in widths))
    return "\n".join(out)


def written(rules: object, method: str) -> bool:
    """Whether a class of ``rules`` below the player's own defines ``method``, other than Hooks with its
    default: a rule you wrote, which the player leaves alone."""
    for cls in type(rules).__mro__[1:]:
        if method in vars(cls):
            return cls.__name__ != "Hooks"
    return False


def shown(value: object) -> str:
    """A value as people read it: ids shortened, times to the minute (or second), lists without quotes, a value object
    as its name and fields shown alike (``OrderLine(sku=BK-042, quantity=2, unit_price=12.50)``)."""
    if is_dataclass(value) and not isinstance(value, type):
        inner = ", ".join(f"{f.name}={shown(getattr(value, f.name))}" for f in fields(value))
        return f"{type(value).__name__}({inner})"
    if isinstance(value, UUID):
        return str(value)[:8]
    if isinstance(value, datetime):  # seconds too where they are not zero: a cart expires 10 s after its last item
        exact = value.second or value.microsecond
        return value.isoformat(sep=" ", timespec="seconds" if exact else "minutes")
    if isinstance(value, (date, Decimal)):
        return str(value)
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(shown(v) for v in value) + "]"
    return str(value)


def shown_values(values: Mapping[str, object]) -> str:
    return ", ".join(f"{k}={shown(v)}" for k, v in values.items() if not k.startswith("_"))


def show(played: Sequence[tuple[Play, Sequence[Line]]], out: TextIO | None = None, fancy: bool | None = None) -> None:
    """Print each play's timeline under its title: a rich table on a terminal, plain text when piped."""
    out = out or sys.stdout
    if fancy is None:
        fancy = out.isatty()
    if fancy and _show_rich(played, out):
        return
    for i, (p, lines) in enumerate(played):
        if i:
            out.write("\n")
        out.write(f"== {p.title} ==\n")
        who = max((len(ln.who) for ln in lines), default=0)
        what = max((len(ln.what) + (5 if ln.event else 0) for ln in lines), default=0)
        for ln in lines:
            name = ("  -> " if ln.event else "") + ln.what
            out.write(f"{ln.who.ljust(who)}  {name.ljust(what)}  {ln.outcome}".rstrip() + "\n")
            pad = " " * (who + 2 + (7 if ln.event else 2))
            width = max(100 - len(pad), 40)  # a line breaks between values, never inside a name or a date
            for part in textwrap.wrap(ln.values, width=width, break_long_words=False, break_on_hyphens=False):
                out.write(f"{pad}{part}\n")


def _show_rich(played: Sequence[tuple[Play, Sequence[Line]]], out: TextIO) -> bool:
    try:
        from rich.console import Console
        from rich.table import Table
        from rich.text import Text
    except ImportError:  # rich is optional: plain text then
        return False
    console = Console(file=out)
    for p, lines in played:
        table = Table(title=Text(p.title), title_justify="left", title_style="bold", expand=False)
        for name in ("who", "what", "values", "outcome / by"):
            table.add_column(name, overflow="fold")
        for ln in lines:
            style = "dim" if ln.event else ("red" if ln.rejected and p.happy else "")
            cells = (ln.who, ("→ " if ln.event else "") + ln.what, ln.values, ln.outcome)
            table.add_row(*(Text(c) for c in cells), style=style)  # Text: values are not markup ("[soup]")
        console.print(table)
    return True
