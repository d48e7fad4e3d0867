"""The aggregate view: each aggregate's lifecycle, its states and the
events that move it between them (one arrow per pair of states).

A creating command starts from the black dot; a command allowed in some
states starts from each of them; an event that ``enters`` no state loops on
the state it happened in. An event a saga records on the aggregate (its
``completes_with`` or ``aborts_with``) moves it from the state the saga
started in, in the saga's colour. A timer is a clock (◷) beside the state it runs in: a
dotted line from the state to it, and from it to the states its command's
events enter. An aggregate without states is drawn as one node.
"""

from __future__ import annotations

from esp.draw.graph import Edge, Graph, Group, Node, item_id, item_label, label
from esp.draw.scope import Scope
from esp.model import Aggregate, Model

ANY = "any state"


def build(model: Model, scope: Scope) -> Graph:
    aggregates = [
        a for a in model.aggregates if scope.whole or any(p in scope.processes for p in model.processes_of(a))
    ]
    nodes: list[Node] = []
    edges: list[Edge] = []
    groups: list[Group] = []
    for aggregate in aggregates:
        first = len(nodes)
        _lifecycle(model, aggregate, nodes, edges)
        title = f"{label(aggregate.name)} (in {label(aggregate.microservice.name)})"
        groups.append(
            Group(item_id(model, "aggregate", aggregate), title, "aggregate", tuple(n.id for n in nodes[first:]))
        )
    return Graph(
        view="aggregate",
        title=f"Aggregates: {model.name}",
        nodes=tuple(nodes),
        edges=tuple(edges),
        groups=tuple(groups),
        empty="" if aggregates else "No aggregates to draw",
        notes=(scope.note,) if scope.note else (),
    )


def _lifecycle(model: Model, aggregate: Aggregate, nodes: list[Node], edges: list[Edge]) -> None:
    start = item_id(model, "start", aggregate)
    nodes.append(Node(start, "start", "start"))
    if aggregate.states:
        state = {s: item_id(model, "state", aggregate, s) for s in aggregate.states}
        nodes.extend(Node(state[s], "state", s) for s in aggregate.states)
    else:
        state = {}
        nodes.append(Node(item_id(model, "state", aggregate, "live"), "aggregate", label(aggregate.name)))
    whole = item_id(model, "state", aggregate, "live") if not state else None
    anywhere = item_id(model, "state", aggregate, "any")
    moves: dict[tuple[str, str], list[str]] = {}  # one arrow per pair of states, its events listed
    before = _before(model, aggregate, state)
    for command in model.commands_of(aggregate):
        if command.creates:
            sources = [start]
        elif whole is not None:
            sources = [whole]
        elif command.allowed_in:
            sources = [state[s] for s in command.allowed_in if s in state]
        else:
            sources = [anywhere]
        for event in command.emits:
            for src in sources:
                if whole is not None:
                    dsts = [whole]
                elif event.enters_previous:  # back to each state it can have come from
                    dsts = before.get(src) or [src]
                elif event.enters in state:
                    dsts = [state[event.enters or ""]]
                else:
                    dsts = [src if src != start else anywhere]
                for dst in dsts:
                    names = moves.setdefault((src, dst), [])
                    if item_label(model, event) not in names:
                        names.append(item_label(model, event))
    edges.extend(Edge(src, dst, "moves", "\n".join(names)) for (src, dst), names in moves.items())
    edges.extend(_recorded(model, aggregate, state, whole or anywhere))
    _timers(model, aggregate, state, nodes, edges)
    if any(anywhere in (e.src, e.dst) for e in edges):
        nodes.append(Node(anywhere, "note", ANY))


def _before(model: Model, aggregate: Aggregate, state: dict[str, str]) -> dict[str, list[str]]:
    """For each state (its node), the states (nodes) an event moves the aggregate into it from: where an
    event that enters 'previous' returns it."""
    found: dict[str, list[str]] = {}
    for command in model.commands_of(aggregate):
        for event in command.emits:
            if event.enters in state:
                into = found.setdefault(state[event.enters or ""], [])
                into.extend(state[s] for s in command.allowed_in if s in state and state[s] not in into)
    return found


def _recorded(model: Model, aggregate: Aggregate, state: dict[str, str], other: str) -> list[Edge]:
    """The moves of the events sagas record on ``aggregate`` themselves, from the state
    the saga started in (``other``: any state, or the aggregate without states)."""
    emitted = {e for c in model.commands_of(aggregate) for e in c.emits}
    edges = []
    for saga in model.sagas:
        start = saga.starts_on.enters if saga.starts_on.aggregate is aggregate else None
        src = state.get(start or "", other)
        for event in (saga.completes_with, saga.aborts_with):
            if event.aggregate is aggregate and event not in emitted:
                dst = state.get(event.enters or "", src)
                edges.append(Edge(src, dst, "records", f"{item_label(model, event)} ({label(saga.name)} saga)"))
    return edges


def _timers(model: Model, aggregate: Aggregate, state: dict[str, str], nodes: list[Node], edges: list[Edge]) -> None:
    """Each timer: its state -> the clock (after how long, unless what) -> where its command leads."""
    for timer in model.timers_of(aggregate):
        if timer.state not in state:
            continue
        hourglass = item_id(model, "timer", aggregate, timer.name)
        unless = f", unless {', '.join(label(e.name) for e in timer.unless)}" if timer.unless else ""
        nodes.append(Node(hourglass, "timer", label(timer.name), f"after {timer.after}{unless}"))
        edges.append(Edge(state[timer.state], hourglass, "timer"))
        dsts = dict.fromkeys(state.get(e.enters or "", state[timer.state]) for e in timer.command.emits)
        edges.extend(Edge(hourglass, dst, "timer", item_label(model, timer.command)) for dst in dsts)
