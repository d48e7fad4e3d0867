"""Time order for the flow view: which layer, top to bottom, each sticky goes in.

A *rule* says one sticky comes after another (a command before its events,
an event before the command its listener issues, a query before the command
that follows it). Rules that contradict each other (a query that reads what
the next command writes) are settled by strength: what causes what first,
then what the reader sees, then the order the actions are listed in. Each
journey gets its own run of layers, one journey under the other; a layer
takes at most ``budget`` stickies, so the drawing grows down, not across;
and two stickies joined by an arrow never share a layer, because Graphviz
routes arrows within a layer badly (over other stickies, backwards, or not
at all: "triangulation failed").
"""

from __future__ import annotations

import heapq
from collections.abc import Sequence
from dataclasses import dataclass

CAUSE = 0  # an event leads to a command (listener, saga): never broken unless in a loop
THEN = 1  # a query before the command after it; a read model after its first event
SEES = 2  # a query after the read model it reads
LISTED = 3  # an action after the one listed before it in its process
STRENGTHS = 4


@dataclass(frozen=True)
class Rule:
    """``after`` goes at least ``gap`` layers below ``before``."""

    before: str
    after: str
    strength: int
    gap: int = 1


def layers(
    parts: Sequence[Sequence[str]],
    rules: Sequence[Rule],
    budget: int,
    apart: Sequence[tuple[str, str]] = (),
    late: frozenset[str] = frozenset(),
) -> tuple[tuple[str, ...], ...]:
    """The layers, top to bottom, of the stickies of each part (journey), parts one
    under the other; no two stickies of a pair in ``apart`` share a layer. Stickies
    go as early as the rules let them, those in ``late`` as late (a query just over
    the command it comes before, however early it is listed)."""
    away: dict[str, set[str]] = {}
    for a, b in apart:
        away.setdefault(a, set()).add(b)
        away.setdefault(b, set()).add(a)
    result: list[list[str]] = []
    for part in parts:
        _place(part, rules, budget, away, late, result)
    return tuple(tuple(layer) for layer in result)


def _place(
    nodes: Sequence[str],
    rules: Sequence[Rule],
    budget: int,
    away: dict[str, set[str]],
    late: frozenset[str],
    result: list[list[str]],
) -> None:
    index = {nid: i for i, nid in enumerate(nodes)}
    edges = [
        (a, b, rule.gap, rule.strength)
        for rule in rules
        if (a := index.get(rule.before)) is not None and (b := index.get(rule.after)) is not None and a != b
    ]
    preds: list[list[tuple[int, int]]] = [[] for _ in nodes]
    succs: list[list[tuple[int, int]]] = [[] for _ in nodes]
    for a, b, gap in _acyclic(len(nodes), edges):
        preds[b].append((a, gap))
        succs[a].append((b, gap))
    waiting = [len(p) for p in preds]
    ready = [u for u in range(len(nodes)) if not waiting[u]]
    heapq.heapify(ready)
    layer_of: dict[str, int] = {}
    rows: list[list[str]] = []
    while ready:  # Kahn's order, earliest listed first: each in the first layer the rules and room allow
        unit = heapq.heappop(ready)
        earliest = max((layer_of[nodes[p]] + gap for p, gap in preds[unit]), default=0)
        layer_of[nodes[unit]] = _room(rows, earliest, nodes[unit], budget, away, layer_of)
        for succ, _ in succs[unit]:
            waiting[succ] -= 1
            if not waiting[succ]:
                heapq.heappush(ready, succ)
    _sink(nodes, rows, layer_of, preds, succs, budget, away, late)
    result.extend(sorted(row, key=index.__getitem__) for row in rows)


def _acyclic(count: int, edges: list[tuple[int, int, int, int]]) -> list[tuple[int, int, int]]:
    """The edges without those that close a loop: strength by strength, the rules of
    one strength that lie inside a loop (with what is kept so far) are dropped."""
    kept: list[tuple[int, int, int]] = []
    for strength in range(STRENGTHS):
        these = [(a, b, gap) for a, b, gap, s in edges if s == strength]
        component = _components(count, kept + these)
        kept += [(a, b, gap) for a, b, gap in these if component[a] != component[b]]
    return kept


def _components(count: int, edges: list[tuple[int, int, int]]) -> list[int]:
    """Strongly connected components (Tarjan's algorithm, without recursion)."""
    succs: list[list[int]] = [[] for _ in range(count)]
    for a, b, _ in edges:
        succs[a].append(b)
    index, low, component = [-1] * count, [0] * count, [-1] * count
    stack: list[int] = []
    on_stack = [False] * count
    counter = 0
    for root in range(count):
        if index[root] >= 0:
            continue
        work = [(root, 0)]
        while work:
            node, child = work.pop()
            if child == 0:
                index[node] = low[node] = counter
                counter += 1
                stack.append(node)
                on_stack[node] = True
            if child < len(succs[node]):
                work.append((node, child + 1))
                nxt = succs[node][child]
                if index[nxt] < 0:
                    work.append((nxt, 0))
                elif on_stack[nxt]:
                    low[node] = min(low[node], index[nxt])
                continue
            if low[node] == index[node]:
                while True:
                    member = stack.pop()
                    on_stack[member] = False
                    component[member] = node
                    if member == node:
                        break
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[node])
    return component


def _room(
    rows: list[list[str]], earliest: int, nid: str, budget: int, away: dict[str, set[str]], layer_of: dict[str, int]
) -> int:
    """The first layer from ``earliest`` with room for ``nid`` (a new one if none)."""
    layer = earliest
    while layer < len(rows) and not _fits(rows[layer], nid, budget, away):
        layer += 1
    while layer >= len(rows):
        rows.append([])
    rows[layer].append(nid)
    layer_of[nid] = layer
    return layer


def _fits(row: list[str], nid: str, budget: int, away: dict[str, set[str]]) -> bool:
    return len(row) < budget and not away.get(nid, set()).intersection(row)


def _sink(
    nodes: Sequence[str],
    rows: list[list[str]],
    layer_of: dict[str, int],
    preds: list[list[tuple[int, int]]],
    succs: list[list[tuple[int, int]]],
    budget: int,
    away: dict[str, set[str]],
    late: frozenset[str],
) -> None:
    """Stickies in ``late``, and those nothing comes before, move down to just above
    what follows them, where there is room (latest first, so they can follow each other)."""
    for unit in sorted(range(len(nodes)), key=lambda u: -layer_of[nodes[u]]):
        nid = nodes[unit]
        if not succs[unit] or (preds[unit] and nid not in late):
            continue
        target = min(layer_of[nodes[s]] - gap for s, gap in succs[unit])
        while target > layer_of[nid] and not _fits(rows[target], nid, budget, away):
            target -= 1
        if target > layer_of[nid]:
            rows[layer_of[nid]].remove(nid)
            rows[target].append(nid)
            layer_of[nid] = target
