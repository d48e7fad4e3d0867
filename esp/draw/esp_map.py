"""The ESP map: five vertical swim lanes, one row per process, like the
workshop template ("User Journey: ___ | Actions | Micro Service | Events | ES Aggregate").

Arrows are the command-and-event bridge (command -> its events -> the
aggregate they build), listeners from an event to the command it issues (also
across rows), a timer (◷, in the Actions lane) to the command it issues, and a
query to the command that follows it.

Keys: an aggregate's sticky lists the keys it is found by ("key: buyer_id (unique)").

Value objects: a command or event sticky lists its fields whose type is a value
object ("lines: list[OrderLine]"), and a last row, "Value objects", holds one
sticky per value object the drawn rows use (and the ones those hold), its
fields one per line, so the reader finds what ``OrderLine`` is on the same map.
"""

from __future__ import annotations

from esp.draw.graph import Edge, Graph, Node, Row, item_id, item_label, keys_note, label, node_id
from esp.draw.hotspots import hotspot_nodes
from esp.draw.scope import Scope
from esp.model import Command, Event, Field, Model, Process, Query, ValueType

LANES = ("Process & User", "Actions", "Microservice", "Events", "ES Aggregate")


def build(model: Model, scope: Scope) -> Graph:
    nodes: list[Node] = []
    edges: list[Edge] = []
    rows: list[Row] = []
    numbers = {id(p): n for n, p in enumerate(model.processes, start=1)}  # a filter keeps the model's numbers
    for process in scope.processes:
        number = numbers[id(process)]
        cells = _row(model, process, number, nodes, edges)
        rows.append(Row(node_id("row", str(number)), f"Process {number}", cells))
    rows = _sagas(model, rows, nodes, edges)
    rows = _timers(model, rows, nodes, edges)
    rows = _listeners(model, rows, nodes, edges, numbers)
    rows = _value_objects(scope, rows, nodes)
    rows = _with_hotspots(model, rows, nodes, edges, loose=scope.whole)
    return Graph(
        view="esp",
        title=f"User Journey: {model.name}",
        nodes=tuple(nodes),
        edges=tuple(edges),
        lanes=LANES,
        rows=tuple(rows),
        empty="" if rows else "No processes to draw",
        notes=(scope.note,) if scope.note else (),
    )


def _row(
    model: Model, process: Process, number: int, nodes: list[Node], edges: list[Edge]
) -> tuple[tuple[str, ...], ...]:
    lane0 = [Node(node_id("process", process.name), "process", label(process.name), f"Process {number}")]
    if process.actor is not None:
        lane0.append(Node(node_id("actor", process.actor.name, str(number)), "actor", label(process.actor.name)))
    actions = [_action(model, a) for a in process.actions]
    service = Node(
        node_id("microservice", process.microservice.name, str(number)),
        "microservice",
        label(process.microservice.name),
    )
    events = [_event(model, e) for e in process.events]
    aggregate = []
    if process.aggregate is not None:
        factory = any(c.creates for c in process.commands)
        aggregate.append(
            Node(
                item_id(model, "aggregate", process.aggregate, str(number)),
                "aggregate",
                item_label(model, process.aggregate),
                "\n".join(n for n in ("root & factory" if factory else "root", keys_note(process.aggregate)) if n),
            )
        )
    cells = (lane0, actions, [service], events, aggregate)
    for cell in cells:
        nodes.extend(cell)
    edges.extend(_bridge(model, process, aggregate[0].id if aggregate else None))
    return tuple(tuple(n.id for n in cell) for cell in cells)


def _action(model: Model, action: Command | Query) -> Node:
    if isinstance(action, Query):
        note = f"reads {label(action.projection.name)}" if action.projection is not None else ""
        return Node(node_id("query", action.name), "query", item_label(model, action), note)
    return Node(item_id(model, "command", action), "command", item_label(model, action), valued(action.fields))


def _event(model: Model, event: Event) -> Node:
    held = valued(event.fields)
    nid, text = item_id(model, "event", event), item_label(model, event)
    if event.integration:  # the note replaces the default "⇄ integration" line: keep the word first
        return Node(nid, "integration", text, "\n".join(p for p in ("integration", held) if p))
    return Node(nid, "event", text, held)


def valued(fields: tuple[Field, ...]) -> str:
    """The fields whose type holds a value object, one a line ("lines: list[OrderLine]"): the rest of a
    sticky's fields are left out, as on a workshop wall; these name the stickies of the Value objects row."""
    return "\n".join(f"{f.name}: {f.type}" for f in fields if f.type.inner.value is not None)


def used_types(fields: list[Field]) -> list[ValueType]:
    """The value objects ``fields`` hold, and those these hold, each once, in first-use order."""
    found: dict[str, ValueType] = {}
    todo = [f.type.inner.value for f in fields]
    while todo:
        vo = todo.pop(0)
        if vo is not None and vo.key not in found:
            found[vo.key] = vo
            todo.extend(f.type.inner.value for f in vo.fields)
    return list(found.values())


def value_node(vo: ValueType) -> Node:
    """A value object's sticky: its name, and its fields one a line with their types (nested value objects,
    ``list[...]`` and ``optional[...]`` as written)."""
    home = [vo.microservice.name] if vo.qualified and vo.microservice else []
    return Node(node_id("value", vo.name, *home), "value", vo.key, "\n".join(f"{f.name}: {f.type}" for f in vo.fields))


def _bridge(model: Model, process: Process, aggregate: str | None) -> list[Edge]:
    """Command -> events -> aggregate, and each query -> the command after it."""
    edges = []
    for action, after in zip(process.actions, process.actions[1:], strict=False):
        if isinstance(action, Query) and isinstance(after, Command):
            edges.append(Edge(node_id("query", action.name), item_id(model, "command", after), "next"))
    for command in process.commands:
        for event in command.emits:
            edges.append(Edge(item_id(model, "command", command), item_id(model, "event", event), "emits"))
    if aggregate is not None:
        for event in process.events:
            edges.append(Edge(item_id(model, "event", event), aggregate, "builds"))
    return edges


def _sagas(model: Model, rows: list[Row], nodes: list[Node], edges: list[Edge]) -> list[Row]:
    """The events a saga records itself (``completes_with``, ``aborts_with``) come from
    a saga sticky in their row's Actions lane, as other events come from commands."""
    where = {nid: r for r, row in enumerate(rows) for cell in row.cells for nid in cell}
    cells = [[list(cell) for cell in row.cells] for row in rows]
    for saga in model.sagas:
        for why, event in (("completes", saga.completes_with), ("aborts", saga.aborts_with)):
            eid = item_id(model, "event", event)
            if eid not in where:
                continue
            row = where[eid]
            sid = node_id("saga", saga.name, str(row + 1))
            if sid not in cells[row][1]:
                cells[row][1].insert(_before(cells[row], edges, cells[row][3].index(eid)), sid)
                nodes.append(Node(sid, "saga", label(saga.name), "saga: records its outcome"))
            edges.append(Edge(sid, eid, "records", why))
    return [Row(row.id, row.label, tuple(tuple(c) for c in cells[i]), row.title) for i, row in enumerate(rows)]


def _timers(model: Model, rows: list[Row], nodes: list[Node], edges: list[Edge]) -> list[Row]:
    """A timer is a sticky in the Actions lane just before the command it issues ("after 1m in submitted")."""
    where = {nid: r for r, row in enumerate(rows) for nid in row.cells[1]}
    cells = [[list(cell) for cell in row.cells] for row in rows]
    for timer in model.timers:
        cid = item_id(model, "command", timer.command)
        if cid not in where:
            continue
        actions = cells[where[cid]][1]
        tid = item_id(model, "timer", timer.aggregate, timer.name)
        actions.insert(actions.index(cid), tid)
        nodes.append(Node(tid, "timer", label(timer.name), f"after {timer.after} in {timer.state}"))
        edges.append(Edge(tid, cid, "timer"))
    return [Row(row.id, row.label, tuple(tuple(c) for c in cells[i]), row.title) for i, row in enumerate(rows)]


def _before(cells: list[list[str]], edges: list[Edge], event: int) -> int:
    """Where in the Actions lane a sticky leading to the ``event``-th event goes: before
    the first action that leads only to later events, so its arrows do not cross theirs."""
    events = cells[3]
    first = {e.src: events.index(e.dst) for e in reversed(edges) if e.kind == "emits" and e.dst in events}
    later = [i for i, nid in enumerate(cells[1]) if first.get(nid, -1) > event]
    return later[0] if later else len(cells[1])


def _listeners(
    model: Model, rows: list[Row], nodes: list[Node], edges: list[Edge], numbers: dict[int, int]
) -> list[Row]:
    """Listener arrows between drawn rows; when a filter leaves one end out, a lilac
    stub beside the other end says where the arrow goes or comes from."""
    where = {nid: (r, lane) for r, row in enumerate(rows) for lane, cell in enumerate(row.cells) for nid in cell}
    cells = [[list(cell) for cell in row.cells] for row in rows]
    for i, listener in enumerate(model.listeners, start=1):
        src, dst = item_id(model, "event", listener.on), item_id(model, "command", listener.command)
        if src in where and dst in where:
            edges.append(Edge(src, dst, "listener", constraint=False, routed=True))
            continue
        if src in where:
            other = model.process_of(listener.command)
            stub = Node(node_id("listener", str(i), "out"), "listener", f"to {item_label(model, listener.command)}", "")
        elif dst in where:
            other = model.process_of(listener.on)
            stub = Node(node_id("listener", str(i), "in"), "listener", f"from {item_label(model, listener.on)}", "")
        else:
            continue
        stub = Node(stub.id, stub.kind, stub.label, f"Process {numbers[id(other)]}: {label(other.name)}")
        anchor = src if src in where else dst
        r, lane = where[anchor]
        cell = cells[r][lane]
        cell.insert(cell.index(anchor) + (1 if anchor == src else 0), stub.id)
        nodes.append(stub)
        edges.append(Edge(anchor, stub.id, "listener") if anchor == src else Edge(stub.id, anchor, "listener"))
    return [Row(row.id, row.label, tuple(tuple(c) for c in cells[i]), row.title) for i, row in enumerate(rows)]


def _value_objects(scope: Scope, rows: list[Row], nodes: list[Node]) -> list[Row]:
    """A last row of the value objects the drawn commands and events hold, spread over the lanes (the row is
    a legend: its lanes mean nothing) so that it stays short."""
    fields = [
        f
        for p in scope.processes
        for fs in [*(c.fields for c in p.commands), *(e.fields for e in p.events)]
        for f in fs
    ]
    found = [value_node(vo) for vo in used_types(fields)]
    if not found:
        return rows
    nodes.extend(found)
    lanes = len(LANES)
    cells = tuple(tuple(n.id for n in found[lane::lanes]) for lane in range(lanes))
    return [*rows, Row("row-values", "Value objects", cells, "Value objects")]


def _with_hotspots(model: Model, rows: list[Row], nodes: list[Node], edges: list[Edge], *, loose: bool) -> list[Row]:
    """Each hotspot just under what it is about (same row and lane, after the hotspots
    already there), or, when the whole model is drawn, in a last row of its own."""
    where = {nid: (r, lane) for r, row in enumerate(rows) for lane, cell in enumerate(row.cells) for nid in cell}
    unplaced: list[str] = []
    cells = [[list(cell) for cell in row.cells] for row in rows]
    for spot, subject in hotspot_nodes(model, nodes):
        if subject is not None and subject in where:
            r, lane = where[subject]
            cell = cells[r][lane]
            at = cell.index(subject) + 1
            while at < len(cell) and cell[at].startswith("hotspot-"):
                at += 1
            cell.insert(at, spot.id)
            edges.append(Edge(spot.id, subject, "about", constraint=False, routed=True))
        elif loose and rows:
            unplaced.append(spot.id)
        else:
            continue
        nodes.append(spot)
    result = [Row(row.id, row.label, tuple(tuple(c) for c in cells[i]), row.title) for i, row in enumerate(rows)]
    if unplaced:
        result.append(Row("row-hotspots", "Open questions", (tuple(unplaced), (), (), (), ()), "Open questions"))
    return result
