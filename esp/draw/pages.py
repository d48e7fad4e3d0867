"""Splitting a large ESP map into pages, so a model of hundreds of processes
still draws in time roughly proportional to its size.

``dot`` grows faster than linearly with a graph's size (crossing minimisation
and positioning over every row cluster), so beyond ``ONE_PAGE_MAX`` rows the
map is cut into pages of ``ROWS_PER_PAGE`` rows, each laid out on its own
(in parallel) and stacked into one SVG. A listener between pages keeps both
ends visible: a lilac stub beside the event says where it goes, and one
beside the command says where it comes from.
"""

from __future__ import annotations

from dataclasses import replace

from esp.draw.graph import Edge, Graph, Node, Row

ONE_PAGE_MAX = 60
ROWS_PER_PAGE = 25


def split(graph: Graph) -> list[Graph]:
    """The pages of ``graph``: itself alone unless it is an ESP map of many rows."""
    if not graph.rows or len(graph.rows) <= ONE_PAGE_MAX:
        return [graph]
    chunks = [graph.rows[i : i + ROWS_PER_PAGE] for i in range(0, len(graph.rows), ROWS_PER_PAGE)]
    page_of = {nid: p for p, rows in enumerate(chunks, start=1) for row in rows for cell in row.cells for nid in cell}
    byid = {n.id: n for n in graph.nodes}
    return [_page(graph, rows, p, len(chunks), page_of, byid) for p, rows in enumerate(chunks, start=1)]


def svg(graph: Graph) -> str:
    """The SVG of ``graph``: one layout, or its pages laid out in parallel and stacked."""
    from esp.draw import dot, layout

    parts = split(graph)
    if len(parts) == 1:
        return layout.run(dot.render(graph), "svg").decode("utf-8")
    return layout.stack(layout.run_many([dot.render(p) for p in parts]))


def _page(
    graph: Graph, rows: tuple[Row, ...], page: int, pages: int, page_of: dict[str, int], byid: dict[str, Node]
) -> Graph:
    layout = {row.id: [list(cell) for cell in row.cells] for row in rows}
    where = {nid: (row.id, lane) for row in rows for lane, cell in enumerate(row.cells) for nid in cell}
    nodes = [byid[nid] for nid in where]
    edges: list[Edge] = []
    for number, edge in enumerate(graph.edges):
        src_here, dst_here = page_of.get(edge.src) == page, page_of.get(edge.dst) == page
        if src_here and dst_here:
            edges.append(edge)
        elif src_here or dst_here:
            stub = _stub(edge, number, byid, page_of, outgoing=src_here)
            anchor = edge.src if src_here else edge.dst
            row_id, lane = where[anchor]
            cell = layout[row_id][lane]
            cell.insert(cell.index(anchor) + (1 if src_here else 0), stub.id)
            nodes.append(stub)
            edges.append(Edge(anchor, stub.id, edge.kind) if src_here else Edge(stub.id, anchor, edge.kind))
    first = (page - 1) * ROWS_PER_PAGE + 1
    return replace(
        graph,
        title=f"{graph.title}: rows {first} to {first + len(rows) - 1} (page {page} of {pages})",
        nodes=tuple(nodes),
        edges=tuple(edges),
        rows=tuple(Row(r.id, r.label, tuple(tuple(c) for c in layout[r.id]), r.title) for r in rows),
        legend=page == 1,
        page=page,
    )


def _stub(edge: Edge, number: int, byid: dict[str, Node], page_of: dict[str, int], *, outgoing: bool) -> Node:
    other = edge.dst if outgoing else edge.src
    text = f"to {byid[other].label}" if outgoing else f"from {byid[other].label}"
    return Node(f"stub-{number}-{'out' if outgoing else 'in'}", "listener", text, f"page {page_of[other]}")
