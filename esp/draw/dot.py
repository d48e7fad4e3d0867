"""The DOT back-end: a Graph as Graphviz source.

The ESP map is laid out as a grid: ``newrank`` lets one ``rank=same`` per lane
line the lanes up across all row clusters (rankdir LR, so a rank is a vertical
lane), and an invisible spine left of the first lane keeps the rows in
process order from top to bottom (see ``_row_order``). Other views are boxes
(clusters) kept in model order the same way. Stickies carry an SVG ``class``
("sticky command") and a stable ``id`` so tests, CSS and people can find them
in the SVG.
"""

from __future__ import annotations

from collections.abc import Iterator

from esp.draw.graph import Edge, Graph, Node, wrap
from esp.draw.style import LANE_FILL, LINES, STICKIES, Line, Sticky

FONT = "Helvetica,Arial,sans-serif"
STICKY_WIDTH = 1.8  # inches: a wrapped 18-character line at 11pt fits
SMALL_WIDTH = 1.2
LEGEND_COLUMNS = 6
RANKSEP = 0.45  # inches between ranks (the ESP map's lanes, the boxes of the other views)
RANKSEP_LAYERS = 0.32  # between the moments of the flow view: it grows down, keep it short
ROW_GAP = 10  # points around each row of the map (in an invisible box): room for listener arrows (``routes``)


def render(graph: Graph, *, routed: bool = True) -> str:
    """The DOT source of ``graph``: the same graph always gives the same text. With
    ``routed=False`` it leaves out the edges ``routes`` draws after the layout."""
    return "\n".join(_lines(graph, routed=routed)) + "\n"


def _lines(graph: Graph, *, routed: bool) -> Iterator[str]:
    yield f"digraph {quote(graph.view)} {{"
    yield (
        f"  graph [rankdir={graph.direction}, newrank=true, fontname={quote(FONT)}, fontsize=12,"
        f" nodesep=0.18, ranksep={RANKSEP_LAYERS if graph.layers else RANKSEP}, pad=0.3, labelloc=t, labeljust=l,"
        " outputorder=edgesfirst,"
        f" label={_title_and_legend(graph)}];"
    )
    yield f'  node [fontname={quote(FONT)}, fontsize=11, margin="0.12,0.06"];'
    yield f"  edge [fontname={quote(FONT)}, fontsize=9, arrowsize=0.7];"
    if graph.empty and not graph.nodes:
        yield f'  empty [id="empty", class="note", shape=box, style="dashed", label={_text(graph.empty)}];'
    elif graph.rows:
        yield from _grid(graph)
    else:
        yield from _groups(graph)
    for names in graph.same_rank:
        yield "  { rank=same; " + " ".join(f"{quote(n)};" for n in names) + " }"
    yield from _layers(graph)
    yield from _edges(graph, routed=routed)
    yield "}"


def _grid(graph: Graph) -> Iterator[str]:
    """The ESP map: a header of lane titles, then one cluster per row."""
    byid = {n.id: n for n in graph.nodes}
    sfx = graph.suffix
    yield "  subgraph cluster_lanes {"
    yield f'    graph [id="lanes{sfx}", class="lanes", style=invis, label=""];'
    for i, title in enumerate(graph.lanes):
        yield (
            f'    {quote(f"lane-{i}{sfx}")} [id="lane-{i}{sfx}", class="lane", shape=box, style="filled,rounded",'
            f' fillcolor="{LANE_FILL}", fontcolor="#ffffff", color="{LANE_FILL}", width={STICKY_WIDTH},'
            f" label=<<b>{esc(title)}</b>>];"
        )
    yield "  }"
    for row in graph.rows:
        yield f"  subgraph {quote('cluster_gap_' + row.id)} {{"
        yield f'  graph [id={quote("gap-" + row.id)}, style=invis, label="", margin={ROW_GAP}];'
        yield f"  subgraph {quote('cluster_' + row.id)} {{"
        yield (
            f'    graph [id={quote(row.id)}, class="row", style="rounded", color="#b0bec5",'
            f' bgcolor="#fafafa", labeljust=l, label=<{"<b>" + esc(row.title) + "</b>" if row.title else ""}>];'
        )
        for cell in row.cells:
            for nid in cell:
                yield "    " + _node(byid[nid])
        yield "  }"
        yield "  }"
    for lane in range(len(graph.lanes)):
        members = [f"lane-{lane}{sfx}", *(nid for row in graph.rows for nid in row.cells[lane])]
        yield "  { rank=same; " + " ".join(f"{quote(m)};" for m in members) + " }"
    chain = [f"lane-{i}{sfx}" for i in range(len(graph.lanes))]
    yield "  " + " -> ".join(quote(c) for c in chain) + " [style=invis, weight=10];"
    yield from _row_order(graph)
    for row in graph.rows:
        heads = [cell[0] for cell in row.cells if cell]  # keep a row's lanes together
        if len(heads) > 1:
            yield "  " + " -> ".join(quote(h) for h in heads) + " [style=invis, weight=5];"
        for cell in row.cells:  # stickies top to bottom in model order (see _row_order)
            if len(cell) > 1:
                yield "  " + " -> ".join(quote(n) for n in reversed(cell)) + " [style=invis];"


def _row_order(graph: Graph) -> Iterator[str]:
    """Rows top to bottom in process order.

    Flat edges between clusters do not order them, so an invisible spine left
    of the first lane holds one point per row, chained in order outside any
    cluster, each tied to its row's first sticky. (Inside a cluster dot keeps
    a flat chain in the reverse direction, hence the reversed cell chains.)
    """
    heads = [f"lane-0{graph.suffix}", *(row.cells[0][0] for row in graph.rows if row.cells[0])]
    yield from _spine(heads, graph.suffix)


def _spine(heads: list[str], suffix: str, weight: int = 10) -> Iterator[str]:
    spine = [f"spine-{i}{suffix}" for i in range(len(heads))]
    for point in spine:
        yield f"  {quote(point)} [shape=point, style=invis, width=0, height=0];"
    yield "  { rank=same; " + " ".join(f"{quote(p)};" for p in spine) + " }"
    if len(spine) > 1:
        yield "  " + " -> ".join(quote(p) for p in spine) + " [style=invis];"
    for point, head in zip(spine, heads, strict=True):
        yield f"  {quote(point)} -> {quote(head)} [style=invis, weight={weight}];"


def _groups(graph: Graph) -> Iterator[str]:
    byid = {n.id: n for n in graph.nodes}
    grouped = set()
    for group in graph.groups:  # a box cut by pages is on several: the suffix keeps its ids unique
        yield f"  subgraph {quote('cluster_' + group.id + graph.suffix)} {{"
        sticky = STICKIES.get(group.kind)
        color = sticky.border if sticky else "#90a4ae"
        yield (
            f'    graph [id={quote(group.id + graph.suffix)}, class="group {group.kind}", style="rounded,dashed",'
            f' color="{color}",'
            f" fontsize=12, label=<<b>{esc(group.label)}</b>>];"
        )
        for nid in group.nodes:
            grouped.add(nid)
            yield "    " + _node(byid[nid])
        yield "  }"
    for node in graph.nodes:
        if node.id not in grouped:
            yield "  " + _node(node)
    if len(graph.groups) > 1 and not graph.layers:  # boxes top to bottom in model order, as the rows of the map
        targets = {e.dst for e in graph.edges if e.src != e.dst}
        anchors = [next((n for n in g.nodes if n not in targets), g.nodes[0]) for g in graph.groups if g.nodes]
        yield from _spine(anchors, graph.suffix, weight=1)  # a box's anchor: a sticky nothing leads to


def _layers(graph: Graph) -> Iterator[str]:
    """One rank per layer, in order: an invisible chain of markers left of everything
    holds the layers top to bottom, whatever the edges say."""
    if not graph.layers:
        return
    marks = [quote(f"layer-{i}{graph.suffix}") for i in range(len(graph.layers))]
    for mark in marks:
        yield f"  {mark} [shape=point, style=invis, width=0, height=0];"
    if len(marks) > 1:
        yield "  " + " -> ".join(marks) + " [style=invis];"
    for mark, layer in zip(marks, graph.layers, strict=True):
        yield "  { rank=same; " + " ".join([f"{mark};", *(f"{quote(n)};" for n in layer)]) + " }"


def _layer_of(graph: Graph) -> dict[str, int]:
    return {nid: i for i, layer in enumerate(graph.layers) for nid in layer}


def _node(node: Node) -> str:
    sticky = STICKIES[node.kind]
    styles = ["filled"]
    if sticky.rounded:
        styles.append("rounded")
    if sticky.dashed:
        styles.append("dashed")
    attrs = {
        "id": quote(node.id),
        "class": quote(f"sticky {node.kind}"),
        "shape": sticky.shape,
        "style": quote(",".join(styles)),
        "fillcolor": quote(sticky.fill),
        "color": quote(sticky.border),
        "penwidth": f"{sticky.penwidth:g}",
        "fontsize": str(sticky.fontsize),
        "label": _sticky_label(node, sticky),
    }
    if sticky.peripheries > 1:
        attrs["peripheries"] = str(sticky.peripheries)
    if sticky.shape == "box":
        attrs["width"] = f"{SMALL_WIDTH if node.kind == 'actor' else STICKY_WIDTH:g}"
    if node.kind == "start":
        attrs.update(label='""', width="0.25", fixedsize="true")
    if node.kind == "end":
        attrs.update(width="0.3", fixedsize="true", label='""')
    return f"{quote(node.id)} [" + ", ".join(f"{k}={v}" for k, v in attrs.items()) + "];"


def _sticky_label(node: Node, sticky: Sticky) -> str:
    text = "<br/>".join(esc(line) for line in wrap(node.label, sticky.wrap))
    if node.kind == "process":
        text = f"<b>{text}</b>"
    note = f"{sticky.marker} {node.note}".strip() if sticky.marker or node.note else ""
    if sticky.marker and not node.note:
        note = f"{sticky.marker} integration"
    if note:
        small = "<br/>".join(esc(line) for part in note.split("\n") for line in wrap(part, 24))
        text += f'<br/><font point-size="{max(sticky.fontsize - 2, 7)}">{small}</font>'
    return f"<{text}>"


def _cells(graph: Graph) -> dict[str, int]:
    """Each grid node's cell number, to spot edges inside one cell."""
    return {nid: i for i, cell in enumerate(c for row in graph.rows for c in row.cells) for nid in cell}


def _edges(graph: Graph, *, routed: bool) -> Iterator[str]:
    """The edges; those routed after the layout (see ``routes``) only if ``routed``."""
    cells, layer_of = _cells(graph), _layer_of(graph)
    for edge, attrs in zip(graph.edges, _edge_attrs(graph.edges), strict=True):
        if edge.routed and not routed:
            continue
        src, dst = edge.src, edge.dst
        flat = src in cells and cells.get(dst) == cells[src]  # flat, within a cell: agree with its chain
        if flat or layer_of.get(src, 0) > layer_of.get(dst, 0):  # back up in time: keep the layers
            src, dst = dst, src
            attrs["dir"] = "back"
            attrs["arrowtail"] = attrs.pop("arrowhead", "normal")
        yield f"  {quote(src)} -> {quote(dst)} [{_join(attrs)}];"


def _edge_attrs(edges: tuple[Edge, ...]) -> list[dict[str, str]]:
    """Each edge's attributes, with an id unique in the graph."""
    seen: dict[str, int] = {}
    result = []
    for edge in edges:
        line = LINES[edge.kind]
        base = f"edge-{edge.src}--{edge.dst}"
        seen[base] = seen.get(base, 0) + 1
        eid = base if seen[base] == 1 else f"{base}-{seen[base]}"
        attrs = {"id": quote(eid), "class": quote(f"edge {edge.kind}"), **_line(line)}
        if edge.label:
            lines = [w for part in edge.label.split("\n") for w in wrap(part, 24)]
            attrs["label"] = "<" + "<br/>".join(esc(x) for x in lines) + ">"
            attrs["fontcolor"] = quote(line.color)
        if not edge.constraint:
            attrs["constraint"] = "false"
        result.append(attrs)
    return result


def routed(graph: Graph, laid_out: str) -> list[tuple[str, str]]:
    """The edges routed after the layout (``laid_out``: ``dot -Tdot`` output), each as
    a DOT statement with its position and as an SVG group."""
    from esp.draw import routes

    layout = routes.read(laid_out, graph)
    chosen = [(e, a) for e, a in zip(graph.edges, _edge_attrs(graph.edges), strict=True) if e.routed]
    found = routes.paths(layout, [e for e, _ in chosen])
    result = []
    for edge, attrs in chosen:
        if edge not in found:
            continue
        line = LINES[edge.kind]
        pos = routes.spline(found[edge], arrow=line.arrowhead != "none")
        statement = f"  {quote(edge.src)} -> {quote(edge.dst)} [{_join(attrs)}, pos={quote(pos)}];"
        group = routes.svg(attrs["id"].strip('"'), edge.kind, (edge.src, edge.dst), line, found[edge])
        result.append((statement, group))
    return result


def _join(attrs: dict[str, str]) -> str:
    return ", ".join(f"{k}={v}" for k, v in attrs.items())


def _line(line: Line) -> dict[str, str]:
    attrs = {"color": quote(line.color), "style": quote(line.style)}
    if line.style == "bold":
        attrs["penwidth"] = "2"
    elif line.penwidth != 1:
        attrs["penwidth"] = f"{line.penwidth:g}"
    if line.arrowhead != "normal":
        attrs["arrowhead"] = line.arrowhead
    return attrs


def _title_and_legend(graph: Graph) -> str:
    """The graph label: the title, any filter note, and a legend of what is drawn."""
    rows = [
        f'<tr><td colspan="{2 * LEGEND_COLUMNS}" align="left">'
        f'<font point-size="16"><b>{esc(graph.title)}</b></font></td></tr>'
    ]
    for note in graph.notes:
        rows.append(f'<tr><td colspan="{2 * LEGEND_COLUMNS}" align="left">{esc(note)}</td></tr>')
    items = [_swatch(STICKIES[k]) for k in graph.kinds if k not in ("start", "end", "note")] if graph.legend else []
    items += [_stroke(LINES[k]) for k in graph.edge_kinds] if graph.legend else []
    for i in range(0, len(items), LEGEND_COLUMNS):
        rows.append("<tr>" + "".join(items[i : i + LEGEND_COLUMNS]) + "</tr>")
    table = '<table border="0" cellspacing="3" cellpadding="2">' + "".join(rows) + "</table>"
    return f"<{table}>"


def _swatch(sticky: Sticky) -> str:
    marker = esc(sticky.marker) if sticky.marker else "&nbsp;&nbsp;&nbsp;"
    return (
        f'<td bgcolor="{sticky.fill}" color="{sticky.border}" border="{2 if sticky.penwidth > 2 else 1}"'
        f' width="22">{marker}</td><td align="left"><font point-size="10">{esc(sticky.legend)}</font></td>'
    )


def _stroke(line: Line) -> str:
    dash = {"dashed": "╌╌╌▶", "dotted": "┈┈┈", "bold": "━━━▶"}.get(line.style, "───▶")
    if line.arrowhead == "none":
        dash = dash.rstrip("▶")
    return (
        f'<td><font color="{line.color}">{dash}</font></td>'
        f'<td align="left"><font point-size="10">{esc(line.legend)}</font></td>'
    )


def _text(text: str) -> str:
    return "<" + "<br/>".join(esc(x) for x in wrap(text, 40)) + ">"


def esc(text: str) -> str:
    """Text inside an HTML-like label: nothing in it can become markup."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")


def quote(text: str) -> str:
    """A DOT double-quoted string."""
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", " ") + '"'
