"""The ESP map, checked on its structure rather than its pixels: the DOT as laid
out by Graphviz itself (``dot -Tjson``) and the SVG parsed as XML.

Every example journey in journeys/ is drawn (new files are picked up).
"""

from __future__ import annotations

import itertools
import json
import shutil
import subprocess
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import pytest
from helpers import JOURNEYS, MINIMAL, ROOT, variant, write

from esp import api
from esp.draw import dot, draw, graph, routes
from esp.draw.dot import esc
from esp.draw.esp_map import LANES
from esp.draw.graph import Edge, item_id, item_label, label, node_id
from esp.draw.style import STICKIES
from esp.model import Model

EXAMPLES = sorted(JOURNEYS.glob("*.yaml"))
SVG = "{http://www.w3.org/2000/svg}"
needs_dot = pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz's dot is not installed")


@cache
def model_of(path: Path) -> Model:
    result = api.validate([path])
    assert result.model is not None and not result.errors, [d.message for d in result.errors]
    return result.model


@dataclass
class Box:
    """A laid-out node or cluster: centre and size in points (y grows upwards, as in dot)."""

    x: float
    y: float
    w: float
    h: float

    @property
    def top(self) -> float:
        return self.y + self.h / 2

    @property
    def bottom(self) -> float:
        return self.y - self.h / 2

    def overlaps(self, other: Box) -> bool:
        return abs(self.x - other.x) * 2 < self.w + other.w - 0.5 and abs(self.y - other.y) * 2 < self.h + other.h - 0.5


class Layout:
    """``dot -Tjson`` of a DOT source: nodes, clusters and edges by name."""

    def __init__(self, source: str) -> None:
        done = subprocess.run(["dot", "-Tjson"], input=source.encode(), capture_output=True, check=True)
        data: dict[str, Any] = json.loads(done.stdout)
        objects = data["objects"]
        self.names = {o["_gvid"]: o["name"] for o in objects}
        self.nodes: dict[str, dict[str, Any]] = {o["name"]: o for o in objects if "pos" in o}
        self.clusters: dict[str, dict[str, Any]] = {o["name"]: o for o in objects if o["name"].startswith("cluster")}
        self.edges = [(self.names[e["tail"]], self.names[e["head"]], e) for e in data.get("edges", [])]

    def box(self, name: str) -> Box:
        node = self.nodes[name]
        x, y = (float(v) for v in node["pos"].split(","))
        return Box(x, y, float(node["width"]) * 72, float(node["height"]) * 72)

    def cluster_box(self, name: str) -> Box:
        x1, y1, x2, y2 = (float(v) for v in self.clusters[name]["bb"].split(","))
        return Box((x1 + x2) / 2, (y1 + y2) / 2, x2 - x1, y2 - y1)

    def members(self, cluster: str) -> set[str]:
        return {self.names[i] for i in self.clusters[cluster].get("nodes", [])}

    def visible_edges(self) -> set[tuple[str, str, str]]:
        """(tail, head, class) of every drawn edge, in the model's direction."""
        found = set()
        for tail, head, e in self.edges:
            if e.get("style") == "invis":
                continue
            ends = (head, tail) if e.get("dir") == "back" else (tail, head)
            found.add((*ends, e["class"].split()[-1]))
        return found


@cache
def layout_of(path: Path) -> Layout:
    """The layout esp draws: the map without its listener arrows, which are routed after (``routes``)."""
    return Layout(dot.render(graph(model_of(path)), routed=False))


@cache
def svg_of(path: Path) -> ET.Element:
    text = draw(model_of(path), "esp", "svg")
    assert isinstance(text, str)
    return ET.fromstring(text.encode())


def svg_groups(root: ET.Element) -> dict[str, ET.Element]:
    return {g.get("id", ""): g for g in root.iter(f"{SVG}g")}


def svg_text(element: ET.Element) -> str:
    """The words an SVG group shows, its wrapped lines joined by spaces."""
    return " ".join(" ".join((t.text or "").split()) for t in element.iter(f"{SVG}text")).strip()


def expected_stickies(model: Model) -> dict[str, tuple[str, str]]:
    """node id -> (kind, label) of each sticky the map must show, from the Model alone."""
    found: dict[str, tuple[str, str]] = {}
    for number, process in enumerate(model.processes, start=1):
        found[node_id("process", process.name)] = ("process", label(process.name))
        found[node_id("microservice", process.microservice.name, str(number))] = (
            "microservice",
            label(process.microservice.name),
        )
        for cmd in process.commands:
            found[item_id(model, "command", cmd)] = ("command", item_label(model, cmd))
        for query in process.queries:
            found[node_id("query", query.name)] = ("query", label(query.name))
        for event in process.events:
            kind = "integration" if event.integration else "event"
            found[item_id(model, "event", event)] = (kind, item_label(model, event))
        if process.aggregate is not None:  # a name two microservices share is qualified (bounded contexts)
            agg = process.aggregate
            found[item_id(model, "aggregate", agg, str(number))] = ("aggregate", item_label(model, agg))
    return found


def test_the_examples_are_found() -> None:
    assert JOURNEYS / "restaurant.yaml" in EXAMPLES


def test_the_map_has_the_five_lanes_and_one_row_per_process() -> None:
    model = model_of(JOURNEYS / "restaurant.yaml")
    drawing = graph(model)
    assert drawing.lanes == ("Process & User", "Actions", "Microservice", "Events", "ES Aggregate")
    assert [r.label for r in drawing.rows] == [f"Process {i}" for i in range(1, len(model.processes) + 1)]
    dine = drawing.rows[1]
    assert dine.cells[0] == ("process-dine", "actor-customer-2")
    assert dine.cells[1][:2] == ("query-view_menu", "command-open_table")  # the query before its command
    assert dine.cells[2] == ("microservice-dining-2",)
    assert dine.cells[4][0] == "aggregate-dining_order-2"


@needs_dot
@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.stem)
def test_lanes_are_in_order_and_aligned_across_rows(path: Path) -> None:
    layout = layout_of(path)
    heads = [layout.box(f"lane-{i}") for i in range(len(LANES))]
    assert [h.x for h in heads] == sorted(h.x for h in heads), "lanes out of order"
    assert [layout.nodes[f"lane-{i}"]["label"] for i in range(len(LANES))] == [f"<b>{esc(t)}</b>" for t in LANES]
    for row in graph(model_of(path)).rows:
        for lane, cell in enumerate(row.cells):
            for nid in cell:
                assert layout.box(nid).x == pytest.approx(heads[lane].x, abs=0.5), f"{nid} is not in lane {lane}"


@needs_dot
@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.stem)
def test_rows_are_stacked_in_process_order_and_hold_their_stickies(path: Path) -> None:
    layout = layout_of(path)
    drawing = graph(model_of(path))
    process_rows = [r for r in drawing.rows if r.id not in ("row-hotspots", "row-values")]
    assert len(process_rows) == len(model_of(path).processes)
    boxes = [layout.cluster_box(f"cluster_{r.id}") for r in drawing.rows]
    header = layout.cluster_box("cluster_lanes")
    assert header.bottom > boxes[0].top, "the lane titles are not above the first row"
    for upper, lower in itertools.pairwise(boxes):
        assert upper.bottom > lower.top, "rows out of order or overlapping"
    for row in drawing.rows:
        inside = layout.members(f"cluster_{row.id}")
        assert {nid for cell in row.cells for nid in cell} <= inside
        for cell in row.cells:  # each lane's stickies top to bottom in model order
            ys = [layout.box(nid).y for nid in cell]
            assert ys == sorted(ys, reverse=True), f"{row.id}: {cell}"


@needs_dot
@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.stem)
def test_nothing_overlaps(path: Path) -> None:
    layout = layout_of(path)
    names = [n for n, o in layout.nodes.items() if o.get("style") != "invis"]
    boxes = {n: layout.box(n) for n in names}
    clashes = [(a, b) for i, a in enumerate(names) for b in names[i + 1 :] if boxes[a].overlaps(boxes[b])]
    assert clashes == []


@needs_dot
@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.stem)
def test_every_sticky_is_in_the_svg_with_its_name_and_colour(path: Path) -> None:
    groups = svg_groups(svg_of(path))
    for nid, (kind, text) in expected_stickies(model_of(path)).items():
        assert nid in groups, f"{nid} missing from the SVG"
        group = groups[nid]
        assert group.get("class") == f"node sticky {kind}"
        assert " ".join(text.split()) in svg_text(group)
        shapes = [p for p in group if p.tag in (f"{SVG}polygon", f"{SVG}path")]
        assert shapes and shapes[0].get("fill") == STICKIES[kind].fill, nid
        if kind == "integration":  # a double border and the marker tell it from a domain event
            assert len(shapes) == 2
            assert "⇄" in svg_text(group)


@needs_dot
@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.stem)
def test_every_name_of_the_journey_appears_in_the_svg(path: Path) -> None:
    model = model_of(path)
    words = " ".join(svg_text(g) for g in svg_groups(svg_of(path)).values() if "node" in (g.get("class") or ""))
    names = [c.name for c in model.commands] + [e.name for e in model.events]
    names += [a.name for a in model.aggregates if model.processes_of(a)] + [m.name for m in model.microservices]
    for name in names:
        assert " ".join(label(name).split()) in words, name


@needs_dot
@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.stem)
def test_arrows_join_command_events_aggregate_and_listeners(path: Path) -> None:
    model = model_of(path)
    edges = layout_of(path).visible_edges()
    for number, process in enumerate(model.processes, start=1):
        for cmd in process.commands:
            for event in cmd.emits:
                assert (item_id(model, "command", cmd), item_id(model, "event", event), "emits") in edges
        if process.aggregate is not None:
            agg = item_id(model, "aggregate", process.aggregate, str(number))
            for event in process.events:
                assert (item_id(model, "event", event), agg, "builds") in edges
    source = str(draw(model, "esp", "dot"))  # the DOT for people keeps the listener arrows
    svg_edges = {g.get("id") for g in svg_groups(svg_of(path)).values() if "edge" in (g.get("class") or "")}
    for li in model.listeners:
        src, dst = item_id(model, "event", li.on), item_id(model, "command", li.command)
        assert f'"{src}" -> "{dst}" [id="edge-{src}--{dst}", class="edge listener"' in source
        assert f"edge-{src}--{dst}" in svg_edges
        drawn = svg_groups(svg_of(path))[f"edge-{src}--{dst}"]  # routed after the layout, drawn into dot's SVG
        assert drawn.find(f"{SVG}path") is not None and drawn.find(f"{SVG}polygon") is not None


@needs_dot
@pytest.mark.parametrize("path", [*EXAMPLES, JOURNEYS], ids=lambda p: p.stem)
def test_listener_arrows_run_around_every_sticky(path: Path) -> None:
    """Each routed arrow is straight lines through corridors and gaps: none crosses a
    sticky other than its own two ends."""
    model = api.validate([path]).model
    assert model is not None
    drawing = graph(model)
    source = dot.render(drawing, routed=False)
    done = subprocess.run(["dot", "-Tdot"], input=source, capture_output=True, check=True, text=True)
    layout = routes.read(done.stdout, drawing)
    routed = [e for e in drawing.edges if e.routed]
    found = routes.paths(layout, routed)
    assert set(found) == set(routed)
    stickies = {n.id: layout.nodes[n.id] for n in drawing.nodes}
    for edge, points in found.items():
        for (x1, y1), (x2, y2) in itertools.pairwise(points):
            assert x1 == x2 or y1 == y2, "not a straight line across or down"
            crossed = [
                nid
                for nid, box in stickies.items()
                if nid not in (edge.src, edge.dst)
                and min(x1, x2) < box.x2
                and max(x1, x2) > box.x1
                and min(y1, y2) < box.y2
                and max(y1, y2) > box.y1
            ]
            assert crossed == [], f"{edge.src} -> {edge.dst} crosses {crossed}"


@needs_dot
def test_a_query_comes_before_the_command_that_follows_it() -> None:
    path = JOURNEYS / "restaurant.yaml"
    layout = layout_of(path)
    assert layout.box("query-view_menu").y > layout.box("command-open_table").y
    assert ("query-view_menu", "command-open_table", "next") in layout.visible_edges()


@needs_dot
def test_a_hotspot_sits_pink_beside_what_it_is_about() -> None:
    path = JOURNEYS / "restaurant.yaml"
    layout = layout_of(path)
    assert (
        Edge("hotspot-1", "aggregate-dining_order-2", "about", constraint=False, routed=True)
        in graph(model_of(path)).edges
    )
    assert layout.box("hotspot-1").y < layout.box("aggregate-dining_order-2").y  # just under it
    assert layout.box("hotspot-1").x == pytest.approx(layout.box("aggregate-dining_order-2").x, abs=0.5)
    assert layout.nodes["hotspot-1"]["fillcolor"] == STICKIES["hotspot"].fill


@needs_dot
def test_long_names_wrap_and_keep_the_lanes_narrow(tmp_path: Path) -> None:
    long = "RecordPreferredDeliveryWindowNotes"  # within E171's 40 characters, 3 lines on the map
    text = variant(MINIMAL, ("OpenCart\n", f"{long}\n"))
    path = tmp_path / "long.yaml"
    path.write_text(text, encoding="utf-8")
    result = api.validate([path])
    assert result.model is not None and not result.errors
    source = draw(result.model, "esp", "dot")
    assert isinstance(source, str)
    layout = Layout(source)
    node = layout.nodes[node_id("command", long)]
    lines = [op["text"] for op in node["_ldraw_"] if op.get("op") == "T"]
    assert len(lines) >= 3 and all(len(line) <= 18 for line in lines), lines
    assert float(node["width"]) == pytest.approx(float(layout.nodes["lane-1"]["width"]), abs=0.01)
    assert " ".join(lines) == label(long)


@needs_dot
@pytest.mark.parametrize("fmt", ["svg", "png", "pdf", "dot", "mermaid", "html"])
def test_the_same_model_gives_the_same_bytes(fmt: str) -> None:
    path = JOURNEYS / "restaurant.yaml"
    first = draw(model_of(path), "esp", fmt)
    again = draw(api.validate([path]).model or model_of(path), "esp", fmt)
    assert first == again


def test_events_a_saga_records_come_from_a_saga_sticky() -> None:
    drawing = graph(model_of(JOURNEYS / "travel.yaml"))
    request = drawing.rows[0]
    assert request.cells[1][:3] == ("query-view_my_trips", "command-request_trip", "saga-book_trip-1")  # Actions lane
    assert drawing.node("saga-book_trip-1").kind == "saga"
    found = {(e.src, e.dst, e.kind, e.label) for e in drawing.edges}
    assert ("saga-book_trip-1", "event-trip_booked", "records", "completes") in found
    assert ("saga-book_trip-1", "event-trip_rejected", "records", "aborts") in found


def test_a_saga_sticky_goes_where_its_arrows_cross_no_others() -> None:
    drawing = graph(model_of(JOURNEYS / "shopping.yaml"))
    actions = drawing.rows[2].cells[1]  # Place and Track Order: the saga records Order Fulfilled before Delivered
    assert actions.index("saga-fulfil_order-3") == actions.index("command-record_order_payment") + 1


def test_a_hotspot_says_what_it_is_about() -> None:
    drawing = graph(model_of(JOURNEYS / "restaurant.yaml"))
    assert drawing.node("hotspot-1").note.startswith("about Dining Order")


NESTED = variant(
    MINIMAL,
    (
        "journey: Shopping\n",
        "journey: Shopping\ntypes:\n  Money: {fields: {amount: decimal, currency: str}}\n"
        "  OrderLine: {fields: {sku: str, price: Money, note: 'optional[str]'}}\n",
    ),
    ("        creates: true\n", "        creates: true\n        fields: {lines: 'list[OrderLine]', owner: str}\n"),
)


def test_value_objects_have_a_row_of_their_own_with_their_fields() -> None:
    drawing = graph(model_of(JOURNEYS / "shopping.yaml"))
    assert drawing.rows[-1].id == "row-values" and drawing.rows[-1].title == "Value objects"
    values = [nid for cell in drawing.rows[-1].cells for nid in cell]
    assert sorted(values) == ["value-address", "value-order_line"]
    line = drawing.node("value-order_line")
    assert (line.kind, line.label) == ("value", "OrderLine")  # as the sticky fields name it
    assert line.note.split("\n") == ["sku: str", "quantity: int", "unit_price: decimal"]


def test_a_sticky_names_its_fields_of_a_value_object() -> None:
    drawing = graph(model_of(JOURNEYS / "shopping.yaml"))
    place = drawing.node("command-place_customer_order")
    assert place.note.split("\n") == ["lines: list[OrderLine]", "shipping_address: Address"]  # other fields left out
    placed = drawing.node("event-customer_order_placed")  # an integration event keeps its word first
    assert placed.kind == "integration"
    assert placed.note.split("\n") == ["integration", "lines: list[OrderLine]", "shipping_address: Address"]
    assert drawing.node("command-add_item_to_cart").note == ""


def test_a_value_object_held_by_another_is_drawn_too(tmp_path: Path) -> None:
    result = api.validate([write(tmp_path, NESTED)])
    assert result.model is not None and not result.errors, [d.message for d in result.errors]
    drawing = graph(result.model)
    assert drawing.node("command-open_cart").note == "lines: list[OrderLine]"
    assert drawing.node("value-order_line").note.split("\n") == ["sku: str", "price: Money", "note: optional[str]"]
    assert drawing.node("value-money").note.split("\n") == ["amount: decimal", "currency: str"]
    source = draw(result.model, "esp", "dot")
    assert isinstance(source, str) and "price: Money" in source and "value object (its fields)" in source
    mermaid = draw(result.model, "esp", "mermaid")
    assert isinstance(mermaid, str) and "price: Money" in mermaid and "classDef value" in mermaid


def test_only_the_value_objects_of_the_drawn_rows_are_drawn() -> None:
    model = model_of(JOURNEYS / "shopping.yaml")
    assert all(r.id != "row-values" for r in graph(model, process="Manage Catalogue").rows)
    ship = graph(model, process="Ship and Deliver")
    assert [nid for cell in ship.rows[-1].cells for nid in cell] == ["value-order_line", "value-address"]


def test_an_aggregate_sticky_lists_the_keys_it_is_found_by() -> None:
    drawing = graph(model_of(ROOT / "tests" / "data" / "real" / "eshop-ordering.yaml"), "esp")
    notes = {n.id: n.note for n in drawing.nodes if n.kind == "aggregate"}
    assert notes["aggregate-customer_basket-1"] == "root & factory\nkey: buyer_id (unique)\nkey: product_id (many)"
    assert notes["aggregate-order-2"] == "root & factory"  # no keys: no line
