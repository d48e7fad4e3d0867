"""The ESP table, neutral: one row per process, five lanes of stickies.

``markdown`` and ``html`` both render this, so the two exports always agree.
"""

from __future__ import annotations

from dataclasses import dataclass

from esp.model import Command, Listener, Model, Process

LANES = ("Process", "Actions", "Microservice", "Events", "ES Aggregate")


@dataclass(frozen=True)
class Sticky:
    kind: str  # process, actor, command, query, microservice, event, integration, aggregate
    text: str
    note: str = ""  # "creates", "reads Menu", "integration"


Cell = tuple[Sticky, ...]


def _actions(process: Process) -> Cell:
    return tuple(
        Sticky("command", a.name, "creates" if a.creates else "")
        if isinstance(a, Command)
        else Sticky("query", a.name, f"reads {a.projection.name}" if a.projection else "")
        for a in process.actions
    )


def row(process: Process) -> tuple[Cell, ...]:
    who = (Sticky("process", process.name),) + ((Sticky("actor", process.actor.name),) if process.actor else ())
    events = tuple(
        Sticky("integration", e.name, "integration") if e.integration else Sticky("event", e.name)
        for e in process.events
    )
    aggregate = (Sticky("aggregate", process.aggregate.name),) if process.aggregate else ()
    return (who, _actions(process), (Sticky("microservice", process.microservice.name),), events, aggregate)


def rows(model: Model) -> list[tuple[Cell, ...]]:
    return [row(p) for p in model.processes]


def listener_route(li: Listener) -> str:
    """Where a listener's command goes, as the drawings label its arrow: a new aggregate, the ones holding
    the event's value of a key, or the one whose id an event field holds."""
    if li.creates and li.command.aggregate:
        return f"creates a new {li.command.aggregate.name}"
    if li.key:
        return f"{'for each' if li.each else 'by'} {li.key}"
    return f"target: {li.target}" if li.target else ""
