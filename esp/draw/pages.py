"""Splitting a large drawing into pages, so a model of hundreds of processes
still draws in time roughly proportional to its size.

``dot`` grows faster than linearly with a graph's size (crossing minimisation
and positioning over every cluster), so an ESP map of more than
``ONE_PAGE_MAX`` rows is cut into pages of ``ROWS_PER_PAGE`` rows, and a view
of boxes (flow, saga, aggregate) of more than ``ONE_PAGE_NODES`` stickies into
pages of whole boxes. Each page is laid out on its own (in parallel) and the
pages are stacked into one SVG. An arrow between pages keeps both ends
visible: a stub beside one end says where it goes, one beside the other says
where it comes from.
"""

from __future__ import annotations

import functools
from dataclasses import replace
from functools import partial

from esp.draw.graph import Edge, Graph, Group, Node, Row

ONE_PAGE_MAX = 60
ROWS_PER_PAGE = 25
ONE_PAGE_NODES = 800
NODES_PER_PAGE = 250

_Box = tuple[str, list[list[str]]]  # a row's or a group's id, and its cells of node ids


def split(graph: Graph) -> list[Graph]:
    """The pages of ``graph``: itself alone unless it is large."""
    chunks = _chunks(graph)
    if len(chunks) < 2:
        return [graph]
    return _cut(graph, chunks, "page")


def isolate_rows(graph: Graph) -> Graph:
    """The ESP map with every arrow between two rows cut into a stub at each end, so
    each row is a graph of its own (Mermaid can then lay each row out left to right)."""
    if len(graph.rows) < 2:
        return graph
    parts = _cut(graph, [[(r.id, [list(c) for c in r.cells])] for r in graph.rows], "process", shift=1)
    return replace(
        graph,
        nodes=tuple(n for p in parts for n in p.nodes),
        edges=tuple(dict.fromkeys(e for p in parts for e in p.edges)),
        rows=tuple(p.rows[0] for p in parts),
    )


def _cut(graph: Graph, chunks: list[list[_Box]], unit: str, shift: int = 0) -> list[Graph]:
    """The chunks as pages; an arrow that leaves a page ends in a stub, ``shift``
    lanes after its tail or before its head (0: in the same cell)."""
    page_of = {nid: p for p, chunk in enumerate(chunks, start=1) for _, cells in chunk for c in cells for nid in c}
    touching: dict[int, list[tuple[int, Edge]]] = {p: [] for p in range(1, len(chunks) + 1)}
    for number, edge in enumerate(graph.edges):  # each edge goes to the page(s) of its ends
        for p in sorted({page_of[edge.src], page_of[edge.dst]}):
            touching[p].append((number, edge))
    byid = {n.id: n for n in graph.nodes}
    return [
        _page(graph, chunk, (p, len(chunks), unit, shift), touching[p], page_of, byid)
        for p, chunk in enumerate(chunks, start=1)
    ]


def svg(graph: Graph) -> str:
    """The SVG of ``graph``: one layout, or its pages laid out in parallel and stacked."""
    from esp.draw import layout

    parts = svg_pages(graph)
    return parts[0] if len(parts) == 1 else layout.stack(parts)


def svg_pages(graph: Graph) -> list[str]:
    """The SVG document of each page of ``graph`` (one, unless it is large), laid out in parallel."""
    from esp.draw import layout

    parts = split(graph)
    if len(parts) == 1:
        return [page_svg(graph)]
    return layout.run_many([partial(page_svg, p) for p in parts])


def render(graph: Graph, fmt: str) -> bytes:
    """One graph laid out by ``dot``; its routed edges, if any, drawn after (``routes``)."""
    from esp.draw import dot, layout

    if any(e.routed for e in graph.edges):
        return layout.run(dot.render(graph, routed=False), fmt, finish=partial(dot.routed, graph))
    return layout.run(dot.render(graph), fmt)


def page_svg(graph: Graph) -> str:
    """One page's SVG. The same page (an unchanged part of a map being edited live) is
    not drawn again: its routed arrows cost more than looking up its layout."""
    from esp.draw import layout

    return _page_svg(layout.dot_program(), graph)


@functools.lru_cache(maxsize=64)
def _page_svg(program: str | None, graph: Graph) -> str:  # keyed by ``dot``: a test may swap it
    return render(graph, "svg").decode("utf-8")


def _chunks(graph: Graph) -> list[list[_Box]]:
    if graph.rows:
        if len(graph.rows) <= ONE_PAGE_MAX:
            return []
        boxes = [(r.id, [list(c) for c in r.cells]) for r in graph.rows]
        return [boxes[i : i + ROWS_PER_PAGE] for i in range(0, len(boxes), ROWS_PER_PAGE)]
    grouped = sum(len(g.nodes) for g in graph.groups)
    if len(graph.nodes) <= ONE_PAGE_NODES or grouped != len(graph.nodes):
        return []  # small, or has loose nodes that belong to no page
    if graph.layers:
        return _spans(graph)
    chunks: list[list[_Box]] = [[]]
    size = 0
    for group in graph.groups:
        if size and size + len(group.nodes) > NODES_PER_PAGE:
            chunks.append([])
            size = 0
        chunks[-1].append((group.id, [list(group.nodes)]))
        size += len(group.nodes)
    return chunks


def _spans(graph: Graph) -> list[list[_Box]]:
    """Pages of a graph in layers (the flow view's time): runs of whole layers, each
    box cut where a page ends."""
    page_of: dict[str, int] = {}
    page, size = 0, 0
    for layer in graph.layers:
        if size and size + len(layer) > NODES_PER_PAGE:
            page, size = page + 1, 0
        page_of.update(dict.fromkeys(layer, page))
        size += len(layer)
    return [
        [(g.id, [kept]) for g in graph.groups if (kept := [n for n in g.nodes if page_of[n] == p])]
        for p in range(page + 1)
    ]


def _page(
    graph: Graph,
    chunk: list[_Box],
    numbering: tuple[int, int, str, int],  # this page, how many, what to call one, where stubs go
    touching: list[tuple[int, Edge]],
    page_of: dict[str, int],
    byid: dict[str, Node],
) -> Graph:
    page, pages, unit, shift = numbering
    cells = dict(chunk)
    where = {nid: (box, i) for box, box_cells in chunk for i, cell in enumerate(box_cells) for nid in cell}
    stubs: list[Node] = []
    edges: list[Edge] = []
    for number, edge in touching:
        src_here, dst_here = page_of[edge.src] == page, page_of[edge.dst] == page
        if src_here and dst_here:
            edges.append(edge)
            continue
        anchor, other = (edge.src, edge.dst) if src_here else (edge.dst, edge.src)
        text = f"to {byid[other].label}" if src_here else f"from {byid[other].label}"
        kind = "listener" if edge.kind == "listener" else "note"
        end = "out" if src_here else "in"
        name = f"stub-{number}-{end}"
        if unit == "page":  # named after its arrow: a change elsewhere leaves this page's DOT (and layout) as it was
            name = f"stub-{edge.kind}-{edge.src}-{edge.dst}-{end}"
            name += f"-{number}" if any(s.id == name for s in stubs) else ""
        stub = Node(name, kind, text, f"{unit} {page_of[other]}")
        box, i = where[anchor]
        if shift:  # in the next lane after a tail, the lane before a head
            lane = min(max(i + (shift if src_here else -shift), 0), len(cells[box]) - 1)
            cells[box][lane].append(stub.id)
        else:
            cell = cells[box][i]
            cell.insert(cell.index(anchor) + (1 if src_here else 0), stub.id)
        stubs.append(stub)
        edges.append(Edge(anchor, stub.id, edge.kind) if src_here else Edge(stub.id, anchor, edge.kind))
    if graph.rows:
        first = (page - 1) * ROWS_PER_PAGE + 1
        title = f"{graph.title}: rows {first} to {first + len(chunk) - 1} (page {page} of {pages})"
    else:
        title = f"{graph.title} (page {page} of {pages})"
    return replace(
        graph,
        title=title,
        nodes=(*(n for n in graph.nodes if page_of[n.id] == page), *stubs),
        edges=tuple(edges),
        rows=tuple(Row(r.id, r.label, tuple(map(tuple, cells[r.id])), r.title) for r in graph.rows if r.id in cells),
        groups=tuple(Group(g.id, g.label, g.kind, tuple(cells[g.id][0])) for g in graph.groups if g.id in cells),
        same_rank=tuple(s for s in graph.same_rank if all(page_of[n] == page for n in s)),
        layers=tuple(kept for layer in graph.layers if (kept := tuple(n for n in layer if page_of[n] == page))),
        legend=page == 1,
        page=page,
    )
