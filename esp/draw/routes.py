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
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from esp.draw.graph import Edge

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
    rows: list[Box]  # top to bottom
    row_of: dict[str, int]


def read(layout: dict[str, Any], suffix: str) -> Layout:
    """The boxes of ``dot -Tjson`` output."""
    objects = layout.get("objects", [])
    nodes = {o["name"]: _node_box(o) for o in objects if "pos" in o and "nodes" not in o}
    lanes = sorted((b for n, b in nodes.items() if n.startswith("lane-") and n.endswith(suffix)), key=lambda b: b.x1)
    clusters = [o for o in objects if str(o.get("name", "")).startswith("cluster_row-") and "bb" in o]
    clusters.sort(key=lambda o: -_bb(o["bb"]).y2)
    row_of = {objects[i]["name"]: r for r, o in enumerate(clusters) for i in o.get("nodes", [])}
    return Layout(nodes, lanes, [_bb(o["bb"]) for o in clusters], row_of)


def _node_box(obj: dict[str, Any]) -> Box:
    x, y = (float(v) for v in obj["pos"].split(","))
    w, h = float(obj.get("width", 0)) * 72 / 2, float(obj.get("height", 0)) * 72 / 2
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


def _along(a: tuple[float, float], b: tuple[float, float], t: float) -> tuple[float, float]:
    return a[0] + (b[0] - a[0]) * t, a[1] + (b[1] - a[1]) * t
