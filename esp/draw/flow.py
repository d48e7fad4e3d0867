"""The flow view: the command -> event -> listener -> command chain in time,
top to bottom, in boxes of the microservice each step happens in, with read
models and sagas where events lead.

Each layer holds what happens at one moment: a command, then under it the
events it records, then the command a listener (a bold lilac arrow) issues
on one of them, and so on (see ``order``), so reading down is reading the
story; a layer holds a few stickies at most, so the drawing grows down, not
across. A box is a stretch of time the story spends in one microservice: the
story may leave a service and come back, so a service may have several boxes.
Events a saga records itself (its ``completes_with`` and ``aborts_with``)
come from the saga. A timer (◷) comes after the event that enters its state,
and leads to the command it issues.

With a filter, the chosen processes are drawn with the listeners that reach
in or out of them, and the other end of each such listener, so you see where
the flow comes from and goes to.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field

from esp.draw.graph import Edge, Graph, Group, Node, item_id, item_label, key_label, label, node_id
from esp.draw.hotspots import hotspot_nodes
from esp.draw.order import CAUSE, LISTED, SEES, THEN, Rule, layers
from esp.draw.scope import Scope
from esp.model import Command, Event, Listener, Microservice, Model, Projection, Query, Saga, Timer

BUDGET = 6  # stickies in one layer: with the boxes around them, about 1,500 px at 96 dpi
FAR = 8  # layers: a read model's arrow longer than this becomes a line on the sticky ("feeds My Trips")


@dataclass
class _Flow:
    """What the view has placed so far: each node with its box and journey, edges, rules."""

    model: Model
    placed: dict[str, tuple[Node, Microservice, int]] = field(default_factory=dict)
    edges: list[Edge] = field(default_factory=list)
    rules: list[Rule] = field(default_factory=list)

    def put(self, node: Node, microservice: Microservice, journey: int) -> None:
        self.placed.setdefault(node.id, (node, microservice, journey))

    def has(self, nid: str) -> bool:
        return nid in self.placed


def build(model: Model, scope: Scope) -> Graph:
    journeys = {j.name: i for i, j in enumerate(model.journeys)}
    flow = _Flow(model)
    for before, process in zip((None, *scope.processes), scope.processes, strict=False):
        _actions(flow, process.actions, process.microservice, journeys[process.journey])
        for event in process.events:
            flow.put(_event(flow.model, event), process.microservice, journeys[process.journey])
        if before is not None and before.actions and process.actions:  # processes start in the order told
            flow.rules.append(
                Rule(_action(flow.model, before.actions[0]).id, _action(flow.model, process.actions[0]).id, LISTED)
            )
    for listener in model.listeners:
        _listener(flow, listener, journeys, whole=scope.whole)
    for projection in model.projections:
        _projection(flow, model, projection, journeys[projection.journey])
    for saga in model.sagas:
        _saga(flow, saga, journeys[saga.journey])
    for timer in model.timers:
        _timer(flow, model, timer, journeys[timer.journey])
    _states(flow, model, scope)
    for spot, subject in hotspot_nodes(model, [n for n, _, _ in flow.placed.values()]):
        if subject is not None:
            _, microservice, journey = flow.placed[subject]
            flow.put(spot, microservice, journey)
            flow.edges.append(Edge(spot.id, subject, "about"))
            flow.rules.append(Rule(subject, spot.id, CAUSE))
    parts: list[list[str]] = [[] for _ in model.journeys]
    for nid, (_, _, journey) in flow.placed.items():
        parts[journey].append(nid)
    queries = frozenset(nid for nid, (node, _, _) in flow.placed.items() if node.kind == "query")
    timeline = layers([p for p in parts if p], flow.rules, BUDGET, [(e.src, e.dst) for e in flow.edges], queries)
    nodes, edges = _far(flow, timeline)
    return Graph(
        view="flow",
        title=f"Flow: {model.name}",
        nodes=nodes,
        edges=edges,
        groups=_boxes(model, flow, timeline),
        layers=timeline,
        direction="TB",
        empty="" if flow.placed else "No processes to draw",
        notes=(scope.note,) if scope.note else (),
    )


def _far(flow: _Flow, timeline: tuple[tuple[str, ...], ...]) -> tuple[tuple[Node, ...], tuple[Edge, ...]]:
    """The nodes and edges, with each read model's arrow that spans more than ``FAR``
    layers said on the sticky at its far end instead: Graphviz lays a long arrow out
    through every layer it crosses (minutes for a read model fed all along a long
    story), and across the whole drawing it says less than a line on the sticky."""
    layer_of = {nid: i for i, layer in enumerate(timeline) for nid in layer}
    nodes = {nid: node for nid, (node, _, _) in flow.placed.items()}
    edges = []
    for edge in flow.edges:
        if edge.kind not in ("projects", "reads") or abs(layer_of[edge.dst] - layer_of[edge.src]) <= FAR:
            edges.append(edge)
            continue
        end, other = (edge.src, edge.dst) if edge.kind == "projects" else (edge.dst, edge.src)
        said = f"{'feeds' if edge.kind == 'projects' else 'reads'} {nodes[other].label}"
        node = nodes[end]
        nodes[end] = Node(node.id, node.kind, node.label, f"{node.note}, {said}" if node.note else said)
    return tuple(nodes.values()), tuple(edges)


def _actions(flow: _Flow, actions: tuple[Command | Query, ...], microservice: Microservice, journey: int) -> None:
    """Each action after the one listed before it; a command's events under it."""
    previous: Command | Query | None = None
    for action in actions:
        node = _action(flow.model, action)
        flow.put(node, microservice, journey)
        if previous is not None:
            flow.rules.append(Rule(_action(flow.model, previous).id, node.id, LISTED))
        if isinstance(action, Command):
            for event in action.emits:
                flow.put(_event(flow.model, event), microservice, journey)
                flow.edges.append(Edge(node.id, item_id(flow.model, "event", event), "emits"))
                flow.rules.append(Rule(node.id, item_id(flow.model, "event", event), CAUSE))
            if isinstance(previous, Query):
                flow.edges.append(Edge(_action(flow.model, previous).id, node.id, "next"))
                flow.rules.append(Rule(_action(flow.model, previous).id, node.id, THEN))
        previous = action


def _action(model: Model, action: Command | Query) -> Node:
    if isinstance(action, Query):
        return Node(node_id("query", action.name), "query", item_label(model, action))
    return Node(item_id(model, "command", action), "command", item_label(model, action))


def _event(model: Model, event: Event) -> Node:
    return Node(
        item_id(model, "event", event), "integration" if event.integration else "event", item_label(model, event)
    )


def _listener(flow: _Flow, listener: Listener, journeys: dict[str, int], *, whole: bool) -> None:
    """The event, then the command its listener issues; with a filter, also the end
    that lies outside it."""
    eid, cid = item_id(flow.model, "event", listener.on), item_id(flow.model, "command", listener.command)
    if not whole and not flow.has(eid) and not flow.has(cid):
        return
    flow.put(_event(flow.model, listener.on), listener.on.microservice, journeys[listener.on.journey])
    flow.put(_action(flow.model, listener.command), listener.command.microservice, journeys[listener.command.journey])
    flow.edges.append(Edge(eid, cid, "listener", key_label(listener)))
    flow.rules.append(Rule(eid, cid, CAUSE))


def _projection(flow: _Flow, model: Model, projection: Projection, journey: int) -> None:
    """A read model after the first event that feeds it, before the queries that read it."""
    rid = node_id("readmodel", projection.name)
    sources = [item_id(flow.model, "event", e) for e in projection.sources if flow.has(item_id(flow.model, "event", e))]
    readers = [
        node_id("query", q.name)
        for q in model.queries
        if q.projection is projection and flow.has(node_id("query", q.name))
    ]
    if not sources and not readers:
        return
    flow.put(Node(rid, "readmodel", label(projection.name), "read model"), projection.microservice, journey)
    flow.edges.extend(Edge(e, rid, "projects") for e in sources)
    flow.edges.extend(Edge(rid, q, "reads") for q in readers)
    flow.rules.extend(Rule(e, rid, THEN) for e in sources[:1])
    flow.rules.extend(Rule(rid, q, SEES) for q in readers)


def _saga(flow: _Flow, saga: Saga, journey: int) -> None:
    """The saga after the event that starts it; then, as it runs them, each step after
    the event that ended the one before, and after a failure the compensations of
    the steps done, last first; the events the saga records at the end."""
    start = item_id(flow.model, "event", saga.starts_on)
    if not flow.has(start):
        return
    sid = node_id("saga", saga.name)
    flow.put(Node(sid, "saga", label(saga.name), f"saga, {saga.recovery} recovery"), saga.microservice, journey)
    _follow(flow, start, sid, "saga")
    aborts = item_id(flow.model, "event", saga.aborts_with)
    done = sid  # what the next step follows
    undo: list[tuple[str, Command]] = []  # compensations of the steps done, last first
    for i, step in enumerate(saga.steps, start=1):
        _follow(flow, done, item_id(flow.model, "command", step.invoke), "saga", f"T{i}")
        if step.fails_on is not None and undo:
            _follow(
                flow,
                item_id(flow.model, "event", step.fails_on),
                item_id(flow.model, "command", undo[0][1]),
                "saga",
                undo[0][0],
            )
        elif step.fails_on is not None:
            why = f"after {saga.retries.max} retries" if saga.retries is not None else "aborts"
            _follow(flow, item_id(flow.model, "event", step.fails_on), aborts, "records", f"{label(saga.name)} {why}")
        if step.compensate is not None:
            undo.insert(0, (f"C{i}", step.compensate))
        done = item_id(flow.model, "event", step.succeeds_on)
    for (_, command), (name, after) in itertools.pairwise(undo):
        _follow(flow, _outcome(flow.model, command), item_id(flow.model, "command", after), "saga", name)
    if undo:
        _follow(flow, _outcome(flow.model, undo[-1][1]), aborts, "records", f"{label(saga.name)} aborts")
    _follow(flow, done, item_id(flow.model, "event", saga.completes_with), "records", f"{label(saga.name)} completes")


def _timer(flow: _Flow, model: Model, timer: Timer, journey: int) -> None:
    """The timer after the (first drawn) event that enters its state; its command after it."""
    starts = [item_id(model, "event", e) for e in model.events_of(timer.aggregate) if e.enters == timer.state]
    start = next((s for s in starts if flow.has(s)), None)
    command = item_id(model, "command", timer.command)
    if start is None or not flow.has(command):
        return
    tid = item_id(model, "timer", timer.aggregate, timer.name)
    flow.put(
        Node(tid, "timer", label(timer.name), f"after {timer.after} in {timer.state}"),
        timer.aggregate.microservice,
        journey,
    )
    _follow(flow, start, tid, "timer")
    _follow(flow, tid, command, "timer", item_label(model, timer.command))


def _outcome(model: Model, command: Command) -> str:
    """Where a compensation is done: its first event, else the command itself."""
    return item_id(model, "event", command.emits[0]) if command.emits else item_id(model, "command", command)


def _follow(flow: _Flow, before: str, after: str, kind: str, text: str = "") -> None:
    """An arrow and a rule: ``after`` comes after ``before`` (when both are drawn)."""
    if flow.has(before) and flow.has(after):
        flow.edges.append(Edge(before, after, kind, text))
        flow.rules.append(Rule(before, after, CAUSE))


def _states(flow: _Flow, model: Model, scope: Scope) -> None:
    """A command allowed only in some states comes after an event that enters one."""
    for process in scope.processes:
        for command in process.commands:
            if not command.allowed_in or command.aggregate is None:
                continue
            enters = [
                e
                for e in model.events_of(command.aggregate)
                if e.enters in command.allowed_in and e not in command.emits
            ]
            placed = [item_id(flow.model, "event", e) for e in enters if flow.has(item_id(flow.model, "event", e))]
            if placed:
                flow.rules.append(Rule(placed[0], item_id(flow.model, "command", command), THEN))


def _boxes(model: Model, flow: _Flow, timeline: tuple[tuple[str, ...], ...]) -> tuple[Group, ...]:
    """A box per stretch of time a microservice is busy: the story enters it, leaves it
    and may come back (one box over the whole story would push everything else aside)."""
    layer_of = {nid: i for i, layer in enumerate(timeline) for nid in layer}
    groups = []
    for service in model.microservices:
        members = sorted((layer_of[nid], nid) for nid, (_, ms, _) in flow.placed.items() if ms is service)
        stretches: list[list[str]] = []
        last = -2
        for layer, nid in members:
            if layer > last + 1:
                stretches.append([])
            stretches[-1].append(nid)
            last = layer
        gid = node_id("microservice", service.name)
        for i, stretch in enumerate(stretches, start=1):
            groups.append(Group(gid if i == 1 else f"{gid}-{i}", label(service.name), "microservice", tuple(stretch)))
    return tuple(groups)
