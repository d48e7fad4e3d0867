"""Listener arrows of the ESP map, routed after the layout through free space.

Left to ``dot``, an arrow from an event (lane 4) to a command (lane 2) of
another row runs across the rows in between, along their event stickies.
Instead the map is laid out without those arrows, and each is then drawn as
lines through space no sticky uses: out of the event's right side into the
corridor between its lane and the next, along it to the gap between rows,
through that gap to the corridor left of the command's lane, and along that
corridor into the command's left side. Arrows that share a corridor or a gap
get tracks of their own, spaced across it. A hotspot's link to what it is
about, the sticky above it, becomes a bracket on their right, long enough to
see. The finished graph (with every position fixed) is rendered by
``neato -n2``, which draws what it is given.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Sequence
from dataclasses import dataclass
from xml.sax.saxutils import escape

from esp.draw.graph import Edge, Graph
from esp.draw.style import Line

ARROW = 7.0  # points: the arrowhead's length at arrowsize 0.7
MARGIN = 10.0  # points: a corridor or gap past the outermost lane or row
BRACKET = 6.0  # points: how far right of its stickies a bracket runs


@dataclass(frozen=True)
class Box:
    """A rectangle in the layout's points (y grows upwards, as Graphviz has it)."""

    x1: float
    y1: float
    x2: float
    y2: float

    @property
    def cx(self) -> float:
        return (self.x1 + self.x2) / 2

    @property
    def cy(self) -> float:
        return (self.y1 + self.y2) / 2


@dataclass(frozen=True)
class Layout:
    """What routing needs of a laid-out ESP map: stickies, lane titles and rows."""

    nodes: dict[str, Box]
    lanes: list[Box]  # left to right
    rows: list[Box]  # top to bottom as drawn
    row_of: dict[str, int]  # a sticky's row, by its place in ``rows``


def read(laid_out: str, graph: Graph) -> Layout:
    """The boxes of the ESP map ``graph`` as ``dot -Tdot`` laid it out (``laid_out``)."""
    nodes, clusters = _boxes(laid_out.replace("\\\n", ""))
    lanes = sorted((nodes[f"lane-{i}{graph.suffix}"] for i in range(len(graph.lanes))), key=lambda b: b.x1)
    boxes = [clusters[f"cluster_{row.id}"] for row in graph.rows]
    order = sorted(range(len(boxes)), key=lambda r: -boxes[r].y2)  # as drawn, which dot does not always keep
    place = {r: i for i, r in enumerate(order)}
    row_of = {nid: place[r] for r, row in enumerate(graph.rows) for cell in row.cells for nid in cell}
    return Layout(nodes, lanes, [boxes[r] for r in order], row_of)


_SUBGRAPH = re.compile(r'^\s*subgraph\s+("(?:[^"\\]|\\.)*"|[\w.]+)\s*\{')
_STATEMENT = re.compile(r'^\s*("(?:[^"\\]|\\.)*"|[\w.]+)\s+\[')  # a node or ``graph`` with attributes
_ATTRIBUTE = re.compile(r'^\s*(?:\S+\s+\[)?(pos|width|height|bb)="?([-\d.,e]+)"?[,\]]')


def _boxes(text: str) -> tuple[dict[str, Box], dict[str, Box]]:
    """Node and cluster boxes from ``dot -Tdot`` output, which puts one attribute a line."""
    nodes: dict[str, Box] = {}
    clusters: dict[str, Box] = {}
    subgraph, owner, edge = "", "", False
    values: dict[str, str] = {}
    for line in text.splitlines():
        if owner or edge:  # inside a statement's attributes
            if (found := _ATTRIBUTE.match(line)) is not None and owner:
                values[found[1]] = found[2]
        elif (found := _SUBGRAPH.match(line)) is not None:
            subgraph = found[1].strip('"')
        elif (found := _STATEMENT.match(line)) is not None:
            owner, edge = found[1].strip('"'), " -> " in line
            if owner == "graph":
                owner = "graph " + subgraph
            values = {}
            if (inline := _ATTRIBUTE.match(line)) is not None:
                values[inline[1]] = inline[2]
        elif " -> " in line and "[" in line:
            edge = True
        if (owner or edge) and line.rstrip().endswith("];"):
            if owner.startswith("graph ") and "bb" in values:
                clusters[owner.removeprefix("graph ")] = _bb(values["bb"])
            elif owner and not edge and "pos" in values:
                nodes[owner] = _node_box(values)
            owner, edge = "", False
    return nodes, clusters


def _node_box(values: dict[str, str]) -> Box:
    x, y = (float(v) for v in values["pos"].split(","))
    w, h = float(values.get("width", 0)) * 72 / 2, float(values.get("height", 0)) * 72 / 2
    return Box(x - w, y - h, x + w, y + h)


def _bb(text: str) -> Box:
    x1, y1, x2, y2 = (float(v) for v in text.split(","))
    return Box(x1, y1, x2, y2)


def paths(layout: Layout, edges: Sequence[Edge]) -> dict[Edge, list[tuple[float, float]]]:
    """Each edge's corner points, tail first: an arrow to an earlier lane through the
    corridors and a gap; between two stickies of one lane, a bracket on their right
    (a hotspot and what it is about); else a straight line."""
    plans = [(e, *plan) for e in edges if (plan := _plan(layout, e)) is not None]
    tracks = _tracks([(("right", lane), e) for e, lane, _, _ in plans])
    tracks |= _tracks([(("left", lane), e) for e, _, lane, _ in plans])
    tracks |= _tracks([(("gap", gap), e) for e, _, _, gap in plans])
    result = {}
    for edge, out_lane, in_lane, gap in plans:
        tail, head = layout.nodes[edge.src], layout.nodes[edge.dst]
        right = _across(_corridor(layout.lanes, out_lane, out_lane + 1), tracks[(("right", out_lane), edge)])
        left = _across(_corridor(layout.lanes, in_lane - 1, in_lane), tracks[(("left", in_lane), edge)])
        low, high = _gap(layout.rows, gap)
        y = high - (high - low) * tracks[(("gap", gap), edge)]
        result[edge] = [
            (tail.x2, tail.cy),
            (right, tail.cy),
            (right, y),
            (left, y),
            (left, head.cy),
            (head.x1, head.cy),
        ]
    for edge in edges:
        if edge not in result and edge.src in layout.nodes and edge.dst in layout.nodes:
            result[edge] = _short(layout.nodes[edge.src], layout.nodes[edge.dst])
    return result


def _short(tail: Box, head: Box) -> list[tuple[float, float]]:
    """A bracket right of two stickies one above the other, else a straight line."""
    if abs(tail.cx - head.cx) < 1:
        x = max(tail.x2, head.x2) + BRACKET
        return [(tail.x2, tail.cy), (x, tail.cy), (x, head.cy), (head.x2, head.cy)]
    return [(tail.cx, tail.cy), (head.cx, head.cy)]


def _plan(layout: Layout, edge: Edge) -> tuple[int, int, int] | None:
    """The tail's lane, the head's lane and the gap (between rows ``gap - 1`` and
    ``gap``) the arrow crosses in; None when the ends are not where routing applies."""
    if edge.src not in layout.row_of or edge.dst not in layout.row_of or len(layout.lanes) < 2:
        return None
    tail, head = layout.nodes[edge.src], layout.nodes[edge.dst]
    out_lane, in_lane = _lane(layout.lanes, tail), _lane(layout.lanes, head)
    if out_lane <= in_lane:
        return None
    src, dst = layout.row_of[edge.src], layout.row_of[edge.dst]
    return out_lane, in_lane, src if dst < src else src + 1


def _lane(lanes: list[Box], box: Box) -> int:
    return min(range(len(lanes)), key=lambda i: abs(lanes[i].cx - box.cx))


def _corridor(lanes: list[Box], left: int, right: int) -> tuple[float, float]:
    """The free x range between two lanes (or past the outermost one)."""
    x1 = lanes[left].x2 if left >= 0 else lanes[0].x1 - 2 * MARGIN
    x2 = lanes[right].x1 if right < len(lanes) else lanes[-1].x2 + 2 * MARGIN
    return x1, x2


def _gap(rows: list[Box], gap: int) -> tuple[float, float]:
    """The free y range above row ``gap`` (below the last row, past it)."""
    low = rows[gap].y2 if gap < len(rows) else rows[-1].y1 - 2 * MARGIN
    high = rows[gap - 1].y1 if gap > 0 else rows[0].y2 + 2 * MARGIN
    return low, high


def _across(span: tuple[float, float], share: float) -> float:
    return span[0] + (span[1] - span[0]) * share


def _tracks(uses: list[tuple[tuple[str, int], Edge]]) -> dict[tuple[tuple[str, int], Edge], float]:
    """Where across its corridor or gap each arrow runs (0..1), evenly spaced per place."""
    by_place: dict[tuple[str, int], list[Edge]] = {}
    for place, edge in uses:
        by_place.setdefault(place, []).append(edge)
    return {
        (place, edge): (i + 1) / (len(edges) + 1) for place, edges in by_place.items() for i, edge in enumerate(edges)
    }


def spline(points: list[tuple[float, float]], *, arrow: bool = True) -> str:
    """A Graphviz ``pos`` for straight lines through ``points``, with an arrowhead at the last."""
    *body, tip = points
    end = (tip[0] + (ARROW if tip[0] < body[-1][0] else -ARROW), tip[1]) if arrow else tip
    controls = [body[0]]
    for a, b in itertools.pairwise([*body, end]):  # a straight cubic: control points a third and two thirds along
        controls += [_along(a, b, 1 / 3), _along(a, b, 2 / 3), b]
    points_text = " ".join(f"{x:.2f},{y:.2f}" for x, y in controls)
    return f"e,{tip[0]:.2f},{tip[1]:.2f} {points_text}" if arrow else points_text


def svg(eid: str, kind: str, ends: tuple[str, str], line: Line, points: list[tuple[float, float]]) -> str:
    """An SVG group drawing the edge through ``points`` as dot would (y flipped, as in
    dot's SVG, whose coordinates are the layout's with y negated)."""
    flipped = [(x, -y) for x, y in points]
    width = 2.0 if line.style == "bold" else line.penwidth
    dash = {"dashed": ' stroke-dasharray="5,2"', "dotted": ' stroke-dasharray="1,5"'}.get(line.style, "")
    head = ""
    if line.arrowhead != "none":
        (ax, ay), (tx, ty) = flipped[-2], flipped[-1]
        length = max(abs(tx - ax), abs(ty - ay)) or 1.0
        ux, uy = (tx - ax) / length, (ty - ay) / length  # segments run across or down: a unit vector
        bx, by = tx - ux * ARROW, ty - uy * ARROW
        flipped[-1] = (bx, by)
        wing = ARROW * 0.35
        corners = [(bx - uy * wing, by + ux * wing), (tx, ty), (bx + uy * wing, by - ux * wing)]
        head = (
            f'<polygon fill="{line.color}" stroke="{line.color}" stroke-width="{width:g}" points="'
            + " ".join(f"{x:.2f},{y:.2f}" for x, y in [*corners, corners[0]])
            + '"/>'
        )
    path = "M" + " L".join(f"{x:.2f},{y:.2f}" for x, y in flipped)
    return (
        f'<g id="{escape(eid)}" class="edge edge {kind}">\n<title>{escape(ends[0])}&#45;&gt;{escape(ends[1])}</title>\n'
        f'<path fill="none" stroke="{line.color}" stroke-width="{width:g}"{dash} d="{path}"/>\n{head}\n</g>'
    )


def _along(a: tuple[float, float], b: tuple[float, float], t: float) -> tuple[float, float]:
    return a[0] + (b[0] - a[0]) * t, a[1] + (b[1] - a[1]) * t
