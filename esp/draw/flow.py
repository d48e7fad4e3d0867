"""The flow view: the whole command -> event -> listener -> command chain,
one box per microservice, with read models and sagas where events lead.

With a filter, the chosen processes are drawn with the listeners that reach
in or out of them, and the other end of each such listener, so you see where
the flow comes from and goes to.
"""

from __future__ import annotations

from esp.draw.graph import Edge, Graph, Group, Node, label, node_id
from esp.draw.hotspots import hotspot_nodes
from esp.draw.scope import Scope
from esp.model import Command, Event, Listener, Microservice, Model, Query

_Placed = dict[str, tuple[Node, Microservice]]


def build(model: Model, scope: Scope) -> Graph:
    placed: _Placed = {}
    edges: list[Edge] = []
    for process in scope.processes:
        previous: Query | None = None
        for action in process.actions:
            _put(placed, _action(action), process.microservice)
            if isinstance(action, Query):
                previous = action
                continue
            if previous is not None:
                edges.append(Edge(node_id("query", previous.name), node_id("command", action.name), "next"))
                previous = None
            for event in action.emits:
                _put(placed, _event(event), process.microservice)
                edges.append(Edge(node_id("command", action.name), node_id("event", event.name), "emits"))
        for event in process.events:
            _put(placed, _event(event), process.microservice)
    for number, listener in enumerate(model.listeners, start=1):
        edges.extend(_listener(listener, number, placed, whole=scope.whole))
    for projection in model.projections:
        rid = node_id("readmodel", projection.name)
        sources = [e for e in projection.sources if node_id("event", e.name) in placed]
        readers = [q for q in model.queries if q.projection is projection and node_id("query", q.name) in placed]
        if not sources and not readers:
            continue
        _put(placed, Node(rid, "readmodel", label(projection.name), "read model"), projection.microservice)
        edges.extend(Edge(node_id("event", e.name), rid, "projects") for e in sources)
        edges.extend(Edge(rid, node_id("query", q.name), "reads") for q in readers)
    for saga in model.sagas:
        start = node_id("event", saga.starts_on.name)
        if start not in placed:
            continue
        sid = node_id("saga", saga.name)
        _put(placed, Node(sid, "saga", label(saga.name), f"saga, {saga.recovery} recovery"), saga.microservice)
        edges.append(Edge(start, sid, "saga"))
        for i, step in enumerate(saga.steps, start=1):
            for command, name in ((step.invoke, f"T{i}"), (step.compensate, f"C{i}")):
                if command is not None and node_id("command", command.name) in placed:
                    edges.append(Edge(sid, node_id("command", command.name), "saga", name))
    nodes = [n for n, _ in placed.values()]
    for spot, subject in hotspot_nodes(model, nodes):
        if subject is not None:
            placed[spot.id] = (spot, placed[subject][1])
            edges.append(Edge(spot.id, subject, "about"))
    return Graph(
        view="flow",
        title=f"Flow: {model.name}",
        nodes=tuple(n for n, _ in placed.values()),
        edges=tuple(edges),
        groups=_boxes(model, placed),
        empty="" if placed else "No processes to draw",
        notes=(scope.note,) if scope.note else (),
    )


def _put(placed: _Placed, node: Node, microservice: Microservice) -> None:
    placed.setdefault(node.id, (node, microservice))


def _action(action: Command | Query) -> Node:
    if isinstance(action, Query):
        return Node(node_id("query", action.name), "query", label(action.name))
    return Node(node_id("command", action.name), "command", label(action.name))


def _event(event: Event) -> Node:
    return Node(node_id("event", event.name), "integration" if event.integration else "event", label(event.name))


def _listener(listener: Listener, number: int, placed: _Placed, *, whole: bool) -> list[Edge]:
    """event -> policy -> command; with a filter, also the end that lies outside it."""
    eid, cid = node_id("event", listener.on.name), node_id("command", listener.command.name)
    if not whole and eid not in placed and cid not in placed:
        return []
    if eid not in placed:
        _put(placed, _event(listener.on), listener.on.microservice)
    if cid not in placed:
        _put(placed, _action(listener.command), listener.command.microservice)
    lid = node_id("listener", str(number))
    _put(placed, Node(lid, "listener", "Listener", f"in {label(listener.microservice.name)}"), listener.microservice)
    return [Edge(eid, lid, "listener"), Edge(lid, cid, "listener")]


def _boxes(model: Model, placed: _Placed) -> tuple[Group, ...]:
    groups = []
    for service in model.microservices:
        members = tuple(nid for nid, (_, ms) in placed.items() if ms is service)
        if members:
            groups.append(Group(node_id("microservice", service.name), label(service.name), "microservice", members))
    return tuple(groups)
