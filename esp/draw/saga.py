"""The saga view: each saga's steps T1..Tn on top, their compensations under
them (run Cn..C1 on backward recovery), the pivot in a heavy border, and
retries (forward recovery, a step's own retries) as loops back to the step's
save point. A step on an existing aggregate says which one and by which saga
data; the arrow from a step to the next names the data its success brings
that later steps use (a ticket id created in T3, confirmed in T5).
"""

from __future__ import annotations

import itertools

from esp.build import duration_text
from esp.draw.graph import Edge, Graph, Group, Node, item_label, label, node_id
from esp.draw.scope import Scope
from esp.draw.style import BREAKER_MARKER
from esp.model import Event, Model, Saga, SagaStep


def build(model: Model, scope: Scope) -> Graph:
    services = set(scope.microservices)
    sagas = [
        s
        for s in model.sagas
        if scope.whole
        or s.microservice in services
        or any(model.process_of(st.invoke) in scope.processes for st in s.steps)
    ]
    nodes: list[Node] = []
    edges: list[Edge] = []
    groups: list[Group] = []
    same: list[tuple[str, ...]] = []
    for saga in sagas:
        first = len(nodes)
        _saga(model, saga, nodes, edges, same)
        groups.append(Group(node_id("saga", saga.name), _title(saga), "saga", tuple(n.id for n in nodes[first:])))
    return Graph(
        view="saga",
        title=f"Sagas: {model.name}",
        nodes=tuple(nodes),
        edges=tuple(edges),
        groups=tuple(groups),
        same_rank=tuple(same),
        empty="" if sagas else "No sagas in this model" + (f" ({scope.note})" if scope.note else ""),
        notes=(scope.note,) if scope.note else (),
    )


def _title(saga: Saga) -> str:
    retries = f", retries {saga.retries.max} ({saga.retries.backoff})" if saga.retries else ""
    if saga.circuit_breaker is not None:
        retries += f", a circuit breaker per participant ({BREAKER_MARKER} on its steps)"
    return f"Saga {label(saga.name)}: {saga.recovery} recovery{retries}, runs in {label(saga.microservice.name)}"


def _breaker(saga: Saga, step: SagaStep) -> str:
    """The mark of a step whose participant has a circuit breaker that can open, on a line of its own: whose
    breaker it is, the timeouts in a row that open it, how long it stays open and what the step does
    meanwhile. A breaker counts only the timeouts of steps that may time out (the SEC waits for a backward
    saga's pivot), so a participant none of whose steps may time out has none to draw."""
    b = saga.circuit_breaker
    ms = step.invoke.microservice
    counted = [s for s in saga.steps if s.invoke.microservice is ms and _times_out(saga, s) is not None]
    if b is None or not counted:
        return ""
    own = _times_out(saga, step)
    timeouts = f"{b.failures} timeouts" + (f" of {duration_text(own)}" if own is not None else " of its other steps")
    meanwhile = "meanwhile the step " + ("waits" if b.while_open == "wait" else "fails")
    who = label(ms.name)
    return f"\n{BREAKER_MARKER} {who} breaker: {timeouts} open it for {duration_text(b.open_for_ms)}; {meanwhile}"


def _times_out(saga: Saga, step: SagaStep) -> int | None:
    """The step's time limit in ms, if the SEC times it out (esp_runtime's ``_may_time_out``): it has a limit and
    can be compensated or retried (a backward saga's pivot that cannot is waited for)."""
    timeout = step.timeout_ms if step.timeout_ms is not None else saga.timeout_ms
    after_pivot = saga.pivot is not None and saga.steps.index(step) > saga.steps.index(saga.pivot)
    retried = step.retries is not None or step.retriable or (after_pivot and saga.retries is not None)
    may = saga.recovery == "forward" or step.compensate is not None or retried
    return timeout if may else None


def _event(model: Model, saga: Saga, event: Event, role: str) -> Node:
    kind = "integration" if event.integration else "event"
    return Node(node_id("event", model.label(event), saga.name), kind, item_label(model, event), role)


def _saga(model: Model, saga: Saga, nodes: list[Node], edges: list[Edge], same: list[tuple[str, ...]]) -> None:
    start, done, abort = (
        _event(model, saga, saga.starts_on, "starts"),
        _event(model, saga, saga.completes_with, "completes"),
        _event(model, saga, saga.aborts_with, "aborts"),
    )
    steps = [node_id("step", saga.name, str(i)) for i in range(1, len(saga.steps) + 1)]
    comps: dict[int, str] = {}
    nodes.append(start)
    for i, step in enumerate(saga.steps, start=1):
        notes = [f"invoke {item_label(model, step.invoke)}"]
        if step.pivot:
            notes.insert(0, "pivot")
        if step.retriable:
            notes.append("retriable")
        if step.target_field is not None and step.invoke.aggregate is not None:
            notes.append(f"on the {item_label(model, step.invoke.aggregate)} of {step.target_field}")
        notes.extend(f"{field} from {source}" for field, source in step.mapping)
        if step.retries is not None:
            notes.append(f"retries {step.retries.max} ({step.retries.backoff})")
        if step.nothing_to_undo:
            notes.append("nothing to undo")
        note = ", ".join(notes) + _breaker(saga, step)
        nodes.append(Node(steps[i - 1], "pivot" if step.pivot else "step", f"T{i} {label(step.name)}", note))
        if step.compensate is not None:
            comps[i] = node_id("compensation", saga.name, str(i))
            nodes.append(Node(comps[i], "compensation", f"C{i} {item_label(model, step.compensate)}", "compensates"))
            same.append((steps[i - 1], comps[i]))
    nodes.extend([done, abort])
    same.append((start.id, abort.id))
    chain = [start.id, *steps, done.id]
    for i, (a, b) in enumerate(itertools.pairwise(chain)):
        text = "" if i == 0 else item_label(model, saga.steps[i - 1].succeeds_on)
        passed = _passed(saga, i - 1) if i else []
        if passed:
            text += "\n+ " + ", ".join(passed)
        edges.append(Edge(a, b, "next", text))
    _failures(model, saga, steps, comps, abort.id, edges)
    _parking(saga, comps, nodes, edges)


def _parking(saga: Saga, comps: dict[int, str], nodes: list[Node], edges: list[Edge]) -> None:
    """Where a compensation that keeps failing leads, when the saga says how it is retried: the run is parked
    on the SEC's dead-letter list, until someone retries it."""
    if not comps or (saga.compensation_retries is None and not any(s.compensation_retries for s in saga.steps)):
        return
    parked = node_id("parked", saga.name)
    nodes.append(Node(parked, "parked", "Parked run", "on the SEC's dead-letter list, until retried"))
    for i, comp in comps.items():
        policy = saga.steps[i - 1].compensation_retries or saga.compensation_retries
        why = f"fails after {policy.max} retries ({policy.backoff})" if policy is not None else "fails"
        edges.append(Edge(comp, parked, "fails", why))


def _passed(saga: Saga, index: int) -> list[str]:
    """The saga data step ``index``'s success brings that a later step finds its aggregate by or maps, or
    that the event recording the saga's completion carries."""
    joined = {name for name, d in saga.data(index + 1).items() if d.step == index and index >= 0}
    names = [name for step in saga.steps[index + 1 :] for name in (step.target_field, *dict(step.mapping).values())]
    names += [f.name for f in saga.completes_with.fields]
    return list(dict.fromkeys(name for name in names if name in joined))


def _failures(model: Model, saga: Saga, steps: list[str], comps: dict[int, str], abort: str, edges: list[Edge]) -> None:
    """Where a failure leads: backward, to the compensations of the done steps in
    reverse order, then the abort event; forward, back to the step (its save point)."""
    order = sorted(comps, reverse=True)
    for a, b in itertools.pairwise(order):
        edges.append(Edge(comps[a], comps[b], "compensates"))
    if order:
        edges.append(Edge(comps[order[-1]], abort, "compensates"))
    for i, step in enumerate(saga.steps, start=1):
        if step.fails_on is None:
            continue
        why = item_label(model, step.fails_on)
        if saga.recovery == "forward" or step.retriable:
            edges.append(Edge(steps[i - 1], steps[i - 1], "retry", f"{why}: retry"))
            if saga.recovery == "forward" and saga.retries is not None:
                edges.append(Edge(steps[i - 1], abort, "fails", f"after {saga.retries.max} retries"))
            continue
        if step.retries is not None:  # on its failure edge: a retry loop beside it drew both labels on one spot
            why += f"\nafter {step.retries.max} retries"
        undo = [j for j in order if j < i or (j == i and saga.compensate_failed_step)]
        edges.append(Edge(steps[i - 1], comps[undo[0]] if undo else abort, "fails", why))
