"""The Mermaid back-end: a Graph as a ``flowchart`` that GitHub and GitLab
render in Markdown.

Mermaid lays out on its own and drops a box's direction once an arrow
leaves it, so in the ESP map an arrow between rows (a listener) is cut into
two labelled stubs, and each row is a box laid out left to right, its lanes
chained in order by invisible links under a box of lane titles. Colours come
from ``classDef`` and ``linkStyle``. Every label character outside a small
safe set is written as a Mermaid entity code, so no text from a journey can
become markup.

GitHub renders up to 50,000 characters and 500 links (Mermaid's defaults):
an ESP map of about 15 busy processes. Draw a larger model a part at a time
(``--process``, ``--microservice``), or as SVG or HTML.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from esp.draw import pages
from esp.draw.graph import Graph, Node, wrap
from esp.draw.style import LANE_FILL, LINES, STICKIES

_SAFE = re.compile(r"[A-Za-z0-9 .,:;!?()/_'+=*-]")
_ARROWS = {"solid": "-->", "bold": "==>", "dashed": "-.->", "dotted": "-.-"}


def render(graph: Graph) -> str:
    return "\n".join(_lines(graph)) + "\n"


def _lines(graph: Graph) -> Iterator[str]:
    if graph.rows:  # listeners between rows become stubs: each row then keeps its lanes left to right
        graph = pages.isolate_rows(graph)
    ids = _ids(graph)
    yield f"%% {_comment(graph.title)} (esp diagram --view {graph.view})"
    yield f"flowchart {'TB' if graph.rows else graph.direction}"
    for kind in graph.kinds:
        sticky = STICKIES[kind]
        dash = ",stroke-dasharray:4 3" if sticky.dashed else ""
        stroke = f"stroke:{sticky.border},stroke-width:{sticky.penwidth:g}px"
        yield f"  classDef {kind} fill:{sticky.fill},{stroke},color:#000{dash}"
    if graph.empty and not graph.nodes:
        yield f'  empty["{text(graph.empty)}"]:::note'
    elif graph.rows:
        yield from _grid(graph, ids)
    else:
        yield from _groups(graph, ids)
    yield from _edges(graph, ids)
    if graph.rows:
        yield from _grid_order(graph, ids)


def _ids(graph: Graph) -> dict[str, str]:
    """Mermaid-safe ids (letters, digits, underscores), unique and stable."""
    ids: dict[str, str] = {}
    for node in graph.nodes:
        base = "n_" + re.sub(r"[^A-Za-z0-9]", "_", node.id)
        candidate, n = base, 1
        while candidate in ids.values():
            n += 1
            candidate = f"{base}_{n}"
        ids[node.id] = candidate
    return ids


def _node(node: Node, ids: dict[str, str]) -> str:
    lines = [text(x) for x in wrap(node.label, STICKIES[node.kind].wrap)]
    marker = STICKIES[node.kind].marker
    note = f"{marker} {node.note or 'integration'}" if marker else node.note
    if note:
        lines.append("<small>" + "<br/>".join(text(part) for part in note.split("\n")) + "</small>")
    body = "<br/>".join(lines)
    if node.kind in ("start", "end"):
        return f"{ids[node.id]}(( )):::{node.kind}"
    if STICKIES[node.kind].rounded:
        return f'{ids[node.id]}("{body}"):::{node.kind}'
    return f'{ids[node.id]}["{body}"]:::{node.kind}'


def _grid(graph: Graph, ids: dict[str, str]) -> Iterator[str]:
    """A box of lane titles, then one box per row laid out left to right."""
    byid = {n.id: n for n in graph.nodes}
    yield f"  classDef lane fill:{LANE_FILL},stroke:{LANE_FILL},color:#fff,font-weight:bold"
    yield '  subgraph lanes[" "]'
    yield "    direction LR"
    for i, title in enumerate(graph.lanes):
        yield f'    lane_{i}["{text(title)}"]:::lane'
    yield "  end"
    for r, row in enumerate(graph.rows, start=1):
        head = byid[row.cells[0][0]].label if row.cells and row.cells[0] else ""
        title = row.title or f"{row.label}: {head}"
        yield f'  subgraph row_{r}["{text(title)}"]'
        yield "    direction LR"
        for cell in row.cells:
            for nid in reversed(cell):  # dagre stacks a rank's nodes bottom-up in the order it meets them
                yield "    " + _node(byid[nid], ids)
        yield "  end"


def _grid_order(graph: Graph, ids: dict[str, str]) -> Iterator[str]:
    """Invisible links, after the visible ones so linkStyle numbers stay put: the
    lanes of each row in order, and the rows one under the other."""
    yield "  " + " ~~~ ".join(f"lane_{i}" for i in range(len(graph.lanes)))
    for row in graph.rows:  # every sticky after the previous lane's first, before the next lane's first
        cells = [[ids[n] for n in cell] for cell in row.cells if cell]
        for i, cell in enumerate(cells):
            for node in cell:
                chain = [cells[i - 1][0]] if i else []
                chain += [node, cells[i + 1][0]] if i + 1 < len(cells) else [node]
                if len(chain) > 1:
                    yield "  " + " ~~~ ".join(chain)
    yield "  " + " ~~~ ".join(["lanes", *(f"row_{r}" for r in range(1, len(graph.rows) + 1))])


def _groups(graph: Graph, ids: dict[str, str]) -> Iterator[str]:
    byid = {n.id: n for n in graph.nodes}
    grouped = set()
    for g, group in enumerate(graph.groups, start=1):
        yield f'  subgraph group_{g}["{text(group.label)}"]'
        for nid in group.nodes:
            grouped.add(nid)
            yield "    " + _node(byid[nid], ids)
        yield "  end"
    for node in graph.nodes:
        if node.id not in grouped:
            yield "  " + _node(node, ids)


def _edges(graph: Graph, ids: dict[str, str]) -> Iterator[str]:
    styles: dict[str, list[str]] = {}  # one linkStyle line per kind of line, listing its links
    for i, edge in enumerate(graph.edges):
        line = LINES[edge.kind]
        arrow = _ARROWS[line.style]
        words = "<br/>".join(text(w) for part in edge.label.split("\n") for w in wrap(part, 24)) if edge.label else ""
        between = f'|"{words}"|' if words else ""
        ends = (edge.src, edge.dst) if line.arrowhead != "none" else (edge.dst, edge.src)  # no arrow: no push
        yield f"  {ids[ends[0]]} {arrow}{between} {ids[ends[1]]}"
        width = 2.5 if line.style == "bold" else 1.5
        styles.setdefault(f"stroke:{line.color},stroke-width:{width:g}px", []).append(str(i))
    for style, links in styles.items():
        yield f"  linkStyle {','.join(links)} {style}"


def text(value: str) -> str:
    """A label as Mermaid entity codes wherever a character could mean something."""
    return "".join(c if _SAFE.fullmatch(c) else f"#{ord(c)};" for c in value)


def _comment(value: str) -> str:
    return re.sub(r"[^A-Za-z0-9 .,:+()_-]", "", value)
